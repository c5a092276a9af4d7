//! Compare mode and shadow mode (issue 6) against a PDS FHIR stand-in started by each test
//! (`stand_in`), serving the project's own fixtures (`tests/fixtures/pds/`, each deliberate
//! difference listed in its README) with a 429 on some calls, and the simulator-backed bridge.
//! Expected counts are worked out by hand from the fixtures and the simulator's data.

mod stand_in;

use serde_json::{json, Value};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::helpers::sim::spawn_sim;
use crate::helpers::{metric_sample, spawn_app, spawn_app_with, TestApp};
use smsp_bridge::compare::normalise::View;
use smsp_bridge::compare::report::{ClassCounts, Report};
use smsp_bridge::compare::rules::Rules;
use smsp_bridge::compare::{execute, CompareArgs};
use stand_in::{AuthCheck, Knobs, StandIn};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pds/cases.csv");

/// The 429s: the first read of the full record and the first TWINNING search.
fn throttling() -> Knobs {
    Knobs {
        throttle_first: vec!["/Patient/9990001006".into(), "family=TWINNING".into()],
        ..Knobs::default()
    }
}

fn args(pds: &StandIn, side: &[&str], out: &std::path::Path, extra: &[&str]) -> CompareArgs {
    let mut a = vec![
        "--cases",
        CASES,
        "--pds-base-url",
        &pds.base,
        "--out",
        out.to_str().unwrap(),
        "--rate",
        "50",
        "--progress",
        "none",
    ];
    a.extend_from_slice(side);
    a.extend_from_slice(extra);
    CompareArgs::parse_from(a).expect("arguments parse")
}

fn case<'a>(r: &'a Report, id: &str) -> &'a smsp_bridge::compare::report::CaseReport {
    r.cases.iter().find(|c| c.id == id).expect("case in report")
}

fn field<'a>(r: &'a Report, name: &str) -> &'a smsp_bridge::compare::report::FieldStats {
    r.fields
        .iter()
        .find(|f| f.field == name)
        .unwrap_or_else(|| panic!("{name} not in report"))
}

