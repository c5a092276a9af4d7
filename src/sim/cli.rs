//! `smsp-bridge sim`: flags, certificate set-up and the run loop. `main.rs` only dispatches here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::knobs::{FailureMode, Knobs};
use super::{spawn, SimConfig, SimTls};
use crate::pki;

#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9443")]
    pub listen: SocketAddr,
    /// Server certificate (PEM). With --key and --client-ca; without all three, a fresh set is
    /// generated into --cert-dir.
    #[arg(long, requires_all = ["key", "client_ca"])]
    pub cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, requires_all = ["cert", "client_ca"])]
    pub key: Option<PathBuf>,
    /// CA (PEM) whose client certificates are accepted; clients without one are refused.
    #[arg(long, requires_all = ["cert", "key"])]
    pub client_ca: Option<PathBuf>,
    /// Where generated certificates are written when no certificate flags are given
    /// (default: <temp dir>/smsp-bridge-sim).
    #[arg(long, conflicts_with = "cert")]
    pub cert_dir: Option<PathBuf>,
    /// Patients CSV in the OpenTest column layout (default: the built-in synthetic set).
    #[arg(long)]
    pub patients: Option<PathBuf>,
    /// Fixed latency added to every SMSP answer, in ms.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Random extra latency of up to this many ms.
    #[arg(long, default_value_t = 0)]
    pub latency_jitter_ms: u64,
    /// Probability (0..1) that a request fails as --failure-mode says.
    #[arg(long, default_value_t = 0.0)]
    pub failure_rate: f64,
    /// What a failure_rate hit answers: itk-2200 (default), itk-2100 or http-500.
    #[arg(long, default_value = "itk-2200")]
    pub failure_mode: FailureMode,
    /// Abort every connection after a few body bytes.
    #[arg(long)]
    pub drop_connection: bool,
    /// Answer every request with HTTP 503.
    #[arg(long)]
    pub http_503: bool,
    /// Answer with XML that is not well-formed.
    #[arg(long)]
    pub malformed_xml: bool,
    /// Answer with the first half of the envelope only.
    #[arg(long)]
    pub truncated_xml: bool,
    /// Pad answers to at least this many bytes (0 = off).
    #[arg(long, default_value_t = 0)]
    pub oversize_bytes: u64,
    /// Answer with Content-Type text/html.
    #[arg(long)]
    pub wrong_content_type: bool,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
}

impl SimArgs {
    pub fn knobs(&self) -> Knobs {
        Knobs {
            latency_ms: self.latency_ms,
            latency_jitter_ms: self.latency_jitter_ms,
            failure_rate: self.failure_rate,
            failure_mode: self.failure_mode,
            drop_connection: self.drop_connection,
            http_503: self.http_503,
            malformed_xml: self.malformed_xml,
            truncated_xml: self.truncated_xml,
            oversize_bytes: self.oversize_bytes,
            wrong_content_type: self.wrong_content_type,
        }
    }
}

/// Runs the simulator until Ctrl-C.
pub async fn run_cli(args: SimArgs) -> anyhow::Result<ExitCode> {
    // The same off-thread writer as the bridge's (telemetry::logs): load runs measure the
    // bridge against nginx in front of this simulator, so its logging must not weigh on either.
    let (out, _log_writer) = crate::telemetry::writer(std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(out)
        .try_init();
    let knobs = args.knobs();
    if let Err(e) = knobs.validate() {
        bail!("{e}");
    }
    let tls = match (&args.cert, &args.key, &args.client_ca) {
        (Some(cert), Some(key), Some(ca)) => SimTls::from_files(cert, key, ca)?,
        _ => {
            let dir = args
                .cert_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("smsp-bridge-sim"));
            let paths = pki::generate_into(&dir)
                .with_context(|| format!("generating certificates into {}", dir.display()))?;
            println!("Generated a test PKI (test use only) in {}:", dir.display());
            println!(
                "  CA (trust this for the server; it signs the client cert): {}",
                paths.ca.display()
            );
            println!(
                "  server certificate / key: {} / {}",
                paths.server_cert.display(),
                paths.server_key.display()
            );
            println!(
                "  client certificate / key: {} / {}",
                paths.client_cert.display(),
                paths.client_key.display()
            );
            SimTls::from_files(&paths.server_cert, &paths.server_key, &paths.ca)?
        }
    };
    let mut config = SimConfig::new(args.listen, tls);
    config.patients = args.patients.clone();
    config.knobs = knobs;
    config.workers = args.workers;
    let server = spawn(config).await?;
    println!(
        "SMSP simulator listening on {} (client certificate required)",
        server.url()
    );
    println!(
        "Admin API: {}",
        server.url().replace("/smsp/pds", "/_admin/knobs")
    );
    crate::telemetry::shutdown_signal()
        .await
        .context("waiting for Ctrl-C or SIGTERM")?;
    println!("Stopping the simulator");
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}
