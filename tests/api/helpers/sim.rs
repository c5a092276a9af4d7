//! Spawns the SMSP simulator for integration tests: a fresh PKI in a temp dir, the real HTTPS
//! server on 127.0.0.1:0 requiring client certificates, and clients configured to talk to it.

#![allow(dead_code)] // each test module uses a different part of this

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smsp_bridge::pki::{PkiPaths, PkiSet};
use smsp_bridge::sim::{self, Knobs, SimConfig, SimServer, SimState, SimTls};
use smsp_bridge::smsp::transport::{LiveClient, TransportConfig};

pub struct TestSim {
    /// `https://127.0.0.1:PORT/smsp/pds`.
    pub url: String,
    /// `https://127.0.0.1:PORT` (admin endpoints live under `/_admin`).
    pub base_url: String,
    pub pki: PkiSet,
    pub paths: PkiPaths,
    /// Knobs and counters, in-process.
    pub state: Arc<SimState>,
    server: Option<SimServer>,
    /// Keeps the PEM files alive for the test's lifetime.
    _dir: tempfile::TempDir,
}

/// A simulator over the built-in data set with every knob off.
pub async fn spawn_sim() -> TestSim {
    spawn_sim_with(Knobs::default(), None).await
}

/// A simulator with start-up knobs and, optionally, a patients CSV.
pub async fn spawn_sim_with(knobs: Knobs, patients: Option<PathBuf>) -> TestSim {
    smsp_bridge::pki::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = PkiSet::generate().expect("PKI");
    let paths = pki.write_to(dir.path()).expect("PEM files");
    let mut config = SimConfig::new("127.0.0.1:0".parse().unwrap(), SimTls::from_pki(&pki));
    config.knobs = knobs;
    config.patients = patients;
    config.workers = 1;
    let server = sim::spawn(config).await.expect("simulator starts");
    TestSim {
        url: server.url(),
        base_url: server.base_url(),
        state: server.state(),
        server: Some(server),
        pki,
        paths,
        _dir: dir,
    }
}

impl TestSim {
    /// Certificate + key PEM, as `reqwest::Identity::from_pem` wants them.
    pub fn identity_pem(&self) -> Vec<u8> {
        self.pki.client_identity_pem().into_bytes()
    }

    /// A raw HTTPS client trusting the simulator's CA and presenting its client certificate.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_backend_rustls()
            .tls_certs_only([reqwest::Certificate::from_pem(self.pki.ca_pem.as_bytes()).unwrap()])
            .identity(reqwest::Identity::from_pem(&self.identity_pem()).unwrap())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client")
    }

    /// The bridge's own transport, pointed at the simulator.
    pub fn transport_config(&self) -> TransportConfig {
        TransportConfig {
            url: self.url.clone(),
            client_cert_pem: self.pki.client_cert_pem.clone().into_bytes(),
            client_key_pem: self.pki.client_key_pem.clone().into_bytes().into(),
            ca_pem: self.pki.ca_pem.clone().into_bytes(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body_bytes: 256 * 1024,
            from_address: "https://bridge.test/".into(),
            username: "bridge-tests".into(),
            pool_idle_timeout: Duration::from_secs(30),
        }
    }

    pub fn live_client(&self) -> LiveClient {
        LiveClient::new(self.transport_config()).expect("live client")
    }

    /// Posts a raw body with a `SOAPAction` header; returns status, content type and body.
    pub async fn post_raw(&self, soap_action: Option<&str>, body: &str) -> (u16, String, String) {
        let mut req = self
            .http()
            .post(&self.url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(body.to_string());
        if let Some(a) = soap_action {
            req = req.header("SOAPAction", a);
        }
        let resp = req.send().await.expect("exchange");
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, resp.text().await.expect("body"))
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }
}
