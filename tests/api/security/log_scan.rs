//! Application logs carry no patient data (issue 5): traffic of every kind — reads, searches,
//! verifies, errors, refusals — then every NHS number, name, date of birth and postcode it
//! used is looked for in everything the bridge logged. The audit trail, by contrast, must hold
//! them (it is the one place patient data is recorded).
//!
//! One subscriber per process: a capturing one is installed globally, once, for this test
//! binary, so it also sees what every other test running alongside makes the bridge log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use super::support::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber once: the bridge at debug (stricter than the production
/// default of info), other crates at info; the simulator, which stands in for NHS's service and
/// is not part of the bridge, is left out.
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,smsp_bridge=debug,smsp_bridge::sim=off",
            ))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("the log-scan test installs the only global subscriber in this binary");
        capture
    })
}

/// Every patient-identifying value the traffic below uses (`src/sim/data/patients.csv`).
const PATIENT_DATA: &[&str] = &[
    // SIM-FULL
    "9990001006",
    "FAIRWEATHER",
    "OLIVER",
    "1980-01-15",
    "19800115",
    "LS11 5PZ",
    "LS115PZ",
    "YO21 3PU",
    "LS1 9ZZ",
    // DECEASED
    "9990001014",
    "ASHWORTH",
    "EDITH",
    "1932-07-04",
    "19320704",
    "BD5 0AB",
    // DEMOG-0007 twins
    "9990001154",
    "9990001162",
    "TWINNING",
    "1990-05-05",
    "19900505",
    "DN1 1AA",
    "S60 1AA",
    // a bad check digit, an unknown number, a bad date
    "9990001007",
    "9990009999",
    "1980-13-45",
];

/// (path, Authorization, extra headers, expected status)
type Traffic<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, &'a str)>, u16);

#[tokio::test]
async fn application_logs_hold_no_patient_data() {
    let capture = capture();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let app = spawn_basic(
        dir.path(),
        &[
            ("alice", "alice-password", &["read", "search", "verify"]),
            ("vera", "vera-password", &["verify"]),
        ],
        Some(&audit),
        |_| {},
    )
    .await;
    let alice = basic("alice", "alice-password");
    let vera = basic("vera", "vera-password");
    let a = Some(alice.as_str());
    let ods = ("NHSD-End-User-Organisation-ODS", "Y12345");
    let traffic: &[Traffic] = &[
        (READ, a, vec![DOB, ods], 200),
        ("/Patient/9990001014", a, vec![("X-SMSP-Birth-Date", "1932-07-04")], 200),
        ("/Patient/9990001006", a, vec![("X-SMSP-Birth-Date", "1980-13-45")], 400),
        ("/Patient/9990001007", a, vec![DOB], 400),
        ("/Patient/9990009999", a, vec![DOB], 404),
        (SEARCH, a, vec![], 200),
        ("/Patient?family=fairweather&given=OLIVER&gender=male&birthdate=1980-01-15&address-postalcode=LS11%205PZ", a, vec![], 200),
        ("/Patient?family=TWINNING&gender=female&birthdate=1990-05-05", a, vec![], 200),
        ("/Patient?family=ASHWORTH&gender=female&birthdate=1932-07-04", a, vec![], 200),
        (VERIFY, a, vec![], 200),
        ("/Patient/$verify-nhs-number?nhs-number=9990001014&birthdate=1932-07-04", a, vec![], 200),
        ("/Patient/$verify-nhs-number?nhs-number=9990001007&birthdate=1980-01-15", a, vec![], 400),
        (READ, Some("Basic Zm9vOmJhcg=="), vec![DOB], 401),
        (READ, None, vec![DOB], 401),
        (READ, Some(vera.as_str()), vec![DOB], 403),
    ];
    for (path, auth, extra, expected) in traffic {
        let r = get_as(&app, path, *auth, extra).await;
        // 404 may also come back as another not-found shape; the point is the traffic
        if *expected != 404 {
            assert_eq!(r.status, *expected, "{path}: {}", r.json);
        }
    }
    app.stop().await;

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(
        logs.contains("request completed"),
        "the bridge's logs were not captured"
    );
    let lower = logs.to_lowercase();
    for value in PATIENT_DATA {
        assert!(
            !lower.contains(&value.to_lowercase()),
            "patient data '{value}' found in the application log:\n{}",
            logs.lines()
                .filter(|l| l.to_lowercase().contains(&value.to_lowercase()))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // …while the audit trail has them
    let trail = audit_records(&audit)
        .iter()
        .map(|r| r.to_string())
        .collect::<String>();
    for value in ["9990001006", "9990001014", "FAIRWEATHER", "1980-01-15"] {
        assert!(
            trail.contains(value),
            "{value} missing from the audit trail"
        );
    }
}
