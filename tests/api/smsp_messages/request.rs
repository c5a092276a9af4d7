//! `parse::request` (the simulator's view): the project's request fixtures and the structure /
//! content error classes.

use super::support::*;
use smsp_bridge::domain::{Gender, LocalIdentifier};
use smsp_bridge::smsp::parse::{self, RequestError};
use smsp_bridge::smsp::{AuditIdentity, Interaction, Query, QueryName};

#[test]
fn request_verify() {
    let r = parse::request(&fixture("verify-request.xml")).unwrap();
    assert_eq!(r.interaction, Interaction::VerifyNhsNumber);
    assert_eq!(
        r.action.as_deref(),
        Some("urn:nhs-itk:services:201005:verifyNHSNumber-v1-0")
    );
    assert_eq!(r.service, r.action);
    assert_eq!(
        r.message_id.as_deref(),
        Some("A00A2B3C-4D5E-4F60-8172-000000000001")
    );
    assert_eq!(
        r.tracking_id.as_deref(),
        Some("B01B3C4D-5E6F-4071-9283-000000000002")
    );
    assert_eq!(
        r.audit_identity,
        Some(AuditIdentity::local_user("ZZ1", "fixture-user"))
    );
    let mut q = Query::new(date("1974-08-23"));
    q.nhs_number = Some(nhs("9990000018"));
    assert_eq!(r.query, q);
}

#[test]
fn request_get_nhs_number_with_timestamp_type4_dob() {
    let r = parse::request(&fixture("getnhsnumber-request.xml")).unwrap();
    assert_eq!(r.interaction, Interaction::GetNhsNumber);
    assert_eq!(
        r.audit_identity,
        Some(AuditIdentity {
            type_oid: "1.2.826.0.1285.0.2.0.107".into(),
            uri: "200000000123".into()
        })
    );
    let q = &r.query;
    assert_eq!(q.birth_date, date("1974-08-23"));
    assert_eq!(q.gender, Some(Gender::Female));
    assert_eq!(
        q.local_identifier,
        Some(LocalIdentifier {
            root: LOCAL_ROOT.into(),
            extension: "ZZQ:000042".into()
        })
    );
    assert_eq!(q.nhs_number, None);
    let name = q.name.as_ref().unwrap();
    assert_eq!(name.given.as_deref(), Some("Marigold"));
    assert_eq!(name.family.as_deref(), Some("Featherstonehaugh"));
    assert_eq!(q.postcode.as_deref(), Some("ZZ9 4QX"));
}

#[test]
fn request_by_nhs_number_and_by_search_with_prefixed_payload() {
    let r = parse::request(&fixture("getpatientdetailsbynhsnumber-request.xml")).unwrap();
    assert_eq!(r.interaction, Interaction::GetPatientDetailsByNhsNumber);
    let mut q = Query::new(date("1974-08-23"));
    q.nhs_number = Some(nhs("9990000050"));
    assert_eq!(r.query, q);

    let r = parse::request(&fixture("getpatientdetailsbysearch-request.xml")).unwrap();
    assert_eq!(r.interaction, Interaction::GetPatientDetailsBySearch);
    let mut q = Query::new(date("1962-01-01"));
    q.gender = Some(Gender::Male);
    q.name = Some(QueryName {
        given: Some("Barnaby".into()),
        family: Some("Quillfeather".into()),
    });
    q.postcode = Some("ZZ9 5DD".into());
    assert_eq!(r.query, q);
}

