//! Replacing TLS material while serving (README, Operations, "Certificates"). Endpoint
//! certificates for SMSP are issued for a fixed term (SMSP SPEC §2.2), and Kubernetes rewrites a
//! mounted Secret's files in place when it is renewed: the bridge checks its certificate files
//! every `tls_reload_seconds` and on `SIGHUP`, and loads what changed without a restart.
//!
//! What can be replaced, each as one unit (a certificate and its key change together):
//! - `smsp`: `smsp.client_cert`, `smsp.client_key` and `smsp.ca_cert`, for new connections to
//!   SMSP (`LiveClient::reload_tls`);
//! - `inbound`: `security.tls.cert` and `security.tls.key`, for new handshakes on the inbound
//!   listener (`ServerIdentity::replace`);
//! - `inbound_client_ca`: `security.tls.client_ca` is watched but needs a restart (rustls' client
//!   verifier is fixed when the listener starts), and says so.
//!
//! New material is checked as at start-up (the chain valid now, the key its own) and refused
//! otherwise: the material in use stays, the refusal is logged once per distinct content, and
//! `smsp_bridge_tls_reload_pending{material}` is 1 until the files can be loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::security::inbound_tls::ServerIdentity;
use crate::smsp::transport::LiveClient;

/// Where new material goes.
enum Apply {
    Smsp(Arc<LiveClient>),
    Inbound(Arc<ServerIdentity>),
    /// Watched only: a change needs a restart.
    RestartNeeded,
}

/// A watched file: its configuration key, its path, and whether it holds certificates (the
/// expiry gauge) rather than a private key.
struct Watched {
    key: &'static str,
    path: PathBuf,
    certificates: bool,
}

/// One unit of material (`CertificateFile::material`): its files in the configuration's order,
/// each certificate file followed by its private key's.
struct Target {
    material: &'static str,
    files: Vec<Watched>,
    /// What the files held when the material in use was read.
    loaded: [u8; 32],
    /// The last refusal (content and reason), so that it is logged and counted once.
    refused: Option<([u8; 32], String)>,
    apply: Option<Apply>,
}

/// The files as read now: each one's bytes or why it could not be read.
type Contents = Vec<Result<Vec<u8>, String>>;

/// The configured TLS material, fingerprinted when the bridge first read it.
pub struct Reloader {
    targets: Vec<Target>,
}

impl Reloader {
    /// Fingerprints every file now: call it **before** the material is loaded, so that a file
    /// replaced in between is seen as changed at the first check.
    pub fn new(settings: &Settings) -> Self {
        let mut targets: Vec<Target> = Vec::new();
        for f in settings.certificate_files() {
            let t = match targets.iter().position(|t| t.material == f.material) {
                Some(i) => &mut targets[i],
                None => {
                    targets.push(Target {
                        material: f.material,
                        files: Vec::new(),
                        loaded: [0; 32],
                        refused: None,
                        apply: None,
                    });
                    targets.last_mut().expect("just pushed")
                }
            };
            t.files.push(Watched {
                key: f.key,
                path: f.path.to_owned(),
                certificates: true,
            });
            if let Some((key, path)) = f.private_key {
                t.files.push(Watched {
                    key,
                    path: path.to_owned(),
                    certificates: false,
                });
            }
        }
        for t in &mut targets {
            t.loaded = fingerprint(&t.read());
        }
        let mut reloader = Self { targets };
        reloader.attach("inbound_client_ca", Apply::RestartNeeded);
        reloader
    }

    /// Reloads the SMSP transport's certificate, key and CA bundle.
    pub fn smsp(&mut self, client: Arc<LiveClient>) {
        self.attach("smsp", Apply::Smsp(client));
    }

    /// Reloads the inbound listener's certificate and key.
    pub fn inbound(&mut self, identity: Arc<ServerIdentity>) {
        self.attach("inbound", Apply::Inbound(identity));
    }

    fn attach(&mut self, material: &str, apply: Apply) {
        if let Some(t) = self.targets.iter_mut().find(|t| t.material == material) {
            t.apply = Some(apply);
        }
    }

