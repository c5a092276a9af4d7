//! Role-based access control (issue 5 "RBAC"; SMSP SPEC §2.2: clients apply local RBAC).
//! A request is classified by method and route *pattern* into the interaction it performs;
//! roles map to the interactions they permit.

use actix_web::http::Method;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The interactions a role can permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// `GET /Patient/{id}` (and what hangs below it).
    Read,
    /// `GET /Patient`.
    Search,
    /// Reserved: a demographic trace endpoint. No route performs it yet.
    Trace,
    /// `$verify-nhs-number`.
    Verify,
    /// Reserved for the compare endpoint: any route whose pattern contains `compare`.
    Compare,
    /// Operator endpoints: `/_cache…` (cache purge).
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 6] = [
        Permission::Read,
        Permission::Search,
        Permission::Trace,
        Permission::Verify,
        Permission::Compare,
        Permission::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Search => "search",
            Permission::Trace => "trace",
            Permission::Verify => "verify",
            Permission::Compare => "compare",
            Permission::Admin => "admin",
        }
    }
}

/// What a request is, as far as security cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Listed in `public_paths` (`/_ping`): no principal, no audit.
    Public,
    /// Needs a principal but no role, and touches no patient data (`/metadata`, `/_status`,
    /// `/metrics`, unknown paths answered 400): not audited.
    Operational,
    /// A patient-data interaction: needs the permission, and is audited.
    Patient(Permission),
    /// A write method on a Patient route. The handler refuses it (403 INVALID_METHOD as
    /// app-restricted PDS does); it needs a principal, no role, and is audited as `write`.
    PatientWrite,
}

impl RouteClass {
    pub fn audited(self) -> bool {
        matches!(self, RouteClass::Patient(_) | RouteClass::PatientWrite)
    }

    pub fn needs_principal(self) -> bool {
        self != RouteClass::Public
    }

    /// The interaction named in the audit record.
    pub fn interaction(self) -> &'static str {
        match self {
            RouteClass::Patient(p) => p.as_str(),
            RouteClass::PatientWrite => "write",
            RouteClass::Public | RouteClass::Operational => "none",
        }
    }
}

/// Classifies a request. `pattern` is actix's matched route pattern (`None` when no route
/// matched); `path` the raw path (used for `public_paths` and `/_cache…`, which must hold
/// whether or not the cache registered its routes). Patterns are read from their `Patient`
/// segment on, so the configurable base path needs no special case.
pub fn classify(
    method: &Method,
    pattern: Option<&str>,
    path: &str,
    public_paths: &[String],
) -> RouteClass {
    if public_paths.iter().any(|p| p == path) {
        return RouteClass::Public;
    }
    // Runs on every request: byte-wise and without allocating (issue 9).
    if path
        .as_bytes()
        .split(|&b| b == b'/')
        .any(|seg| seg == b"_cache")
    {
        return RouteClass::Patient(Permission::Admin);
    }
    let Some(pattern) = pattern else {
        return RouteClass::Operational;
    };
    if pattern
        .as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"compare"))
    {
        return RouteClass::Patient(Permission::Compare);
    }
    // The pattern from its `Patient` segment on, with the slash before it.
    let mut offset = 0;
    let mut at = None;
    // Bytes, not `str::split('/')`: the char searcher was a visible share of a cache hit.
    for seg in pattern.as_bytes().split(|&b| b == b'/') {
        if seg == b"Patient" {
            at = Some(offset);
            break;
        }
        offset += seg.len() + 1;
    }
    let Some(at) = at else {
        return RouteClass::Operational;
    };
    let rel: std::borrow::Cow<'_, str> = match at {
        0 => format!("/{pattern}").into(),
        _ => pattern[at - 1..].into(),
    };
    let reading = method == Method::GET || method == Method::HEAD;
    match &*rel {
        "/Patient/$verify-nhs-number" if reading || method == Method::POST => {
            RouteClass::Patient(Permission::Verify)
        }
        "/Patient" if reading => RouteClass::Patient(Permission::Search),
        _ if reading => RouteClass::Patient(Permission::Read),
        _ => RouteClass::PatientWrite,
    }
}

/// Role name → permissions, resolved once from the settings.
#[derive(Debug, Clone, Default)]
pub struct RoleTable {
    roles: BTreeMap<String, BTreeSet<Permission>>,
}

