//! Shared pieces of the resilience tests: small time budgets, a read with its timing, the
//! assertions every fault-matrix row makes, and stand-in SMSP servers on a fixed port (so a
//! fault server can be swapped for a healthy simulator under the bridge's feet).

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use bytes::Bytes;
use smsp_bridge::config::Settings;
use smsp_bridge::pki::PkiSet;
use smsp_bridge::sim::{self, SimConfig, SimServer, SimTls};
use smsp_bridge::smsp::Interaction;

use crate::helpers::sim::spawn_sim;
use crate::helpers::{spawn_app_with, Reply, TestApp};

/// Per-attempt timeout (`smsp.timeout_ms`).
pub const ATTEMPT_MS: u64 = 300;
/// Overall budget per request (`resilience.request_budget_ms`).
pub const BUDGET_MS: u64 = 600;
/// How long the breaker stays open.
pub const OPEN_MS: u64 = 300;
/// Scheduling slack on a loaded 2-core machine running the suite in parallel.
pub const SLACK_MS: u64 = 500;
/// "At once": an answer that never waited on SMSP.
pub const AT_ONCE_MS: u64 = 250;

pub const NORMAL: &str = "9990001006";
pub const NORMAL_DOB: &str = "1980-01-15";
pub const READ: Interaction = Interaction::GetPatientDetailsByNhsNumber;

/// Small budgets; cache off (each request must reach SMSP); a breaker that opens after a few
/// calls and half-opens quickly, with one probe.
pub fn tune(s: &mut Settings) {
    s.cache.enabled = false;
    s.smsp.timeout_ms = ATTEMPT_MS;
    s.smsp.connect_timeout_ms = 200;
    s.smsp.max_body_bytes = 64 * 1024;
    let r = &mut s.resilience;
    r.request_budget_ms = BUDGET_MS;
    r.retry.max_attempts = 3;
    r.retry.base_backoff_ms = 10;
    r.retry.max_backoff_ms = 40;
    r.breaker.min_calls = 4;
    r.breaker.failure_ratio = 0.5;
    r.breaker.window_ms = 10_000;
    r.breaker.open_ms = OPEN_MS;
    r.breaker.half_open_probes = 1;
}

/// The bridge against a fresh simulator, tuned.
pub async fn app() -> TestApp {
    app_with(|_| {}).await
}

pub async fn app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(spawn_sim().await, |s| {
        tune(s);
        adjust(s);
    })
    .await
}

/// The bridge pointed at `addr` (where a test starts and stops servers itself); `app.sim`
/// supplies only the PKI.
pub async fn app_at(addr: SocketAddr) -> TestApp {
    spawn_app_with(spawn_sim().await, |s| {
        tune(s);
        s.smsp.url = format!("https://{addr}/smsp/pds");
    })
    .await
}

/// A loopback address nobody listens on (bound, then released).
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// `GET /Patient/{nhs}` with a birth date, and how long the answer took.
pub async fn read(app: &TestApp, nhs: &str) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = app
        .get(
            &format!("/Patient/{nhs}"),
            &[("X-SMSP-Birth-Date", NORMAL_DOB)],
        )
        .await;
    (reply, started.elapsed())
}

/// The second coding: the SMSP/ITK/transport code the answer came from.
pub fn origin(reply: &Reply) -> &str {
    reply.json["issue"][0]["details"]["coding"][1]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// What a fault-matrix row expects the caller to get.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub status: u16,
    pub spine: &'static str,
    /// Origin code: `connect`, `2100`, `SMSP-9999` …
    pub origin: &'static str,
    pub retry_after: Option<&'static str>,
}

/// 503 SERVICE_UNAVAILABLE with `Retry-After: 5`.
pub fn unavailable(origin: &'static str) -> Expect {
    Expect {
        status: 503,
        spine: "SERVICE_UNAVAILABLE",
        origin,
        retry_after: Some("5"),
    }
}

/// 500 UNKNOWN_ERROR.
pub fn unknown(origin: &'static str) -> Expect {
    Expect {
        status: 500,
        spine: "UNKNOWN_ERROR",
        origin,
        retry_after: None,
    }
}

pub const TIMED_OUT: Expect = Expect {
    status: 408,
    spine: "UNABLE_TO_CALL_SERVICE",
    origin: "timeout",
    retry_after: None,
};

pub const CIRCUIT_OPEN: Expect = Expect {
    status: 503,
    spine: "SERVICE_UNAVAILABLE",
    origin: "circuit-open",
    retry_after: Some("5"),
};

/// Status, Spine code, origin, Retry-After, PDS content type, and the time budget.
pub fn assert_answer(name: &str, reply: &Reply, took: Duration, expect: Expect) {
    assert_eq!(
        (reply.status, reply.spine_code(), origin(reply)),
        (expect.status, expect.spine, expect.origin),
        "{name}: {}",
        reply.json
    );
    assert_eq!(reply.header("retry-after"), expect.retry_after, "{name}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/fhir+json"),
        "{name}"
    );
    assert_eq!(reply.json["resourceType"], "OperationOutcome", "{name}");
    let limit = Duration::from_millis(BUDGET_MS + SLACK_MS);
    assert!(
        took < limit,
        "{name}: answered in {took:?}, budget {limit:?}"
    );
}

