//! `smsp-bridge audit search` (the real binary) over a trail the real bridge wrote: who saw a
//! patient's record, refusals included; one user's records; CSV a spreadsheet cannot run; and
//! a tampered trail still searched but reported broken.

use super::support::*;

/// A second patient (DECEASED in `src/sim/data/patients.csv`).
const OTHER: &str = "/Patient/9990001014";
const OTHER_DOB: (&str, &str) = ("X-SMSP-Birth-Date", "1932-07-04");

/// `smsp-bridge audit search <args>`: (exit code, stdout, stderr).
fn audit_search(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["audit", "search"];
    argv.extend_from_slice(args);
    let out = run_bin(&argv, "");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn request_ids(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is a record");
            v["request_id"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test]
async fn finds_who_saw_a_patient_from_the_trail_the_bridge_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let app = spawn_basic(dir.path(), &[ALICE, VERA], Some(&audit), |_| {}).await;
    let alice = basic("alice", "alice-password");
    let rid = |r: &crate::helpers::Reply| r.header("x-request-id").unwrap().to_string();

    // About patient 9990001006: a read, a search that disclosed it, a verify, a failed login
    // and a refusal (vera may only verify). About another patient: one read.
    let read = get_as(&app, READ, Some(&alice), &[DOB]).await;
    let search = get_as(&app, SEARCH, Some(&alice), &[]).await;
    let verify = get_as(&app, VERIFY, Some(&alice), &[]).await;
    let denied = get_as(&app, READ, Some(&basic("alice", "nope")), &[DOB]).await;
    let forbidden = get_as(&app, READ, Some(&basic("vera", "vera-password")), &[DOB]).await;
    let other = get_as(&app, OTHER, Some(&alice), &[OTHER_DOB]).await;
    let statuses = [&read, &search, &verify, &denied, &forbidden, &other].map(|r| r.status);
    assert_eq!(statuses, [200, 200, 200, 401, 403, 200]);
    // A caller-chosen correlation id shaped as a spreadsheet formula.
    let formula = "=HYPERLINK(\"http://x\")";
    let hostile = get_as(
        &app,
        OTHER,
        Some(&alice),
        &[OTHER_DOB, ("X-Correlation-ID", formula)],
    )
    .await;
    assert_eq!(hostile.status, 200);
    let audit_dir = audit.to_str().unwrap();

    // Everything about 9990001006, in chain order, and nothing else.
    let (code, out, err) = audit_search(&[audit_dir, "--nhs-number", "999 000 1006"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        request_ids(&out),
        [&read, &search, &verify, &denied, &forbidden].map(rid),
        "{out}"
    );
    assert!(err.contains("5 of 7 records matched"), "{err}");
    assert!(err.contains("chain intact"), "{err}");
    // The lines are the stored records, byte for byte.
    let stored = std::fs::read_to_string(
        smsp_bridge::security::audit::chain::list_files(&audit).unwrap()[0].clone(),
    )
    .unwrap();
    for line in out.lines() {
        assert!(stored.lines().any(|l| l == line), "{line}");
    }

    // One user's refused attempts; a time window that ends before the trail began.
    let (code, out, _) = audit_search(&[audit_dir, "--user", "vera"]);
    assert_eq!((code, request_ids(&out)), (0, vec![rid(&forbidden)]));
    let (_, out, _) = audit_search(&[
        audit_dir,
        "--user",
        "alice",
        "--decision",
        "unauthenticated",
    ]);
    assert_eq!(request_ids(&out), [rid(&denied)]);
    let (code, out, err) = audit_search(&[audit_dir, "--to", "2000-01-01"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("0 of 7 records matched"), "{err}");

    // A mistyped number is refused, not answered with nothing.
    let (code, out, err) = audit_search(&[audit_dir, "--nhs-number", "9990001007"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("check digit"), "{err}");

    // CSV: a header, one row per record, and no cell a spreadsheet would run.
    let (code, out, _) =
        audit_search(&[audit_dir, "--nhs-number", "9990001014", "--format", "csv"]);
    assert_eq!(code, 0);
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][col("request_id")], rid(&other));
    assert_eq!(&rows[0][col("user")], "alice");
    assert_eq!(&rows[0][col("nhs_numbers")], "9990001014");
    assert_eq!(&rows[0][col("status")], "200");
    assert_eq!(
        &rows[0][col("smsp_interaction")],
        "getPatientDetailsByNHSNumber"
    );
    assert_eq!(
        &rows[0][col("parameters")],
        "id=9990001014; X-SMSP-Birth-Date=1932-07-04"
    );
    assert_eq!(&rows[1][col("correlation_id")], format!("'{formula}"));

    // A tampered trail is still searched, and the answer says it cannot be trusted.
    let files = smsp_bridge::security::audit::chain::list_files(&audit).unwrap();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(
        &files[0],
        text.replacen("\"user\":\"vera\"", "\"user\":\"mallory\"", 1),
    )
    .unwrap();
    let (code, out, err) = audit_search(&[audit_dir, "--nhs-number", "9990001006"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(request_ids(&out).len(), 5);
    assert!(err.contains("chain BROKEN"), "{err}");
    assert!(
        err.contains("record 5"),
        "the altered record is named: {err}"
    );

    // The Helm chart's shared claim: a directory per pod, each its own chain. The same trail
    // twice, one copy tampered: both searched, each line naming its pod, only one broken.
    let claim = dir.path().join("claim");
    for pod in ["bridge-7d9f-a", "bridge-7d9f-b"] {
        std::fs::create_dir_all(claim.join(pod)).unwrap();
        for f in smsp_bridge::security::audit::chain::list_files(&audit).unwrap() {
            std::fs::copy(&f, claim.join(pod).join(f.file_name().unwrap())).unwrap();
        }
    }
    // (the tampered copy in `audit` went to both; put the original text back in pod a)
    let pod_a = claim
        .join("bridge-7d9f-a")
        .join(files[0].file_name().unwrap());
    std::fs::write(&pod_a, &text).unwrap();
    let (code, out, err) = audit_search(&[
        claim.to_str().unwrap(),
        "--user",
        "alice",
        "--request-id",
        &rid(&read),
    ]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["trail"], "bridge-7d9f-a");
    assert_eq!(lines[1]["trail"], "bridge-7d9f-b");
    assert_eq!(lines[0]["record"]["request_id"], rid(&read).as_str());
    assert!(
        err.contains("audit search [bridge-7d9f-a]: 1 of 7 records matched")
            && err.contains("audit search [bridge-7d9f-b]: 1 of 7 records matched"),
        "{err}"
    );
    assert_eq!(err.matches("chain intact").count(), 1, "{err}");
    assert_eq!(err.matches("chain BROKEN").count(), 1, "{err}");
    // audit verify reads the claim the same way, a line per pod.
    let (ok, out) = audit_verify(&[&claim]);
    assert!(!ok);
    assert!(
        out.contains("bridge-7d9f-a: audit chain intact: 7 records"),
        "{out}"
    );
    assert!(
        out.contains("bridge-7d9f-b: audit chain BROKEN at record 5"),
        "{out}"
    );
}
