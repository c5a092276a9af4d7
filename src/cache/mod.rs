//! Verified-results cache (issue 4): a side room that wraps the core `PatientService`.
//! STUB — owned by the cache engineer.

use std::sync::Arc;

use actix_web::web;
use serde::{Deserialize, Serialize};

use crate::bridge::PatientService;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    pub enabled: bool,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// The service the edge calls (the cache wrapping `inner`, or `inner` itself), and the admin
/// routes that go with it.
pub struct CacheLayer {
    pub service: Arc<dyn PatientService>,
}

impl CacheLayer {
    pub fn build(
        inner: Arc<dyn PatientService>,
        _settings: &CacheSettings,
    ) -> anyhow::Result<Self> {
        Ok(Self { service: inner })
    }

    /// Registers `DELETE /_cache` and `DELETE /_cache/Patient/{id}` (admin only).
    pub fn configure(&self, _cfg: &mut web::ServiceConfig) {}
}
