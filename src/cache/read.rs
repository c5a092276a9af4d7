//! `GET /Patient/{id}` through the cache (issue 4):
//! - with `X-SMSP-Birth-Date`: a hit only on the exact (number, date of birth) SMSP verified;
//!   any other date is a miss that goes to SMSP, which decides;
//! - without it: a hit only for the principal who traced the patient within the TTL
//!   (`principal::may_read_without_dob`); anyone else gets the core's 400 MISSING_VALUE.

use std::time::Instant;

use super::entry::Value;
use super::key::Key;
use super::principal::may_read_without_dob;
use super::service::{read_answer, storable, CachedService, Flight};
use crate::bridge::{Answer, ApiError, CacheStatus, Caller, ReadRequest};

impl CachedService {
    pub(super) async fn cached_read(
        &self,
        request: ReadRequest,
        caller: &Caller,
    ) -> Result<Answer, ApiError> {
        let nhs_number = request.nhs_number;
        let Some(dob) = request.birth_date else {
            if let Some(entry) = self.store.latest(nhs_number).await {
                if may_read_without_dob(&entry, caller, Instant::now(), self.store.ttl) {
                    // Not a new trace: the right lapses with the trace that granted it.
                    self.store.stats.hit();
                    return Ok(read_answer(&entry, CacheStatus::Hit));
                }
            }
            return self.inner.read(request, caller).await;
        };
        let key = Key::Patient(nhs_number, dob);
        if let Some(Value::Patient(entry)) = self.store.get(&key).await {
            entry.tracers.note(caller, Instant::now());
            self.store.stats.hit();
            return Ok(read_answer(&entry, CacheStatus::Hit));
        }
        match self.coalesce(key, self.fetch_read(request, caller)).await {
            Ok(Value::Patient(entry)) => {
                entry.tracers.note(caller, Instant::now());
                Ok(read_answer(&entry, CacheStatus::Miss))
            }
            Ok(_) => Err(ApiError::internal("The cache held an unexpected entry")),
            Err(flight) => flight.answer_for(caller),
        }
    }

    /// One SMSP read (through the core), sorted into what is stored under the request's key
    /// (`Ok`) and what is only passed on (`Err`).
    async fn fetch_read(&self, request: ReadRequest, caller: &Caller) -> Result<Value, Flight> {
        let nhs_number = request.nhs_number;
        let Some(dob) = request.birth_date else {
            return Err(Flight::Failed(ApiError::internal(
                "read without a date of birth",
            )));
        };
        let answer = self
            .inner
            .read(request, caller)
            .await
            .map_err(Flight::Failed)?;
        let Some((entry, verified)) = storable(&answer, dob) else {
            return Err(Flight::uncached(answer));
        };
        if verified && entry.nhs_number == nhs_number {
            // A concurrent search may have stored this record meanwhile: keep its tracers.
            if let Some(old) = self.store.patient(nhs_number, dob).await {
                entry.tracers.merge_from(&old.tracers);
            }
            self.store.index(&entry).await;
            self.store.stats.insert();
            Ok(Value::Patient(std::sync::Arc::new(entry)))
        } else {
            // Superseded (or, defensively, a record under another number): cached under the
            // record's own number only, so the old number always reaches SMSP.
            let linked = self.store.insert_patient(entry).await;
            self.store.maintain().await;
            Err(Flight::Uncached {
                answer,
                linked: Some(linked),
            })
        }
    }
}
