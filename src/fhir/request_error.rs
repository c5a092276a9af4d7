//! A request the bridge refuses before calling SMSP, as PDS would word it (PDS FHIR SPEC §7).

use super::operation_outcome::OperationOutcome;
use super::spine_code::SpineCode;

/// Longest echo of a caller's value in diagnostics; longer values are cut and marked `...`.
pub const MAX_ECHO_CHARS: usize = 100;

#[derive(Clone, PartialEq, Eq)]
pub struct RequestError {
    pub code: SpineCode,
    /// May echo the caller's values (as PDS does): send it to the caller, never to a log.
    pub diagnostics: Option<String>,
}

impl RequestError {
    pub fn new(code: SpineCode, diagnostics: impl Into<String>) -> Self {
        Self {
            code,
            diagnostics: Some(diagnostics.into()),
        }
    }

    /// An error PDS sends without diagnostics (e.g. UNSUPPORTED_SERVICE).
    pub fn bare(code: SpineCode) -> Self {
        Self {
            code,
            diagnostics: None,
        }
    }

    /// PDS's `Invalid value - '<v>' in field '<field>'`.
    pub fn invalid_value(value: &str, field: &str) -> Self {
        Self::new(
            SpineCode::InvalidValue,
            format!("Invalid value - '{}' in field '{field}'", echo(value)),
        )
    }

    /// PDS's `Missing value - '<field>'`.
    pub fn missing_value(field: &str) -> Self {
        Self::new(
            SpineCode::MissingValue,
            format!("Missing value - '{field}'"),
        )
    }

    /// PDS's `Invalid search data provided - '<reason>'`.
    pub fn invalid_search_data(reason: &str) -> Self {
        Self::new(
            SpineCode::InvalidSearchData,
            format!("Invalid search data provided - '{reason}'"),
        )
    }

    /// A parameter PDS accepts but SMSP cannot serve (SMSP SPEC §0.4, §0.5, §11).
    pub fn not_servable(parameter: &str, why: &str) -> Self {
        Self::new(
            SpineCode::InvalidSearchData,
            format!(
                "Parameter '{}' cannot be served by SMSP: {why}",
                echo(parameter)
            ),
        )
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    pub fn to_outcome(&self) -> OperationOutcome {
        OperationOutcome::from_spine(self.code, self.diagnostics.clone(), None)
    }
}

/// Only the code: diagnostics may hold patient data.
impl std::fmt::Debug for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestError({})", self.code.name())
    }
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request refused: {}", self.code.name())
    }
}

impl std::error::Error for RequestError {}

/// A caller's value, cut to `MAX_ECHO_CHARS` characters. JSON escaping is serde's job.
pub fn echo(value: &str) -> String {
    match value.char_indices().nth(MAX_ECHO_CHARS) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_truncates_on_char_boundaries() {
        assert_eq!(echo("abc"), "abc");
        let long = "é".repeat(150);
        let e = echo(&long);
        assert_eq!(e.chars().count(), MAX_ECHO_CHARS + 3);
        assert!(e.ends_with("..."));
    }

    #[test]
    fn pds_wordings() {
        let e = RequestError::invalid_value("mal", "gender");
        assert_eq!(
            e.diagnostics.as_deref(),
            Some("Invalid value - 'mal' in field 'gender'")
        );
        assert_eq!(e.http_status(), 400);
        assert!(!format!("{e:?}").contains("mal"));
        let oo = e.to_outcome();
        assert_eq!(oo.spine_code(), Some("INVALID_VALUE"));
    }
}
