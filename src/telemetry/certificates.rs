//! When each configured certificate file stops being valid: a gauge per file for alerting
//! (`deploy/helm/smsp-bridge/files/alerts.yaml`, SmspBridgeCertificateExpiry*), and a warning
//! at start-up for any within [`WARN_DAYS`]. Labels are configuration keys, never subjects or
//! paths.

use crate::config::CertificateFile;
use crate::pki::{common_lifetime, lifetime::rfc3339};

/// Start-up warns about a certificate file this close to its end (the alert's warning
/// threshold too).
pub const WARN_DAYS: i64 = 30;

/// Sets `smsp_bridge_certificate_expiry_timestamp_seconds{certificate=KEY}` to the earliest
/// `notAfter` in each file, and logs a warning for each within [`WARN_DAYS`] of it. A file that
/// cannot be read or parsed is skipped here: `config::check` reports it, and loading it fails.
pub fn record(files: &[CertificateFile<'_>], now: i64) {
    for file in files {
        if let Ok(pem) = crate::pki::read_pem_file(file.path) {
            record_pem(file.key, &pem, now);
        }
    }
}

/// [`record`] for one file's contents, under its configuration key (also after a reload).
pub fn record_pem(key: &'static str, pem: &str, now: i64) {
    let Ok(lifetime) = common_lifetime(pem) else {
        return;
    };
    metrics::gauge!(
        "smsp_bridge_certificate_expiry_timestamp_seconds",
        "certificate" => key
    )
    .set(lifetime.not_after as f64);
    let days_left = lifetime.days_left(now);
    if days_left < WARN_DAYS {
        tracing::warn!(
            certificate = key,
            not_after = %rfc3339(lifetime.not_after),
            days_left,
            "certificate expires soon: renew it (the bridge loads the new files without a restart)"
        );
    }
}
