//! Shared fixture loading and readable renderings of redacted domain types.

use std::path::{Path, PathBuf};

use smsp_bridge::domain::{
    Address, GpPractice, NhsNumber, PartialDate, Patient, PersonName, Telecom, TelecomSystem,
};
use smsp_bridge::smsp::parse;
use smsp_bridge::smsp::{ResponseBody, SmspReply, SmspResponse};

pub(super) fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smsp")
}

pub(super) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(super) fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

pub(super) fn response(name: &str) -> SmspResponse {
    match parse::reply(&fixture(name)) {
        Ok(SmspReply::Response(r)) => r,
        Ok(SmspReply::Fault(f)) => panic!("{name}: unexpected fault {}", f.error_code),
        Err(e) => panic!("{name}: {e}"),
    }
}

pub(super) fn patient_of(r: &SmspResponse) -> &Patient {
    match &r.body {
        ResponseBody::PatientDetails(Some(p)) => p,
        _ => panic!("expected a patient"),
    }
}

pub(super) fn nhs(s: &str) -> NhsNumber {
    NhsNumber::parse(s).unwrap()
}

pub(super) fn date(s: &str) -> PartialDate {
    PartialDate::parse_fhir(s).unwrap()
}

/// Domain types redact their Debug output on purpose; tests compare readable renderings.
pub(super) fn addr_view(a: &Address) -> String {
    format!(
        "use={:?} pc={:?} lines={:?}",
        a.use_code, a.postal_code, a.lines
    )
}

pub(super) fn tel_view(t: &Telecom) -> String {
    let periods: Vec<String> = t
        .periods
        .iter()
        .map(|p| {
            format!(
                "{:?}..{:?}",
                p.low.map(|d| d.to_fhir()),
                p.high.map(|d| d.to_fhir())
            )
        })
        .collect();
    format!(
        "{:?} scheme={:?} value={:?} use={:?} periods={:?}",
        t.system(),
        t.scheme,
        t.value,
        t.use_codes,
        periods
    )
}

pub(super) fn name_view(n: &PersonName) -> String {
    format!(
        "use={:?} prefix={:?} given={:?} family={:?}",
        n.use_code, n.prefix, n.given, n.family
    )
}

pub(super) fn gp_view(g: &GpPractice) -> String {
    format!(
        "ods={:?} root={:?} name={:?} addr={:?} tel={:?}",
        g.ods_code,
        g.ods_root,
        g.name,
        g.address.as_ref().map(addr_view),
        g.telecom.as_ref().map(tel_view)
    )
}

pub(super) fn patient_view(p: &Patient) -> Vec<String> {
    let mut v = vec![
        format!("nhs={}", p.nhs_number),
        format!(
            "local={:?}",
            p.local_identifier
                .as_ref()
                .map(|l| (l.root.clone(), l.extension.clone()))
        ),
        format!("name={:?}", p.name.as_ref().map(name_view)),
    ];
    v.extend(p.addresses.iter().map(addr_view));
    v.extend(p.telecoms.iter().map(tel_view));
    v.push(format!("gender={:?}", p.gender));
    v.push(format!("birth={:?}", p.birth_date.map(|d| d.to_fhir())));
    v.push(format!(
        "deceased={:?}",
        p.deceased
            .map(|(d, t)| (d.to_fhir(), t.map(|t| t.to_string())))
    ));
    v.push(format!("gp={:?}", p.gp.as_ref().map(gp_view)));
    v
}

pub(super) fn lines(ls: &[&str]) -> Vec<String> {
    ls.iter().map(|s| s.to_string()).collect()
}

pub(super) fn address(use_code: Option<&str>, postal_code: Option<&str>, ls: &[&str]) -> Address {
    Address {
        use_code: use_code.map(Into::into),
        postal_code: postal_code.map(Into::into),
        lines: lines(ls),
    }
}

/// The expected telecom; `system` is what its scheme must name (the system is derived from it).
pub(super) fn telecom(system: TelecomSystem, scheme: &str, value: &str, uses: &[&str]) -> Telecom {
    let t = Telecom {
        scheme: scheme.into(),
        value: value.into(),
        use_codes: lines(uses),
        periods: Vec::new(),
    };
    assert_eq!(t.system(), system, "{scheme}");
    t
}

pub(super) const LOCAL_ROOT: &str = "2.16.840.1.113883.2.1.3.2.4.18.24";
pub(super) const ODS_ROOT: &str = "2.16.840.1.113883.2.1.3.2.4.19.2";
