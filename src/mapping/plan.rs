//! Which SMSP interaction answers a FHIR request, and with which parameters (SMSP SPEC §4).
//! Every plan's `Query` passes `Query::check` for its interaction (unit-tested over all
//! request shapes), so the wire layer never sees a parameter set it must refuse.
//!
//! Search, with an NHS number (`identifier`):
//! - `_summary=count` with no gender or postcode → verifyNHSNumber (Cross Check Trace: NHS
//!   number + DOB (+ name)); the answer is a count of 0 or 1. With gender or postcode it uses
//!   getPatientDetails instead, because verifyNHSNumber cannot take them and dropping them
//!   would count patients the caller excluded.
//! - other demographics (family, given, gender, postcode) → getPatientDetails with all of them;
//! - birth date only → getPatientDetailsByNHSNumber.
//!
//! Search, without an NHS number (`family` is then present, `fhir::search` guarantees it):
//! - `_elements=identifier` or `_summary=count` with gender → getNHSNumber (the cheapest trace);
//!   without gender → getPatientDetails, rendered as identifiers only / a count (getNHSNumber
//!   requires gender, and sending "0 Not known" would match only patients recorded so);
//! - gender → getPatientDetailsBySearch; no gender → getPatientDetails.
//!
//! Note (SMSP SPEC §4.5, inferred from two public clients): some SMSPs may want a gender with
//! getPatientDetails when there is no NHS number and answer SMSP-0001 without one; the outcome
//! table turns that into 400 INVALID_VALUE naming SMSP-0001.

use crate::domain::{NhsNumber, PartialDate};
use crate::fhir::search::SearchRequest;
use crate::fhir::verify::VerifyRequest;
use crate::smsp::{Interaction, Query, QueryName};

pub fn search_plan(req: &SearchRequest) -> (Interaction, Query) {
    let name = query_name(req.given.as_deref(), req.family.as_deref());
    let mut q = Query::new(req.birth_date);
    let interaction = match req.nhs_number {
        Some(nhs) => {
            q.nhs_number = Some(nhs);
            let located = req.gender.is_some() || req.postcode.is_some();
            if req.summary_count && !located {
                Interaction::VerifyNhsNumber
            } else if located || name.is_some() {
                Interaction::GetPatientDetails
            } else {
                Interaction::GetPatientDetailsByNhsNumber
            }
        }
        None if (req.identifiers_only || req.summary_count) && req.gender.is_some() => {
            Interaction::GetNhsNumber
        }
        None if req.gender.is_some() => Interaction::GetPatientDetailsBySearch,
        None => Interaction::GetPatientDetails,
    };
    q.name = name;
    if interaction != Interaction::VerifyNhsNumber {
        q.gender = req.gender;
        q.postcode = req.postcode.clone();
    }
    (interaction, q)
}

/// `GET /Patient/{id}` with the date of birth from the `X-SMSP-Birth-Date` header (SMSP SPEC
/// §0.1: every request needs a DOB).
pub fn read_plan(nhs_number: NhsNumber, birth_date: PartialDate) -> (Interaction, Query) {
    let mut q = Query::new(birth_date);
    q.nhs_number = Some(nhs_number);
    (Interaction::GetPatientDetailsByNhsNumber, q)
}

/// `$verify-nhs-number` → verifyNHSNumber.
pub fn verify_plan(req: &VerifyRequest) -> (Interaction, Query) {
    let mut q = Query::new(req.birth_date);
    q.nhs_number = Some(req.nhs_number);
    q.name = req.name.clone();
    (Interaction::VerifyNhsNumber, q)
}

