//! The users file for HTTP Basic (issue 5): local user ids with argon2id password hashes and
//! roles (SMSP SPEC §2.2: "clients must authenticate users locally (at least user ID +
//! password)"). TOML, one table per user:
//!
//! ```toml
//! [users.demo]
//! hash = "$argon2id$v=19$m=19456,t=2,p=1$…"
//! roles = ["read", "search", "verify"]
//! ```
//!
//! Only hashes are stored; passwords exist in memory as `SecretString` and are never logged.

use anyhow::{bail, Context};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersFile {
    #[serde(default)]
    pub users: BTreeMap<String, UserEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// PHC string of an argon2id hash.
    pub hash: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

impl UsersFile {
    /// Reads the file; a missing file is an empty set of users (so `user add` can create it).
    pub fn load_or_empty(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                Self::parse(&text).with_context(|| format!("users file {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read users file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("users file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: UsersFile = toml::from_str(text).map_err(|e| without_excerpt(text, &e))?;
        for (name, entry) in &file.users {
            check_user_name(name)?;
            PasswordHash::new(&entry.hash)
                .map_err(|e| anyhow::anyhow!("user '{name}': hash is not a PHC string: {e}"))?;
        }
        Ok(file)
    }

    /// Writes atomically (temp file + rename, mode 0600), so the bridge never reads half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# smsp-bridge users: maintained by `smsp-bridge user add|passwd|remove`.\n\
             # Argon2id hashes only; see README.md, section Security.\n\n{}",
            toml::to_string(self)?
        );
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        write_private(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        if let Some(dir) = dir {
            // The rename is durable only once the directory is.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// User ids go into the ITK auditIdentity URI and the audit trail: keep them plain.
pub fn check_user_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        bail!("user name '{name}' must be 1-64 characters of A-Z a-z 0-9 . _ - @");
    }
    Ok(())
}

/// argon2id with the crate's default (OWASP-recommended) parameters and a random salt.
pub fn hash_password(password: &SecretString) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

/// Constant-time comparison inside argon2; a malformed hash never verifies.
pub fn verify_password(hash: &str, password: &SecretString) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

/// toml's own message quotes the offending line, and in this file a line holds a password
/// hash, which would then reach the log: say where and what is wrong, never the text.
fn without_excerpt(text: &str, e: &toml::de::Error) -> anyhow::Error {
    let Some(span) = e.span() else {
        return anyhow::anyhow!("TOML parse error: {}", e.message());
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    anyhow::anyhow!(
        "TOML parse error at line {line}, column {column}: {}",
        e.message()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let pw = SecretString::from("correct horse");
        let hash = hash_password(&pw).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, &pw));
        assert!(!verify_password(&hash, &SecretString::from("wrong")));
        assert!(!verify_password("not a hash", &pw));
    }

    #[test]
    fn file_round_trips_and_rejects_bad_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        assert_eq!(
            UsersFile::load_or_empty(&path).unwrap(),
            UsersFile::default()
        );
        let mut f = UsersFile::default();
        f.users.insert(
            "alice".into(),
            UserEntry {
                hash: hash_password(&SecretString::from("pw")).unwrap(),
                roles: vec!["read".into()],
            },
        );
        f.save(&path).unwrap();
        assert_eq!(UsersFile::load(&path).unwrap(), f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(check_user_name("bad name").is_err());
        assert!(check_user_name("a:b").is_err());
        assert!(UsersFile::parse("[users.x]\nhash = \"plain\"\n").is_err());
    }

    #[test]
    fn a_file_that_does_not_parse_is_located_without_quoting_it() {
        let text = "[users.ops]\nhash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\" roles\n";
        let e = UsersFile::parse(text).unwrap_err().to_string();
        assert!(e.starts_with("TOML parse error at line 2, column "), "{e}");
        assert!(!e.contains("argon2id") && !e.contains("c2FsdA"), "{e}");
    }
}
