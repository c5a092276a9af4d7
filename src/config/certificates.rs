//! The certificate files a configuration names, and whether those the bridge presents can be
//! used: with their own private key, and now. An expired endpoint certificate makes SMSP
//! refuse every TLS-MA handshake (SMSP SPEC §2.2), and clients refuse an expired server
//! certificate on the inbound listener: the bridge refuses to start with either and names the
//! date, rather than failing each call with a TLS error.

use std::path::{Path, PathBuf};

use super::Settings;
use crate::pki::common_lifetime;

/// What the bridge does with a certificate file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Its own chain, presented to a TLS peer: it must be valid now.
    Presented,
    /// CAs it trusts to sign a peer's certificate.
    Trusted,
}

/// A certificate file named in the configuration, by its key (`smsp.client_cert`, …).
#[derive(Debug, Clone, Copy)]
pub struct CertificateFile<'a> {
    pub key: &'static str,
    pub path: &'a Path,
    pub role: Role,
    /// For a presented chain, its private key file (key and path) when configured.
    pub private_key: Option<(&'static str, &'a Path)>,
    /// The unit it is reloaded with while serving (`startup::reload`): `smsp`, `inbound` or
    /// `inbound_client_ca`; also the `material` label of the reload metrics.
    pub material: &'static str,
}

impl Settings {
    /// Every certificate file the bridge will load: SMSP's TLS-MA pair, and the inbound
    /// listener's when `security.tls.listen` is set (it reads them only then).
    pub fn certificate_files(&self) -> Vec<CertificateFile<'_>> {
        let (smsp, tls) = (&self.smsp, &self.security.tls);
        let mut files = vec![
            file(
                "smsp.client_cert",
                &smsp.client_cert,
                Role::Presented,
                Some(("smsp.client_key", &smsp.client_key)),
                "smsp",
            ),
            file("smsp.ca_cert", &smsp.ca_cert, Role::Trusted, None, "smsp"),
        ];
        if tls.listen.is_some() {
            files.push(file(
                "security.tls.cert",
                &tls.cert,
                Role::Presented,
                Some(("security.tls.key", &tls.key)),
                "inbound",
            ));
            files.push(file(
                "security.tls.client_ca",
                &tls.client_ca,
                Role::Trusted,
                None,
                "inbound_client_ca",
            ));
        }
        files.into_iter().flatten().collect()
    }
}

/// A configured file (`None` when its key is unset), with its private key's when configured.
fn file<'a>(
    key: &'static str,
    path: &'a Option<PathBuf>,
    role: Role,
    private_key: Option<(&'static str, &'a Option<PathBuf>)>,
    material: &'static str,
) -> Option<CertificateFile<'a>> {
    Some(CertificateFile {
        key,
        path: path.as_deref()?,
        role,
        private_key: private_key.and_then(|(k, p)| Some((k, p.as_deref()?))),
        material,
    })
}

