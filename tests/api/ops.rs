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
    let text = app
        .http
        .get(format!("{}/metrics", app.root))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for family in [
        "smsp_bridge_http_requests_total",
        "smsp_bridge_http_request_duration_seconds_bucket",
        "smsp_bridge_http_requests_in_flight",
        "smsp_bridge_smsp_calls_total",
        "smsp_bridge_smsp_call_duration_seconds_bucket",
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
