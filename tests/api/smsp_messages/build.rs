//! Builders: request envelopes (bridge side), response and fault envelopes (simulator side),
//! each checked by parsing back.

use super::support::*;
use smsp_bridge::domain::{
    Gender, GpPractice, LocalIdentifier, Patient, PersonName, ResponseCode, TelecomSystem,
    UseablePeriod,
};
use smsp_bridge::smsp::build::{fault_envelope, request_envelope, response_envelope, ResponseIds};
use smsp_bridge::smsp::parse;
use smsp_bridge::smsp::{
    AuditIdentity, EnvelopeContext, Interaction, Query, QueryError, QueryName, ResponseBody,
    SmspReply, SmspResponse, ToolkitFault,
};

fn context() -> EnvelopeContext {
    let mut ctx = EnvelopeContext::new(
        "https://smsp.example.invalid/smsp/pds?a=1&b=2",
        "https://bridge.example.invalid",
        "bridge <user>",
        AuditIdentity::local_user("ZZ1", "clinician&co"),
    );
    ctx.message_id = uuid::Uuid::parse_str("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d").unwrap();
    ctx.tracking_id = uuid::Uuid::parse_str("1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e").unwrap();
    ctx.payload_id = uuid::Uuid::parse_str("2c3d4e5f-6a7b-4c8d-ae9f-1a2b3c4d5e6f").unwrap();
    ctx.act_id = uuid::Uuid::parse_str("3d4e5f6a-7b8c-4d9e-bfa0-2b3c4d5e6f70").unwrap();
    ctx.created = chrono::DateTime::parse_from_rfc3339("2025-03-04T09:15:00.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    ctx.ttl_seconds = 600;
    ctx.sender_address = Some("urn:nhs-uk:addressing:ods:ZZ1:bridge".into());
    ctx
}

/// The fullest query each interaction allows (§4.1–4.5).
fn maximal_query(i: Interaction) -> Query {
    let mut q = Query::new(date("1987-02-15"));
    let name = QueryName {
        given: Some("Zoë Ångström".into()),
        family: Some(r#"O'Brien & <Sons> "Ltd""#.into()),
    };
    let local = LocalIdentifier {
        root: LOCAL_ROOT.into(),
        extension: "ZZQ:<69>&".into(),
    };
    match i {
        Interaction::VerifyNhsNumber => {
            q.nhs_number = Some(nhs("9990000069"));
            q.name = Some(name);
        }
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch => {
            q.gender = Some(Gender::Female);
            q.local_identifier = Some(local);
            q.name = Some(name);
            q.postcode = Some("ZZ9 1AA".into());
        }
        Interaction::GetPatientDetailsByNhsNumber => {
            q.local_identifier = Some(local);
            q.nhs_number = Some(nhs("9990000069"));
            q.name = Some(name);
        }
        Interaction::GetPatientDetails => {
            q.gender = Some(Gender::NotKnown);
            q.local_identifier = Some(local);
            q.nhs_number = Some(nhs("9990000069"));
            q.name = Some(name);
            q.postcode = Some("ZZ9 1AA".into());
        }
    }
    q
}

fn minimal_query(i: Interaction) -> Query {
    let mut q = Query::new(date("1974-08-23"));
    match i {
        Interaction::VerifyNhsNumber | Interaction::GetPatientDetailsByNhsNumber => {
            q.nhs_number = Some(nhs("9990000018"));
        }
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch => {
            q.gender = Some(Gender::Male);
            q.name = Some(QueryName {
                given: None,
                family: Some("Quillfeather".into()),
            });
        }
        Interaction::GetPatientDetails => {}
    }
    q
}

#[test]
fn request_round_trips_for_every_interaction() {
    let ctx = context();
    for i in Interaction::ALL {
        for q in [minimal_query(i), maximal_query(i)] {
            let xml = request_envelope(i, &q, &ctx).unwrap();
            let parsed = parse::request(xml.as_bytes())
                .unwrap_or_else(|e| panic!("{}: {e}\n{xml}", i.name()));
            assert_eq!(parsed.interaction, i);
            assert_eq!(parsed.query, q, "{}", i.name());
            assert_eq!(parsed.action.as_deref(), Some(i.service()));
            assert_eq!(parsed.service.as_deref(), Some(i.service()));
            assert_eq!(
                parsed.message_id.as_deref(),
                Some("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D")
            );
            assert_eq!(
                parsed.tracking_id.as_deref(),
                Some("1B2C3D4E-5F6A-4B7C-9D8E-0F1A2B3C4D5E")
            );
            assert_eq!(parsed.audit_identity.as_ref(), Some(&ctx.audit_identity));
        }
    }
}

#[test]
fn request_envelope_shape() {
    let ctx = context();
    let xml = request_envelope(
        Interaction::GetPatientDetails,
        &maximal_query(Interaction::GetPatientDetails),
        &ctx,
    )
    .unwrap();
    for expected in [
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "<wsa:MessageID>0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D</wsa:MessageID>",
        "<wsa:Action>urn:nhs-itk:services:201005:getPatientDetails-v1-0</wsa:Action>",
        "<wsa:To>https://smsp.example.invalid/smsp/pds?a=1&amp;b=2</wsa:To>",
        "<wsa:From><wsa:Address>https://bridge.example.invalid</wsa:Address></wsa:From>",
        "<wsu:Created>2025-03-04T09:15:00Z</wsu:Created>",
        "<wsu:Expires>2025-03-04T09:25:00Z</wsu:Expires>",
        "<wsse:UsernameToken><wsse:Username>bridge &lt;user&gt;</wsse:Username></wsse:UsernameToken>",
        r#"<itk:header service="urn:nhs-itk:services:201005:getPatientDetails-v1-0" trackingid="1B2C3D4E-5F6A-4B7C-9D8E-0F1A2B3C4D5E">"#,
        r#"<itk:id type="2.16.840.1.113883.2.1.3.2.4.18.27" uri="urn:nhs-uk:identity:ods:ZZ1:clinician&amp;co"/>"#,
        r#"<itk:manifest count="1"><itk:manifestitem id="uuid_2C3D4E5F-6A7B-4C8D-AE9F-1A2B3C4D5E6F" mimetype="text/xml" profileid="urn:nhs-en:profile:getPatientDetailsRequest-v1-0""#,
        r#"<itk:senderAddress uri="urn:nhs-uk:addressing:ods:ZZ1:bridge"/>"#,
        r#"<itk:payloads count="1"><itk:payload id="uuid_2C3D4E5F-6A7B-4C8D-AE9F-1A2B3C4D5E6F">"#,
        r#"<getPatientDetails-v1-0 xmlns="urn:hl7-org:v3" classCode="CACT" moodCode="EVN"><id root="3D4E5F6A-7B8C-4D9E-BFA0-2B3C4D5E6F70"/><code code="getPatientDetailsRequest-v1-0" codeSystem="2.16.840.1.113883.2.1.3.2.4.17.284"/>"#,
        r#"<Person.DateOfBirth><value value="19870215"/><semanticsText>Person.DateOfBirth</semanticsText></Person.DateOfBirth>"#,
        r#"<Person.Gender><value code="0" codeSystem="2.16.840.1.113883.2.1.3.2.4.16.25"/><semanticsText>Person.Gender</semanticsText></Person.Gender>"#,
        r#"<value root="2.16.840.1.113883.2.1.3.2.4.18.24" extension="ZZQ:&lt;69&gt;&amp;"/>"#,
        r#"<Person.NHSNumber><value root="2.16.840.1.113883.2.1.4.1" extension="9990000069"/>"#,
        r#"<Person.Name><value><given>Zoë Ångström</given><family>O'Brien &amp; &lt;Sons&gt; "Ltd"</family></value><semanticsText>Person.Name</semanticsText></Person.Name>"#,
        r#"<Person.Postcode><value><postalCode>ZZ9 1AA</postalCode></value><semanticsText>Person.Postcode</semanticsText></Person.Postcode>"#,
    ] {
        assert!(xml.contains(expected), "missing {expected}\n{xml}");
    }
    // UsernameToken carries only the username; names carry no `use`.
    assert!(!xml.contains("Password") && !xml.contains("Nonce"));
    assert!(!xml.contains(" use="));
    // Parameters in schema order.
    let order: Vec<usize> = [
        "<Person.DateOfBirth>",
        "<Person.Gender>",
        "<Person.LocalIdentifier>",
        "<Person.NHSNumber>",
        "<Person.Name>",
        "<Person.Postcode>",
    ]
    .iter()
    .map(|p| xml.find(p).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn request_envelope_refuses_parameter_sets_the_schema_forbids() {
    let ctx = context();
    let q = Query::new(date("1974-08-23"));
    assert_eq!(
        request_envelope(Interaction::VerifyNhsNumber, &q, &ctx),
        Err(QueryError::Missing {
            interaction: "verifyNHSNumber",
            parameter: "Person.NHSNumber"
        })
    );
    let mut q = minimal_query(Interaction::VerifyNhsNumber);
    q.gender = Some(Gender::Male);
    assert!(matches!(
        request_envelope(Interaction::VerifyNhsNumber, &q, &ctx),
        Err(QueryError::NotAllowed { .. })
    ));
}

#[test]
fn escaping_survives_the_round_trip_including_awkward_characters() {
    let ctx = context();
    let mut q = minimal_query(Interaction::GetPatientDetailsBySearch);
    q.name = Some(QueryName {
        given: Some("  Zoë\tÅngström ]]> ".into()),
        family: Some(r#"O'Brien & <Sons> "Ltd" &amp;"#.into()),
    });
    let xml = request_envelope(Interaction::GetPatientDetailsBySearch, &q, &ctx).unwrap();
    assert!(xml.contains("&amp;amp;"));
    let parsed = parse::request(xml.as_bytes()).unwrap();
    let name = parsed.query.name.unwrap();
    // The parser trims assembled values (the bridge never sends padded names).
    assert_eq!(name.given.as_deref(), Some("Zoë\tÅngström ]]>"));
    assert_eq!(
        name.family.as_deref(),
        Some(r#"O'Brien & <Sons> "Ltd" &amp;"#)
    );
}

fn all_fields_patient() -> Patient {
    let mut p = Patient::new(nhs("9990000069"));
    p.local_identifier = Some(LocalIdentifier {
        root: LOCAL_ROOT.into(),
        extension: "ZZQ:000069".into(),
    });
    p.name = Some(PersonName {
        use_code: Some("L".into()),
        prefix: Some("DR".into()),
        given: lines(&["Zoë", "Ångström"]),
        family: Some(r#"O'Brien & <Sons> "Ltd""#.into()),
    });
    p.addresses = vec![
        address(
            Some("H"),
            Some("ZZ9 1AA"),
            &["Flat 3", "11 Quillon Street", "", "Testington", "Westshire"],
        ),
        address(Some("TMP"), Some("ZZ9 2BB"), &["", "4 Harbour View"]),
        address(Some("PST"), None, &["PO Box 77", "", "", "Testington", ""]),
    ];
    let mut work = telecom(TelecomSystem::Phone, "tel", "01632960002", &["WP"]);
    work.periods = vec![UseablePeriod {
        low: Some(date("2015-06-01")),
        high: Some(date("2020-12")),
    }];
    p.telecoms = vec![
        telecom(TelecomSystem::Phone, "tel", "01632960001", &["H", "HP"]),
        work,
        telecom(
            TelecomSystem::Email,
            "mailto",
            "a&b@example.invalid",
            &["H"],
        ),
        telecom(TelecomSystem::Phone, "tel", "", &[]),
    ];
    p.gender = Some(Gender::Female);
    p.birth_date = Some(date("1987-02"));
    p.deceased = Some((
        date("2019-12-25"),
        chrono::NaiveTime::from_hms_opt(14, 30, 0),
    ));
    p.gp = Some(GpPractice {
        ods_code: Some("Z99002".into()),
        ods_root: Some(ODS_ROOT.into()),
        name: Some("Church Walk & Co Surgery".into()),
        address: Some(address(
            None,
            Some("ZZ9 3CC"),
            &[
                "The Surgery",
                "1 Church Walk",
                "",
                "Testington",
                "Westshire",
            ],
        )),
        telecom: Some(telecom(TelecomSystem::Phone, "tel", "01632960999", &[])),
    });
    p
}

fn reparse(i: Interaction, r: &SmspResponse) -> (String, SmspResponse) {
    let ids = ResponseIds::new();
    let xml = response_envelope(i, r, &ids);
    match parse::reply(xml.as_bytes()) {
        Ok(SmspReply::Response(back)) => {
            assert_eq!(
                back.message_id,
                Some(ids.message_id.hyphenated().to_string().to_uppercase())
            );
            (xml, back)
        }
        other => panic!("{}: {other:?}\n{xml}", i.name()),
    }
}

#[test]
fn response_round_trips_for_every_interaction() {
    let verify = SmspResponse {
        message_id: None,
        code: ResponseCode::Success,
        body: ResponseBody::Verify {
            valid: Some(false),
            identifier: Some("555555555555".into()),
        },
    };
    let (xml, back) = reparse(Interaction::VerifyNhsNumber, &verify);
    assert_eq!(back.body, verify.body);
    assert!(xml.contains(
        "<wsa:Action>urn:nhs-itk:services:201005:verifyNHSNumber-v1-0Response</wsa:Action>"
    ));
    assert!(xml.contains(
        r#"<itk:header service="urn:nhs-itk:services:201005:verifyNHSNumber-v1-0Response""#
    ));
    assert!(xml.contains(r#"profileid="urn:nhs-en:profile:verifyNHSNumberResponse-v1-0""#));
    assert!(!xml.contains("wsa:To") && !xml.contains("wsse:"));

    let no_body = SmspResponse {
        message_id: None,
        code: ResponseCode::NoMatch,
        body: ResponseBody::Verify {
            valid: None,
            identifier: None,
        },
    };
    let (xml, back) = reparse(Interaction::VerifyNhsNumber, &no_body);
    assert!(!xml.contains("<component"));
    assert_eq!(back.code, ResponseCode::NoMatch);
    assert_eq!(back.body, no_body.body);

    let traced = SmspResponse {
        message_id: None,
        code: ResponseCode::Success,
        body: ResponseBody::NhsNumber {
            nhs_number: Some(nhs("9990000042")),
            local_identifier: Some(LocalIdentifier {
                root: LOCAL_ROOT.into(),
                extension: "ZZQ:000042".into(),
            }),
        },
    };
    let (_, back) = reparse(Interaction::GetNhsNumber, &traced);
    assert_eq!(back.body, traced.body);

    let patient = all_fields_patient();
    for i in [
        Interaction::GetPatientDetailsByNhsNumber,
        Interaction::GetPatientDetailsBySearch,
        Interaction::GetPatientDetails,
    ] {
        let r = SmspResponse {
            message_id: None,
            code: ResponseCode::Success,
            body: ResponseBody::PatientDetails(Some(Box::new(patient.clone()))),
        };
        let (xml, back) = reparse(i, &r);
        assert!(xml.contains(&format!("<wsa:Action>{}Response</wsa:Action>", i.service())));
        // The short TMP address is padded to five positional lines.
        let mut expected = patient.clone();
        expected.addresses[1].lines = lines(&["", "4 Harbour View", "", "", ""]);
        assert_eq!(patient_view(patient_of(&back)), patient_view(&expected));
        assert_eq!(patient_of(&back), &expected);
    }
}

#[test]
fn failures_carry_no_subject() {
    for code in [
        ResponseCode::NoMatch,
        ResponseCode::MultipleMatches,
        ResponseCode::InputValidation,
    ] {
        let r = SmspResponse {
            message_id: None,
            code: code.clone(),
            body: ResponseBody::PatientDetails(Some(Box::new(all_fields_patient()))),
        };
        let (xml, back) = reparse(Interaction::GetPatientDetails, &r);
        assert!(!xml.contains("<subject"));
        assert_eq!(back.code, code);
        assert_eq!(back.body, ResponseBody::PatientDetails(None));

        let r = SmspResponse {
            message_id: None,
            code: code.clone(),
            body: ResponseBody::NhsNumber {
                nhs_number: Some(nhs("9990000042")),
                local_identifier: None,
            },
        };
        let (xml, _) = reparse(Interaction::GetNhsNumber, &r);
        assert!(!xml.contains("<subject"));
    }
}

#[test]
fn fault_round_trip_and_fault_codes() {
    let message_id = uuid::Uuid::new_v4();
    for (code, client, retryable) in [
        ("1000", true, false),
        ("3000", true, false),
        ("2100", false, true),
        ("2200", false, false),
    ] {
        let fault = ToolkitFault {
            fault_code: String::new(),
            fault_string: String::new(),
            error_id: Some("C19473A5-E296-4388-85F1-384950617283".into()),
            error_code: code.into(),
            error_text: Some("Invalid <Message> & more".into()),
            diagnostic_text: Some("detail".into()),
        };
        let xml = fault_envelope(&fault, &message_id);
        assert!(xml
            .contains("<wsa:Action>http://www.w3.org/2005/08/addressing/soap/fault</wsa:Action>"));
        let Ok(SmspReply::Fault(back)) = parse::reply(xml.as_bytes()) else {
            panic!("{xml}")
        };
        assert_eq!(
            back.fault_code,
            if client { "soap:Client" } else { "soap:Server" }
        );
        assert!(back.fault_string.starts_with(if client {
            "A client related error"
        } else {
            "A server related error"
        }));
        assert_eq!(back.error_code, code);
        assert_eq!(back.error_id, fault.error_id);
        assert_eq!(back.error_text, fault.error_text);
        assert_eq!(back.diagnostic_text, fault.diagnostic_text);
        assert_eq!(back.is_retryable(), retryable);
    }
}
