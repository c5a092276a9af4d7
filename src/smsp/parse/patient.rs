//! getNHSNumberResponse / getPatientDetailsResponse subjects into domain values (SMSP SPEC §5.2,
//! §5.3). Tolerant of real shapes — blank street lines stay positional, partial birth dates,
//! `tel:` with no number, a second (local) id — strict about identity: an NHS number failing
//! Modulus 11 or an unreadable date is a shape error rather than silently wrong data.

use super::reader::{Element, Ns};
use super::reply::shape;
use super::ParseError;
use crate::domain::{
    Address, Gender, GpPractice, LocalIdentifier, NhsNumber, PartialDate, Patient, PersonName,
    Telecom, UseablePeriod,
};
use crate::smsp::interaction::oid;

/// `patient/id[1..2]`: the id rooted at the NHS-number OID, plus the first other id as the
/// echoed local identifier.
pub(super) fn nhs_number_ids(
    patient: Element<'_>,
) -> Result<(NhsNumber, Option<LocalIdentifier>), ParseError> {
    let mut nhs = None;
    let mut local = None;
    for id in patient.children_named(Ns::Hl7, "id") {
        let root = id.attr_value("root");
        let ext = id.attr_value("extension");
        if root == Some(oid::NHS_NUMBER) && nhs.is_none() {
            let ext = ext.ok_or_else(|| shape("NHS number id has no extension"))?;
            nhs = Some(
                NhsNumber::parse(ext)
                    .map_err(|_| shape("patient NHS number is not a valid NHS number"))?,
            );
        } else if let (Some(root), Some(ext), None) = (root, ext, &local) {
            local = Some(LocalIdentifier {
                root: root.to_string(),
                extension: ext.to_string(),
            });
        }
    }
    let nhs = nhs.ok_or_else(|| shape("patient has no NHS number id"))?;
    Ok((nhs, local))
}

pub(super) fn patient(p: Element<'_>) -> Result<Patient, ParseError> {
    let (nhs, local) = nhs_number_ids(p)?;
    let mut patient = Patient::new(nhs);
    patient.local_identifier = local;
    patient.name = p.child(Ns::Hl7, "name").map(person_name);
    patient.addresses = p.children_named(Ns::Hl7, "addr").map(address).collect();
    patient.telecoms = p
        .children_named(Ns::Hl7, "telecom")
        .filter_map(|t| telecom(t).transpose())
        .collect::<Result<_, _>>()?;
    if let Some(person) = p.child(Ns::Hl7, "patientPerson") {
        patient.gender = match person
            .child(Ns::Hl7, "administrativeGenderCode")
            .and_then(|g| g.attr_value("code"))
        {
            Some(code) => {
                Some(Gender::from_code(code).ok_or_else(|| shape("gender code is not 0/1/2/9"))?)
            }
            None => None,
        };
        patient.birth_date =
            timestamp(person.child(Ns::Hl7, "birthTime"), "birthTime")?.map(|(d, _)| d);
        patient.deceased = timestamp(person.child(Ns::Hl7, "deceasedTime"), "deceasedTime")?;
        patient.gp = person
            .child(Ns::Hl7, "gPPractice")
            .map(gp_practice)
            .transpose()?;
    }
    Ok(patient)
}

/// Name parts are trimmed; blank parts are treated as absent (they carry nothing to show).
fn person_name(n: Element<'_>) -> PersonName {
    let part = |name| n.child(Ns::Hl7, name).and_then(Element::text_value);
    PersonName {
        use_code: n.attr_value("use").map(str::to_string),
        prefix: part("prefix").map(str::to_string),
        given: n
            .children_named(Ns::Hl7, "given")
            .filter_map(Element::text_value)
            .map(str::to_string)
            .collect(),
        family: part("family").map(str::to_string),
    }
}

/// AD.NHS.AddressType2: the five `streetAddressLine`s are positional (PDS lines 1–5), so blank
/// ones are kept as empty strings; the FHIR mapping drops them (§5.3).
fn address(a: Element<'_>) -> Address {
    Address {
        use_code: a.attr_value("use").map(str::to_string),
        postal_code: a
            .child(Ns::Hl7, "postalCode")
            .and_then(Element::text_value)
            .map(str::to_string),
        lines: a
            .children_named(Ns::Hl7, "streetAddressLine")
            .map(|l| l.text().to_string())
            .collect(),
    }
}

/// TEL: scheme before the first ':' picks the system; the rest, trimmed, is the value and may be
/// empty (`tel:` / `tel: ` occur in OpenTest). A telecom with no `@value` carries nothing and
/// is skipped.
fn telecom(t: Element<'_>) -> Result<Option<Telecom>, ParseError> {
    let Some(url) = t.attr("value") else {
        return Ok(None);
    };
    let url = url.trim();
    let (scheme, value) = match url.split_once(':') {
        Some((scheme, rest)) => (scheme.trim(), rest.trim()),
        None => ("", url),
    };
    let periods = t
        .children_named(Ns::Hl7, "useablePeriod")
        .map(|p| {
            Ok(UseablePeriod {
                low: timestamp(p.child(Ns::Hl7, "low"), "useablePeriod low")?.map(|(d, _)| d),
                high: timestamp(p.child(Ns::Hl7, "high"), "useablePeriod high")?.map(|(d, _)| d),
            })
        })
        .collect::<Result<_, ParseError>>()?;
    Ok(Some(Telecom {
        scheme: scheme.to_string(),
        value: value.to_string(),
        use_codes: t
            .attr("use")
            .map(|u| u.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        periods,
    }))
}

fn gp_practice(g: Element<'_>) -> Result<GpPractice, ParseError> {
    let org = g.child(Ns::Hl7, "locationOrganization");
    let org_id = org.and_then(|o| o.child(Ns::Hl7, "id"));
    Ok(GpPractice {
        ods_code: org_id
            .and_then(|id| id.attr_value("extension"))
            .map(str::to_string),
        ods_root: org_id
            .and_then(|id| id.attr_value("root"))
            .map(str::to_string),
        name: org
            .and_then(|o| o.child(Ns::Hl7, "name"))
            .and_then(Element::text_value)
            .map(str::to_string),
        address: g.child(Ns::Hl7, "addr").map(address),
        telecom: match g.child(Ns::Hl7, "telecom") {
            Some(t) => telecom(t)?,
            None => None,
        },
    })
}

type Timestamp = (PartialDate, Option<chrono::NaiveTime>);

/// An HL7 TS `@value` (YYYY, YYYYMM, YYYYMMDD, optionally with a time); absent → `None`.
fn timestamp(e: Option<Element<'_>>, what: &str) -> Result<Option<Timestamp>, ParseError> {
    match e.and_then(|e| e.attr_value("value")) {
        None => Ok(None),
        Some(v) => PartialDate::parse_hl7_with_time(v)
            .map(Some)
            .map_err(|_| ParseError::Shape(format!("{what} is not an HL7 timestamp"))),
    }
}