/// Problems with the certificate files that exist (a missing one is reported with its key
/// elsewhere): any that does not parse, a presented chain whose private key is not its own,
/// and a presented chain that is not valid at `now`.
pub(super) fn problems(s: &Settings, now: i64) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for file in s.certificate_files() {
        if !file.path.is_file() {
            continue;
        }
        let read = crate::pki::read_pem_file(file.path)
            .and_then(|pem| common_lifetime(&pem).map(|lifetime| (pem, lifetime)));
        let (pem, lifetime) = match read {
            Ok(both) => both,
            Err(e) => {
                out.push((file.key, format!("{}: {e:#}", file.path.display())));
                continue;
            }
        };
        if file.role == Role::Trusted {
            continue;
        }
        if let Some((key_key, key_path)) = file.private_key.filter(|(_, p)| p.is_file()) {
            let paired = crate::pki::read_pem_file(key_path)
                .and_then(|key| crate::pki::check_key_pair(&pem, &key));
            if let Err(e) = paired {
                out.push((
                    key_key,
                    format!("{}: {e:#} in {}", key_path.display(), file.path.display()),
                ));
            }
        }
        if let Some(why) = lifetime.refusal(now) {
            out.push((file.key, format!("{}: {why}", file.path.display())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{PkiSet, Validity};
    use chrono::Utc;

    fn settings_with(dir: &Path, leaves: Validity, inbound: bool) -> Settings {
        let paths = PkiSet::generate_with("Config Test CA", leaves)
            .unwrap()
            .write_to(dir)
            .unwrap();
        let mut s = Settings::default();
        s.smsp.client_cert = Some(paths.client_cert);
        s.smsp.client_key = Some(paths.client_key);
        s.smsp.ca_cert = Some(paths.ca.clone());
        s.security.tls.cert = Some(paths.server_cert);
        s.security.tls.key = Some(paths.server_key);
        s.security.tls.client_ca = Some(paths.ca);
        if inbound {
            s.security.tls.listen = Some("127.0.0.1:0".into());
        }
        s
    }

    fn now() -> i64 {
        Utc::now().timestamp()
    }

    #[test]
    fn lists_the_inbound_listeners_files_only_when_it_listens() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings_with(dir.path(), Validity::default_term(), false);
        let keys: Vec<_> = s.certificate_files().iter().map(|f| f.key).collect();
        assert_eq!(keys, ["smsp.client_cert", "smsp.ca_cert"]);
        let s = settings_with(dir.path(), Validity::default_term(), true);
        let files = s.certificate_files();
        let keys: Vec<_> = files.iter().map(|f| (f.key, f.role)).collect();
        assert_eq!(
            keys,
            [
                ("smsp.client_cert", Role::Presented),
                ("smsp.ca_cert", Role::Trusted),
                ("security.tls.cert", Role::Presented),
                ("security.tls.client_ca", Role::Trusted),
            ]
        );
        assert!(problems(&s, now()).is_empty(), "{:?}", problems(&s, now()));
    }

    #[test]
    fn an_expired_presented_certificate_is_refused_with_its_date() {
        let dir = tempfile::tempdir().unwrap();
        let expired = Validity::from_today(-400, -2);
        let s = settings_with(dir.path(), expired, true);
        let found = problems(&s, now());
        let keys: Vec<_> = found.iter().map(|(k, _)| *k).collect();
        // Both leaves expired; the CA files (default term) are not problems.
        assert_eq!(keys, ["smsp.client_cert", "security.tls.cert"]);
        let date = format!("{}T00:00:00Z", expired.not_after);
        for (_, message) in &found {
            assert!(message.contains(&format!("expired at {date}")), "{message}");
        }
        // config::check carries them, so `serve` and `check-config` both refuse this.
        let checked: Vec<_> = crate::config::check(&s)
            .into_iter()
            .map(|p| p.key)
            .collect();
        assert!(checked.contains(&"smsp.client_cert"), "{checked:?}");
    }

    #[test]
    fn a_certificate_not_yet_valid_is_refused_and_one_expiring_soon_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let future = Validity::from_today(3, 300);
        let s = settings_with(dir.path(), future, false);
        let found = problems(&s, now());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "smsp.client_cert");
        assert!(found[0]
            .1
            .contains(&format!("not valid until {}T00:00:00Z", future.not_before)));

        let s = settings_with(dir.path(), Validity::from_today(-300, 2), true);
        assert!(problems(&s, now()).is_empty());
    }

    #[test]
    fn a_private_key_that_is_not_the_certificates_own_is_reported_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings_with(dir.path(), Validity::default_term(), true);
        assert!(problems(&s, now()).is_empty());
        // each presented certificate with the other's key
        std::mem::swap(&mut s.smsp.client_key, &mut s.security.tls.key);
        let found = problems(&s, now());
        let keys: Vec<_> = found.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["smsp.client_key", "security.tls.key"]);
        let expected = format!(
            "{}: the private key does not belong to the certificate in {}",
            s.smsp.client_key.as_ref().unwrap().display(),
            s.smsp.client_cert.as_ref().unwrap().display()
        );
        assert_eq!(found[0].1, expected);
    }

    #[test]
    fn a_file_that_is_not_a_certificate_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings_with(dir.path(), Validity::default_term(), false);
        // the key where the CA bundle should be
        s.smsp.ca_cert = s.smsp.client_key.clone();
        let found = problems(&s, now());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "smsp.ca_cert");
        assert!(
            found[0].1.contains("no certificate found"),
            "{}",
            found[0].1
        );
    }
}
