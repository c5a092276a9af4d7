//! The simulator's business rules: a parsed query in, an outcome out. Deterministic ("a given
//! response object is deterministic for any given request object", SPEC §1) and exact-match only
//! (SPEC §0.5, §8). Every rule is listed in docs/SIMULATOR.md "Matching rules".

use super::dataset::{Dataset, RecordStatus, SimRecord};
use super::magic::{self, Forced, ItkCode};
use crate::domain::{Address, Gender, NhsNumber, PartialDate, Patient, PersonName, ResponseCode};
use crate::smsp::interaction::oid;
use crate::smsp::{Interaction, Query, ResponseBody, SmspResponse};

/// What the simulator decided, before it is written as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A business response (HTTP 200) with this code and, for data-bearing codes, a subject.
    Answer {
        code: ResponseCode,
        subject: Subject,
    },
    /// An ITK SOAP fault (HTTP 500).
    Fault(ItkCode),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    None,
    /// The patient as the response carries it (restriction applied, local id echoed).
    Patient(Box<Patient>),
    /// verifyNHSNumber only: VI=false for this identifier.
    NotValid(NhsNumber),
}

impl Outcome {
    fn code(code: ResponseCode) -> Self {
        Outcome::Answer {
            code,
            subject: Subject::None,
        }
    }

    fn patient(code: ResponseCode, p: Patient) -> Self {
        Outcome::Answer {
            code,
            subject: Subject::Patient(Box::new(p)),
        }
    }

    /// The response body for `interaction` (SPEC §5.1–5.3); `None` for a fault.
    pub fn into_response(self, interaction: Interaction) -> Option<SmspResponse> {
        let Outcome::Answer { code, subject } = self else {
            return None;
        };
        let body = match (interaction, subject) {
            (Interaction::VerifyNhsNumber, Subject::Patient(p)) => ResponseBody::Verify {
                valid: Some(true),
                identifier: Some(p.nhs_number.to_string()),
            },
            (Interaction::VerifyNhsNumber, Subject::NotValid(n)) => ResponseBody::Verify {
                valid: Some(false),
                identifier: Some(n.to_string()),
            },
            (Interaction::VerifyNhsNumber, Subject::None) => ResponseBody::Verify {
                valid: None,
                identifier: None,
            },
            (Interaction::GetNhsNumber, Subject::Patient(p)) => ResponseBody::NhsNumber {
                nhs_number: Some(p.nhs_number),
                local_identifier: p.local_identifier,
            },
            (Interaction::GetNhsNumber, _) => ResponseBody::NhsNumber {
                nhs_number: None,
                local_identifier: None,
            },
            (_, Subject::Patient(p)) => ResponseBody::PatientDetails(Some(p)),
            (_, _) => ResponseBody::PatientDetails(None),
        };
        Some(SmspResponse {
            message_id: None,
            code,
            body,
        })
    }
}

/// Decides the outcome of one well-formed request.
pub fn decide(data: &Dataset, interaction: Interaction, q: &Query) -> Outcome {
    if let Some(forced) = magic_for(q) {
        return forced_outcome(interaction, q, forced);
    }
    if let Err(code) = business_rules(interaction, q) {
        return Outcome::code(code);
    }
    match q.nhs_number {
        Some(n) => by_number(data, interaction, q, n),
        None => search(data, q),
    }
}

fn magic_for(q: &Query) -> Option<&'static magic::MagicEntry> {
    if let Some(n) = &q.nhs_number {
        return magic::by_number(n);
    }
    q.name
        .as_ref()
        .and_then(|n| n.family.as_deref())
        .and_then(magic::by_family)
}

