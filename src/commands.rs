//! What each CLI subcommand does. Kept out of `main.rs` so tests can call them.

use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, LogFormat, Settings};
use crate::mapping::Tables;
use crate::startup::Application;

/// `serve`: load and check the configuration, then run until SIGTERM/Ctrl-C.
pub async fn serve(config_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let settings = config::load(config_file).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let _logs = crate::telemetry::init(settings.log.format, &settings.log.filter);
    let problems = config::check(&settings);
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("config error: {p}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        listen = %settings.listen,
        port = app.port(),
        tls_port = app.tls_port(),
        "smsp-bridge serving"
    );
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

/// `check-config`: every configuration and mapping problem at once, then what `serve` would
/// refuse at start-up, then exit.
pub fn check_config(config_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let settings = match config::load(config_file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("config error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut failed = false;
    for p in config::check(&settings) {
        eprintln!("config error: {p}");
        failed = true;
    }
    if let Err(e) = Tables::load(settings.mappings_dir.as_deref()) {
        eprintln!("mapping error: {e}");
        failed = true;
    }
    // Then what only loading the files finds (a users file that does not parse, a JWKS file
    // that is missing, …), once the settings themselves are sound.
    if !failed {
        for e in crate::startup::preflight(&settings) {
            eprintln!("start-up error: {e}");
            failed = true;
        }
        failed |= !try_ports(&settings);
    }
    if failed {
        Ok(ExitCode::FAILURE)
    } else {
        println!("configuration and mappings are valid");
        Ok(ExitCode::SUCCESS)
    }
}

/// Binds each address `serve` would listen on, and lets go at once: an address that is not
/// this host's, or a port below 1024 without the capability, is a start-up error. A port in use
/// is only a note, because the configuration is often checked beside the bridge it will
/// replace. Returns false on an error.
fn try_ports(settings: &Settings) -> bool {
    let mut ok = true;
    let listeners = [("listen", Some(&settings.listen))]
        .into_iter()
        .chain([("security.tls.listen", settings.security.tls.listen.as_ref())]);
    for (key, addr) in listeners {
        let Some(addr) = addr else { continue };
        match std::net::TcpListener::bind(addr.as_str()) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => eprintln!(
                "note: {key}: {addr} is in use now; serve needs it free (is a bridge already running?)"
            ),
            Err(e) => {
                eprintln!("start-up error: {key}: cannot listen on {addr}: {e}");
                ok = false;
            }
        }
    }
    ok
}

/// `demo`: certificates, simulator and bridge in one process, with curls to paste.
pub async fn demo(listen: &str, sim_listen: &str) -> anyhow::Result<ExitCode> {
    let _logs = crate::telemetry::init(LogFormat::Pretty, "info");
    let dir = std::env::temp_dir().join(format!("smsp-bridge-demo-{}", std::process::id()));
    let paths = crate::pki::generate_into(&dir).context("cannot generate demo certificates")?;
    let pki = crate::pki::PkiSet::load(&dir)?;
    let sim_addr = sim_listen
        .parse()
        .with_context(|| format!("--sim-listen {sim_listen} is not host:port"))?;
    let sim = crate::sim::spawn(crate::sim::SimConfig::new(
        sim_addr,
        crate::sim::SimTls::from_pki(&pki),
    ))
    .await?;
    let mut settings = Settings {
        listen: listen.to_string(),
        ..Settings::default()
    };
    settings.log.format = LogFormat::Pretty;
    settings.smsp.url = sim.url();
    settings.smsp.client_cert = Some(paths.client_cert.clone());
    settings.smsp.client_key = Some(paths.client_key.clone());
    settings.smsp.ca_cert = Some(paths.ca.clone());
    // The documented demo user (README.md, section Security): HTTP Basic, audit trail in the demo dir.
    crate::security::demo::configure(&dir, &mut settings.security)?;
    let app = Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}{}", app.port(), settings.base_path);
    println!("{}", demo_banner(&base, &sim.url(), &dir));
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    crate::telemetry::shutdown_signal().await.ok();
    handle.stop(true).await;
    let _ = server.await;
    sim.stop().await;
    Ok(ExitCode::SUCCESS)
}

fn demo_banner(base: &str, sim_url: &str, cert_dir: &Path) -> String {
    let rid =
        "-u demo:demo-password -H \"X-Request-ID: $(uuidgen || cat /proc/sys/kernel/random/uuid)\"";
    format!(
        r#"
smsp-bridge demo is running.
  PDS FHIR API : {base}
  SMSP sim     : {sim_url} (TLS-MA; certificates in {dir})
  Demo user    : demo / demo-password (HTTP Basic; roles read, search, verify)
  Audit trail  : {dir}/audit (check it: smsp-bridge audit verify {dir}/audit)
Press Ctrl-C to stop.

# Read a patient (SMSP needs the date of birth: X-SMSP-Birth-Date)
curl -s {rid} -H "X-SMSP-Birth-Date: 1980-01-15" {base}/Patient/9990001006

# Search (exact, single match)
curl -s {rid} "{base}/Patient?family=FAIRWEATHER&gender=male&birthdate=eq1980-01-15"

# Search that matches two patients -> 200 OperationOutcome TOO_MANY_MATCHES
curl -s {rid} "{base}/Patient?family=TWINNING&gender=female&birthdate=1990-05-05"

# Verify an NHS number
curl -s {rid} "{base}/Patient/\$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-15"

# An error: an NHS number with a bad check digit -> 400 INVALID_RESOURCE_ID
curl -s {rid} -H "X-SMSP-Birth-Date: 1980-01-15" {base}/Patient/9990001007

# Who has seen patient 9990001006? (the audit trail, its chain checked as it is read)
smsp-bridge audit search {dir}/audit --nhs-number 9990001006
"#,
        dir = cert_dir.display()
    )
}