pub fn assert_normal(name: &str, reply: &Reply) {
    assert_eq!(reply.status, 200, "{name}: {}", reply.json);
    assert_eq!(reply.json["resourceType"], "Patient", "{name}");
    assert_eq!(reply.json["id"], NORMAL, "{name}");
}

/// Counts requests reaching whatever SMSP stand-in a test uses.
pub trait Upstream {
    fn hits(&self) -> u64;
}

impl Upstream for TestApp {
    fn hits(&self) -> u64 {
        self.sim.state.snapshot().total
    }
}

/// Calls until the breaker opens: every answer before is the fault's own; the first
/// circuit-open answer comes at once and reaches no SMSP. Panics if it never opens.
pub async fn trip_breaker(
    name: &str,
    app: &TestApp,
    nhs: &str,
    upstream: &dyn Upstream,
    fault: Expect,
) {
    for _ in 0..12 {
        let (reply, took) = read(app, nhs).await;
        if origin(&reply) == "circuit-open" {
            assert_answer(name, &reply, took, CIRCUIT_OPEN);
            // Even a request that would succeed is refused while open.
            let before = upstream.hits();
            let (reply, took) = read(app, NORMAL).await;
            assert_answer(name, &reply, took, CIRCUIT_OPEN);
            assert!(
                took < Duration::from_millis(AT_ONCE_MS),
                "{name}: open breaker answered in {took:?}"
            );
            assert_eq!(upstream.hits(), before, "{name}: no call while open");
            return;
        }
        assert_answer(name, &reply, took, fault);
    }
    panic!("{name}: the breaker never opened");
}

/// After the fault clears: once the open period is over a probe goes through, the breaker
/// closes, and answers are normal again (and keep reaching SMSP).
pub async fn recover(name: &str, app: &TestApp, upstream: &dyn Upstream) {
    tokio::time::sleep(Duration::from_millis(OPEN_MS + 100)).await;
    for _ in 0..3 {
        let before = upstream.hits();
        let (reply, _) = read(app, NORMAL).await;
        assert_normal(name, &reply);
        assert!(upstream.hits() > before, "{name}: answered by SMSP");
    }
}

// ------------------------------------------------------------------ stand-in servers

/// A simulator on a chosen address (so it can replace a fault server on the same port).
pub struct FixedSim(pub SimServer);

impl FixedSim {
    pub async fn start(addr: SocketAddr, pki: &PkiSet) -> Self {
        let mut config = SimConfig::new(addr, SimTls::from_pki(pki));
        config.workers = 1;
        FixedSim(sim::spawn(config).await.expect("simulator on a fixed port"))
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }
}

impl Upstream for FixedSim {
    fn hits(&self) -> u64 {
        self.0.state().snapshot().total
    }
}

/// What a stand-in SMSP answers to every `POST /smsp/pds`.
#[derive(Clone)]
pub enum Answer {
    /// A fixed status, content type and body.
    Fixed {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// 200 `text/xml`, then the body one byte every 50 ms, for ever ("slow drip").
    Drip,
    /// `307 Temporary Redirect` back to the same path: a client that follows it loops.
    RedirectToSelf,
}

/// An HTTPS server requiring a client certificate from `pki`'s CA, answering every request
/// the same way: for answers the simulator's knobs cannot give.
pub struct StandIn {
    handle: actix_web::dev::ServerHandle,
    hits: Arc<AtomicU64>,
}

impl StandIn {
    pub async fn start(addr: SocketAddr, pki: &PkiSet, answer: Answer) -> Self {
        let tls = smsp_bridge::pki::server_config_requiring_client_cert(
            &pki.server_cert_pem,
            &pki.server_key_pem,
            &pki.ca_pem,
        )
        .expect("TLS config");
        let hits = Arc::new(AtomicU64::new(0));
        let state = web::Data::new((answer, hits.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/smsp/pds", web::post().to(respond))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind_rustls_0_23(addr, tls)
        .expect("stand-in binds")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        StandIn { handle, hits }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Upstream for StandIn {
    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn respond(state: web::Data<(Answer, Arc<AtomicU64>)>) -> HttpResponse {
    state.1.fetch_add(1, Ordering::SeqCst);
    match &state.0 {
        Answer::Fixed {
            status,
            content_type,
            body,
        } => HttpResponse::build(actix_web::http::StatusCode::from_u16(*status).unwrap())
            .content_type(*content_type)
            .body(body.clone()),
        Answer::Drip => {
            let head = futures_util::stream::once(async {
                Ok::<_, actix_web::Error>(Bytes::from_static(b"<?xml version=\"1.0\"?>"))
            });
            let drip = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((Ok::<_, actix_web::Error>(Bytes::from_static(b" ")), ()))
            });
            use futures_util::StreamExt;
            HttpResponse::Ok()
                .content_type("text/xml; charset=utf-8")
                .streaming(head.chain(drip))
        }
        Answer::RedirectToSelf => HttpResponse::TemporaryRedirect()
            .insert_header((actix_web::http::header::LOCATION, "/smsp/pds"))
            .finish(),
    }
}
