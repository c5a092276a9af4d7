//! A finished answer: status and serialised FHIR JSON. Holding bytes (not a model) means a
//! cached answer can be replayed without any JSON work.

use bytes::Bytes;

use super::{ApiError, CacheStatus, SmspTrace};
use crate::domain::NhsNumber;

/// Initial buffer for a serialised answer: a READ-view Patient with every field is ~1.5 KB.
const JSON_CAPACITY: usize = 2048;

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
    /// The patient record the answer rests on, as the READ view, for layers above the core
    /// (issue 4: the cache answers a DOB-less read after a search with it). Set only when SMSP
    /// returned a patient record; never logged.
    pub record: Option<PatientRecord>,
}

/// A patient record SMSP returned, rendered as `GET /Patient/{id}` renders it.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    /// The record's own number (the superseding one after DEMOG-0017).
    pub nhs_number: NhsNumber,
    /// The READ-view Patient JSON (every address, PDS FHIR SPEC §6).
    pub read_body: Bytes,
}

impl Answer {
    pub fn json<T: serde::Serialize>(status: u16, body: &T) -> Result<Self, ApiError> {
        // Sized for a full Patient (~1.5 KB) so serialising does not regrow the buffer.
        let mut bytes = Vec::with_capacity(JSON_CAPACITY);
        serde_json::to_writer(&mut bytes, body)
            .map_err(|_| ApiError::internal("The response could not be serialised"))?;
        Ok(Self {
            status,
            body: Bytes::from(bytes),
            warning: None,
            smsp: None,
            nhs_numbers: Vec::new(),
            cache: CacheStatus::Bypass,
            record: None,
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

    pub fn with_record(mut self, nhs_number: NhsNumber, read_body: Bytes) -> Self {
        self.record = Some(PatientRecord {
            nhs_number,
            read_body,
        });
        self
    }

    pub fn disclosing(mut self, nhs_number: impl Into<String>) -> Self {
        self.nhs_numbers.push(nhs_number.into());
        self
    }
}
