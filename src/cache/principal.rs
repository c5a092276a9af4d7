//! The safety rule of issue 4: a `GET /Patient/{id}` without a date of birth is answered from
//! the cache **only for the principal who traced that patient**, within the TTL. SMSP needs a
//! DOB for every call (SMSP SPEC §0.1); the cache must never let a caller who knows only an NHS
//! number read a record it could not have read from SMSP. Everyone else reaches the core, which
//! answers 400 MISSING_VALUE.
//!
//! "Traced" means SMSP (or a cache hit standing for SMSP) answered this principal a request
//! that proved knowledge SMSP accepts: a read with the matching date of birth, or a search whose
//! answer named the patient. A DOB-less read never refreshes the trace, so the right lapses
//! `ttl` after the principal last proved it.
//!
//! The principal is `Caller::principal_key()` (end-user ODS + user): until authentication
//! exists the user is `anonymous`, and a caller with neither an ODS code nor a user identifies
//! no one, so it never gets the right (it would be shared by every such caller).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::entry::PatientEntry;
use crate::bridge::Caller;

/// How many principals one entry remembers; the oldest trace is forgotten beyond this (it
/// only costs that principal a DOB on its next read).
pub const MAX_TRACERS: usize = 32;

/// The principals who traced one patient, and when they last did.
#[derive(Default)]
pub struct Tracers(Mutex<Vec<(String, Instant)>>);

impl Tracers {
    /// Records that `caller` traced the patient at `now`.
    pub fn note(&self, caller: &Caller, now: Instant) {
        if !identifies_someone(caller) {
            return;
        }
        let key = caller.principal_key();
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match list.iter_mut().find(|(p, _)| *p == key) {
            Some((_, at)) => *at = (*at).max(now),
            None => {
                if list.len() >= MAX_TRACERS {
                    if let Some(oldest) = (0..list.len()).min_by_key(|&i| list[i].1) {
                        list.swap_remove(oldest);
                    }
                }
                list.push((key, now));
            }
        }
    }

    /// When `caller` last traced the patient, if it did.
    pub fn last_traced(&self, caller: &Caller) -> Option<Instant> {
        let key = caller.principal_key();
        let list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().find(|(p, _)| *p == key).map(|(_, at)| *at)
    }

    /// Takes over another entry's traces (a re-verified record keeps who traced it before).
    pub fn merge_from(&self, other: &Tracers) {
        let theirs = other.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut mine = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (p, at) in theirs {
            if let Some((_, mine_at)) = mine.iter_mut().find(|(q, _)| *q == p) {
                *mine_at = (*mine_at).max(at);
            } else if mine.len() < MAX_TRACERS {
                mine.push((p, at));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A caller with neither an end-user ODS code nor an authenticated user cannot be told apart
/// from any other such caller.
pub fn identifies_someone(caller: &Caller) -> bool {
    caller.ods.is_some() || caller.user != "anonymous"
}

/// The rule: may `caller` read `entry` without a date of birth at `now`?
pub fn may_read_without_dob(
    entry: &PatientEntry,
    caller: &Caller,
    now: Instant,
    ttl: Duration,
) -> bool {
    identifies_someone(caller)
        && entry
            .tracers
            .last_traced(caller)
            .is_some_and(|at| now.saturating_duration_since(at) < ttl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::SmspTrace;
    use crate::domain::{NhsNumber, PartialDate};
    use crate::smsp::Interaction;

    const TTL: Duration = Duration::from_secs(60);

    fn entry() -> PatientEntry {
        PatientEntry::new(
            NhsNumber::parse("9990001006").unwrap(),
            PartialDate::full(1980, 1, 15).unwrap(),
            bytes::Bytes::from_static(b"{}"),
            SmspTrace {
                interaction: Interaction::GetPatientDetailsBySearch,
                message_id: None,
                outcome: "SMSP-0000".into(),
            },
        )
    }

    fn at(ods: &str, user: &str) -> Caller {
        Caller {
            ods: Some(ods.into()),
            user: user.into(),
            roles: std::sync::Arc::from([]),
        }
    }

    #[test]
    fn only_the_principal_who_traced_within_the_ttl() {
        let e = entry();
        let t0 = Instant::now();
        let a = at("Y12345", "alice");
        e.tracers.note(&a, t0);
        assert!(may_read_without_dob(&e, &a, t0, TTL));
        assert!(may_read_without_dob(
            &e,
            &a,
            t0 + TTL - Duration::from_millis(1),
            TTL
        ));
        assert!(!may_read_without_dob(&e, &a, t0 + TTL, TTL), "expired");
        // Same organisation, another user; same user, another organisation.
        assert!(!may_read_without_dob(&e, &at("Y12345", "bob"), t0, TTL));
        assert!(!may_read_without_dob(&e, &at("Y99999", "alice"), t0, TTL));
        // Roles do not matter, the principal does.
        let mut admin = a.clone();
        admin.roles = std::sync::Arc::from(["admin".to_string()]);
        assert!(may_read_without_dob(&e, &admin, t0, TTL));
    }

    #[test]
    fn anonymous_ods_principals_are_told_apart_by_ods() {
        let e = entry();
        let t0 = Instant::now();
        e.tracers
            .note(&Caller::anonymous(Some("Y12345".into())), t0);
        assert!(may_read_without_dob(
            &e,
            &Caller::anonymous(Some("Y12345".into())),
            t0,
            TTL
        ));
        assert!(!may_read_without_dob(
            &e,
            &Caller::anonymous(Some("Y99999".into())),
            t0,
            TTL
        ));
    }

    #[test]
    fn a_caller_who_identifies_no_one_never_reads_without_a_dob() {
        let e = entry();
        let t0 = Instant::now();
        let nobody = Caller::anonymous(None);
        e.tracers.note(&nobody, t0);
        assert!(e.tracers.is_empty());
        assert!(!may_read_without_dob(&e, &nobody, t0, TTL));
    }

    #[test]
    fn a_fresh_trace_extends_and_the_oldest_is_forgotten_beyond_the_cap() {
        let e = entry();
        let t0 = Instant::now();
        let a = at("Y12345", "alice");
        e.tracers.note(&a, t0);
        e.tracers.note(&a, t0 + Duration::from_secs(30));
        assert!(may_read_without_dob(
            &e,
            &a,
            t0 + Duration::from_secs(80),
            TTL
        ));
        for i in 0..MAX_TRACERS {
            e.tracers.note(
                &at("Y12345", &format!("u{i}")),
                t0 + Duration::from_secs(31),
            );
        }
        assert_eq!(e.tracers.len(), MAX_TRACERS);
        assert!(e.tracers.last_traced(&a).is_none(), "oldest dropped");
    }

    #[test]
    fn merged_traces_keep_the_latest_time() {
        let old = entry();
        let new = entry();
        let t0 = Instant::now();
        let a = at("Y12345", "alice");
        let b = at("Y12345", "bob");
        old.tracers.note(&a, t0);
        new.tracers.note(&b, t0);
        new.tracers.merge_from(&old.tracers);
        assert!(may_read_without_dob(&new, &a, t0, TTL));
        assert!(may_read_without_dob(&new, &b, t0, TTL));
    }
}
