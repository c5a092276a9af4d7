//! `GET|POST /Patient/$verify-nhs-number` → verifyNHSNumber (SMSP SPEC §4.1), answered as a
//! FHIR `Parameters` resource.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::read::IntoHttp;
use super::{format_param, query_pairs};
use crate::bridge::{Bridge, Caller};
use crate::fhir::SpineCode;
use crate::http::meta::RequestMeta;
use crate::http::negotiate::require_json;
use crate::http::ApiError;

/// A Parameters body is a few hundred bytes; anything far larger is refused unread.
const MAX_BODY: usize = 64 * 1024;

pub async fn verify_get(req: HttpRequest, bridge: web::Data<Bridge>) -> Result<HttpResponse, ApiError> {
    let meta = RequestMeta::from_request(&req)?;
    let pairs = query_pairs(&req);
    require_json(&req, format_param(&pairs))?;
    let request = crate::fhir::verify::parse_query(&pairs).map_err(ApiError::from)?;
    let answer = bridge.verify(request, &Caller::from_meta(&meta)).await?;
    Ok(answer.into_response())
}

pub async fn verify_post(
    req: HttpRequest,
    mut payload: web::Payload,
    bridge: web::Data<Bridge>,
) -> Result<HttpResponse, ApiError> {
    let meta = RequestMeta::from_request(&req)?;
    require_json(&req, format_param(&query_pairs(&req)))?;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::client(SpineCode::InvalidValue, "The request body could not be read")
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::client(
                SpineCode::InvalidValue,
                format!("The request body exceeds {MAX_BODY} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let request = crate::fhir::verify::parse_parameters(&body).map_err(ApiError::from)?;
    let answer = bridge.verify(request, &Caller::from_meta(&meta)).await?;
    Ok(answer.into_response())
}
