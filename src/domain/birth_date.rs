use std::fmt;

use super::push_zero_padded;

/// A calendar date that may be partial (year, or year and month), as PDS holds some legacy
/// birth dates (SMSP SPEC §3 TimestampType3, PDS FHIR SPEC §6 `birthDate`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    year: u16,
    month: Option<u8>,
    day: Option<u8>,
}

/// Dates of birth are partial dates; requests to SMSP need a full one (checked by `is_full`).
pub type BirthDate = PartialDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("not a date in the expected format")]
    Format,
    #[error("not a real calendar date")]
    Calendar,
}

impl PartialDate {
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Result<Self, DateError> {
        if year == 0 || (day.is_some() && month.is_none()) {
            return Err(DateError::Format);
        }
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return Err(DateError::Calendar);
            }
            if let Some(d) = day {
                if chrono::NaiveDate::from_ymd_opt(year.into(), m.into(), d.into()).is_none() {
                    return Err(DateError::Calendar);
                }
            }
        }
        Ok(Self { year, month, day })
    }

    pub fn full(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        Self::new(year, Some(month), Some(day))
    }

    /// FHIR R4 `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub fn parse_fhir(s: &str) -> Result<Self, DateError> {
        let parts: Vec<&str> = s.split('-').collect();
        let widths_ok = match parts.as_slice() {
            [y] => y.len() == 4,
            [y, m] => y.len() == 4 && m.len() == 2,
            [y, m, d] => y.len() == 4 && m.len() == 2 && d.len() == 2,
            _ => false,
        };
        if !widths_ok || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(DateError::Format);
        }
        let num = |i: usize| parts.get(i).map(|p| p.parse::<u16>().expect("digits"));
        Self::new(
            num(0).expect("year"),
            num(1).map(|m| m as u8),
            num(2).map(|d| d as u8),
        )
    }

    /// HL7 V3 TS: `YYYY`, `YYYYMM` or `YYYYMMDD`, optionally followed by a time (ignored here;
    /// see [`crate::domain::PartialDate::parse_hl7_with_time`]).
    pub fn parse_hl7(s: &str) -> Result<Self, DateError> {
        Self::parse_hl7_with_time(s).map(|(d, _)| d)
    }

    /// HL7 V3 TS with an optional `HHMM[SS]` time part and optional zone, which is dropped.
    pub fn parse_hl7_with_time(s: &str) -> Result<(Self, Option<chrono::NaiveTime>), DateError> {
        let digits_end = s.find(['+', '-', '.']).unwrap_or(s.len());
        let digits = &s[..digits_end];
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateError::Format);
        }
        let n = |a: usize, b: usize| digits[a..b].parse::<u16>().expect("digits");
        let date = match digits.len() {
            4 => Self::new(n(0, 4), None, None)?,
            6 => Self::new(n(0, 4), Some(n(4, 6) as u8), None)?,
            8 | 10 | 12 | 14 => Self::full(n(0, 4), n(4, 6) as u8, n(6, 8) as u8)?,
            _ => return Err(DateError::Format),
        };
        let time = match digits.len() {
            12 | 14 => {
                let sec = if digits.len() == 14 { n(12, 14) } else { 0 };
                Some(
                    chrono::NaiveTime::from_hms_opt(n(8, 10).into(), n(10, 12).into(), sec.into())
                        .ok_or(DateError::Calendar)?,
                )
            }
            10 => Some(
                chrono::NaiveTime::from_hms_opt(n(8, 10).into(), 0, 0)
                    .ok_or(DateError::Calendar)?,
            ),
            _ => None,
        };
        Ok((date, time))
    }

    pub fn is_full(&self) -> bool {
        self.day.is_some()
    }

    pub fn year(&self) -> u16 {
        self.year
    }
    pub fn month(&self) -> Option<u8> {
        self.month
    }
    pub fn day(&self) -> Option<u8> {
        self.day
    }

    /// HL7 form: `YYYYMMDD` (or `YYYY`/`YYYYMM` when partial) — SMSP SPEC §0.2.
    pub fn to_hl7(&self) -> String {
        self.render("")
    }

    /// FHIR form: `YYYY-MM-DD` (or `YYYY`/`YYYY-MM` when partial).
    pub fn to_fhir(&self) -> String {
        self.render("-")
    }

    /// FHIR `dateTime` for a full date with a time: `YYYY-MM-DDTHH:MM:SS+00:00` (PDS FHIR SPEC
    /// §6, `deceasedDateTime`).
    pub fn to_fhir_with_time(&self, time: chrono::NaiveTime) -> String {
        use chrono::Timelike;
        let mut out = self.render("-");
        for (sep, n) in [
            ('T', time.hour()),
            (':', time.minute()),
            (':', time.second()),
        ] {
            out.push(sep);
            push_zero_padded(&mut out, n, 2);
        }
        out.push_str("+00:00");
        out
    }

    /// The year zero-padded to 4 digits, then month and day to 2, joined by `sep`, appended to
    /// `out`: what `format!("{:04}{sep}{:02}{sep}{:02}")` writes. The SOAP writer appends the
    /// HL7 form straight into its message with it.
    pub(crate) fn write_to(&self, out: &mut String, sep: &str) {
        push_zero_padded(out, self.year.into(), 4);
        if let Some(month) = self.month {
            out.push_str(sep);
            push_zero_padded(out, month.into(), 2);
            if let Some(day) = self.day {
                out.push_str(sep);
                push_zero_padded(out, day.into(), 2);
            }
        }
    }

    fn render(&self, sep: &str) -> String {
        let mut out = String::with_capacity(10);
        self.write_to(&mut out, sep);
        out
    }
}

