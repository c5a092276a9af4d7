//! What a running simulator shares between its workers, its admin endpoints and in-process
//! callers: the data set, the knobs and the counters.

use std::sync::RwLock;

use super::counters::{Counters, CountersSnapshot};
use super::dataset::Dataset;
use super::knobs::Knobs;
use crate::smsp::Interaction;

pub struct SimState {
    dataset: Dataset,
    knobs: RwLock<Knobs>,
    /// The knobs given at start; `reset` returns to them.
    initial_knobs: Knobs,
    counters: Counters,
    /// The ITK audit identity of the last well-formed request: lets tests check who the
    /// client said was calling (SMSP SPEC §2.5) without logging it.
    last_audit_identity: RwLock<Option<crate::smsp::AuditIdentity>>,
}

impl SimState {
    pub fn new(dataset: Dataset, knobs: Knobs) -> Self {
        Self {
            dataset,
            knobs: RwLock::new(knobs.clone()),
            initial_knobs: knobs,
            counters: Counters::default(),
            last_audit_identity: RwLock::new(None),
        }
    }

    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// A copy of the current knobs (taken once per request, so a change applies from the next).
    pub fn knobs(&self) -> Knobs {
        self.knobs.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces every knob. Fails, changing nothing, when a value is out of range.
    pub fn set_knobs(&self, knobs: Knobs) -> Result<(), String> {
        knobs.validate()?;
        *self.knobs.write().unwrap_or_else(|e| e.into_inner()) = knobs;
        Ok(())
    }

    /// Changes some knobs in place, e.g. `state.update_knobs(|k| k.latency_ms = 200)`.
    pub fn update_knobs(&self, change: impl FnOnce(&mut Knobs)) -> Result<(), String> {
        let mut k = self.knobs();
        change(&mut k);
        self.set_knobs(k)
    }

    pub fn record_audit_identity(&self, id: Option<crate::smsp::AuditIdentity>) {
        *self
            .last_audit_identity
            .write()
            .unwrap_or_else(|e| e.into_inner()) = id;
    }

    pub fn last_audit_identity(&self) -> Option<crate::smsp::AuditIdentity> {
        self.last_audit_identity
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        self.counters.snapshot()
    }

    /// How many requests of this interaction have arrived (by `SOAPAction`).
    pub fn count(&self, interaction: Interaction) -> u64 {
        self.counters.count_for(interaction)
    }

    /// Counters to zero and knobs back to their start values.
    pub fn reset(&self) {
        self.counters.reset();
        *self.knobs.write().unwrap_or_else(|e| e.into_inner()) = self.initial_knobs.clone();
    }

    /// Counts one arriving request, by the interaction its `SOAPAction` names (if any).
    pub(crate) fn count_arrival(&self, soap_action: Option<&str>) {
        self.counters.request();
        if let Some(i) = soap_action.and_then(Interaction::from_service) {
            self.counters.interaction(i);
        }
    }
}
