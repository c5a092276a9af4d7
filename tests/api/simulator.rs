//! The SMSP simulator over real HTTPS with client certificates: magic numbers, ITK faults, the
//! data-set scenarios, TLS-MA refusals, knobs, admin API and counters, and OpenTest loading.

use std::time::{Duration, Instant};

use smsp_bridge::domain::{Gender, LocalIdentifier, NhsNumber, PartialDate, ResponseCode};
use smsp_bridge::pki::PkiSet;
use smsp_bridge::sim::magic::{self, Forced};
use smsp_bridge::sim::{CountersSnapshot, Dataset, FailureMode, InProcessClient, Knobs};
use smsp_bridge::smsp::transport::{LiveClient, TransportConfig};
use smsp_bridge::smsp::{
    build, parse, AuditIdentity, EnvelopeContext, Interaction, Query, QueryName, ResponseBody,
    SmspClient, SmspError, SmspReply, SmspResponse,
};

use crate::helpers::sim::{spawn_sim, spawn_sim_with, TestSim};

// Scenario numbers from src/sim/data/patients.csv (scripts/gen-sim-patients.py keeps them fixed).
const FULL: &str = "9990001006";
const DECEASED_TIME: &str = "9990001022";
const PARTIAL_YEAR: &str = "9990001030";
const NAME_XML: &str = "9990001057";
const SENSITIVE: &str = "9990001103";
const SUPERSEDED_OLD: &str = "9990001111";
const SUPERSEDED_NEW: &str = "9990001138";
const INVALIDATED: &str = "9990001146";
const TWIN_ALICE: &str = "9990001154";
const TWIN_BEATRICE: &str = "9990001162";

fn audit() -> AuditIdentity {
    AuditIdentity::local_user("Z99999", "sim-tests")
}

fn date(s: &str) -> PartialDate {
    PartialDate::parse_hl7(s).unwrap()
}

fn nhs(s: &str) -> NhsNumber {
    NhsNumber::parse(s).unwrap()
}

fn by_number(n: &str, dob: &str) -> Query {
    let mut q = Query::new(date(dob));
    q.nhs_number = Some(nhs(n));
    q
}

fn search(family: &str, dob: &str, gender: Gender) -> Query {
    let mut q = Query::new(date(dob));
    q.gender = Some(gender);
    q.name = Some(QueryName {
        given: None,
        family: Some(family.into()),
    });
    q
}

async fn call(client: &LiveClient, i: Interaction, q: &Query) -> SmspResponse {
    client
        .call(i, q, &audit())
        .await
        .expect("business response")
        .response
}

fn patient(resp: &SmspResponse) -> &smsp_bridge::domain::Patient {
    match &resp.body {
        ResponseBody::PatientDetails(Some(p)) => p,
        _ => panic!("no patient in a {} response", resp.code),
    }
}

fn request_xml(sim: &TestSim, i: Interaction, q: &Query) -> String {
    let ctx = EnvelopeContext::new(&sim.url, "https://bridge.test/", "tests", audit());
    build::request_envelope(i, q, &ctx).unwrap()
}

/// reqwest is built without its `json` feature: decode by hand.
async fn json<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

