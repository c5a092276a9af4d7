//! What the bridge cannot do, and what happens when SMSP is away (PDS FHIR SPEC §1, §2, §7).

use crate::helpers::{request_id, spawn_app};

#[tokio::test]
async fn writes_are_invalid_method_as_in_app_restricted_pds() {
    let app = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::PATCH, "/Patient/9990001006"),
        (reqwest::Method::POST, "/Patient"),
        (reqwest::Method::PUT, "/Patient/9990001006"),
        (reqwest::Method::DELETE, "/Patient/9990001006"),
    ] {
        let r = app
            .send(
                app.http
                    .request(method.clone(), format!("{}{path}", app.base))
                    .header("X-Request-ID", request_id())
                    .body("{}"),
            )
            .await;
        assert_eq!(r.status, 403, "{method} {path}");
        assert_eq!(r.spine_code(), "INVALID_METHOD");
        assert_eq!(r.json["issue"][0]["code"], "forbidden");
    }
    app.stop().await;
}

#[tokio::test]
async fn related_person_says_smsp_cannot_supply_it() {
    let app = spawn_app().await;
    let r = app.get("/Patient/9990001006/RelatedPerson", &[]).await;
    assert_eq!(
        r.json["resourceType"], "OperationOutcome",
        "not an empty Bundle"
    );
    assert_eq!(r.status, 400);
    assert!(r.diagnostics().contains("SMSP"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_unsupported_request() {
    let app = spawn_app().await;
    let r = app.get("/Practitioner/123", &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.spine_code(), "UNSUPPORTED_REQUEST");
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    app.stop().await;
}

#[tokio::test]
async fn metadata_states_what_is_supported() {
    let app = spawn_app().await;
    let r = app.get("/metadata", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["resourceType"], "CapabilityStatement");
    assert_eq!(r.json["fhirVersion"], "4.0.1");
    let text = r.json.to_string();
    for needle in [
        "Patient",
        "verify-nhs-number",
        "X-SMSP-Birth-Date",
        "birthdate",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    app.stop().await;
}

#[tokio::test]
async fn ping_is_open() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(format!("{}/_ping", app.root))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    app.stop().await;
}

#[tokio::test]
async fn smsp_unreachable_is_503_with_retry_after() {
    let mut app = spawn_app().await;
    let sim = std::mem::replace(&mut app.sim, crate::helpers::sim::spawn_sim().await);
    // stop the simulator the bridge is configured for: its port now refuses connections
    sim.stop().await;
    let r = app
        .get(
            "/Patient/9990001006",
            &[("X-SMSP-Birth-Date", "1980-01-15")],
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.json);
    assert_eq!(r.spine_code(), "SERVICE_UNAVAILABLE");
    assert_eq!(r.header("retry-after"), Some("5"));
    let origin = &r.json["issue"][0]["details"]["coding"][1];
    assert_eq!(
        origin["system"],
        "https://github.com/smsp-bridge/CodeSystem/transport-failure"
    );
    assert_eq!(origin["code"], "connect");
    app.stop().await;
}

#[tokio::test]
async fn smsp_timeout_is_408_unable_to_call_service() {
    let app = crate::helpers::spawn_app_with(crate::helpers::sim::spawn_sim().await, |s| {
        s.smsp.timeout_ms = 300;
    })
    .await;
    app.sim
        .state
        .update_knobs(|k| k.latency_ms = 2_000)
        .unwrap();
    let started = std::time::Instant::now();
    let r = app
        .get(
            "/Patient/9990001006",
            &[("X-SMSP-Birth-Date", "1980-01-15")],
        )
        .await;
    assert_eq!(r.status, 408, "{}", r.json);
    assert_eq!(r.spine_code(), "UNABLE_TO_CALL_SERVICE");
    assert!(started.elapsed() < std::time::Duration::from_millis(1_500));
    app.stop().await;
}
