//! Certificate generation (rcgen) and PEM loading for mutual TLS (SMSP SPEC §2.2: the SMSP
//! requires TLS-MA; the client trusts the issuing CA for the server certificate).
//!
//! The simulator and the demo generate a throw-away PKI at run time — a CA, a server certificate
//! for `localhost`/`127.0.0.1` and a client certificate — so no certificate or key is ever
//! committed. Tests generate a second, unrelated set to play the "wrong CA".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use chrono::{Datelike, NaiveDate};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub mod lifetime;
pub use lifetime::{common_lifetime, Lifetime, Standing};

/// File names used by [`PkiSet::write_to`] and [`PkiSet::load`].
pub const CA_FILE: &str = "ca.pem";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server.key";
pub const CLIENT_CERT_FILE: &str = "client.pem";
pub const CLIENT_KEY_FILE: &str = "client.key";

/// A CA plus one server and one client certificate it signed, all PEM.
/// The CA's private key is dropped after signing: nothing else ever needs it.
#[derive(Clone)]
pub struct PkiSet {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl std::fmt::Debug for PkiSet {
    /// Keys must not end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PkiSet(***)")
    }
}

/// Where [`PkiSet::write_to`] put each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiPaths {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl PkiPaths {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            ca: dir.join(CA_FILE),
            server_cert: dir.join(SERVER_CERT_FILE),
            server_key: dir.join(SERVER_KEY_FILE),
            client_cert: dir.join(CLIENT_CERT_FILE),
            client_key: dir.join(CLIENT_KEY_FILE),
        }
    }
}

impl PkiSet {
    /// A fresh CA named `SMSP Bridge Test CA`, a server certificate for `localhost` and
    /// `127.0.0.1`, and a client certificate.
    pub fn generate() -> anyhow::Result<Self> {
        Self::generate_named("SMSP Bridge Test CA")
    }

    /// As [`PkiSet::generate`] with a chosen CA common name (tests make a second, unrelated CA).
    pub fn generate_named(ca_common_name: &str) -> anyhow::Result<Self> {
        Self::generate_with(ca_common_name, Validity::default_term())
    }

    /// As [`PkiSet::generate_named`], with the server and client certificates valid for
    /// `leaves` (tests make certificates that expire soon, or have expired). The CA keeps the
    /// default term.
    pub fn generate_with(ca_common_name: &str, leaves: Validity) -> anyhow::Result<Self> {
        let ca_key = KeyPair::generate().context("generating the CA key")?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = dn(ca_common_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Validity::default_term().apply(&mut ca_params);
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .context("self-signing the CA")?;
        // rcgen 0.14 signs leaves with an `Issuer` built from the CA's params and key.
        let issuer = Issuer::new(ca_params, ca_key);

        let (server_cert_pem, server_key_pem) = leaf(
            &issuer,
            "localhost",
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
            leaves,
        )?;
        let (client_cert_pem, client_key_pem) = leaf(
            &issuer,
            "smsp-bridge test client",
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            leaves,
        )?;

        Ok(Self {
            ca_pem: ca_cert.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
        })
    }

    /// Writes `ca.pem`, `server.pem`, `server.key`, `client.pem`, `client.key` into `dir`
    /// (created if missing). Keys are readable by the owner only on Unix.
    pub fn write_to(&self, dir: &Path) -> anyhow::Result<PkiPaths> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let paths = PkiPaths::in_dir(dir);
        write_file(&paths.ca, &self.ca_pem, false)?;
        write_file(&paths.server_cert, &self.server_cert_pem, false)?;
        write_file(&paths.server_key, &self.server_key_pem, true)?;
        write_file(&paths.client_cert, &self.client_cert_pem, false)?;
        write_file(&paths.client_key, &self.client_key_pem, true)?;
        Ok(paths)
    }

    /// Reads a set written by [`PkiSet::write_to`].
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let paths = PkiPaths::in_dir(dir);
        Ok(Self {
            ca_pem: read_pem_file(&paths.ca)?,
            server_cert_pem: read_pem_file(&paths.server_cert)?,
            server_key_pem: read_pem_file(&paths.server_key)?,
            client_cert_pem: read_pem_file(&paths.client_cert)?,
            client_key_pem: read_pem_file(&paths.client_key)?,
        })
    }

    /// Certificate then key in one buffer, the form `reqwest::Identity::from_pem` takes.
    pub fn client_identity_pem(&self) -> String {
        format!("{}{}", self.client_cert_pem, self.client_key_pem)
    }
}

/// Generates a set and writes it into `dir`; what the CLI calls when no certificate flags
/// were given.
pub fn generate_into(dir: &Path) -> anyhow::Result<PkiPaths> {
    PkiSet::generate()?.write_to(dir)
}

/// Reads a PEM file into a string, naming the file in the error.
pub fn read_pem_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Every certificate in a PEM buffer (a chain may hold several). Fails when there is none.
pub fn load_certs(pem: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("invalid certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err(anyhow!("no certificate found in PEM"));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM buffer.
pub fn load_private_key(pem: &str) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| anyhow!("invalid private key PEM: {e}"))
}

/// Checks that `key_pem` is the private key of the first certificate in `cert_pem`, as rustls
/// does when it loads a pair (comparing SubjectPublicKeyInfo). A mismatched pair otherwise
/// surfaces only as a failed handshake, or as reqwest's bare "builder error".
pub fn check_key_pair(cert_pem: &str, key_pem: &str) -> anyhow::Result<()> {
    certified_key(cert_pem, key_pem).map(drop)
}

