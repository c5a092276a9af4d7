//! `[security]` settings (issue 5). Every key, its default and its meaning is documented in
//! README.md, section Security. Secrets never appear here: only the paths of the files that hold them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::rbac::Permission;

/// How callers prove who they are. Several may be enabled together, except `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// No authentication: every caller is `anonymous` with `open_roles`. For the demo and local
    /// development only (SMSP SPEC §2.2 requires local authentication of every user).
    Open,
    /// HTTP Basic against the users file (argon2id hashes).
    Basic,
    /// `Authorization: Bearer <JWT>`.
    Bearer,
    /// A client certificate presented on the inbound TLS listener (`security.tls`).
    ClientCert,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Open => "open",
            AuthMode::Basic => "basic",
            AuthMode::Bearer => "bearer",
            AuthMode::ClientCert => "client-cert",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Enabled authentication modes. Default `["open"]` so a fresh configuration (the demo, the
    /// tests) works; `serve` warns loudly when it is open.
    pub modes: Vec<AuthMode>,
    /// Roles every caller gets in open mode.
    pub open_roles: Vec<String>,
    /// Realm named in `WWW-Authenticate` challenges.
    pub realm: String,
    /// Exact request paths that need no principal (and are never audited).
    pub public_paths: Vec<String>,
    /// Role name → the interactions it permits. Merged over the built-in identity roles
    /// (`read` permits read, `search` permits search, …, `admin` permits admin).
    pub roles: BTreeMap<String, Vec<Permission>>,
    pub basic: BasicSettings,
    pub bearer: BearerSettings,
    pub client_cert: ClientCertSettings,
    pub tls: TlsSettings,
    pub rate_limit: RateLimitSettings,
    pub audit: AuditSettings,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            modes: vec![AuthMode::Open],
            open_roles: vec!["read".into(), "search".into(), "verify".into()],
            realm: "smsp-bridge".into(),
            public_paths: vec!["/_ping".into()],
            roles: Permission::ALL
                .iter()
                .map(|p| (p.as_str().to_string(), vec![*p]))
                .collect(),
            basic: BasicSettings::default(),
            bearer: BearerSettings::default(),
            client_cert: ClientCertSettings::default(),
            tls: TlsSettings::default(),
            rate_limit: RateLimitSettings::default(),
            audit: AuditSettings::default(),
        }
    }
}

impl SecuritySettings {
    pub fn is_open(&self) -> bool {
        self.modes.contains(&AuthMode::Open)
    }

    pub fn enabled(&self, mode: AuthMode) -> bool {
        self.modes.contains(&mode)
    }

