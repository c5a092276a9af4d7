//! Every metric family the bridge exports: its `# HELP` text, and the series that are exported
//! at 0 from start-up.
//!
//! Why at 0: Prometheus sees a counter only once it exists. A counter created by its first
//! event appears already at 1, so `rate()` and `increase()` miss that event, and an alert such
//! as "any audit record refused" (`deploy/helm/smsp-bridge/files/alerts.yaml`) would stay
//! silent for the first refusal ("avoid missing metrics", Prometheus' instrumentation
//! practices). Families whose labels are open-ended (route, status, SMSP outcome, field path)
//! are not started: their series appear with their first event.
//!
//! The call sites name the families themselves (the core does not import telemetry); a unit
//! test below holds this list and the names in `src/` to each other both ways.

/// The kind of a family, as Prometheus' `# TYPE` line gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    /// The label sets exported at 0 from start-up: `&[&[]]` for the one unlabelled series,
    /// empty for none.
    pub start: &'static [&'static [(&'static str, &'static str)]],
}

const NONE: &[&[(&str, &str)]] = &[];
const ONE: &[&[(&str, &str)]] = &[&[]];

const fn family(
    name: &'static str,
    kind: Kind,
    help: &'static str,
    start: &'static [&'static [(&'static str, &'static str)]],
) -> Family {
    Family {
        name,
        kind,
        help,
        start,
    }
}

use Kind::{Counter, Gauge, Histogram};

#[rustfmt::skip]
pub const FAMILIES: &[Family] = &[
    // HTTP edge (telemetry::metrics::track).
    family("smsp_bridge_http_requests_total", Counter,
        "HTTP answers by method, route pattern and status.", NONE),
    family("smsp_bridge_http_request_duration_seconds", Histogram,
        "Time to answer an HTTP request, by method, route pattern and status.", NONE),
    family("smsp_bridge_http_requests_in_flight", Gauge,
        "HTTP requests being answered.", ONE),
    family("smsp_bridge_log_lines_dropped_total", Counter,
        "Log lines dropped because the log writer's queue was full (stdout stalled).", ONE),
    // SMSP calls (telemetry::smsp_metrics; resilience::client).
    family("smsp_bridge_smsp_calls_total", Counter,
        "SMSP call attempts by interaction and outcome (the SMSP response code, or the failure class).",
        NONE),
    family("smsp_bridge_smsp_call_duration_seconds", Histogram,
        "Time of one SMSP call attempt, by interaction.", NONE),
    family("smsp_bridge_smsp_in_flight", Gauge,
        "SMSP calls waiting for an answer (the bulkhead's use).", ONE),
    family("smsp_bridge_bulkhead_capacity", Gauge,
        "The bulkhead's cap on SMSP calls in flight (resilience.bulkhead.max_in_flight; 0: no cap).",
        NONE),
    family("smsp_bridge_bulkhead_rejected_total", Counter,
        "SMSP calls refused because the bulkhead was full (answered 503).", ONE),
    family("smsp_bridge_circuit_state", Gauge,
        "The SMSP circuit breaker: 0 closed, 1 half-open, 2 open.", NONE),
    family("smsp_bridge_circuit_transitions_total", Counter,
        "Circuit breaker changes, by the state entered.",
        &[&[("to", "open")], &[("to", "half_open")], &[("to", "closed")]]),
    family("smsp_bridge_circuit_rejected_total", Counter,
        "SMSP calls refused because the circuit was open (answered 503).", ONE),
    family("smsp_bridge_smsp_retries_total", Counter,
        "SMSP call attempts retried, by the failure class that caused the retry.", NONE),
    family("smsp_bridge_smsp_retry_budget_exhausted_total", Counter,
        "Retries not made because the retry budget was spent.", ONE),
    family("smsp_bridge_smsp_deadline_exceeded_total", Counter,
        "Requests whose SMSP work outlasted resilience.request_budget_ms.", ONE),
    // TLS material (telemetry::certificates, startup::reload).
    family("smsp_bridge_certificate_expiry_timestamp_seconds", Gauge,
        "When each configured certificate file stops being valid (its earliest notAfter), as a Unix time, by configuration key.",
        NONE),
    family("smsp_bridge_tls_reload_pending", Gauge,
        "1 while a unit of TLS material (smsp, inbound, inbound_client_ca) has new files that cannot be loaded; the material in use stays.",
        &[&[("material", "smsp")], &[("material", "inbound")], &[("material", "inbound_client_ca")]]),
    family("smsp_bridge_tls_reloads_total", Counter,
        "TLS material reloaded from changed files, or refused, by material and result.", NONE),
    // Cache (cache::stats).
    family("smsp_bridge_cache_hits_total", Counter,
        "Reads and searches answered from the cache.", ONE),
    family("smsp_bridge_cache_misses_total", Counter,
        "Reads and searches not in the cache that made an SMSP call.", ONE),
    family("smsp_bridge_cache_inserts_total", Counter,
        "Verified results stored in the cache.", ONE),
    family("smsp_bridge_cache_evictions_total", Counter,
        "Cache entries dropped to stay within the cache's size.", ONE),
    family("smsp_bridge_cache_expirations_total", Counter,
        "Cache entries dropped because their TTL ran out.", ONE),
    family("smsp_bridge_cache_coalesced_waits_total", Counter,
        "Misses answered by a concurrent identical request's SMSP call.", ONE),
    // Audit trail (security::audit::writer).
    family("smsp_bridge_audit_records_total", Counter,
        "Audit records written (synced), or refused (the request is then answered 503).",
        &[&[("result", "written")], &[("result", "refused")]]),
    family("smsp_bridge_audit_commit_seconds", Histogram,
        "Time of one audit group commit (write and fdatasync).", NONE),
    family("smsp_bridge_audit_commit_records", Histogram,
        "Audit records per group commit.", NONE),
    // Shadow mode (compare::shadow).
    family("smsp_bridge_shadow_samples_total", Counter,
        "Reads sampled for comparison with PDS FHIR: queued, or dropped because the queue was full.",
        &[&[("result", "queued")], &[("result", "dropped")]]),
    family("smsp_bridge_shadow_cases_total", Counter,
        "Sampled reads compared with PDS FHIR, by result and by PDS's outcome.", NONE),
    family("smsp_bridge_shadow_fields_total", Counter,
        "Fields compared with PDS FHIR, by field path (never values) and outcome.", NONE),
    family("smsp_bridge_shadow_pds_failures_total", Counter,
        "Shadow requests to PDS FHIR that failed, by HTTP status class.", NONE),
];

