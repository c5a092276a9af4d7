//! A finished answer: status and serialised FHIR JSON. Holding bytes (not a model) means a
//! cached answer can be replayed without any JSON work.

use std::sync::Arc;

use bytes::Bytes;

use super::{ApiError, CacheStatus, SmspTrace};
use crate::domain::{NhsNumber, Patient};
use crate::mapping::patient::to_fhir;
use crate::mapping::{Tables, View};

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
    /// The patient record the answer rests on, for layers above the core (issue 4: the cache
    /// answers a DOB-less read after a search with its READ view). Set only when SMSP returned
    /// a patient record; never logged.
    pub record: Option<PatientRecord>,
}

/// A patient record SMSP returned, which a layer above the core can render as
/// `GET /Patient/{id}` renders it (the READ view: every address, PDS FHIR SPEC §6).
#[derive(Clone)]
pub struct PatientRecord {
    /// The record's own number (the superseding one after DEMOG-0017).
    pub nhs_number: NhsNumber,
    read_view: ReadView,
}

#[derive(Clone)]
enum ReadView {
    /// Already serialised: a read's own answer body, or a cached one.
    Rendered(Bytes),
    /// Not serialised yet: a search answers with the SEARCH view (home address only, PDS FHIR
    /// SPEC §5.2), and only a layer that keeps the record (the cache storing it, a shadow
    /// sample) needs the READ view, so it is rendered then rather than on every search.
    Deferred {
        patient: Arc<Patient>,
        tables: Arc<Tables>,
    },
}

impl PatientRecord {
    /// A record whose READ view is already serialised (`body`).
    pub fn rendered(nhs_number: NhsNumber, body: Bytes) -> Self {
        Self {
            nhs_number,
            read_view: ReadView::Rendered(body),
        }
    }

    /// A record to render with `tables` only if asked to.
    pub fn deferred(patient: Arc<Patient>, tables: Arc<Tables>) -> Self {
        Self {
            nhs_number: patient.nhs_number,
            read_view: ReadView::Deferred { patient, tables },
        }
    }

    /// Whether the READ view is serialised already (rendering it costs a mapping and a
    /// serialisation).
    pub fn is_rendered(&self) -> bool {
        matches!(self.read_view, ReadView::Rendered(_))
    }

    /// The READ-view Patient JSON, byte for byte what `GET /Patient/{id}` answers with,
    /// rendering it now if it was deferred.
    pub fn read_body(&self) -> Result<Bytes, ApiError> {
        match &self.read_view {
            ReadView::Rendered(body) => Ok(body.clone()),
            ReadView::Deferred { patient, tables } => {
                Ok(Answer::json(200, &to_fhir(patient, tables, View::Read))?.body)
            }
        }
    }
}

/// The number (itself redacted) and whether the view is rendered: never the record.
impl std::fmt::Debug for PatientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientRecord")
            .field("nhs_number", &self.nhs_number)
            .field("rendered", &self.is_rendered())
            .finish()
    }
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

    pub fn with_record(mut self, record: PatientRecord) -> Self {
        self.record = Some(record);
        self
    }

    pub fn disclosing(mut self, nhs_number: impl Into<String>) -> Self {
        self.nhs_numbers.push(nhs_number.into());
        self
    }
}
