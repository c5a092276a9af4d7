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

#[derive(Clone, PartialEq, Eq)]
pub struct Telecom {
    pub system: TelecomSystem,
    /// The URL scheme as sent (`tel`, `mailto`, `fax`, …).
    pub scheme: String,
    /// The part after the scheme, trimmed; may be empty (`tel:` with no number occurs in OpenTest).
    pub value: String,
    /// HL7 TelecommunicationAddressUse codes (space-separated list in XML).
    pub use_codes: Vec<String>,
    pub periods: Vec<UseablePeriod>,
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
