//! The inbound TLS listener (`security.tls.listen`): the bridge's own certificate, and client
//! certificates from `client_ca` accepted but not required (a client may use Basic or Bearer
//! instead; `client_cert` maps a verified one to a user).
//!
//! The certificate and key are served through [`ServerIdentity`], which a reload replaces
//! without restarting the listener (README, Operations, "Certificates"): handshakes after the
//! swap present the new chain, connections already open keep theirs.

use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::settings::TlsSettings;

/// The chain the listener presents, replaceable while it runs.
#[derive(Debug)]
pub struct ServerIdentity(RwLock<Arc<CertifiedKey>>);

impl ServerIdentity {
    pub fn new(pair: CertifiedKey) -> Self {
        Self(RwLock::new(Arc::new(pair)))
    }

    /// New handshakes present `pair` from now on.
    pub fn replace(&self, pair: CertifiedKey) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(pair);
    }

    pub(crate) fn current(&self) -> Arc<CertifiedKey> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ResolvesServerCert for ServerIdentity {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// The listener's certificate and key, read from the files `tls` names and paired.
fn identity(tls: &TlsSettings) -> anyhow::Result<CertifiedKey> {
    let cert = read("cert", &tls.cert)?;
    let key = read("key", &tls.key)?;
    crate::pki::certified_key(&cert, &key).context("security.tls.key")
}

fn read(key: &str, p: &Option<std::path::PathBuf>) -> anyhow::Result<String> {
    let p = p
        .as_ref()
        .with_context(|| format!("security.tls.{key} is required with security.tls.listen"))?;
    crate::pki::read_pem_file(p).with_context(|| format!("security.tls.{key}"))
}

/// The listener's rustls configuration, with the identity it serves (for reloading).
pub fn server_config(
    tls: &TlsSettings,
) -> anyhow::Result<(rustls::ServerConfig, Arc<ServerIdentity>)> {
    crate::pki::install_crypto_provider();
    let identity = Arc::new(ServerIdentity::new(identity(tls)?));
    let builder = rustls::ServerConfig::builder();
    let builder = match &tls.client_ca {
        Some(_) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in crate::pki::load_certs(&read("client_ca", &tls.client_ca)?)? {
                roots.add(ca).context("security.tls.client_ca")?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .allow_unauthenticated()
                .build()
                .context("security.tls.client_ca: client verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Ok((builder.with_cert_resolver(identity.clone()), identity))
}

/// The inbound TLS listener, bound, with its configuration and identity; `None` when
/// `security.tls.listen` is not set. Bound here so a busy port fails start-up with a clear
/// message.
pub struct InboundTls {
    pub listener: std::net::TcpListener,
    pub config: rustls::ServerConfig,
    pub identity: Arc<ServerIdentity>,
}

pub fn tls_listener(tls: &TlsSettings) -> anyhow::Result<Option<InboundTls>> {
    let Some(addr) = &tls.listen else {
        return Ok(None);
    };
    let (config, identity) = server_config(tls)?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("security.tls.listen: cannot listen on {addr}: {e}"))?;
    Ok(Some(InboundTls {
        listener,
        config,
        identity,
    }))
}
