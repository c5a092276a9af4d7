//! Prometheus metrics: one process-wide recorder (the `metrics` facade), an HTTP middleware
//! counting requests by route *pattern* and status, and the `/metrics` endpoint.
//! Labels never carry patient data: routes are patterns (`/Patient/{id}`), never paths.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds: SMSP answers in tens to hundreds of milliseconds; a cache hit in
/// microseconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// An audit group commit's write + `fdatasync`: finer than `BUCKETS` at the low end (0.2–0.5 ms
/// on the VM disk in docs/PERFORMANCE-LOG.md, less on faster volumes), and up to the stalls.
const COMMIT_SECONDS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Records per audit group commit: 1 when requests come one at a time, up to the connections
/// waiting at once (and `security.audit.max_batch`) under load.
const COMMIT_RECORDS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// How often histogram samples are folded into buckets. Without upkeep the recorder keeps
/// every sample until `/metrics` is scraped, so memory grows when nobody scrapes.
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the recorder once per process (tests start many apps in one process), with a
/// background thread doing the recorder's upkeep.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                // Full-name matchers take precedence over the suffix one (the exporter sorts them).
                .set_buckets_for_metric(
                    Matcher::Full("smsp_bridge_audit_commit_seconds".into()),
                    COMMIT_SECONDS,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("smsp_bridge_audit_commit_records".into()),
                    COMMIT_RECORDS,
                )
                .ok()?
                .install_recorder()
                .ok()?;
            super::catalogue::describe_and_start();
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                })
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render() -> HttpResponse {
    match install() {
        Some(h) => {
            // The log writer counts its own drops; published when scraped.
            metrics::counter!("smsp_bridge_log_lines_dropped_total")
                .absolute(super::dropped_lines() as u64);
            HttpResponse::Ok()
                .content_type("text/plain; version=0.0.4")
                .body(h.render())
        }
        None => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// Counts every request by method, route pattern and status, times it, and tracks in-flight
/// requests. The metric handles are looked up once per label set and worker thread
/// (`HttpHandles`): building the labels and looking them up in the registry on every request
/// cost more than the counting itself (issue 9).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let in_flight = IN_FLIGHT.with(|g| g.clone());
    in_flight.increment(1.0);
    let res = next.call(req).await;
    in_flight.decrement(1.0);
    let (route, status) = match &res {
        Ok(r) => (
            crate::http::route::pattern(r.request()).unwrap_or("unmatched"),
            r.status().as_u16(),
        ),
        Err(e) => ("unmatched", e.as_response_error().status_code().as_u16()),
    };
    let handles = HttpHandles::get(&method, route, status);
    handles.requests.increment(1);
    handles.duration.record(started.elapsed().as_secs_f64());
    res
}

thread_local! {
    static IN_FLIGHT: metrics::Gauge = metrics::gauge!("smsp_bridge_http_requests_in_flight");
    static HTTP_HANDLES: RefCell<HandleMap> = RefCell::new(HandleMap::default());
}

/// Per-thread handles by (method, route, status): registering once per thread avoids the
/// recorder's global lookup on every request. foldhash: SipHash was most of the lookup.
type HandleMap = foldhash::HashMap<(Method, &'static str, u16), Rc<HttpHandles>>;

/// The request counter and latency histogram of one (method, route, status).
struct HttpHandles {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

/// Bounds the per-thread table: methods outside the standard ones are caller-chosen text.
const MAX_HANDLE_SETS: usize = 512;

impl HttpHandles {
    fn get(method: &Method, route: &'static str, status: u16) -> Rc<Self> {
        let key = (method.clone(), route, status);
        if let Some(h) = HTTP_HANDLES.with(|t| t.borrow().get(&key).cloned()) {
            return h;
        }
        let m = method.to_string();
        let h = Rc::new(Self {
            requests: metrics::counter!("smsp_bridge_http_requests_total",
                "method" => m.clone(), "route" => route, "status" => status.to_string()),
            duration: metrics::histogram!("smsp_bridge_http_request_duration_seconds",
                "method" => m, "route" => route),
        });
        HTTP_HANDLES.with(|t| {
            let mut t = t.borrow_mut();
            if t.len() < MAX_HANDLE_SETS {
                t.insert(key, h.clone());
            }
        });
        h
    }
}