/// What every run over `cases.csv` must report (hand-counted, tests/fixtures/pds/README.md):
/// fields only from the four cases both sides found — full-record (17 equal, 1 different, 2 only
/// SMSP, 1 only PDS, 16 not comparable), deceased (14 equal, 8 n/c), restricted (9 equal, 3 n/c),
/// search-one (15 equal, 1 different, 1 only PDS, 12 n/c).
fn assert_expected_counts(r: &Report) {
    let s = &r.summary;
    assert_eq!(
        (s.cases, s.same_outcome, s.different_outcome, s.errors),
        (9, 6, 2, 1)
    );
    let pairs: Vec<(&str, usize)> = s
        .outcome_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        pairs,
        [
            ("error/not-found", 1),
            ("found/found", 4),
            ("found/not-found", 1),
            ("not-found/found", 1),
            ("not-found/not-found", 1),
            ("too-many/too-many", 1)
        ]
    );
    assert_eq!(
        s.fields,
        ClassCounts {
            equal: 55,
            different: 2,
            only_smsp: 2,
            only_pds: 2,
            not_comparable: 39
        }
    );
    assert_eq!(s.agreement, Some(0.9016), "55 of 61 compared fields");

    let given = field(r, "name[usual].given");
    assert_eq!((given.counts.equal, given.counts.different), (2, 2));
    assert_eq!(given.agreement, Some(0.5));
    assert_eq!(field(r, "name[usual].family").counts.equal, 4);
    assert_eq!(field(r, "address[home].postalCode").counts.equal, 3);
    assert_eq!(field(r, "address[billing].line").counts.only_smsp, 1);
    assert_eq!(field(r, "address[billing].postalCode").agreement, Some(0.0));
    assert_eq!(field(r, "telecom[phone/work].value").counts.only_pds, 2);
    let version = field(r, "meta.versionId");
    assert_eq!(version.counts.not_comparable, 4);
    assert_eq!(version.agreement, None);
    assert!(version
        .reason
        .as_deref()
        .unwrap()
        .contains("serial change number"));
    assert_eq!(
        field(r, "extension[Extension-UKCore-NominatedPharmacy]")
            .counts
            .not_comparable,
        1
    );

    // Each case's outcome pair.
    for (id, pair, outcome) in [
        ("full-record", "found/found", "same"),
        ("deceased", "found/found", "same"),
        ("restricted", "found/found", "same"),
        ("smsp-only", "found/not-found", "different"),
        ("pds-only", "not-found/found", "different"),
        ("neither", "not-found/not-found", "same"),
        ("bridge-fault", "error/not-found", "error"),
        ("search-one", "found/found", "same"),
        ("search-twins", "too-many/too-many", "same"),
    ] {
        let c = case(r, id);
        assert_eq!(
            (c.pair.as_str(), c.outcome.as_str()),
            (pair, outcome),
            "{id}"
        );
    }
    assert_eq!(case(r, "bridge-fault").smsp.status, Some(500));

    // The full record: the equal-after-normalisation fields name their rule.
    let full = case(r, "full-record");
    let f = |name: &str| full.fields.iter().find(|f| f.field == name).unwrap();
    assert_eq!(f("address[home].postalCode").normalised_by, ["postcode"]);
    assert_eq!(f("name[usual].family").normalised_by, ["case"]);
    assert_eq!(
        f("address[home].line").normalised_by,
        ["whitespace", "case"]
    );
    assert_eq!(f("telecom[phone/mobile].value").normalised_by, ["phone"]);
    assert_eq!(f("telecom[email/home].value").normalised_by, ["email"]);
    assert!(
        f("address[temp].line").normalised_by.is_empty(),
        "equal as sent"
    );
    assert_eq!(
        f("name[usual].given").smsp,
        Some(json!(["OLIVER", "JAMES"]))
    );
    assert_eq!(f("name[usual].given").pds, Some(json!(["Oliver", "Jamie"])));
    assert_eq!(
        f("address[home].extension").class.as_str(),
        "not_comparable"
    );
    assert_eq!(f("address[temp].text").class.as_str(), "not_comparable");
    // The patch, A → B: the billing address goes, the given names change, the work phone comes.
    assert_eq!(
        full.patch,
        Some(json!([
            {"op": "remove", "path": "/address/0"},
            {"op": "replace", "path": "/name/0/given", "value": ["Oliver", "Jamie"]},
            {"op": "add", "path": "/telecom/3", "value": {"system": "phone", "use": "work", "value": "01134960999"}}
        ]))
    );
    assert_eq!(
        case(r, "search-one").patch,
        Some(json!([
            {"op": "replace", "path": "/name/0/given", "value": ["Oliver", "Jamie"]},
            {"op": "add", "path": "/telecom/3", "value": {"system": "phone", "use": "work", "value": "01134960999"}}
        ]))
    );
    assert_eq!(case(r, "deceased").patch, Some(json!([])));
    assert_eq!(case(r, "pds-only").patch, None);
}

