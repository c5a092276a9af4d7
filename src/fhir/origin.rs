//! The second coding of a bridge OperationOutcome: what SMSP (or the path to it) actually said.
//! Three systems, one per kind of outcome key (`mappings/outcomes.toml`):
//!
//! | key | system | codes |
//! |---|---|---|
//! | `SMSP-0000`, `DEMOG-0001`, … | `urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285` (PDSMiniServiceResponseCode, SMSP SPEC §7) | the response code |
//! | `itk-1000`, … | `urn:oid:2.16.840.1.113883.2.1.3.2.4.17.268` (ITK error codes, SMSP SPEC §2.6) | `1000`, `2100`, `2200`, `3000` |
//! | `transport-*` | `https://github.com/smsp-bridge/CodeSystem/transport-failure` (**the bridge's own**) | `connect`, `tls`, `timeout`, `io`, `http-status`, `malformed`, `oversize`, `circuit-open`, `overloaded` |
//!
//! Displays are the vocabularies' own texts; they are facts of SMSP, not mapping choices, so
//! they live here rather than in the overridable tables.

use super::datatypes::Coding;
use crate::domain::ResponseCode;

pub const RESPONSE_CODE_SYSTEM: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285";
pub const ITK_ERROR_SYSTEM: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.268";
pub const TRANSPORT_FAILURE_SYSTEM: &str =
    "https://github.com/smsp-bridge/CodeSystem/transport-failure";

/// PDSMiniServiceResponseCode display names (SMSP SPEC §7, "Display (vocabulary)"; the
/// vocabulary's own spelling "Superceding" is kept).
pub fn response_code_display(code: &str) -> Option<&'static str> {
    Some(match code {
        "SMSP-0000" => "Success",
        "SMSP-0001" => "Input message validation error",
        "SMSP-0002" => "Response message validation error",
        "SMSP-0003" => "Data returned from local store, Spine unavailable",
        "SMSP-9999" => "Generic Spine Mini Service Provider software failure",
        "DEMOG-0001" => "No Match",
        "DEMOG-0007" => "Multiple matches found",
        "DEMOG-0017" => "Superceding NHS number returned",
        "DEMOG-0022" => "NHS Number of response record has been invalidated",
        "DEMOG-0040" => "NHS number not verified",
        "DEMOG-0042" => "NHS Number is not a new style number",
        "DEMOG-9999" => "Generic Spine Service Error",
        _ => return None,
    })
}

/// ITK error code meanings (SMSP SPEC §2.6).
pub fn itk_display(code: &str) -> Option<&'static str> {
    Some(match code {
        "1000" => "Invalid Message",
        "2100" => "Processing Error, retryable",
        "2200" => "Processing Error, not retryable",
        "3000" => "Access Denied",
        _ => return None,
    })
}

/// The bridge's transport-failure codes (one per `SmspError` class).
pub fn transport_display(code: &str) -> Option<&'static str> {
    Some(match code {
        "connect" => "Could not connect to SMSP",
        "tls" => "TLS failure talking to SMSP",
        "timeout" => "SMSP did not answer in time",
        "io" => "SMSP connection failed mid-exchange",
        "http-status" => "SMSP answered with an HTTP error status",
        "malformed" => "SMSP answer could not be understood",
        "oversize" => "SMSP answer exceeded the size limit",
        "circuit-open" => "SMSP not called: circuit breaker open after repeated failures",
        "overloaded" => "SMSP not called: too many SMSP calls in flight",
        _ => return None,
    })
}

fn coding(system: &str, code: &str, display: Option<&str>) -> Coding {
    Coding {
        system: Some(system.into()),
        version: None,
        code: Some(code.into()),
        display: display.map(str::to_string),
    }
}

/// The coding for an outcome key: a response code, `itk-<code>` or `transport-<class>`
/// (`SmspError::outcome_key`). Unknown codes keep their code and get no display.
pub fn origin_coding(key: &str) -> Coding {
    if let Some(code) = key.strip_prefix("itk-") {
        coding(ITK_ERROR_SYSTEM, code, itk_display(code))
    } else if let Some(code) = key.strip_prefix("transport-") {
        coding(TRANSPORT_FAILURE_SYSTEM, code, transport_display(code))
    } else {
        coding(RESPONSE_CODE_SYSTEM, key, response_code_display(key))
    }
}

/// The coding for an SMSP response code.
pub fn response_code_coding(code: &ResponseCode) -> Coding {
    origin_coding(code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_response_code_has_a_display() {
        for c in ResponseCode::KNOWN {
            assert!(response_code_display(c).is_some(), "{c}");
        }
    }

    #[test]
    fn keys_pick_their_system() {
        let c = origin_coding("DEMOG-0017");
        assert_eq!(c.system.as_deref(), Some(RESPONSE_CODE_SYSTEM));
        assert_eq!(
            c.display.as_deref(),
            Some("Superceding NHS number returned")
        );
        let c = origin_coding("itk-2100");
        assert_eq!(c.system.as_deref(), Some(ITK_ERROR_SYSTEM));
        assert_eq!(c.code.as_deref(), Some("2100"));
        let c = origin_coding("transport-timeout");
        assert_eq!(c.system.as_deref(), Some(TRANSPORT_FAILURE_SYSTEM));
        assert_eq!(c.code.as_deref(), Some("timeout"));
        let c = origin_coding("XYZ-1");
        assert_eq!(c.display, None);
        assert_eq!(
            response_code_coding(&ResponseCode::NoMatch).code.as_deref(),
            Some("DEMOG-0001")
        );
    }
}