fn query_name(given: Option<&str>, family: Option<&str>) -> Option<QueryName> {
    (given.is_some() || family.is_some()).then(|| QueryName {
        given: given.map(str::to_string),
        family: family.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Gender;
    use Interaction::*;

    fn request() -> SearchRequest {
        SearchRequest {
            family: None,
            given: None,
            gender: None,
            birth_date: PartialDate::full(2010, 10, 22).unwrap(),
            postcode: None,
            nhs_number: None,
            identifiers_only: false,
            summary_count: false,
            format: None,
        }
    }

    fn nhs() -> NhsNumber {
        NhsNumber::parse("9000000009").unwrap()
    }

    /// Every combination of the request's optional parts.
    fn all_requests() -> Vec<SearchRequest> {
        let mut out = Vec::new();
        for bits in 0..(1u32 << 7) {
            let on = |i: u32| bits & (1 << i) != 0;
            let mut r = request();
            r.nhs_number = on(0).then(nhs);
            r.family = on(1).then(|| "Smith".into());
            r.given = on(2).then(|| "Jane".into());
            r.gender = on(3).then_some(Gender::Female);
            r.postcode = on(4).then(|| "LS1 6AE".into());
            r.identifiers_only = on(5);
            r.summary_count = on(6);
            // fhir::search guarantees family or an NHS number
            if r.family.is_some() || r.nhs_number.is_some() {
                out.push(r);
            }
        }
        out
    }

    #[test]
    fn every_plan_passes_query_check() {
        let all = all_requests();
        assert_eq!(all.len(), 96);
        for r in &all {
            let (i, q) = search_plan(r);
            assert_eq!(q.check(i), Ok(()), "{r:?} → {}", i.name());
            assert_eq!(q.birth_date, r.birth_date);
            assert_eq!(q.nhs_number, r.nhs_number);
            // nothing the caller sent is silently dropped, except by verify (which only
            // runs when there is no gender or postcode to drop)
            if i != VerifyNhsNumber {
                assert_eq!(q.gender, r.gender, "{r:?}");
                assert_eq!(q.postcode, r.postcode, "{r:?}");
            } else {
                assert!(r.gender.is_none() && r.postcode.is_none());
            }
            assert_eq!(q.name.as_ref().and_then(|n| n.family.clone()), r.family);
            assert_eq!(q.name.as_ref().and_then(|n| n.given.clone()), r.given);
        }
    }

    #[test]
    fn chooses_the_interaction_per_docs() {
        let mut r = request();
        r.nhs_number = Some(nhs());
        assert_eq!(search_plan(&r).0, GetPatientDetailsByNhsNumber);
        r.summary_count = true;
        assert_eq!(search_plan(&r).0, VerifyNhsNumber);
        r.family = Some("Smith".into());
        assert_eq!(search_plan(&r).0, VerifyNhsNumber);
        r.gender = Some(Gender::Female);
        assert_eq!(search_plan(&r).0, GetPatientDetails);
        r.summary_count = false;
        assert_eq!(search_plan(&r).0, GetPatientDetails);

        let mut r = request();
        r.family = Some("Smith".into());
        assert_eq!(search_plan(&r).0, GetPatientDetails);
        r.gender = Some(Gender::Male);
        assert_eq!(search_plan(&r).0, GetPatientDetailsBySearch);
        r.identifiers_only = true;
        assert_eq!(search_plan(&r).0, GetNhsNumber);
        r.gender = None;
        assert_eq!(search_plan(&r).0, GetPatientDetails);
        r.identifiers_only = false;
        r.summary_count = true;
        r.gender = Some(Gender::Male);
        assert_eq!(search_plan(&r).0, GetNhsNumber);
    }

    #[test]
    fn read_and_verify_plans_pass_query_check() {
        let (i, q) = read_plan(nhs(), PartialDate::full(2010, 10, 22).unwrap());
        assert_eq!(i, GetPatientDetailsByNhsNumber);
        assert_eq!(q.check(i), Ok(()));
        let v = VerifyRequest {
            nhs_number: nhs(),
            birth_date: PartialDate::full(2010, 10, 22).unwrap(),
            name: Some(QueryName {
                given: None,
                family: Some("Smith".into()),
            }),
        };
        let (i, q) = verify_plan(&v);
        assert_eq!(i, VerifyNhsNumber);
        assert_eq!(q.check(i), Ok(()));
        assert!(q.name.is_some());
    }
}