/// Parameter rules the schema cannot express (SPEC §0.2, §4.5) → SMSP-0001.
fn business_rules(interaction: Interaction, q: &Query) -> Result<(), ResponseCode> {
    use Interaction::*;
    let bad = Err(ResponseCode::InputValidation);
    // TimestampType1 DOBs are YYYYMMDD; only getNHSNumber (Type4) may carry a partial date.
    if interaction != GetNhsNumber && !q.birth_date.is_full() {
        return bad;
    }
    let has_family = q
        .name
        .as_ref()
        .is_some_and(|n| non_blank(n.family.as_deref()));
    match interaction {
        VerifyNhsNumber | GetPatientDetailsByNhsNumber if q.nhs_number.is_none() => bad,
        GetNhsNumber | GetPatientDetailsBySearch if !has_family || q.gender.is_none() => bad,
        // Without an NHS number, getPatientDetails traces on family + DOB; gender is optional
        // in its schema (QUPA_MT000005GB01, SMSP SPEC §4.5), unlike getPatientDetailsBySearch's.
        GetPatientDetails if q.nhs_number.is_none() && !has_family => bad,
        _ => Ok(()),
    }
}

fn non_blank(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

fn forced_outcome(interaction: Interaction, q: &Query, entry: &magic::MagicEntry) -> Outcome {
    match (entry.forced)() {
        Forced::Fault(itk) => Outcome::Fault(itk),
        Forced::NotValid if interaction == Interaction::VerifyNhsNumber => Outcome::Answer {
            code: ResponseCode::Success,
            subject: Subject::NotValid(entry.number()),
        },
        Forced::NotValid => Outcome::code(ResponseCode::NoMatch),
        Forced::Code(code) if code.carries_data() => {
            Outcome::patient(code.clone(), canned_patient(q, magic::canned_number(&code)))
        }
        Forced::Code(code) => Outcome::code(code),
    }
}

/// The patient a data-bearing magic code returns: it takes the request's DOB and gender so the
/// bridge's own consistency checks pass whatever was asked.
fn canned_patient(q: &Query, number: NhsNumber) -> Patient {
    let mut p = Patient::new(number);
    p.name = Some(PersonName {
        use_code: Some("L".into()),
        prefix: Some("MX".into()),
        given: vec!["MAGIC".into()],
        family: Some("SIMULATOR".into()),
    });
    p.gender = Some(q.gender.unwrap_or(Gender::NotKnown));
    p.birth_date = Some(q.birth_date);
    p.addresses = vec![Address {
        use_code: Some("H".into()),
        postal_code: Some("ZZ99 3VZ".into()),
        lines: vec![
            String::new(),
            "1 SIMULATOR ROAD".into(),
            String::new(),
            "TESTTOWN".into(),
            String::new(),
        ],
    }];
    p.gp = Some(crate::domain::GpPractice {
        ods_code: Some("Z99001".into()),
        ods_root: Some(oid::ODS_SITE.into()),
        name: Some("SIMULATOR SURGERY".into()),
        address: None,
        telecom: None,
    });
    p.local_identifier = q.local_identifier.clone();
    p
}

/// verifyNHSNumber, getPatientDetailsByNHSNumber and getPatientDetails with a number: a PDS
/// Cross-Check Trace (SPEC §1): the number must exist and the DOB (and name, gender when sent)
/// must agree with the record.
fn by_number(data: &Dataset, interaction: Interaction, q: &Query, n: NhsNumber) -> Outcome {
    let verify = interaction == Interaction::VerifyNhsNumber;
    let Some(mut rec) = data.get(&n) else {
        // The official example answers an unknown number SMSP-0000 with VI=false (SPEC §5.1).
        return if verify {
            Outcome::Answer {
                code: ResponseCode::Success,
                subject: Subject::NotValid(n),
            }
        } else {
            Outcome::code(ResponseCode::NoMatch)
        };
    };
    let mut code = ResponseCode::Success;
    // Follow a merge to the surviving record; a short chain at most (guards against cycles).
    for _ in 0..4 {
        match rec.status {
            RecordStatus::Invalidated => return Outcome::code(ResponseCode::Invalidated),
            RecordStatus::SupersededBy(new) => match data.get(&new) {
                Some(next) => {
                    rec = next;
                    code = ResponseCode::Superseded;
                }
                None => return Outcome::code(ResponseCode::SpineError),
            },
            RecordStatus::Active => break,
        }
    }
    if !matches!(rec.status, RecordStatus::Active) {
        return Outcome::code(ResponseCode::SpineError);
    }
    let p = &rec.patient;
    let name_ok = q.name.as_ref().is_none_or(|n| {
        text_matches(
            n.family.as_deref(),
            p.name.as_ref().and_then(|x| x.family.as_deref()),
        ) && given_matches(n.given.as_deref(), p.name.as_ref())
    });
    let gender_ok = q.gender.is_none_or(|g| p.gender == Some(g));
    if !dob_matches(p.birth_date, q.birth_date) || !name_ok || !gender_ok {
        return Outcome::code(ResponseCode::NotVerified);
    }
    Outcome::patient(code, respond_with(rec, q))
}

/// getNHSNumber, getPatientDetailsBySearch and getPatientDetails without a number: a Simple
/// Trace on family + gender + DOB, narrowed by given name and postcode when sent. Unique
/// matches only (SPEC §0.5): none → DEMOG-0001, several → DEMOG-0007 with no subject.
fn search(data: &Dataset, q: &Query) -> Outcome {
    let name = q.name.as_ref();
    let mut found = data.records().iter().filter(|r| {
        let p = &r.patient;
        !matches!(r.status, RecordStatus::SupersededBy(_))
            && dob_matches(p.birth_date, q.birth_date)
            && q.gender.is_none_or(|g| p.gender == Some(g))
            && text_matches(
                name.and_then(|n| n.family.as_deref()),
                p.name.as_ref().and_then(|x| x.family.as_deref()),
            )
            && given_matches(name.and_then(|n| n.given.as_deref()), p.name.as_ref())
            && postcode_matches(q.postcode.as_deref(), p)
    });
    match (found.next(), found.next()) {
        (None, _) => Outcome::code(ResponseCode::NoMatch),
        (Some(_), Some(_)) => Outcome::code(ResponseCode::MultipleMatches),
        (Some(r), None) if r.status == RecordStatus::Invalidated => {
            Outcome::code(ResponseCode::Invalidated)
        }
        (Some(r), None) => Outcome::patient(ResponseCode::Success, respond_with(r, q)),
    }
}

/// The record as the response carries it: restricted records lose every location field
/// (SPEC §8, as PDS FHIR does for restricted patients), and the local identifier is echoed.
fn respond_with(rec: &SimRecord, q: &Query) -> Patient {
    let mut p = rec.patient.clone();
    if rec.sensitive {
        p.addresses.clear();
        p.telecoms.clear();
        p.gp = None;
    }
    p.local_identifier = q.local_identifier.clone();
    p
}

/// Dates agree on the precision both hold: a record with a partial DOB (`1950`, `195003`)
/// matches any full date inside it, as PDS holds some legacy DOBs only partially (SPEC §3).
pub fn dob_matches(stored: Option<PartialDate>, asked: PartialDate) -> bool {
    let Some(s) = stored else {
        return false;
    };
    let agree = |a: Option<u8>, b: Option<u8>| match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    s.year() == asked.year() && agree(s.month(), asked.month()) && agree(s.day(), asked.day())
}

/// Exact, case-insensitive (Unicode) comparison of trimmed text; an absent query value matches.
fn text_matches(asked: Option<&str>, stored: Option<&str>) -> bool {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => true,
        Some(a) => stored.is_some_and(|s| fold(s) == fold(a)),
    }
}

