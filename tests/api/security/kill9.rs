//! kill -9 of `smsp-bridge serve` under load: afterwards the chain still verifies and every 200
//! patient response the clients received has its record (the answer waits for the sync).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::support::*;
use crate::helpers::config_file::{self, toml_path};
use crate::helpers::sim::TestSim;

pub(crate) fn config(dir: &Path, sim: &TestSim, users: &Path, audit: &Path) -> std::path::PathBuf {
    let extra = format!(
        r#"
[security]
modes = ["basic"]

[security.basic]
users_file = {users}

[security.audit]
dir = {audit}
max_file_bytes = 50000
"#,
        users = toml_path(users),
        audit = toml_path(audit),
    );
    config_file::write(dir, &sim.url, &sim.paths, 2, &extra)
}

/// Starts `serve` and returns it with its port (read from its "serving" log line).
pub(crate) fn serve(config: &Path) -> (Child, u16) {
    let (child, port, _log) = serve_logged(config);
    (child, port)
}

/// `serve`, also handing back everything the process writes to stdout (its log), available
/// once stdout closes — when the process has exited.
pub(crate) fn serve_logged(config: &Path) -> (Child, u16, std::thread::JoinHandle<Vec<String>>) {
    let (child, serving, log) = serve_logged_line(config);
    (child, serving["port"].as_u64().unwrap() as u16, log)
}

/// [`serve_logged`], with the whole "smsp-bridge serving" log line (`port`, `tls_port`).
pub(crate) fn serve_logged_line(
    config: &Path,
) -> (
    Child,
    serde_json::Value,
    std::thread::JoinHandle<Vec<String>>,
) {
    let mut child = Command::new(BIN)
        .args(["serve", "--config", config.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("smsp-bridge serving") {
                let _ = tx.send(serde_json::from_str(&line).unwrap());
            }
            lines.push(line);
        }
        lines
    });
    let serving = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve reports its port");
    (child, serving, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let sim = sim().await;
    let users = users_file(
        dir.path(),
        &[("loadgen", "loadgen-password", &["read", "search", "verify"])],
    );
    let audit = dir.path().join("audit");
    let cfg = config(dir.path(), &sim, &users, &audit);
    let (mut child, port) = serve(&cfg);
    let base = format!("http://127.0.0.1:{port}/personal-demographics/FHIR/R4");
    let auth = basic("loadgen", "loadgen-password");

    // Warm up (the first Basic check runs argon2), then load: 16 clients until the kill.
    let warm = reqwest::Client::new()
        .get(format!("{base}{VERIFY}"))
        .header("X-Request-ID", crate::helpers::request_id())
        .header("Authorization", &auth)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for i in 0..16 {
        let (base, auth, answered, stop) =
            (base.clone(), auth.clone(), answered.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let rid = crate::helpers::request_id();
                let path = [READ, SEARCH, VERIFY][(i + n) % 3];
                n += 1;
                let res = http
                    .get(format!("{base}{path}"))
                    .header("X-Request-ID", &rid)
                    .header("Authorization", &auth)
                    .header(DOB.0, DOB.1)
                    .send()
                    .await;
                match res {
                    Ok(res) if res.status() == 200 => {
                        if res.bytes().await.is_ok() {
                            answered.lock().unwrap().push(rid);
                        }
                    }
                    Ok(res) => {
                        let status = res.status();
                        panic!("{path}: {status} {}", res.text().await.unwrap_or_default())
                    }
                    // the kill
                    Err(_) => break,
                }
            }
        }));
    }
    // Kill mid-load, once a good number of answers are out.
    let started = Instant::now();
    while answered.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() > 50, "too little load: {}", answered.len());

    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");
    let recorded: HashSet<String> = audit_records(&audit)
        .iter()
        .filter(|r| r["status"] == 200)
        .filter_map(|r| r["request_id"].as_str().map(str::to_string))
        .collect();
    let missing: Vec<&String> = answered.iter().filter(|r| !recorded.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "{} answered 200 without a record",
        missing.len()
    );

    // Restarted on the same trail, the chain carries on.
    let before = audit_records(&audit).len();
    let (mut child, port) = serve(&cfg);
    let r = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/personal-demographics/FHIR/R4{VERIFY}"
        ))
        .header("X-Request-ID", crate::helpers::request_id())
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");
    assert_eq!(audit_records(&audit).len(), before + 1);
    sim.stop().await;
}
