//! `$verify-nhs-number` → verifyNHSNumber (SMSP SPEC §4.1, §5.1), answered as `Parameters`.

use crate::helpers::{request_id, spawn_app};

fn param<'a>(p: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    p["parameter"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

#[tokio::test]
async fn verify_by_get_and_post() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["resourceType"], "Parameters");
    assert_eq!(param(&r.json, "valid")["valueBoolean"], true);
    assert_eq!(
        param(&r.json, "nhsNumber")["valueIdentifier"]["value"],
        "9990001006"
    );
    assert_eq!(
        param(&r.json, "smspResponseCode")["valueCoding"]["code"],
        "SMSP-0000"
    );

    let body = serde_json::json!({
        "resourceType": "Parameters",
        "parameter": [
            {"name": "nhs-number", "valueString": "9990001006"},
            {"name": "birthdate", "valueDate": "1980-01-15"},
            {"name": "family", "valueString": "FAIRWEATHER"}
        ]
    });
    let r = app
        .send(
            app.http
                .post(format!("{}/Patient/$verify-nhs-number", app.base))
                .header("X-Request-ID", request_id())
                .header("Content-Type", "application/fhir+json")
                .json(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(param(&r.json, "valid")["valueBoolean"], true);
    app.stop().await;
}

#[tokio::test]
async fn verify_outcomes() {
    let app = spawn_app().await;
    // superseded: SMSP returns the superseding number (SMSP SPEC §7 DEMOG-0017)
    let r = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9990001111&birthdate=1970-04-12",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        param(&r.json, "nhsNumber")["valueIdentifier"]["value"],
        "9990001138"
    );
    assert_eq!(
        param(&r.json, "smspResponseCode")["valueCoding"]["code"],
        "DEMOG-0017"
    );
    // VI=false (SMSP SPEC §5.1: a "no" is a successful response)
    let r = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9990000026&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!(param(&r.json, "valid")["valueBoolean"], false, "{}", r.json);
    // a date of birth that does not match
    let r = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9990001006&birthdate=1980-01-16",
            &[],
        )
        .await;
    assert_eq!(param(&r.json, "valid")["valueBoolean"], false, "{}", r.json);
    assert_eq!(
        param(&r.json, "smspResponseCode")["valueCoding"]["code"],
        "DEMOG-0040"
    );
    app.stop().await;
}

#[tokio::test]
async fn verify_validates_its_parameters() {
    let app = spawn_app().await;
    let r = app
        .get("/Patient/$verify-nhs-number?nhs-number=9990001006", &[])
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.spine_code(), "MISSING_VALUE");
    let r = app
        .get(
            "/Patient/$verify-nhs-number?nhs-number=9000000000&birthdate=1980-01-15",
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.spine_code(), "INVALID_VALUE");
    let r = app
        .send(
            app.http
                .post(format!("{}/Patient/$verify-nhs-number", app.base))
                .header("X-Request-ID", request_id())
                .body("{not json"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["resourceType"], "OperationOutcome");
    assert_eq!(app.sim.state.snapshot().total, 0);
    app.stop().await;
}
