//! Content negotiation: PDS answers JSON only (PDS FHIR SPEC §1), so an explicit request for
//! XML — by `_format` or by an `Accept` header that admits no JSON — is refused with 406.

use actix_web::http::header::ACCEPT;
use actix_web::HttpRequest;

use super::ApiError;
use crate::fhir::SpineCode;

pub fn require_json(req: &HttpRequest, format_param: Option<&str>) -> Result<(), ApiError> {
    if let Some(format) = format_param {
        if !is_json_type(format) {
            return Err(not_acceptable());
        }
    }
    let Some(accept) = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let acceptable = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim())
        .any(|t| t.is_empty() || is_json_type(t) || matches!(t, "*/*" | "application/*"));
    if acceptable {
        Ok(())
    } else {
        Err(not_acceptable())
    }
}

fn is_json_type(t: &str) -> bool {
    matches!(
        t.to_ascii_lowercase().as_str(),
        "json" | "application/json" | "application/fhir+json" | "application/json+fhir"
    )
}

fn not_acceptable() -> ApiError {
    ApiError::client(
        SpineCode::NotAcceptable,
        "This service answers in FHIR JSON only (application/fhir+json); XML is not supported",
    )
}
