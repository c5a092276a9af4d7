//! What the cache holds: serialised answers (issue 4: "a hit does no XML work and as little
//! JSON work as possible"), the exchange that verified them, and who traced each patient.

use std::sync::Arc;

use bytes::Bytes;

use super::principal::Tracers;
use crate::bridge::SmspTrace;
use crate::domain::{NhsNumber, PartialDate};

/// A verified patient record, rendered as `GET /Patient/{id}` renders it.
pub struct PatientEntry {
    pub nhs_number: NhsNumber,
    /// The date of birth SMSP verified the record with (the request's, which for a partial
    /// legacy DOB on PDS is one full date inside it, SMSP SPEC §3).
    pub verified_dob: PartialDate,
    /// READ-view Patient JSON.
    pub body: Bytes,
    /// The exchange that verified it (audit: a hit names the original MessageID).
    pub trace: SmspTrace,
    pub tracers: Tracers,
}

impl PatientEntry {
    pub fn new(
        nhs_number: NhsNumber,
        verified_dob: PartialDate,
        body: Bytes,
        trace: SmspTrace,
    ) -> Self {
        Self {
            nhs_number,
            verified_dob,
            body,
            trace,
            tracers: Tracers::default(),
        }
    }
}

/// A search that SMSP answered with exactly one verified patient.
pub struct SearchEntry {
    /// The patient entry the search found: a hit needs it still to be the live one (purged or
    /// evicted → the search is verified again).
    pub patient: Arc<PatientEntry>,
    /// The whole searchset Bundle as first answered.
    pub body: Bytes,
    /// Where the Bundle's `timestamp` value starts in `body`, so a hit can restamp it.
    timestamp_at: Option<usize>,
    pub warning: Option<String>,
    pub trace: SmspTrace,
}

/// `"timestamp":"` can only be a key in serialised JSON (a `"` inside a string is escaped),
/// and the Bundle writes its own before any entry (`fhir::bundle`).
const TIMESTAMP_KEY: &[u8] = br#""timestamp":""#;
/// `YYYY-MM-DDTHH:MM:SS+00:00` (`fhir::bundle::pds_timestamp`).
const TIMESTAMP_LEN: usize = 25;

impl SearchEntry {
    pub fn new(
        patient: Arc<PatientEntry>,
        body: Bytes,
        warning: Option<String>,
        trace: SmspTrace,
    ) -> Self {
        let timestamp_at = body
            .windows(TIMESTAMP_KEY.len())
            .position(|w| w == TIMESTAMP_KEY)
            .map(|i| i + TIMESTAMP_KEY.len())
            .filter(|&i| {
                body.get(i..i + TIMESTAMP_LEN + 1)
                    .is_some_and(|v| v[TIMESTAMP_LEN] == b'"')
            });
        Self {
            patient,
            body,
            timestamp_at,
            warning,
            trace,
        }
    }

    /// The Bundle with `timestamp` set to `now` (PDS stamps each answer): one copy of the
    /// bytes, no JSON parsing. Unchanged if the timestamp could not be located.
    pub fn body_at(&self, now: chrono::DateTime<chrono::Utc>) -> Bytes {
        let Some(at) = self.timestamp_at else {
            return self.body.clone();
        };
        let stamp = crate::fhir::bundle::pds_timestamp(now);
        if stamp.len() != TIMESTAMP_LEN {
            return self.body.clone();
        }
        let mut out = Vec::with_capacity(self.body.len());
        out.extend_from_slice(&self.body[..at]);
        out.extend_from_slice(stamp.as_bytes());
        out.extend_from_slice(&self.body[at + TIMESTAMP_LEN..]);
        Bytes::from(out)
    }
}

#[derive(Clone)]
pub enum Value {
    Patient(Arc<PatientEntry>),
    /// The latest verified DOB for a number (`Key::Number`).
    Number(PartialDate),
    Search(Arc<SearchEntry>),
}

/// Fixed cost of an entry besides its body: moka's bookkeeping, the `Arc`, the trace, the
/// tracers (a few principals). An estimate: the weigher bounds memory, not exactly.
const OVERHEAD_BYTES: usize = 384;

impl Value {
    /// The NHS number the value is about (purge by patient).
    pub fn nhs_number(&self) -> Option<NhsNumber> {
        match self {
            Value::Patient(p) => Some(p.nhs_number),
            Value::Search(s) => Some(s.patient.nhs_number),
            Value::Number(_) => None,
        }
    }

    /// Estimated bytes the value occupies. A search shares its patient entry, which is
    /// weighed once, under its own key.
    pub fn weight_bytes(&self) -> usize {
        OVERHEAD_BYTES
            + match self {
                Value::Patient(p) => p.body.len(),
                Value::Search(s) => s.body.len(),
                Value::Number(_) => 0,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsp::Interaction;
    use chrono::TimeZone;

    fn patient() -> Arc<PatientEntry> {
        Arc::new(PatientEntry::new(
            NhsNumber::parse("9990001006").unwrap(),
            PartialDate::full(1980, 1, 15).unwrap(),
            Bytes::from_static(b"{}"),
            SmspTrace {
                interaction: Interaction::GetPatientDetailsBySearch,
                message_id: None,
                outcome: "SMSP-0000".into(),
            },
        ))
    }

    #[test]
    fn a_search_hit_is_restamped_without_parsing() {
        let body = Bytes::from_static(
            br#"{"resourceType":"Bundle","type":"searchset","timestamp":"2019-12-25T12:00:00+00:00","total":1,"entry":[]}"#,
        );
        let s = SearchEntry::new(patient(), body.clone(), None, patient().trace.clone());
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 9, 30, 5)
            .unwrap();
        let out = s.body_at(now);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"resourceType":"Bundle","type":"searchset","timestamp":"2026-11-22T09:30:05+00:00","total":1,"entry":[]}"#
        );
        assert_eq!(out.len(), body.len());
    }

    #[test]
    fn an_unexpected_body_is_served_unchanged() {
        let body = Bytes::from_static(br#"{"resourceType":"Bundle","timestamp":"short"}"#);
        let s = SearchEntry::new(patient(), body.clone(), None, patient().trace.clone());
        assert_eq!(s.body_at(chrono::Utc::now()), body);
    }

    #[test]
    fn weights_count_the_body() {
        let p = patient();
        let v = Value::Patient(p.clone());
        assert_eq!(v.weight_bytes(), OVERHEAD_BYTES + 2);
        assert_eq!(v.nhs_number(), Some(p.nhs_number));
        assert_eq!(Value::Number(p.verified_dob).nhs_number(), None);
    }
}
