use std::fmt;

/// PDSMiniServiceResponseCode, code system `2.16.840.1.113883.2.1.3.2.4.17.285` (SMSP SPEC §7).
/// Codes outside the known list are kept verbatim so the outcome table can still classify them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResponseCode {
    Success,
    InputValidation,
    ResponseValidation,
    LocalStore,
    SmspFailure,
    NoMatch,
    MultipleMatches,
    Superseded,
    Invalidated,
    NotVerified,
    NotNewStyle,
    SpineError,
    Other(String),
}

impl ResponseCode {
    pub const CODE_SYSTEM: &'static str = "2.16.840.1.113883.2.1.3.2.4.17.285";

    /// Every code SMSP SPEC §7 defines, in the spec's order.
    pub const KNOWN: [&'static str; 12] = [
        "SMSP-0000",
        "SMSP-0001",
        "SMSP-0002",
        "SMSP-0003",
        "SMSP-9999",
        "DEMOG-0001",
        "DEMOG-0007",
        "DEMOG-0017",
        "DEMOG-0022",
        "DEMOG-0040",
        "DEMOG-0042",
        "DEMOG-9999",
    ];

    pub fn parse(code: &str) -> Self {
        match code {
            "SMSP-0000" => Self::Success,
            "SMSP-0001" => Self::InputValidation,
            "SMSP-0002" => Self::ResponseValidation,
            "SMSP-0003" => Self::LocalStore,
            "SMSP-9999" => Self::SmspFailure,
            "DEMOG-0001" => Self::NoMatch,
            "DEMOG-0007" => Self::MultipleMatches,
            "DEMOG-0017" => Self::Superseded,
            "DEMOG-0022" => Self::Invalidated,
            "DEMOG-0040" => Self::NotVerified,
            "DEMOG-0042" => Self::NotNewStyle,
            "DEMOG-9999" => Self::SpineError,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Success => "SMSP-0000",
            Self::InputValidation => "SMSP-0001",
            Self::ResponseValidation => "SMSP-0002",
            Self::LocalStore => "SMSP-0003",
            Self::SmspFailure => "SMSP-9999",
            Self::NoMatch => "DEMOG-0001",
            Self::MultipleMatches => "DEMOG-0007",
            Self::Superseded => "DEMOG-0017",
            Self::Invalidated => "DEMOG-0022",
            Self::NotVerified => "DEMOG-0040",
            Self::NotNewStyle => "DEMOG-0042",
            Self::SpineError => "DEMOG-9999",
            Self::Other(s) => s,
        }
    }

    /// Answers that carry patient data a caller may rely on (SMSP-0003 is served from a
    /// provider's local store, so it is data but not verified against Spine).
    pub fn carries_data(&self) -> bool {
        matches!(self, Self::Success | Self::Superseded | Self::LocalStore)
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips() {
        for c in ResponseCode::KNOWN {
            let parsed = ResponseCode::parse(c);
            assert!(!matches!(parsed, ResponseCode::Other(_)), "{c}");
            assert_eq!(parsed.as_str(), c);
        }
        assert_eq!(ResponseCode::parse("XYZ-1").as_str(), "XYZ-1");
    }
}
