//! Local authentication, RBAC, audit trail and rate limiting (issue 5): a side room wrapping
//! every request. SMSP is application-restricted — the national service never sees the end user
//! — so the bridge authenticates users locally, applies local RBAC and keeps the local audit
//! trail (SMSP SPEC §2.2), and names the local user in the ITK auditIdentity (SMSP SPEC §2.5).
//!
//! Set-up of every mode, the roles and the audit format: README.md, section Security.

pub mod audit;
mod basic;
pub mod client_cert;
pub mod demo;
mod guard;
pub mod inbound_tls;
mod jwt;
mod principal;
pub mod rate_limit;
pub mod rbac;
mod settings;
pub mod users;
pub mod users_cli;

pub use guard::guard;
pub use principal::Principal;
pub use settings::{
    AuditSettings, AuthMode, BasicSettings, BearerSettings, CertUser, ClientCertSettings,
    RateLimitSettings, SecuritySettings, TlsSettings,
};

use anyhow::Context;
use audit::AuditLog;
use basic::BasicAuth;
use client_cert::CertAuth;
use jwt::BearerAuth;
use rate_limit::RateLimits;
use rbac::RoleTable;

/// Shared state of the security layer (users, keys, audit writer, limiters).
pub struct Security {
    open: bool,
    open_roles: std::sync::Arc<[String]>,
    realm: String,
    public_paths: Vec<String>,
    roles: RoleTable,
    basic: Option<BasicAuth>,
    bearer: Option<BearerAuth>,
    certs: Option<CertAuth>,
    limits: RateLimits,
    audit: Option<AuditLog>,
}

impl Security {
    pub fn build(settings: &SecuritySettings) -> anyhow::Result<Self> {
        let problems = settings.problems();
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(|(k, m)| format!("{k}: {m}")).collect();
            anyhow::bail!("{}", text.join("; "));
        }
        let open = settings.is_open();
        let roles = RoleTable::new(&settings.roles);
        if open {
            tracing::warn!(
                roles = ?settings.open_roles,
                "SECURITY IS OPEN (security.modes = [\"open\"]): no authentication; every caller is 'anonymous' with these roles. Use only for the demo or local development (README.md, section Security)"
            );
            for r in settings.open_roles.iter().filter(|r| !roles.knows(r)) {
                tracing::warn!(role = %r, "security.open_roles names a role that security.roles does not define");
            }
        }
        let audit = match &settings.audit.dir {
            Some(_) => Some(AuditLog::open(&settings.audit)?),
            None => {
                tracing::warn!(
                    "NO AUDIT TRAIL (security.audit.dir is not set): access to patient data is not being recorded"
                );
                None
            }
        };
        Ok(Self {
            open,
            open_roles: settings.open_roles.clone().into(),
            realm: settings.realm.clone(),
            public_paths: settings.public_paths.clone(),
            roles,
            basic: basic_auth(settings)?,
            bearer: bearer_auth(settings)?,
            certs: cert_auth(settings)?,
            limits: RateLimits::new(&settings.rate_limit),
            audit,
        })
    }

    /// What `build` (and the inbound TLS listener) would refuse, without binding a port or
    /// changing the audit trail: each enabled authenticator's files read and parsed, the
    /// listener's TLS configuration built, and the audit directory checked as opening it would
    /// (`audit::chain::preflight`). One message per part that fails (`check-config`).
    pub fn preflight(settings: &SecuritySettings) -> Vec<String> {
        let tls = || match settings.tls.listen {
            Some(_) => inbound_tls::server_config(&settings.tls).map(drop),
            None => Ok(()),
        };
        let audit = || match &settings.audit.dir {
            Some(dir) => audit::chain::preflight(dir).context("security.audit.dir"),
            None => Ok(()),
        };
        [
            basic_auth(settings).map(drop),
            bearer_auth(settings).map(drop),
            cert_auth(settings).map(drop),
            tls(),
            audit(),
        ]
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect()
    }

    /// Flushes the audit log (called on shutdown).
    pub async fn flush(&self) {
        if let Some(a) = &self.audit {
            a.flush().await;
        }
    }
}

fn basic_auth(settings: &SecuritySettings) -> anyhow::Result<Option<BasicAuth>> {
    let on = settings.enabled(AuthMode::Basic);
    on.then(|| BasicAuth::new(&settings.basic)).transpose()
}

fn bearer_auth(settings: &SecuritySettings) -> anyhow::Result<Option<BearerAuth>> {
    let on = settings.enabled(AuthMode::Bearer);
    on.then(|| BearerAuth::new(&settings.bearer)).transpose()
}

fn cert_auth(settings: &SecuritySettings) -> anyhow::Result<Option<CertAuth>> {
    let on = settings.enabled(AuthMode::ClientCert);
    on.then(|| CertAuth::new(&settings.client_cert.users))
        .transpose()
}
