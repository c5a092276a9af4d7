//! Cache counters (issue 4: hits, misses, inserts, evictions and coalesced waits), both as
//! `metrics` counters for the exporter and as atomics readable in-process (tests, benches).
//! No labels: nothing about a patient ever reaches a metric.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
    coalesced: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStatsSnapshot {
    /// Answered from the cache.
    pub hits: u64,
    /// Not in the cache: this request made the SMSP call.
    pub misses: u64,
    /// Verified results stored (patient records and searches).
    pub inserts: u64,
    /// Entries dropped to stay within `max_entries`/`max_bytes`.
    pub evictions: u64,
    /// Entries dropped because their TTL ran out.
    pub expirations: u64,
    /// Not in the cache, answered by a concurrent identical request's SMSP call.
    pub coalesced: u64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl CacheStats {
    pub fn hit(&self) {
        bump(&self.hits);
        metrics::counter!("smsp_bridge_cache_hits_total").increment(1);
    }

    pub fn miss(&self) {
        bump(&self.misses);
        metrics::counter!("smsp_bridge_cache_misses_total").increment(1);
    }

    pub fn insert(&self) {
        bump(&self.inserts);
        metrics::counter!("smsp_bridge_cache_inserts_total").increment(1);
    }

    pub fn eviction(&self) {
        bump(&self.evictions);
        metrics::counter!("smsp_bridge_cache_evictions_total").increment(1);
    }

    pub fn expiration(&self) {
        bump(&self.expirations);
        metrics::counter!("smsp_bridge_cache_expirations_total").increment(1);
    }

    pub fn coalesced(&self) {
        bump(&self.coalesced);
        metrics::counter!("smsp_bridge_cache_coalesced_waits_total").increment(1);
    }

    pub fn snapshot(&self) -> CacheStatsSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStatsSnapshot {
            hits: load(&self.hits),
            misses: load(&self.misses),
            inserts: load(&self.inserts),
            evictions: load(&self.evictions),
            expirations: load(&self.expirations),
            coalesced: load(&self.coalesced),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_event() {
        let s = CacheStats::default();
        s.hit();
        s.hit();
        s.miss();
        s.insert();
        s.eviction();
        s.expiration();
        s.coalesced();
        assert_eq!(
            s.snapshot(),
            CacheStatsSnapshot {
                hits: 2,
                misses: 1,
                inserts: 1,
                evictions: 1,
                expirations: 1,
                coalesced: 1
            }
        );
    }
}
