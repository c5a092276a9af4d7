/// Administrative gender in SMSP's "Sex" vocabulary `2.16.840.1.113883.2.1.3.2.4.16.25`
/// (SMSP SPEC §0.3). The FHIR names for these live in `mappings/vocabulary.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    NotKnown,
    Male,
    Female,
    NotSpecified,
}

impl Gender {
    pub const CODE_SYSTEM: &'static str = "2.16.840.1.113883.2.1.3.2.4.16.25";

    pub fn code(self) -> &'static str {
        match self {
            Gender::NotKnown => "0",
            Gender::Male => "1",
            Gender::Female => "2",
            Gender::NotSpecified => "9",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "0" => Some(Gender::NotKnown),
            "1" => Some(Gender::Male),
            "2" => Some(Gender::Female),
            "9" => Some(Gender::NotSpecified),
            _ => None,
        }
    }
}
