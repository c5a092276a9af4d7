//! `check-config` refuses what `serve` would refuse at start-up (README, Configuration): after
//! the settings themselves, the files they name are loaded as `serve` loads them, so that a
//! configuration it accepts is one the bridge starts with.

use std::path::Path;

use smsp_bridge::pki::PkiSet;

use crate::helpers::config_file::{self, toml_path};
use crate::security::support::run_bin;

/// Basic and bearer authentication, each naming a file given by the caller.
fn config(dir: &Path, users_file: &Path, jwks_file: &Path) -> std::path::PathBuf {
    let paths = PkiSet::generate().unwrap().write_to(dir).unwrap();
    let extra = format!(
        r#"
[security]
modes = ["basic", "bearer"]

[security.basic]
users_file = {users}

[security.bearer]
issuer = "https://idp.example.test"
audience = "smsp-bridge"
jwks_file = {jwks}
"#,
        users = toml_path(users_file),
        jwks = toml_path(jwks_file),
    );
    config_file::write(dir, "https://127.0.0.1:9/smsp/pds", &paths, 1, &extra)
}

#[test]
fn check_config_loads_the_files_serve_loads_and_names_each_that_fails() {
    let dir = tempfile::tempdir().unwrap();
    // A users file that is not TOML, on a line holding a hash; a JWKS file that is not there.
    let users = dir.path().join("users.toml");
    std::fs::write(
        &users,
        "[users.ops]\nhash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\" roles\n",
    )
    .unwrap();
    let jwks = dir.path().join("missing-jwks.json");
    let cfg = config(dir.path(), &users, &jwks);
    let cfg = cfg.to_str().unwrap();

    let out = run_bin(&["check-config", "--config", cfg], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("start-up error: "))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains(&format!(
            "users file {}: TOML parse error at line 2",
            users.display()
        )),
        "{stderr}"
    );
    assert!(errors[1].contains(&jwks.display().to_string()), "{stderr}");
    // The users file's text, hash included, is not repeated.
    assert!(!stderr.contains("argon2id"), "{stderr}");

    // serve refuses the same configuration.
    let served = run_bin(&["serve", "--config", cfg], "");
    assert!(!served.status.success());
    let served = String::from_utf8_lossy(&served.stderr);
    assert!(served.contains("TOML parse error at line 2"), "{served}");

    // With both files sound, both commands accept it.
    std::fs::write(&users, "[users.ops]\nhash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$0+4GhLdJ35n2rTTtaD7vZOx8sBVcdHbA6qYmnGR4LFo\"\nroles = [\"read\"]\n").unwrap();
    let (_, jwk) = crate::security::bearer::ec_key("key-1");
    std::fs::write(&jwks, serde_json::json!({ "keys": [jwk] }).to_string()).unwrap();
    let out = run_bin(&["check-config", "--config", cfg], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_config_loads_shadow_modes_pds_key() {
    let dir = tempfile::tempdir().unwrap();
    let paths = PkiSet::generate().unwrap().write_to(dir.path()).unwrap();
    let key = dir.path().join("pds-private-key.pem");
    let extra = format!(
        r#"
[compare.pds]
base_url = "https://sandbox.api.service.nhs.uk/personal-demographics/FHIR/R4"
api_key = "test-application"
private_key = {key}
kid = "test-1"

[compare.shadow]
sample_rate = 0.1
"#,
        key = toml_path(&key),
    );
    // A file that is there (config::check would name a missing one) but holds no key.
    std::fs::write(&key, "not a private key\n").unwrap();
    let cfg = config_file::write(
        dir.path(),
        "https://127.0.0.1:9/smsp/pds",
        &paths,
        1,
        &extra,
    );
    let out = run_bin(&["check-config", "--config", cfg.to_str().unwrap()], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("start-up error: compare.pds.private_key: not an RSA")),
        "{stderr}"
    );
    // An RSA key, as NHS's signed-JWT authentication takes: accepted.
    let rsa = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256);
    std::fs::write(&key, rsa.unwrap().serialize_pem()).unwrap();
    let out = run_bin(&["check-config", "--config", cfg.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `check-config` with `env` set, as `serve` would be started: (success, stderr).
fn check_with_env(cfg: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let out = std::process::Command::new(crate::security::support::BIN)
        .args(["check-config", "--config", cfg.to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_tries_the_audit_directory_and_the_ports_serve_would_use() {
    let dir = tempfile::tempdir().unwrap();
    let paths = PkiSet::generate().unwrap().write_to(dir.path()).unwrap();
    let trail = dir.path().join("trail");
    let extra = format!("\n[security.audit]\ndir = {}\n", toml_path(&trail));
    let cfg = config_file::write(
        dir.path(),
        "https://127.0.0.1:9/smsp/pds",
        &paths,
        1,
        &extra,
    );

    // A directory serve would create: accepted, and not created by the check.
    let (ok, stderr) = check_with_env(&cfg, &[]);
    assert!(ok, "{stderr}");
    assert!(!trail.exists());

    // A file where the directory should be: serve could not open the trail.
    std::fs::write(&trail, "").unwrap();
    let (ok, stderr) = check_with_env(&cfg, &[]);
    assert!(!ok);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("start-up error: security.audit.dir: ")
                && l.ends_with("is not a directory")),
        "{stderr}"
    );
    std::fs::remove_file(&trail).unwrap();

    // An address that is not this host's (TEST-NET-1, RFC 5737) cannot be listened on.
    let (ok, stderr) = check_with_env(&cfg, &[("SMSP_BRIDGE__LISTEN", "192.0.2.1:8080")]);
    assert!(!ok);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("start-up error: listen: cannot listen on 192.0.2.1:8080")),
        "{stderr}"
    );

    // A port in use now (the bridge being replaced, say) is a note, not an error.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let (ok, stderr) = check_with_env(&cfg, &[("SMSP_BRIDGE__LISTEN", addr.as_str())]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(&format!("note: listen: {addr} is in use now")),
        "{stderr}"
    );
}
