//! A client of the real PDS FHIR API (issue 6): `GET /Patient/{id}` and `GET /Patient?…` with
//! PDS's headers (PDS FHIR SPEC §3), application-restricted authentication when configured
//! (`auth`), a steady request rate, and retries of 429 (and of a 503 carrying `Retry-After`)
//! after the wait PDS asks for, **reusing the X-Request-ID** (PDS de-duplicates on it, SPEC §3).

use anyhow::Context;
use secrecy::SecretString;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::auth::{default_token_url, AuthConfig, TokenSource};
use super::outcome::Fetched;
use super::rate::{retry_after, Pace, DEFAULT_RETRY_AFTER};
use super::settings::PdsSettings;

/// The largest PDS body read (a full Patient is a few kB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything needed to reach PDS; built from the CLI or `[compare.pds]`.
pub struct PdsConfig {
    pub base_url: String,
    pub auth: Option<AuthConfig>,
    pub rate: f64,
    pub timeout: Duration,
    pub max_retries: u32,
    pub ods_code: Option<String>,
}

impl PdsConfig {
    /// From settings, reading the private key file named there.
    pub fn from_settings(s: &PdsSettings) -> anyhow::Result<Self> {
        let base_url = s
            .base_url
            .clone()
            .context("compare.pds.base_url is required")?;
        let auth = auth_config(
            &base_url,
            s.api_key.as_deref(),
            s.private_key.as_deref(),
            s.kid.as_deref(),
            s.token_url.as_deref(),
        )?;
        Ok(Self {
            base_url,
            auth,
            rate: s.rate,
            timeout: Duration::from_millis(s.timeout_ms),
            max_retries: s.max_retries,
            ods_code: s.ods_code.clone(),
        })
    }
}

/// API key, private key and kid come together or not at all (none = the open sandbox).
pub fn auth_config(
    base_url: &str,
    api_key: Option<&str>,
    private_key: Option<&std::path::Path>,
    kid: Option<&str>,
    token_url: Option<&str>,
) -> anyhow::Result<Option<AuthConfig>> {
    match (api_key, private_key, kid) {
        (None, None, None) => Ok(None),
        (Some(api_key), Some(path), Some(kid)) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the private key {}", path.display()))?;
            let token_url = match token_url {
                Some(t) => t.to_string(),
                None => default_token_url(base_url)
                    .context("cannot derive the token URL from the PDS base URL")?,
            };
            Ok(Some(AuthConfig {
                api_key: api_key.to_string(),
                private_key_pem: SecretString::from(pem),
                kid: kid.to_string(),
                token_url,
            }))
        }
        _ => anyhow::bail!(
            "PDS authentication needs the API key, the private key and the kid together"
        ),
    }
}

/// Counts for the report.
#[derive(Debug, Default)]
pub struct PdsStats {
    pub requests: AtomicU64,
    /// 429 answers received (each retried while retries remained).
    pub throttled: AtomicU64,
    pub retries: AtomicU64,
}

pub struct PdsClient {
    http: reqwest::Client,
    base: url::Url,
    auth: Option<TokenSource>,
    pace: Pace,
    max_retries: u32,
    ods_code: Option<String>,
    pub stats: Arc<PdsStats>,
}

impl PdsClient {
    pub fn new(config: PdsConfig) -> anyhow::Result<Self> {
        crate::pki::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("smsp-bridge-compare/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the PDS HTTP client")?;
        let mut base = url::Url::parse(config.base_url.trim_end_matches('/'))
            .context("the PDS base URL is not a URL")?;
        if !matches!(base.scheme(), "http" | "https") {
            anyhow::bail!("the PDS base URL must be http(s)");
        }
        // Joining keeps the base path only with a trailing slash.
        base.set_path(&format!("{}/", base.path().trim_end_matches('/')));
        let auth = config
            .auth
            .map(|a| TokenSource::new(a, http.clone()))
            .transpose()?;
        Ok(Self {
            http,
            base,
            auth,
            pace: Pace::per_second(config.rate),
            max_retries: config.max_retries,
            ods_code: config.ods_code,
            stats: Arc::new(PdsStats::default()),
        })
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub fn token_requests(&self) -> u64 {
        self.auth.as_ref().map_or(0, TokenSource::token_requests)
    }

    /// `GET /Patient/{nhs_number}`.
    pub async fn read(&self, nhs_number: &str) -> Fetched {
        match self.base.join(&format!("Patient/{nhs_number}")) {
            Ok(url) => self.get(url).await,
            Err(_) => Fetched::failed("cannot build the PDS URL"),
        }
    }

    /// `GET /Patient?…`.
    pub async fn search(&self, params: &[(String, String)]) -> Fetched {
        let Ok(mut url) = self.base.join("Patient") else {
            return Fetched::failed("cannot build the PDS URL");
        };
        url.query_pairs_mut().extend_pairs(params);
        self.get(url).await
    }

    async fn get(&self, url: url::Url) -> Fetched {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut attempt = 0;
        let mut token_retried = false;
        loop {
            self.pace.wait().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let mut req = self
                .http
                .get(url.clone())
                .header("X-Request-ID", &request_id)
                .header("Accept", "application/fhir+json");
            if let Some(ods) = &self.ods_code {
                req = req.header("NHSD-End-User-Organisation-ODS", ods);
            }
            if let Some(auth) = &self.auth {
                match auth.bearer().await {
                    Ok(token) => req = req.bearer_auth(token),
                    Err(e) => return Fetched::failed(format!("PDS authentication: {e:#}")),
                }
            }
            let res = match req.send().await {
                Ok(r) => r,
                // `without_url`: the URL holds the NHS number.
                Err(e) => return Fetched::failed(transport_failure(&e.without_url())),
            };
            let status = res.status().as_u16();
            let wait = retry_after(res.headers());
            if status == 429 {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
            }
            let retryable = status == 429 || (status == 503 && wait.is_some());
            if retryable && attempt < self.max_retries {
                attempt += 1;
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait.unwrap_or(DEFAULT_RETRY_AFTER)).await;
                continue;
            }
            if status == 401 && !token_retried {
                if let Some(auth) = &self.auth {
                    // The token may have been revoked early: one fresh token, one more try.
                    token_retried = true;
                    auth.invalidate().await;
                    continue;
                }
            }
            return match read_limited(res).await {
                Ok(body) => Fetched::answer(status, body),
                Err(why) => Fetched::failed(why),
            };
        }
    }
}

async fn read_limited(mut res: reqwest::Response) -> Result<bytes::Bytes, String> {
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| transport_failure(&e.without_url()))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err("PDS answer larger than 1 MiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

fn transport_failure(e: &reqwest::Error) -> String {
    let class = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    format!("PDS unreachable ({class})")
}
