//! Resilience for the SMSP call (issue 8): timeouts, retries with a budget, circuit breaker,
//! bulkhead — as an `SmspClient` decorator. STUB — owned by the resilience engineer.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::smsp::SmspClient;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResilienceSettings {}

/// Wraps the SMSP client with the configured policies.
pub fn wrap(inner: Arc<dyn SmspClient>, _settings: &ResilienceSettings) -> Arc<dyn SmspClient> {
    inner
}
