//! Client certificates on the inbound TLS listener (issue 5): rustls verifies the chain against
//! `security.tls.client_ca` during the handshake; `on_connect` records the verified leaf's
//! subject on the connection; the guard maps that subject to a local user and roles.

use actix_web::dev::Extensions;
use std::any::Any;

use super::principal::{diagnostics, AuthFailure, Principal};
use super::settings::{AuthMode, CertUser};

/// A certificate subject as a sorted list of (attribute, value) pairs, attribute names in
/// canonical upper-case short form (`CN`, `O`, `OU`, …). Sorting makes the comparison
/// independent of RDN order (RFC 4514 prints it reversed from the certificate).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(Vec<(String, String)>);

/// What `on_connect` left on a TLS connection.
#[derive(Debug, Clone)]
pub enum PeerCertificate {
    /// A verified certificate with this subject.
    Subject(Subject),
    /// A certificate that verified but whose subject could not be read.
    Unreadable,
}

/// For `HttpServer::on_connect`: records the verified client certificate's subject, if any.
/// Must be registered before the listeners (actix captures it per listener).
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    let Some(tls) = conn.downcast_ref::<Tls>() else {
        return;
    };
    let (_, session) = tls.get_ref();
    if let Some(leaf) = session.peer_certificates().and_then(|c| c.first()) {
        ext.insert(match subject_of(leaf.as_ref()) {
            Some(s) => PeerCertificate::Subject(s),
            None => PeerCertificate::Unreadable,
        });
    }
}

fn subject_of(der: &[u8]) -> Option<Subject> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let registry = x509_parser::objects::oid_registry();
    let mut pairs = Vec::new();
    for rdn in cert.subject().iter_rdn() {
        for attr in rdn.iter() {
            let name = x509_parser::objects::oid2abbrev(attr.attr_type(), registry)
                .map(canonical_attr)
                .unwrap_or_else(|_| attr.attr_type().to_id_string());
            pairs.push((name, attr.as_str().ok()?.to_string()));
        }
    }
    Some(Subject::new(pairs))
}

impl Subject {
    fn new(mut pairs: Vec<(String, String)>) -> Self {
        pairs.sort();
        Self(pairs)
    }

    /// Parses `CN=a, O=b` (commas inside a value escaped as `\,`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut pairs = Vec::new();
        let mut current = String::new();
        let mut parts = Vec::new();
        let mut escaped = false;
        for c in text.chars() {
            match c {
                _ if escaped => {
                    current.push(c);
                    escaped = false;
                }
                '\\' => escaped = true,
                ',' | '+' => parts.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        parts.push(current);
        for part in parts {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("subject '{text}': '{part}' is not NAME=value"))?;
            let name = canonical_attr(name.trim());
            if name.is_empty() {
                anyhow::bail!("subject '{text}': empty attribute name");
            }
            pairs.push((name, value.trim().to_string()));
        }
        Ok(Self::new(pairs))
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&text.join(", "))
    }
}

/// `commonName` → `CN`, `Email` → `EMAIL`, …
fn canonical_attr(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    match upper.as_str() {
        "COMMONNAME" => "CN",
        "COUNTRYNAME" => "C",
        "LOCALITYNAME" => "L",
        "STATEORPROVINCENAME" | "S" => "ST",
        "ORGANIZATIONNAME" => "O",
        "ORGANIZATIONALUNITNAME" => "OU",
        "DOMAINCOMPONENT" => "DC",
        "EMAILADDRESS" | "E" => "EMAIL",
        other => other,
    }
    .to_string()
}

/// Subject → user mapping from `security.client_cert.users`.
pub struct CertAuth {
    users: Vec<(Subject, CertUser)>,
}

impl CertAuth {
    pub fn new(users: &[CertUser]) -> anyhow::Result<Self> {
        let mut mapped = Vec::new();
        for u in users {
            let subject = Subject::parse(&u.subject)
                .map_err(|e| anyhow::anyhow!("security.client_cert.users: {e}"))?;
            if mapped.iter().any(|(s, _)| *s == subject) {
                anyhow::bail!(
                    "security.client_cert.users: subject '{}' listed twice",
                    u.subject
                );
            }
            mapped.push((subject, u.clone()));
        }
        Ok(Self { users: mapped })
    }

    pub fn authenticate(&self, peer: &PeerCertificate) -> Result<Principal, AuthFailure> {
        let unknown = || AuthFailure::rejected(diagnostics::UNKNOWN_CERT);
        let PeerCertificate::Subject(subject) = peer else {
            return Err(unknown());
        };
        match self.users.iter().find(|(s, _)| s == subject) {
            Some((_, u)) => Ok(Principal {
                user: u.user.clone(),
                roles: u.roles.as_slice().into(),
                mode: AuthMode::ClientCert,
            }),
            None => {
                // The subject names a system or person, not a patient: fine to log, and it is
                // what an operator needs to add the mapping.
                tracing::warn!(subject = %subject, "client certificate not mapped to a user");
                Err(unknown())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_compare_as_sets_with_canonical_names() {
        let a = Subject::parse("CN=ward-kiosk, O=St Elsewhere").unwrap();
        let b = Subject::parse("organizationName=St Elsewhere,commonName=ward-kiosk").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, Subject::parse("CN=ward-kiosk").unwrap());
        assert_ne!(a, Subject::parse("CN=Ward-kiosk, O=St Elsewhere").unwrap());
        let c = Subject::parse(r"CN=a\, b").unwrap();
        assert_eq!(c.to_string(), "CN=a, b");
        assert!(Subject::parse("nonsense").is_err());
    }

    #[test]
    fn reads_the_subject_of_a_real_certificate() {
        let pki = crate::pki::PkiSet::generate().unwrap();
        let der = crate::pki::load_certs(&pki.client_cert_pem).unwrap();
        let s = subject_of(der[0].as_ref()).unwrap();
        assert_eq!(
            s,
            Subject::parse("CN=smsp-bridge test client, O=smsp-bridge (test only)").unwrap()
        );
        let auth = CertAuth::new(&[CertUser {
            subject: "O=smsp-bridge (test only), CN=smsp-bridge test client".into(),
            user: "kiosk".into(),
            roles: vec!["read".into()],
        }])
        .unwrap();
        let p = auth.authenticate(&PeerCertificate::Subject(s)).unwrap();
        assert_eq!(p.user, "kiosk");
        assert!(auth.authenticate(&PeerCertificate::Unreadable).is_err());
    }
}
