use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Every key, its default and its meaning is documented in README.md ("Configuration").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address the FHIR API listens on.
    pub listen: String,
    /// Base URL clients see; `fullUrl`s in search Bundles are built from it (PDS FHIR SPEC §5.2).
    pub public_base_url: String,
    /// Path prefix of the FHIR API.
    pub base_path: String,
    /// Directory whose `*.toml` files override the embedded mapping tables.
    pub mappings_dir: Option<PathBuf>,
    /// Seconds to finish in-flight requests after SIGTERM/Ctrl-C.
    pub shutdown_grace_seconds: u64,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// How long `/_status` reuses its last SMSP probe (it is open to unauthenticated probes).
    pub status_cache_ms: u64,
    /// How often the TLS certificate and key files are checked for new contents, which are
    /// then loaded without a restart (0 = only on SIGHUP).
    pub tls_reload_seconds: u64,
    pub smsp: SmspSettings,
    pub log: LogSettings,
    pub cache: crate::cache::CacheSettings,
    pub security: crate::security::SecuritySettings,
    pub resilience: crate::resilience::ResilienceSettings,
    pub compare: crate::compare::CompareSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmspSettings {
    /// SMSP endpoint; must be https (TLS-MA).
    pub url: String,
    /// PEM file: the endpoint certificate (chain) presented to SMSP.
    pub client_cert: Option<PathBuf>,
    /// PEM file: the endpoint certificate's private key.
    pub client_key: Option<PathBuf>,
    /// PEM file: the CA(s) that sign SMSP's server certificate — the only roots trusted.
    pub ca_cert: Option<PathBuf>,
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Largest SMSP response body accepted.
    pub max_body_bytes: usize,
    /// `wsa:From` address sent in every request.
    pub from_address: String,
    /// `wsse:Username` issued by the SMSP provider.
    pub username: String,
    /// ODS code used in the ITK auditIdentity when a request carries no
    /// `NHSD-End-User-Organisation-ODS` header.
    pub default_ods_code: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// `RUST_LOG`-style filter; the `RUST_LOG` variable wins when set.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_base_url: "http://localhost:8080/personal-demographics/FHIR/R4".into(),
            base_path: "/personal-demographics/FHIR/R4".into(),
            mappings_dir: None,
            shutdown_grace_seconds: 10,
            workers: 0,
            status_cache_ms: 2_000,
            tls_reload_seconds: 60,
            smsp: SmspSettings::default(),
            log: LogSettings::default(),
            cache: Default::default(),
            security: Default::default(),
            resilience: Default::default(),
            compare: Default::default(),
        }
    }
}

impl Default for SmspSettings {
    fn default() -> Self {
        Self {
            url: "https://localhost:9443/smsp/pds".into(),
            client_cert: None,
            client_key: None,
            ca_cert: None,
            timeout_ms: 10_000,
            connect_timeout_ms: 3_000,
            max_body_bytes: 1024 * 1024,
            from_address: "urn:smsp-bridge".into(),
            username: "smsp-bridge".into(),
            default_ods_code: "X99".into(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            filter: "info".into(),
        }
    }
}
