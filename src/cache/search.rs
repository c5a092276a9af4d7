//! `GET /Patient?…` through the cache (issue 4): a search by its normalised parameters →
//! the verified patient it found. The whole searchset is kept as bytes and restamped on a hit;
//! the patient's READ view is stored too, so the principal who searched may then read it
//! without a date of birth.
//!
//! Only searches whose SMSP interaction returns a record are consulted (`mapping::search_plan`:
//! getPatientDetailsByNHSNumber, getPatientDetailsBySearch, getPatientDetails). `_summary=count`
//! and the getNHSNumber/verifyNHSNumber plans return no patient: BYPASS.

use std::sync::Arc;
use std::time::Instant;

use super::entry::{SearchEntry, Value};
use super::key::{Key, SearchKey};
use super::service::{search_answer, storable, CachedService, Flight};
use crate::bridge::{Answer, ApiError, CacheStatus, Caller};
use crate::fhir::SearchRequest;
use crate::mapping::search_plan;
use crate::smsp::Interaction;

/// Whether the cache is consulted for this search at all.
pub fn cacheable(request: &SearchRequest) -> bool {
    !request.summary_count
        && matches!(
            search_plan(request).0,
            Interaction::GetPatientDetailsByNhsNumber
                | Interaction::GetPatientDetailsBySearch
                | Interaction::GetPatientDetails
        )
}

impl CachedService {
    pub(super) async fn cached_search(
        &self,
        request: SearchRequest,
        caller: &Caller,
    ) -> Result<Answer, ApiError> {
        if !cacheable(&request) {
            return self.inner.search(request, caller).await;
        }
        let key = Key::Search(SearchKey::of(&request));
        if let Some(Value::Search(entry)) = self.store.get(&key).await {
            if self.store.is_live(&entry.patient).await {
                entry.patient.tracers.note(caller, Instant::now());
                self.store.stats.hit();
                let body = entry.body_at(chrono::Utc::now());
                return Ok(search_answer(&entry, body, CacheStatus::Hit));
            }
            // Its record was purged, evicted or re-verified: verify the search again.
            self.store.invalidate(&key).await;
        }
        match self.coalesce(key, self.fetch_search(request, caller)).await {
            Ok(Value::Search(entry)) => {
                entry.patient.tracers.note(caller, Instant::now());
                Ok(search_answer(&entry, entry.body.clone(), CacheStatus::Miss))
            }
            Ok(_) => Err(ApiError::internal("The cache held an unexpected entry")),
            Err(flight) => flight.answer_for(caller),
        }
    }

    async fn fetch_search(&self, request: SearchRequest, caller: &Caller) -> Result<Value, Flight> {
        let dob = request.birth_date;
        let asked = request.nhs_number;
        let answer = self
            .inner
            .search(request, caller)
            .await
            .map_err(Flight::Failed)?;
        let Some((entry, verified)) = storable(&answer, dob) else {
            return Err(Flight::uncached(answer));
        };
        let patient = self.store.insert_patient(entry).await;
        let names_it = answer
            .nhs_numbers
            .iter()
            .any(|n| n == patient.nhs_number.as_str());
        if verified && names_it && asked.is_none_or(|n| n == patient.nhs_number) {
            self.store.stats.insert();
            let trace = patient.trace.clone();
            let entry =
                SearchEntry::new(patient, answer.body.clone(), answer.warning.clone(), trace);
            Ok(Value::Search(Arc::new(entry)))
        } else {
            // Superseded: the search named the old number; only the record is kept.
            Err(Flight::Uncached {
                answer,
                linked: names_it.then_some(patient),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NhsNumber, PartialDate};

    fn search(query: &str) -> SearchRequest {
        crate::fhir::search::parse_str(query).unwrap()
    }

    #[test]
    fn only_searches_that_return_a_record_are_consulted() {
        for (query, consulted) in [
            // getPatientDetailsBySearch
            ("family=Fairweather&gender=male&birthdate=1980-01-15", true),
            // getPatientDetails (no gender), also when only identifiers are asked for
            ("family=Fairweather&birthdate=1980-01-15", true),
            (
                "family=Fairweather&birthdate=1980-01-15&_elements=identifier",
                true,
            ),
            // getNHSNumber: a number, no record
            (
                "family=Fairweather&gender=male&birthdate=1980-01-15&_elements=identifier",
                false,
            ),
            (
                "family=Fairweather&gender=male&birthdate=1980-01-15&_summary=count",
                false,
            ),
            // by number: getPatientDetailsByNHSNumber; with a count, verifyNHSNumber
            ("identifier=9990001006&birthdate=1980-01-15", true),
            (
                "identifier=9990001006&birthdate=1980-01-15&_summary=count",
                false,
            ),
        ] {
            assert_eq!(cacheable(&search(query)), consulted, "{query}");
        }
    }

    /// Issue 4: the principal who searched reads without a date of birth and gets exactly the
    /// bytes a read with one returns, although the core left the READ view for the cache to
    /// render when it stored the record.
    #[tokio::test]
    async fn a_dob_less_read_after_a_search_is_the_read_view_byte_for_byte() {
        use crate::bridge::{Bridge, PatientService, ReadRequest};
        let core: Arc<dyn PatientService> = Arc::new(Bridge::new(
            Arc::new(crate::sim::InProcessClient::builtin()),
            Arc::new(crate::mapping::Tables::embedded().unwrap()),
            &crate::config::Settings::default(),
        ));
        let layer =
            super::super::CacheLayer::build(core.clone(), &super::super::CacheSettings::default())
                .unwrap();
        let caller = Caller::anonymous(Some("Y12345".into()));
        let oliver_search = search("family=FAIRWEATHER&gender=male&birthdate=1980-01-15");
        let s = layer.service.search(oliver_search, &caller).await.unwrap();
        assert_eq!(s.cache, CacheStatus::Miss);
        let oliver = NhsNumber::parse("9990001006").unwrap();
        let without_dob = ReadRequest {
            nhs_number: oliver,
            birth_date: None,
        };
        let hit = layer.service.read(without_dob, &caller).await.unwrap();
        assert_eq!(hit.cache, CacheStatus::Hit);
        let with_dob = ReadRequest {
            nhs_number: oliver,
            birth_date: Some(PartialDate::full(1980, 1, 15).unwrap()),
        };
        let read = core.read(with_dob, &caller).await.unwrap();
        assert_eq!(hit.body, read.body);
    }
}
