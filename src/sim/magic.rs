//! Magic NHS numbers and family names that force an outcome whatever else the request says
//! (except that the request must still be a well-formed request with a full date of birth).
//!
//! The numbers are valid Modulus-11 numbers in a dedicated block, `999 000 0xxx` (nine-digit
//! stems 999000001–999000099), so they pass the bridge's own NHS-number validation. The data set
//! starts at stem 999000100 and never overlaps. Search interactions carry no NHS number, so the
//! same outcomes are reachable with the family name `MAGIC-<outcome>` (e.g. `MAGIC-DEMOG-0007`,
//! `MAGIC-ITK-2100`). The table is printed in docs/SIMULATOR.md; a unit test keeps them in step.

use crate::domain::{NhsNumber, ResponseCode};

/// An ITK error code the simulator can fault with (SMSP SPEC §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItkCode {
    /// 1000 Invalid Message.
    InvalidMessage,
    /// 2100 Processing Error, retryable.
    Retryable,
    /// 2200 Processing Error, not retryable.
    NotRetryable,
    /// 3000 Access Denied.
    AccessDenied,
}

impl ItkCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidMessage => "1000",
            Self::Retryable => "2100",
            Self::NotRetryable => "2200",
            Self::AccessDenied => "3000",
        }
    }

    /// The ITK error text (SMSP SPEC §2.6 table).
    pub fn text(self) -> &'static str {
        match self {
            Self::InvalidMessage => "Invalid Message",
            Self::Retryable => "Processing Error, retryable",
            Self::NotRetryable => "Processing Error, not retryable",
            Self::AccessDenied => "Access Denied",
        }
    }

    /// Client faults are the caller's to fix; processing errors are the server's.
    pub fn is_client(self) -> bool {
        matches!(self, Self::InvalidMessage | Self::AccessDenied)
    }
}

/// What a magic number forces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forced {
    /// This response code. SMSP-0000, SMSP-0003 and DEMOG-0017 carry the canned patient
    /// ([`canned_number`]); every other code carries no subject.
    Code(ResponseCode),
    /// verifyNHSNumber: SMSP-0000 with VI=false (the official "not valid" example, SPEC §5.1).
    /// The other interactions answer DEMOG-0001, as for a number PDS does not hold.
    NotValid,
    /// An ITK SOAP fault, HTTP 500.
    Fault(ItkCode),
}

/// One row of the magic table: (nine-digit stem, outcome label, outcome).
pub struct MagicEntry {
    pub stem: u32,
    pub label: &'static str,
    pub forced: fn() -> Forced,
}

impl MagicEntry {
    pub fn number(&self) -> NhsNumber {
        NhsNumber::from_stem(self.stem).expect("magic stems have a valid check digit")
    }
}

macro_rules! entry {
    ($stem:expr, $label:expr, $f:expr) => {
        MagicEntry {
            stem: $stem,
            label: $label,
            forced: || $f,
        }
    };
}

/// The magic table. Stem 999000014 is skipped: its check digit would be 10.
pub const TABLE: [MagicEntry; 17] = [
    entry!(999000001, "SMSP-0000", Forced::Code(ResponseCode::Success)),
    entry!(999000002, "VI-FALSE", Forced::NotValid),
    entry!(
        999000003,
        "SMSP-0001",
        Forced::Code(ResponseCode::InputValidation)
    ),
    entry!(
        999000004,
        "SMSP-0002",
        Forced::Code(ResponseCode::ResponseValidation)
    ),
    entry!(
        999000005,
        "SMSP-0003",
        Forced::Code(ResponseCode::LocalStore)
    ),
    entry!(
        999000006,
        "SMSP-9999",
        Forced::Code(ResponseCode::SmspFailure)
    ),
    entry!(999000007, "DEMOG-0001", Forced::Code(ResponseCode::NoMatch)),
    entry!(
        999000008,
        "DEMOG-0007",
        Forced::Code(ResponseCode::MultipleMatches)
    ),
    entry!(
        999000009,
        "DEMOG-0017",
        Forced::Code(ResponseCode::Superseded)
    ),
    entry!(
        999000010,
        "DEMOG-0022",
        Forced::Code(ResponseCode::Invalidated)
    ),
    entry!(
        999000011,
        "DEMOG-0040",
        Forced::Code(ResponseCode::NotVerified)
    ),
    entry!(
        999000012,
        "DEMOG-0042",
        Forced::Code(ResponseCode::NotNewStyle)
    ),
    entry!(
        999000013,
        "DEMOG-9999",
        Forced::Code(ResponseCode::SpineError)
    ),
    entry!(
        999000015,
        "ITK-1000",
        Forced::Fault(ItkCode::InvalidMessage)
    ),
    entry!(999000016, "ITK-2100", Forced::Fault(ItkCode::Retryable)),
    entry!(999000017, "ITK-2200", Forced::Fault(ItkCode::NotRetryable)),
    entry!(999000018, "ITK-3000", Forced::Fault(ItkCode::AccessDenied)),
];

