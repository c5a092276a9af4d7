//! FHIR JSON responses: `Content-Type: application/fhir+json` on everything (PDS FHIR SPEC §3).

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use bytes::Bytes;

pub const FHIR_JSON: &str = "application/fhir+json";

pub fn fhir_json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => fhir_bytes(status, Bytes::from(bytes)),
        // Serialising our own model cannot fail in practice; never answer with a bare 500.
        Err(_) => HttpResponse::InternalServerError()
            .insert_header((header::CONTENT_TYPE, FHIR_JSON))
            .body(r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}"#),
    }
}

pub fn fhir_bytes(status: StatusCode, body: Bytes) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, FHIR_JSON))
        .body(body)
}

/// An `Answer` as sent: its bytes untouched, plus `X-Cache` and any caveat as `Warning`.
pub fn answer_response(answer: crate::bridge::Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = fhir_bytes(status, answer.body);
    let headers = res.headers_mut();
    headers.insert(
        super::meta::name::X_CACHE,
        header::HeaderValue::from_static(answer.cache.as_str()),
    );
    if let Some(w) = answer.warning {
        // RFC 7234 warn-code 199 "miscellaneous warning"; the text is ours, never the caller's.
        if let Ok(v) = header::HeaderValue::from_str(&format!("199 smsp-bridge \"{w}\"")) {
            headers.insert(header::WARNING, v);
        }
    }
    res
}
