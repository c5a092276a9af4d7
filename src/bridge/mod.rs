//! Orchestration of one FHIR interaction: plan the SMSP call, make it, and turn the answer into
//! the PDS-shaped response using the outcome table. Below the HTTP edge, above SMSP.

mod answer;
mod audit_facts;
mod error;
mod read;
mod search;
mod service;
mod trace;
mod verify;

pub use answer::{Answer, PatientRecord};
pub use audit_facts::{AuditFacts, FactsWanted};
pub use error::{ApiError, ErrorSource};
pub use service::{PatientService, ReadRequest};
pub use trace::{CacheStatus, SmspTrace};

use std::sync::Arc;

use crate::config::Settings;
use crate::mapping::{CallContext, OutcomeResult, OutcomeRow, Tables};
use crate::smsp::{AuditIdentity, Interaction, SmspClient, SmspError};

/// Who is asking: the principal the edge established, as far as the core needs it — for
/// SMSP's audit identity (SMSP SPEC §2.5) and for rules keyed on the principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    /// End-user organisation ODS code (`NHSD-End-User-Organisation-ODS`).
    pub ods: Option<String>,
    /// Local user id (`anonymous` when no authentication is configured).
    pub user: String,
    /// Roles granted to the user: shared, because every request hands the principal's roles
    /// on (issue 9: cloning the list was several allocations per cache hit).
    pub roles: Arc<[String]>,
}

impl Caller {
    pub fn anonymous(ods: Option<String>) -> Self {
        Self {
            ods,
            user: "anonymous".into(),
            roles: Arc::from([]),
        }
    }

    /// The identity rules such as the cache's "same principal" compare: organisation + user.
    pub fn principal_key(&self) -> String {
        format!("{}|{}", self.ods.as_deref().unwrap_or("-"), self.user)
    }
}

pub struct Bridge {
    smsp: Arc<dyn SmspClient>,
    tables: Arc<Tables>,
    /// `public_base_url` without a trailing slash; `fullUrl`s are built from it.
    public_base_url: String,
    default_ods: String,
}

impl Bridge {
    pub fn new(smsp: Arc<dyn SmspClient>, tables: Arc<Tables>, settings: &Settings) -> Self {
        Self {
            smsp,
            tables,
            public_base_url: settings.public_base_url.trim_end_matches('/').to_string(),
            default_ods: settings.smsp.default_ods_code.clone(),
        }
    }

    /// `urn:nhs-uk:identity:ods:<ODS>:<user>` (SMSP SPEC §2.5, MSCA-AUD-04).
    fn audit_identity(&self, caller: &Caller) -> AuditIdentity {
        let ods = caller.ods.as_deref().unwrap_or(&self.default_ods);
        AuditIdentity::local_user(ods, &sanitise_user(&caller.user))
    }

    fn full_url(&self, nhs_number: &str) -> String {
        format!("{}/Patient/{}", self.public_base_url, nhs_number)
    }

    /// A transport failure or ITK fault, through the outcome table.
    fn smsp_failure(
        &self,
        context: CallContext,
        interaction: Interaction,
        err: &SmspError,
    ) -> ApiError {
        let key = err.outcome_key();
        let row = self.tables.outcome(context, &key);
        // While the breaker is open or the bulkhead full, every request is refused at once: log
        // those at debug, or an outage floods the log with one line per refused request.
        if matches!(err, SmspError::CircuitOpen | SmspError::Overloaded) {
            tracing::debug!(
                context = context.name(),
                failure = err.class(),
                "SMSP call refused"
            );
        } else {
            tracing::warn!(context = context.name(), failure = err.class(), outcome = %row.key, "SMSP call failed");
        }
        let mut e = row_error(row, &key, ErrorSource::Smsp);
        e.retryable = err.is_retryable();
        e.smsp = Some(SmspTrace {
            interaction,
            message_id: None,
            outcome: key,
        });
        e
    }
}

/// The trace of a completed exchange.
fn trace_of(call: &crate::smsp::SmspCall) -> SmspTrace {
    SmspTrace {
        interaction: call.interaction,
        message_id: Some(call.message_id.clone()),
        outcome: call.response.code.as_str().to_string(),
    }
}

/// The error (or 2xx OperationOutcome) an `outcome` row describes.
fn row_error(row: &OutcomeRow, origin_key: &str, source: ErrorSource) -> ApiError {
    match row.operation_outcome(origin_key) {
        Some(outcome) => ApiError {
            status: row.http_status,
            outcome,
            retry_after: row.retry_after,
            source,
            retryable: false,
            spine_code: row.spine_code.map(|c| c.code()).unwrap_or("UNKNOWN_ERROR"),
            smsp: None,
        },
        None => ApiError::internal(format!(
            "The outcome table row '{}' has no OperationOutcome for this interaction",
            row.key
        )),
    }
}

/// Outcome rows with a 2xx status (TOO_MANY_MATCHES) are answers, not errors.
fn outcome_answer(row: &OutcomeRow, trace: SmspTrace) -> Result<Answer, ApiError> {
    let mut err = row_error(row, &trace.outcome, ErrorSource::Smsp);
    if (200..300).contains(&err.status) && row.result == OutcomeResult::Outcome {
        Ok(Answer::json(err.status, &err.outcome)?.with_trace(trace))
    } else {
        err.smsp = Some(trace);
        Err(err)
    }
}

/// The user part of the audit URI: URI-safe characters only.
fn sanitise_user(user: &str) -> String {
    let cleaned: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "anonymous".into()
    } else {
        cleaned
    }
}
