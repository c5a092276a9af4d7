//! Local authentication, RBAC, audit trail and rate limiting (issue 5): a side room wrapping
//! every request. STUB — owned by the security engineer.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {}

/// Shared state of the security layer (users, keys, audit writer, limiters).
pub struct Security {}

impl Security {
    pub fn build(_settings: &SecuritySettings) -> anyhow::Result<Self> {
        Ok(Self {})
    }

    /// Flushes the audit log (called on shutdown).
    pub async fn flush(&self) {}
}

/// The middleware: authenticate, authorise, rate-limit, run the handler, audit. Reads
/// `web::Data<Security>` from app data.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    next.call(req).await
}
