//! `/_status`: readiness with a deep check that SMSP is reachable over TLS-MA, in the shape of
//! the NHS API platform's `_status` (`status` plus a `checks` entry per dependency).

use actix_web::{web, HttpResponse};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::smsp::{SmspClient, SmspError};

/// The SMSP client the readiness check probes. `/_status` must be open to unauthenticated
/// kubelet probes, so its result is reused for `reuse_for`: nobody who can reach the pod can
/// make it call SMSP more often than that.
pub struct StatusProbe {
    client: std::sync::Arc<dyn SmspClient>,
    reuse_for: Duration,
    last: Mutex<Option<Probed>>,
}

/// When the last probe ran, what it found, and how long it took (ms).
type Probed = (Instant, Result<u16, SmspError>, u64);

impl StatusProbe {
    pub fn new(client: std::sync::Arc<dyn SmspClient>, reuse_for: Duration) -> Self {
        Self {
            client,
            reuse_for,
            last: Mutex::new(None),
        }
    }

    async fn check(&self) -> (Result<u16, SmspError>, u64) {
        if let Some((at, result, latency)) = self.last.lock().map(|g| g.clone()).unwrap_or(None) {
            if at.elapsed() < self.reuse_for {
                return (result, latency);
            }
        }
        let started = Instant::now();
        let result = self.client.probe().await;
        let latency_ms = started.elapsed().as_millis() as u64;
        if let Ok(mut g) = self.last.lock() {
            *g = Some((Instant::now(), result.clone(), latency_ms));
        }
        (result, latency_ms)
    }
}

pub async fn status(probe: web::Data<StatusProbe>) -> HttpResponse {
    let (result, latency_ms) = probe.check().await;
    let (pass, check) = match &result {
        Ok(code) => (
            true,
            serde_json::json!({
                "status": "pass",
                "timeout": "false",
                "responseCode": code,
                "outcome": "SMSP reachable over TLS-MA",
                "latencyMs": latency_ms,
            }),
        ),
        Err(e) => (
            false,
            serde_json::json!({
                "status": "fail",
                "timeout": if matches!(e, SmspError::Timeout) { "true" } else { "false" },
                "outcome": format!("SMSP unreachable: {}", e.class()),
                "latencyMs": latency_ms,
            }),
        ),
    };
    let body = serde_json::json!({
        "status": if pass { "pass" } else { "fail" },
        "version": env!("CARGO_PKG_VERSION"),
        "revision": env!("SMSP_BRIDGE_GIT_COMMIT"),
        "releaseId": env!("CARGO_PKG_VERSION"),
        "commitId": env!("SMSP_BRIDGE_GIT_COMMIT"),
        "buildTime": env!("SMSP_BRIDGE_BUILD_TIME"),
        "checks": { "smsp": check },
    });
    if pass {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
