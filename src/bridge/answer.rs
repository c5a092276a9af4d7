//! A finished answer: status and serialised FHIR JSON. Holding bytes (not a model) means a
//! cached answer can be replayed without any JSON work.

use bytes::Bytes;

use super::{ApiError, CacheStatus, SmspTrace};

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
    /// A caveat from the outcome table (e.g. SMSP-0003 "data from local store").
    pub warning: Option<String>,
    /// The SMSP exchange that produced it (for a cache hit: the original one).
    pub smsp: Option<SmspTrace>,
    /// NHS numbers the answer discloses (audit trail only; never logged).
    pub nhs_numbers: Vec<String>,
    pub cache: CacheStatus,
}

impl Answer {
    pub fn json<T: serde::Serialize>(status: u16, body: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|_| ApiError::internal("The response could not be serialised"))?;
        Ok(Self {
            status,
            body: Bytes::from(bytes),
            warning: None,
            smsp: None,
            nhs_numbers: Vec::new(),
            cache: CacheStatus::Bypass,
        })
    }

    pub fn with_warning(mut self, warning: Option<&str>) -> Self {
        self.warning = warning.map(str::to_string);
        self
    }

    pub fn with_trace(mut self, trace: SmspTrace) -> Self {
        self.smsp = Some(trace);
        self
    }

    pub fn disclosing(mut self, nhs_number: impl Into<String>) -> Self {
        self.nhs_numbers.push(nhs_number.into());
        self
    }
}