impl RoleTable {
    pub fn new(config: &BTreeMap<String, Vec<Permission>>) -> Self {
        Self {
            roles: config
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().copied().collect()))
                .collect(),
        }
    }

    /// Whether any of `roles` permits `permission`. Unknown roles permit nothing.
    pub fn permits(&self, roles: &[String], permission: Permission) -> bool {
        roles
            .iter()
            .filter_map(|r| self.roles.get(r))
            .any(|set| set.contains(&permission))
    }

    pub fn knows(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "/personal-demographics/FHIR/R4";

    fn class(method: Method, pattern: Option<&str>, path: &str) -> RouteClass {
        classify(&method, pattern, path, &["/_ping".to_string()])
    }

    #[test]
    fn classifies_by_method_and_pattern() {
        let p = |s: &str| format!("{BASE}{s}");
        assert_eq!(class(Method::GET, None, "/_ping"), RouteClass::Public);
        assert_eq!(
            class(
                Method::GET,
                Some(&p("/Patient/{id}")),
                &p("/Patient/9990001006")
            ),
            RouteClass::Patient(Permission::Read)
        );
        assert_eq!(
            class(Method::GET, Some(&p("/Patient/{id}/RelatedPerson")), "x"),
            RouteClass::Patient(Permission::Read)
        );
        assert_eq!(
            class(Method::GET, Some(&p("/Patient")), &p("/Patient")),
            RouteClass::Patient(Permission::Search)
        );
        for m in [Method::GET, Method::POST] {
            assert_eq!(
                class(m, Some(&p("/Patient/$verify-nhs-number")), "x"),
                RouteClass::Patient(Permission::Verify)
            );
        }
        for m in [Method::DELETE, Method::PATCH, Method::PUT] {
            assert_eq!(
                class(m.clone(), Some(&p("/Patient/{id}")), "x"),
                RouteClass::PatientWrite
            );
        }
        assert_eq!(
            class(Method::POST, Some(&p("/Patient")), "x"),
            RouteClass::PatientWrite
        );
        // A pattern that starts at the `Patient` segment (no base path) reads the same.
        assert_eq!(
            class(Method::GET, Some("Patient"), "x"),
            RouteClass::Patient(Permission::Search)
        );
        assert_eq!(
            class(Method::GET, Some("/Patient/{id}"), "x"),
            RouteClass::Patient(Permission::Read)
        );
        assert_eq!(
            class(Method::DELETE, None, "/_cache/Patient/9990001006"),
            RouteClass::Patient(Permission::Admin)
        );
        assert_eq!(
            class(Method::DELETE, Some("/_cache"), "/_cache"),
            RouteClass::Patient(Permission::Admin)
        );
        assert_eq!(
            class(Method::POST, Some(&p("/Patient/$compare")), "x"),
            RouteClass::Patient(Permission::Compare)
        );
        for (pattern, path) in [
            (Some(p("/metadata")), p("/metadata")),
            (None, p("/Practitioner/1")),
        ] {
            assert_eq!(
                class(Method::GET, pattern.as_deref(), &path),
                RouteClass::Operational
            );
        }
        assert_eq!(
            class(Method::GET, Some("/metrics"), "/metrics"),
            RouteClass::Operational
        );
        // another base path
        assert_eq!(
            class(
                Method::GET,
                Some("/pds/Patient/{id}"),
                "/pds/Patient/9990001006"
            ),
            RouteClass::Patient(Permission::Read)
        );
    }

    #[test]
    fn roles_permit_only_their_interactions() {
        let table = RoleTable::new(&crate::security::SecuritySettings::default().roles);
        let roles = vec!["read".to_string(), "nonsense".to_string()];
        assert!(table.permits(&roles, Permission::Read));
        assert!(!table.permits(&roles, Permission::Search));
        assert!(!table.permits(&[], Permission::Read));
        let mut cfg = BTreeMap::new();
        cfg.insert(
            "clinician".to_string(),
            vec![Permission::Read, Permission::Verify],
        );
        let table = RoleTable::new(&cfg);
        assert!(table.permits(&["clinician".into()], Permission::Verify));
        assert!(!table.permits(&["clinician".into()], Permission::Admin));
    }
}
