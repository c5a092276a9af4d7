//! Bearer JWTs (issue 5): RS256/ES256 (and the other asymmetric algorithms jsonwebtoken
//! supports) against a JWKS file or URL with caching, HS256 against a secret file. `iss`, `aud`,
//! `exp` and `nbf` are checked; configured claims give the user id and roles.
//!
//! Keys come only from configuration: a token's own `jku`, `jwk` or `x5u` headers are ignored,
//! and a key is used only for the algorithm family it belongs to (no RS/HS confusion).

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretBox};
use serde_json::Value;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime};

use super::principal::{diagnostics, AuthFailure, Principal};
use super::settings::{AuthMode, BearerSettings};

/// An HS256 secret shorter than this is refused at start-up (RFC 7518 §3.2: at least the hash
/// size).
const MIN_HS256_SECRET: usize = 32;
/// How often a JWKS file's metadata is looked at for changes.
const FILE_CHECK: Duration = Duration::from_secs(1);

pub struct BearerAuth {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    user_claim: String,
    roles_claim: String,
    leeway: u64,
    hs256_secret: Option<SecretBox<Vec<u8>>>,
    jwks: Option<Jwks>,
}

impl BearerAuth {
    pub fn new(s: &BearerSettings) -> anyhow::Result<Self> {
        if s.issuer.is_empty() || s.audience.is_empty() {
            anyhow::bail!(
                "security.bearer.issuer and security.bearer.audience are required for bearer"
            );
        }
        let hs256_secret = match &s.hs256_secret_file {
            Some(path) => Some(read_secret(path)?),
            None => None,
        };
        let jwks = match (&s.jwks_file, &s.jwks_url) {
            (Some(_), Some(_)) => {
                anyhow::bail!("security.bearer: set jwks_file or jwks_url, not both")
            }
            (Some(path), None) => Some(Jwks::new(JwksSource::File(path.clone()), s)?),
            (None, Some(url)) => Some(Jwks::new(JwksSource::Url(check_url(url)?), s)?),
            (None, None) => None,
        };
        if hs256_secret.is_none() && jwks.is_none() {
            anyhow::bail!("security.bearer: configure jwks_file, jwks_url or hs256_secret_file");
        }
        let algorithms = if s.algorithms.is_empty() {
            let mut v = Vec::new();
            if jwks.is_some() {
                v.extend([Algorithm::RS256, Algorithm::ES256]);
            }
            if hs256_secret.is_some() {
                v.push(Algorithm::HS256);
            }
            v
        } else {
            s.algorithms
                .iter()
                .map(|a| {
                    Algorithm::from_str(a)
                        .map_err(|_| anyhow::anyhow!("security.bearer.algorithms: unknown '{a}'"))
                })
                .collect::<anyhow::Result<_>>()?
        };
        for alg in &algorithms {
            let hmac = matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
            if hmac && hs256_secret.is_none() {
                anyhow::bail!("security.bearer.algorithms: {alg:?} needs hs256_secret_file");
            }
            if !hmac && jwks.is_none() {
                anyhow::bail!("security.bearer.algorithms: {alg:?} needs jwks_file or jwks_url");
            }
        }
        Ok(Self {
            issuer: s.issuer.clone(),
            audience: s.audience.clone(),
            algorithms,
            user_claim: s.user_claim.clone(),
            roles_claim: s.roles_claim.clone(),
            leeway: s.leeway_seconds,
            hs256_secret,
            jwks,
        })
    }

    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthFailure> {
        let bad = |why: &str| {
            // The reason is a fixed phrase: the token itself is never logged.
            tracing::debug!(reason = why, "bearer token rejected");
            let mut f = AuthFailure::rejected(diagnostics::BAD_TOKEN);
            f.invalid_token = true;
            f
        };
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthFailure::missing(diagnostics::MISSING_TOKEN));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad("malformed"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(bad("algorithm not accepted"));
        }
        let keys: Vec<DecodingKey> = match header.alg {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => match &self.hs256_secret {
                Some(s) => vec![DecodingKey::from_secret(s.expose_secret())],
                None => Vec::new(),
            },
            alg => match &self.jwks {
                Some(j) => j.keys_for(header.kid.as_deref(), alg).await,
                None => Vec::new(),
            },
        };
        if keys.is_empty() {
            return Err(bad("no key"));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let mut last = "signature";
        for key in &keys {
            match jsonwebtoken::decode::<Value>(token, key, &validation) {
                Ok(data) => {
                    return self
                        .principal(&data.claims)
                        .ok_or_else(|| bad("no user claim"))
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind::*;
                    last = match e.kind() {
                        ExpiredSignature => "expired",
                        ImmatureSignature => "not yet valid",
                        InvalidIssuer => "issuer",
                        InvalidAudience => "audience",
                        MissingRequiredClaim(_) => "missing claim",
                        InvalidSignature => "signature",
                        _ => "invalid",
                    };
                    // Only a bad signature is worth trying the next candidate key for.
                    if last != "signature" {
                        break;
                    }
                }
            }
        }
        Err(bad(last))
    }

