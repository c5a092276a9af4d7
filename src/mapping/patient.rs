//! SMSP patient record → PDS FHIR Patient, shaped as PDS shapes it (PDS FHIR SPEC §6, §5.2).
//! Every decision here is listed in docs/MAPPING.md.

use crate::domain::{self, NhsNumber};
use crate::fhir::datatypes::{
    system, Address, CodeableConcept, Coding, ContactPoint, Extension, HumanName, Identifier, Meta,
    Period, Reference,
};
use crate::fhir::search::SearchRequest;
use crate::fhir::Patient;

use super::tables::Tables;
use super::vocabulary::Vocabulary;

/// Which PDS shape to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// `GET /Patient/{id}`: everything SMSP returned.
    Read,
    /// A search entry: only usual/nickname/temp names and the home address (SPEC §5.2).
    Search,
}

/// Names a search returns (PDS FHIR SPEC §5.2).
const SEARCH_NAME_USES: [&str; 3] = ["usual", "nickname", "temp"];

pub fn to_fhir(p: &domain::Patient, tables: &Tables, view: View) -> Patient {
    let vocab = &tables.vocabulary;
    let restricted = p.looks_restricted();
    let mut out = Patient {
        id: p.nhs_number.to_string(),
        identifier: vec![nhs_identifier(&p.nhs_number)],
        meta: Some(Meta {
            security: vec![confidentiality(restricted)],
            ..Meta::default()
        }),
        ..Patient::default()
    };
    if let Some(name) = p.name.as_ref().and_then(|n| human_name(n, vocab)) {
        let keep = view == View::Read
            || SEARCH_NAME_USES.contains(&name.use_.as_deref().unwrap_or_default());
        if keep {
            out.name.push(name);
        }
    }
    out.gender = p.gender.map(|g| vocab.gender_to_fhir(g).to_string());
    out.birth_date = p.birth_date.map(|d| d.to_fhir());
    out.deceased_date_time = p.deceased.map(|(date, time)| match time {
        // A time is only ever parsed with a full date (`PartialDate::parse_hl7_with_time`).
        Some(t) if date.is_full() => date.to_fhir_with_time(t),
        _ => date.to_fhir(),
    });
    out.general_practitioner =
        p.gp.as_ref()
            .and_then(|gp| gp.ods_code.as_deref())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Reference::ods_organization)
            .into_iter()
            .collect();
    out.telecom = p
        .telecoms
        .iter()
        .filter_map(|t| contact_point(t, vocab))
        .collect();
    out.address = p
        .addresses
        .iter()
        .filter_map(|a| address(a, vocab))
        .filter(|a| view == View::Read || a.use_.as_deref() == Some("home"))
        .collect();
    out
}

/// A Patient with only `id` and `identifier`, for `_elements=identifier` and getNHSNumber
/// answers. `meta` carries FHIR's `SUBSETTED` tag (R4 search §3.1.1.5.9) and no security
/// label: getNHSNumber returns no location data to infer it from.
pub fn identifiers_only(nhs_number: &NhsNumber) -> Patient {
    Patient {
        id: nhs_number.to_string(),
        identifier: vec![nhs_identifier(nhs_number)],
        meta: Some(Meta {
            tag: vec![Coding::new(
                system::OBSERVATION_VALUE,
                "SUBSETTED",
                "subsetted",
            )],
            ..Meta::default()
        }),
        ..Patient::default()
    }
}

/// PDS never returns a restricted patient to a search that names a postcode (or GP)
/// (PDS FHIR SPEC §5.1). SMSP may still match on the postcode it holds, so a match that
/// looks restricted is dropped from such a search.
pub fn hidden_from_search(request: &SearchRequest, patient: &domain::Patient) -> bool {
    request.postcode.is_some() && patient.looks_restricted()
}

