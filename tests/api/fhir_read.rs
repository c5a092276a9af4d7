//! `GET /Patient/{id}` over the real stack: bridge → TLS-MA → simulator.
//! Expected values come from PDS FHIR SPEC §3, §4, §6, §7 and the simulator's documented data.

use crate::helpers::{request_id, spawn_app};
use smsp_bridge::smsp::Interaction;

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const SPINE_SYSTEM: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";
const SMSP_CODE_SYSTEM: &str = "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.285";

#[tokio::test]
async fn read_returns_a_patient_shaped_as_pds() {
    let app = spawn_app().await;
    let rid = request_id();
    let r = app
        .get_raw(
            "/Patient/9990001006",
            &[
                ("X-Request-ID", &rid),
                ("X-Correlation-ID", "corr-123"),
                ("X-SMSP-Birth-Date", "1980-01-15"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    assert_eq!(r.header("x-request-id"), Some(rid.as_str()));
    assert_eq!(r.header("x-correlation-id"), Some("corr-123"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let p = &r.json;
    assert_eq!(p["resourceType"], "Patient");
    assert_eq!(p["id"], "9990001006");
    assert_eq!(p["identifier"][0]["system"], NHS_NUMBER_SYSTEM);
    assert_eq!(p["identifier"][0]["value"], "9990001006");
    let status = &p["identifier"][0]["extension"][0];
    assert_eq!(
        status["url"],
        "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
    );
    assert_eq!(status["valueCodeableConcept"]["coding"][0]["code"], "01");
    assert_eq!(p["name"][0]["use"], "usual");
    assert_eq!(p["name"][0]["family"], "FAIRWEATHER");
    assert_eq!(
        p["name"][0]["given"],
        serde_json::json!(["OLIVER", "JAMES"])
    );
    assert_eq!(p["name"][0]["prefix"], serde_json::json!(["MR"]));
    assert_eq!(p["gender"], "male");
    assert_eq!(p["birthDate"], "1980-01-15");
    // H → home, TMP → temp, PST → billing, blank lines removed (PDS SPEC §6).
    let addresses = p["address"].as_array().expect("addresses");
    let by_use = |u: &str| addresses.iter().find(|a| a["use"] == u).cloned();
    let home = by_use("home").expect("home address");
    assert_eq!(
        home["line"],
        serde_json::json!([
            "FLAT 2",
            "10 CANAL WHARF",
            "HOLBECK",
            "LEEDS",
            "WEST YORKSHIRE"
        ])
    );
    assert_eq!(home["postalCode"], "LS11 5PZ");
    let temp = by_use("temp").expect("temporary address");
    assert_eq!(
        temp["line"],
        serde_json::json!(["4 HARBOUR VIEW", "WHITBY", "NORTH YORKSHIRE"])
    );
    let billing = by_use("billing").expect("correspondence address");
    assert_eq!(billing["line"], serde_json::json!(["PO BOX 17", "LEEDS"]));
    let telecom = p["telecom"].as_array().expect("telecoms");
    assert!(telecom
        .iter()
        .any(|t| t["system"] == "phone" && t["use"] == "mobile" && t["value"] == "07700900001"));
    assert!(telecom
        .iter()
        .any(|t| t["system"] == "email" && t["value"] == "oliver.fairweather@example.com"));
    let gp = &p["generalPractitioner"][0];
    assert_eq!(gp["type"], "Organization");
    assert_eq!(
        gp["identifier"]["system"],
        "https://fhir.nhs.uk/Id/ods-organization-code"
    );
    assert_eq!(gp["identifier"]["value"], "Z90001");
    assert_eq!(p["meta"]["security"][0]["code"], "U");
    assert_eq!(
        app.sim
            .state
            .count(Interaction::GetPatientDetailsByNhsNumber),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn superseded_number_returns_the_superseding_record() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient/9990001111",
            &[("X-SMSP-Birth-Date", "1970-04-12")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    // PDS SPEC §4: the superseding record comes back, so id differs from the requested id.
    assert_eq!(r.json["id"], "9990001138");
    assert_eq!(r.json["identifier"][0]["value"], "9990001138");
    app.stop().await;
}

#[tokio::test]
async fn restricted_record_has_no_location_data_and_is_labelled_restricted() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient/9990001103",
            &[("X-SMSP-Birth-Date", "1999-01-01")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    for absent in ["address", "telecom", "generalPractitioner"] {
        assert!(r.json.get(absent).is_none(), "{absent} present");
    }
    assert_eq!(r.json["meta"]["security"][0]["code"], "R");
    assert_eq!(r.json["name"][0]["family"], "FARTHING");
    app.stop().await;
}

#[tokio::test]
async fn deceased_dates_keep_their_precision() {
    let app = spawn_app().await;
    let date_only = app
        .get(
            "/Patient/9990001014",
            &[("X-SMSP-Birth-Date", "1932-07-04")],
        )
        .await;
    assert_eq!(date_only.json["deceasedDateTime"], "2019-03-11");
    let with_time = app
        .get(
            "/Patient/9990001022",
            &[("X-SMSP-Birth-Date", "1945-02-19")],
        )
        .await;
    assert_eq!(
        with_time.json["deceasedDateTime"],
        "2021-01-05T14:30:00+00:00"
    );
    app.stop().await;
}

#[tokio::test]
async fn business_outcomes_map_to_pds_errors_with_the_smsp_code_as_second_coding() {
    let app = spawn_app().await;
    // (magic number, HTTP status, Spine code, severity, SMSP code) — PDS SPEC §7 and §10.3.
    let cases = [
        (
            "9990001146",
            "1965-08-23",
            404,
            "INVALIDATED_RESOURCE",
            "error",
            "DEMOG-0022",
        ),
        (
            "9990000077",
            "1990-01-01",
            404,
            "RESOURCE_NOT_FOUND",
            "information",
            "DEMOG-0001",
        ),
        // the record exists, the date of birth does not match → not found, as PDS would not reveal it
        (
            "9990001006",
            "1980-01-16",
            404,
            "RESOURCE_NOT_FOUND",
            "information",
            "DEMOG-0040",
        ),
        (
            "9990000123",
            "1990-01-01",
            400,
            "INVALID_RESOURCE_ID",
            "error",
            "DEMOG-0042",
        ),
        (
            "9990000034",
            "1990-01-01",
            400,
            "INVALID_VALUE",
            "error",
            "SMSP-0001",
        ),
        (
            "9990000042",
            "1990-01-01",
            500,
            "UNKNOWN_ERROR",
            "error",
            "SMSP-0002",
        ),
        (
            "9990000069",
            "1990-01-01",
            500,
            "UNKNOWN_ERROR",
            "error",
            "SMSP-9999",
        ),
        (
            "9990000131",
            "1990-01-01",
            500,
            "UNKNOWN_ERROR",
            "error",
            "DEMOG-9999",
        ),
    ];
    for (nhs, dob, status, spine, severity, smsp) in cases {
        let r = app
            .get(&format!("/Patient/{nhs}"), &[("X-SMSP-Birth-Date", dob)])
            .await;
        assert_eq!(r.status, status, "{smsp}: {}", r.json);
        assert_eq!(r.json["resourceType"], "OperationOutcome");
        assert_eq!(r.header("content-type"), Some("application/fhir+json"));
        let codings = &r.json["issue"][0]["details"]["coding"];
        assert_eq!(codings[0]["system"], SPINE_SYSTEM);
        assert_eq!(codings[0]["version"], "1");
        assert_eq!(codings[0]["code"], spine, "{smsp}");
        assert_eq!(r.json["issue"][0]["severity"], severity, "{smsp}");
        assert_eq!(codings[1]["system"], SMSP_CODE_SYSTEM, "{smsp}");
        assert_eq!(codings[1]["code"], smsp);
    }
    app.stop().await;
}

#[tokio::test]
async fn smsp_0003_local_store_data_is_still_returned() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient/9990000050",
            &[("X-SMSP-Birth-Date", "1990-01-01")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["resourceType"], "Patient");
    app.stop().await;
}

#[tokio::test]
async fn itk_faults_map_to_5xx_with_the_itk_code() {
    let app = spawn_app().await;
    let cases = [
        ("9990000158", 500, "UNKNOWN_ERROR", "1000", None),
        ("9990000166", 503, "SERVICE_UNAVAILABLE", "2100", Some("5")),
        ("9990000174", 500, "UNKNOWN_ERROR", "2200", None),
        ("9990000182", 500, "UNKNOWN_ERROR", "3000", None),
    ];
    for (nhs, status, spine, itk, retry_after) in cases {
        let r = app
            .get(
                &format!("/Patient/{nhs}"),
                &[("X-SMSP-Birth-Date", "1990-01-01")],
            )
            .await;
        assert_eq!(r.status, status, "ITK {itk}: {}", r.json);
        assert_eq!(r.spine_code(), spine);
        let origin = &r.json["issue"][0]["details"]["coding"][1];
        assert_eq!(
            origin["system"],
            "urn:oid:2.16.840.1.113883.2.1.3.2.4.17.268"
        );
        assert_eq!(origin["code"], itk);
        assert_eq!(r.header("retry-after"), retry_after, "ITK {itk}");
    }
    app.stop().await;
}

#[tokio::test]
async fn read_needs_the_birth_date_header() {
    let app = spawn_app().await;
    let r = app.get("/Patient/9990001006", &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.spine_code(), "MISSING_VALUE");
    assert_eq!(r.json["issue"][0]["code"], "required");
    assert!(
        r.diagnostics().contains("X-SMSP-Birth-Date"),
        "{}",
        r.diagnostics()
    );
    for bad in ["15/01/1980", "1980-02-30", "1980-01", "<script>"] {
        let r = app
            .get("/Patient/9990001006", &[("X-SMSP-Birth-Date", bad)])
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.spine_code(), "INVALID_VALUE", "{bad}");
        assert_eq!(
            r.diagnostics(),
            format!("Invalid value - '{bad}' in header 'X-SMSP-Birth-Date'")
        );
    }
    assert_eq!(
        app.sim.state.snapshot().total,
        0,
        "no SMSP call for a refused request"
    );
    app.stop().await;
}

#[tokio::test]
async fn invalid_nhs_number_is_invalid_resource_id() {
    let app = spawn_app().await;
    for bad in ["9000000000", "123", "99900010066", "ABCDEFGHIJ"] {
        let r = app
            .get(
                &format!("/Patient/{bad}"),
                &[("X-SMSP-Birth-Date", "1980-01-15")],
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.spine_code(), "INVALID_RESOURCE_ID");
        assert_eq!(r.json["issue"][0]["code"], "value");
        assert_eq!(
            r.json["issue"][0]["details"]["coding"][0]["display"],
            "Resource Id is invalid"
        );
        assert!(r.json["issue"][0].get("diagnostics").is_none());
    }
    app.stop().await;
}

#[tokio::test]
async fn x_request_id_is_checked_first_with_nhs_wording() {
    let app = spawn_app().await;
    // Exact bodies from NHS's INT functional tests (missing/invalid/empty X-Request-ID).
    let missing = app
        .get_raw(
            "/Patient/9000000000",
            &[("X-SMSP-Birth-Date", "1980-01-15")],
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.spine_code(), "MISSING_VALUE");
    assert_eq!(missing.json["issue"][0]["code"], "required");
    assert_eq!(
        missing.diagnostics(),
        "Invalid request with error - X-Request-ID header must be supplied to access this resource"
    );
    let invalid = app
        .get_raw("/Patient/9990001006", &[("X-Request-ID", "1234")])
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.spine_code(), "INVALID_VALUE");
    assert_eq!(
        invalid.diagnostics(),
        "Invalid value - '1234' in header 'X-Request-ID'"
    );
    assert_eq!(invalid.header("x-request-id"), Some("1234"));
    let empty = app
        .get_raw("/Patient/9990001006", &[("X-Request-ID", "")])
        .await;
    assert_eq!(
        empty.diagnostics(),
        "Invalid value - '' in header 'X-Request-ID'"
    );
    app.stop().await;
}

#[tokio::test]
async fn xml_is_not_acceptable() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient/9990001006",
            &[
                ("X-SMSP-Birth-Date", "1980-01-15"),
                ("Accept", "application/fhir+xml"),
            ],
        )
        .await;
    assert_eq!(r.status, 406);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let r = app
        .get(
            "/Patient/9990001006?_format=xml",
            &[("X-SMSP-Birth-Date", "1980-01-15")],
        )
        .await;
    assert_eq!(r.status, 406);
    let ok = app
        .get(
            "/Patient/9990001006?_format=json",
            &[
                ("X-SMSP-Birth-Date", "1980-01-15"),
                ("Accept", "application/fhir+json"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn end_user_organisation_and_caller_flow_into_the_itk_audit_identity() {
    // the cache off: every read must reach SMSP for the identity it carries to be seen
    let app = crate::helpers::spawn_app_with(crate::helpers::sim::spawn_sim().await, |s| {
        s.cache.enabled = false
    })
    .await;
    app.get(
        "/Patient/9990001006",
        &[
            ("X-SMSP-Birth-Date", "1980-01-15"),
            ("NHSD-End-User-Organisation-ODS", "Y12345"),
        ],
    )
    .await;
    let id = app
        .sim
        .state
        .last_audit_identity()
        .expect("audit identity sent");
    // SMSP SPEC §2.5: non-smartcard users as urn:nhs-uk:identity:ods:<ODS>:<user>, ITK default type
    assert_eq!(id.type_oid, "2.16.840.1.113883.2.1.3.2.4.18.27");
    assert!(
        id.uri.starts_with("urn:nhs-uk:identity:ods:Y12345:"),
        "{}",
        id.uri
    );
    // without the header, the configured default ODS code is used
    app.get(
        "/Patient/9990001006",
        &[("X-SMSP-Birth-Date", "1980-01-15")],
    )
    .await;
    let id = app.sim.state.last_audit_identity().unwrap();
    assert!(
        id.uri.starts_with("urn:nhs-uk:identity:ods:X99:"),
        "{}",
        id.uri
    );
    app.stop().await;
}
