//! `GET /Patient?…` over the real stack. Expected shapes: PDS FHIR SPEC §5 (searchset Bundle,
//! zero matches without `entry`, TOO_MANY_MATCHES as 200) and §7 (validation wording, order).

use crate::helpers::sim::spawn_sim;
use crate::helpers::{spawn_app, spawn_app_with};
use smsp_bridge::smsp::Interaction;

#[tokio::test]
async fn single_match_with_gender_uses_get_patient_details_by_search() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient?family=FAIRWEATHER&gender=male&birthdate=eq1980-01-15",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("content-type"), Some("application/fhir+json"));
    let b = &r.json;
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "searchset");
    assert_eq!(b["total"], 1);
    assert!(b["timestamp"].as_str().is_some());
    let entry = &b["entry"][0];
    assert_eq!(
        entry["fullUrl"],
        format!("{}/Patient/9990001006", app.public_base_url)
    );
    assert_eq!(entry["search"]["score"], 1.0);
    assert_eq!(entry["resource"]["id"], "9990001006");
    // a search result carries the home address only (PDS SPEC §5.2)
    let addresses = entry["resource"]["address"].as_array().expect("address");
    assert_eq!(addresses.len(), 1);
    assert_eq!(addresses[0]["use"], "home");
    assert!(b.get("link").is_none() && b.get("id").is_none());
    assert_eq!(
        app.sim.state.count(Interaction::GetPatientDetailsBySearch),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn search_without_gender_uses_get_patient_details() {
    let app = spawn_app().await;
    let r = app
        .get("/Patient?family=fairweather&given=Oliver&birthdate=1980-01-15&address-postalcode=ls115pz", &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["total"], 1);
    assert_eq!(app.sim.state.count(Interaction::GetPatientDetails), 1);
    assert_eq!(
        app.sim.state.count(Interaction::GetPatientDetailsBySearch),
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn zero_matches_is_a_bundle_without_entry() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient?family=NOBODY&gender=female&birthdate=2001-01-01",
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["resourceType"], "Bundle");
    assert_eq!(r.json["type"], "searchset");
    assert_eq!(r.json["total"], 0);
    assert!(r.json.get("entry").is_none(), "{}", r.json);
    app.stop().await;
}

#[tokio::test]
async fn several_matches_is_200_too_many_matches_exactly_as_pds() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient?family=TWINNING&gender=female&birthdate=1990-05-05",
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    // NHS's too_many_matches.json: information / multiple-matches / no diagnostics.
    let issue = &r.json["issue"][0];
    assert_eq!(r.json["resourceType"], "OperationOutcome");
    assert_eq!(issue["severity"], "information");
    assert_eq!(issue["code"], "multiple-matches");
    assert_eq!(issue["details"]["coding"][0]["code"], "TOO_MANY_MATCHES");
    assert_eq!(issue["details"]["coding"][0]["display"], "Too Many Matches");
    assert!(issue.get("diagnostics").is_none());
    assert_eq!(issue["details"]["coding"][1]["code"], "DEMOG-0007");
    app.stop().await;
}

#[tokio::test]
async fn identifiers_only_uses_get_nhs_number() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient?family=FAIRWEATHER&gender=male&birthdate=1980-01-15&_elements=identifier",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let resource = &r.json["entry"][0]["resource"];
    assert_eq!(resource["id"], "9990001006");
    assert_eq!(resource["identifier"][0]["value"], "9990001006");
    assert!(resource.get("name").is_none() && resource.get("address").is_none());
    assert_eq!(app.sim.state.count(Interaction::GetNhsNumber), 1);
    app.stop().await;
}

