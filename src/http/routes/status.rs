//! `/_status`: readiness with a deep check that SMSP is reachable over TLS-MA, in the shape of
//! the NHS API platform's `_status` (`status` plus a `checks` entry per dependency).

use actix_web::{web, HttpResponse};
use std::time::Instant;

use crate::smsp::SmspClient;

/// The SMSP client the readiness check probes.
pub struct StatusProbe(pub std::sync::Arc<dyn SmspClient>);

pub async fn status(probe: web::Data<StatusProbe>) -> HttpResponse {
    let started = Instant::now();
    let result = probe.0.probe().await;
    let latency_ms = started.elapsed().as_millis() as u64;
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
                "timeout": if matches!(e, crate::smsp::SmspError::Timeout) { "true" } else { "false" },
                "outcome": format!("SMSP unreachable: {}", e.class()),
                "latencyMs": latency_ms,
            }),
        ),
    };
    let body = serde_json::json!({
        "status": if pass { "pass" } else { "fail" },
        "version": env!("CARGO_PKG_VERSION"),
        "revision": option_env!("SMSP_BRIDGE_GIT_COMMIT").unwrap_or("unknown"),
        "releaseId": env!("CARGO_PKG_VERSION"),
        "commitId": option_env!("SMSP_BRIDGE_GIT_COMMIT").unwrap_or("unknown"),
        "checks": { "smsp": check },
    });
    if pass {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
