//! Cache keys (issue 4): a patient by NHS number with the date of birth SMSP verified it with;
//! the latest verified date of birth by number (for DOB-less reads); a search by its
//! normalised parameters. Keys hold patient data: their `Debug` says only which kind they are,
//! and they are never logged.

use crate::domain::{Gender, NhsNumber, PartialDate};
use crate::fhir::SearchRequest;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A verified record under its own NHS number, with the DOB SMSP verified it with. A read
    /// carrying `X-SMSP-Birth-Date` is a hit only on this exact pair (a different date is a
    /// different key: it goes to SMSP, which decides).
    Patient(NhsNumber, PartialDate),
    /// The DOB of the latest verified record for a number, so a DOB-less read can find it.
    Number(NhsNumber),
    /// A search by its normalised parameters; its entry names the NHS number it found.
    Search(SearchKey),
}

impl Key {
    /// The NHS number in the key, if any (purge by patient).
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        match self {
            Key::Patient(n, _) | Key::Number(n) => Some(*n),
            Key::Search(s) => s.nhs_number,
        }
    }

    /// Estimated bytes the key occupies (for the weigher).
    pub fn weight_bytes(&self) -> usize {
        let base = std::mem::size_of::<Key>();
        match self {
            Key::Search(s) => {
                base + [&s.family, &s.given, &s.postcode]
                    .iter()
                    .map(|v| v.as_ref().map_or(0, String::len))
                    .sum::<usize>()
            }
            _ => base,
        }
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Key::Patient(..) => "Key::Patient(***)",
            Key::Number(_) => "Key::Number(***)",
            Key::Search(_) => "Key::Search(***)",
        })
    }
}

/// A search's parameters as SMSP compares them (SMSP SPEC §0.5 exact matching; PDS traces
/// compare names case-insensitively after trimming and postcodes without spaces or case), so
/// requests SMSP would answer alike share one entry. Only parameters that change the answer
/// are kept: `_format` is the edge's, and `_summary=count` searches are never cached.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SearchKey {
    pub nhs_number: Option<NhsNumber>,
    pub family: Option<String>,
    pub given: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: PartialDate,
    pub postcode: Option<String>,
    /// `_elements=identifier` answers differ in shape, so they have their own entries.
    pub identifiers_only: bool,
}

impl SearchKey {
    pub fn of(request: &SearchRequest) -> Self {
        Self {
            nhs_number: request.nhs_number,
            family: request.family.as_deref().map(name),
            given: request.given.as_deref().map(name),
            gender: request.gender,
            birth_date: request.birth_date,
            postcode: request.postcode.as_deref().map(postcode),
            identifiers_only: request.identifiers_only,
        }
    }
}

/// Names: trimmed, lower case (Unicode). Inner spaces are kept: SMSP matches exactly.
fn name(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Postcodes: no whitespace, upper case (`ls11 5pz` = `LS115PZ` = `LS11 5PZ`).
fn postcode(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The base every test varies one field of.
    fn request() -> SearchRequest {
        crate::fhir::search::parse_str(
            "family=Fairweather&given=Oliver&gender=male&birthdate=1980-01-15&address-postalcode=LS11%205PZ",
        )
        .unwrap()
    }

    #[test]
    fn equivalent_searches_share_a_key() {
        let a = SearchKey::of(&request());
        let mut r = request();
        r.family = Some("  FAIRWEATHER ".into());
        r.given = Some("oliver".into());
        r.postcode = Some("ls115pz".into());
        r.format = Some("json".into());
        assert!(a == SearchKey::of(&r));
        let mut r = request();
        r.postcode = Some(" l s 1 1  5 p z".into());
        assert!(a == SearchKey::of(&r));
        let mut r = request();
        r.family = Some("ZOË".into());
        let mut s = request();
        s.family = Some("zoë".into());
        assert!(SearchKey::of(&r) == SearchKey::of(&s));
    }

    #[test]
    fn every_parameter_that_changes_the_answer_changes_the_key() {
        let base = request();
        let mut variants = vec![base.clone()];
        let mut r = base.clone();
        r.family = Some("Fairweathers".into());
        variants.push(r);
        let mut r = base.clone();
        r.given = None;
        variants.push(r);
        let mut r = base.clone();
        r.given = Some("Oli ver".into());
        variants.push(r);
        let mut r = base.clone();
        r.gender = Some(Gender::Female);
        variants.push(r);
        let mut r = base.clone();
        r.birth_date = PartialDate::full(1980, 1, 16).unwrap();
        variants.push(r);
        let mut r = base.clone();
        r.postcode = None;
        variants.push(r);
        let mut r = base.clone();
        r.nhs_number = Some(NhsNumber::parse("9990001006").unwrap());
        variants.push(r);
        let mut r = base.clone();
        r.identifiers_only = true;
        variants.push(r);
        let keys: HashSet<Key> = variants
            .iter()
            .map(|r| Key::Search(SearchKey::of(r)))
            .collect();
        assert_eq!(keys.len(), variants.len());
    }

    #[test]
    fn patient_keys_include_the_birth_date() {
        let n = NhsNumber::parse("9990001006").unwrap();
        let a = Key::Patient(n, PartialDate::full(1980, 1, 15).unwrap());
        let b = Key::Patient(n, PartialDate::full(1980, 1, 16).unwrap());
        assert!(a != b);
        assert_eq!(a.nhs_number(), Some(n));
        assert_eq!(Key::Number(n).nhs_number(), Some(n));
        assert_eq!(Key::Search(SearchKey::of(&request())).nhs_number(), None);
    }

    #[test]
    fn debug_never_shows_patient_data() {
        let k = Key::Search(SearchKey::of(&request()));
        let text = format!("{k:?}");
        assert!(!text.to_lowercase().contains("fairweather"), "{text}");
        let n = NhsNumber::parse("9990001006").unwrap();
        assert!(!format!("{:?}", Key::Number(n)).contains("9990001006"));
    }
}
