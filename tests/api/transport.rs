//! `LiveClient` against the simulator: every failure class the transport distinguishes
//! (connect, TLS, timeout, I/O, HTTP status, malformed, oversize), with its retryability.

use std::time::Duration;

use crate::helpers::sim::spawn_sim;
use smsp_bridge::domain::{NhsNumber, PartialDate};
use smsp_bridge::pki::PkiSet;
use smsp_bridge::smsp::transport::LiveClient;
use smsp_bridge::smsp::{AuditIdentity, Interaction, Query, SmspClient, SmspError};

fn read_query() -> Query {
    let mut q = Query::new(PartialDate::full(1980, 1, 15).unwrap());
    q.nhs_number = Some(NhsNumber::parse("9990001006").unwrap());
    q
}

async fn call(client: &LiveClient) -> Result<smsp_bridge::smsp::SmspCall, SmspError> {
    let audit = AuditIdentity::local_user("X99", "tester");
    client
        .call(
            Interaction::GetPatientDetailsByNhsNumber,
            &read_query(),
            &audit,
        )
        .await
}

#[tokio::test]
async fn a_good_exchange_returns_the_request_message_id() {
    let sim = spawn_sim().await;
    let result = call(&sim.live_client()).await.expect("call succeeds");
    assert_eq!(result.response.code.as_str(), "SMSP-0000");
    assert_eq!(result.message_id.len(), 36);
    assert_eq!(result.message_id, result.message_id.to_uppercase());
    sim.stop().await;
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_a_tls_error() {
    let sim = spawn_sim().await;
    let other = PkiSet::generate_named("Some Other CA").unwrap();
    let mut cfg = sim.transport_config();
    cfg.ca_pem = other.ca_pem.into_bytes();
    let err = call(&LiveClient::new(cfg).unwrap()).await.unwrap_err();
    assert!(matches!(err, SmspError::Tls(_)), "{err:?}");
    assert!(!err.is_retryable());
    sim.stop().await;
}

#[tokio::test]
async fn a_client_certificate_the_server_does_not_trust_is_refused() {
    let sim = spawn_sim().await;
    let other = PkiSet::generate_named("Untrusted Client CA").unwrap();
    let mut cfg = sim.transport_config();
    cfg.client_cert_pem = other.client_cert_pem.into_bytes();
    cfg.client_key_pem = other.client_key_pem.into_bytes().into();
    let err = call(&LiveClient::new(cfg).unwrap()).await.unwrap_err();
    // rustls reports the peer's alert, or the connection simply closes (rust-stack.md)
    assert!(
        matches!(
            err,
            SmspError::Tls(_) | SmspError::Io(_) | SmspError::Connect(_)
        ),
        "{err:?}"
    );
    assert_eq!(
        sim.state.snapshot().total,
        0,
        "nothing reached the simulator's handler"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_connect_error() {
    let sim = spawn_sim().await;
    let cfg = sim.transport_config();
    sim.stop().await;
    let err = call(&LiveClient::new(cfg).unwrap()).await.unwrap_err();
    assert!(matches!(err, SmspError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn knobs_produce_each_failure_class() {
    let sim = spawn_sim().await;
    let mut cfg = sim.transport_config();
    cfg.timeout = Duration::from_millis(500);
    cfg.max_body_bytes = 64 * 1024;
    let client = LiveClient::new(cfg).unwrap();
    type Check = fn(&SmspError) -> bool;
    type Knob = Box<dyn Fn(&mut smsp_bridge::sim::Knobs)>;
    let cases: Vec<(&str, Knob, Check, bool)> = vec![
        (
            "timeout",
            Box::new(|k| k.latency_ms = 2_000),
            |e| matches!(e, SmspError::Timeout),
            false,
        ),
        (
            "503",
            Box::new(|k| k.http_503 = true),
            |e| matches!(e, SmspError::HttpStatus(503)),
            true,
        ),
        (
            "malformed",
            Box::new(|k| k.malformed_xml = true),
            |e| matches!(e, SmspError::Malformed(_)),
            false,
        ),
        (
            "truncated",
            Box::new(|k| k.truncated_xml = true),
            |e| matches!(e, SmspError::Malformed(_)),
            false,
        ),
        (
            "content type",
            Box::new(|k| k.wrong_content_type = true),
            |e| matches!(e, SmspError::Malformed(_)),
            false,
        ),
        (
            "oversize",
            Box::new(|k| k.oversize_bytes = 200_000),
            |e| matches!(e, SmspError::Oversize { .. }),
            false,
        ),
        (
            "drop",
            Box::new(|k| k.drop_connection = true),
            |e| matches!(e, SmspError::Io(_)),
            true,
        ),
    ];
    for (name, knob, check, retryable) in cases {
        sim.state.set_knobs(Default::default()).unwrap();
        sim.state.update_knobs(|k| knob(k)).unwrap();
        let err = call(&client).await.unwrap_err();
        assert!(check(&err), "{name}: {err:?}");
        assert_eq!(err.is_retryable(), retryable, "{name}");
    }
    sim.state.set_knobs(Default::default()).unwrap();
    assert!(
        call(&client).await.is_ok(),
        "recovers once the knobs are off"
    );
    sim.stop().await;
}

#[tokio::test]
async fn itk_faults_are_typed_with_retryability() {
    let sim = spawn_sim().await;
    let client = sim.live_client();
    for (nhs, code, retryable) in [
        ("9990000158", "1000", false),
        ("9990000166", "2100", true),
        ("9990000174", "2200", false),
        ("9990000182", "3000", false),
    ] {
        let mut q = read_query();
        q.nhs_number = Some(NhsNumber::parse(nhs).unwrap());
        let audit = AuditIdentity::local_user("X99", "tester");
        let err = client
            .call(Interaction::GetPatientDetailsByNhsNumber, &q, &audit)
            .await
            .unwrap_err();
        match &err {
            SmspError::Fault(f) => assert_eq!(f.error_code, code),
            other => panic!("{code}: {other:?}"),
        }
        assert_eq!(err.is_retryable(), retryable, "{code}");
    }
    sim.stop().await;
}
