//! `Application::build`: everything `serve`, the demo and the tests share to start the bridge.

mod reload;
use reload::Reloader;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use crate::bridge::{Bridge, PatientService};
use crate::cache::CacheLayer;
use crate::config::Settings;
use crate::http::routes::status::StatusProbe;
use crate::mapping::Tables;
use crate::security::Security;
use crate::smsp::transport::{LiveClient, TransportConfig};
use crate::smsp::SmspClient;
use crate::telemetry::smsp_metrics::MeteredClient;

pub struct Application {
    port: u16,
    /// The inbound TLS listener's port (`security.tls.listen`), if any.
    tls_port: Option<u16>,
    server: Server,
    security: web::Data<Security>,
    /// Replaces TLS material while serving (`reload`); started by `run_until_stopped`.
    reloader: Reloader,
    reload_every: Duration,
}

impl Application {
    /// Builds the bridge against the live SMSP named in `settings`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let tables = Tables::load(settings.mappings_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("mapping tables: {e}"))?;
        // Fingerprinted before anything is loaded (see `Reloader::new`).
        let mut reloader = Reloader::new(&settings);
        let client = Arc::new(
            LiveClient::new(transport_config(&settings)?)
                .context("cannot set up the SMSP transport")?,
        );
        reloader.smsp(client.clone());
        Self::assemble(settings, client, tables, reloader)
    }

    /// Builds the bridge with any SMSP client (the simulator's in-process one, for instance).
    pub fn build_with(
        settings: Settings,
        smsp: Arc<dyn SmspClient>,
        tables: Tables,
    ) -> anyhow::Result<Self> {
        let reloader = Reloader::new(&settings);
        Self::assemble(settings, smsp, tables, reloader)
    }

    fn assemble(
        settings: Settings,
        smsp: Arc<dyn SmspClient>,
        tables: Tables,
        mut reloader: Reloader,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        crate::telemetry::metrics::install();
        crate::telemetry::certificates::record(
            &settings.certificate_files(),
            chrono::Utc::now().timestamp(),
        );
        // Metrics count every attempt; the resilience policies (retries, breaker) sit outside.
        let smsp = MeteredClient::wrap(smsp);
        let smsp = crate::resilience::wrap(smsp, &settings.resilience);
        let probe = web::Data::new(StatusProbe::new(
            smsp.clone(),
            Duration::from_millis(settings.status_cache_ms),
        ));
        // The core, then the side rooms that wrap it.
        let core: Arc<dyn PatientService> =
            Arc::new(Bridge::new(smsp, Arc::new(tables), &settings));
        let cache = Arc::new(CacheLayer::build(core, &settings.cache)?);
        let shadowed = crate::compare::wrap_shadow(cache.service.clone(), &settings.compare)?;
        let service: web::Data<dyn PatientService> = web::Data::from(shadowed);
        let security = web::Data::new(Security::build(&settings.security)?);
        let tls = crate::security::inbound_tls::tls_listener(&settings.security.tls)?;
        let tls_port = match &tls {
            Some(t) => Some(t.listener.local_addr()?.port()),
            None => None,
        };
        let security_for_app = security.clone();
        let base_path = settings.base_path.clone();
        // Request-line/header/query/body limits answered as OperationOutcomes (issue 8).
        let limits = crate::resilience::limits::Limits::new(&settings.resilience.limits);
        let mut server = HttpServer::new(move || {
            let cache = cache.clone();
            // `wrap` order: the last wrapped runs first. Echoed headers go on everything,
            // security answers (401/403/429) included.
            App::new()
                .app_data(service.clone())
                .app_data(security_for_app.clone())
                .app_data(probe.clone())
                .wrap(from_fn(crate::security::guard))
                .wrap(limits.clone())
                .wrap(from_fn(crate::telemetry::metrics::track))
                .wrap(from_fn(crate::http::echo::echo_headers))
                .configure(move |cfg| cache.configure(cfg))
                .configure(|cfg| crate::http::configure(cfg, &base_path))
                .default_service(web::to(crate::http::routes::unsupported::unknown_path))
        })
        .shutdown_timeout(settings.shutdown_grace_seconds)
        // Before the listeners: actix captures it per listener. Records client certificates.
        .on_connect(crate::security::client_cert::on_connect)
        .listen(listener)?;
        if let Some(tls) = tls {
            reloader.inbound(tls.identity);
            server = server.listen_rustls_0_23(tls.listener, tls.config)?;
        }
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Self {
            port,
            tls_port,
            server: server.run(),
            security,
            reloader,
            reload_every: Duration::from_secs(settings.tls_reload_seconds),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs until stopped (SIGTERM/SIGINT or the handle): actix stops accepting, lets
    /// in-flight requests finish within `shutdown_grace_seconds`, then the audit log is flushed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let reloads = self.reloader.spawn(self.reload_every);
        let result = self.server.await;
        reloads.abort();
        self.security.flush().await;
        result
    }
}

/// What `Application::build` would refuse, found without binding a port, changing the audit
/// trail or starting a task: the SMSP transport (certificate, key, CA bundle), the security
/// side room's files, inbound TLS and audit directory, and shadow mode's PDS client and rules.
/// `check-config` runs it (and then tries the ports) so that a configuration it accepts is one
/// `serve` starts with.
pub fn preflight(settings: &Settings) -> Vec<String> {
    let transport = transport_config(settings)
        .and_then(|c| LiveClient::new(c).context("cannot set up the SMSP transport"));
    let mut failed: Vec<String> = transport
        .err()
        .map(|e| format!("{e:#}"))
        .into_iter()
        .collect();
    failed.extend(Security::preflight(&settings.security));
    failed.extend(crate::compare::shadow::preflight(&settings.compare));
    failed
}

/// Reads the TLS material named in the settings (secrets come from files, never from the
/// config text itself).
pub fn transport_config(settings: &Settings) -> anyhow::Result<TransportConfig> {
    let s = &settings.smsp;
    let read = |key: &str, path: &Option<std::path::PathBuf>| -> anyhow::Result<Vec<u8>> {
        let path = path
            .as_ref()
            .with_context(|| format!("smsp.{key} is required"))?;
        std::fs::read(path).with_context(|| format!("smsp.{key}: cannot read {}", path.display()))
    };
    Ok(TransportConfig {
        url: s.url.clone(),
        client_cert_pem: read("client_cert", &s.client_cert)?,
        client_key_pem: read("client_key", &s.client_key)?.into(),
        ca_pem: read("ca_cert", &s.ca_cert)?,
        connect_timeout: Duration::from_millis(s.connect_timeout_ms),
        timeout: Duration::from_millis(s.timeout_ms),
        max_body_bytes: s.max_body_bytes,
        from_address: s.from_address.clone(),
        username: s.username.clone(),
        pool_idle_timeout: Duration::from_secs(60),
    })
}
