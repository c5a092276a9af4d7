//! Code translations between SMSP's HL7 V3 vocabularies and PDS FHIR, read from
//! `mappings/vocabulary.toml` (embedded default) and checked when loaded.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::{Gender, TelecomSystem};

/// The embedded default table.
pub const EMBEDDED_VOCABULARY: &str = include_str!("../../mappings/vocabulary.toml");

/// Values PDS allows (PDS FHIR SPEC §6, `schemas/*.yaml` enums).
pub const FHIR_GENDERS: [&str; 4] = ["male", "female", "other", "unknown"];
pub const FHIR_NAME_USES: [&str; 5] = ["usual", "temp", "nickname", "old", "maiden"];
pub const FHIR_ADDRESS_USES: [&str; 4] = ["home", "work", "temp", "billing"];
pub const FHIR_TELECOM_SYSTEMS: [&str; 4] = ["phone", "fax", "email", "other"];
pub const FHIR_TELECOM_USES: [&str; 4] = ["home", "work", "temp", "mobile"];

/// Codes each table must cover (SMSP SPEC §5.3, §6, §9).
const REQUIRED_NAME_USES: [&str; 1] = ["L"];
const REQUIRED_ADDRESS_USES: [&str; 3] = ["H", "TMP", "PST"];
const REQUIRED_TELECOM_USES: [&str; 8] = ["H", "HP", "HV", "WP", "AS", "EC", "PG", "MC"];
const SMSP_GENDERS: [Gender; 4] = [
    Gender::NotKnown,
    Gender::Male,
    Gender::Female,
    Gender::NotSpecified,
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    name_use_default: String,
    gender: RawGender,
    name_use: BTreeMap<String, String>,
    address_use: BTreeMap<String, String>,
    telecom_system: BTreeMap<String, String>,
    telecom_use: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGender {
    fhir_to_smsp: BTreeMap<String, String>,
    smsp_to_fhir: BTreeMap<String, String>,
}

/// A checked vocabulary. Every lookup is total over what the checks guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    name_use_default: String,
    gender_from_fhir: BTreeMap<String, Gender>,
    gender_to_fhir: BTreeMap<&'static str, String>,
    name_use: BTreeMap<String, String>,
    address_use: BTreeMap<String, String>,
    telecom_system: BTreeMap<String, String>,
    telecom_use: BTreeMap<String, String>,
}

