//! The fault matrix (issue 8): each fault → the caller's exact status, Spine code, origin code
//! and Retry-After, within the time budget, with the number of SMSP attempts the retry policy
//! allows; then, for faults that mark SMSP unhealthy, the breaker opens (503 at once, no SMSP
//! call), and once the fault clears it half-opens, closes, and answers are normal again.
//! The table with every row is in docs/RELIABILITY.md.

use smsp_bridge::pki::PkiSet;
use smsp_bridge::sim::{FailureMode, Knobs};

use super::support::*;
use crate::helpers::TestApp;

/// What is behind the bridge when nothing listens.
struct Nothing;
impl Upstream for Nothing {
    fn hits(&self) -> u64 {
        0
    }
}

fn knobs(app: &TestApp, change: impl FnOnce(&mut Knobs)) {
    app.sim.state.update_knobs(change).expect("valid knobs");
}

fn clear_knobs(app: &TestApp) {
    app.sim.state.set_knobs(Knobs::default()).unwrap();
}

/// A fault the simulator's knobs produce: a normal read first, then the fault's answer with
/// `attempts` SMSP calls, then the breaker trips and recovers once the knobs are cleared.
async fn knob_fault(name: &str, change: impl FnOnce(&mut Knobs), expect: Expect, attempts: u64) {
    let app = app().await;
    let (reply, _) = read(&app, NORMAL).await;
    assert_normal(name, &reply);

    knobs(&app, change);
    let before = app.sim.state.count(READ);
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer(name, &reply, took, expect);
    assert_eq!(
        app.sim.state.count(READ) - before,
        attempts,
        "{name}: attempts"
    );

    trip_breaker(name, &app, NORMAL, &app, expect).await;
    clear_knobs(&app);
    recover(name, &app, &app).await;
    app.stop().await;
}

/// A fault only a stand-in can give (`StandIn`): the answer, and how many calls reached it.
async fn stand_in_fault(name: &str, answer: Answer, expect: Expect, attempts: u64) {
    let addr = free_addr();
    let app = app_at(addr).await;
    let server = StandIn::start(addr, &app.sim.pki, answer).await;
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer(name, &reply, took, expect);
    assert_eq!(server.hits(), attempts, "{name}: attempts");
    server.stop().await;
    app.stop().await;
}

/// A fault forced by a magic NHS number (SMSP SPEC §2.6 faults, SMSP/DEMOG-9999): the answer and
/// attempts; faults that say SMSP is unhealthy trip the breaker, the others never do.
async fn magic_fault(name: &str, nhs: &str, expect: Expect, attempts: u64, trips: bool) {
    let app = app().await;
    let before = app.sim.state.count(READ);
    let (reply, took) = read(&app, nhs).await;
    assert_answer(name, &reply, took, expect);
    assert_eq!(
        app.sim.state.count(READ) - before,
        attempts,
        "{name}: attempts"
    );
    if trips {
        trip_breaker(name, &app, nhs, &app, expect).await;
        recover(name, &app, &app).await;
    } else {
        // An endpoint that answers, even with a fault about one message, is healthy.
        for _ in 0..6 {
            let (reply, took) = read(&app, nhs).await;
            assert_answer(name, &reply, took, expect);
        }
        let (reply, _) = read(&app, NORMAL).await;
        assert_normal(name, &reply);
    }
    app.stop().await;
}

