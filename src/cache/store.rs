//! The moka cache behind the layer: bounded by entry count **and** bytes, with a TTL, LRU
//! eviction and purge (issue 4).
//!
//! moka bounds one weighted capacity. Both bounds are kept by weighing each entry as
//! `max(its bytes, max_bytes / max_entries)` against a capacity of `max_bytes`: the sum of
//! bytes then never exceeds `max_bytes`, and since every entry weighs at least
//! `max_bytes / max_entries`, there are never more than `max_entries`.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;

use super::entry::{PatientEntry, Value};
use super::key::Key;
use super::settings::CacheSettings;
use super::stats::CacheStats;
use crate::domain::NhsNumber;

/// foldhash rather than moka's default SipHash (issue 9: a visible share of a cache hit). Keys
/// are checksummed NHS numbers and dates that the edge validated; the per-process random seed
/// keeps their bucket order unpredictable all the same.
type Hasher = foldhash::fast::RandomState;

pub struct Store {
    cache: Cache<Key, Value, Hasher>,
    pub stats: Arc<CacheStats>,
    pub ttl: Duration,
}

impl Store {
    pub fn new(settings: &CacheSettings, stats: Arc<CacheStats>) -> Self {
        let unit = (settings.max_bytes / settings.max_entries.max(1)).max(1);
        let listener_stats = stats.clone();
        let ttl = Duration::from_secs(settings.ttl_seconds);
        let cache = Cache::builder()
            .max_capacity(settings.max_bytes)
            .weigher(move |k: &Key, v: &Value| weigh(k, v, unit))
            .time_to_live(ttl)
            // LRU, not moka's default TinyLFU admission: a newly verified result is always
            // admitted (it is the one most likely to be read next: "trace, then read").
            .eviction_policy(EvictionPolicy::lru())
            .support_invalidation_closures()
            .eviction_listener(move |_k, _v, cause| match cause {
                RemovalCause::Size => listener_stats.eviction(),
                RemovalCause::Expired => listener_stats.expiration(),
                RemovalCause::Explicit | RemovalCause::Replaced => {}
            })
            .build_with_hasher(Hasher::default());
        Self { cache, stats, ttl }
    }

    pub fn cache(&self) -> &Cache<Key, Value, Hasher> {
        &self.cache
    }

    pub async fn get(&self, key: &Key) -> Option<Value> {
        self.cache.get(key).await
    }

    pub async fn patient(
        &self,
        nhs_number: NhsNumber,
        dob: crate::domain::PartialDate,
    ) -> Option<Arc<PatientEntry>> {
        match self.cache.get(&Key::Patient(nhs_number, dob)).await {
            Some(Value::Patient(p)) => Some(p),
            _ => None,
        }
    }

    /// The latest verified record for a number, whatever DOB verified it (DOB-less reads).
    pub async fn latest(&self, nhs_number: NhsNumber) -> Option<Arc<PatientEntry>> {
        match self.cache.get(&Key::Number(nhs_number)).await {
            Some(Value::Number(dob)) => self.patient(nhs_number, dob).await,
            _ => None,
        }
    }

    /// Whether `entry` is still the live record under its key (not purged, evicted or
    /// replaced by a newer verification).
    pub async fn is_live(&self, entry: &Arc<PatientEntry>) -> bool {
        self.patient(entry.nhs_number, entry.verified_dob)
            .await
            .is_some_and(|live| Arc::ptr_eq(&live, entry))
    }

    /// Points the number index at a record about to be stored under `Key::Patient`.
    pub async fn index(&self, entry: &PatientEntry) {
        self.cache
            .insert(
                Key::Number(entry.nhs_number),
                Value::Number(entry.verified_dob),
            )
            .await;
    }

    /// Stores a verified record (and its index), keeping the traces of the record it replaces.
    pub async fn insert_patient(&self, entry: PatientEntry) -> Arc<PatientEntry> {
        if let Some(old) = self.patient(entry.nhs_number, entry.verified_dob).await {
            entry.tracers.merge_from(&old.tracers);
        }
        let entry = Arc::new(entry);
        self.index(&entry).await;
        self.cache
            .insert(
                Key::Patient(entry.nhs_number, entry.verified_dob),
                Value::Patient(entry.clone()),
            )
            .await;
        self.stats.insert();
        entry
    }

    pub async fn invalidate(&self, key: &Key) {
        self.cache.invalidate(key).await;
    }

    /// Applies evictions and expirations now (moka otherwise batches them), so the bounds
    /// and the eviction counter are exact as soon as a miss has stored its result.
    pub async fn maintain(&self) {
        self.cache.run_pending_tasks().await;
    }