    /// Checks every file every `every` (never when zero) and on `SIGHUP`, until the task is
    /// aborted. Targets with nowhere to go (an in-process SMSP client) are dropped.
    pub fn spawn(mut self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.targets.retain(|t| t.apply.is_some());
        tokio::spawn(async move {
            let mut hangup = hangups();
            let mut tick = (!every.is_zero()).then(|| {
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            loop {
                tokio::select! {
                    _ = async { tick.as_mut().unwrap().tick().await }, if tick.is_some() => {}
                    Some(()) = async { hangup.as_mut()?.recv().await }, if hangup.is_some() => {
                        tracing::info!("SIGHUP: checking TLS certificate files");
                    }
                    else => return,
                }
                self.check(chrono::Utc::now().timestamp());
            }
        })
    }

    /// Loads whatever changed since it was last loaded; returns how many units were replaced.
    pub fn check(&mut self, now: i64) -> usize {
        let mut applied = 0;
        for t in &mut self.targets {
            let contents = t.read();
            let print = fingerprint(&contents);
            if print == t.loaded {
                if t.refused.take().is_some() {
                    tracing::info!(material = t.material, "TLS files are back to those in use");
                }
                pending(t.material, false);
                continue;
            }
            let Some(apply) = &t.apply else { continue };
            match load(apply, &t.files, &contents, now) {
                Ok(()) => {
                    t.loaded = print;
                    t.refused = None;
                    applied += 1;
                    pending(t.material, false);
                    outcome(t.material, "applied");
                    tracing::info!(material = t.material, "TLS material reloaded");
                }
                Err(e) => {
                    let reason = format!("{e:#}");
                    pending(t.material, true);
                    if t.refused.as_ref() != Some(&(print, reason.clone())) {
                        outcome(t.material, "refused");
                        tracing::error!(
                            material = t.material,
                            reason = %reason,
                            "TLS files changed but cannot be loaded: the material in use stays"
                        );
                        t.refused = Some((print, reason));
                    }
                }
            }
        }
        applied
    }
}

impl Target {
    fn read(&self) -> Contents {
        self.files.iter().map(|f| read(f.key, &f.path)).collect()
    }
}

/// A file's bytes; the error names the key only (paths and contents stay out of the log).
fn read(key: &str, path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{key}: cannot read the file: {}", e.kind()))
}

fn fingerprint(contents: &Contents) -> [u8; 32] {
    let mut h = Sha256::new();
    for c in contents {
        match c {
            Ok(bytes) => {
                h.update([1]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
            Err(why) => {
                h.update([0]);
                h.update(why.as_bytes());
            }
        }
    }
    h.finalize().into()
}

/// Checks the files' contents as start-up would and hands them over.
fn load(apply: &Apply, files: &[Watched], contents: &Contents, now: i64) -> anyhow::Result<()> {
    let text = |key: &str| -> anyhow::Result<String> {
        let i = files
            .iter()
            .position(|f| f.key == key)
            .ok_or_else(|| anyhow!("{key} is not configured"))?;
        let bytes = contents[i].clone().map_err(|e| anyhow!(e))?;
        String::from_utf8(bytes).map_err(|_| anyhow!("{key}: not PEM text"))
    };
    let presented = |key: &str, cert: &str| -> anyhow::Result<()> {
        let lifetime = crate::pki::common_lifetime(cert).context(key.to_string())?;
        match lifetime.refusal(now) {
            Some(why) => Err(anyhow!("{key}: {why}")),
            None => Ok(()),
        }
    };
    match apply {
        Apply::Smsp(client) => {
            let (cert, key, ca) = (
                text("smsp.client_cert")?,
                text("smsp.client_key")?,
                text("smsp.ca_cert")?,
            );
            presented("smsp.client_cert", &cert)?;
            crate::pki::common_lifetime(&ca).context("smsp.ca_cert")?;
            client
                .reload_tls(cert.into_bytes(), key.into_bytes().into(), ca.into_bytes())
                .map_err(|e| {
                    // The CA bundle's own failures under its key; the rest are the pair's.
                    let key = match e {
                        crate::smsp::transport::TransportSetupError::Ca(_) => "smsp.ca_cert",
                        _ => "smsp.client_key",
                    };
                    anyhow!("{key}: {e}")
                })?;
        }
        Apply::Inbound(identity) => {
            let (cert, key) = (text("security.tls.cert")?, text("security.tls.key")?);
            presented("security.tls.cert", &cert)?;
            let pair = crate::pki::certified_key(&cert, &key).context("security.tls.key")?;
            identity.replace(pair);
        }
        Apply::RestartNeeded => {
            return Err(anyhow!(
                "security.tls.client_ca: the inbound listener keeps the client CAs it started \
                 with: restart the bridge to use the new file"
            ))
        }
    }
    // The expiry gauge follows what is now in use.
    for (f, content) in files.iter().zip(contents) {
        if let (true, Ok(pem)) = (f.certificates, content) {
            crate::telemetry::certificates::record_pem(f.key, &String::from_utf8_lossy(pem), now);
        }
    }
    Ok(())
}

fn pending(material: &'static str, yes: bool) {
    metrics::gauge!("smsp_bridge_tls_reload_pending", "material" => material).set(if yes {
        1.0
    } else {
        0.0
    });
}

fn outcome(material: &'static str, result: &'static str) {
    metrics::counter!(
        "smsp_bridge_tls_reloads_total",
        "material" => material,
        "result" => result
    )
    .increment(1);
}

/// `SIGHUP`, where there are signals and one can be registered.
#[cfg(unix)]
fn hangups() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{signal, SignalKind};
    signal(SignalKind::hangup())
        .map_err(
            |e| tracing::warn!(error = %e, "cannot listen for SIGHUP: reloads by interval only"),
        )
        .ok()
}

#[cfg(not(unix))]
fn hangups() -> Option<NoSignal> {
    None
}

#[cfg(not(unix))]
struct NoSignal;

#[cfg(not(unix))]
impl NoSignal {
    async fn recv(&mut self) -> Option<()> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{PkiSet, Validity};

    /// An inbound listener's reloader over `dir`'s files, and the identity it replaces.
    fn inbound(dir: &Path) -> (Reloader, Arc<ServerIdentity>, Settings) {
        let paths = PkiSet::generate().unwrap().write_to(dir).unwrap();
        let mut s = Settings::default();
        s.security.tls.listen = Some("127.0.0.1:0".into());
        s.security.tls.cert = Some(paths.server_cert);
        s.security.tls.key = Some(paths.server_key);
        let mut reloader = Reloader::new(&s);
        let (_, identity) = crate::security::inbound_tls::server_config(&s.security.tls).unwrap();
        reloader.inbound(identity.clone());
        (reloader, identity, s)
    }

    fn presented(identity: &ServerIdentity) -> Vec<u8> {
        identity.current().cert[0].as_ref().to_vec()
    }

    #[test]
    fn a_file_gone_mid_rotation_is_refused_by_key_and_its_return_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut reloader, identity, s) = inbound(dir.path());
        let before = presented(&identity);
        assert_eq!(reloader.check(0), 0, "nothing changed");

        let key = s.security.tls.key.clone().unwrap();
        let saved = std::fs::read(&key).unwrap();
        std::fs::remove_file(&key).unwrap();
        let now = chrono::Utc::now().timestamp();
        assert_eq!(reloader.check(now), 0);
        let refused = &reloader.targets[0].refused.as_ref().unwrap().1;
        assert_eq!(
            refused,
            "security.tls.key: cannot read the file: entity not found"
        );
        assert_eq!(presented(&identity), before);

        std::fs::write(&key, saved).unwrap();
        assert_eq!(
            reloader.check(now),
            0,
            "the files in use are not loaded again"
        );
        assert!(reloader.targets[0].refused.is_none());
        assert_eq!(presented(&identity), before);
    }

    #[test]
    fn a_renewed_pair_is_presented_and_one_not_yet_valid_waits_for_its_date() {
        let dir = tempfile::tempdir().unwrap();
        let (mut reloader, identity, s) = inbound(dir.path());
        let soon = Validity::from_today(2, 300);
        let next = PkiSet::generate_with("Renewal CA", soon).unwrap();
        std::fs::write(s.security.tls.cert.as_ref().unwrap(), &next.server_cert_pem).unwrap();
        std::fs::write(s.security.tls.key.as_ref().unwrap(), &next.server_key_pem).unwrap();
        let now = chrono::Utc::now().timestamp();
        assert_eq!(
            reloader.check(now),
            0,
            "not valid until the day after tomorrow"
        );
        // The same files are tried again at each check, and loaded once their date has come.
        let valid_from = soon.not_before.and_hms_opt(0, 0, 0).unwrap().and_utc();
        assert_eq!(reloader.check(valid_from.timestamp()), 1);
        let expected = crate::pki::load_certs(&next.server_cert_pem).unwrap();
        assert_eq!(presented(&identity), expected[0].as_ref());
    }
}