#[tokio::test]
async fn identifier_search_reads_by_nhs_number_and_summary_count_verifies() {
    let app = spawn_app().await;
    let id = "identifier=https://fhir.nhs.uk/Id/nhs-number%7C9990001006";
    let r = app
        .get(&format!("/Patient?{id}&birthdate=1980-01-15"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["entry"][0]["resource"]["id"], "9990001006");
    assert_eq!(
        app.sim
            .state
            .count(Interaction::GetPatientDetailsByNhsNumber),
        1
    );

    let with_name = app
        .get(
            &format!("/Patient?{id}&birthdate=1980-01-15&family=FAIRWEATHER"),
            &[],
        )
        .await;
    assert_eq!(with_name.json["total"], 1, "{}", with_name.json);
    assert_eq!(app.sim.state.count(Interaction::GetPatientDetails), 1);

    let count = app
        .get(
            &format!("/Patient?{id}&birthdate=1980-01-15&_summary=count"),
            &[],
        )
        .await;
    assert_eq!(count.status, 200);
    assert_eq!(count.json["total"], 1, "{}", count.json);
    assert!(count.json.get("entry").is_none());
    let wrong_dob = app
        .get(
            &format!("/Patient?{id}&birthdate=1980-01-16&_summary=count"),
            &[],
        )
        .await;
    assert_eq!(wrong_dob.json["total"], 0, "{}", wrong_dob.json);
    assert_eq!(app.sim.state.count(Interaction::VerifyNhsNumber), 2);
    app.stop().await;
}

#[tokio::test]
async fn xml_special_and_non_ascii_names_round_trip_through_smsp() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/Patient?family=O%27BRIEN%20%26%20SONS&gender=male&birthdate=1975-03-21",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["entry"][0]["resource"]["name"][0]["family"],
        "O'BRIEN & SONS"
    );
    let r = app
        .get(
            "/Patient?family=%C3%85NGSTR%C3%96M&gender=female&birthdate=1991-09-30",
            &[],
        )
        .await;
    assert_eq!(
        r.json["entry"][0]["resource"]["name"][0]["family"],
        "ÅNGSTRÖM"
    );
    assert_eq!(r.json["entry"][0]["resource"]["name"][0]["given"][0], "ZOË");
    app.stop().await;
}

#[tokio::test]
async fn restricted_patients_never_match_a_postcode_search() {
    let app = spawn_app().await;
    let plain = app
        .get("/Patient?family=FARTHING&birthdate=1999-01-01", &[])
        .await;
    assert_eq!(plain.json["total"], 1, "{}", plain.json);
    let with_postcode = app
        .get(
            "/Patient?family=FARTHING&birthdate=1999-01-01&address-postalcode=S1%202AA",
            &[],
        )
        .await;
    assert_eq!(with_postcode.json["total"], 0, "{}", with_postcode.json);
    assert!(with_postcode.json.get("entry").is_none());
    app.stop().await;
}

#[tokio::test]
async fn validation_follows_pds_order_and_wording() {
    let app = spawn_app().await;
    // (query, status, Spine code, exact diagnostics or None) — PDS SPEC §5.1, §7.
    let cases: &[(&str, u16, &str, Option<&str>)] = &[
        ("", 400, "UNSUPPORTED_SERVICE", None),
        (
            "gender=female",
            400,
            "MISSING_VALUE",
            Some("Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'"),
        ),
        (
            "birthdate=2010-10-22",
            400,
            "INVALID_SEARCH_DATA",
            Some("Invalid search data provided - 'No searches were performed as the search criteria did not meet the minimum requirements'"),
        ),
        (
            "family=Smith&birthdate=2010-10-22&year=2010",
            400,
            "ADDITIONAL_PROPERTIES",
            Some("Invalid request with error - Additional properties are not allowed ('year' was unexpected)"),
        ),
        (
            "family=Smith&gender=mal&birthdate=2010-10-22",
            400,
            "INVALID_VALUE",
            Some("Invalid value - 'mal' in field 'gender'"),
        ),
        (
            "family=Smith&birthdate=20101022",
            400,
            "INVALID_VALUE",
            Some("Invalid value - '20101022' in field 'birthdate'"),
        ),
        (
            "family=Smith&birthdate=2010-10-22&address-postalcode=LS1&address-postcode=LS1",
            400,
            "INVALID_SEARCH_DATA",
            None,
        ),
    ];
    for (query, status, code, diagnostics) in cases {
        let r = app.get(&format!("/Patient?{query}"), &[]).await;
        assert_eq!(r.status, *status, "{query}: {}", r.json);
        assert_eq!(r.spine_code(), *code, "{query}");
        if let Some(d) = diagnostics {
            assert_eq!(r.diagnostics(), *d, "{query}");
        }
    }
    // app-restricted PDS: _max-results other than 1 is 403 INVALID_VALUE (issue code `token`)
    let r = app
        .get(
            "/Patient?family=Smith&birthdate=2010-10-22&_max-results=2",
            &[],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.spine_code(), "INVALID_VALUE");
    assert_eq!(r.json["issue"][0]["code"], "token");
    let ok = app
        .get(
            "/Patient?family=NOBODY&gender=male&birthdate=2010-10-22&_max-results=1",
            &[],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        app.sim.state.snapshot().total,
        1,
        "only the valid search reached SMSP"
    );
    app.stop().await;
}

