//! `spawn_app`: the bridge on an ephemeral port, talking TLS-MA to a freshly spawned simulator.

use reqwest::header::HeaderMap;
use smsp_bridge::config::Settings;
use smsp_bridge::startup::Application;

use super::sim::{spawn_sim, TestSim};

pub struct TestApp {
    /// `http://127.0.0.1:PORT/personal-demographics/FHIR/R4`
    pub base: String,
    pub root: String,
    pub public_base_url: String,
    pub sim: TestSim,
    pub http: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(spawn_sim().await, |_| {}).await
}

/// Starts the bridge against `sim`, letting the test adjust the settings first.
pub async fn spawn_app_with(sim: TestSim, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        public_base_url: "https://bridge.example.test/personal-demographics/FHIR/R4".into(),
        workers: 2,
        shutdown_grace_seconds: 1,
        status_cache_ms: 0,
        ..Settings::default()
    };
    settings.smsp.url = sim.url.clone();
    settings.smsp.client_cert = Some(sim.paths.client_cert.clone());
    settings.smsp.client_key = Some(sim.paths.client_key.clone());
    settings.smsp.ca_cert = Some(sim.paths.ca.clone());
    settings.smsp.timeout_ms = 5_000;
    adjust(&mut settings);
    let public_base_url = settings.public_base_url.clone();
    let base_path = settings.base_path.clone();
    let app = Application::build(settings).await.expect("bridge builds");
    let root = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base: format!("{root}{base_path}"),
        root,
        public_base_url,
        sim,
        http: reqwest::Client::new(),
        handle,
    }
}

/// A response with its body parsed as JSON.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: serde_json::Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `issue[0].details.coding[0].code` — the Spine code.
    pub fn spine_code(&self) -> &str {
        self.json["issue"][0]["details"]["coding"][0]["code"]
            .as_str()
            .unwrap_or("<none>")
    }

    pub fn diagnostics(&self) -> &str {
        self.json["issue"][0]["diagnostics"].as_str().unwrap_or("")
    }
}

pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl TestApp {
    /// GET `base + path` with a fresh X-Request-ID and the given extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let rid = request_id();
        let mut all: Vec<(&str, &str)> = vec![("X-Request-ID", rid.as_str())];
        all.extend_from_slice(headers);
        self.get_raw(path, &all).await
    }

    /// GET with exactly these headers (no X-Request-ID added).
    pub async fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.http.get(format!("{}{}", self.base, path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        into_reply(req.send().await.expect("bridge answers")).await
    }

    /// `GET /metrics` (outside the FHIR base), as Prometheus text.
    pub async fn metrics(&self) -> String {
        self.metrics_with(None).await
    }

    /// `GET /metrics` with credentials (under authentication every path but `/_ping` needs a
    /// principal).
    pub async fn metrics_as(&self, authorization: &str) -> String {
        self.metrics_with(Some(authorization)).await
    }

    async fn metrics_with(&self, authorization: Option<&str>) -> String {
        let mut req = self.http.get(format!("{}/metrics", self.root));
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let res = req.send().await.expect("metrics");
        assert_eq!(res.status(), 200, "GET /metrics");
        res.text().await.expect("metrics text")
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        into_reply(req.send().await.expect("bridge answers")).await
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
        self.sim.stop().await;
    }
}

async fn into_reply(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("body is not JSON (status {status}): {text}"));
    capture(&json);
    Reply {
        status,
        headers,
        json,
    }
}

/// When `SMSP_BRIDGE_CAPTURE_DIR` is set, every FHIR body the bridge produced during the suite
/// is written there, so `.ci/run` can validate them against NHS's OpenAPI schemas.
fn capture(json: &serde_json::Value) {
    let Ok(dir) = std::env::var("SMSP_BRIDGE_CAPTURE_DIR") else {
        return;
    };
    let kind = json["resourceType"].as_str().unwrap_or("Unknown");
    let _ = std::fs::create_dir_all(&dir);
    let path = std::path::Path::new(&dir).join(format!("{kind}-{}.json", uuid::Uuid::new_v4()));
    let _ = std::fs::write(path, serde_json::to_vec_pretty(json).unwrap_or_default());
}

/// The value of the sample named exactly `series` (its name with its labels, as printed) in
/// Prometheus text; `None` when there is no such sample.
pub fn metric_sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}
