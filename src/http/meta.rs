//! The PDS request headers every FHIR interaction reads (PDS FHIR SPEC §3).

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use std::future::{ready, Ready};

use super::ApiError;
use crate::fhir::SpineCode;

pub const X_REQUEST_ID: &str = "X-Request-ID";
pub const X_CORRELATION_ID: &str = "X-Correlation-ID";
pub const END_USER_ODS: &str = "NHSD-End-User-Organisation-ODS";
/// Bridge-specific: the date of birth SMSP needs for a read (SMSP SPEC §0.1). Real PDS ignores
/// it, so an app that sends it keeps working after cut-over.
pub const X_SMSP_BIRTH_DATE: &str = "X-SMSP-Birth-Date";

/// The same names as `HeaderName`s. Looking a header up by `&str` parses and lower-cases the
/// name on every call; the hot paths use these instead (issue 9).
pub mod name {
    use actix_web::http::header::HeaderName;

    pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
    pub const X_CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
    pub const END_USER_ODS: HeaderName = HeaderName::from_static("nhsd-end-user-organisation-ods");
    pub const X_SMSP_BIRTH_DATE: HeaderName = HeaderName::from_static("x-smsp-birth-date");
    pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
}

/// Validated request metadata. Extracting it enforces the `X-Request-ID` rules first, as PDS
/// does (SPEC §7 "Error ordering": X-Request-ID before anything else).
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub correlation_id: Option<String>,
    /// End-user organisation ODS code, when supplied and well-formed.
    pub end_user_ods: Option<String>,
}

impl RequestMeta {
    pub fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let headers = req.headers();
        let request_id = match headers.get(name::X_REQUEST_ID) {
            None => {
                return Err(ApiError::client(
                    SpineCode::MissingValue,
                    "Invalid request with error - X-Request-ID header must be supplied to access this resource",
                ))
            }
            Some(v) => v.to_str().unwrap_or("").to_string(),
        };
        if !is_uuid(&request_id) {
            return Err(ApiError::client(
                SpineCode::InvalidValue,
                format!(
                    "Invalid value - '{}' in header 'X-Request-ID'",
                    truncate(&request_id, 64)
                ),
            ));
        }
        let correlation_id = headers
            .get(name::X_CORRELATION_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let end_user_ods = headers
            .get(name::END_USER_ODS)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| is_ods_code(v))
            .map(str::to_ascii_uppercase);
        Ok(Self {
            request_id,
            correlation_id,
            end_user_ods,
        })
    }
}

impl FromRequest for RequestMeta {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(RequestMeta::from_request(req))
    }
}

/// PDS's X-Request-ID pattern: 8-4-4-4-12 hex digits, either case (SPEC §3). Checked byte by
/// byte without allocating: it runs on every request.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// ODS codes are short upper-case alphanumerics; anything else is ignored rather than sent to
/// SMSP inside the audit identity URI.
fn is_ods_code(s: &str) -> bool {
    (3..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Diagnostics quote what the caller sent, but never unboundedly.
pub fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max_chars).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_pattern_matches_pds() {
        assert!(is_uuid("60E0B220-8136-4CA5-AE46-1D97EF59D068"));
        assert!(is_uuid("60e0b220-8136-4ca5-ae46-1d97ef59d068"));
        assert!(!is_uuid("1234"));
        assert!(!is_uuid(""));
        assert!(!is_uuid("60e0b220-8136-4ca5-ae46-1d97ef59d06g"));
        assert!(!is_uuid("60e0b2208136-4ca5-ae46-1d97-ef59d068"));
        assert!(!is_uuid("60e0b220-8136-4ca5-ae46-1d97ef59d068x"));
        assert!(!is_uuid("60e0b220-8136-4ca5-ae46+1d97ef59d068"));
        assert!(!is_uuid("60e0b220-8136-4ca5-ae4é-1d97ef59d06"));
    }

    #[test]
    fn ods_codes_are_alphanumeric() {
        assert!(is_ods_code("Y12345"));
        assert!(!is_ods_code("Y1:23"));
        assert!(!is_ods_code("AB"));
    }
}
