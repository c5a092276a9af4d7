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
        // SMSP failures are logged once where they happen (bridge::smsp_failure); only the
        // bridge's own faults are logged here, so an outage does not double the log volume.
        if self.source == ErrorSource::Internal {
            tracing::warn!(
                spine_code = self.spine_code,
                status = self.status,
                "request failed inside the bridge"
            );
        }
        let mut res = fhir_json(self.status_code(), &self.outcome);
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        res
    }
}
