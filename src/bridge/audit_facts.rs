//! Facts about one FHIR interaction that the audit trail records. The edge attaches them to the
//! request; the audit layer (a side room) reads them after the handler ran.

use super::{Answer, ApiError, CacheStatus, SmspTrace};

/// Left on a request by an audit layer that will read its `AuditFacts`. Without it the edge
/// builds none: copying the parameters and the answer's facts for nobody cost a cache hit
/// several allocations (issue 9).
#[derive(Debug, Clone, Copy)]
pub struct FactsWanted;

#[derive(Debug, Clone, Default)]
pub struct AuditFacts {
    /// `read`, `search` or `verify`.
    pub interaction: &'static str,
    /// The FHIR parameters as sent (patient data: audit trail only, never logged).
    pub parameters: Vec<(String, String)>,
    pub smsp: Option<SmspTrace>,
    /// NHS numbers the answer disclosed.
    pub nhs_numbers: Vec<String>,
    pub cache: CacheStatus,
}

impl AuditFacts {
    pub fn new(interaction: &'static str, parameters: Vec<(String, String)>) -> Self {
        Self {
            interaction,
            parameters,
            ..Self::default()
        }
    }

    pub fn outcome(mut self, result: &Result<Answer, ApiError>) -> Self {
        match result {
            Ok(a) => {
                self.smsp = a.smsp.clone();
                self.nhs_numbers = a.nhs_numbers.clone();
                self.cache = a.cache;
            }
            Err(e) => self.smsp = e.smsp.clone(),
        }
        self
    }
}
