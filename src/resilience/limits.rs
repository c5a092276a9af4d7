//! Limits at the HTTP edge (issue 8 "Limits: request line, header and query sizes … all → clean
//! 4xx OperationOutcome"). actix's own limits answer with a bare status and no body (431 past 96
//! headers or a 128 KiB request head; they bypass every middleware), so this middleware applies
//! tighter, configurable limits first and answers each breach as PDS-shaped JSON:
//!
//! | breach | status | Spine code |
//! |---|---|---|
//! | request target (path + query) over `max_uri_bytes` | 414 | INVALID_VALUE |
//! | query string over `max_query_bytes` | 414 | INVALID_VALUE |
//! | more than `max_header_count` headers | 431 | INVALID_VALUE |
//! | header names + values over `max_header_bytes` | 431 | INVALID_VALUE |
//! | `Content-Length` over `max_body_bytes` | 413 | INVALID_VALUE |
//!
//! INVALID_VALUE because it is the code PDS clients handle for "your request is unacceptable";
//! the HTTP status says which limit. Diagnostics name the limit, never echo the request.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;

use super::settings::HttpLimits;
use crate::bridge::ApiError;
use crate::fhir::SpineCode;

/// The middleware: `App::wrap(Limits::new(&settings.resilience.limits))`.
#[derive(Clone)]
pub struct Limits(Arc<HttpLimits>);

impl Limits {
    pub fn new(limits: &HttpLimits) -> Self {
        Self(Arc::new(limits.clone()))
    }
}

/// The first limit `req` breaks, as the error to answer with.
pub fn breach(limits: &HttpLimits, req: &HttpRequest) -> Option<ApiError> {
    let too_large = |status: u16, what: &str, limit: usize| {
        let mut e = ApiError::client(
            SpineCode::InvalidValue,
            format!("Invalid request - {what} exceeds the limit of {limit}"),
        );
        e.status = status;
        e
    };
    let uri_len = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().len(), |pq| pq.as_str().len());
    if uri_len > limits.max_uri_bytes {
        return Some(too_large(
            414,
            "the request target (path and query, in bytes)",
            limits.max_uri_bytes,
        ));
    }
    if req.query_string().len() > limits.max_query_bytes {
        return Some(too_large(
            414,
            "the query string (in bytes)",
            limits.max_query_bytes,
        ));
    }
    let headers = req.headers();
    if headers.len() > limits.max_header_count {
        return Some(too_large(
            431,
            "the number of request headers",
            limits.max_header_count,
        ));
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > limits.max_header_bytes {
        return Some(too_large(
            431,
            "the size of the request headers (in bytes)",
            limits.max_header_bytes,
        ));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Some(too_large(
            413,
            "the request body (in bytes)",
            limits.max_body_bytes,
        ));
    }
    None
}

impl<S, B> Transform<S, ServiceRequest> for Limits
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = LimitsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(LimitsService {
            service,
            limits: Arc::clone(&self.0),
        }))
    }
}

pub struct LimitsService<S> {
    service: S,
    limits: Arc<HttpLimits>,
}

impl<S, B> Service<ServiceRequest> for LimitsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if let Some(err) = breach(&self.limits, req.request()) {
            let res = req
                .into_response(err.error_response())
                .map_into_right_body();
            return Box::pin(async move { Ok(res) });
        }
        let fut = self.service.call(req);
        Box::pin(async move { fut.await.map(ServiceResponse::map_into_left_body) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn limits() -> HttpLimits {
        HttpLimits {
            max_uri_bytes: 100,
            max_query_bytes: 50,
            max_header_count: 5,
            max_header_bytes: 200,
            max_body_bytes: 1_000,
        }
    }

    fn status(req: TestRequest) -> Option<u16> {
        breach(&limits(), &req.to_http_request()).map(|e| e.status)
    }

    #[test]
    fn each_limit_has_its_status() {
        assert_eq!(status(TestRequest::get().uri("/Patient?family=x")), None);
        let long_path = format!("/{}", "a".repeat(100));
        assert_eq!(status(TestRequest::get().uri(&long_path)), Some(414));
        let long_query = format!("/P?{}", "a".repeat(51));
        assert_eq!(status(TestRequest::get().uri(&long_query)), Some(414));
        let mut many = TestRequest::get().uri("/P");
        for i in 0..6 {
            many = many.insert_header((format!("x-h{i}"), "v"));
        }
        assert_eq!(status(many), Some(431));
        let big = TestRequest::get()
            .uri("/P")
            .insert_header(("x-big", "v".repeat(200)));
        assert_eq!(status(big), Some(431));
        let body = TestRequest::post()
            .uri("/P")
            .insert_header(("content-length", "1001"));
        assert_eq!(status(body), Some(413));
        let ok_body = TestRequest::post()
            .uri("/P")
            .insert_header(("content-length", "1000"));
        assert_eq!(status(ok_body), None);
    }

    #[test]
    fn the_answer_is_a_pds_operation_outcome_that_echoes_nothing() {
        let long_query = format!("/P?family={}", "secret%3C".repeat(10));
        let err = breach(
            &limits(),
            &TestRequest::get().uri(&long_query).to_http_request(),
        )
        .expect("breach");
        assert_eq!(err.spine_code, "INVALID_VALUE");
        let json = serde_json::to_string(&err.outcome).unwrap();
        assert!(!json.contains("secret"), "{json}");
        assert!(json.contains("exceeds the limit of 50"), "{json}");
    }
}
