//! The SMSP simulator: a faithful, deterministic stand-in for an SMSP (PDS Mini Services over
//! SOAP 1.1/ITK with TLS-MA, SMSP SPEC §1, §2, §5, §7, §8) that every other feature is tested
//! against. A real HTTPS server requiring client certificates, answering from a synthetic data set
//! (or an OpenTest-layout CSV), with magic NHS numbers that force each response code and ITK
//! fault, fault-injection knobs and per-interaction counters. docs/SIMULATOR.md is the manual.
//!
//! The core never imports this module; it uses the core's builders and parsers.

mod admin;
mod cli;
mod counters;
mod csv_loader;
mod dataset;
mod in_process;
mod knobs;
pub mod magic;
mod matching;
mod responder;
mod server;
mod state;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use cli::{run_cli, SimArgs};
pub use counters::{Counters, CountersSnapshot};
pub use csv_loader::LoadReport;
pub use dataset::{Dataset, RecordStatus, SimRecord, BUILTIN_CSV};
pub use in_process::{InProcessClient, IN_PROCESS_URL};
pub use knobs::{FailureMode, Knobs};
pub use matching::{decide, Outcome, Subject};
pub use state::SimState;

pub use crate::pki::generate_into;

/// The simulator's TLS material, PEM.
#[derive(Clone)]
pub struct SimTls {
    pub cert_pem: String,
    pub key_pem: String,
    /// The CA that client certificates must chain to.
    pub client_ca_pem: String,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimTls(***)")
    }
}

impl SimTls {
    /// Server certificate and key from a generated set; clients must hold a cert from its CA.
    pub fn from_pki(set: &crate::pki::PkiSet) -> Self {
        Self {
            cert_pem: set.server_cert_pem.clone(),
            key_pem: set.server_key_pem.clone(),
            client_ca_pem: set.ca_pem.clone(),
        }
    }

    pub fn from_files(cert: &Path, key: &Path, client_ca: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            cert_pem: crate::pki::read_pem_file(cert)?,
            key_pem: crate::pki::read_pem_file(key)?,
            client_ca_pem: crate::pki::read_pem_file(client_ca)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port ([`SimServer::addr`] tells which).
    pub listen: SocketAddr,
    pub tls: SimTls,
    /// An OpenTest-layout CSV that replaces the built-in data set.
    pub patients: Option<PathBuf>,
    pub knobs: Knobs,
    /// actix worker threads.
    pub workers: usize,
}

impl SimConfig {
    pub fn new(listen: SocketAddr, tls: SimTls) -> Self {
        Self {
            listen,
            tls,
            patients: None,
            knobs: Knobs::default(),
            workers: 2,
        }
    }
}

/// A running simulator. Dropping it leaves the server running until the runtime ends; call
/// [`SimServer::stop`] to shut it down.
pub struct SimServer {
    addr: SocketAddr,
    state: Arc<SimState>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Loads the data set, binds, and runs the server in the background.
pub async fn spawn(config: SimConfig) -> anyhow::Result<SimServer> {
    config.knobs.validate().map_err(anyhow::Error::msg)?;
    let dataset = match &config.patients {
        None => Dataset::builtin(),
        Some(path) => {
            let (set, report) = Dataset::from_file(path)?;
            // Counts and line numbers only: the skipped rows' contents are patient data.
            tracing::info!(
                rows = report.rows,
                loaded = report.loaded,
                duplicates = report.duplicates,
                skipped = report.skipped.len(),
                warnings = report.warnings.len(),
                "sim patients loaded"
            );
            for (line, why) in &report.skipped {
                tracing::warn!(line, reason = %why, "sim patients: row skipped");
            }
            for (line, why) in &report.warnings {
                tracing::warn!(line, reason = %why, "sim patients: value dropped");
            }
            set
        }
    };
    if config.knobs.any_active() {
        tracing::info!(knobs = ?config.knobs, "sim fault injection active");
    }
    let tls = crate::pki::server_config_requiring_client_cert(
        &config.tls.cert_pem,
        &config.tls.key_pem,
        &config.tls.client_ca_pem,
    )?;
    let state = Arc::new(SimState::new(dataset, config.knobs));
    let running = server::start(config.listen, tls, state.clone(), config.workers)?;
    tracing::info!(addr = %running.addr, patients = state.dataset().len(), "sim listening");
    Ok(SimServer {
        addr: running.addr,
        state,
        handle: running.handle,
        task: running.task,
    })
}

impl SimServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT/smsp/pds` (the server certificate covers `127.0.0.1` and
    /// `localhost`). A wildcard listen address is reported as 127.0.0.1.
    pub fn url(&self) -> String {
        format!("{}/smsp/pds", self.base_url())
    }

    /// `https://127.0.0.1:PORT`, for the admin endpoints.
    pub fn base_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            self.addr.ip()
        };
        format!("https://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Knobs and counters, settable and readable in-process.
    pub fn state(&self) -> Arc<SimState> {
        self.state.clone()
    }

    /// Graceful stop (in-flight requests get up to a second).
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}
