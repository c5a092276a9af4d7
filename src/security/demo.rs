//! The demo's documented user (issue 5 "The demo creates a documented demo user"): `demo` /
//! `demo-password`, roles read, search and verify, HTTP Basic, and an audit trail in the demo
//! directory.

use secrecy::SecretString;
use std::path::Path;

use super::settings::{AuthMode, SecuritySettings};
use super::users::{hash_password, UserEntry, UsersFile};

pub const DEMO_USER: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";

/// Writes `<dir>/users.toml` with the demo user and switches `security` to Basic with the audit
/// trail in `<dir>/audit`.
pub fn configure(dir: &Path, security: &mut SecuritySettings) -> anyhow::Result<()> {
    let users = dir.join("users.toml");
    let mut file = UsersFile::default();
    file.users.insert(
        DEMO_USER.into(),
        UserEntry {
            hash: hash_password(&SecretString::from(DEMO_PASSWORD))?,
            roles: vec!["read".into(), "search".into(), "verify".into()],
        },
    );
    file.save(&users)?;
    security.modes = vec![AuthMode::Basic];
    security.basic.users_file = Some(users);
    security.audit.dir = Some(dir.join("audit"));
    Ok(())
}
