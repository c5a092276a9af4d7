//! Resilience and hardening (issue 8): an `SmspClient` decorator with an overall time budget per
//! request, retries of the safe failures under a global retry budget, a circuit breaker and a
//! bulkhead — plus limits at the HTTP edge. Policies, settings and the fault matrix are
//! described in docs/RELIABILITY.md.
//!
//! `startup` wraps the *metered* live client (`MeteredClient`), so SMSP call metrics count every
//! attempt while these policies sit outside them.

pub mod breaker;
pub mod budget;
pub mod bulkhead;
pub mod client;
pub mod limits;
pub mod retry;
pub mod settings;

use std::sync::Arc;

pub use client::ResilientClient;
pub use settings::{
    BreakerSettings, BulkheadSettings, HttpLimits, ResilienceSettings, RetrySettings,
};

use crate::smsp::SmspClient;

/// Wraps the SMSP client with the configured policies (`inner` unchanged when
/// `resilience.enabled` is false).
pub fn wrap(inner: Arc<dyn SmspClient>, settings: &ResilienceSettings) -> Arc<dyn SmspClient> {
    if !settings.enabled {
        return inner;
    }
    for (key, problem) in settings.problems() {
        // Values that cannot be used are clamped by the policies; say so once at start-up.
        tracing::warn!(key, problem = %problem, "resilience setting adjusted");
    }
    Arc::new(ResilientClient::new(inner, settings))
}