#[test]
fn request_get_patient_details_every_parameter_and_escaped_name() {
    let r = parse::request(&fixture("getpatientdetails-request.xml")).unwrap();
    assert_eq!(r.interaction, Interaction::GetPatientDetails);
    assert_eq!(
        r.service.as_deref(),
        Some("urn:nhs-itk:services:201005:getPatientDetails-v1-0")
    );
    let q = &r.query;
    assert_eq!(q.birth_date, date("1987-02-15"));
    assert_eq!(q.gender, Some(Gender::NotSpecified));
    assert_eq!(q.local_identifier.as_ref().unwrap().extension, "ZZQ:000069");
    assert_eq!(q.nhs_number, Some(nhs("9990000069")));
    let name = q.name.as_ref().unwrap();
    assert_eq!(name.given.as_deref(), Some("Zoë"));
    assert_eq!(name.family.as_deref(), Some(r#"O'Brien & <Sons> "Ltd""#));
    assert_eq!(q.postcode.as_deref(), Some("ZZ9 1AA"));
}

/// Applies `edit` to a request fixture and parses it.
fn edited(
    name: &str,
    edit: impl Fn(String) -> String,
) -> Result<parse::ParsedRequest, RequestError> {
    parse::request(edit(fixture_text(name)).as_bytes())
}

fn invalid_field(r: Result<parse::ParsedRequest, RequestError>) -> &'static str {
    match r {
        Err(RequestError::Invalid { field, .. }) => field,
        Err(e) => panic!("expected Invalid, got {e}"),
        Ok(_) => panic!("expected Invalid, got Ok"),
    }
}

fn is_structure(r: &Result<parse::ParsedRequest, RequestError>) -> bool {
    matches!(r, Err(RequestError::Structure(_)))
}

#[test]
fn request_content_errors_name_their_field() {
    let gpd = "getpatientdetails-request.xml";
    for bad_dob in [
        "2014051200",
        "201405",
        "1987-02-15",
        "19870230",
        "",
        "1987021X",
    ] {
        let r = edited(gpd, |s| {
            s.replace(r#"value="19870215""#, &format!(r#"value="{bad_dob}""#))
        });
        assert_eq!(invalid_field(r), "Person.DateOfBirth", "{bad_dob:?}");
    }
    // getNHSNumber (TimestampType4) takes YYYYMMDDHHMM but not the SMSP-0001 OpenTest forms.
    let r = edited("getnhsnumber-request.xml", |s| {
        s.replace("197408231212", "2014051200")
    });
    assert_eq!(invalid_field(r), "Person.DateOfBirth");

    for bad_gender in ["X", "U", "3", ""] {
        let r = edited(gpd, |s| {
            s.replace(r#"code="9""#, &format!(r#"code="{bad_gender}""#))
        });
        assert_eq!(invalid_field(r), "Person.Gender", "{bad_gender:?}");
    }
    let r = edited(gpd, |s| {
        s.replace(
            r#"code="9" codeSystem="2.16.840.1.113883.2.1.3.2.4.16.25""#,
            r#"code="9" codeSystem="2.16.840.1.113883.5.1""#,
        )
    });
    assert_eq!(invalid_field(r), "Person.Gender");

    // Modulus 11 failure on a 10-digit number.
    let r = edited(gpd, |s| s.replace("9990000069", "9990000068"));
    assert_eq!(invalid_field(r), "Person.NHSNumber");
    // A non-NHS-number root.
    let r = edited(gpd, |s| {
        s.replace(
            r#"root="2.16.840.1.113883.2.1.4.1""#,
            r#"root="2.16.840.1.113883.2.1.3.2.4.3""#,
        )
    });
    assert_eq!(invalid_field(r), "Person.NHSNumber");

    // `use` is prohibited in getNHSNumber/bySearch names; a second given is never allowed.
    let r = edited("getnhsnumber-request.xml", |s| {
        s.replace("<value><given>", r#"<value use="L"><given>"#)
    });
    assert_eq!(invalid_field(r), "Person.Name");
    let r = edited(gpd, |s| {
        s.replace("<given>Zoë</given>", "<given>Zoë</given><given>Ann</given>")
    });
    assert_eq!(invalid_field(r), "Person.Name");

    let r = edited(gpd, |s| {
        s.replace(
            "<postalCode>ZZ9 1AA</postalCode>",
            "<postalCode> </postalCode>",
        )
    });
    assert_eq!(invalid_field(r), "Person.Postcode");
    let r = edited(gpd, |s| {
        s.replace(
            r#"root="2.16.840.1.113883.2.1.3.2.4.18.24""#,
            r#"root="local-ids""#,
        )
    });
    assert_eq!(invalid_field(r), "Person.LocalIdentifier");
}

#[test]
fn request_old_style_nhs_numbers_are_demog_0042() {
    for old in ["ABC1234567", "999000001", "99900000181", "A990000018"] {
        let r = edited("verify-request.xml", |s| s.replace("9990000018", old));
        assert_eq!(r.unwrap_err(), RequestError::NotNewStyleNhsNumber, "{old}");
    }
}

#[test]
fn request_structure_errors() {
    let gpd = "getpatientdetails-request.xml";
    // Unknown payload root.
    assert!(is_structure(&edited(gpd, |s| s
        .replace("getPatientDetails-v1-0 ", "getPatientDetailsRequest-v1-0 ")
        .replace(
            "</getPatientDetails-v1-0>",
            "</getPatientDetailsRequest-v1-0>"
        ))));
    // `code` that is not the root's fixed code (the public adaptor's byNHSNumber mistake).
    assert!(is_structure(&edited(
        "getpatientdetailsbynhsnumber-request.xml",
        |s| s.replace(
            r#"code="getPatientDetailsByNHSNumberRequest-v1-0""#,
            r#"code="getPatientDetailsByNHSNumber-v1-0""#
        )
    )));
    // No queryEvent.
    assert!(is_structure(&edited(gpd, |s| s
        .replace("<queryEvent>", "<queryEvents>")
        .replace("</queryEvent>", "</queryEvents>"))));
    // Missing mandatory DOB / NHS number.
    assert!(is_structure(&edited("verify-request.xml", |s| {
        let start = s.find("<Person.DateOfBirth>").unwrap();
        let end = s.find("</Person.DateOfBirth>").unwrap() + "</Person.DateOfBirth>".len();
        format!("{}{}", &s[..start], &s[end..])
    })));
    assert!(is_structure(&edited("verify-request.xml", |s| {
        let start = s.find("<Person.NHSNumber>").unwrap();
        let end = s.find("</Person.NHSNumber>").unwrap() + "</Person.NHSNumber>".len();
        format!("{}{}", &s[..start], &s[end..])
    })));
    // A parameter the interaction does not define (Gender in verify).
    assert!(is_structure(&edited("verify-request.xml", |s| {
        s.replace(
        "<Person.NHSNumber>",
        r#"<Person.Gender><value code="1" codeSystem="2.16.840.1.113883.2.1.3.2.4.16.25"/><semanticsText>Person.Gender</semanticsText></Person.Gender><Person.NHSNumber>"#
    )
    })));
    // Wrong order (every content model is an xs:sequence, §0.10): Postcode before Name.
    assert!(is_structure(&edited(gpd, |s| {
        let start = s.find("<Person.Postcode>").unwrap();
        let end = s.find("</Person.Postcode>").unwrap() + "</Person.Postcode>".len();
        let postcode = s[start..end].to_string();
        let without = format!("{}{}", &s[..start], &s[end..]);
        without.replacen("<Person.Name>", &format!("{postcode}<Person.Name>"), 1)
    })));
    // Parameter without semanticsText.
    assert!(is_structure(&edited(gpd, |s| s
        .replace("<semanticsText>Person.Gender</semanticsText>", ""))));
    // Not SOAP / no ITK envelope.
    assert!(is_structure(&parse::request(
        br#"<itk:DistributionEnvelope xmlns:itk="urn:nhs-itk:ns:201005"/>"#
    )));
    assert!(is_structure(&parse::request(
        br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>"#
    )));
    assert!(matches!(
        parse::request(b"hello"),
        Err(RequestError::NotXml(_))
    ));
    assert!(matches!(
        parse::request(b"<!DOCTYPE x><x/>"),
        Err(RequestError::NotXml(_))
    ));
}