async fn counters(sim: &TestSim) -> CountersSnapshot {
    json(
        sim.http()
            .get(format!("{}/_admin/counters", sim.base_url))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn with_json(r: reqwest::RequestBuilder, v: serde_json::Value) -> reqwest::RequestBuilder {
    r.header("content-type", "application/json")
        .body(v.to_string())
}

#[tokio::test]
async fn every_magic_response_code_is_answered_whatever_the_dob() {
    let sim = spawn_sim().await;
    let client = sim.live_client();
    for entry in &magic::TABLE {
        let Forced::Code(code) = (entry.forced)() else {
            continue;
        };
        let q = by_number(entry.number().as_str(), "19010101");
        for i in [
            Interaction::GetPatientDetailsByNhsNumber,
            Interaction::VerifyNhsNumber,
        ] {
            let resp = call(&client, i, &q).await;
            assert_eq!(resp.code, code, "{} via {}", entry.label, i.name());
        }
        // Searches reach the same outcome through the family name MAGIC-<code>.
        let q = search(
            &format!("MAGIC-{}", entry.label),
            "19010101",
            Gender::Female,
        );
        let resp = call(&client, Interaction::GetPatientDetailsBySearch, &q).await;
        assert_eq!(resp.code, code, "{} via search", entry.label);
        if code.carries_data() {
            let p = patient(&resp);
            assert_eq!(p.birth_date, Some(date("19010101")), "{}", entry.label);
        } else {
            assert_eq!(
                resp.body,
                ResponseBody::PatientDetails(None),
                "{}",
                entry.label
            );
        }
    }
    // SMSP-0003 is a caching SMSP's answer: data, under the queried number.
    let q = by_number(
        magic::by_label("SMSP-0003").unwrap().number().as_str(),
        "19991231",
    );
    let resp = call(&client, Interaction::GetPatientDetailsByNhsNumber, &q).await;
    assert_eq!(patient(&resp).nhs_number.as_str(), "9990000050");
    // DEMOG-0017 carries the replacement number.
    let q = by_number(
        magic::by_label("DEMOG-0017").unwrap().number().as_str(),
        "19991231",
    );
    let resp = call(
        &client,
        Interaction::GetNhsNumber,
        &search("MAGIC-DEMOG-0017", "19991231", Gender::Male),
    )
    .await;
    assert!(
        matches!(resp.body, ResponseBody::NhsNumber { nhs_number: Some(n), .. } if n.as_str() == "9990000018")
    );
    let resp = call(&client, Interaction::VerifyNhsNumber, &q).await;
    assert_eq!(
        resp.body,
        ResponseBody::Verify {
            valid: Some(true),
            identifier: Some("9990000018".into())
        }
    );
    // VI=false magic.
    let q = by_number("9990000026", "19991231");
    let resp = call(&client, Interaction::VerifyNhsNumber, &q).await;
    assert_eq!(resp.code, ResponseCode::Success);
    assert_eq!(
        resp.body,
        ResponseBody::Verify {
            valid: Some(false),
            identifier: Some("9990000026".into())
        }
    );
    sim.stop().await;
}

#[tokio::test]
async fn every_itk_fault_is_http_500_with_its_code() {
    let sim = spawn_sim().await;
    let client = sim.live_client();
    for (label, code) in [
        ("ITK-1000", "1000"),
        ("ITK-2100", "2100"),
        ("ITK-2200", "2200"),
        ("ITK-3000", "3000"),
    ] {
        let q = by_number(
            magic::by_label(label).unwrap().number().as_str(),
            "20000101",
        );
        let i = Interaction::GetPatientDetailsByNhsNumber;
        let (status, ct, body) = sim
            .post_raw(Some(i.service()), &request_xml(&sim, i, &q))
            .await;
        assert_eq!(status, 500, "{label}");
        assert!(ct.starts_with("text/xml"), "{ct}");
        let Ok(SmspReply::Fault(f)) = parse::reply(body.as_bytes()) else {
            panic!("{label}: {body}")
        };
        assert_eq!(f.error_code, code);
        assert_eq!(f.is_retryable(), code == "2100");
        // the bridge's transport sees the same fault
        match client.call(i, &q, &audit()).await {
            Err(SmspError::Fault(f)) => assert_eq!(f.error_code, code),
            other => panic!("{label}: {other:?}"),
        }
    }
    let snap = counters(&sim).await;
    assert_eq!(snap.faults, 8);
    assert_eq!(snap.by_fault["2100"], 2);
    sim.stop().await;
}

#[tokio::test]
async fn full_record_carries_every_field() {
    let sim = spawn_sim().await;
    let client = sim.live_client();
    let mut q = by_number(FULL, "19800115");
    q.local_identifier = Some(LocalIdentifier {
        root: "2.16.840.1.113883.2.1.3.2.4.18.24".into(),
        extension: "RXX:00001".into(),
    });
    let resp = call(&client, Interaction::GetPatientDetailsByNhsNumber, &q).await;
    assert_eq!(resp.code, ResponseCode::Success);
    let p = patient(&resp);
    assert_eq!(p.nhs_number.as_str(), FULL);
    assert_eq!(p.local_identifier.as_ref().unwrap().extension, "RXX:00001");
    let name = p.name.as_ref().unwrap();
    assert_eq!(name.prefix.as_deref(), Some("MR"));
    assert_eq!(name.given, vec!["OLIVER", "JAMES"]);
    assert_eq!(name.family.as_deref(), Some("FAIRWEATHER"));
    let uses: Vec<_> = p
        .addresses
        .iter()
        .map(|a| a.use_code.clone().unwrap())
        .collect();
    assert_eq!(uses, vec!["H", "TMP", "PST"]);
    assert_eq!(p.addresses[0].lines.len(), 5);
    assert_eq!(p.addresses[0].postal_code.as_deref(), Some("LS11 5PZ"));
    assert_eq!(p.telecoms.len(), 3);
    assert!(p.telecoms.iter().any(|t| t.scheme == "mailto"));
    assert!(p.telecoms.iter().any(|t| t.use_codes == vec!["MC"]));
    assert_eq!(p.gender, Some(Gender::Male));
    assert_eq!(p.birth_date, Some(date("19800115")));
    let gp = p.gp.as_ref().unwrap();
    assert_eq!(gp.ods_code.as_deref(), Some("Z90001"));
    assert_eq!(gp.name.as_deref(), Some("RIVERSIDE MEDICAL PRACTICE"));
    // getNHSNumber echoes the local identifier as the second id.
    let mut q = search("fairweather", "19800115", Gender::Male);
    q.local_identifier = Some(LocalIdentifier {
        root: "2.16.840.1.113883.2.1.3.2.4.18.24".into(),
        extension: "L-1".into(),
    });
    let resp = call(&client, Interaction::GetNhsNumber, &q).await;
    match resp.body {
        ResponseBody::NhsNumber {
            nhs_number: Some(n),
            local_identifier: Some(l),
        } => {
            assert_eq!((n.as_str(), l.extension.as_str()), (FULL, "L-1"));
        }
        other => panic!("{other:?}"),
    }
    sim.stop().await;
}

#[tokio::test]
async fn dataset_scenarios_answer_the_spec_codes() {
    let sim = spawn_sim().await;
    let c = sim.live_client();
    let by_nhs = Interaction::GetPatientDetailsByNhsNumber;

    // restricted: name, DOB, gender and number only
    let resp = call(&c, by_nhs, &by_number(SENSITIVE, "19990101")).await;
    let p = patient(&resp);
    assert!(p.looks_restricted() && p.name.is_some() && p.gender == Some(Gender::NotKnown));

    // superseded: DEMOG-0017 with the new number's record
    let resp = call(&c, by_nhs, &by_number(SUPERSEDED_OLD, "19700412")).await;
    assert_eq!(resp.code, ResponseCode::Superseded);
    assert_eq!(patient(&resp).nhs_number.as_str(), SUPERSEDED_NEW);
    // the new number on its own is an ordinary success, and searches find only it
    let resp = call(&c, by_nhs, &by_number(SUPERSEDED_NEW, "19700412")).await;
    assert_eq!(resp.code, ResponseCode::Success);
    let resp = call(
        &c,
        Interaction::GetPatientDetailsBySearch,
        &search("MERRIWEATHER", "19700412", Gender::Female),
    )
    .await;
    assert_eq!(patient(&resp).nhs_number.as_str(), SUPERSEDED_NEW);

    // invalidated
    for i in [
        by_nhs,
        Interaction::VerifyNhsNumber,
        Interaction::GetPatientDetails,
    ] {
        let resp = call(&c, i, &by_number(INVALIDATED, "19650823")).await;
        assert_eq!(resp.code, ResponseCode::Invalidated, "{}", i.name());
    }

    // multiple match, then disambiguated by given name or postcode
    let twins = search("twinning", "19900505", Gender::Female);
    for i in [
        Interaction::GetNhsNumber,
        Interaction::GetPatientDetailsBySearch,
        Interaction::GetPatientDetails,
    ] {
        let resp = call(&c, i, &twins).await;
        assert_eq!(resp.code, ResponseCode::MultipleMatches, "{}", i.name());
    }
    let mut q = twins.clone();
    q.name.as_mut().unwrap().given = Some("Alice".into());
    assert_eq!(
        patient(&call(&c, Interaction::GetPatientDetailsBySearch, &q).await)
            .nhs_number
            .as_str(),
        TWIN_ALICE
    );
    let mut q = twins.clone();
    q.postcode = Some("s601aa".into());
    assert_eq!(
        patient(&call(&c, Interaction::GetPatientDetailsBySearch, &q).await)
            .nhs_number
            .as_str(),
        TWIN_BEATRICE
    );

    // DOB or name mismatch on a known number
    let resp = call(&c, by_nhs, &by_number(FULL, "19800116")).await;
    assert_eq!(resp.code, ResponseCode::NotVerified);
    assert_eq!(resp.body, ResponseBody::PatientDetails(None));
    let mut q = by_number(FULL, "19800115");
    q.name = Some(QueryName {
        given: None,
        family: Some("FOULWEATHER".into()),
    });
    assert_eq!(
        call(&c, Interaction::VerifyNhsNumber, &q).await.code,
        ResponseCode::NotVerified
    );

    // verify: known → VI true; unknown → SMSP-0000 with VI false (SPEC §5.1)
    let resp = call(
        &c,
        Interaction::VerifyNhsNumber,
        &by_number(FULL, "19800115"),
    )
    .await;
    assert_eq!(
        resp.body,
        ResponseBody::Verify {
            valid: Some(true),
            identifier: Some(FULL.into())
        }
    );
    let unknown = NhsNumber::from_stem(999000900).unwrap().to_string();
    let resp = call(
        &c,
        Interaction::VerifyNhsNumber,
        &by_number(&unknown, "19800115"),
    )
    .await;
    assert_eq!(
        (resp.code.clone(), resp.body),
        (
            ResponseCode::Success,
            ResponseBody::Verify {
                valid: Some(false),
                identifier: Some(unknown.clone())
            }
        )
    );

    // not found
    assert_eq!(
        call(&c, by_nhs, &by_number(&unknown, "19800115"))
            .await
            .code,
        ResponseCode::NoMatch
    );
    assert_eq!(
        call(
            &c,
            Interaction::GetNhsNumber,
            &search("NOBODY", "19800115", Gender::Male)
        )
        .await
        .code,
        ResponseCode::NoMatch
    );

    // partial DOB held, deceased with time, XML-special name round trip
    let p = patient(&call(&c, by_nhs, &by_number(PARTIAL_YEAR, "19480305")).await).clone();
    assert_eq!(p.birth_date.unwrap().to_hl7(), "1948");
    let p = patient(&call(&c, by_nhs, &by_number(DECEASED_TIME, "19450219")).await).clone();
    let (d, t) = p.deceased.unwrap();
    assert_eq!(
        (d.to_hl7(), t.map(|t| t.to_string())),
        ("20210105".into(), Some("14:30:00".into()))
    );
    let resp = call(
        &c,
        Interaction::GetPatientDetailsBySearch,
        &search("o'brien & sons", "19750321", Gender::Male),
    )
    .await;
    let p = patient(&resp);
    assert_eq!(
        (
            p.nhs_number.as_str(),
            p.name.as_ref().unwrap().family.as_deref()
        ),
        (NAME_XML, Some("O'BRIEN & SONS"))
    );
    let resp = call(
        &c,
        Interaction::GetPatientDetailsBySearch,
        &search("ångström", "19910930", Gender::Female),
    )
    .await;
    assert_eq!(patient(&resp).name.as_ref().unwrap().given, vec!["ZOË"]);
    let resp = call(
        &c,
        Interaction::GetPatientDetailsBySearch,
        &search("<ANGLE>", "19820608", Gender::Female),
    )
    .await;
    assert_eq!(
        patient(&resp).name.as_ref().unwrap().given,
        vec!["ANGELA", "\"QUOTED\""]
    );
    sim.stop().await;
}

#[tokio::test]
async fn message_problems_are_faults_and_content_problems_are_payload_codes() {
    let sim = spawn_sim().await;
    let i = Interaction::GetPatientDetailsByNhsNumber;
    let good = request_xml(&sim, i, &by_number(FULL, "19800115"));
    let fault_code = |body: &str| match parse::reply(body.as_bytes()) {
        Ok(SmspReply::Fault(f)) => f.error_code,
        other => panic!("{other:?}"),
    };
    let code = |body: &str| match parse::reply(body.as_bytes()) {
        Ok(SmspReply::Response(r)) => r.code,
        other => panic!("{other:?}"),
    };
    // quoted and unquoted SOAPAction both work
    let (s, ct, body) = sim
        .post_raw(Some(&format!("\"{}\"", i.service())), &good)
        .await;
    assert_eq!(
        (s, ct.as_str(), code(&body)),
        (200, "text/xml", ResponseCode::Success)
    );
    // not XML, not SOAP, wrong or missing SOAPAction → ITK 1000, HTTP 500
    for (action, body) in [
        (Some(i.service()), "this is not xml"),
        (Some(i.service()), "<a xmlns='urn:x'/>"),
        (Some(Interaction::VerifyNhsNumber.service()), good.as_str()),
        (
            Some("urn:nhs-itk:services:201005:unknown-v1-0"),
            good.as_str(),
        ),
        (None, good.as_str()),
    ] {
        let (s, _, body) = sim.post_raw(action, body).await;
        assert_eq!((s, fault_code(&body).as_str()), (500, "1000"), "{action:?}");
    }
    // wsa:Action disagreeing with SOAPAction
    let wrong_action = good.replacen(
        &format!("<wsa:Action>{}</wsa:Action>", i.service()),
        &format!(
            "<wsa:Action>{}</wsa:Action>",
            Interaction::GetNhsNumber.service()
        ),
        1,
    );
    assert_ne!(wrong_action, good, "the builder's wsa:Action form changed");
    let (s, _, body) = sim.post_raw(Some(i.service()), &wrong_action).await;
    assert_eq!((s, fault_code(&body).as_str()), (500, "1000"));
    // bad DOB formats (OpenTest labels both SMSP-0001) and an old-style number (DEMOG-0042)
    for bad in ["2014051200", "201405", "1980-01-15"] {
        let body = good.replacen("value=\"19800115\"", &format!("value=\"{bad}\""), 1);
        assert_ne!(body, good);
        let (s, _, reply) = sim.post_raw(Some(i.service()), &body).await;
        assert_eq!(
            (s, code(&reply)),
            (200, ResponseCode::InputValidation),
            "{bad}"
        );
    }
    let body = good.replacen(
        &format!("extension=\"{FULL}\""),
        "extension=\"44444444444\"",
        1,
    );
    assert_ne!(body, good);
    let (s, _, reply) = sim.post_raw(Some(i.service()), &body).await;
    assert_eq!((s, code(&reply)), (200, ResponseCode::NotNewStyle));
    // requests over 1 MiB are refused before parsing
    let huge = format!("{good}<!--{}-->", "x".repeat(1024 * 1024));
    let (s, _, _) = sim.post_raw(Some(i.service()), &huge).await;
    assert_eq!(s, 413);
    sim.stop().await;
}

#[tokio::test]
async fn clients_without_a_certificate_or_trusting_another_ca_are_refused() {
    let sim = spawn_sim().await;
    let body = request_xml(
        &sim,
        Interaction::VerifyNhsNumber,
        &by_number(FULL, "19800115"),
    );
    // no client certificate
    let anonymous = reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([reqwest::Certificate::from_pem(sim.pki.ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let r = anonymous
        .post(&sim.url)
        .header("SOAPAction", Interaction::VerifyNhsNumber.service())
        .body(body.clone())
        .send()
        .await;
    let e = r.expect_err("a client without a certificate got an answer");
    assert!(format!("{e:?}").contains("CertificateRequired"), "{e:?}");

    let other = PkiSet::generate_named("Some Other CA").unwrap();
    // a client certificate from another CA
    let cfg = TransportConfig {
        client_cert_pem: other.client_cert_pem.clone().into_bytes(),
        client_key_pem: other.client_key_pem.clone().into_bytes().into(),
        ..sim.transport_config()
    };
    let err = LiveClient::new(cfg)
        .unwrap()
        .call(
            Interaction::VerifyNhsNumber,
            &by_number(FULL, "19800115"),
            &audit(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SmspError::Tls(_) | SmspError::Io(_) | SmspError::Connect(_)
        ),
        "{err:?}"
    );
    // a client trusting the wrong CA for the server (the handshake fails inside the connector,
    // so the transport may classify it as a connect failure)
    let cfg = TransportConfig {
        ca_pem: other.ca_pem.clone().into_bytes(),
        ..sim.transport_config()
    };
    let err = LiveClient::new(cfg)
        .unwrap()
        .call(
            Interaction::VerifyNhsNumber,
            &by_number(FULL, "19800115"),
            &audit(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, SmspError::Tls(_) | SmspError::Connect(_)),
        "{err:?}"
    );
    // a raw rustls client shows the cause: the server's certificate is not trusted
    let raw = reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([reqwest::Certificate::from_pem(other.ca_pem.as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(&sim.identity_pem()).unwrap())
        .build()
        .unwrap();
    let e = raw
        .post(&sim.url)
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("UnknownIssuer"), "{e:?}");
    // and the right client still works
    assert_eq!(
        call(
            &sim.live_client(),
            Interaction::VerifyNhsNumber,
            &by_number(FULL, "19800115")
        )
        .await
        .code,
        ResponseCode::Success
    );
    sim.stop().await;
}

#[tokio::test]
async fn knobs_change_behaviour_observably() {
    let sim = spawn_sim().await;
    let c = sim.live_client();
    let q = by_number(FULL, "19800115");
    let i = Interaction::GetPatientDetailsByNhsNumber;
    let set = |f: fn(&mut Knobs)| {
        let mut k = Knobs::default();
        f(&mut k);
        sim.state.set_knobs(k).unwrap();
    };

    set(|k| k.latency_ms = 300);
    let t = Instant::now();
    call(&c, i, &q).await;
    assert!(t.elapsed() >= Duration::from_millis(300));

    set(|k| k.malformed_xml = true);
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::Malformed(_))
    ));
    set(|k| k.truncated_xml = true);
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::Malformed(_))
    ));
    set(|k| k.oversize_bytes = 1024 * 1024);
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::Oversize { .. })
    ));
    set(|k| k.drop_connection = true);
    let err = c.call(i, &q, &audit()).await.unwrap_err();
    assert!(matches!(err, SmspError::Io(_)), "{err:?}");
    set(|k| k.http_503 = true);
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::HttpStatus(503))
    ));
    set(|k| k.wrong_content_type = true);
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::Malformed(_))
    ));
    set(|k| k.failure_rate = 1.0);
    match c.call(i, &q, &audit()).await {
        Err(SmspError::Fault(f)) => assert_eq!(f.error_code, "2200"),
        other => panic!("{other:?}"),
    }
    set(|k| {
        k.failure_rate = 1.0;
        k.failure_mode = FailureMode::Http500;
    });
    assert!(matches!(
        c.call(i, &q, &audit()).await,
        Err(SmspError::HttpStatus(500))
    ));

    // the oversize body really is that big, and well-formed apart from its size
    set(|k| k.oversize_bytes = 300_000);
    let (s, _, body) = sim
        .post_raw(Some(i.service()), &request_xml(&sim, i, &q))
        .await;
    assert_eq!(s, 200);
    assert!(body.len() >= 300_000);
    assert!(matches!(
        parse::reply(body.as_bytes()),
        Ok(SmspReply::Response(_))
    ));

    sim.state.reset();
    assert_eq!(call(&c, i, &q).await.code, ResponseCode::Success);
    let snap = sim.state.snapshot();
    assert_eq!(snap.total, 1, "reset zeroes counters");
    sim.stop().await;
}

