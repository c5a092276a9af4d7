//! Certificate lifetimes (README, Operations, "Certificates"): `serve` exports when each
//! configured certificate file stops being valid and warns about one close to it, and refuses
//! to start with an endpoint or server certificate that has expired. Each test runs the real
//! binary, so the metric comes from its own recorder and the warning from its own log.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use rustls_pki_types::pem::PemObject;
use smsp_bridge::pki::{PkiPaths, PkiSet, Validity};

use crate::helpers::config_file::{self, toml_path};
use crate::helpers::metric_sample;
use crate::security::kill9::serve_logged;
use crate::security::support::run_bin;

fn unix_midnight(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

/// A configuration presenting `paths`' client certificate to SMSP and its server certificate
/// on an inbound TLS listener, with JSON logs. SMSP is not called: nothing here reads a patient.
fn config(dir: &Path, paths: &PkiPaths) -> std::path::PathBuf {
    let extra = format!(
        r#"
[security.tls]
listen = "127.0.0.1:0"
cert = {server_cert}
key = {server_key}
client_ca = {ca}
"#,
        server_cert = toml_path(&paths.server_cert),
        server_key = toml_path(&paths.server_key),
        ca = toml_path(&paths.ca),
    );
    config_file::write(dir, "https://127.0.0.1:9/smsp/pds", paths, 1, &extra)
}

/// The CA's notAfter as x509-parser reads it, independently of the bridge's own reading.
fn not_after_of(pem: &str) -> i64 {
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    cert.validity().not_after.timestamp()
}

#[tokio::test]
async fn serve_exports_each_certificates_expiry_and_warns_about_one_close_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let leaves = Validity::from_today(-355, 10);
    let pki = PkiSet::generate_with("Expiry Test CA", leaves).unwrap();
    let paths = pki.write_to(dir.path()).unwrap();
    let (mut child, port, log) = serve_logged(&config(dir.path(), &paths));

    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = |key: &str| {
        metric_sample(
            &text,
            &format!("smsp_bridge_certificate_expiry_timestamp_seconds{{certificate=\"{key}\"}}"),
        )
    };
    let leaf_end = unix_midnight(leaves.not_after) as f64;
    assert_eq!(series("smsp.client_cert"), Some(leaf_end), "{text}");
    assert_eq!(series("security.tls.cert"), Some(leaf_end), "{text}");
    let ca_end = not_after_of(&pki.ca_pem) as f64;
    assert_eq!(series("smsp.ca_cert"), Some(ca_end), "{text}");
    assert_eq!(series("security.tls.client_ca"), Some(ca_end), "{text}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(child.wait().unwrap().success());
    let lines: Vec<serde_json::Value> = log
        .join()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| {
            v["message"]
                == "certificate expires soon: renew it (the bridge loads the new files without a restart)"
        })
        .collect();
    let mut warned: Vec<(&str, &str, i64)> = lines
        .iter()
        .map(|v| {
            assert_eq!(v["level"], "WARN", "{v}");
            (
                v["certificate"].as_str().unwrap(),
                v["not_after"].as_str().unwrap(),
                v["days_left"].as_i64().unwrap(),
            )
        })
        .collect();
    warned.sort();
    // Midnight ten days from today is 9 whole days and some hours away; the CAs, which keep
    // the generator's term of over a year, are not warned about.
    let end = format!("{}T00:00:00Z", leaves.not_after);
    assert_eq!(
        warned,
        [
            ("security.tls.cert", end.as_str(), 9),
            ("smsp.client_cert", end.as_str(), 9),
        ]
    );
}

#[test]
fn serve_and_check_config_refuse_an_expired_certificate_and_name_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let expired = Validity::from_today(-400, -3);
    let paths = PkiSet::generate_with("Expired Test CA", expired)
        .unwrap()
        .write_to(dir.path())
        .unwrap();
    let cfg = config(dir.path(), &paths);
    let end = format!("expired at {}T00:00:00Z", expired.not_after);
    for command in ["serve", "check-config"] {
        let out = run_bin(&[command, "--config", cfg.to_str().unwrap()], "");
        assert!(!out.status.success(), "{command} must refuse");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for key in ["smsp.client_cert", "security.tls.cert"] {
            assert!(
                stderr
                    .lines()
                    .any(|l| l.starts_with(&format!("config error: {key}: ")) && l.contains(&end)),
                "{command}: no refusal of {key} ({end}) in: {stderr}"
            );
        }
        assert!(!stderr.contains("ca_cert"), "{command}: {stderr}");
    }
}

/// The start-up warning and the chart's warning alert use one threshold (README, Operations,
/// Certificates): an operator who sees one sees the other.
#[test]
fn the_start_up_warning_and_the_alert_share_their_threshold() {
    use smsp_bridge::telemetry::certificates::WARN_DAYS;
    let rules = include_str!("../../deploy/helm/smsp-bridge/files/alerts.yaml");
    let soon = rules
        .split("- alert: ")
        .find(|r| r.starts_with("SmspBridgeCertificateExpiresSoon\n"))
        .expect("the warning alert");
    assert!(
        soon.contains(&format!("- time() < {WARN_DAYS} * 86400")),
        "{soon}"
    );
}