/// Gives every family its help text and starts the series of `start` at 0. Runs once, when
/// the recorder is installed.
pub(super) fn describe_and_start() {
    for f in FAMILIES {
        match f.kind {
            Kind::Counter => metrics::describe_counter!(f.name, f.help),
            Kind::Gauge => metrics::describe_gauge!(f.name, f.help),
            Kind::Histogram => metrics::describe_histogram!(f.name, f.help),
        }
        for labels in f.start {
            let labels: Vec<metrics::Label> = labels
                .iter()
                .map(|&(k, v)| metrics::Label::new(k, v))
                .collect();
            // Registering a series creates it at 0 without changing a value already there.
            match f.kind {
                Kind::Counter => drop(metrics::counter!(f.name, labels)),
                Kind::Gauge => drop(metrics::gauge!(f.name, labels)),
                Kind::Histogram => drop(metrics::histogram!(f.name, labels)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Every `"smsp_bridge_…"` string literal in `src/`, this file excepted.
    fn names_in_source(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                names_in_source(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("catalogue.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices("\"smsp_bridge_") {
                    let rest = &text[at + 1..];
                    let end = rest.find('"').unwrap();
                    out.insert(rest[..end].to_string());
                }
            }
        }
    }

    #[test]
    fn the_catalogue_names_exactly_the_families_the_code_records() {
        let mut used = BTreeSet::new();
        names_in_source(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut used,
        );
        let listed: BTreeSet<String> = FAMILIES.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(listed.len(), FAMILIES.len(), "a family is listed twice");
        assert_eq!(
            used,
            listed,
            "recorded in src/ but not listed: {:?}; listed but recorded nowhere: {:?}",
            used.difference(&listed).collect::<Vec<_>>(),
            listed.difference(&used).collect::<Vec<_>>()
        );
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        for f in FAMILIES {
            assert!(f.name.starts_with("smsp_bridge_"), "{}", f.name);
            assert_eq!(
                f.kind == Kind::Counter,
                f.name.ends_with("_total"),
                "{}",
                f.name
            );
            assert!(!f.help.is_empty() && f.help.ends_with('.'), "{}", f.name);
            // Only counters and gauges start at 0: an empty histogram says nothing.
            assert!(
                f.kind != Kind::Histogram || f.start.is_empty(),
                "{}",
                f.name
            );
        }
    }
}
