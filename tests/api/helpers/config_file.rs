//! A configuration file for tests that run the real `smsp-bridge serve`: the settings every
//! such test shares, then its own sections.

use std::path::{Path, PathBuf};

use smsp_bridge::pki::PkiPaths;

/// Writes `DIR/bridge.toml`: loopback on an ephemeral port, `workers`, JSON logs at `info`,
/// SMSP at `smsp_url` with `pki`'s client certificate, key and CA, then `extra` (TOML
/// sections, in which `{path}` quoting is the caller's: see [`toml_path`]).
pub fn write(dir: &Path, smsp_url: &str, pki: &PkiPaths, workers: usize, extra: &str) -> PathBuf {
    let text = format!(
        r#"
listen = "127.0.0.1:0"
workers = {workers}
shutdown_grace_seconds = 1

[smsp]
url = "{smsp_url}"
client_cert = {cert}
client_key = {key}
ca_cert = {ca}
timeout_ms = 5000

[log]
format = "json"
filter = "info"
{extra}"#,
        cert = toml_path(&pki.client_cert),
        key = toml_path(&pki.client_key),
        ca = toml_path(&pki.ca),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A path as a TOML basic string (Rust's `Debug` escaping is TOML-compatible for paths).
pub fn toml_path(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}