    /// `DELETE /_cache`.
    pub async fn purge_all(&self) {
        self.cache.invalidate_all();
        self.cache.run_pending_tasks().await;
    }

    /// `DELETE /_cache/Patient/{id}`: the record, its index and every search that found it.
    /// moka guarantees no read returns an entry the predicate matches once this returns.
    pub async fn purge_patient(&self, nhs_number: NhsNumber) -> anyhow::Result<()> {
        self.cache
            .invalidate_entries_if(move |k, v| {
                k.nhs_number() == Some(nhs_number) || v.nhs_number() == Some(nhs_number)
            })
            .map_err(|e| anyhow::anyhow!("cache purge failed: {e}"))?;
        self.cache.run_pending_tasks().await;
        Ok(())
    }

    /// Entries held, after pending maintenance.
    pub async fn entry_count(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }
}

/// `max(bytes, unit)`, in moka's `u32`.
fn weigh(k: &Key, v: &Value, unit: u64) -> u32 {
    let bytes = (k.weight_bytes() + v.weight_bytes()) as u64;
    bytes.max(unit).min(u32::MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::SmspTrace;
    use crate::domain::PartialDate;
    use crate::smsp::Interaction;
    use bytes::Bytes;

    fn entry(stem: u32, body_len: usize) -> PatientEntry {
        PatientEntry::new(
            NhsNumber::from_stem(stem).unwrap(),
            PartialDate::full(1980, 1, 15).unwrap(),
            Bytes::from(vec![b' '; body_len]),
            SmspTrace {
                interaction: Interaction::GetPatientDetailsByNhsNumber,
                message_id: None,
                outcome: "SMSP-0000".into(),
            },
        )
    }

    fn stems() -> impl Iterator<Item = u32> {
        (999000100..).filter(|s| NhsNumber::from_stem(*s).is_some())
    }

    fn settings(max_entries: u64, max_bytes: u64) -> CacheSettings {
        CacheSettings {
            max_entries,
            max_bytes,
            ..CacheSettings::default()
        }
    }

    #[tokio::test]
    async fn the_entry_count_bound_holds_and_evictions_are_counted() {
        let stats = Arc::new(CacheStats::default());
        let store = Store::new(&settings(6, 64 * 1024 * 1024), stats.clone());
        for stem in stems().take(10) {
            store.insert_patient(entry(stem, 100)).await;
            store.maintain().await;
        }
        // Each record is two entries (record + number index).
        assert!(store.entry_count().await <= 6);
        let s = stats.snapshot();
        assert_eq!(s.inserts, 10);
        assert_eq!(s.evictions, 20 - store.entry_count().await);
    }

    #[tokio::test]
    async fn the_byte_bound_holds() {
        let stats = Arc::new(CacheStats::default());
        // 100 entries allowed by count, but only ~40 KB: 10 KB bodies fit three at a time.
        let store = Store::new(&settings(100, 40 * 1024), stats.clone());
        for stem in stems().take(10) {
            store.insert_patient(entry(stem, 10 * 1024)).await;
            store.maintain().await;
        }
        store.maintain().await;
        assert!(store.cache().weighted_size() <= 40 * 1024);
        assert!(stats.snapshot().evictions > 0);
        // The most recent record survived (LRU admits new entries).
        let last = stems().take(10).last().unwrap();
        let n = NhsNumber::from_stem(last).unwrap();
        assert!(store.latest(n).await.is_some());
    }

    #[tokio::test]
    async fn purge_patient_removes_its_record_and_index_only() {
        let stats = Arc::new(CacheStats::default());
        let store = Store::new(&CacheSettings::default(), stats);
        let mut numbers = Vec::new();
        for stem in stems().take(2) {
            numbers.push(store.insert_patient(entry(stem, 10)).await.nhs_number);
        }
        store.purge_patient(numbers[0]).await.unwrap();
        assert!(store.latest(numbers[0]).await.is_none());
        assert!(store.get(&Key::Number(numbers[0])).await.is_none());
        assert!(store.latest(numbers[1]).await.is_some());
        store.purge_all().await;
        assert!(store.latest(numbers[1]).await.is_none());
        assert_eq!(store.entry_count().await, 0);
    }

    #[test]
    fn weights_keep_both_bounds() {
        let e = Value::Number(PartialDate::full(1980, 1, 15).unwrap());
        let k = Key::Number(NhsNumber::from_stem(999000100).unwrap());
        assert_eq!(weigh(&k, &e, 1000), 1000);
        assert_eq!(
            weigh(&k, &e, 1),
            (k.weight_bytes() + e.weight_bytes()) as u32
        );
    }
}
