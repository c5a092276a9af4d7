//! FHIR R4 primitive-type format checks (R4 §2.24 "Primitive Types": `date`, `dateTime`,
//! `instant`, `id`, `code`). Used when reading `Parameters` bodies and in tests, so the bridge
//! never accepts or emits a value that is not a valid R4 primitive (fhirbolt accepts
//! `birthDate: "not-a-date"`; rust-stack.md).

use crate::domain::PartialDate;

/// Which primitive a value failed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("not a FHIR R4 date")]
    Date,
    #[error("not a FHIR R4 dateTime")]
    DateTime,
    #[error("not a FHIR R4 instant")]
    Instant,
    #[error("not a FHIR R4 id")]
    Id,
    #[error("not a FHIR R4 code")]
    Code,
}

/// R4 `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar date, year ≥ 1.
pub fn is_date(s: &str) -> bool {
    PartialDate::parse_fhir(s).is_ok()
}

/// R4 `dateTime`: a `date`, or a full date followed by `Thh:mm:ss[.fff]` and a **required**
/// zone (`Z` or `±hh:mm`, at most ±14:00).
pub fn is_date_time(s: &str) -> bool {
    match s.split_once('T') {
        None => is_date(s),
        Some((date, time)) => date.len() == 10 && is_date(date) && is_zoned_time(time),
    }
}

/// R4 `instant`: like a `dateTime` but always to the second with a zone.
pub fn is_instant(s: &str) -> bool {
    s.contains('T') && is_date_time(s)
}

/// R4 `id`: 1–64 characters from `A-Z a-z 0-9 - .`.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// R4 `code`: `[^\s]+(\s[^\s]+)*` — no leading, trailing or doubled whitespace.
pub fn is_code(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s
            .chars()
            .zip(s.chars().skip(1))
            .any(|(a, b)| a.is_whitespace() && b.is_whitespace())
}

pub fn check_date(s: &str) -> Result<(), FormatError> {
    is_date(s).then_some(()).ok_or(FormatError::Date)
}
pub fn check_date_time(s: &str) -> Result<(), FormatError> {
    is_date_time(s).then_some(()).ok_or(FormatError::DateTime)
}
pub fn check_instant(s: &str) -> Result<(), FormatError> {
    is_instant(s).then_some(()).ok_or(FormatError::Instant)
}
pub fn check_id(s: &str) -> Result<(), FormatError> {
    is_id(s).then_some(()).ok_or(FormatError::Id)
}
pub fn check_code(s: &str) -> Result<(), FormatError> {
    is_code(s).then_some(()).ok_or(FormatError::Code)
}

/// `hh:mm:ss[.f+](Z|±hh:mm)` with hh ≤ 23, mm ≤ 59, ss ≤ 60 (leap second) and a zone ≤ 14:00.
fn is_zoned_time(t: &str) -> bool {
    let (clock, zone) = match t.find(['Z', '+', '-']) {
        Some(i) => t.split_at(i),
        None => return false,
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    if let Some(f) = fraction {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let hms_ok = match two_digit_fields(hms, ':').as_deref() {
        Some([h, m, s]) => *h <= 23 && *m <= 59 && *s <= 60,
        _ => false,
    };
    let zone_ok = match zone {
        "Z" => true,
        z if z.len() == 6 => matches!(
            two_digit_fields(&z[1..], ':').as_deref(),
            Some([h, m]) if *m <= 59 && (*h < 14 || (*h == 14 && *m == 0))
        ),
        _ => false,
    };
    hms_ok && zone_ok
}

/// Splits `s` on `sep` into fields that are each exactly two ASCII digits.
fn two_digit_fields(s: &str, sep: char) -> Option<Vec<u8>> {
    s.split(sep)
        .map(|p| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u8>().ok())
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in ["2010", "2010-10", "2010-10-22", "2000-02-29"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "",
            "20101022",
            "2010-1-22",
            "2010-13",
            "2001-02-29",
            "0000",
            "2010-10-22T00:00:00Z",
            "not-a-date",
            " 2010",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn date_times_need_a_zone_when_they_have_a_time() {
        for ok in [
            "2010",
            "2010-10-22",
            "2010-10-22T00:00:00+00:00",
            "2010-10-22T23:59:60Z",
            "2010-10-22T12:00:00.123-05:30",
            "2010-10-22T12:00:00+14:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2010-10-22T00:00:00",
            "2010-10-22T24:00:00Z",
            "2010-10-22T12:00Z",
            "2010-10-22T12:00:00+14:30",
            "2010-10-22T12:00:00.Z",
            "2010-10T12:00:00Z",
            "2010-10-22T12:00:00+0000",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_instant("2019-12-25T12:00:00+00:00"));
        assert!(!is_instant("2019-12-25"));
    }

    #[test]
    fn ids_and_codes() {
        assert!(is_id("9000000009"));
        assert!(is_id("a-B.9"));
        assert!(!is_id(""));
        assert!(!is_id("has space"));
        assert!(!is_id(&"x".repeat(65)));
        assert!(is_code("TOO_MANY_MATCHES"));
        assert!(is_code("a b"));
        assert!(!is_code(""));
        assert!(!is_code(" a"));
        assert!(!is_code("a "));
        assert!(!is_code("a  b"));
        assert_eq!(check_code("a\tb\n"), Err(FormatError::Code));
    }
}
