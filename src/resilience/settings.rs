//! `[resilience]` settings (issue 8). Every key, its default and its meaning are listed in
//! docs/RELIABILITY.md ("Settings"); environment overrides follow the usual pattern, e.g.
//! `SMSP_BRIDGE__RESILIENCE__REQUEST_BUDGET_MS=8000`,
//! `SMSP_BRIDGE__RESILIENCE__BREAKER__OPEN_MS=10000`.
//!
//! The connect and per-attempt timeouts are `smsp.connect_timeout_ms` and `smsp.timeout_ms`
//! (enforced by the transport); this section adds the overall budget per request and the
//! policies around the attempts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResilienceSettings {
    /// `false` passes SMSP calls straight through: no budget, retries, breaker or bulkhead
    /// (the HTTP edge limits stay on).
    pub enabled: bool,
    /// The most time one FHIR request may spend on SMSP, all attempts, back-off pauses and
    /// bulkhead waiting included. When it runs out the answer is a timeout (408
    /// UNABLE_TO_CALL_SERVICE). 0 = no overall budget (each attempt still has `smsp.timeout_ms`).
    pub request_budget_ms: u64,
    pub retry: RetrySettings,
    pub breaker: BreakerSettings,
    pub bulkhead: BulkheadSettings,
    pub limits: HttpLimits,
}

/// Retries of the failures that are safe and useful to retry (issue 8): connection failures,
/// a connection broken mid-exchange, ITK 2100 and HTTP 502/503 — every SMSP interaction is a
/// read, so repeating one changes nothing at SMSP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySettings {
    /// Attempts per request, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Back-off before the first retry; it doubles for each further retry.
    pub base_backoff_ms: u64,
    /// The longest back-off.
    pub max_backoff_ms: u64,
    /// Retry budget: each request earns this fraction of a retry token, so retries add at most
    /// this share to SMSP's load in an outage (0.1 = 10 %).
    pub budget_ratio: f64,
    /// Retry budget floor: tokens earned per second whatever the traffic, so a quiet bridge can
    /// still retry a transient failure.
    pub budget_min_per_second: f64,
    /// The most tokens the budget holds (the largest burst of retries).
    pub budget_max_tokens: f64,
}

/// The circuit breaker on the SMSP endpoint (closed → open → half-open → closed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerSettings {
    pub enabled: bool,
    /// Opens when at least this share of the calls in the window failed (0 < ratio ≤ 1) ...
    pub failure_ratio: f64,
    /// ... and the window holds at least this many calls.
    pub min_calls: u32,
    /// The rolling window over which calls are counted.
    pub window_ms: u64,
    /// How long the breaker stays open (answering 503 at once) before it lets probes through.
    pub open_ms: u64,
    /// Half-open: how many trial calls are let through; all must succeed to close, one failure
    /// opens the breaker again.
    pub half_open_probes: u32,
}

/// The bulkhead: a cap on SMSP calls in flight, so a slow SMSP cannot take every worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BulkheadSettings {
    /// The most SMSP calls in flight at once (0 = no cap).
    pub max_in_flight: usize,
    /// How long a call waits for a free slot before it is answered 503.
    pub max_wait_ms: u64,
}

/// Limits at the HTTP edge; each breach is a 4xx OperationOutcome (issue 8 "Limits").
/// actix itself closes the connection with a bare 431 past 96 headers or a 128 KiB request
/// head, so these defaults sit well below those.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// The longest request target (path and query string), in bytes → 414.
    pub max_uri_bytes: usize,
    /// The longest query string, in bytes → 414.
    pub max_query_bytes: usize,
    /// The most request headers → 431.
    pub max_header_count: usize,
    /// The most bytes of header names and values together → 431.
    pub max_header_bytes: usize,
    /// The largest request body a `Content-Length` may announce → 413.
    pub max_body_bytes: usize,
}

impl Default for ResilienceSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            request_budget_ms: 12_000,
            retry: RetrySettings::default(),
            breaker: BreakerSettings::default(),
            bulkhead: BulkheadSettings::default(),
            limits: HttpLimits::default(),
        }
    }
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_backoff_ms: 100,
            max_backoff_ms: 2_000,
            budget_ratio: 0.1,
            budget_min_per_second: 1.0,
            budget_max_tokens: 10.0,
        }
    }
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_ratio: 0.5,
            min_calls: 20,
            window_ms: 10_000,
            // Matches the Retry-After of 5 s the outcome table gives a circuit-open answer.
            open_ms: 5_000,
            half_open_probes: 3,
        }
    }
}