fn given_matches(asked: Option<&str>, name: Option<&PersonName>) -> bool {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => true,
        Some(a) => name.is_some_and(|n| n.given.iter().any(|g| fold(g) == fold(a))),
    }
}

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Postcodes compare ignoring spaces and case (`LS14HY` = `ls1 4hy`), against the usual (H)
/// address only.
fn postcode_matches(asked: Option<&str>, p: &Patient) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect()
    };
    match asked.map(norm).filter(|s| !s.is_empty()) {
        None => true,
        Some(a) => p
            .addresses
            .iter()
            .filter(|ad| ad.use_code.as_deref() == Some("H"))
            .filter_map(|ad| ad.postal_code.as_deref())
            .any(|pc| norm(pc) == a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsp::QueryName;

    fn date(s: &str) -> PartialDate {
        PartialDate::parse_hl7(s).unwrap()
    }

    #[test]
    fn partial_dobs_match_on_common_precision() {
        assert!(dob_matches(Some(date("1950")), date("19500607")));
        assert!(dob_matches(Some(date("195006")), date("19500607")));
        assert!(!dob_matches(Some(date("195007")), date("19500607")));
        assert!(dob_matches(Some(date("19500607")), date("19500607")));
        assert!(!dob_matches(Some(date("19500608")), date("19500607")));
        assert!(!dob_matches(None, date("19500607")));
    }

    #[test]
    fn names_and_postcodes_compare_exactly_ignoring_case_and_spaces() {
        assert!(text_matches(Some("zoë"), Some("ZOË")));
        assert!(text_matches(Some(" ångström "), Some("ÅNGSTRÖM")));
        assert!(!text_matches(Some("SMIT"), Some("SMITH")));
        let mut p = Patient::new(NhsNumber::parse("9990001006").unwrap());
        p.addresses.push(Address {
            use_code: Some("H".into()),
            postal_code: Some("LS14HY".into()),
            lines: vec![String::new(); 5],
        });
        assert!(postcode_matches(Some("ls1 4hy"), &p));
        assert!(!postcode_matches(Some("LS1 4HZ"), &p));
    }

    #[test]
    fn searches_need_family_and_gender_and_full_dobs_outside_get_nhs_number() {
        let mut q = Query::new(date("199001"));
        q.gender = Some(Gender::Male);
        q.name = Some(QueryName {
            given: None,
            family: Some("X".into()),
        });
        assert!(business_rules(Interaction::GetNhsNumber, &q).is_ok());
        assert!(business_rules(Interaction::GetPatientDetailsBySearch, &q).is_err());
        let mut q = Query::new(date("19900101"));
        q.name = Some(QueryName {
            given: Some("A".into()),
            family: None,
        });
        q.gender = Some(Gender::Male);
        assert!(business_rules(Interaction::GetPatientDetails, &q).is_err());
        // the combined interaction traces on family + DOB without gender
        q.gender = None;
        q.name = Some(QueryName {
            given: None,
            family: Some("X".into()),
        });
        assert!(business_rules(Interaction::GetPatientDetails, &q).is_ok());
    }

    #[test]
    fn magic_numbers_force_outcomes_with_canned_data_where_codes_carry_it() {
        let data = Dataset::default();
        let mut q = Query::new(date("20000101"));
        q.nhs_number = Some(magic::by_label("SMSP-0003").unwrap().number());
        let out = decide(&data, Interaction::GetPatientDetailsByNhsNumber, &q);
        let Outcome::Answer {
            code,
            subject: Subject::Patient(p),
        } = out
        else {
            panic!()
        };
        assert_eq!(code, ResponseCode::LocalStore);
        assert_eq!(p.birth_date, Some(date("20000101")));
        q.nhs_number = Some(magic::by_label("ITK-2100").unwrap().number());
        assert_eq!(
            decide(&data, Interaction::VerifyNhsNumber, &q),
            Outcome::Fault(ItkCode::Retryable)
        );
        q.nhs_number = Some(magic::by_label("VI-FALSE").unwrap().number());
        let resp = decide(&data, Interaction::VerifyNhsNumber, &q)
            .into_response(Interaction::VerifyNhsNumber)
            .unwrap();
        assert_eq!(
            resp.body,
            ResponseBody::Verify {
                valid: Some(false),
                identifier: Some("9990000026".into())
            }
        );
    }
}