impl Vocabulary {
    /// Parses and checks a vocabulary file; `Err` lists every problem found.
    pub fn parse(text: &str, source: &str) -> Result<Self, Vec<String>> {
        let raw: RawVocabulary =
            toml::from_str(text).map_err(|e| vec![format!("{source}: {}", e.message())])?;
        let mut problems = Vec::new();
        let mut p = |msg: String| problems.push(format!("{source}: {msg}"));

        let mut gender_from_fhir = BTreeMap::new();
        for fhir in FHIR_GENDERS {
            match raw.gender.fhir_to_smsp.get(fhir) {
                None => p(format!("[gender.fhir_to_smsp] has no row for FHIR gender '{fhir}'")),
                Some(code) => match Gender::from_code(code) {
                    Some(g) => {
                        gender_from_fhir.insert(fhir.to_string(), g);
                    }
                    None => p(format!(
                        "[gender.fhir_to_smsp] '{fhir}' = '{code}' is not an SMSP Sex code (0, 1, 2, 9)"
                    )),
                },
            }
        }
        for extra in raw.gender.fhir_to_smsp.keys() {
            if !FHIR_GENDERS.contains(&extra.as_str()) {
                p(format!(
                    "[gender.fhir_to_smsp] '{extra}' is not a FHIR gender"
                ));
            }
        }
        let mut gender_to_fhir = BTreeMap::new();
        for g in SMSP_GENDERS {
            match raw.gender.smsp_to_fhir.get(g.code()) {
                None => p(format!(
                    "[gender.smsp_to_fhir] has no row for SMSP code '{}'",
                    g.code()
                )),
                Some(fhir) if !FHIR_GENDERS.contains(&fhir.as_str()) => p(format!(
                    "[gender.smsp_to_fhir] '{}' = '{fhir}' is not a FHIR gender",
                    g.code()
                )),
                Some(fhir) => {
                    gender_to_fhir.insert(g.code(), fhir.clone());
                }
            }
        }
        for extra in raw.gender.smsp_to_fhir.keys() {
            if Gender::from_code(extra).is_none() {
                p(format!(
                    "[gender.smsp_to_fhir] '{extra}' is not an SMSP Sex code"
                ));
            }
        }
        if !FHIR_NAME_USES.contains(&raw.name_use_default.as_str()) {
            p(format!(
                "name_use_default = '{}' is not a PDS name use",
                raw.name_use_default
            ));
        }
        check_map(
            &mut p,
            "name_use",
            &raw.name_use,
            &REQUIRED_NAME_USES,
            &FHIR_NAME_USES,
            false,
        );
        check_map(
            &mut p,
            "address_use",
            &raw.address_use,
            &REQUIRED_ADDRESS_USES,
            &FHIR_ADDRESS_USES,
            false,
        );
        check_map(
            &mut p,
            "telecom_system",
            &raw.telecom_system,
            // The schemes the SMSP parser and builder know (domain::TelecomSystem).
            &TelecomSystem::schemes(),
            &FHIR_TELECOM_SYSTEMS,
            false,
        );
        check_map(
            &mut p,
            "telecom_use",
            &raw.telecom_use,
            &REQUIRED_TELECOM_USES,
            &FHIR_TELECOM_USES,
            true,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            name_use_default: raw.name_use_default,
            gender_from_fhir,
            gender_to_fhir,
            name_use: raw.name_use,
            address_use: raw.address_use,
            telecom_system: raw.telecom_system,
            telecom_use: raw.telecom_use,
        })
    }

    /// The embedded default, parsed once. Its validity is a unit test, so this cannot fail in
    /// a released build.
    pub fn embedded() -> &'static Vocabulary {
        static EMBEDDED: OnceLock<Vocabulary> = OnceLock::new();
        EMBEDDED.get_or_init(|| {
            Vocabulary::parse(EMBEDDED_VOCABULARY, "embedded vocabulary.toml")
                .expect("the embedded vocabulary is checked by unit tests")
        })
    }

    /// FHIR `gender` search value → SMSP Sex code; `None` when the value is not a FHIR gender.
    pub fn gender_from_fhir(&self, fhir: &str) -> Option<Gender> {
        self.gender_from_fhir.get(fhir).copied()
    }

    /// SMSP Sex code → FHIR `Patient.gender`.
    pub fn gender_to_fhir(&self, gender: Gender) -> &str {
        self.gender_to_fhir
            .get(gender.code())
            .map(String::as_str)
            .expect("checked at load: every SMSP gender has a row")
    }

    /// HL7 EntityNameUse → HumanName.use; absent or unlisted codes give the default.
    pub fn name_use(&self, code: Option<&str>) -> &str {
        code.and_then(|c| self.name_use.get(c))
            .unwrap_or(&self.name_use_default)
    }

    /// HL7 PostalAddressUse code(s) (space-separated) → Address.use: the first listed one.
    pub fn address_use(&self, codes: Option<&str>) -> Option<&str> {
        codes?
            .split_whitespace()
            .find_map(|c| self.address_use.get(c))
            .map(String::as_str)
    }

    /// Telecom URL scheme → ContactPoint.system; `None` for a scheme not in the table.
    pub fn telecom_system(&self, scheme: &str) -> Option<&str> {
        // Schemes are case-insensitive (RFC 3986 §3.1) and the table's keys lower case; they
        // nearly always arrive lower case, so that is only copied when it must be.
        let lower: std::borrow::Cow<'_, str> = if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            scheme.to_ascii_lowercase().into()
        } else {
            scheme.into()
        };
        self.telecom_system.get(&*lower).map(String::as_str)
    }

    /// Telecom use codes → ContactPoint.use: the first code mapping to a non-empty use.
    pub fn telecom_use<'a>(&self, codes: impl IntoIterator<Item = &'a str>) -> Option<&str> {
        codes
            .into_iter()
            .flat_map(str::split_whitespace)
            .filter_map(|c| self.telecom_use.get(c))
            .find(|u| !u.is_empty())
            .map(String::as_str)
    }
}