/// The family-name prefix that selects a magic outcome in searches.
pub const FAMILY_PREFIX: &str = "MAGIC-";

/// Whether a number lies in the magic block (stems below 999000100), magic or not.
pub fn in_magic_block(n: &NhsNumber) -> bool {
    n.as_str().starts_with("9990000")
}

pub fn by_number(n: &NhsNumber) -> Option<&'static MagicEntry> {
    if !in_magic_block(n) {
        return None;
    }
    TABLE.iter().find(|e| e.number() == *n)
}

pub fn by_label(label: &str) -> Option<&'static MagicEntry> {
    TABLE.iter().find(|e| e.label.eq_ignore_ascii_case(label))
}

/// `MAGIC-DEMOG-0007` → the DEMOG-0007 entry.
pub fn by_family(family: &str) -> Option<&'static MagicEntry> {
    let f = family.trim();
    let rest = f
        .get(..FAMILY_PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(FAMILY_PREFIX))
        .map(|_| &f[FAMILY_PREFIX.len()..])?;
    by_label(rest)
}

/// The NHS number the canned patient carries for a forced code: the code's own magic number,
/// except DEMOG-0017, whose subject carries the replacement number (the SMSP-0000 number).
pub fn canned_number(code: &ResponseCode) -> NhsNumber {
    let label = match code {
        ResponseCode::LocalStore => "SMSP-0003",
        _ => "SMSP-0000",
    };
    by_label(label).expect("table has it").number()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_magic_number_is_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in &TABLE {
            let n = e.number();
            assert!(in_magic_block(&n), "{}", e.label);
            assert!(seen.insert(n), "duplicate {}", e.label);
            assert_eq!(by_number(&n).unwrap().label, e.label);
        }
        assert!(NhsNumber::from_stem(999000014).is_none());
    }

    #[test]
    fn every_response_code_and_itk_fault_has_a_magic_number() {
        for code in ResponseCode::KNOWN {
            assert!(by_label(code).is_some(), "{code}");
        }
        for itk in ["1000", "2100", "2200", "3000"] {
            assert!(by_label(&format!("ITK-{itk}")).is_some(), "{itk}");
        }
    }

    #[test]
    fn documented_numbers_are_stable() {
        // docs/SIMULATOR.md quotes these; change both together.
        assert_eq!(
            by_label("SMSP-0000").unwrap().number().as_str(),
            "9990000018"
        );
        assert_eq!(
            by_label("DEMOG-0042").unwrap().number().as_str(),
            "9990000123"
        );
        assert_eq!(
            by_label("ITK-1000").unwrap().number().as_str(),
            "9990000158"
        );
        assert_eq!(
            by_label("ITK-3000").unwrap().number().as_str(),
            "9990000182"
        );
    }

    #[test]
    fn family_names_select_outcomes_case_insensitively() {
        assert_eq!(by_family("magic-demog-0007").unwrap().label, "DEMOG-0007");
        assert_eq!(by_family(" MAGIC-ITK-2100 ").unwrap().label, "ITK-2100");
        assert!(by_family("MAGIC").is_none());
        assert!(by_family("SMITH").is_none());
        assert!(by_family("É").is_none());
    }
}