    fn principal(&self, claims: &Value) -> Option<Principal> {
        let user = match claim(claims, &self.user_claim)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if user.is_empty() || user.len() > 256 || user.chars().any(char::is_control) {
            return None;
        }
        let roles = match claim(claims, &self.roles_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            _ => Vec::new(),
        };
        Some(Principal {
            user,
            roles: roles.into(),
            mode: AuthMode::Bearer,
        })
    }
}

/// A claim by dotted path (`realm_access.roles`); an exact top-level name wins.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}

fn read_secret(path: &PathBuf) -> anyhow::Result<SecretBox<Vec<u8>>> {
    let mut bytes = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!("security.bearer.hs256_secret_file {}: {e}", path.display())
    })?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    if bytes.len() < MIN_HS256_SECRET {
        anyhow::bail!(
            "security.bearer.hs256_secret_file: the secret must be at least {MIN_HS256_SECRET} bytes"
        );
    }
    Ok(SecretBox::new(Box::new(bytes)))
}

/// JWKS over https, or plain http only to this machine (keys fetched in clear from elsewhere
/// could be replaced in transit).
fn check_url(url: &str) -> anyhow::Result<String> {
    let parsed =
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("security.bearer.jwks_url: {e}"))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(url.to_string()),
        "http" if loopback => Ok(url.to_string()),
        _ => {
            anyhow::bail!("security.bearer.jwks_url must be https (or http on a loopback address)")
        }
    }
}

enum JwksSource {
    File(PathBuf),
    Url(String),
}

struct CachedKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

struct JwksState {
    keys: Vec<CachedKey>,
    loaded_at: Option<Instant>,
    file_stamp: Option<(SystemTime, u64)>,
    file_checked: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// A JWKS with caching: a URL is fetched again after `jwks_cache_seconds`, or sooner (at most
/// every `jwks_min_refresh_seconds`) when a token names a `kid` it does not hold — the usual
/// sign of key rotation. A file is re-read when it changes. A failed fetch keeps the old keys.
struct Jwks {
    source: JwksSource,
    client: Option<reqwest::Client>,
    ttl: Duration,
    min_refresh: Duration,
    state: tokio::sync::RwLock<JwksState>,
    refreshing: tokio::sync::Mutex<()>,
}

impl Jwks {
    fn new(source: JwksSource, s: &BearerSettings) -> anyhow::Result<Self> {
        let client = match source {
            JwksSource::Url(_) => Some(
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| anyhow::anyhow!("JWKS HTTP client: {e}"))?,
            ),
            JwksSource::File(_) => None,
        };
        // A file is read now, so a bad one stops start-up; a URL is fetched on the first
        // token (the issuer may not be up yet).
        let mut state = JwksState {
            keys: Vec::new(),
            loaded_at: None,
            file_stamp: None,
            file_checked: None,
            last_attempt: None,
        };
        if let JwksSource::File(path) = &source {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("security.bearer.jwks_file {}: {e}", path.display())
            })?;
            state.keys =
                parse_jwks(&text).map_err(|e| anyhow::anyhow!("security.bearer.jwks_file: {e}"))?;
            state.loaded_at = Some(Instant::now());
            state.file_stamp = file_stamp(path);
            state.file_checked = Some(Instant::now());
        }
        Ok(Self {
            source,
            client,
            ttl: Duration::from_secs(s.jwks_cache_seconds),
            min_refresh: Duration::from_secs(s.jwks_min_refresh_seconds),
            state: tokio::sync::RwLock::new(state),
            refreshing: tokio::sync::Mutex::new(()),
        })
    }

    /// Candidate keys for a token: the one named by `kid`, else every key usable with `alg`.
    async fn keys_for(&self, kid: Option<&str>, alg: Algorithm) -> Vec<DecodingKey> {
        if self.stale().await {
            let _ = self.refresh_coalesced(None).await;
        }
        let found = self.lookup(kid, alg).await;
        if !found.is_empty() || kid.is_none() {
            return found;
        }
        // Unknown kid: perhaps the issuer rotated its keys.
        if self.refresh_coalesced(Some(self.min_refresh)).await {
            return self.lookup(kid, alg).await;
        }
        found
    }

    async fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Vec<DecodingKey> {
        let state = self.state.read().await;
        state
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
            .filter(|k| k.alg.is_none_or(|a| a == alg))
            .filter(|k| k.key.family().algorithms().contains(&alg))
            .map(|k| k.key.clone())
            .collect()
    }

    async fn stale(&self) -> bool {
        let mut state = self.state.write().await;
        let Some(loaded) = state.loaded_at else {
            return true;
        };
        match &self.source {
            JwksSource::Url(_) => loaded.elapsed() >= self.ttl,
            JwksSource::File(path) => {
                if state.file_checked.is_some_and(|c| c.elapsed() < FILE_CHECK) {
                    return false;
                }
                state.file_checked = Some(Instant::now());
                file_stamp(path) != state.file_stamp
            }
        }
    }

    /// Refreshes unless another task just did (or, with `min_gap`, one was attempted within it).
    /// Returns whether a refresh succeeded.
    async fn refresh_coalesced(&self, min_gap: Option<Duration>) -> bool {
        let started = Instant::now();
        let _guard = self.refreshing.lock().await;
        {
            let state = self.state.read().await;
            if let Some(at) = state.last_attempt {
                // Someone refreshed while we waited for the lock.
                if at >= started {
                    return state.loaded_at.is_some_and(|l| l >= started);
                }
                if min_gap.is_some_and(|gap| at.elapsed() < gap) {
                    return false;
                }
            }
        }
        match self.refresh().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "security.bearer: JWKS refresh failed; keeping the previous keys");
                false
            }
        }
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        self.state.write().await.last_attempt = Some(Instant::now());
        let (text, stamp) = match &self.source {
            JwksSource::File(path) => (
                tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| anyhow::anyhow!("JWKS file {}: {e}", path.display()))?,
                file_stamp(path),
            ),
            JwksSource::Url(url) => {
                let client = self.client.as_ref().expect("URL source has a client");
                let res = client
                    .get(url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| anyhow::anyhow!("JWKS fetch: {e}"))?;
                (
                    res.text()
                        .await
                        .map_err(|e| anyhow::anyhow!("JWKS fetch: {e}"))?,
                    None,
                )
            }
        };
        let keys = parse_jwks(&text)?;
        let mut state = self.state.write().await;
        state.keys = keys;
        state.loaded_at = Some(Instant::now());
        state.file_stamp = stamp;
        state.file_checked = Some(Instant::now());
        Ok(())
    }
}