    /// Every structural problem, keyed like `config::check` reports them (file contents are
    /// checked when the security layer is built).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut bad = |key: &'static str, msg: &str| out.push((key, msg.to_string()));
        if self.modes.is_empty() {
            bad(
                "security.modes",
                "name at least one mode (\"open\" disables authentication)",
            );
        }
        if self.is_open() && self.modes.len() > 1 {
            bad(
                "security.modes",
                "\"open\" cannot be combined with other modes",
            );
        }
        if self.enabled(AuthMode::Basic) && self.basic.users_file.is_none() {
            bad(
                "security.basic.users_file",
                "required when security.modes has \"basic\"",
            );
        }
        if self.enabled(AuthMode::Bearer) {
            let b = &self.bearer;
            if b.issuer.is_empty() {
                bad(
                    "security.bearer.issuer",
                    "required when security.modes has \"bearer\"",
                );
            }
            if b.audience.is_empty() {
                bad(
                    "security.bearer.audience",
                    "required when security.modes has \"bearer\"",
                );
            }
            if b.jwks_file.is_none() && b.jwks_url.is_none() && b.hs256_secret_file.is_none() {
                bad(
                    "security.bearer",
                    "set jwks_file, jwks_url or hs256_secret_file",
                );
            }
            if b.jwks_file.is_some() && b.jwks_url.is_some() {
                bad("security.bearer", "set jwks_file or jwks_url, not both");
            }
        }
        let tls = &self.tls;
        if self.enabled(AuthMode::ClientCert) && tls.client_ca.is_none() {
            bad(
                "security.tls.client_ca",
                "required when security.modes has \"client-cert\"",
            );
        }
        if self.enabled(AuthMode::ClientCert) && tls.listen.is_none() {
            bad(
                "security.tls.listen",
                "required when security.modes has \"client-cert\"",
            );
        }
        if tls.listen.is_some() && (tls.cert.is_none() || tls.key.is_none()) {
            bad("security.tls", "cert and key are required with listen");
        }
        if self.audit.max_file_bytes == 0 {
            bad("security.audit.max_file_bytes", "must be at least 1");
        }
        if self.audit.queue == 0 || self.audit.max_batch == 0 {
            bad("security.audit", "queue and max_batch must be at least 1");
        }
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasicSettings {
    /// The users file maintained by `smsp-bridge user add|passwd|remove`. Re-read when it
    /// changes on disk (checked at most once a second).
    pub users_file: Option<PathBuf>,
    /// How long a verified user/password pair is remembered, so argon2 (deliberately slow) runs
    /// once per user rather than once per request. 0 disables the memo.
    pub verified_cache_seconds: u64,
}

impl Default for BasicSettings {
    fn default() -> Self {
        Self {
            users_file: None,
            verified_cache_seconds: 300,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BearerSettings {
    /// Required `iss`.
    pub issuer: String,
    /// Required `aud` (one of the token's audiences).
    pub audience: String,
    /// JWKS document on disk (RS256/ES256/PS256… keys); re-read when it changes.
    pub jwks_file: Option<PathBuf>,
    /// JWKS URL (https, or http on a loopback address); fetched and cached.
    pub jwks_url: Option<String>,
    /// How long a fetched JWKS is used before it is fetched again.
    pub jwks_cache_seconds: u64,
    /// Minimum seconds between fetches caused by an unknown `kid` (key rotation).
    pub jwks_min_refresh_seconds: u64,
    /// File holding the HS256 shared secret (raw bytes; one trailing newline is ignored).
    pub hs256_secret_file: Option<PathBuf>,
    /// Accepted `alg`s. Empty: RS256, ES256 (with a JWKS) and HS256 (with a secret).
    pub algorithms: Vec<String>,
    /// Claim holding the user id (dotted path into nested objects allowed).
    pub user_claim: String,
    /// Claim holding the roles: an array of strings, or one space-separated string.
    pub roles_claim: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

impl Default for BearerSettings {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: String::new(),
            jwks_file: None,
            jwks_url: None,
            jwks_cache_seconds: 300,
            jwks_min_refresh_seconds: 30,
            hs256_secret_file: None,
            algorithms: Vec::new(),
            user_claim: "sub".into(),
            roles_claim: "roles".into(),
            leeway_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientCertSettings {
    /// Certificate subject → local user and roles.
    pub users: Vec<CertUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertUser {
    /// Subject distinguished name, e.g. `CN=ward-kiosk-7, O=St Elsewhere`. Compared as a set of
    /// attribute=value pairs: order and spacing around commas do not matter; attribute names
    /// are case-insensitive (`commonName` = `CN`), values are exact.
    pub subject: String,
    pub user: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Address of the inbound HTTPS listener (in addition to `listen`). Unset: no TLS listener.
    pub listen: Option<String>,
    /// PEM: the listener's certificate chain.
    pub cert: Option<PathBuf>,
    /// PEM: its private key.
    pub key: Option<PathBuf>,
    /// PEM: CA(s) whose client certificates are accepted. A client may also connect without a
    /// certificate and authenticate by Basic or Bearer; one from another CA fails the handshake.
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Sustained requests per second allowed to each principal (user). 0 = no limit.
    pub per_second: u32,
    /// Requests a principal may make in a burst; 0 = `per_second`.
    pub burst: u32,
    /// Failed authentications allowed per client address per minute before that address gets
    /// 429 without its credentials being checked (slows password guessing). 0 = no limit.
    pub auth_failures_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_second: 0,
            burst: 0,
            auth_failures_per_minute: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// Directory of the audit trail (`audit-<first seq>.jsonl` files). Unset: no audit trail
    /// (a loud warning; the demo and tests only).
    pub dir: Option<PathBuf>,
    /// A file is closed and a new one started once it reaches this size.
    pub max_file_bytes: u64,
    /// Records waiting for the writer before requests wait to enqueue.
    pub queue: usize,
    /// Most records written and synced as one group commit.
    pub max_batch: usize,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            dir: None,
            max_file_bytes: 64 * 1024 * 1024,
            queue: 8192,
            max_batch: 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_open_and_valid() {
        let s = SecuritySettings::default();
        assert!(s.is_open());
        assert!(s.problems().is_empty());
        assert_eq!(s.open_roles, ["read", "search", "verify"]);
    }

    #[test]
    fn reports_each_missing_piece() {
        let s = SecuritySettings {
            modes: vec![
                AuthMode::Open,
                AuthMode::Basic,
                AuthMode::Bearer,
                AuthMode::ClientCert,
            ],
            ..Default::default()
        };
        let keys: Vec<&str> = s.problems().iter().map(|(k, _)| *k).collect();
        for key in [
            "security.modes",
            "security.basic.users_file",
            "security.bearer.issuer",
            "security.bearer.audience",
            "security.bearer",
            "security.tls.client_ca",
            "security.tls.listen",
        ] {
            assert!(keys.contains(&key), "{key} not in {keys:?}");
        }
    }

    #[test]
    fn loads_from_toml() {
        let s: SecuritySettings = toml::from_str(
            r#"
            modes = ["basic", "bearer", "client-cert"]
            [roles]
            clinician = ["read", "search", "verify"]
            [[client_cert.users]]
            subject = "CN=kiosk"
            user = "kiosk"
            roles = ["read"]
            "#,
        )
        .unwrap();
        assert_eq!(
            s.modes,
            [AuthMode::Basic, AuthMode::Bearer, AuthMode::ClientCert]
        );
        assert_eq!(s.roles["clinician"].len(), 3);
        assert_eq!(s.client_cert.users[0].user, "kiosk");
    }
}
