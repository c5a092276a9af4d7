//! An `SmspClient` decorator recording every SMSP call: count by interaction and outcome
//! (response code, or failure class), and latency. Outcome labels come from fixed vocabularies
//! (SMSP SPEC §7 codes, ITK codes, failure classes), never from patient data.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;

use crate::smsp::{AuditIdentity, Interaction, Query, SmspCall, SmspClient, SmspError};

pub struct MeteredClient {
    inner: Arc<dyn SmspClient>,
}

impl MeteredClient {
    pub fn wrap(inner: Arc<dyn SmspClient>) -> Arc<dyn SmspClient> {
        Arc::new(Self { inner })
    }
}

impl SmspClient for MeteredClient {
    fn call<'a>(
        &'a self,
        interaction: Interaction,
        query: &'a Query,
        audit: &'a AuditIdentity,
    ) -> BoxFuture<'a, Result<SmspCall, SmspError>> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.inner.call(interaction, query, audit).await;
            let outcome = match &result {
                Ok(call) => known_code(call.response.code.as_str()),
                Err(e) => e.outcome_key(),
            };
            metrics::counter!("smsp_bridge_smsp_calls_total",
                "interaction" => interaction.name(), "outcome" => outcome)
            .increment(1);
            metrics::histogram!("smsp_bridge_smsp_call_duration_seconds",
                "interaction" => interaction.name())
            .record(started.elapsed().as_secs_f64());
            result
        })
    }

    fn probe(&self) -> BoxFuture<'_, Result<u16, SmspError>> {
        self.inner.probe()
    }
}

/// Response codes outside SMSP's vocabulary are folded into one label, so an odd upstream
/// cannot create unbounded label values.
fn known_code(code: &str) -> String {
    if crate::domain::ResponseCode::KNOWN.contains(&code) {
        code.to_string()
    } else {
        "other".to_string()
    }
}