/// The chain and its private key, ready to present (rustls' `CertifiedKey`), or why not: the
/// same checks as [`check_key_pair`].
pub fn certified_key(cert_pem: &str, key_pem: &str) -> anyhow::Result<rustls::sign::CertifiedKey> {
    install_crypto_provider();
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certs = load_certs(cert_pem)?;
    let key = load_private_key(key_pem)?;
    match rustls::sign::CertifiedKey::from_der(certs, key, &provider) {
        Ok(pair) => Ok(pair),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(
            anyhow!("the private key does not belong to the certificate"),
        ),
        Err(e) => Err(anyhow!("the private key cannot be used: {e}")),
    }
}

/// Installs aws-lc-rs as rustls' process-wide provider. Idempotent: a second call (or a provider
/// installed by someone else first) is not an error. rustls panics at first use if it cannot
/// pick a provider unambiguously, so every entry point calls this.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// A server configuration that **requires** a client certificate chaining to `client_ca_pem`
/// (TLS-MA, SMSP SPEC §2.2). A client without a certificate, or with one from another CA, fails
/// the handshake.
pub fn server_config_requiring_client_cert(
    cert_pem: &str,
    key_pem: &str,
    client_ca_pem: &str,
) -> anyhow::Result<rustls::ServerConfig> {
    install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    for ca in load_certs(client_ca_pem).context("client CA")? {
        roots
            .add(ca)
            .context("adding the client CA to the trust store")?;
    }
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .context("building the client certificate verifier")?;
    rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            load_certs(cert_pem).context("server certificate")?,
            load_private_key(key_pem).context("server key")?,
        )
        .context("server certificate and key do not match")
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "smsp-bridge (test only)");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The term of a generated certificate, in whole days: valid from `not_before` 00:00 UTC to
/// `not_after` 00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: NaiveDate,
    pub not_after: NaiveDate,
}

impl Validity {
    /// From the start of last year to the start of the year after next: long enough for any
    /// test run or demo, short enough that a leaked test certificate is soon worthless.
    pub fn default_term() -> Self {
        let year = chrono::Utc::now().year();
        let jan_1 = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("1 January exists");
        Self {
            not_before: jan_1(year - 1),
            not_after: jan_1(year + 2),
        }
    }

    /// From `not_before` days after today to `not_after` days after today (negative: before).
    pub fn from_today(not_before: i64, not_after: i64) -> Self {
        let today = chrono::Utc::now().date_naive();
        let day = |offset: i64| {
            today
                .checked_add_signed(chrono::TimeDelta::days(offset))
                .expect("a date within chrono's range")
        };
        Self {
            not_before: day(not_before),
            not_after: day(not_after),
        }
    }

    fn apply(self, params: &mut CertificateParams) {
        // rcgen takes months and days as u8; a NaiveDate's always fit.
        let at = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
        params.not_before = at(self.not_before);
        params.not_after = at(self.not_after);
    }
}

fn leaf(
    issuer: &Issuer<'_, KeyPair>,
    common_name: &str,
    sans: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
    validity: Validity,
) -> anyhow::Result<(String, String)> {
    let key = KeyPair::generate().context("generating a leaf key")?;
    let mut params = CertificateParams::new(sans).context("certificate subject names")?;
    params.distinguished_name = dn(common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    validity.apply(&mut params);
    let cert = params
        .signed_by(&key, issuer)
        .context("signing a leaf certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn write_file(path: &Path, contents: &str, private: bool) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_set_round_trips_through_files_and_builds_a_server_config() {
        let set = PkiSet::generate().unwrap();
        let dir = std::env::temp_dir().join(format!("pki-test-{}", uuid::Uuid::new_v4()));
        let paths = set.write_to(&dir).unwrap();
        assert!(paths.server_key.ends_with("server.key"));
        let loaded = PkiSet::load(&dir).unwrap();
        assert_eq!(loaded.ca_pem, set.ca_pem);
        assert_eq!(loaded.client_key_pem, set.client_key_pem);
        server_config_requiring_client_cert(
            &loaded.server_cert_pem,
            &loaded.server_key_pem,
            &loaded.ca_pem,
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_pem_without_certificates_or_keys() {
        assert!(load_certs("not pem").is_err());
        assert!(load_private_key("not pem").is_err());
        let set = PkiSet::generate().unwrap();
        // a key where the certificate should be, and the other way round
        assert!(server_config_requiring_client_cert(
            &set.server_key_pem,
            &set.server_key_pem,
            &set.ca_pem
        )
        .is_err());
        assert!(load_private_key(&set.ca_pem).is_err());
    }

    #[test]
    fn a_key_pair_matches_only_its_own_certificate() {
        let set = PkiSet::generate().unwrap();
        check_key_pair(&set.client_cert_pem, &set.client_key_pem).unwrap();
        // the chain as presented: leaf first, then its CA
        let chain = format!("{}{}", set.client_cert_pem, set.ca_pem);
        check_key_pair(&chain, &set.client_key_pem).unwrap();
        let wrong = check_key_pair(&set.client_cert_pem, &set.server_key_pem).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "the private key does not belong to the certificate"
        );
        assert!(check_key_pair(&set.client_cert_pem, &set.client_cert_pem).is_err());
    }

    #[test]
    fn install_crypto_provider_is_idempotent() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
