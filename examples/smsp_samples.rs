//! Writes sample SMSP messages for the XSD conformance check (`scripts/xsd-check.sh`):
//! `requests/` — a minimal and a maximal request envelope per interaction (SMSP SPEC §4);
//! `responses/` — the envelopes the simulator produces: success and no-match per interaction,
//! an all-fields patient, and ITK faults (§5, §2.6).
//!
//! Usage: `cargo run --example smsp_samples -- OUT_DIR`

use std::path::{Path, PathBuf};

use smsp_bridge::domain::{
    Address, Gender, GpPractice, LocalIdentifier, NhsNumber, PartialDate, Patient, PersonName,
    ResponseCode, Telecom, UseablePeriod,
};
use smsp_bridge::smsp::build::{fault_envelope, request_envelope, response_envelope, ResponseIds};
use smsp_bridge::smsp::{
    AuditIdentity, EnvelopeContext, Interaction, Query, QueryName, ResponseBody, SmspResponse,
    ToolkitFault,
};

const LOCAL_ROOT: &str = "2.16.840.1.113883.2.1.3.2.4.18.24";

fn main() -> anyhow::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("usage: smsp_samples OUT_DIR"))?;
    let requests = out.join("requests");
    let responses = out.join("responses");
    std::fs::create_dir_all(&requests)?;
    std::fs::create_dir_all(&responses)?;
    let mut count = 0;
    for i in Interaction::ALL {
        for (kind, query, sender) in [
            ("minimal", minimal(i)?, None),
            (
                "maximal",
                maximal(i)?,
                Some("urn:nhs-uk:addressing:ods:ZZ1:bridge&team".to_string()),
            ),
        ] {
            let mut ctx = EnvelopeContext::new(
                "https://smsp.example.invalid/smsp/pds?x=1&y=2",
                "https://bridge.example.invalid",
                "bridge <sample>",
                AuditIdentity::local_user("ZZ1", "sample-user"),
            );
            ctx.sender_address = sender;
            let xml = request_envelope(i, &query, &ctx)?;
            write(&requests, &format!("{}-{kind}.xml", i.name()), &xml)?;
            count += 1;
        }
        for (kind, response) in responses_for(i)? {
            let xml = response_envelope(i, &response, &ResponseIds::new());
            write(&responses, &format!("{}-{kind}.xml", i.name()), &xml)?;
            count += 1;
        }
    }
    for code in ["1000", "2100", "2200", "3000"] {
        let fault = ToolkitFault {
            fault_code: String::new(),
            fault_string: String::new(),
            error_id: None,
            error_code: code.into(),
            error_text: None,
            diagnostic_text: Some("sample <diagnostic> & detail".into()),
        };
        let xml = fault_envelope(&fault, &uuid::Uuid::new_v4());
        write(&responses, &format!("fault-{code}.xml"), &xml)?;
        count += 1;
    }
    println!("wrote {count} samples to {}", out.display());
    Ok(())
}

fn write(dir: &Path, name: &str, xml: &str) -> std::io::Result<()> {
    std::fs::write(dir.join(name), xml)
}

fn nhs(s: &str) -> anyhow::Result<NhsNumber> {
    Ok(NhsNumber::parse(s)?)
}

fn date(s: &str) -> anyhow::Result<PartialDate> {
    Ok(PartialDate::parse_fhir(s)?)
}