#[tokio::test]
async fn what_smsp_cannot_serve_is_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let base = "family=Smith&birthdate=2010-10-22";
    for (extra, param) in [
        ("_fuzzy-match=true", "_fuzzy-match"),
        ("_history=true", "_history"),
        ("email=a@b.com", "email"),
        ("phone=0123", "phone"),
        ("death-date=2020-01-01", "death-date"),
        ("general-practitioner=Y12345", "general-practitioner"),
        ("birthdate=le2011-01-01", "birthdate"),
        ("given=Jane&given=Anne", "given"),
    ] {
        let r = app.get(&format!("/Patient?{base}&{extra}"), &[]).await;
        assert_eq!(r.status, 400, "{extra}: {}", r.json);
        assert!(
            r.diagnostics().contains(param),
            "{extra}: {}",
            r.diagnostics()
        );
        assert!(
            r.diagnostics().contains("SMSP"),
            "{extra}: {}",
            r.diagnostics()
        );
    }
    assert_eq!(app.sim.state.snapshot().total, 0);
    app.stop().await;
}

/// An overriding `mappings_dir/vocabulary.toml` governs how a search's `gender` is read as well
/// as how the answer's is written: here a site table swaps the two codes that are neither male
/// nor female (SMSP "Sex" 0 Not known, 9 Not specified: SMSP SPEC §0.3). KEMPTON is held with
/// code 0, so under the override `gender=other` must reach SMSP as 0 and match, and the answer
/// must say `other` again; read with the embedded table it would be sent as 9 and match nothing.
#[tokio::test]
async fn an_overriding_vocabulary_reads_the_search_gender_too() {
    use smsp_bridge::mapping::vocabulary::EMBEDDED_VOCABULARY;
    let dir = tempfile::tempdir().unwrap();
    let swapped = EMBEDDED_VOCABULARY
        .replace(
            "other = \"9\"\nunknown = \"0\"",
            "other = \"0\"\nunknown = \"9\"",
        )
        .replace("\"0\" = \"unknown\"", "\"0\" = \"other\"")
        .replace("\"9\" = \"other\"", "\"9\" = \"unknown\"");
    assert_ne!(
        swapped, EMBEDDED_VOCABULARY,
        "the override changes the table"
    );
    std::fs::write(dir.path().join("vocabulary.toml"), swapped).unwrap();
    let mappings = dir.path().to_path_buf();
    let app = spawn_app_with(spawn_sim().await, move |s| {
        s.mappings_dir = Some(mappings);
    })
    .await;

    let r = app
        .get(
            "/Patient?family=KEMPTON&gender=other&birthdate=2001-09-19",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["total"], 1, "{}", r.json);
    let patient = &r.json["entry"][0]["resource"];
    assert_eq!(patient["id"], "9990001189");
    assert_eq!(patient["gender"], "other");
    // `unknown` now means code 9, which KEMPTON is not.
    let r = app
        .get(
            "/Patient?family=KEMPTON&gender=unknown&birthdate=2001-09-19",
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["total"], 0, "{}", r.json);
    assert_eq!(
        app.sim.state.count(Interaction::GetPatientDetailsBySearch),
        2
    );
    app.stop().await;
}
