//! Every way a call to SMSP can fail, classified by cause and retryability (pingora-style:
//! each error knows where it came from and whether trying again can help).

use super::ToolkitFault;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SmspError {
    /// TCP connection could not be made (refused, unreachable, DNS).
    #[error("could not connect to SMSP: {0}")]
    Connect(String),
    /// TLS handshake or certificate failure (wrong CA, no client certificate accepted).
    #[error("TLS failure talking to SMSP: {0}")]
    Tls(String),
    /// The call did not finish within its time budget.
    #[error("SMSP did not answer in time")]
    Timeout,
    /// The connection broke after the request was sent (reset, closed mid-body).
    #[error("SMSP connection failed mid-exchange: {0}")]
    Io(String),
    /// SMSP answered with an HTTP status that carries no ITK fault.
    #[error("SMSP answered HTTP {0}")]
    HttpStatus(u16),
    /// A SOAP fault carrying `itk:ToolkitErrorInfo`.
    #[error("SMSP returned ITK fault {}", .0.error_code)]
    Fault(Box<ToolkitFault>),
    /// The body was not the XML we expect (not XML, truncated, wrong shape, wrong content type).
    #[error("SMSP answer could not be understood: {0}")]
    Malformed(String),
    /// The body exceeded the configured cap.
    #[error("SMSP answer exceeded {limit} bytes")]
    Oversize { limit: usize },
    /// Not attempted: the circuit breaker is open after repeated failures (issue 8,
    /// `crate::resilience::breaker`).
    #[error("SMSP circuit breaker is open")]
    CircuitOpen,
    /// Not attempted: the bulkhead's cap on SMSP calls in flight was reached and no slot came
    /// free in time (issue 8, `crate::resilience::bulkhead`).
    #[error("too many SMSP calls in flight")]
    Overloaded,
}

impl SmspError {
    /// Whether repeating the same read can succeed (SMSP SPEC §2.6: ITK 2100 is retryable, 2200
    /// is not; all SMSP interactions are reads, so connection failures and 502/503 are too).
    pub fn is_retryable(&self) -> bool {
        match self {
            // The caller may retry later: the breaker closes, the bulkhead drains.
            SmspError::Connect(_)
            | SmspError::Io(_)
            | SmspError::CircuitOpen
            | SmspError::Overloaded => true,
            SmspError::HttpStatus(s) => matches!(s, 502..=504),
            SmspError::Fault(f) => f.is_retryable(),
            SmspError::Tls(_)
            | SmspError::Timeout
            | SmspError::Malformed(_)
            | SmspError::Oversize { .. } => false,
        }
    }

    /// The key of this failure in the outcome table (`mappings/outcomes.toml`): `itk-<code>`
    /// for faults, otherwise the failure class.
    pub fn outcome_key(&self) -> String {
        match self {
            SmspError::Connect(_) => "transport-connect".into(),
            SmspError::Tls(_) => "transport-tls".into(),
            SmspError::Timeout => "transport-timeout".into(),
            SmspError::Io(_) => "transport-io".into(),
            SmspError::HttpStatus(_) => "transport-http-status".into(),
            SmspError::Fault(f) => format!("itk-{}", f.error_code),
            SmspError::Malformed(_) => "transport-malformed".into(),
            SmspError::Oversize { .. } => "transport-oversize".into(),
            SmspError::CircuitOpen => "transport-circuit-open".into(),
            SmspError::Overloaded => "transport-overloaded".into(),
        }
    }

    /// A label safe for metrics and logs (no message text, which may quote the upstream body).
    pub fn class(&self) -> &'static str {
        match self {
            SmspError::Connect(_) => "connect",
            SmspError::Tls(_) => "tls",
            SmspError::Timeout => "timeout",
            SmspError::Io(_) => "io",
            SmspError::HttpStatus(_) => "http_status",
            SmspError::Fault(_) => "fault",
            SmspError::Malformed(_) => "malformed",
            SmspError::Oversize { .. } => "oversize",
            SmspError::CircuitOpen => "circuit_open",
            SmspError::Overloaded => "overloaded",
        }
    }
}
