//! Verified-results cache (issue 4): a side room that wraps the core `PatientService`.
//!
//! It keeps recent **verified** SMSP results briefly (`verdict`), so repeated reads are fast,
//! SMSP is not hammered, and "trace by demographics, then read by NHS number" works although
//! SMSP needs a date of birth on every call (SMSP SPEC §0.1): the principal who traced a
//! patient may read it without one, within the TTL (`principal`). What is held is serialised
//! FHIR JSON (`entry`), so a hit does no XML and no JSON work. README.md, section Cache describes it for
//! operators.
//!
//! - `settings`: `[cache]` and its start-up checks;
//! - `key`: cache keys and search normalisation;
//! - `entry`: what is held, and its weight;
//! - `verdict`: which answers may be cached;
//! - `principal`: the DOB-less read rule;
//! - `store`: the moka cache, its bounds, eviction and purge;
//! - `service`, `read`, `search`: the `PatientService` the edge calls;
//! - `purge`: the admin routes;
//! - `stats`: counters.

mod entry;
mod key;
mod principal;
mod purge;
mod read;
mod search;
mod service;
mod settings;
mod stats;
mod store;
mod verdict;

pub use key::{Key, SearchKey};
pub use principal::{identifies_someone, may_read_without_dob};
pub use purge::{is_admin, Purger, ADMIN_ROLE};
pub use settings::{CacheSettings, MAX_TTL_SECONDS};
pub use stats::{CacheStats, CacheStatsSnapshot};

use std::sync::Arc;

use actix_web::web;

use crate::bridge::PatientService;
use crate::domain::NhsNumber;
use service::CachedService;
use store::Store;

/// The service the edge calls (the cache wrapping `inner`, or `inner` itself), and the admin
/// routes that go with it.
pub struct CacheLayer {
    pub service: Arc<dyn PatientService>,
    store: Option<Arc<Store>>,
    stats: Arc<CacheStats>,
}

impl CacheLayer {
    /// Refuses settings it cannot honour (e.g. `cache.ttl_seconds` above 900), naming the key.
    pub fn build(inner: Arc<dyn PatientService>, settings: &CacheSettings) -> anyhow::Result<Self> {
        let problems = settings.problems();
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(|(k, m)| format!("{k}: {m}")).collect();
            anyhow::bail!("invalid cache settings: {}", text.join("; "));
        }
        let stats = Arc::new(CacheStats::default());
        if !settings.enabled {
            // Off entirely: the core answers everything (X-Cache: BYPASS).
            return Ok(Self {
                service: inner,
                store: None,
                stats,
            });
        }
        let store = Arc::new(Store::new(settings, stats.clone()));
        Ok(Self {
            service: Arc::new(CachedService::new(inner, store.clone())),
            store: Some(store),
            stats,
        })
    }

    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// The counters, in-process.
    pub fn stats(&self) -> CacheStatsSnapshot {
        self.stats.snapshot()
    }

    /// Entries held now (0 when disabled).
    pub async fn entry_count(&self) -> u64 {
        match &self.store {
            Some(s) => s.entry_count().await,
            None => 0,
        }
    }

    /// What the purge routes use, for callers in-process.
    pub fn purger(&self) -> Purger {
        Purger {
            store: self.store.clone(),
        }
    }

    /// Drops one patient's record, index and searches (in-process `DELETE /_cache/Patient/{id}`).
    pub async fn purge_patient(&self, nhs_number: NhsNumber) -> anyhow::Result<()> {
        match &self.store {
            Some(s) => s.purge_patient(nhs_number).await,
            None => Ok(()),
        }
    }

    /// Registers `DELETE /_cache` and `DELETE /_cache/Patient/{id}` (admin only).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        purge::configure(cfg, self.purger());
    }
}
