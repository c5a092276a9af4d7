//! `GET|POST /Patient/$verify-nhs-number` → verifyNHSNumber (SMSP SPEC §4.1), answered as a
//! FHIR `Parameters` resource.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::{format_param, query_pairs};
use crate::bridge::{AuditFacts, PatientService};
use crate::fhir::{SpineCode, VerifyRequest};
use crate::http::caller::{caller, record};
use crate::http::meta::RequestMeta;
use crate::http::negotiate::require_json;
use crate::http::respond::answer_response;
use crate::http::ApiError;

/// A Parameters body is a few hundred bytes; anything far larger is refused unread.
const MAX_BODY: usize = 64 * 1024;

pub async fn verify_get(
    req: HttpRequest,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    let parsed = crate::fhir::verify::parse_query(&pairs).map_err(ApiError::from);
    let facts = || AuditFacts::new("verify", pairs.clone());
    run(&req, &pairs, facts, parsed, service).await
}

pub async fn verify_post(
    req: HttpRequest,
    payload: web::Payload,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    // A body that could not be read is audited as empty.
    let (parsed, body) = match read_body(payload).await {
        Ok(b) => (
            crate::fhir::verify::parse_parameters(&b).map_err(ApiError::from),
            b,
        ),
        Err(e) => (Err(e), Vec::new()),
    };
    let facts = || {
        let text = String::from_utf8_lossy(&body).into_owned();
        AuditFacts::new("verify", vec![("body".to_string(), text)])
    };
    run(&req, &pairs, facts, parsed, service).await
}

async fn run(
    req: &HttpRequest,
    pairs: &[(String, String)],
    facts: impl FnOnce() -> AuditFacts,
    parsed: Result<VerifyRequest, ApiError>,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    let result = async {
        // X-Request-ID is checked before the parameters, as for every PDS interaction.
        let meta = RequestMeta::from_request(req)?;
        require_json(req, format_param(pairs))?;
        let request = parsed?;
        service.verify(request, &caller(req, &meta)).await
    }
    .await;
    Ok(answer_response(record(req, facts, result)?))
}

async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::client(
                SpineCode::InvalidValue,
                "The request body could not be read",
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::client(
                SpineCode::InvalidValue,
                format!("The request body exceeds {MAX_BODY} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
