//! `[compare]` settings (issue 6): where PDS FHIR is and how to reach it, and shadow mode.
//! Every key, its default and its meaning is documented in docs/COMPARE.md ("Settings").
//! Secrets are never written here: only the path of the file holding the private key.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompareSettings {
    /// The real PDS FHIR API compare and shadow mode ask.
    pub pds: PdsSettings,
    pub shadow: ShadowSettings,
    /// A rules file replacing the embedded `mappings/compare.toml`.
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PdsSettings {
    /// e.g. `https://int.api.service.nhs.uk/personal-demographics/FHIR/R4` (PDS FHIR SPEC §1).
    pub base_url: Option<String>,
    /// The application's API key: `iss` and `sub` of the client assertion. Absent = no
    /// authentication (the open sandbox).
    pub api_key: Option<String>,
    /// PEM file: the RSA private key that signs the client assertion (RS512).
    pub private_key: Option<PathBuf>,
    /// `kid` of the public key registered with the application.
    pub kid: Option<String>,
    /// Token endpoint; default `<scheme>://<host>/oauth2/token` of `base_url`.
    pub token_url: Option<String>,
    /// Requests per second to PDS (PDS allows 5 per application by default, SPEC §1).
    pub rate: f64,
    /// Budget for one PDS request.
    pub timeout_ms: u64,
    /// Retries of a 429 (and of a 503 carrying `Retry-After`), each after `Retry-After`.
    pub max_retries: u32,
    /// `NHSD-End-User-Organisation-ODS` sent to PDS (SPEC §3), when set.
    pub ods_code: Option<String>,
}

impl Default for PdsSettings {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            private_key: None,
            kid: None,
            token_url: None,
            rate: 5.0,
            timeout_ms: 10_000,
            max_retries: 3,
            ods_code: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShadowSettings {
    /// Fraction (0–1) of successful patient answers also fetched from PDS in the background.
    /// 0 disables shadow mode.
    pub sample_rate: f64,
    /// Samples waiting for the background worker; when full, new samples are dropped (counted).
    pub queue_capacity: usize,
    /// Optional JSON Lines file receiving one line per sample that differs (NHS numbers masked).
    pub differences_file: Option<PathBuf>,
}

impl Default for ShadowSettings {
    fn default() -> Self {
        Self {
            sample_rate: 0.0,
            queue_capacity: 64,
            differences_file: None,
        }
    }
}

impl CompareSettings {
    /// Every problem with these settings, keyed by its full setting name (`compare.…`), for
    /// `check-config`; `serve` refuses the same values at start-up.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let rate = self.shadow.sample_rate;
        if !(rate.is_finite() && (0.0..=1.0).contains(&rate)) {
            out.push((
                "compare.shadow.sample_rate",
                "must be between 0 and 1".to_string(),
            ));
        }
        if rate > 0.0 {
            match self.pds.base_url.as_deref().map(url::Url::parse) {
                Some(Ok(u)) if matches!(u.scheme(), "http" | "https") => {}
                Some(_) => out.push(("compare.pds.base_url", "must be an http(s) URL".into())),
                None => out.push((
                    "compare.pds.base_url",
                    "is required when compare.shadow.sample_rate > 0".into(),
                )),
            }
            if self.shadow.queue_capacity == 0 {
                out.push(("compare.shadow.queue_capacity", "must be at least 1".into()));
            }
        }
        if !(self.pds.rate.is_finite() && self.pds.rate > 0.0) {
            out.push((
                "compare.pds.rate",
                "must be greater than 0 requests/second".into(),
            ));
        }
        if let Some(p) = &self.pds.private_key {
            if !p.is_file() {
                out.push((
                    "compare.pds.private_key",
                    format!("file {} not found", p.display()),
                ));
            }
        }
        if let Some(p) = &self.rules {
            if !p.is_file() {
                out.push(("compare.rules", format!("file {} not found", p.display())));
            }
        }
        out
    }
}
