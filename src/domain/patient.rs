//! The patient record as SMSP's getPatientDetailsResponse can carry it (SMSP SPEC §5.3).
//! Every field except the NHS number is optional; blank and omitted are kept distinct.

use super::{Gender, NhsNumber, PartialDate};

#[derive(Clone, PartialEq, Eq)]
pub struct Patient {
    pub nhs_number: NhsNumber,
    /// The local identifier SMSP echoes as a second `id` when one was sent.
    pub local_identifier: Option<LocalIdentifier>,
    pub name: Option<PersonName>,
    pub addresses: Vec<Address>,
    pub telecoms: Vec<Telecom>,
    pub gender: Option<Gender>,
    pub birth_date: Option<PartialDate>,
    /// Date of death; SMSP may add a time (`YYYYMMDDHHMM`).
    pub deceased: Option<(PartialDate, Option<chrono::NaiveTime>)>,
    pub gp: Option<GpPractice>,
}

impl Patient {
    pub fn new(nhs_number: NhsNumber) -> Self {
        Self {
            nhs_number,
            local_identifier: None,
            name: None,
            addresses: Vec::new(),
            telecoms: Vec::new(),
            gender: None,
            birth_date: None,
            deceased: None,
            gp: None,
        }
    }

    /// SMSP has no confidentiality flag; a restricted ("S") record can only be recognised by
    /// the absence of every location field (SMSP SPEC §0.7, §8).
    pub fn looks_restricted(&self) -> bool {
        self.addresses.is_empty() && self.telecoms.is_empty() && self.gp.is_none()
    }
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Patient(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalIdentifier {
    pub root: String,
    pub extension: String,
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct PersonName {
    /// HL7 EntityNameUse code (`L` for the usual name).
    pub use_code: Option<String>,
    pub prefix: Option<String>,
    /// At most two in a response (PN.NHS.PersonNameType2).
    pub given: Vec<String>,
    pub family: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// HL7 PostalAddressUse code(s): `H`, `TMP`, `PST`, …
    pub use_code: Option<String>,
    pub postal_code: Option<String>,
    /// The five positional `streetAddressLine`s; an empty string is a blank line.
    pub lines: Vec<String>,
}

pub type AddressUse = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TelecomSystem {
    Phone,
    Email,
    Fax,
    Other,
}

/// URL schemes of telecoms (SMSP SPEC §3, TEL `@value`) and the systems they name.
const TELECOM_SCHEMES: [(&str, TelecomSystem); 3] = [
    ("tel", TelecomSystem::Phone),
    ("mailto", TelecomSystem::Email),
    ("fax", TelecomSystem::Fax),
];

impl TelecomSystem {
    /// The system a URL scheme names, compared case-insensitively (RFC 3986 §3.1); `Other` for
    /// any scheme not in the table.
    pub fn from_scheme(scheme: &str) -> Self {
        TELECOM_SCHEMES
            .iter()
            .find(|(s, _)| scheme.eq_ignore_ascii_case(s))
            .map_or(TelecomSystem::Other, |&(_, system)| system)
    }

    /// Every scheme that names a system, lower case: the vocabulary must map each (mapping).
    pub fn schemes() -> [&'static str; TELECOM_SCHEMES.len()] {
        TELECOM_SCHEMES.map(|(s, _)| s)
    }

    /// The lower-case scheme to write for this system; `tel` for `Other`.
    pub fn scheme(self) -> &'static str {
        TELECOM_SCHEMES
            .iter()
            .find(|&&(_, system)| system == self)
            .map_or("tel", |&(s, _)| s)
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Telecom {
    /// The URL scheme as sent (`tel`, `mailto`, `fax`, …); it names the system (`system`).
    pub scheme: String,
    /// The part after the scheme, trimmed; may be empty (`tel:` with no number occurs in OpenTest).
    pub value: String,
    /// HL7 TelecommunicationAddressUse codes (space-separated list in XML).
    pub use_codes: Vec<String>,
    pub periods: Vec<UseablePeriod>,
}

impl Telecom {
    /// The system the scheme names (`TelecomSystem::from_scheme`).
    pub fn system(&self) -> TelecomSystem {
        TelecomSystem::from_scheme(&self.scheme)
    }
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct UseablePeriod {
    pub low: Option<PartialDate>,
    pub high: Option<PartialDate>,
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct GpPractice {
    pub ods_code: Option<String>,
    pub ods_root: Option<String>,
    pub name: Option<String>,
    pub address: Option<Address>,
    pub telecom: Option<Telecom>,
}

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(***)"))
            }
        }
    )*};
}
redacted_debug!(PersonName, Address, Telecom, UseablePeriod, GpPractice);

#[cfg(test)]
mod tests {
    use super::TelecomSystem;

    #[test]
    fn telecom_schemes_match_case_insensitively_and_write_lower_case() {
        // RFC 3986 §3.1: schemes are case-insensitive; canonical form is lower case.
        for (scheme, system) in [
            ("tel", TelecomSystem::Phone),
            ("TEL", TelecomSystem::Phone),
            ("mailto", TelecomSystem::Email),
            ("MailTo", TelecomSystem::Email),
            ("fax", TelecomSystem::Fax),
            ("http", TelecomSystem::Other),
            ("", TelecomSystem::Other),
        ] {
            assert_eq!(TelecomSystem::from_scheme(scheme), system, "{scheme}");
        }
        assert_eq!(TelecomSystem::Phone.scheme(), "tel");
        assert_eq!(TelecomSystem::Email.scheme(), "mailto");
        assert_eq!(TelecomSystem::Fax.scheme(), "fax");
        assert_eq!(TelecomSystem::Other.scheme(), "tel");
        assert_eq!(TelecomSystem::schemes(), ["tel", "mailto", "fax"]);
    }
}
