//! `parse::reply` on the project's fixtures, field by field, and what it must refuse.

use super::support::*;
use smsp_bridge::domain::{Gender, ResponseCode, TelecomSystem, UseablePeriod};
use smsp_bridge::smsp::parse::{self, ParseError};
use smsp_bridge::smsp::{ResponseBody, SmspReply};

#[test]
fn verify_valid_full_header() {
    let r = response("verify-response-valid.xml");
    assert_eq!(
        r.message_id.as_deref(),
        Some("5A1D0C3E-7B2F-4C11-9E6A-0B1C2D3E4F50")
    );
    assert_eq!(r.code, ResponseCode::Success);
    assert_eq!(
        r.body,
        ResponseBody::Verify {
            valid: Some(true),
            identifier: Some("9990000018".into())
        }
    );
}

#[test]
fn verify_invalid_keeps_the_raw_identifier() {
    let r = response("verify-response-invalid.xml");
    assert_eq!(r.code, ResponseCode::Success);
    assert_eq!(
        r.body,
        ResponseBody::Verify {
            valid: Some(false),
            identifier: Some("555555555555".into())
        }
    );
}

#[test]
fn verify_third_party_minimal_header_with_other_prefixes() {
    let r = response("verify-response-thirdparty-minimal-header.xml");
    assert_eq!(
        r.message_id.as_deref(),
        Some("B0735294-D185-4277-B4D0-617283940516")
    );
    // §5.1: DEMOG codes and VI are independent.
    assert_eq!(r.code, ResponseCode::NotVerified);
    assert_eq!(
        r.body,
        ResponseBody::Verify {
            valid: Some(true),
            identifier: Some("9990000026".into())
        }
    );
}

#[test]
fn get_nhs_number_live_minimal_header() {
    let r = response("getnhsnumber-response-success-live-minimal.xml");
    assert_eq!(
        r.message_id.as_deref(),
        Some("E3A685C7-04B8-45AA-A703-940516273849")
    );
    assert_eq!(r.code, ResponseCode::Success);
    assert_eq!(
        r.body,
        ResponseBody::NhsNumber {
            nhs_number: Some(nhs("9990000034")),
            local_identifier: None
        }
    );
}

#[test]
fn get_nhs_number_bare_payload_with_local_identifier() {
    let r = response("getnhsnumber-response-success-local-id.xml");
    assert_eq!(r.message_id, None);
    assert_eq!(r.code, ResponseCode::Success);
    let ResponseBody::NhsNumber {
        nhs_number,
        local_identifier,
    } = r.body
    else {
        panic!("expected an NHS number body")
    };
    assert_eq!(nhs_number.unwrap().as_str(), "9990000042");
    let local = local_identifier.unwrap();
    assert_eq!(local.root, LOCAL_ROOT);
    assert_eq!(local.extension, "ZZQ:000042");
}

#[test]
fn get_nhs_number_no_match_has_no_subject() {
    let r = response("getnhsnumber-response-demog-0001.xml");
    assert_eq!(r.code, ResponseCode::NoMatch);
    assert_eq!(
        r.body,
        ResponseBody::NhsNumber {
            nhs_number: None,
            local_identifier: None
        }
    );
}

#[test]
fn patient_details_success_payload() {
    let r = response("getpatientdetails-response-success-payload.xml");
    assert_eq!(r.code, ResponseCode::Success);
    let p = patient_of(&r);
    assert_eq!(p.nhs_number.as_str(), "9990000050");
    assert!(p.local_identifier.is_none());
    let name = p.name.as_ref().unwrap();
    assert_eq!(name.use_code, None);
    assert_eq!(name.prefix, None);
    assert_eq!(name.given, lines(&["Marigold"]));
    assert_eq!(name.family.as_deref(), Some("Featherstonehaugh"));
    assert_eq!(p.addresses.len(), 1);
    assert_eq!(
        addr_view(&p.addresses[0]),
        addr_view(&address(
            Some("H"),
            Some("ZZ9 4QX"),
            &["7 Larkspur Row", "Fernhollow", "Testington", "", ""]
        ))
    );
    assert!(p.telecoms.is_empty());
    assert_eq!(p.gender, Some(Gender::Female));
    assert_eq!(p.birth_date, Some(date("1974-08-23")));
    assert_eq!(p.deceased, None);
    let gp = p.gp.as_ref().unwrap();
    assert_eq!(gp.ods_code.as_deref(), Some("Z99001"));
    assert_eq!(gp.ods_root.as_deref(), Some(ODS_ROOT));
    assert_eq!(gp.name.as_deref(), Some("Fernhollow Health Centre"));
    assert_eq!(
        addr_view(gp.address.as_ref().unwrap()),
        addr_view(&address(
            None,
            Some("ZZ9 4QY"),
            &[
                "Fernhollow Health Centre",
                "2 Mill Lane",
                "Testington",
                "",
                ""
            ]
        ))
    );
    assert!(gp.telecom.is_none());
    assert!(!p.looks_restricted());
}