impl fmt::Debug for PartialDate {
    /// Dates of birth are patient data: never print them in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PartialDate(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fhir_dates_full_and_partial() {
        assert_eq!(
            PartialDate::parse_fhir("1996-05-30").unwrap().to_hl7(),
            "19960530"
        );
        assert_eq!(
            PartialDate::parse_fhir("1996-05").unwrap().to_hl7(),
            "199605"
        );
        assert_eq!(PartialDate::parse_fhir("1996").unwrap().to_hl7(), "1996");
        assert_eq!(PartialDate::parse_fhir("20101022"), Err(DateError::Format));
        assert_eq!(
            PartialDate::parse_fhir("2010-02-30"),
            Err(DateError::Calendar)
        );
        assert_eq!(PartialDate::parse_fhir("2010-13"), Err(DateError::Calendar));
        assert_eq!(
            PartialDate::parse_fhir("eq2010-10-22"),
            Err(DateError::Format)
        );
    }

    #[test]
    fn parses_hl7_timestamps_with_and_without_time() {
        let (d, t) = PartialDate::parse_hl7_with_time("194305191212").unwrap();
        assert_eq!(d.to_fhir(), "1943-05-19");
        assert_eq!(t.unwrap().to_string(), "12:12:00");
        assert_eq!(
            PartialDate::parse_hl7("201405").unwrap().to_fhir(),
            "2014-05"
        );
        assert!(PartialDate::parse_hl7("2014051").is_err());
        assert!(PartialDate::parse_hl7("").is_err());
    }

    #[test]
    fn written_forms_are_zero_padded_like_format() {
        // Early years pad to four digits; a year past 9999 (which `new` accepts) is not cut.
        for (y, m, d) in [
            (1, 1, 1),
            (999, 2, 28),
            (1996, 5, 30),
            (2024, 12, 31),
            (12345, 10, 9),
        ] {
            let full = PartialDate::full(y, m, d).unwrap();
            assert_eq!(full.to_fhir(), format!("{y:04}-{m:02}-{d:02}"));
            assert_eq!(full.to_hl7(), format!("{y:04}{m:02}{d:02}"));
            let month = PartialDate::new(y, Some(m), None).unwrap();
            assert_eq!(month.to_fhir(), format!("{y:04}-{m:02}"));
            assert_eq!(month.to_hl7(), format!("{y:04}{m:02}"));
            let t = chrono::NaiveTime::from_hms_opt(u32::from(d) % 24, 5, 59).unwrap();
            assert_eq!(
                full.to_fhir_with_time(t),
                format!("{}T{}+00:00", full.to_fhir(), t.format("%H:%M:%S"))
            );
            let year = PartialDate::new(y, None, None).unwrap();
            assert_eq!(year.to_fhir(), format!("{y:04}"));
        }
    }
}
