//! Renders `ApiError` as the HTTP response PDS would send.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

pub use crate::bridge::{ApiError, ErrorSource};

use super::respond::fhir_json;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if self.source != ErrorSource::Client {
            tracing::warn!(
                spine_code = self.spine_code,
                source = self.source.as_str(),
                status = self.status,
                "request failed"
            );
        }
        let mut res = fhir_json(self.status_code(), &self.outcome);
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        res
    }
}
