//! Request counters (atomics, lock-free). They prove what reached the SMSP: e.g. that 200
//! concurrent identical cache misses in the bridge became exactly one SMSP call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::domain::ResponseCode;
use crate::smsp::Interaction;

/// ITK error codes the simulator can answer (SMSP SPEC §2.6).
pub const ITK_CODES: [&str; 4] = ["1000", "2100", "2200", "3000"];

#[derive(Default)]
pub struct Counters {
    total: AtomicU64,
    by_interaction: [AtomicU64; 5],
    by_code: [AtomicU64; ResponseCode::KNOWN.len()],
    by_fault: [AtomicU64; ITK_CODES.len()],
    faults: AtomicU64,
    injected: AtomicU64,
}

/// A consistent-enough copy of the counters, as served by `GET /_admin/counters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    /// Every `POST /smsp/pds`, whatever happened to it.
    pub total: u64,
    /// Requests per interaction, keyed by [`Interaction::name`], identified from `SOAPAction`;
    /// all five names are always present.
    pub by_interaction: BTreeMap<String, u64>,
    /// Business responses (HTTP 200) per response code.
    pub by_code: BTreeMap<String, u64>,
    /// ITK SOAP faults sent, in total and per ITK error code.
    pub faults: u64,
    pub by_fault: BTreeMap<String, u64>,
    /// Requests a knob answered with an injected failure (drop, 503, failure_rate hit).
    pub injected: u64,
}

impl CountersSnapshot {
    pub fn interaction(&self, interaction: Interaction) -> u64 {
        self.by_interaction
            .get(interaction.name())
            .copied()
            .unwrap_or(0)
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub fn request(&self) {
        bump(&self.total);
    }

    pub fn interaction(&self, interaction: Interaction) {
        bump(&self.by_interaction[interaction as usize]);
    }

    pub fn response(&self, code: &ResponseCode) {
        if let Some(i) = ResponseCode::KNOWN.iter().position(|c| *c == code.as_str()) {
            bump(&self.by_code[i]);
        }
    }

    pub fn fault(&self, itk_code: &str) {
        bump(&self.faults);
        if let Some(i) = ITK_CODES.iter().position(|c| *c == itk_code) {
            bump(&self.by_fault[i]);
        }
    }

    pub fn injected(&self) {
        bump(&self.injected);
    }

    pub fn count_for(&self, interaction: Interaction) -> u64 {
        self.by_interaction[interaction as usize].load(Ordering::Relaxed)
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            total: load(&self.total),
            by_interaction: Interaction::ALL
                .iter()
                .map(|i| {
                    (
                        i.name().to_string(),
                        load(&self.by_interaction[*i as usize]),
                    )
                })
                .collect(),
            by_code: ResponseCode::KNOWN
                .iter()
                .zip(&self.by_code)
                .map(|(k, c)| (k.to_string(), load(c)))
                .collect(),
            faults: load(&self.faults),
            by_fault: ITK_CODES
                .iter()
                .zip(&self.by_fault)
                .map(|(k, c)| (k.to_string(), load(c)))
                .collect(),
            injected: load(&self.injected),
        }
    }

    pub fn reset(&self) {
        let all = std::iter::once(&self.total)
            .chain(&self.by_interaction)
            .chain(&self.by_code)
            .chain(&self.by_fault)
            .chain([&self.faults, &self.injected]);
        for c in all {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_interaction_code_and_fault_and_resets() {
        let c = Counters::default();
        c.request();
        c.interaction(Interaction::GetNhsNumber);
        c.interaction(Interaction::GetNhsNumber);
        c.response(&ResponseCode::NoMatch);
        c.fault("2100");
        let s = c.snapshot();
        assert_eq!(s.total, 1);
        assert_eq!(s.interaction(Interaction::GetNhsNumber), 2);
        assert_eq!(s.interaction(Interaction::VerifyNhsNumber), 0);
        assert_eq!(s.by_interaction.len(), 5);
        assert_eq!(s.by_code["DEMOG-0001"], 1);
        assert_eq!((s.faults, s.by_fault["2100"]), (1, 1));
        c.reset();
        assert_eq!(c.snapshot().total, 0);
        assert_eq!(c.count_for(Interaction::GetNhsNumber), 0);
    }
}
