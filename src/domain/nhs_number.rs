use std::fmt;

/// A 10-digit NHS number whose Modulus 11 check digit is valid (PDS FHIR SPEC §2).
/// Held as its ASCII digits so `as_str` borrows without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error("an NHS number has exactly 10 digits")]
    Format,
    #[error("the NHS number's check digit is wrong")]
    CheckDigit,
}

impl NhsNumber {
    /// Parses and checks a number: weights 10..2 over the first nine digits,
    /// check = (11 - sum mod 11) mod 11, and 10 means no valid number exists.
    pub fn parse(s: &str) -> Result<Self, NhsNumberError> {
        let bytes = s.as_bytes();
        if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(NhsNumberError::Format);
        }
        let mut digits = [0u8; 10];
        for (d, b) in digits.iter_mut().zip(bytes) {
            *d = b - b'0';
        }
        let mut ascii = [0u8; 10];
        ascii.copy_from_slice(bytes);
        match Self::check_digit(&digits[..9]) {
            Some(c) if c == digits[9] => Ok(NhsNumber(ascii)),
            _ => Err(NhsNumberError::CheckDigit),
        }
    }

    /// The check digit for nine leading digits, or `None` when the remainder makes it 10.
    pub fn check_digit(first_nine: &[u8]) -> Option<u8> {
        let sum: u32 = first_nine
            .iter()
            .zip((2..=10u32).rev())
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        match (11 - sum % 11) % 11 {
            10 => None,
            c => Some(c as u8),
        }
    }

    /// Completes a nine-digit stem into a valid number (used to build synthetic data sets).
    pub fn from_stem(stem: u32) -> Option<Self> {
        let s = format!("{stem:09}");
        if s.len() != 9 {
            return None;
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let check = Self::check_digit(&digits)?;
        Self::parse(&format!("{s}{check}")).ok()
    }

    /// The ten ASCII digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("NHS number digits are ASCII")
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NhsNumber {
    /// Debug output must never leak an NHS number into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(***)")
    }
}

impl std::str::FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers_from_the_pds_sandbox() {
        // 9000000009 and 9693632109 are PDS sandbox numbers (PDS FHIR SPEC §9).
        for n in ["9000000009", "9693632109", "9449310580", "9111231130"] {
            assert_eq!(NhsNumber::parse(n).unwrap().to_string(), n);
        }
    }

    #[test]
    fn rejects_bad_check_digit_and_format() {
        assert_eq!(
            NhsNumber::parse("9000000000"),
            Err(NhsNumberError::CheckDigit)
        );
        assert_eq!(NhsNumber::parse("900000000"), Err(NhsNumberError::Format));
        assert_eq!(NhsNumber::parse("90000000a9"), Err(NhsNumberError::Format));
        assert_eq!(
            NhsNumber::parse("444444444444"),
            Err(NhsNumberError::Format)
        );
    }

    #[test]
    fn stems_complete_to_valid_numbers_or_none() {
        let n = NhsNumber::from_stem(900000000).unwrap();
        assert_eq!(n.to_string(), "9000000009");
        // a stem whose check digit would be 10 has no valid number
        assert!((0..20).any(|s| NhsNumber::from_stem(999000000 + s).is_none()));
    }

    #[test]
    fn debug_masks_the_number() {
        let n = NhsNumber::parse("9000000009").unwrap();
        assert!(!format!("{n:?}").contains("9000000009"));
    }
}
