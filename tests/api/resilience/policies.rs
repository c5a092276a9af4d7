//! The policies one at a time, observed through the simulator's counters: retries and their
//! cap, the global retry budget, the overall budget, the breaker's half-open probe, the
//! bulkhead, every interaction behind the same breaker, the metrics, and the off switch.

use std::time::{Duration, Instant};

use serde_json::json;
use smsp_bridge::sim::FailureMode;
use smsp_bridge::smsp::Interaction;

use super::support::*;
use crate::helpers::TestApp;

fn itk_2100_always(app: &TestApp) {
    app.sim
        .state
        .update_knobs(|k| {
            k.failure_rate = 1.0;
            k.failure_mode = FailureMode::Itk2100;
        })
        .unwrap();
}

#[tokio::test]
async fn itk_2100_by_failure_rate_makes_max_attempts_calls_and_is_counted() {
    let app = app_with(|s| s.resilience.retry.max_attempts = 4).await;
    itk_2100_always(&app);
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer("2100 x4", &reply, took, unavailable("2100"));
    assert_eq!(app.sim.state.count(READ), 4);
    assert_eq!(app.sim.state.snapshot().by_fault["2100"], 4);
    let text = app.metrics().await;
    assert!(
        text.contains("smsp_bridge_smsp_retries_total{reason=\"fault\"}"),
        "{text}"
    );
    assert!(text.contains("smsp_bridge_circuit_state"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn the_retry_budget_stops_retries_in_an_outage() {
    let app = app_with(|s| {
        let r = &mut s.resilience.retry;
        r.budget_ratio = 0.0;
        r.budget_min_per_second = 0.0;
        r.budget_max_tokens = 1.0;
        s.resilience.breaker.enabled = false;
    })
    .await;
    itk_2100_always(&app);
    let (reply, _) = read(&app, NORMAL).await;
    assert_eq!(reply.status, 503);
    assert_eq!(
        app.sim.state.count(READ),
        2,
        "one retry, paid by the only token"
    );
    for n in 0..3 {
        let (reply, took) = read(&app, NORMAL).await;
        assert_answer("budget spent", &reply, took, unavailable("2100"));
        assert_eq!(app.sim.state.count(READ), 3 + n, "no more retries");
    }
    assert!(app
        .metrics()
        .await
        .contains("smsp_bridge_smsp_retry_budget_exhausted_total"));
    app.stop().await;
}

#[tokio::test]
async fn the_overall_budget_cuts_retries_of_slow_failures() {
    let app = app_with(|s| {
        // Each attempt may take 2 s, but the request as a whole only BUDGET_MS.
        s.smsp.timeout_ms = 2_000;
        s.resilience.breaker.enabled = false;
    })
    .await;
    itk_2100_always(&app);
    app.sim
        .state
        .update_knobs(|k| k.latency_ms = BUDGET_MS * 2 / 3)
        .unwrap();
    let started = Instant::now();
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer("budget", &reply, took, TIMED_OUT);
    assert!(started.elapsed() >= Duration::from_millis(BUDGET_MS - 50));
    assert_eq!(
        app.sim.state.count(READ),
        2,
        "the retry was cut by the budget"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_failing_probe_opens_the_breaker_again() {
    let app = app().await;
    app.sim.state.update_knobs(|k| k.http_503 = true).unwrap();
    trip_breaker("probe", &app, NORMAL, &app, unavailable("http-status")).await;
    tokio::time::sleep(Duration::from_millis(OPEN_MS + 100)).await;
    // Half-open: one probe reaches SMSP and fails; its retry finds the breaker open again, so
    // the caller hears SMSP's own 503 and the next caller the open breaker.
    let before = app.hits();
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer("probe", &reply, took, unavailable("http-status"));
    assert_eq!(app.hits() - before, 1, "exactly one probe");
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer("re-opened", &reply, took, CIRCUIT_OPEN);
    assert!(took < Duration::from_millis(AT_ONCE_MS));
    app.sim.state.update_knobs(|k| k.http_503 = false).unwrap();
    recover("probe", &app, &app).await;
    app.stop().await;
}

#[tokio::test]
async fn every_interaction_is_behind_the_same_breaker() {
    let app = app().await;
    app.sim.state.update_knobs(|k| k.http_503 = true).unwrap();
    trip_breaker("all", &app, NORMAL, &app, unavailable("http-status")).await;
    let search = app
        .get(
            "/Patient?family=FAIRWEATHER&birthdate=1980-01-15&gender=male",
            &[],
        )
        .await;
    assert_eq!(
        (search.status, search.spine_code()),
        (503, "SERVICE_UNAVAILABLE")
    );
    assert_eq!(origin(&search), "circuit-open");
    let verify = app
        .send(
            app.http
                .post(format!("{}/Patient/$verify-nhs-number", app.base))
                .header("X-Request-ID", crate::helpers::request_id())
                .header("Content-Type", "application/fhir+json")
                .body(
                    json!({"resourceType": "Parameters", "parameter": [
                        {"name": "nhs-number", "valueString": NORMAL},
                        {"name": "birthdate", "valueDate": NORMAL_DOB}
                    ]})
                    .to_string(),
                ),
        )
        .await;
    assert_eq!((verify.status, origin(&verify)), (503, "circuit-open"));
    assert_eq!(app.sim.state.count(Interaction::VerifyNhsNumber), 0);
    app.stop().await;
}

#[tokio::test]
async fn the_bulkhead_caps_calls_in_flight() {
    let app = app_with(|s| {
        s.smsp.timeout_ms = 2_000;
        s.resilience.request_budget_ms = 2_000;
        s.resilience.bulkhead.max_in_flight = 1;
        s.resilience.bulkhead.max_wait_ms = 50;
    })
    .await;
    app.sim.state.update_knobs(|k| k.latency_ms = 400).unwrap();
    let slow = read(&app, NORMAL);
    let excess = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        read(&app, NORMAL).await
    };
    let ((first, _), (second, took)) = tokio::join!(slow, excess);
    assert_normal("in the bulkhead", &first);
    assert_eq!(
        (second.status, second.spine_code(), origin(&second)),
        (503, "SERVICE_UNAVAILABLE", "overloaded"),
        "{}",
        second.json
    );
    assert_eq!(second.header("retry-after"), Some("1"));
    assert!(
        took < Duration::from_millis(50 + AT_ONCE_MS),
        "waited {took:?}"
    );
    assert_eq!(app.sim.state.count(READ), 1);
    let text = app.metrics().await;
    // Other tests' bridges share the process's registry and set the gauge to their own caps,
    // so only its presence is checked here; scripts/bench-latency.sh reads its value.
    assert!(
        crate::helpers::metric_sample(&text, "smsp_bridge_bulkhead_capacity").is_some(),
        "{text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn resilience_off_passes_calls_straight_through() {
    let app = app_with(|s| s.resilience.enabled = false).await;
    let (reply, _) = read(&app, "9990000166").await;
    assert_eq!((reply.status, origin(&reply)), (503, "2100"));
    assert_eq!(app.sim.state.count(READ), 1, "no retries");
    app.stop().await;
}
