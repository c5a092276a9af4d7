//! TLS material replaced while serving (README, Operations, "Certificates"): the real binary,
//! the real simulator requiring client certificates, and clients that trust one CA only, so
//! each test sees which certificate is presented by whether a handshake succeeds.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use smsp_bridge::pki::{PkiSet, Validity};

use crate::helpers::config_file::{self, toml_path};
use crate::helpers::metric_sample;
use crate::helpers::sim::spawn_sim;
use crate::security::kill9::{serve_logged, serve_logged_line};

const READ: &str = "/personal-demographics/FHIR/R4/Patient/9990001006";

/// `bridge.toml` with `tls_reload_seconds` (a top-level key, so it goes first).
fn with_reload_seconds(config: &Path, seconds: u64) {
    let text = std::fs::read_to_string(config).unwrap();
    std::fs::write(config, format!("tls_reload_seconds = {seconds}\n{text}")).unwrap();
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

async fn metrics(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn reloads(text: &str, material: &str, result: &str) -> f64 {
    let series =
        format!("smsp_bridge_tls_reloads_total{{material=\"{material}\",result=\"{result}\"}}");
    metric_sample(text, &series).unwrap_or(0.0)
}

fn pending(text: &str, material: &str) -> Option<f64> {
    let series = format!("smsp_bridge_tls_reload_pending{{material=\"{material}\"}}");
    metric_sample(text, &series)
}

/// Waits (up to 20 s) until the bridge's metrics satisfy `done`, and returns them.
async fn metrics_until(port: u16, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = metrics(port).await;
        if done(&text) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn read_status(port: u16) -> u16 {
    reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}{READ}"))
        .header("X-Request-ID", crate::helpers::request_id())
        .header("X-SMSP-Birth-Date", "1980-01-15")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn stop(mut child: Child, log: std::thread::JoinHandle<Vec<String>>) -> Vec<serde_json::Value> {
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
    log.join()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_makes_smsp_see_the_new_client_certificate_without_a_restart() {
    let sim = spawn_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let paths = sim.pki.write_to(dir.path()).unwrap();
    // Start with a client certificate from a CA the simulator does not trust.
    let stranger = PkiSet::generate_with("Stranger CA", Validity::default_term()).unwrap();
    std::fs::write(&paths.client_cert, &stranger.client_cert_pem).unwrap();
    std::fs::write(&paths.client_key, &stranger.client_key_pem).unwrap();
    let config = config_file::write(dir.path(), &sim.url, &paths, 1, "");
    with_reload_seconds(&config, 0); // SIGHUP only
    let (child, port, log) = serve_logged(&config);

    assert_ne!(read_status(port).await, 200, "SMSP refuses the stranger");
    assert_eq!(pending(&metrics(port).await, "smsp"), Some(0.0));

    // The renewed pair, as an operator (or a Secret update) would write it, then SIGHUP.
    std::fs::write(&paths.client_cert, &sim.pki.client_cert_pem).unwrap();
    std::fs::write(&paths.client_key, &sim.pki.client_key_pem).unwrap();
    signal(&child, "-HUP");
    let text = metrics_until(port, "the smsp reload", |t| {
        reloads(t, "smsp", "applied") == 1.0
    })
    .await;
    assert_eq!(reloads(&text, "smsp", "refused"), 0.0, "{text}");
    assert_eq!(
        read_status(port).await,
        200,
        "the same process, the new certificate"
    );

    let lines = stop(child, log);
    let reloaded: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "TLS material reloaded")
        .collect();
    assert_eq!(reloaded.len(), 1, "{lines:?}");
    assert_eq!(reloaded[0]["material"], "smsp");
    sim.stop().await;
}

/// Whether a new client that trusts `ca_pem` only completes a handshake with
/// `https://localhost:PORT` and reads `/_ping`. A new client each time: one client would resume
/// its earlier TLS session, which skips the server's certificate.
async fn handshakes(ca_pem: &str, tls_port: u16) -> bool {
    reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
        .get(format!("https://localhost:{tls_port}/_ping"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// A directory laid out as the kubelet writes a mounted Secret: `tls.crt` and `tls.key` are
/// links into `..data`, itself a link to a versioned directory, and an update swaps `..data`
/// with one `rename`, so both files change at once.
struct SecretDir {
    root: std::path::PathBuf,
    version: u32,
}

impl SecretDir {
    fn new(root: &Path, cert: &str, key: &str) -> Self {
        std::fs::create_dir(root).unwrap();
        let mut dir = Self {
            root: root.to_path_buf(),
            version: 0,
        };
        dir.update(cert, key);
        for name in ["tls.crt", "tls.key"] {
            std::os::unix::fs::symlink(format!("..data/{name}"), root.join(name)).unwrap();
        }
        dir
    }

    fn update(&mut self, cert: &str, key: &str) {
        self.version += 1;
        let version = format!("..v{}", self.version);
        let target = self.root.join(&version);
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("tls.crt"), cert).unwrap();
        std::fs::write(target.join("tls.key"), key).unwrap();
        let staged = self.root.join("..data_tmp");
        std::os::unix::fs::symlink(&version, &staged).unwrap();
        std::fs::rename(&staged, self.root.join("..data")).unwrap();
    }

    fn cert(&self) -> std::path::PathBuf {
        self.root.join("tls.crt")
    }

    fn key(&self) -> std::path::PathBuf {
        self.root.join("tls.key")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbound_listener_presents_renewed_files_and_keeps_its_certificate_when_they_are_bad() {
    let dir = tempfile::tempdir().unwrap();
    let first = PkiSet::generate_with("First CA", Validity::default_term()).unwrap();
    let second = PkiSet::generate_with("Second CA", Validity::default_term()).unwrap();
    let paths = first.write_to(dir.path()).unwrap();
    let mut secret = SecretDir::new(
        &dir.path().join("server-tls"),
        &first.server_cert_pem,
        &first.server_key_pem,
    );
    let extra = format!(
        "\n[security.tls]\nlisten = \"127.0.0.1:0\"\ncert = {}\nkey = {}\nclient_ca = {}\n",
        toml_path(&secret.cert()),
        toml_path(&secret.key()),
        toml_path(&paths.ca),
    );
    // SMSP is not called: only `/_ping` is read.
    let config = config_file::write(
        dir.path(),
        "https://127.0.0.1:9/smsp/pds",
        &paths,
        1,
        &extra,
    );
    with_reload_seconds(&config, 1);
    let (child, serving, log) = serve_logged_line(&config);
    let port = serving["port"].as_u64().unwrap() as u16;
    let tls_port = serving["tls_port"].as_u64().expect("tls_port logged") as u16;
    let (old, new) = (first.ca_pem.as_str(), second.ca_pem.as_str());
    assert!(handshakes(old, tls_port).await);
    assert!(!handshakes(new, tls_port).await);

    // Renewed by another CA: picked up by the interval, no signal.
    secret.update(&second.server_cert_pem, &second.server_key_pem);
    metrics_until(port, "the inbound reload", |t| {
        reloads(t, "inbound", "applied") == 1.0
    })
    .await;
    assert!(handshakes(new, tls_port).await);
    assert!(!handshakes(old, tls_port).await);

    // A certificate with another's key: refused, once, and the renewed one stays in use.
    secret.update(&first.server_cert_pem, &second.server_key_pem);
    let text = metrics_until(port, "the refusal", |t| pending(t, "inbound") == Some(1.0)).await;
    assert_eq!(reloads(&text, "inbound", "refused"), 1.0, "{text}");
    assert!(handshakes(new, tls_port).await);
    tokio::time::sleep(Duration::from_millis(2_500)).await; // two more checks
    assert_eq!(reloads(&metrics(port).await, "inbound", "refused"), 1.0);

    // An expired pair is refused too.
    let lapsed = Validity::from_today(-400, -2);
    let expired = PkiSet::generate_with("First CA", lapsed).unwrap();
    secret.update(&expired.server_cert_pem, &expired.server_key_pem);
    metrics_until(port, "the second refusal", |t| {
        reloads(t, "inbound", "refused") == 2.0
    })
    .await;
    assert!(handshakes(new, tls_port).await);

    // The first pair again: loaded, nothing pending.
    secret.update(&first.server_cert_pem, &first.server_key_pem);
    let text = metrics_until(port, "the second reload", |t| {
        reloads(t, "inbound", "applied") == 2.0
    })
    .await;
    assert_eq!(pending(&text, "inbound"), Some(0.0), "{text}");
    assert_eq!(reloads(&text, "inbound", "refused"), 2.0, "{text}");
    assert!(handshakes(old, tls_port).await);

    // The client CA needs a restart, and says so. (The same file is SMSP's CA here: that one is
    // reloaded.)
    std::fs::write(&paths.ca, &second.ca_pem).unwrap();
    metrics_until(port, "the client CA refusal", |t| {
        pending(t, "inbound_client_ca") == Some(1.0)
    })
    .await;

    let lines = stop(child, log);
    let refusals: Vec<&str> = lines
        .iter()
        .filter(|l| l["level"] == "ERROR")
        .map(|l| l["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(refusals.len(), 3, "{lines:?}");
    assert_eq!(
        refusals[0],
        "security.tls.key: the private key does not belong to the certificate"
    );
    let end = format!(
        "security.tls.cert: expired at {}T00:00:00Z",
        lapsed.not_after
    );
    assert!(refusals[1].starts_with(&end), "{refusals:?}");
    assert!(refusals[2].starts_with("security.tls.client_ca: the inbound listener keeps"));
    // Paths stay out of the log.
    let dir_text = dir.path().display().to_string();
    assert!(
        lines.iter().all(|l| !l.to_string().contains(&dir_text)),
        "{lines:?}"
    );
}