/// Only the mandatory parameters (SMSP SPEC §4.1–4.5).
fn minimal(i: Interaction) -> anyhow::Result<Query> {
    let mut q = Query::new(date("1974-08-23")?);
    match i {
        Interaction::VerifyNhsNumber | Interaction::GetPatientDetailsByNhsNumber => {
            q.nhs_number = Some(nhs("9990000018")?);
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
    Ok(q)
}

/// Every parameter the interaction allows, with XML-special and non-ASCII characters.
fn maximal(i: Interaction) -> anyhow::Result<Query> {
    let mut q = minimal(i)?;
    let name = QueryName {
        given: Some("Zoë Ångström".into()),
        family: Some(r#"O'Brien & <Sons> "Ltd""#.into()),
    };
    let local = LocalIdentifier {
        root: LOCAL_ROOT.into(),
        extension: "ZZQ:<000069>&".into(),
    };
    let nhs_allowed = !matches!(
        i,
        Interaction::GetNhsNumber | Interaction::GetPatientDetailsBySearch
    );
    if nhs_allowed {
        q.nhs_number = Some(nhs("9990000069")?);
    }
    if i != Interaction::VerifyNhsNumber {
        q.local_identifier = Some(local);
    }
    if matches!(
        i,
        Interaction::GetNhsNumber
            | Interaction::GetPatientDetailsBySearch
            | Interaction::GetPatientDetails
    ) {
        q.gender = Some(Gender::Female);
        q.postcode = Some("ZZ9 1AA".into());
    }
    q.name = Some(name);
    q.check(i)?;
    Ok(q)
}

fn responses_for(i: Interaction) -> anyhow::Result<Vec<(&'static str, SmspResponse)>> {
    let ok = |body| SmspResponse {
        message_id: None,
        code: ResponseCode::Success,
        body,
    };
    let no_match = |body| SmspResponse {
        message_id: None,
        code: ResponseCode::NoMatch,
        body,
    };
    Ok(match i {
        Interaction::VerifyNhsNumber => vec![
            (
                "valid",
                ok(ResponseBody::Verify {
                    valid: Some(true),
                    identifier: Some("9990000018".into()),
                }),
            ),
            (
                "invalid",
                ok(ResponseBody::Verify {
                    valid: Some(false),
                    identifier: Some("555555555555".into()),
                }),
            ),
            (
                "nomatch",
                no_match(ResponseBody::Verify {
                    valid: None,
                    identifier: None,
                }),
            ),
        ],
        Interaction::GetNhsNumber => vec![
            (
                "success",
                ok(ResponseBody::NhsNumber {
                    nhs_number: Some(nhs("9990000042")?),
                    local_identifier: Some(LocalIdentifier {
                        root: LOCAL_ROOT.into(),
                        extension: "ZZQ:000042".into(),
                    }),
                }),
            ),
            (
                "nomatch",
                no_match(ResponseBody::NhsNumber {
                    nhs_number: None,
                    local_identifier: None,
                }),
            ),
        ],
        _ => {
            let mut minimal = Patient::new(nhs("9990000050")?);
            minimal.birth_date = Some(date("1962")?);
            vec![
                (
                    "allfields",
                    ok(ResponseBody::PatientDetails(Some(Box::new(all_fields()?)))),
                ),
                (
                    "minimal",
                    ok(ResponseBody::PatientDetails(Some(Box::new(minimal)))),
                ),
                ("nomatch", no_match(ResponseBody::PatientDetails(None))),
            ]
        }
    })
}

fn address(use_code: Option<&str>, postal_code: Option<&str>, lines: &[&str]) -> Address {
    Address {
        use_code: use_code.map(Into::into),
        postal_code: postal_code.map(Into::into),
        lines: lines.iter().map(|l| l.to_string()).collect(),
    }
}

fn telecom(scheme: &str, value: &str, uses: &[&str]) -> Telecom {
    Telecom {
        scheme: scheme.into(),
        value: value.into(),
        use_codes: uses.iter().map(|u| u.to_string()).collect(),
        periods: Vec::new(),
    }
}

/// Every field `Patient` holds (SMSP SPEC §5.3).
fn all_fields() -> anyhow::Result<Patient> {
    let mut p = Patient::new(nhs("9990000069")?);
    p.local_identifier = Some(LocalIdentifier {
        root: LOCAL_ROOT.into(),
        extension: "ZZQ:000069".into(),
    });
    p.name = Some(PersonName {
        use_code: Some("L".into()),
        prefix: Some("DR".into()),
        given: vec!["Zoë".into(), "Ångström".into()],
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
    let mut work = telecom("tel", "01632960002", &["WP"]);
    work.periods = vec![UseablePeriod {
        low: Some(date("2015-06-01")?),
        high: Some(date("2020-12")?),
    }];
    p.telecoms = vec![
        telecom("tel", "01632960001", &["H", "HP"]),
        work,
        telecom("mailto", "a&b@example.invalid", &["H"]),
        telecom("fax", "01632960003", &["WP"]),
        telecom("tel", "", &[]),
    ];
    p.gender = Some(Gender::Female);
    p.birth_date = Some(date("1987-02")?);
    p.deceased = Some((
        date("2019-12-25")?,
        chrono::NaiveTime::from_hms_opt(14, 30, 0),
    ));
    p.gp = Some(GpPractice {
        ods_code: Some("Z99002".into()),
        ods_root: None,
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
        telecom: Some(telecom("tel", "01632960999", &[])),
    });
    Ok(p)
}