#[test]
fn patient_details_no_match_has_no_patient() {
    let r = response("getpatientdetails-response-demog-0001.xml");
    assert_eq!(r.code, ResponseCode::NoMatch);
    assert_eq!(r.body, ResponseBody::PatientDetails(None));
}

#[test]
fn patient_details_all_fields() {
    let r = response("getpatientdetails-response-allfields.xml");
    assert_eq!(r.code, ResponseCode::Success);
    let p = patient_of(&r);
    assert_eq!(p.nhs_number.as_str(), "9990000069");
    let local = p.local_identifier.as_ref().unwrap();
    assert_eq!(
        (local.root.as_str(), local.extension.as_str()),
        (LOCAL_ROOT, "ZZQ:000069")
    );
    let name = p.name.as_ref().unwrap();
    assert_eq!(name.use_code.as_deref(), Some("L"));
    assert_eq!(name.prefix.as_deref(), Some("DR"));
    assert_eq!(name.given, lines(&["Zoë", "Ångström"]));
    assert_eq!(name.family.as_deref(), Some(r#"O'Brien & <Sons> "Ltd""#));

    let addrs: Vec<String> = p.addresses.iter().map(addr_view).collect();
    assert_eq!(
        addrs,
        vec![
            addr_view(&address(
                Some("H"),
                Some("ZZ9 1AA"),
                &["Flat 3", "11 Quillon Street", "", "Testington", "Westshire"]
            )),
            addr_view(&address(
                Some("TMP"),
                Some("ZZ9 2BB"),
                &["", "4 Harbour View", "", "Saltmarsh", ""]
            )),
            addr_view(&address(
                Some("PST"),
                None,
                &["PO Box 77", "", "", "Testington", ""]
            )),
        ]
    );

    let mut work = telecom(TelecomSystem::Phone, "tel", "01632 960002", &["WP"]);
    work.periods = vec![UseablePeriod {
        low: Some(date("2015-06-01")),
        high: Some(date("2020-12")),
    }];
    let expected = [
        telecom(TelecomSystem::Phone, "tel", "01632960001", &["H"]),
        telecom(TelecomSystem::Phone, "tel", "07700900077", &["MC"]),
        work,
        telecom(
            TelecomSystem::Email,
            "mailto",
            "marigold@example.invalid",
            &["H"],
        ),
        telecom(TelecomSystem::Fax, "fax", "01632960003", &["WP"]),
        // `tel:` and `tel: ` with no number are tolerated as empty values (§5.3).
        telecom(TelecomSystem::Phone, "tel", "", &["HP", "EC"]),
        telecom(TelecomSystem::Phone, "tel", "", &[]),
    ];
    let got: Vec<String> = p.telecoms.iter().map(tel_view).collect();
    let want: Vec<String> = expected.iter().map(tel_view).collect();
    assert_eq!(got, want);

    assert_eq!(p.gender, Some(Gender::NotSpecified));
    // Partial birth date YYYYMM (§3 TimestampType3).
    assert_eq!(p.birth_date, Some(date("1987-02")));
    let (death, time) = p.deceased.unwrap();
    assert_eq!(death, date("2019-12-25"));
    assert_eq!(time.unwrap().to_string(), "14:30:00");

    let gp = p.gp.as_ref().unwrap();
    assert_eq!(gp.ods_code.as_deref(), Some("Z99002"));
    assert_eq!(gp.name.as_deref(), Some("Church Walk Surgery"));
    assert_eq!(
        tel_view(gp.telecom.as_ref().unwrap()),
        tel_view(&telecom(TelecomSystem::Phone, "tel", "01632960999", &[]))
    );
    assert_eq!(
        gp.address.as_ref().unwrap().lines,
        lines(&[
            "The Surgery",
            "1 Church Walk",
            "",
            "Testington",
            "Westshire"
        ])
    );
}

#[test]
fn patient_details_soap_envelope_with_other_prefixes_and_year_only_birth() {
    let r = response("getpatientdetails-response-soap-prefixed.xml");
    assert_eq!(
        r.message_id.as_deref(),
        Some("8D503F61-AE52-4F44-81BD-940516273849")
    );
    assert_eq!(r.code, ResponseCode::Success);
    let p = patient_of(&r);
    assert_eq!(p.nhs_number.as_str(), "9990000077");
    let name = p.name.as_ref().unwrap();
    assert_eq!(name.use_code.as_deref(), Some("L"));
    assert_eq!(name.given, lines(&["Barnaby"]));
    assert_eq!(name.family.as_deref(), Some("Quillfeather"));
    assert_eq!(
        p.addresses[0].lines,
        lines(&["22 Orchard Close", "", "Testington", "", ""])
    );
    assert_eq!(p.gender, Some(Gender::Male));
    assert_eq!(p.birth_date, Some(date("1962")));
    // No address-bearing fields beyond the home address, but not restricted.
    assert!(p.gp.is_none());
    assert!(!p.looks_restricted());
}

#[test]
fn itk_fault() {
    let Ok(SmspReply::Fault(f)) = parse::reply(&fixture("soap-fault-itk.xml")) else {
        panic!("expected a fault")
    };
    assert_eq!(f.fault_code, "soap:Client");
    assert_eq!(
        f.fault_string,
        "A client related error has occurred, see detail element for further information"
    );
    assert_eq!(
        f.error_id.as_deref(),
        Some("C19473A5-E296-4388-85F1-384950617283")
    );
    assert_eq!(f.error_code, "1000");
    assert_eq!(f.error_text.as_deref(), Some("Invalid Message"));
    assert_eq!(
        f.diagnostic_text.as_deref(),
        Some("manifest profileid does not match the payload")
    );
    assert!(!f.is_retryable());
}

#[test]
fn reply_rejects_bad_nhs_numbers_in_traced_subjects() {
    // A failed Modulus 11 check in getNHSNumber / getPatientDetails is not data to pass on.
    let bad = fixture_text("getnhsnumber-response-success-live-minimal.xml")
        .replace("9990000034", "9990000035");
    assert!(matches!(
        parse::reply(bad.as_bytes()),
        Err(ParseError::Shape(_))
    ));
    let bad = fixture_text("getpatientdetails-response-success-payload.xml")
        .replace("9990000050", "999000005");
    assert!(matches!(
        parse::reply(bad.as_bytes()),
        Err(ParseError::Shape(_))
    ));
    // …but verify keeps whatever identifier it was given.
    let odd = fixture_text("verify-response-valid.xml").replace("9990000018", "9990000019");
    let Ok(SmspReply::Response(r)) = parse::reply(odd.as_bytes()) else {
        panic!()
    };
    assert_eq!(
        r.body,
        ResponseBody::Verify {
            valid: Some(true),
            identifier: Some("9990000019".into())
        }
    );
}

#[test]
fn reply_rejects_hostile_and_foreign_documents() {
    let doctype =
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
    assert_eq!(parse::reply(doctype.as_bytes()), Err(ParseError::Doctype));
    let deep = "<a>".repeat(200) + &"</a>".repeat(200);
    assert_eq!(parse::reply(deep.as_bytes()), Err(ParseError::TooDeep));
    for junk in [
        &b""[..],
        b"{\"json\": true}",
        b"<html><body>502 Bad Gateway</body>",
        b"\x00\x01\x02",
    ] {
        assert!(
            matches!(parse::reply(junk), Err(ParseError::NotXml(_))),
            "{:?}",
            String::from_utf8_lossy(junk)
        );
    }
    for shape in [
        "<html><body>502</body></html>",
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>"#,
        r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>"#,
        r#"<getNHSNumberResponse-v1-0 xmlns="urn:example:other"><value code="SMSP-0000"/></getNHSNumberResponse-v1-0>"#,
        r#"<getNHSNumberResponse-v1-0 xmlns="urn:hl7-org:v3"><code code="getNHSNumberResponse-v1-0"/></getNHSNumberResponse-v1-0>"#,
        r#"<getNHSNumberResponse-v1-0 xmlns="urn:hl7-org:v3"><code code="verifyNHSNumberResponse-v1-0"/><value code="SMSP-0000"/></getNHSNumberResponse-v1-0>"#,
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>x</faultstring></soap:Fault></soap:Body></soap:Envelope>"#,
    ] {
        assert!(
            matches!(parse::reply(shape.as_bytes()), Err(ParseError::Shape(_))),
            "{shape}"
        );
    }
}
