//! Response headers PDS sets on every answer, errors included (PDS FHIR SPEC §3): the request
//! and correlation ids mirrored, `Cache-Control: no-store`; plus one log line per request that
//! names only the route pattern, status and latency.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::middleware::Next;
use actix_web::Error;
use std::time::Instant;
use tracing::Instrument;

use super::meta::{is_uuid, name};

pub async fn echo_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req.headers().get(name::X_REQUEST_ID).cloned();
    let correlation_id = req
        .headers()
        .get(name::X_CORRELATION_ID)
        .filter(|v| !v.is_empty())
        .cloned();
    // Only a well-formed id goes into the log span: anything else is caller-controlled text.
    // The fields are evaluated only when the span is enabled (tracing's macros are lazy).
    let span = tracing::info_span!(
        "request",
        request_id = %request_id
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_uuid(v))
            .unwrap_or("-"),
        method = %req.method()
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let headers = res.headers_mut();
    if let Some(v) = request_id {
        headers.insert(name::X_REQUEST_ID, v);
    }
    if let Some(v) = correlation_id {
        headers.insert(name::X_CORRELATION_ID, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    span.in_scope(|| {
        tracing::info!(
            route = super::route::pattern(res.request()).unwrap_or("unmatched"),
            status = res.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request completed"
        )
    });
    Ok(res)
}