/// Checks one `code → FHIR value` table: required codes present, values allowed by PDS.
fn check_map(
    p: &mut impl FnMut(String),
    table: &str,
    map: &BTreeMap<String, String>,
    required: &[&str],
    allowed: &[&str],
    empty_allowed: bool,
) {
    for code in required {
        if !map.contains_key(*code) {
            p(format!("[{table}] has no row for SMSP code '{code}'"));
        }
    }
    for (code, value) in map {
        let ok = allowed.contains(&value.as_str()) || (empty_allowed && value.is_empty());
        if !ok {
            p(format!(
                "[{table}] '{code}' = '{value}' is not one of {}",
                allowed.join(" | ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_vocabulary_is_valid_and_maps_as_documented() {
        let v = Vocabulary::parse(EMBEDDED_VOCABULARY, "embedded").unwrap();
        assert_eq!(v.gender_from_fhir("male"), Some(Gender::Male));
        assert_eq!(v.gender_from_fhir("female"), Some(Gender::Female));
        assert_eq!(v.gender_from_fhir("other"), Some(Gender::NotSpecified));
        assert_eq!(v.gender_from_fhir("unknown"), Some(Gender::NotKnown));
        assert_eq!(v.gender_from_fhir("mal"), None);
        for g in SMSP_GENDERS {
            assert_eq!(
                v.gender_from_fhir(v.gender_to_fhir(g)),
                Some(g),
                "round trip {g:?}"
            );
        }
        assert_eq!(v.name_use(Some("L")), "usual");
        assert_eq!(v.name_use(None), "usual");
        assert_eq!(v.name_use(Some("XYZ")), "usual");
        assert_eq!(v.address_use(Some("H")), Some("home"));
        assert_eq!(v.address_use(Some("TMP")), Some("temp"));
        assert_eq!(v.address_use(Some("PST")), Some("billing"));
        assert_eq!(v.address_use(Some("BAD H")), Some("home"));
        assert_eq!(v.address_use(Some("BAD")), None);
        assert_eq!(v.address_use(None), None);
        assert_eq!(v.telecom_system("tel"), Some("phone"));
        assert_eq!(v.telecom_system("mailto"), Some("email"));
        assert_eq!(v.telecom_system("fax"), Some("fax"));
        assert_eq!(v.telecom_system("sip"), None);
        assert_eq!(v.telecom_use(["H"]), Some("home"));
        assert_eq!(v.telecom_use(["HP"]), Some("home"));
        assert_eq!(v.telecom_use(["WP"]), Some("work"));
        assert_eq!(v.telecom_use(["MC"]), Some("mobile"));
        assert_eq!(v.telecom_use(["PG"]), Some("mobile"));
        assert_eq!(v.telecom_use(["HV"]), Some("temp"));
        assert_eq!(v.telecom_use(["EC"]), None);
        assert_eq!(v.telecom_use(["AS", "WP"]), Some("work"));
        assert_eq!(v.telecom_use(["EC MC"]), Some("mobile"));
        assert_eq!(v.telecom_use([]), None);
        assert_eq!(Vocabulary::embedded(), &v);
    }

    #[test]
    fn a_broken_vocabulary_lists_every_problem() {
        let text = r#"
name_use_default = "official"
[gender.fhir_to_smsp]
male = "1"
female = "F"
other = "9"
[gender.smsp_to_fhir]
"0" = "unknown"
"1" = "male"
"2" = "woman"
[name_use]
[address_use]
H = "home"
PST = "correspondence"
[telecom_system]
tel = "phone"
mailto = "email"
fax = "fax"
[telecom_use]
H = "home"
"#;
        let problems = Vocabulary::parse(text, "broken.toml").unwrap_err();
        let all = problems.join("\n");
        for needle in [
            "no row for FHIR gender 'unknown'",
            "'female' = 'F' is not an SMSP Sex code",
            "'2' = 'woman' is not a FHIR gender",
            "no row for SMSP code '9'",
            "name_use_default = 'official'",
            "[name_use] has no row for SMSP code 'L'",
            "[address_use] has no row for SMSP code 'TMP'",
            "'PST' = 'correspondence'",
            "[telecom_use] has no row for SMSP code 'MC'",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert!(problems.iter().all(|p| p.starts_with("broken.toml: ")));
    }

    #[test]
    fn syntax_errors_and_unknown_keys_are_reported() {
        let e = Vocabulary::parse("this is not toml", "x.toml").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("x.toml: "));
        let with_typo = EMBEDDED_VOCABULARY.replace("[telecom_use]", "[telecom_uses]");
        assert!(Vocabulary::parse(&with_typo, "t").is_err());
    }
}
