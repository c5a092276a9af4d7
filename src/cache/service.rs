//! `CachedService`: the `PatientService` the edge calls when the cache is on. It answers what
//! it verified recently and passes everything else to the core (the service it wraps).
//!
//! Concurrent identical misses are coalesced with moka's `try_get_with` (issue 4): one SMSP
//! call, every waiter gets its answer or its error. `try_get_with` caches every `Ok` and no
//! `Err`, so an answer that must not be cached (SMSP-0003, no match, …) travels to the waiters
//! as the `Err` side, `Flight::Uncached`, next to real failures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;

use super::entry::{PatientEntry, SearchEntry, Value};
use super::key::Key;
use super::store::Store;
use super::verdict::{verdict, Verdict};
use crate::bridge::{
    Answer, ApiError, CacheStatus, Caller, PatientRecord, PatientService, ReadRequest,
};
use crate::domain::PartialDate;
use crate::fhir::{SearchRequest, VerifyRequest};

pub struct CachedService {
    pub(super) inner: Arc<dyn PatientService>,
    pub(super) store: Arc<Store>,
}

/// The outcome of a miss that is not stored under the request's key.
pub(super) enum Flight {
    /// An answer to pass on but not cache; `linked` is the record it verified under another
    /// key (DEMOG-0017: the superseding number), so each waiter is recorded as its tracer.
    Uncached {
        answer: Answer,
        linked: Option<Arc<PatientEntry>>,
    },
    Failed(ApiError),
}

/// What a core answer offers the cache (`verdict`): the entry for the record it returned, with
/// its READ view rendered (a read's own answer; a search's deferred view is rendered here,
/// where it is kept), and whether it is verified for the request (`false`: DEMOG-0017, the
/// superseding record). `None`: nothing to keep; the answer is only passed on.
pub(super) fn storable(answer: &Answer, verified_dob: PartialDate) -> Option<(PatientEntry, bool)> {
    let (record, verified) = match verdict(answer) {
        Verdict::Verified(record) => (record, true),
        Verdict::Superseded(record) => (record, false),
        Verdict::Never => return None,
    };
    // `verdict` found the trace; a render that fails leaves the answer uncached.
    let body = record.read_body().ok()?;
    let trace = answer.smsp.clone()?;
    let entry = PatientEntry::new(record.nhs_number, verified_dob, body, trace);
    Some((entry, verified))
}

impl Flight {
    /// An answer passed on as it is, with no record kept for it.
    pub(super) fn uncached(answer: Answer) -> Self {
        Flight::Uncached {
            answer,
            linked: None,
        }
    }

    /// This flight's result for one of the requests that waited on it.
    pub(super) fn answer_for(&self, caller: &Caller) -> Result<Answer, ApiError> {
        match self {
            Flight::Uncached { answer, linked } => {
                if let Some(entry) = linked {
                    entry.tracers.note(caller, Instant::now());
                }
                let mut a = answer.clone();
                a.cache = CacheStatus::Miss;
                Ok(a)
            }
            Flight::Failed(e) => Err(e.clone()),
        }
    }
}

impl CachedService {
    pub fn new(inner: Arc<dyn PatientService>, store: Arc<Store>) -> Self {
        Self { inner, store }
    }

    /// A miss: one `fetch` for all concurrent identical misses of `key` (moka's
    /// `try_get_with`). Counts this request as the miss that ran the fetch or as a coalesced
    /// wait, and applies the size bounds once a new entry went in.
    ///
    /// Boxed: the miss's state (moka's coalescing, the SMSP call) would otherwise be part of
    /// every cached read's and search's future, hits included, which are built and moved by
    /// value (~12 KB copied per hit, issue 9).
    pub(super) fn coalesce<'a>(
        &'a self,
        key: Key,
        fetch: impl std::future::Future<Output = Result<Value, Flight>> + Send + 'a,
    ) -> BoxFuture<'a, Result<Value, Arc<Flight>>> {
        Box::pin(async move {
            let ran = AtomicBool::new(false);
            let fetched = self
                .store
                .cache()
                .try_get_with(key, async {
                    ran.store(true, Ordering::Relaxed);
                    fetch.await
                })
                .await;
            if ran.load(Ordering::Relaxed) {
                self.store.stats.miss();
                if fetched.is_ok() {
                    self.store.maintain().await;
                }
            } else {
                self.store.stats.coalesced();
            }
            fetched
        })
    }
}

/// A read answered from a verified record: its bytes as they are.
pub(super) fn read_answer(entry: &PatientEntry, cache: CacheStatus) -> Answer {
    Answer {
        status: 200,
        body: entry.body.clone(),
        warning: None,
        smsp: Some(entry.trace.clone()),
        nhs_numbers: vec![entry.nhs_number.to_string()],
        cache,
        record: Some(record_of(entry)),
    }
}

/// The record a cached answer rests on, as the core attaches it (layers above, such as the
/// shadow comparison, treat hits and misses alike).
fn record_of(entry: &PatientEntry) -> PatientRecord {
    PatientRecord::rendered(entry.nhs_number, entry.body.clone())
}

/// A search answered from a cached searchset.
pub(super) fn search_answer(entry: &SearchEntry, body: bytes::Bytes, cache: CacheStatus) -> Answer {
    Answer {
        status: 200,
        body,
        warning: entry.warning.clone(),
        smsp: Some(entry.trace.clone()),
        nhs_numbers: vec![entry.patient.nhs_number.to_string()],
        cache,
        record: Some(record_of(&entry.patient)),
    }
}

impl PatientService for CachedService {
    fn read<'a>(
        &'a self,
        request: ReadRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(self.cached_read(request, caller))
    }

    fn search<'a>(
        &'a self,
        request: SearchRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        Box::pin(self.cached_search(request, caller))
    }

    /// `$verify-nhs-number` returns no patient: never cached (X-Cache: BYPASS).
    fn verify<'a>(
        &'a self,
        request: VerifyRequest,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Answer, ApiError>> {
        self.inner.verify(request, caller)
    }

    fn public_base_url(&self) -> &str {
        self.inner.public_base_url()
    }

    fn tables(&self) -> &crate::mapping::Tables {
        self.inner.tables()
    }
}
