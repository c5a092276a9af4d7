//! The one SMSP-client trait. `transport::LiveClient` talks HTTPS with mutual TLS; the simulator
//! (`crate::sim`) provides an in-process implementation for the demo and tests.

use futures_util::future::BoxFuture;

use super::{AuditIdentity, Interaction, Query, SmspError, SmspResponse};

/// A completed business exchange: what was sent (its message id) and what came back.
#[derive(Debug, Clone)]
pub struct SmspCall {
    pub interaction: Interaction,
    /// The request's `wsa:MessageID` (upper-case UUID), for the audit trail.
    pub message_id: String,
    pub response: SmspResponse,
}

pub trait SmspClient: Send + Sync + 'static {
    /// Sends one request. Business outcomes (any response code) are `Ok`; faults and transport
    /// failures are `Err`.
    fn call<'a>(
        &'a self,
        interaction: Interaction,
        query: &'a Query,
        audit: &'a AuditIdentity,
    ) -> BoxFuture<'a, Result<SmspCall, SmspError>>;

    /// A readiness check that touches no patient data: proves SMSP can be reached (for the live
    /// client: a TLS-MA handshake and any HTTP answer). Returns the HTTP status seen.
    fn probe(&self) -> BoxFuture<'_, Result<u16, SmspError>> {
        Box::pin(async { Ok(200) })
    }
}
