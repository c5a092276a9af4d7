//! The audit trail: one record per patient-data request (refusals included), every field, the
//! chain checked by the real `audit verify`, tampering caught, rotation, and failing closed.

use super::support::*;

#[tokio::test]
async fn every_patient_data_request_is_recorded_with_its_facts() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let app = spawn_basic(dir.path(), &[ALICE, VERA], Some(&audit), |_| {}).await;
    let alice = basic("alice", "alice-password");
    let ods = ("NHSD-End-User-Organisation-ODS", "Y12345");
    let corr = ("X-Correlation-ID", "corr-1");

    let read = get_as(&app, READ, Some(&alice), &[DOB, ods, corr]).await;
    assert_eq!(read.status, 200);
    let search = get_as(&app, SEARCH, Some(&alice), &[]).await;
    assert_eq!(search.status, 200);
    let verify = get_as(&app, VERIFY, Some(&alice), &[]).await;
    assert_eq!(verify.status, 200);
    let invalid = get_as(&app, "/Patient/9990001007", Some(&alice), &[DOB]).await;
    assert_eq!(invalid.status, 400);
    let denied = get_as(&app, READ, Some(&basic("alice", "nope")), &[DOB]).await;
    assert_eq!(denied.status, 401);
    let forbidden = get_as(&app, READ, Some(&basic("vera", "vera-password")), &[DOB]).await;
    assert_eq!(forbidden.status, 403);
    // not patient data: not audited
    assert_eq!(
        get_as(&app, "/metadata", Some(&alice), &[]).await.status,
        200
    );
    app.http
        .get(format!("{}/_ping", app.root))
        .send()
        .await
        .unwrap();

    let records = audit_records(&audit);
    assert_eq!(records.len(), 6, "{records:#?}");
    let rid = |r: &crate::helpers::Reply| r.header("x-request-id").unwrap().to_string();

    let r = record_for(&records, &rid(&read));
    assert_eq!(r["seq"], 1);
    assert_eq!(r["prev"], "0".repeat(64));
    assert!(r["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r["correlation_id"], "corr-1");
    assert_eq!(r["user"], "alice");
    assert_eq!(r["auth"], "basic");
    assert_eq!(r["roles"], serde_json::json!(["read", "search", "verify"]));
    assert_eq!(r["ods"], "Y12345");
    assert!(r["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(r["method"], "GET");
    assert_eq!(r["route"], "/personal-demographics/FHIR/R4/Patient/{id}");
    assert_eq!(r["interaction"], "read");
    assert_eq!(
        r["parameters"],
        serde_json::json!([["id", "9990001006"], ["X-SMSP-Birth-Date", "1980-01-15"]])
    );
    assert_eq!(r["decision"], "allowed");
    assert_eq!(r["smsp"]["interaction"], "getPatientDetailsByNHSNumber");
    assert_eq!(r["smsp"]["message_id"].as_str().unwrap().len(), 36);
    assert_eq!(r["smsp"]["outcome"], "SMSP-0000");
    assert_eq!(r["nhs_numbers"], serde_json::json!(["9990001006"]));
    assert!(["MISS", "BYPASS"].contains(&r["cache"].as_str().unwrap()));
    assert_eq!(r["status"], 200);
    assert!(r["latency_ms"].as_f64().unwrap() > 0.0);

    let r = record_for(&records, &rid(&search));
    assert_eq!(r["interaction"], "search");
    assert_eq!(r["nhs_numbers"], serde_json::json!(["9990001006"]));
    assert!(r["parameters"].to_string().contains("FAIRWEATHER"));
    let r = record_for(&records, &rid(&verify));
    assert_eq!(r["interaction"], "verify");
    assert_eq!(r["smsp"]["interaction"], "verifyNHSNumber");
    assert_eq!(
        r["parameters"][0],
        serde_json::json!(["nhs-number", "9990001006"])
    );
    let r = record_for(&records, &rid(&invalid));
    assert_eq!(
        (r["status"].as_u64(), r["smsp"].is_null()),
        (Some(400), true)
    );

    let r = record_for(&records, &rid(&denied));
    assert_eq!(r["decision"], "unauthenticated");
    assert_eq!(r["status"], 401);
    assert!(r["user"].is_null());
    assert_eq!(r["claimed_user"], "alice");
    assert_eq!(r["parameters"][0], serde_json::json!(["id", "9990001006"]));
    let r = record_for(&records, &rid(&forbidden));
    assert_eq!(
        (r["decision"].as_str(), r["user"].as_str()),
        (Some("forbidden"), Some("vera"))
    );
    assert_eq!(r["status"], 403);

    // the real binary agrees the chain is whole
    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");
    assert!(out.contains("intact: 6 records"), "{out}");

    // The group commits are measured (the recorder is shared by every test in this process,
    // so the figures are at least this app's).
    let metrics = app.metrics_as(&alice).await;
    assert!(records_total(&metrics, "written") >= 6.0);
    assert!(metric(&metrics, "smsp_bridge_audit_commit_records_sum") >= 6.0);
    assert!(metric(&metrics, "smsp_bridge_audit_commit_records_count") >= 1.0);
    assert!(metric(&metrics, "smsp_bridge_audit_commit_seconds_count") >= 1.0);
    assert!(metrics.contains(r#"smsp_bridge_audit_commit_seconds_bucket{le="0.00005"}"#));
    assert!(metrics.contains(r#"smsp_bridge_audit_commit_records_bucket{le="32"}"#));
    app.stop().await;
}

/// `smsp_bridge_audit_records_total{result=…}`.
fn records_total(text: &str, result: &str) -> f64 {
    metric(
        text,
        &format!(r#"smsp_bridge_audit_records_total{{result="{result}"}}"#),
    )
}

/// The sample's value, which must be there.
fn metric(text: &str, series: &str) -> f64 {
    crate::helpers::metric_sample(text, series)
        .unwrap_or_else(|| panic!("{series} missing from /metrics:\n{text}"))
}

#[tokio::test]
async fn audit_verify_catches_tampering_and_missing_records() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    // small files: the chain runs across several
    let app = spawn_basic(dir.path(), &[ALICE], Some(&audit), |s| {
        s.security.audit.max_file_bytes = 1500;
    })
    .await;
    let alice = basic("alice", "alice-password");
    for _ in 0..6 {
        assert_eq!(get_as(&app, READ, Some(&alice), &[DOB]).await.status, 200);
    }
    app.stop().await;
    let files = smsp_bridge::security::audit::chain::list_files(&audit).unwrap();
    assert!(files.len() >= 3, "rotated into {} files", files.len());
    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");

    // alter record 2 (who asked)
    let tampered = dir.path().join("tampered");
    copy_dir(&audit, &tampered);
    let target = find_line(&tampered, 2);
    let text: String = std::fs::read_to_string(&target)
        .unwrap()
        .lines()
        .map(|l| match l.starts_with("{\"seq\":2,") {
            true => format!(
                "{}\n",
                l.replace("\"user\":\"alice\"", "\"user\":\"mallory\"")
            ),
            false => format!("{l}\n"),
        })
        .collect();
    assert!(text.contains("mallory"));
    std::fs::write(&target, text).unwrap();
    let (ok, out) = audit_verify(&[&tampered]);
    assert!(!ok, "tampering not caught: {out}");
    assert!(out.contains("BROKEN at record 2"), "{out}");

    // remove record 3
    let gapped = dir.path().join("gapped");
    copy_dir(&audit, &gapped);
    let target = find_line(&gapped, 3);
    let text = std::fs::read_to_string(&target).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("{\"seq\":3,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&target, kept).unwrap();
    let (ok, out) = audit_verify(&[&gapped]);
    assert!(!ok);
    assert!(out.contains("record 3 is missing"), "{out}");
}

/// The file holding record `seq`.
fn find_line(dir: &std::path::Path, seq: u64) -> std::path::PathBuf {
    let needle = format!("{{\"seq\":{seq},");
    smsp_bridge::security::audit::chain::list_files(dir)
        .unwrap()
        .into_iter()
        .find(|f| std::fs::read_to_string(f).unwrap().contains(&needle))
        .unwrap()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[tokio::test]
async fn an_unwritable_audit_trail_fails_closed_with_503() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    // every record starts a new file, so each one needs the directory
    let app = spawn_basic(dir.path(), &[ALICE], Some(&audit), |s| {
        s.security.audit.max_file_bytes = 1;
    })
    .await;
    let alice = basic("alice", "alice-password");
    assert_eq!(get_as(&app, READ, Some(&alice), &[DOB]).await.status, 200);

    let away = dir.path().join("away");
    std::fs::rename(&audit, &away).unwrap();
    for (path, extra) in [(READ, vec![DOB]), (SEARCH, vec![])] {
        let r = get_as(&app, path, Some(&alice), &extra).await;
        assert_eq!(r.status, 503, "{}", r.json);
        assert_eq!(r.spine_code(), "SERVICE_UNAVAILABLE");
        assert_eq!(r.header("retry-after"), Some("5"));
        // the withheld answer is nowhere in the response
        assert!(!r.json.to_string().contains("FAIRWEATHER"));
    }
    // refusals fail closed too
    let r = get_as(&app, READ, Some(&basic("alice", "nope")), &[DOB]).await;
    assert_eq!(r.status, 503);

    std::fs::rename(&away, &audit).unwrap();
    assert_eq!(get_as(&app, READ, Some(&alice), &[DOB]).await.status, 200);
    let metrics = app.metrics_as(&alice).await;
    assert!(records_total(&metrics, "refused") >= 3.0);
    app.stop().await;
    let (ok, out) = audit_verify(&[&audit]);
    assert!(ok, "{out}");
    assert!(out.contains("intact: 2 records"), "{out}");
}
