//! NHS application-restricted authentication (issue 6; PDS FHIR SPEC §1 access modes): a JWT
//! client assertion signed RS512 with the registered key's `kid`, `iss` = `sub` = the API key,
//! `aud` = the token URL, a fresh `jti`, `exp` at most 5 minutes ahead, exchanged at the token
//! endpoint (`grant_type=client_credentials`, `client_assertion_type=…jwt-bearer`) for a bearer
//! token that is cached and refreshed before it expires.

use anyhow::Context;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The assertion's lifetime: NHS allows at most 5 minutes; 30 s less leaves room for clock skew.
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(270);

/// Refresh this long before expiry (or at three quarters of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

pub struct AuthConfig {
    pub api_key: String,
    pub private_key_pem: SecretString,
    pub kid: String,
    pub token_url: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub jti: String,
    pub exp: u64,
}

struct Token {
    value: SecretString,
    refresh_at: Instant,
}

pub struct TokenSource {
    api_key: String,
    kid: String,
    token_url: String,
    key: EncodingKey,
    http: reqwest::Client,
    cached: Mutex<Option<Token>>,
    requests: AtomicU64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// NHS's token endpoint sends a string (`"599"`); accept a number too.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenSource {
    pub fn new(config: AuthConfig, http: reqwest::Client) -> anyhow::Result<Self> {
        let key = EncodingKey::from_rsa_pem(config.private_key_pem.expose_secret().as_bytes())
            .context("compare.pds.private_key: not an RSA private key in PEM (PKCS#1 or PKCS#8)")?;
        url::Url::parse(&config.token_url).context("the token URL is not a URL")?;
        Ok(Self {
            api_key: config.api_key,
            kid: config.kid,
            token_url: config.token_url,
            key,
            http,
            cached: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// Tokens fetched so far.
    pub fn token_requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A signed client assertion valid from `now`.
    pub fn client_assertion(&self, now: SystemTime) -> anyhow::Result<String> {
        let exp = now.duration_since(UNIX_EPOCH).unwrap_or_default() + ASSERTION_LIFETIME;
        let claims = AssertionClaims {
            iss: self.api_key.clone(),
            sub: self.api_key.clone(),
            aud: self.token_url.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            exp: exp.as_secs(),
        };
        let mut header = Header::new(Algorithm::RS512);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .context("cannot sign the client assertion")
    }

    /// The current bearer token, fetching a new one when none is cached or it is due for refresh.
    pub async fn bearer(&self) -> anyhow::Result<String> {
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref() {
            if Instant::now() < t.refresh_at {
                return Ok(t.value.expose_secret().to_string());
            }
        }
        let token = self.fetch().await?;
        let value = token.value.expose_secret().to_string();
        *cached = Some(token);
        Ok(value)
    }

    /// Forgets the cached token (PDS answered 401 to it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> anyhow::Result<Token> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let assertion = self.client_assertion(SystemTime::now())?;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
            .append_pair("client_assertion", &assertion)
            .finish();
        let started = Instant::now();
        let res = self
            .http
            .post(&self.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("token endpoint unreachable: {}", e.without_url()))?;
        let status = res.status();
        if !status.is_success() {
            // The endpoint's error text names the problem (bad kid, expired assertion …) and
            // carries no patient data.
            let text = res.text().await.unwrap_or_default();
            anyhow::bail!(
                "token endpoint answered {status}: {}",
                text.chars().take(300).collect::<String>()
            );
        }
        let parsed: TokenResponse = res.json().await.map_err(|e| {
            anyhow::anyhow!("token endpoint answer unreadable: {}", e.without_url())
        })?;
        let lifetime = parsed
            .expires_in
            .and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(300));
        Ok(Token {
            value: SecretString::from(parsed.access_token),
            refresh_at: started + refresh_after(lifetime),
        })
    }
}

/// When a token with `lifetime` should be replaced: 60 s before expiry, or at three quarters of
/// a lifetime shorter than 4 minutes.
pub fn refresh_after(lifetime: Duration) -> Duration {
    let margin = REFRESH_MARGIN.min(lifetime / 4);
    lifetime.saturating_sub(margin)
}

/// `https://int.api.service.nhs.uk/personal-demographics/FHIR/R4` →
/// `https://int.api.service.nhs.uk/oauth2/token` (NHS's token endpoint for each environment).
pub fn default_token_url(base_url: &str) -> Option<String> {
    let u = url::Url::parse(base_url).ok()?;
    let host = u.host_str()?;
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}/oauth2/token", u.scheme()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn assertion_is_rs512_with_kid_and_nhs_claims() {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA512).unwrap();
        let source = TokenSource::new(
            AuthConfig {
                api_key: "app-key".into(),
                private_key_pem: SecretString::from(kp.serialize_pem()),
                kid: "test-1".into(),
                token_url: "https://int.example/oauth2/token".into(),
            },
            reqwest::Client::new(),
        )
        .unwrap();
        let now = SystemTime::now();
        let jwt = source.client_assertion(now).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::RS512);
        assert_eq!(header.kid.as_deref(), Some("test-1"));
        let mut v = Validation::new(Algorithm::RS512);
        v.set_audience(&["https://int.example/oauth2/token"]);
        v.set_issuer(&["app-key"]);
        let key = DecodingKey::from_rsa_pem(kp.public_key_pem().as_bytes()).unwrap();
        let claims = jsonwebtoken::decode::<AssertionClaims>(&jwt, &key, &v)
            .unwrap()
            .claims;
        assert_eq!(claims.sub, "app-key");
        let now_s = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(
            claims.exp > now_s && claims.exp <= now_s + 300,
            "exp ≤ 5 minutes"
        );
        let again = source.client_assertion(now).unwrap();
        let jti2 = jsonwebtoken::decode::<AssertionClaims>(&again, &key, &v)
            .unwrap()
            .claims
            .jti;
        assert_ne!(claims.jti, jti2, "a fresh jti each time");
    }

    #[test]
    fn refresh_before_expiry() {
        assert_eq!(
            refresh_after(Duration::from_secs(599)),
            Duration::from_secs(539)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(4)),
            Duration::from_secs(3)
        );
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn token_url_from_base() {
        assert_eq!(
            default_token_url("https://int.api.service.nhs.uk/personal-demographics/FHIR/R4")
                .as_deref(),
            Some("https://int.api.service.nhs.uk/oauth2/token")
        );
        assert_eq!(
            default_token_url("http://127.0.0.1:8123/personal-demographics/FHIR/R4").as_deref(),
            Some("http://127.0.0.1:8123/oauth2/token")
        );
    }

    #[test]
    fn a_key_that_is_not_rsa_is_refused() {
        let r = TokenSource::new(
            AuthConfig {
                api_key: "k".into(),
                private_key_pem: SecretString::from("not a key".to_string()),
                kid: "1".into(),
                token_url: "https://x.example/oauth2/token".into(),
            },
            reqwest::Client::new(),
        );
        assert!(r.is_err());
    }
}
