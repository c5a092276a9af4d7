//! The authenticated principal, and why authentication failed when it did.

use super::settings::AuthMode;
use crate::bridge::Caller;

/// Who the request is from, as established by one authentication mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub roles: std::sync::Arc<[String]>,
    pub mode: AuthMode,
}

impl Principal {
    /// The `Caller` the core sees. The ODS code is filled from `NHSD-End-User-Organisation-ODS`
    /// by `http::caller::caller`, so the auditIdentity names `<ODS>:<user>` (SMSP SPEC §2.5).
    pub fn caller(&self) -> Caller {
        Caller {
            ods: None,
            user: self.user.clone(),
            roles: self.roles.clone(),
        }
    }
}

/// Why no principal could be established. The `diagnostics` go into the 401 body; they say what
/// was wrong with the request's form, never which part of a credential failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub diagnostics: &'static str,
    /// The user name the caller claimed (Basic), for the audit trail only.
    pub claimed_user: Option<String>,
    /// Whether credentials were presented and rejected (counts towards the failure limit),
    /// as opposed to missing.
    pub rejected: bool,
    /// RFC 6750 `error="invalid_token"` belongs on the Bearer challenge.
    pub invalid_token: bool,
}

impl AuthFailure {
    pub fn missing(diagnostics: &'static str) -> Self {
        Self {
            diagnostics,
            claimed_user: None,
            rejected: false,
            invalid_token: false,
        }
    }

    pub fn rejected(diagnostics: &'static str) -> Self {
        Self {
            rejected: true,
            ..Self::missing(diagnostics)
        }
    }
}

/// 401 diagnostics, worded as the PDS proxy words its own (PDS FHIR SPEC §7).
pub mod diagnostics {
    pub const MISSING: &str = "Missing Authorization header";
    pub const EMPTY: &str = "Empty Authorization header";
    pub const UNSUPPORTED_SCHEME: &str = "Unsupported Authorization scheme";
    pub const BAD_BASIC: &str = "Invalid user name or password";
    pub const MISSING_TOKEN: &str = "Missing access token";
    pub const BAD_TOKEN: &str = "Invalid Access Token";
    pub const UNKNOWN_CERT: &str = "Client certificate not recognised";
}