#[tokio::test]
async fn start_up_knobs_apply_from_the_first_request() {
    let knobs = Knobs {
        http_503: true,
        ..Knobs::default()
    };
    let sim = spawn_sim_with(knobs, None).await;
    let err = sim
        .live_client()
        .call(
            Interaction::VerifyNhsNumber,
            &by_number(FULL, "19800115"),
            &audit(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SmspError::HttpStatus(503)));
    assert_eq!(sim.state.snapshot().injected, 1);
    sim.stop().await;
}

#[tokio::test]
async fn admin_api_reads_and_sets_knobs_and_counters() {
    let sim = spawn_sim().await;
    let http = sim.http();
    let knobs_url = format!("{}/_admin/knobs", sim.base_url);
    let k: Knobs = json(http.get(&knobs_url).send().await.unwrap()).await;
    assert_eq!(k, Knobs::default());
    let r = with_json(
        http.put(&knobs_url),
        serde_json::json!({"latency_ms": 5, "truncated_xml": true}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = with_json(
        http.patch(&knobs_url),
        serde_json::json!({"latency_jitter_ms": 7}),
    )
    .send()
    .await
    .unwrap();
    let k: Knobs = json(r).await;
    assert_eq!(
        (k.latency_ms, k.latency_jitter_ms, k.truncated_xml),
        (5, 7, true)
    );
    assert_eq!(sim.state.knobs(), k, "admin and in-process views agree");
    for bad in [r#"{"failure_rate": 2}"#, r#"{"no_such_knob": 1}"#, "nope"] {
        let r = http
            .put(&knobs_url)
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
    let r = http
        .post(format!("{}/_admin/reset", sim.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(sim.state.knobs(), Knobs::default());
    sim.stop().await;
}

#[tokio::test]
async fn counters_count_each_interaction() {
    let sim = spawn_sim().await;
    let c = sim.live_client();
    let mut q = by_number(FULL, "19800115");
    call(&c, Interaction::VerifyNhsNumber, &q).await;
    call(&c, Interaction::GetPatientDetailsByNhsNumber, &q).await;
    call(&c, Interaction::GetPatientDetailsByNhsNumber, &q).await;
    q.gender = Some(Gender::Male);
    call(&c, Interaction::GetPatientDetails, &q).await;
    let s = search("FAIRWEATHER", "19800115", Gender::Male);
    for _ in 0..3 {
        call(&c, Interaction::GetNhsNumber, &s).await;
    }
    call(&c, Interaction::GetPatientDetailsBySearch, &s).await;
    let snap = counters(&sim).await;
    let expect = [
        (Interaction::VerifyNhsNumber, 1),
        (Interaction::GetPatientDetailsByNhsNumber, 2),
        (Interaction::GetPatientDetails, 1),
        (Interaction::GetNhsNumber, 3),
        (Interaction::GetPatientDetailsBySearch, 1),
    ];
    for (i, n) in expect {
        assert_eq!(snap.interaction(i), n, "{}", i.name());
        assert_eq!(sim.state.count(i), n);
    }
    assert_eq!(
        (snap.total, snap.by_code["SMSP-0000"], snap.faults),
        (8, 8, 0)
    );
    sim.stop().await;
}

#[tokio::test]
async fn in_process_client_answers_like_the_server_and_shares_counters() {
    let sim = spawn_sim().await;
    let client = InProcessClient::new(sim.state.clone());
    let call = client
        .call(
            Interaction::GetPatientDetailsByNhsNumber,
            &by_number(SUPERSEDED_OLD, "19700412"),
            &audit(),
        )
        .await
        .unwrap();
    assert_eq!(call.response.code, ResponseCode::Superseded);
    assert_eq!(call.message_id.len(), 36);
    let err = client
        .call(
            Interaction::VerifyNhsNumber,
            &by_number("9990000166", "19700412"),
            &audit(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SmspError::Fault(f) if f.error_code == "2100"));
    assert_eq!(
        sim.state.count(Interaction::GetPatientDetailsByNhsNumber),
        1
    );
    sim.stop().await;
}

/// The real OpenTest file, when the shared reference folder is beside the repository.
#[tokio::test]
async fn opentest_csv_loads_and_answers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/smsp/opentest/open_test_data.csv");
    if !path.exists() {
        eprintln!("skipped: {} not present", path.display());
        return;
    }
    let (set, report) = Dataset::from_file(&path).unwrap();
    assert_eq!((report.rows, report.loaded), (689, 689), "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    // the spreadsheet-mangled date of death (`2.01206E+11`) is dropped, not the patient
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert_eq!(set.len(), report.loaded);

    let sim = spawn_sim_with(Knobs::default(), Some(path)).await;
    let c = sim.live_client();
    let by_nhs = Interaction::GetPatientDetailsByNhsNumber;
    // the official example patient (SPEC examples: 9449310580, 19960530)
    assert_eq!(
        call(&c, by_nhs, &by_number("9449310580", "19960530"))
            .await
            .code,
        ResponseCode::Success
    );
    // S flag: location withheld; I flag: DEMOG-0022
    assert!(
        patient(&call(&c, by_nhs, &by_number("9449310610", "20010310")).await).looks_restricted()
    );
    assert_eq!(
        call(&c, by_nhs, &by_number("9449310378", "19820525"))
            .await
            .code,
        ResponseCode::Invalidated
    );
    // the "Used for multiple matches" pair
    assert_eq!(
        call(
            &c,
            Interaction::GetNhsNumber,
            &search("DOUBLE", "19330910", Gender::Male)
        )
        .await
        .code,
        ResponseCode::MultipleMatches
    );
    // DOB held as 2014051200 is the date 2014-05-12; the 10-digit form in a request is SMSP-0001
    assert_eq!(
        call(&c, by_nhs, &by_number("9462658145", "20140512"))
            .await
            .code,
        ResponseCode::Success
    );
    let xml = request_xml(&sim, by_nhs, &by_number("9462658145", "20140512")).replacen(
        "value=\"20140512\"",
        "value=\"2014051200\"",
        1,
    );
    let (_, _, body) = sim.post_raw(Some(by_nhs.service()), &xml).await;
    assert!(
        matches!(parse::reply(body.as_bytes()), Ok(SmspReply::Response(r)) if r.code == ResponseCode::InputValidation)
    );
    // DOB held as 201405 (partial) matches any day in May 2014
    assert_eq!(
        call(&c, by_nhs, &by_number("9462658110", "20140520"))
            .await
            .code,
        ResponseCode::Success
    );
    sim.stop().await;
}
