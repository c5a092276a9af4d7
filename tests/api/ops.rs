//! Operations: Prometheus metrics after traffic, and readiness that follows SMSP's health.

use crate::helpers::sim::spawn_sim;
use crate::helpers::spawn_app_with;
use smsp_bridge::sim::{SimConfig, SimTls};

#[tokio::test]
async fn metrics_expose_every_family_after_traffic() {
    let app = spawn_app_with(spawn_sim().await, |_| {}).await;
    app.get(
        "/Patient/9990001006",
        &[("X-SMSP-Birth-Date", "1980-01-15")],
    )
    .await;
    app.get(
        "/Patient?family=TWINNING&gender=female&birthdate=1990-05-05",
        &[],
    )
    .await;
    app.get(
        "/Patient/9000000000",
        &[("X-SMSP-Birth-Date", "1980-01-15")],
    )
    .await;
    let text = app.metrics().await;
    for family in [
        "smsp_bridge_http_requests_total",
        "smsp_bridge_http_request_duration_seconds_bucket",
        "smsp_bridge_http_requests_in_flight",
        "smsp_bridge_smsp_calls_total",
        "smsp_bridge_smsp_call_duration_seconds_bucket",
        "smsp_bridge_log_lines_dropped_total",
    ] {
        assert!(text.contains(family), "{family} missing from /metrics");
    }
    assert!(text.contains(r#"route="/personal-demographics/FHIR/R4/Patient/{id}""#));
    assert!(text.contains(r#"outcome="DEMOG-0007""#));
    assert!(text.contains(r#"interaction="getPatientDetailsBySearch""#));
    // patient data never becomes a label
    for secret in ["9990001006", "TWINNING", "1980-01-15", "19800115"] {
        assert!(!text.contains(secret), "{secret} leaked into /metrics");
    }
    // Families whose series appear only with traffic carry their help text too.
    assert_every_family_has_help(&text);
    app.stop().await;
}

#[tokio::test]
async fn status_follows_smsp_availability() {
    let mut app = spawn_app_with(spawn_sim().await, |_| {}).await;
    let status = |app: &crate::helpers::TestApp| {
        let url = format!("{}/_status", app.root);
        let http = app.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let code = r.status().as_u16();
            (code, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (code, body) = status(&app).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "pass");
    assert_eq!(body["checks"]["smsp"]["status"], "pass");

    // stop the simulator: readiness fails
    let addr: std::net::SocketAddr = app.sim.url["https://".len()..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pki = app.sim.pki.clone();
    let old = std::mem::replace(&mut app.sim, spawn_sim().await);
    old.stop().await;
    let (code, body) = status(&app).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "fail");
    assert_eq!(body["checks"]["smsp"]["status"], "fail");

    // bring it back on the same address with the same PKI: readiness passes again
    let back = smsp_bridge::sim::spawn(SimConfig::new(addr, SimTls::from_pki(&pki)))
        .await
        .expect("simulator restarts on the same port");
    let mut healthy = false;
    for _ in 0..20 {
        if status(&app).await.0 == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healthy, "readiness recovers when SMSP returns");
    back.stop().await;
    app.stop().await;
}

/// SIGTERM under load (issue 7): the server stops accepting, the requests in flight finish
/// with their answers, the process exits cleanly and every answer has its audit record — and
/// its log line: the log writer's queue is written out before the process exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_loses_no_request_and_no_audit_record() {
    use crate::security::kill9::{config, serve_logged};
    use crate::security::support::{
        audit_records, audit_verify, basic, sim, users_file, DOB, READ,
    };
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let sim = sim().await;
    // Slow SMSP so that every request is still in flight when the signal arrives.
    sim.state.update_knobs(|k| k.latency_ms = 400).unwrap();
    let users = users_file(dir.path(), &[("ops", "ops-password-1", &["read"])]);
    let audit = dir.path().join("audit");
    let cfg = config(dir.path(), &sim, &users, &audit);
    let (mut child, port, log) = serve_logged(&cfg);
    let url = format!("http://127.0.0.1:{port}/personal-demographics/FHIR/R4{READ}");
    let auth = basic("ops", "ops-password-1");
    let http = reqwest::Client::new();
    // warm-up (the first Basic check runs argon2) on a route that leaves the cache empty, so
    // every request below really waits on SMSP
    let warm = http
        .get(format!(
            "http://127.0.0.1:{port}/personal-demographics/FHIR/R4/metadata"
        ))
        .header("X-Request-ID", crate::helpers::request_id())
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);

    let in_flight: Vec<_> = (0..24)
        .map(|_| {
            let (http, url, auth) = (http.clone(), url.clone(), auth.clone());
            tokio::spawn(async move {
                let rid = crate::helpers::request_id();
                let res = http
                    .get(&url)
                    .header("X-Request-ID", &rid)
                    .header("Authorization", &auth)
                    .header(DOB.0, DOB.1)
                    .send()
                    .await;
                (rid, res.map(|r| r.status().as_u16()))
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let mut answered = Vec::new();
    for t in in_flight {
        let (rid, status) = t.await.unwrap();
        assert_eq!(status.ok(), Some(200), "a request in flight was lost");
        answered.push(rid);
    }
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "serve exits cleanly on SIGTERM: {exit:?}");
    assert_eq!(
        sim.state
            .count(smsp_bridge::smsp::Interaction::GetPatientDetailsByNhsNumber),
        1,
        "the 24 reads were in flight together (one coalesced SMSP call)"
    );
    // no longer accepting
    assert!(http.get(&url).send().await.is_err());

    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");
    let records = audit_records(&audit);
    for rid in &answered {
        assert!(
            records
                .iter()
                .any(|r| r["request_id"] == rid.as_str() && r["status"] == 200),
            "answered request {rid} has no audit record"
        );
    }
    let log: Vec<serde_json::Value> = log
        .join()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).expect("every log line is one whole JSON object"))
        .collect();
    for rid in &answered {
        assert!(
            log.iter().any(|l| l["message"] == "request completed"
                && l["span"]["request_id"] == rid.as_str()
                && l["route"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/Patient/{id}"))
                && l["status"] == 200),
            "answered request {rid} has no log line"
        );
    }
    sim.stop().await;
}

/// The alerting rules the chart ships (files/alerts.yaml; README, Operations) name only series
/// this bridge exports. A bridge with an audit trail and a one-slot bulkhead is driven until every
/// family an alert reads has appeared on its `/metrics`: a rename on either side fails here.
/// (What each alert does with those series is `promtool test rules`, in scripts/check-deploy.sh.)
#[tokio::test]
async fn alert_rules_read_only_series_the_bridge_exports() {
    use crate::security::support::{basic, get_as, spawn_basic, DOB, READ};
    use std::collections::BTreeSet;

    let rules = include_str!("../../deploy/helm/smsp-bridge/files/alerts.yaml");
    let families: BTreeSet<&str> = series_named_in(rules).collect();
    assert!(families.len() >= 8, "{families:?}");

    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let app = spawn_basic(
        dir.path(),
        &[("ops", "ops-password-1", &["read", "admin"])],
        Some(&audit),
        |s| {
            s.resilience.bulkhead.max_in_flight = 1;
            s.resilience.bulkhead.max_wait_ms = 10;
            s.cache.enabled = false;
        },
    )
    .await;
    let ops = basic("ops", "ops-password-1");
    // Two reads at once through a one-slot bulkhead to a slow SMSP: one is answered (an SMSP
    // call, an audit commit), the other refused by the bulkhead.
    app.sim.state.update_knobs(|k| k.latency_ms = 300).unwrap();
    let (first, second) = tokio::join!(
        get_as(&app, READ, Some(&ops), &[DOB]),
        get_as(&app, READ, Some(&ops), &[DOB])
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [200, 503]);

    let text = app.metrics_as(&ops).await;
    let exported: BTreeSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    for family in &families {
        assert!(
            exported.contains(family),
            "alerts.yaml reads {family}, which /metrics does not export: {exported:?}"
        );
    }
    app.stop().await;
}

/// Asserts that every `smsp_bridge_` family with a `# TYPE` line on a `/metrics` page also has
/// a `# HELP` line; returns how many families there were.
fn assert_every_family_has_help(text: &str) -> usize {
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("smsp_bridge_"))
        .collect();
    for family in &families {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{family} has no # HELP line"
        );
    }
    families.len()
}

/// Every `smsp_bridge_…` series name in a text (alert expressions, dashboard queries).
fn series_named_in(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("smsp_bridge_").map(|(at, _)| {
        let name = &text[at..];
        let end = name
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(name.len());
        &name[..end]
    })
}

/// An alert that fires on any event (`increase(…) > 0`, `rate(…) > 0`) only works if its
/// counter is exported at 0 before that event: a series first seen at 1 shows Prometheus no
/// increase, so the first audit refusal or bulkhead refusal would go unalerted. The bridge is
/// started as its own process, so its first scrape sees what a fresh pod exports. Every family
/// on the page also has its `# HELP` text.
#[tokio::test]
async fn counters_that_alerts_watch_for_any_event_exist_at_zero_from_start_up() {
    use crate::security::kill9::{config, serve};
    use crate::security::support::{basic, sim, users_file};

    let rules = include_str!("../../deploy/helm/smsp-bridge/files/alerts.yaml");
    // (counter, label matchers) read by rate() or increase() in an expression ending "> 0".
    // Each rule's expression runs from `expr:` to its `for:` or `labels:` line.
    let mut watched = Vec::new();
    for rule in rules.split("- alert:").skip(1) {
        let expr = rule.split_once("expr:").unwrap().1;
        let end = expr
            .find("\n        for:")
            .or_else(|| expr.find("\n        labels:"))
            .unwrap();
        let expr = expr[..end].trim_start_matches([' ', '|']).trim();
        if !expr.ends_with("> 0") {
            continue;
        }
        for func in ["rate(", "increase("] {
            for (at, _) in expr.match_indices(func) {
                let selector = &expr[at + func.len()..];
                let selector = &selector[..selector.find('[').unwrap()];
                let (name, matchers) = selector.split_once('{').unwrap_or((selector, "}"));
                watched.push((name.to_string(), matchers.trim_end_matches('}').to_string()));
            }
        }
    }
    assert!(watched.len() >= 3, "{watched:?}");

    let dir = tempfile::tempdir().unwrap();
    let sim = sim().await;
    let users = users_file(dir.path(), &[("ops", "ops-password-1", &["read"])]);
    let cfg = config(dir.path(), &sim, &users, &dir.path().join("audit"));
    let (mut child, port) = serve(&cfg);
    let text = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .header("Authorization", basic("ops", "ops-password-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    sim.stop().await;

    for (name, matchers) in &watched {
        let series = if matchers.is_empty() {
            name.clone()
        } else {
            format!("{name}{{{matchers}}}")
        };
        assert!(
            text.lines().any(|l| l == format!("{series} 0")),
            "an alert watches {series} for any increase, but a fresh bridge does not export it at 0:\n{text}"
        );
    }
    assert!(assert_every_family_has_help(&text) >= 15, "{text}");
}

/// The Grafana dashboard the chart ships (files/dashboard.json) reads only families the bridge
/// records (its catalogue, which a unit test holds to the names in `src/`), histograms through
/// their `_bucket`, `_sum` and `_count` series. Its queries' syntax is `promtool`'s to check
/// (scripts/check-deploy.sh).
#[test]
fn dashboard_reads_only_families_the_bridge_records() {
    use smsp_bridge::telemetry::catalogue::{Kind, FAMILIES};

    let dashboard: serde_json::Value = serde_json::from_str(include_str!(
        "../../deploy/helm/smsp-bridge/files/dashboard.json"
    ))
    .unwrap();
    let mut series = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            series.extend(series_named_in(expr).map(str::to_string));
        }
    }
    assert!(series.len() >= 30, "{series:?}");
    let known: Vec<String> = FAMILIES
        .iter()
        .flat_map(|f| match f.kind {
            Kind::Histogram => ["_bucket", "_sum", "_count"]
                .iter()
                .map(|s| format!("{}{s}", f.name))
                .collect(),
            _ => vec![f.name.to_string()],
        })
        .collect();
    for s in &series {
        assert!(
            known.contains(s),
            "the dashboard reads {s}, which the bridge does not record"
        );
    }
}