impl Default for BulkheadSettings {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            max_wait_ms: 250,
        }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_uri_bytes: 8 * 1024,
            max_query_bytes: 4 * 1024,
            max_header_count: 64,
            max_header_bytes: 16 * 1024,
            // The $verify-nhs-number route refuses larger bodies as it reads them, too.
            max_body_bytes: 64 * 1024,
        }
    }
}

impl ResilienceSettings {
    /// The overall budget, `None` when turned off.
    pub fn request_budget(&self) -> Option<Duration> {
        (self.request_budget_ms > 0).then(|| Duration::from_millis(self.request_budget_ms))
    }

    /// Every problem with these settings, keyed by its full name (`resilience.…`), in the form
    /// `config::check` reports. `wrap` clamps what it cannot use, so a bad value never panics.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let r = &self.retry;
        if r.max_attempts == 0 {
            out.push(("resilience.retry.max_attempts", "must be at least 1".into()));
        }
        if r.base_backoff_ms > r.max_backoff_ms {
            out.push((
                "resilience.retry.base_backoff_ms",
                "must not exceed resilience.retry.max_backoff_ms".into(),
            ));
        }
        for (key, v) in [
            ("resilience.retry.budget_ratio", r.budget_ratio),
            (
                "resilience.retry.budget_min_per_second",
                r.budget_min_per_second,
            ),
            ("resilience.retry.budget_max_tokens", r.budget_max_tokens),
        ] {
            if !v.is_finite() || v < 0.0 {
                out.push((key, "must be a number ≥ 0".into()));
            }
        }
        let b = &self.breaker;
        if !(b.failure_ratio > 0.0 && b.failure_ratio <= 1.0) {
            out.push((
                "resilience.breaker.failure_ratio",
                "must be greater than 0 and at most 1".into(),
            ));
        }
        for (key, v) in [
            ("resilience.breaker.min_calls", u64::from(b.min_calls)),
            ("resilience.breaker.window_ms", b.window_ms),
            ("resilience.breaker.open_ms", b.open_ms),
            (
                "resilience.breaker.half_open_probes",
                u64::from(b.half_open_probes),
            ),
        ] {
            if v == 0 {
                out.push((key, "must be at least 1".into()));
            }
        }
        let l = &self.limits;
        for (key, v) in [
            ("resilience.limits.max_uri_bytes", l.max_uri_bytes),
            ("resilience.limits.max_query_bytes", l.max_query_bytes),
            ("resilience.limits.max_header_count", l.max_header_count),
            ("resilience.limits.max_header_bytes", l.max_header_bytes),
            ("resilience.limits.max_body_bytes", l.max_body_bytes),
        ] {
            if v == 0 {
                out.push((key, "must be at least 1".into()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_no_problems() {
        assert!(ResilienceSettings::default().problems().is_empty());
    }

    #[test]
    fn every_problem_names_its_key() {
        let mut s = ResilienceSettings::default();
        s.retry.max_attempts = 0;
        s.retry.budget_ratio = f64::NAN;
        s.breaker.failure_ratio = 0.0;
        s.breaker.open_ms = 0;
        s.limits.max_uri_bytes = 0;
        let keys: Vec<&str> = s.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "resilience.retry.max_attempts",
                "resilience.retry.budget_ratio",
                "resilience.breaker.failure_ratio",
                "resilience.breaker.open_ms",
                "resilience.limits.max_uri_bytes",
            ]
        );
    }

    #[test]
    fn partial_toml_fills_defaults_and_unknown_keys_are_refused() {
        let s: ResilienceSettings = toml::from_str(
            "request_budget_ms = 500\n[breaker]\nmin_calls = 4\n[limits]\nmax_uri_bytes = 100\n",
        )
        .unwrap();
        assert_eq!(s.request_budget(), Some(Duration::from_millis(500)));
        assert_eq!(s.breaker.min_calls, 4);
        assert_eq!(s.breaker.open_ms, 5_000);
        assert_eq!(s.retry.max_attempts, 3);
        assert_eq!(s.limits.max_uri_bytes, 100);
        assert!(toml::from_str::<ResilienceSettings>("retries = 2").is_err());
        let off = ResilienceSettings {
            request_budget_ms: 0,
            ..Default::default()
        };
        assert_eq!(off.request_budget(), None);
    }
}