/// `{system: nhs-number, value, extension: [NHSNumberVerificationStatus 01]}`: SMSP traced the
/// number on PDS, so it is "present and verified" (every PDS example uses 01, SPEC §6).
pub fn nhs_identifier(nhs_number: &NhsNumber) -> Identifier {
    Identifier {
        extension: vec![Extension {
            url: system::NHS_NUMBER_VERIFICATION_STATUS_EXTENSION.into(),
            value_codeable_concept: Some(CodeableConcept {
                coding: vec![Coding::new(
                    system::NHS_NUMBER_VERIFICATION_STATUS,
                    "01",
                    "Number present and verified",
                )
                .with_version("1.0.0")],
                text: None,
            }),
            ..Extension::default()
        }],
        ..Identifier::new(system::NHS_NUMBER, nhs_number.as_str())
    }
}

/// SMSP has no confidentiality flag (SMSP SPEC §0.7): `R` when the record carries no
/// address, telecom or GP (`Patient::looks_restricted`, SMSP SPEC §8), otherwise `U`.
fn confidentiality(restricted: bool) -> Coding {
    if restricted {
        Coding::new(system::CONFIDENTIALITY, "R", "restricted")
    } else {
        Coding::new(system::CONFIDENTIALITY, "U", "unrestricted")
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn human_name(n: &domain::PersonName, vocab: &Vocabulary) -> Option<HumanName> {
    let name = HumanName {
        use_: Some(vocab.name_use(n.use_code.as_deref()).to_string()),
        given: n.given.iter().filter_map(|g| non_empty(g)).collect(),
        family: n.family.as_deref().and_then(non_empty),
        prefix: n
            .prefix
            .as_deref()
            .and_then(non_empty)
            .into_iter()
            .collect(),
        ..HumanName::default()
    };
    (name.family.is_some() || !name.given.is_empty() || !name.prefix.is_empty()).then_some(name)
}

/// Blank positional lines are removed, as PDS does (SPEC §6); an address with neither a line
/// nor a postcode is left out.
fn address(a: &domain::Address, vocab: &Vocabulary) -> Option<Address> {
    let line: Vec<String> = a.lines.iter().filter_map(|l| non_empty(l)).collect();
    let postal_code = a.postal_code.as_deref().and_then(non_empty);
    if line.is_empty() && postal_code.is_none() {
        return None;
    }
    Some(Address {
        use_: vocab.address_use(a.use_code.as_deref()).map(str::to_string),
        line,
        postal_code,
        ..Address::default()
    })
}

/// Telecoms with an empty value (`tel:` occurs in OpenTest, SMSP SPEC §5.3) or a scheme the
/// vocabulary does not type are left out: PDS never sends a ContactPoint without a value.
fn contact_point(t: &domain::Telecom, vocab: &Vocabulary) -> Option<ContactPoint> {
    let value = non_empty(&t.value)?;
    let system = vocab.telecom_system(&t.scheme)?;
    let period = t
        .periods
        .first()
        .map(|p| Period {
            start: p.low.map(|d| d.to_fhir()),
            end: p.high.map(|d| d.to_fhir()),
        })
        .filter(|p| p.start.is_some() || p.end.is_some());
    Some(ContactPoint {
        period,
        system: Some(system.to_string()),
        value: Some(value),
        use_: vocab
            .telecom_use(t.use_codes.iter().map(String::as_str))
            .map(str::to_string),
        ..ContactPoint::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Gender, GpPractice, PartialDate, PersonName, Telecom, UseablePeriod};
    use serde_json::json;

    fn tables() -> Tables {
        Tables::embedded().unwrap()
    }

    fn nhs() -> NhsNumber {
        NhsNumber::parse("9000000009").unwrap()
    }

    fn telecom(scheme: &str, value: &str, uses: &[&str]) -> Telecom {
        Telecom {
            scheme: scheme.into(),
            value: value.into(),
            use_codes: uses.iter().map(|u| u.to_string()).collect(),
            periods: vec![],
        }
    }

    fn full_patient() -> domain::Patient {
        let mut p = domain::Patient::new(nhs());
        p.name = Some(PersonName {
            use_code: Some("L".into()),
            prefix: Some("Mrs".into()),
            given: vec!["Jane".into(), "Anne".into()],
            family: Some("Smith".into()),
        });
        p.addresses = vec![
            domain::Address {
                use_code: Some("H".into()),
                postal_code: Some("LS1 6AE".into()),
                lines: vec![
                    "1 Trevelyan Square".into(),
                    "Boar Lane".into(),
                    "".into(),
                    "Leeds".into(),
                    "West Yorkshire".into(),
                ],
            },
            domain::Address {
                use_code: Some("TMP".into()),
                postal_code: Some("LS2 9JT".into()),
                lines: vec![
                    "".into(),
                    "Student Halls".into(),
                    "".into(),
                    "Leeds".into(),
                    "".into(),
                ],
            },
            domain::Address {
                use_code: Some("PST".into()),
                postal_code: None,
                lines: vec![
                    "PO Box 1".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                ],
            },
        ];
        let mut home = telecom("tel", "01632960587", &["H"]);
        home.periods = vec![UseablePeriod {
            low: Some(PartialDate::full(2020, 1, 1).unwrap()),
            high: None,
        }];
        p.telecoms = vec![
            home,
            telecom("tel", "07700900000", &["MC"]),
            telecom("mailto", "jane.smith@example.com", &["WP"]),
            telecom("fax", "01632960588", &["EC"]),
            telecom("tel", "", &["H"]),
            telecom("sip", "jane@example.com", &["H"]),
        ];
        p.gender = Some(Gender::Female);
        p.birth_date = Some(PartialDate::full(2010, 10, 22).unwrap());
        p.deceased = Some((
            PartialDate::full(2020, 1, 2).unwrap(),
            Some(chrono::NaiveTime::from_hms_opt(13, 45, 0).unwrap()),
        ));
        p.gp = Some(GpPractice {
            ods_code: Some("Y12345".into()),
            ods_root: Some("2.16.840.1.113883.2.1.3.2.4.19.2".into()),
            name: Some("Trevelyan Practice".into()),
            address: None,
            telecom: None,
        });
        p
    }

    fn identifier_json() -> serde_json::Value {
        json!([{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009",
            "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
                "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus",
                    "version": "1.0.0", "code": "01", "display": "Number present and verified"}]}}]}])
    }

    #[test]
    fn all_fields_read_view() {
        let out = to_fhir(&full_patient(), &tables(), View::Read);
        let expected = json!({
            "resourceType": "Patient",
            "id": "9000000009",
            "identifier": identifier_json(),
            "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U", "display": "unrestricted"}]},
            "name": [{"use": "usual", "given": ["Jane", "Anne"], "family": "Smith", "prefix": ["Mrs"]}],
            "gender": "female",
            "birthDate": "2010-10-22",
            "deceasedDateTime": "2020-01-02T13:45:00+00:00",
            "generalPractitioner": [{"type": "Organization",
                "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}}],
            "telecom": [
                {"period": {"start": "2020-01-01"}, "system": "phone", "value": "01632960587", "use": "home"},
                {"system": "phone", "value": "07700900000", "use": "mobile"},
                {"system": "email", "value": "jane.smith@example.com", "use": "work"},
                {"system": "fax", "value": "01632960588"}
            ],
            "address": [
                {"use": "home", "line": ["1 Trevelyan Square", "Boar Lane", "Leeds", "West Yorkshire"], "postalCode": "LS1 6AE"},
                {"use": "temp", "line": ["Student Halls", "Leeds"], "postalCode": "LS2 9JT"},
                {"use": "billing", "line": ["PO Box 1"]}
            ]
        });
        assert_eq!(serde_json::to_value(&out).unwrap(), expected);
        // no versionId: SMSP has no serial change number, so no ETag either
        assert!(out.meta.as_ref().unwrap().version_id.is_none());
        assert!(crate::fhir::format::is_date_time(
            out.deceased_date_time.as_deref().unwrap()
        ));
    }

    #[test]
    fn search_view_keeps_the_home_address_only() {
        let out = to_fhir(&full_patient(), &tables(), View::Search);
        assert_eq!(out.address.len(), 1);
        assert_eq!(out.address[0].use_.as_deref(), Some("home"));
        assert_eq!(out.telecom.len(), 4);
        assert_eq!(out.name.len(), 1);
        assert_eq!(out.general_practitioner.len(), 1);
    }

    #[test]
    fn search_view_drops_old_and_maiden_names() {
        let mut p = full_patient();
        p.name.as_mut().unwrap().use_code = Some("PREVIOUS-MAIDEN".into());
        assert_eq!(
            to_fhir(&p, &tables(), View::Read).name[0].use_.as_deref(),
            Some("maiden")
        );
        assert!(to_fhir(&p, &tables(), View::Search).name.is_empty());
    }

    #[test]
    fn restricted_record_is_labelled_r_and_keeps_identity_fields() {
        // As SMSP SPEC §8 infers for an S-flagged record: no addr, telecom or gPPractice.
        let mut p = domain::Patient::new(NhsNumber::parse("9000000025").unwrap());
        p.name = Some(PersonName {
            use_code: Some("L".into()),
            prefix: Some("Mrs".into()),
            given: vec!["Janet".into()],
            family: Some("Smythe".into()),
        });
        p.gender = Some(Gender::Female);
        p.birth_date = Some(PartialDate::full(2005, 6, 16).unwrap());
        let v = serde_json::to_value(to_fhir(&p, &tables(), View::Search)).unwrap();
        assert_eq!(
            v["meta"],
            json!({"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R", "display": "restricted"}]})
        );
        for absent in ["address", "telecom", "generalPractitioner"] {
            assert!(v.get(absent).is_none(), "{absent}");
        }
        assert_eq!(v["name"][0]["family"], "Smythe");
        assert_eq!(v["birthDate"], "2005-06-16");
    }

    #[test]
    fn partial_dates_and_minimal_records() {
        let mut p = domain::Patient::new(nhs());
        p.birth_date = Some(PartialDate::new(1946, Some(6), None).unwrap());
        p.deceased = Some((PartialDate::new(2019, None, None).unwrap(), None));
        p.gender = Some(Gender::NotSpecified);
        let out = to_fhir(&p, &tables(), View::Read);
        assert_eq!(out.birth_date.as_deref(), Some("1946-06"));
        assert_eq!(out.deceased_date_time.as_deref(), Some("2019"));
        assert_eq!(out.gender.as_deref(), Some("other"));
        assert!(out.name.is_empty());
        // date of death without a time stays a date
        p.deceased = Some((PartialDate::full(2019, 2, 28).unwrap(), None));
        assert_eq!(
            to_fhir(&p, &tables(), View::Read)
                .deceased_date_time
                .as_deref(),
            Some("2019-02-28")
        );
    }

    #[test]
    fn blank_names_addresses_and_gp_codes_are_left_out() {
        let mut p = domain::Patient::new(nhs());
        p.name = Some(PersonName {
            use_code: None,
            prefix: Some(" ".into()),
            given: vec!["".into()],
            family: None,
        });
        p.addresses = vec![domain::Address {
            use_code: Some("H".into()),
            postal_code: Some("".into()),
            lines: vec!["".into(); 5],
        }];
        p.gp = Some(GpPractice {
            ods_code: Some("".into()),
            ..GpPractice::default()
        });
        p.telecoms = vec![telecom("tel", " ", &["H"])];
        let out = to_fhir(&p, &tables(), View::Read);
        assert!(out.name.is_empty());
        assert!(out.address.is_empty());
        assert!(out.general_practitioner.is_empty());
        assert!(out.telecom.is_empty());
        // SMSP sent location elements, blank ones: "the Spine has this information and it is
        // blank" (SMSP SPEC §5.3), which is not how a restricted record looks (no elements at
        // all, §8), so the label stays U.
        assert_eq!(out.security_code(), Some("U"));
    }

    #[test]
    fn identifiers_only_and_search_hiding() {
        let v = serde_json::to_value(identifiers_only(&nhs())).unwrap();
        assert_eq!(
            v,
            json!({"resourceType": "Patient", "id": "9000000009", "identifier": identifier_json(),
                "meta": {"tag": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                    "code": "SUBSETTED", "display": "subsetted"}]}})
        );
        let search = |q: &str| crate::fhir::search::parse_str(q).unwrap();
        let with_postcode = search("family=Smythe&birthdate=2005-06-16&address-postalcode=LS1");
        let without = search("family=Smythe&birthdate=2005-06-16");
        let restricted = domain::Patient::new(nhs());
        assert!(hidden_from_search(&with_postcode, &restricted));
        assert!(!hidden_from_search(&without, &restricted));
        assert!(!hidden_from_search(&with_postcode, &full_patient()));
    }
}