/// Parses a JWKS, skipping (with a warning) keys of types this build cannot use rather than
/// refusing the whole set.
fn parse_jwks(text: &str) -> anyhow::Result<Vec<CachedKey>> {
    let doc: Value = serde_json::from_str(text).map_err(|e| anyhow::anyhow!("JWKS: {e}"))?;
    let items = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow::anyhow!("JWKS: no \"keys\" array"))?;
    let mut keys = Vec::new();
    for item in items {
        let parsed = serde_json::from_value::<Jwk>(item.clone())
            .ok()
            .and_then(|jwk| {
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                let alg = jwk
                    .common
                    .key_algorithm
                    .and_then(|a| Algorithm::from_str(&format!("{a:?}")).ok());
                Some(CachedKey {
                    kid: jwk.common.key_id.clone(),
                    alg,
                    key,
                })
            });
        match parsed {
            Some(k) => keys.push(k),
            None => {
                tracing::warn!("security.bearer: a JWKS key was skipped (unsupported or malformed)")
            }
        }
    }
    if keys.is_empty() {
        anyhow::bail!("JWKS: no usable key");
    }
    Ok(keys)
}

fn file_stamp(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!!";

    fn settings(dir: &std::path::Path) -> BearerSettings {
        let path = dir.join("secret");
        std::fs::write(&path, format!("{SECRET}\n")).unwrap();
        BearerSettings {
            issuer: "https://idp.test".into(),
            audience: "smsp-bridge".into(),
            hs256_secret_file: Some(path),
            roles_claim: "realm_access.roles".into(),
            ..Default::default()
        }
    }

    fn token(claims: Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[tokio::test]
    async fn hs256_checks_signature_issuer_audience_and_times() {
        let dir = tempfile::tempdir().unwrap();
        let auth = BearerAuth::new(&settings(dir.path())).unwrap();
        let good = json!({"sub": "u1", "iss": "https://idp.test", "aud": "smsp-bridge",
            "exp": now() + 300, "realm_access": {"roles": ["read", "verify"]}});
        let p = auth
            .authenticate(&token(good.clone(), SECRET))
            .await
            .unwrap();
        assert_eq!(p.user, "u1");
        assert_eq!(*p.roles, ["read", "verify"]);
        let mut cases = Vec::new();
        let mut c = good.clone();
        c["exp"] = json!(now() - 3600);
        cases.push(token(c, SECRET));
        let mut c = good.clone();
        c["nbf"] = json!(now() + 3600);
        cases.push(token(c, SECRET));
        let mut c = good.clone();
        c["iss"] = json!("https://evil.test");
        cases.push(token(c, SECRET));
        let mut c = good.clone();
        c["aud"] = json!("someone-else");
        cases.push(token(c, SECRET));
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove("exp");
        cases.push(token(c, SECRET));
        cases.push(token(
            good.clone(),
            "another-secret-that-is-also-32-bytes-long",
        ));
        cases.push("not.a.jwt".into());
        for t in cases {
            let e = auth.authenticate(&t).await.unwrap_err();
            assert!(e.invalid_token && e.rejected, "{t}");
        }
    }

    #[test]
    fn refuses_weak_secrets_and_plain_remote_jwks() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        std::fs::write(s.hs256_secret_file.as_ref().unwrap(), "short").unwrap();
        assert!(BearerAuth::new(&s).is_err());
        s.hs256_secret_file = None;
        s.jwks_url = Some("http://idp.example.com/jwks".into());
        assert!(BearerAuth::new(&s).is_err());
        assert!(check_url("http://127.0.0.1:9/jwks").is_ok());
        assert!(check_url("https://idp.example.com/jwks").is_ok());
    }
}