#[tokio::test]
async fn connection_refused_is_503_then_recovers_when_smsp_comes_back() {
    let name = "connection refused";
    let addr = free_addr();
    let app = app_at(addr).await;
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer(name, &reply, took, unavailable("connect"));
    trip_breaker(name, &app, NORMAL, &Nothing, unavailable("connect")).await;
    let smsp = FixedSim::start(addr, &app.sim.pki).await;
    recover(name, &app, &smsp).await;
    smsp.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn reset_mid_response_is_retried_then_503() {
    knob_fault(
        "reset mid-response",
        |k| k.drop_connection = true,
        unavailable("io"),
        3,
    )
    .await;
}

#[tokio::test]
async fn slow_drip_is_a_timeout_within_the_budget() {
    let name = "slow drip";
    let addr = free_addr();
    let app = app_at(addr).await;
    let drip = StandIn::start(addr, &app.sim.pki, Answer::Drip).await;
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer(name, &reply, took, TIMED_OUT);
    assert!(took.as_millis() as u64 >= ATTEMPT_MS - 50, "{took:?}");
    assert_eq!(drip.hits(), 1, "a timeout is not retried");
    trip_breaker(name, &app, NORMAL, &drip, TIMED_OUT).await;
    drip.stop().await;
    let smsp = FixedSim::start(addr, &app.sim.pki).await;
    recover(name, &app, &smsp).await;
    smsp.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn latency_past_the_attempt_timeout_is_408() {
    knob_fault("timeout", |k| k.latency_ms = 2_000, TIMED_OUT, 1).await;
}

#[tokio::test]
async fn itk_1000_is_500_not_retried_and_never_trips_the_breaker() {
    magic_fault("ITK 1000", "9990000158", unknown("1000"), 1, false).await;
}

#[tokio::test]
async fn itk_2100_is_retried_to_the_cap_then_503() {
    magic_fault("ITK 2100", "9990000166", unavailable("2100"), 3, true).await;
}

#[tokio::test]
async fn itk_2200_is_500_not_retried() {
    magic_fault("ITK 2200", "9990000174", unknown("2200"), 1, true).await;
}

#[tokio::test]
async fn itk_3000_is_500_not_retried_and_never_trips_the_breaker() {
    magic_fault("ITK 3000", "9990000182", unknown("3000"), 1, false).await;
}

#[tokio::test]
async fn smsp_9999_is_500_once() {
    magic_fault("SMSP-9999", "9990000069", unknown("SMSP-9999"), 1, false).await;
}

#[tokio::test]
async fn demog_9999_is_500_once() {
    magic_fault("DEMOG-9999", "9990000131", unknown("DEMOG-9999"), 1, false).await;
}

#[tokio::test]
async fn http_500_without_a_fault_is_503_not_retried() {
    knob_fault(
        "HTTP 500",
        |k| {
            k.failure_rate = 1.0;
            k.failure_mode = FailureMode::Http500;
        },
        unavailable("http-status"),
        1,
    )
    .await;
}

#[tokio::test]
async fn http_503_is_retried_then_503() {
    knob_fault(
        "HTTP 503",
        |k| k.http_503 = true,
        unavailable("http-status"),
        3,
    )
    .await;
}

#[tokio::test]
async fn http_502_from_a_gateway_is_retried_then_503() {
    let gateway = Answer::Fixed {
        status: 502,
        content_type: "text/html",
        body: "<html>Bad Gateway</html>".into(),
    };
    stand_in_fault("HTTP 502", gateway, unavailable("http-status"), 3).await;
}

/// A redirect is not followed (a follower would re-post the query, with the client
/// certificate, wherever the `Location` points): one call, answered as an HTTP error, and not
/// retried (only 502–504 are).
#[tokio::test]
async fn a_redirect_is_an_http_error_and_is_not_followed() {
    // More than one call: the redirect was followed or retried.
    stand_in_fault(
        "HTTP 307",
        Answer::RedirectToSelf,
        unavailable("http-status"),
        1,
    )
    .await;
}

#[tokio::test]
async fn malformed_xml_is_500() {
    knob_fault(
        "malformed XML",
        |k| k.malformed_xml = true,
        unknown("malformed"),
        1,
    )
    .await;
}

#[tokio::test]
async fn truncated_xml_is_500() {
    knob_fault(
        "truncated XML",
        |k| k.truncated_xml = true,
        unknown("malformed"),
        1,
    )
    .await;
}

#[tokio::test]
async fn an_oversize_body_is_500() {
    knob_fault(
        "oversize body",
        |k| k.oversize_bytes = 200_000,
        unknown("oversize"),
        1,
    )
    .await;
}

#[tokio::test]
async fn a_wrong_content_type_is_500() {
    knob_fault(
        "wrong content type",
        |k| k.wrong_content_type = true,
        unknown("malformed"),
        1,
    )
    .await;
}

#[tokio::test]
async fn a_server_certificate_from_the_wrong_ca_is_500_then_recovers() {
    let name = "wrong CA";
    let addr = free_addr();
    let app = app_at(addr).await;
    let other = PkiSet::generate_named("Other CA").expect("PKI");
    let impostor = FixedSim::start(addr, &other).await;
    let (reply, took) = read(&app, NORMAL).await;
    assert_answer(name, &reply, took, unknown("tls"));
    assert_eq!(impostor.hits(), 0, "the handshake fails before any request");
    trip_breaker(name, &app, NORMAL, &impostor, unknown("tls")).await;
    impostor.stop().await;
    let smsp = FixedSim::start(addr, &app.sim.pki).await;
    recover(name, &app, &smsp).await;
    smsp.stop().await;
    app.stop().await;
}

/// XML guards in `smsp::parse` (nesting depth, DOCTYPE/entities) and the transport's body cap
/// with a declared `Content-Length`, through the whole bridge.
#[tokio::test]
async fn hostile_xml_and_declared_oversize_are_refused() {
    let deep = format!(
        "<?xml version=\"1.0\"?>{}{}",
        "<a>".repeat(500),
        "</a>".repeat(500)
    );
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol2;</soap:Body></soap:Envelope>"#;
    let huge = format!("<?xml version=\"1.0\"?><x>{}</x>", "y".repeat(100_000));
    for (name, body, expect) in [
        ("deep nesting", deep, unknown("malformed")),
        ("DOCTYPE", laughs.to_string(), unknown("malformed")),
        ("declared oversize", huge, unknown("oversize")),
    ] {
        let answer = Answer::Fixed {
            status: 200,
            content_type: "text/xml; charset=utf-8",
            body,
        };
        // One call: not retried.
        stand_in_fault(name, answer, expect, 1).await;
    }
}
