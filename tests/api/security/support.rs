//! Shared pieces of the security tests: users files, credentials, audit-file reading and the
//! real binary.

#![allow(dead_code)] // each test module uses a different part of this

use base64::Engine;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use smsp_bridge::config::Settings;
use smsp_bridge::security::users::{hash_password, UserEntry, UsersFile};
use smsp_bridge::security::AuthMode;

use crate::helpers::sim::{spawn_sim, TestSim};
use crate::helpers::{spawn_app_with, Reply, TestApp};

pub const BIN: &str = env!("CARGO_BIN_EXE_smsp-bridge");

/// The read every test uses (SIM-FULL in `src/sim/data/patients.csv`).
pub const READ: &str = "/Patient/9990001006";
pub const DOB: (&str, &str) = ("X-SMSP-Birth-Date", "1980-01-15");
pub const SEARCH: &str = "/Patient?family=FAIRWEATHER&gender=male&birthdate=1980-01-15";
pub const VERIFY: &str = "/Patient/$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-15";

/// The audit tests' users: one with every patient-data role, one who may only verify.
pub const ALICE: (&str, &str, &[&str]) = ("alice", "alice-password", &["read", "search", "verify"]);
pub const VERA: (&str, &str, &[&str]) = ("vera", "vera-password", &["verify"]);

/// Writes a users file with `(name, password, roles)`.
pub fn users_file(dir: &Path, users: &[(&str, &str, &[&str])]) -> PathBuf {
    let path = dir.join("users.toml");
    let mut file = UsersFile::default();
    for (name, password, roles) in users {
        file.users.insert(
            name.to_string(),
            UserEntry {
                hash: hash_password(&SecretString::from(password.to_string())).unwrap(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
            },
        );
    }
    file.save(&path).unwrap();
    path
}

pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A bridge with Basic authentication for `users`, and (when `audit` is given) an audit
/// trail there; `adjust` may change anything else.
pub async fn spawn_basic(
    dir: &Path,
    users: &[(&str, &str, &[&str])],
    audit: Option<&Path>,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let users = users_file(dir, users);
    let audit = audit.map(Path::to_path_buf);
    spawn_app_with(spawn_sim().await, move |s| {
        s.security.modes = vec![AuthMode::Basic];
        s.security.basic.users_file = Some(users);
        s.security.audit.dir = audit;
        adjust(s);
    })
    .await
}

pub async fn sim() -> TestSim {
    spawn_sim().await
}

/// GET `base + path` as `authorization` (or none), with a fresh X-Request-ID.
pub async fn get_as(
    app: &TestApp,
    path: &str,
    authorization: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    if let Some(a) = authorization {
        headers.push(("Authorization", a));
    }
    app.get(path, &headers).await
}

/// Asserts the PDS 401 shape (PDS FHIR SPEC §7) with a challenge.
pub fn assert_401(r: &Reply, diagnostics: &str, challenge: &str) {
    assert_eq!(r.status, 401, "{}", r.json);
    assert_eq!(r.spine_code(), "ACCESS_DENIED");
    assert_eq!(r.json["issue"][0]["code"], "forbidden");
    assert_eq!(
        r.json["issue"][0]["details"]["coding"][0]["display"],
        "Access Denied - Unauthorised"
    );
    assert_eq!(r.diagnostics(), diagnostics);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let challenges: Vec<&str> = r
        .headers
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        challenges.iter().any(|c| c.starts_with(challenge)),
        "{challenges:?} has no {challenge} challenge"
    );
}

pub fn assert_403(r: &Reply) {
    assert_eq!(r.status, 403, "{}", r.json);
    assert_eq!(r.spine_code(), "ACCESS_DENIED");
    assert_eq!(r.json["issue"][0]["code"], "forbidden");
}

/// Every record of the audit trail in `dir`, in chain order.
pub fn audit_records(dir: &Path) -> Vec<serde_json::Value> {
    smsp_bridge::security::audit::chain::list_files(dir)
        .unwrap()
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .split_inclusive('\n')
                // a torn, never-acknowledged record after a crash has no newline
                .filter(|l| l.ends_with('\n'))
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<serde_json::Value>>()
        })
        .collect()
}

/// The record for `request_id`.
pub fn record_for<'a>(records: &'a [serde_json::Value], request_id: &str) -> &'a serde_json::Value {
    records
        .iter()
        .find(|r| r["request_id"] == request_id)
        .unwrap_or_else(|| panic!("no audit record for {request_id}"))
}

/// Runs the real binary with `args` and `stdin`.
pub fn run_bin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `smsp-bridge audit verify <paths>`: (success, stdout + stderr).
pub fn audit_verify(paths: &[&Path]) -> (bool, String) {
    let mut args = vec!["audit".to_string(), "verify".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_bin(&args, "");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `DELETE root + path` as `authorization`: status and Spine code (the purge answers 204
/// without a body).
pub async fn delete_as(app: &TestApp, path: &str, authorization: &str) -> (u16, String) {
    let res = app
        .http
        .delete(format!("{}{path}", app.root))
        .header("X-Request-ID", crate::helpers::request_id())
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    let code = body["issue"][0]["details"]["coding"][0]["code"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (status, code)
}
