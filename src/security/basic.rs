//! HTTP Basic against the users file (issue 5). argon2 is slow on purpose, so:
//! - verification runs on the blocking pool, never on an HTTP worker;
//! - a verified (user, password, hash) triple is remembered for `verified_cache_seconds`, keyed
//!   by a salted SHA-256 that includes the stored hash, so a password change or removal takes
//!   effect at once;
//! - an unknown user costs the same argon2 run as a known one (no user enumeration by timing).

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use super::principal::{diagnostics, AuthFailure, Principal};
use super::settings::{AuthMode, BasicSettings};
use super::users::{hash_password, verify_password, UsersFile};

/// Remembered verifications beyond this many are dropped wholesale (bounded memory).
const MEMO_CAP: usize = 10_000;
/// How often the users file's metadata is looked at for changes.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

pub struct BasicAuth {
    store: UserStore,
    memo_ttl: Duration,
    memo: Mutex<HashMap<[u8; 32], Instant>>,
    /// Per-process random salt for memo keys, so they mean nothing outside this process.
    memo_salt: [u8; 32],
    /// Verified against when the user is unknown, to equalise timing.
    dummy_hash: String,
}

impl BasicAuth {
    pub fn new(settings: &BasicSettings) -> anyhow::Result<Self> {
        let path = settings
            .users_file
            .clone()
            .ok_or_else(|| anyhow::anyhow!("security.basic.users_file is required for basic"))?;
        let mut memo_salt = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut memo_salt);
        Ok(Self {
            store: UserStore::open(path)?,
            memo_ttl: Duration::from_secs(settings.verified_cache_seconds),
            memo: Mutex::new(HashMap::new()),
            memo_salt,
            dummy_hash: hash_password(&SecretString::from(uuid::Uuid::new_v4().to_string()))?,
        })
    }

    /// Checks `Basic <base64(user:password)>` credentials.
    pub async fn authenticate(&self, credentials: &str) -> Result<Principal, AuthFailure> {
        let (user, password) = parse(credentials)?;
        let claimed = |mut f: AuthFailure| {
            f.claimed_user = Some(user.clone());
            f
        };
        let entry = self.store.get(&user);
        let hash = entry
            .as_ref()
            .map(|e| e.hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let key = self.memo_key(&user, &password, &hash);
        let verified = self.remembered(&key) || {
            let (h, p) = (hash.clone(), password);
            let ok = actix_web::web::block(move || verify_password(&h, &p))
                .await
                .unwrap_or(false);
            if ok && entry.is_some() {
                self.remember(key);
            }
            ok
        };
        match entry {
            Some(e) if verified => Ok(Principal {
                user,
                roles: e.roles.into(),
                mode: AuthMode::Basic,
            }),
            _ => Err(claimed(AuthFailure::rejected(diagnostics::BAD_BASIC))),
        }
    }

    fn memo_key(&self, user: &str, password: &SecretString, hash: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.memo_salt);
        for part in [user, password.expose_secret(), hash] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().into()
    }

    fn remembered(&self, key: &[u8; 32]) -> bool {
        if self.memo_ttl.is_zero() {
            return false;
        }
        let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.get(key).is_some_and(|at| at.elapsed() < self.memo_ttl)
    }

    fn remember(&self, key: [u8; 32]) {
        if self.memo_ttl.is_zero() {
            return;
        }
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= MEMO_CAP {
            memo.clear();
        }
        memo.insert(key, Instant::now());
    }
}

/// `user:password` from the base64 credentials of a Basic header.
fn parse(credentials: &str) -> Result<(String, SecretString), AuthFailure> {
    let bad = || AuthFailure::rejected(diagnostics::BAD_BASIC);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    if user.is_empty() || password.is_empty() {
        return Err(bad());
    }
    Ok((user.to_string(), SecretString::from(password.to_string())))
}

/// The users file, re-read when its size or modification time changes (so `user add|passwd|
/// remove` take effect without a restart). A file that fails to parse keeps the previous set.
struct UserStore {
    path: PathBuf,
    state: RwLock<Loaded>,
    checked: Mutex<Instant>,
}

struct Loaded {
    users: Arc<UsersFile>,
    stamp: Option<(SystemTime, u64)>,
}

impl UserStore {
    fn open(path: PathBuf) -> anyhow::Result<Self> {
        let users = UsersFile::load(&path)?;
        if users.users.is_empty() {
            tracing::warn!(file = %path.display(), "security.basic: the users file has no users");
        }
        Ok(Self {
            state: RwLock::new(Loaded {
                users: Arc::new(users),
                stamp: stamp(&path),
            }),
            path,
            checked: Mutex::new(Instant::now()),
        })
    }

    fn get(&self, user: &str) -> Option<super::users::UserEntry> {
        self.reload_if_changed();
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        state.users.users.get(user).cloned()
    }

    fn reload_if_changed(&self) {
        {
            let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
            if checked.elapsed() < RELOAD_CHECK {
                return;
            }
            *checked = Instant::now();
        }
        let now = stamp(&self.path);
        let current = self.state.read().unwrap_or_else(|p| p.into_inner()).stamp;
        if now == current {
            return;
        }
        match UsersFile::load(&self.path) {
            Ok(users) => {
                tracing::info!(
                    users = users.users.len(),
                    "security.basic: users file reloaded"
                );
                *self.state.write().unwrap_or_else(|p| p.into_inner()) = Loaded {
                    users: Arc::new(users),
                    stamp: now,
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, "security.basic: users file unreadable; keeping the previous users")
            }
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::users::UserEntry;

    fn encode(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[actix_web::test]
    async fn verifies_users_and_rejects_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let mut f = UsersFile::default();
        f.users.insert(
            "alice".into(),
            UserEntry {
                hash: hash_password(&SecretString::from("s3cret")).unwrap(),
                roles: vec!["read".into()],
            },
        );
        f.save(&path).unwrap();
        let auth = BasicAuth::new(&BasicSettings {
            users_file: Some(path.clone()),
            verified_cache_seconds: 60,
        })
        .unwrap();
        let p = auth.authenticate(&encode("alice:s3cret")).await.unwrap();
        assert_eq!(
            (p.user.as_str(), p.roles.to_vec()),
            ("alice", vec!["read".to_string()])
        );
        // remembered: still fine
        assert!(auth.authenticate(&encode("alice:s3cret")).await.is_ok());
        let e = auth.authenticate(&encode("alice:wrong")).await.unwrap_err();
        assert_eq!(e.claimed_user.as_deref(), Some("alice"));
        assert!(e.rejected);
        assert!(auth.authenticate(&encode("bob:s3cret")).await.is_err());
        assert!(auth.authenticate("%%%").await.is_err());
        assert!(auth.authenticate(&encode("alice")).await.is_err());

        // a removal takes effect even for a remembered password
        f.users.clear();
        f.save(&path).unwrap();
        *auth.store.checked.lock().unwrap() = Instant::now() - RELOAD_CHECK * 2;
        assert!(auth.authenticate(&encode("alice:s3cret")).await.is_err());
    }
}