#[tokio::test]
async fn compare_classifies_every_field_and_outcome_masks_numbers_and_survives_429s() {
    let app = spawn_app().await;
    let pds = stand_in::spawn(throttling()).await;
    let out = tempfile::tempdir().unwrap();
    let a = args(&pds, &["--bridge-url", &app.base], out.path(), &[]);
    let run = execute(&a).await.expect("compare runs");
    assert_eq!(run.exit, ExitCode::SUCCESS);
    assert!(!run.below_threshold);
    let r = &run.report;
    assert_expected_counts(r);

    // 429 with Retry-After: 1 on two calls, each retried once with the same X-Request-ID.
    assert_eq!(
        pds.state
            .throttled
            .load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    assert_eq!((r.summary.pds.throttled, r.summary.pds.retries), (2, 2));
    assert_eq!(r.summary.pds.requests, 11, "9 cases + 2 retries");
    let ids = pds.state.request_ids.lock().unwrap().clone();
    let repeated = ids
        .iter()
        .filter(|id| ids.iter().filter(|x| x == id).count() == 2)
        .count();
    assert_eq!(repeated, 4, "two request ids each sent twice");

    // NHS numbers masked everywhere by default.
    assert!(r.identifiers_masked);
    let json_text = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    for text in [&json_text, &html] {
        for n in ["9990001006", "9990001014", "9990009007", "9990000158"] {
            assert!(!text.contains(n), "{n} unmasked");
        }
        assert!(text.contains("999***1006"));
    }
    assert_eq!(
        case(r, "full-record").request,
        "GET /Patient/999***1006 (birth date 1980-01-15)"
    );
    assert_eq!(r.smsp_source, format!("bridge at {}", app.base));
    // report.json is the same report.
    let back: Report = serde_json::from_str(&json_text).unwrap();
    assert_expected_counts(&back);
    // report.html: self-contained, with the chart and a drill-down per case.
    assert!(html.contains("<svg") && html.matches("<details>").count() == 9);
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"));

    // docs/compare-report.png is a screenshot of this report: set the variable to keep a copy.
    if let Ok(dir) = std::env::var("SMSP_BRIDGE_COMPARE_REPORT_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["report.json", "report.html"] {
            std::fs::copy(out.path().join(f), std::path::Path::new(&dir).join(f)).unwrap();
        }
    }

    // The patch turns the bridge's comparable view into PDS's, up to the named normalisations.
    let rules = Rules::embedded().unwrap();
    let bridge = app
        .get(
            "/Patient/9990001006",
            &[("X-SMSP-Birth-Date", "1980-01-15")],
        )
        .await;
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pds/patient-9990001006.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let (va, vb) = (View::of(&bridge.json, &rules), View::of(&fixture, &rules));
    let patch: json_patch::Patch =
        serde_json::from_value(case(r, "full-record").patch.clone().unwrap()).unwrap();
    let mut doc = va.raw.clone();
    json_patch::patch(&mut doc, &patch).expect("the patch applies");
    assert_eq!(View::of(&doc, &rules).normalised, vb.normalised);

    pds.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn in_process_compare_gives_the_same_answers_as_the_running_bridge() {
    let pds = stand_in::spawn(Knobs::default()).await;
    let out = tempfile::tempdir().unwrap();
    let run = execute(&args(&pds, &["--smsp-sim"], out.path(), &[]))
        .await
        .expect("compare runs");
    assert_eq!(
        run.report.smsp_source,
        "in-process, built-in SMSP simulator data"
    );
    assert_expected_counts(&run.report);
    assert_eq!(run.report.summary.pds.throttled, 0);
    pds.stop().await;
}

/// Runs the real binary (blocking, off the runtime that serves the bridge and the stand-in).
async fn binary(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_smsp-bridge"))
            .arg("compare")
            .args(args)
            .output()
            .expect("binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_binary_exits_3_under_fail_under_and_shows_identifiers_on_request() {
    let app = spawn_app().await;
    let pds = stand_in::spawn(throttling()).await;
    let out = tempfile::tempdir().unwrap();
    let common = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--cases",
            CASES,
            "--pds-base-url",
            &pds.base,
            "--bridge-url",
            &app.base,
            "--out",
            out.path().to_str().unwrap(),
            "--rate",
            "50",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };

    // 90.2% agreement is under 95%: exit status 3, the reason on stderr.
    let o = binary(common(&["--fail-under", "95%", "--progress", "none"])).await;
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("compare: 9 cases: 6 same outcome, 2 different outcome, 1 error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fields: 55 equal, 2 different, 2 only SMSP, 2 only PDS, 39 not comparable; agreement 90.2%"),
        "{stdout}"
    );
    assert!(
        stderr.contains("agreement 90.2% is below --fail-under 95.0%"),
        "{stderr}"
    );
    let masked = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    assert!(!masked.contains("9990001006") && masked.contains("999***1006"));

    // Over 90%, identifiers shown, plain progress lines (stderr is not a terminal).
    let o = binary(common(&[
        "--fail-under",
        "0.9",
        "--show-identifiers",
        "--progress",
        "auto",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("compare: 9/9 cases (100%)"), "{stderr}");
    let shown: Report =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap())
            .unwrap();
    assert!(!shown.identifiers_masked);
    assert_eq!(
        case(&shown, "full-record").request,
        "GET /Patient/9990001006 (birth date 1980-01-15)"
    );
    assert_expected_counts(&shown);

    // A usage error is not mistaken for a threshold failure.
    let o = binary(vec!["--cases".into(), CASES.into()]).await;
    assert_eq!(o.status.code(), Some(2));
    pds.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn application_restricted_auth_signs_rs512_with_kid_and_reuses_the_token() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA512).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("pds-private.pem");
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let pds = stand_in::spawn(Knobs {
        auth: Some(AuthCheck {
            public_key_pem: key.public_key_pem(),
            api_key: "compare-test-app".into(),
            kid: "compare-test-1".into(),
        }),
        ..Knobs::default()
    })
    .await;
    let auth = |kid: &str| -> Vec<String> {
        [
            "--api-key",
            "compare-test-app",
            "--private-key",
            key_file.to_str().unwrap(),
            "--kid",
            kid,
            "--token-url",
            &pds.token_url,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let out = tempfile::tempdir().unwrap();
    let extra = auth("compare-test-1");
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let run = execute(&args(&pds, &["--smsp-sim"], out.path(), &extra))
        .await
        .expect("compare runs");
    assert_eq!(
        pds.state.assertion_failures.lock().unwrap().clone(),
        Vec::<String>::new()
    );
    assert_expected_counts(&run.report);
    // One token for all nine PDS requests: cached until shortly before it expires.
    assert_eq!(run.report.summary.pds.token_requests, 1);
    assert_eq!(
        pds.state
            .tokens_issued
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    // A kid the endpoint does not know: no token, so every PDS side is an error, with why.
    let extra = auth("unknown-kid");
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let run = execute(&args(&pds, &["--smsp-sim"], out.path(), &extra))
        .await
        .expect("compare runs");
    assert_eq!(run.report.summary.errors, 9);
    let detail = case(&run.report, "deceased").pds.detail.clone().unwrap();
    assert!(detail.contains("token endpoint answered 400"), "{detail}");
    assert!(pds
        .state
        .assertion_failures
        .lock()
        .unwrap()
        .iter()
        .all(|f| f.contains("kid")));
    pds.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Shadow mode.

/// The sample's value; 0 before the series first appears.
fn sample(text: &str, series: &str) -> f64 {
    metric_sample(text, series).unwrap_or(0.0)
}

async fn shadowed_app(pds: &StandIn, capacity: usize, file: Option<std::path::PathBuf>) -> TestApp {
    let base = pds.base.clone();
    spawn_app_with(spawn_sim().await, move |s| {
        s.compare.shadow.sample_rate = 1.0;
        s.compare.shadow.queue_capacity = capacity;
        s.compare.shadow.differences_file = file;
        s.compare.pds.base_url = Some(base);
        s.compare.pds.timeout_ms = 5_000;
    })
    .await
}

const READ: (&str, [(&str, &str); 1]) =
    ("/Patient/9990001006", [("X-SMSP-Birth-Date", "1980-01-15")]);

async fn poll(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn shadow_mode_changes_nothing_for_the_caller_when_pds_is_slow_and_drops_when_full() {
    let pds = stand_in::spawn(Knobs {
        delay: Duration::from_secs(2),
        ..Knobs::default()
    })
    .await;
    let plain = spawn_app().await;
    let shadowed = shadowed_app(&pds, 1, None).await;
    let reference = plain.get(READ.0, &READ.1).await;
    let before = sample(
        &shadowed.metrics().await,
        r#"smsp_bridge_shadow_samples_total{result="dropped"}"#,
    );
    // One sample in the worker (PDS takes 2 s), one in the queue, the rest dropped.
    for _ in 0..6 {
        let started = Instant::now();
        let r = shadowed.get(READ.0, &READ.1).await;
        let took = started.elapsed();
        assert_eq!(r.status, reference.status);
        assert_eq!(r.json, reference.json, "same body as without shadow mode");
        assert!(took < Duration::from_millis(1000), "caller waited {took:?}");
    }
    let after = sample(
        &shadowed.metrics().await,
        r#"smsp_bridge_shadow_samples_total{result="dropped"}"#,
    );
    assert!(after - before >= 3.0, "dropped {before} → {after}");
    assert!(
        poll(|| pds.state.requests.load(std::sync::atomic::Ordering::SeqCst) >= 1).await,
        "the worker asked PDS"
    );
    shadowed.stop().await;
    plain.stop().await;
    pds.stop().await;
}

#[tokio::test]
async fn shadow_mode_changes_nothing_for_the_caller_when_pds_fails() {
    let pds = stand_in::spawn(Knobs {
        fail_with: Some(500),
        ..Knobs::default()
    })
    .await;
    let plain = spawn_app().await;
    let shadowed = shadowed_app(&pds, 8, None).await;
    let reference = plain.get(READ.0, &READ.1).await;
    let search = "/Patient?family=FAIRWEATHER&gender=male&birthdate=1980-01-15";
    let reference_search = plain.get(search, &[]).await;
    for _ in 0..3 {
        let r = shadowed.get(READ.0, &READ.1).await;
        assert_eq!((r.status, &r.json), (reference.status, &reference.json));
        let s = shadowed.get(search, &[]).await;
        assert_eq!(s.status, reference_search.status);
        assert_eq!(s.json["entry"], reference_search.json["entry"]);
    }
    // Every read and every search is sampled (sample_rate 1), each one PDS request.
    assert!(
        poll(|| pds.state.requests.load(std::sync::atomic::Ordering::SeqCst) >= 6).await,
        "the samples reached PDS: {} requests",
        pds.state.requests.load(std::sync::atomic::Ordering::SeqCst)
    );
    let mut failures = 0.0;
    for _ in 0..50 {
        let text = shadowed.metrics().await;
        failures = sample(
            &text,
            r#"smsp_bridge_shadow_pds_failures_total{status="5xx"}"#,
        );
        if failures >= 6.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failures >= 6.0, "PDS failures counted: {failures}");
    // Still answering.
    let r = shadowed.get(READ.0, &READ.1).await;
    assert_eq!(r.status, 200);
    shadowed.stop().await;
    plain.stop().await;
    pds.stop().await;
}

#[tokio::test]
async fn shadow_mode_counts_fields_and_writes_masked_differences() {
    let pds = stand_in::spawn(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shadow-differences.jsonl");
    let shadowed = shadowed_app(&pds, 8, Some(file.clone())).await;
    let r = shadowed.get(READ.0, &READ.1).await;
    assert_eq!(r.status, 200);
    assert!(
        poll(|| std::fs::read_to_string(&file).is_ok_and(|t| t.ends_with('\n'))).await,
        "a difference line is written"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("9990001006"), "NHS number masked: {text}");
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(line["nhs_number"], "999***1006");
    assert_eq!(line["pair"], "found/found");
    let classes: Vec<(String, String)> = line["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        classes,
        [
            ("address[billing].line".to_string(), "only_smsp".to_string()),
            ("address[billing].postalCode".into(), "only_smsp".into()),
            ("name[usual].given".into(), "different".into()),
            ("telecom[phone/work].value".into(), "only_pds".into()),
        ]
    );
    assert_eq!(line["request"], "read");

    // A search is asked again of PDS as the same search: both sides are the search view (home
    // address only), so the billing address is not a difference there.
    let s = shadowed
        .get(
            "/Patient?family=FAIRWEATHER&gender=male&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!(s.json["total"], 1);
    assert!(
        poll(|| std::fs::read_to_string(&file).is_ok_and(|t| t.lines().count() == 2)).await,
        "a second line for the search"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let line: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(line["request"], "search");
    assert_eq!(line["nhs_number"], "999***1006");
    let fields: Vec<&str> = line["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name[usual].given", "telecom[phone/work].value"]);
    assert!(pds.state.request_ids.lock().unwrap().len() == 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the service account reads it");
    }
    let m = shadowed.metrics().await;
    assert!(
        m.lines()
            .any(|l| l.starts_with("smsp_bridge_shadow_fields_total")
                && l.contains(r#"field="name[usual].given""#)
                && l.contains(r#"outcome="different""#)),
        "{m}"
    );
    assert!(m.contains(r#"smsp_bridge_shadow_cases_total{outcome="same",pds="found"}"#));
    shadowed.stop().await;
    pds.stop().await;
}
