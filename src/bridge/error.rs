//! The one error type of the FHIR boundary. Every failure — the caller's, SMSP's or ours — ends
//! as a PDS-shaped OperationOutcome with a status, and knows its source and whether a retry
//! could succeed (so later layers — retries, metrics — need not re-derive it).

use crate::fhir::{Coding, OperationOutcome, SpineCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    /// The request was wrong; retrying the same request cannot help.
    Client,
    /// SMSP answered with a failure, or could not be reached.
    Smsp,
    /// A fault in the bridge itself.
    Internal,
}

impl ErrorSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSource::Client => "client",
            ErrorSource::Smsp => "smsp",
            ErrorSource::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub outcome: OperationOutcome,
    /// Seconds for a `Retry-After` header (PDS sends 5 with SERVICE_UNAVAILABLE).
    pub retry_after: Option<u32>,
    pub source: ErrorSource,
    pub retryable: bool,
    /// The Spine code, kept for logs and metrics (never the diagnostics, which quote input).
    pub spine_code: &'static str,
    /// The SMSP exchange behind the failure, if one was attempted (audit trail).
    pub smsp: Option<super::SmspTrace>,
}

impl ApiError {
    /// A request error as PDS reports it.
    pub fn client(code: SpineCode, diagnostics: impl Into<String>) -> Self {
        Self::from_spine(code, Some(diagnostics.into()), None, ErrorSource::Client)
    }

    /// A request error with PDS's standard (or no) diagnostics.
    pub fn client_plain(code: SpineCode) -> Self {
        Self::from_spine(code, None, None, ErrorSource::Client)
    }

    pub fn internal(diagnostics: impl Into<String>) -> Self {
        Self::from_spine(
            SpineCode::UnknownError,
            Some(diagnostics.into()),
            None,
            ErrorSource::Internal,
        )
    }

    pub fn from_spine(
        code: SpineCode,
        diagnostics: Option<String>,
        origin: Option<Coding>,
        source: ErrorSource,
    ) -> Self {
        Self {
            status: code.http_status(),
            outcome: OperationOutcome::from_spine(code, diagnostics, origin),
            retry_after: code.retry_after(),
            source,
            retryable: false,
            spine_code: code.code(),
            smsp: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} error, HTTP {})",
            self.spine_code,
            self.source.as_str(),
            self.status
        )
    }
}

impl std::error::Error for ApiError {}

impl From<crate::fhir::RequestError> for ApiError {
    fn from(e: crate::fhir::RequestError) -> Self {
        ApiError::from_spine(e.code, e.diagnostics, None, ErrorSource::Client)
    }
}
