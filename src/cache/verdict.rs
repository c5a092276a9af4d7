//! Which answers may be cached (issue 4): only **verified** results — an SMSP-0000 answer that
//! returned a patient, from a read, a search or a combined call. Errors, no-match (DEMOG-0001,
//! empty searchsets), multiple-match (DEMOG-0007), SMSP-0003 ("data returned from local
//! store", possibly stale), faults and transport failures never are. A superseded number
//! (DEMOG-0017) is verified too, but its record is cached under its own new number only.

use crate::bridge::{Answer, PatientRecord};

/// SMSP's success code (SMSP SPEC §6).
pub const SUCCESS: &str = "SMSP-0000";
/// The number asked about was superseded; the record is the superseding one (SMSP SPEC §7).
pub const SUPERSEDED: &str = "DEMOG-0017";

#[derive(Debug)]
pub enum Verdict<'a> {
    /// SMSP-0000 with a record: cache it, and the request that found it.
    Verified(&'a PatientRecord),
    /// DEMOG-0017 with a record: cache the record under its own number, not the request.
    Superseded(&'a PatientRecord),
    /// Anything else: never cached.
    Never,
}

pub fn verdict(answer: &Answer) -> Verdict<'_> {
    let (Some(record), Some(trace)) = (answer.record.as_ref(), answer.smsp.as_ref()) else {
        return Verdict::Never;
    };
    if answer.status != 200 {
        return Verdict::Never;
    }
    match trace.outcome.as_str() {
        SUCCESS => Verdict::Verified(record),
        SUPERSEDED => Verdict::Superseded(record),
        _ => Verdict::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::SmspTrace;
    use crate::domain::NhsNumber;
    use crate::smsp::Interaction;
    use bytes::Bytes;

    fn answer(outcome: &str, record: bool) -> Answer {
        let mut a = Answer::json(200, &serde_json::json!({}))
            .unwrap()
            .with_trace(SmspTrace {
                interaction: Interaction::GetPatientDetailsByNhsNumber,
                message_id: Some("M".into()),
                outcome: outcome.into(),
            });
        if record {
            a = a.with_record(PatientRecord::rendered(
                NhsNumber::parse("9990001006").unwrap(),
                Bytes::from_static(b"{}"),
            ));
        }
        a
    }

    #[test]
    fn only_success_or_superseded_with_a_record_is_cached() {
        assert!(matches!(
            verdict(&answer("SMSP-0000", true)),
            Verdict::Verified(_)
        ));
        assert!(matches!(
            verdict(&answer("DEMOG-0017", true)),
            Verdict::Superseded(_)
        ));
        for code in [
            "SMSP-0003",
            "DEMOG-0001",
            "DEMOG-0007",
            "itk-2100",
            "transport-timeout",
        ] {
            assert!(
                matches!(verdict(&answer(code, true)), Verdict::Never),
                "{code}"
            );
        }
        // No record (empty searchset, count, identifiers from getNHSNumber).
        assert!(matches!(
            verdict(&answer("SMSP-0000", false)),
            Verdict::Never
        ));
        // A 2xx OperationOutcome is not a record either.
        let mut a = answer("SMSP-0000", true);
        a.status = 202;
        assert!(matches!(verdict(&a), Verdict::Never));
        let mut a = answer("SMSP-0000", true);
        a.smsp = None;
        assert!(matches!(verdict(&a), Verdict::Never));
    }
}
