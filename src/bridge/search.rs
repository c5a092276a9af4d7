//! `GET /Patient?…` → verifyNHSNumber, getNHSNumber, getPatientDetailsByNHSNumber,
//! getPatientDetailsBySearch or getPatientDetails, as `mapping::plan` decides.

use super::{outcome_answer, trace_of, Answer, ApiError, Bridge, Caller};
use crate::fhir::bundle::{count_only, searchset};
use crate::fhir::SearchRequest;
use crate::mapping::patient::{hidden_from_search, identifiers_only, to_fhir};
use crate::mapping::{search_plan, CallContext, OutcomeResult, View};
use crate::smsp::ResponseBody;

impl Bridge {
    pub async fn search(
        &self,
        request: SearchRequest,
        caller: &Caller,
    ) -> Result<Answer, ApiError> {
        let (interaction, query) = search_plan(&request);
        let audit = self.audit_identity(caller);
        let call = self
            .smsp
            .call(interaction, &query, &audit)
            .await
            .map_err(|e| self.smsp_failure(CallContext::Search, interaction, &e))?;
        let trace = trace_of(&call);
        let row = self.tables.outcome(CallContext::Search, &trace.outcome);
        let now = chrono::Utc::now();
        match row.result {
            OutcomeResult::EmptyBundle if request.summary_count => {
                Ok(Answer::json(200, &count_only(0, now))?.with_trace(trace))
            }
            OutcomeResult::EmptyBundle => {
                Ok(Answer::json(200, &searchset(Vec::new(), now))?.with_trace(trace))
            }
            OutcomeResult::Outcome => outcome_answer(row, trace),
            OutcomeResult::Data => {
                // The READ view of a returned record, for layers above the core (the cache:
                // a DOB-less read after this search gets what a read would, issue 4).
                let mut record = None;
                let found = match call.response.body {
                    // `_summary=count` with an NHS number: verifyNHSNumber's VI says 1 or 0.
                    ResponseBody::Verify { valid, .. } => {
                        let total = u32::from(row.valid.or(valid).unwrap_or(false));
                        return Ok(Answer::json(200, &count_only(total, now))?.with_trace(trace));
                    }
                    ResponseBody::NhsNumber { nhs_number, .. } => {
                        nhs_number.as_ref().map(identifiers_only)
                    }
                    ResponseBody::PatientDetails(Some(p)) if hidden_from_search(&request, &p) => {
                        // PDS SPEC §5.1: restricted patients never match a postcode search.
                        return Ok(
                            Answer::json(200, &searchset(Vec::new(), now))?.with_trace(trace)
                        );
                    }
                    ResponseBody::PatientDetails(p) => p.map(|p| {
                        if !request.summary_count {
                            record = Some((p.nhs_number, to_fhir(&p, &self.tables, View::Read)));
                        }
                        if request.identifiers_only {
                            identifiers_only(&p.nhs_number)
                        } else {
                            to_fhir(&p, &self.tables, View::Search)
                        }
                    }),
                };
                let Some(patient) = found else {
                    let mut e = ApiError::internal("SMSP reported success but returned no patient");
                    e.smsp = Some(trace);
                    return Err(e);
                };
                if request.summary_count {
                    return Ok(Answer::json(200, &count_only(1, now))?.with_trace(trace));
                }
                let url = self.full_url(&patient.id);
                let id = patient.id.clone();
                let mut answer = Answer::json(200, &searchset(vec![(url, patient)], now))?
                    .with_warning(row.warning.as_deref())
                    .with_trace(trace)
                    .disclosing(id);
                if let Some((nhs_number, read_view)) = record {
                    let read_body = Answer::json(200, &read_view)?.body;
                    answer = answer.with_record(nhs_number, read_body);
                }
                Ok(answer)
            }
        }
    }
}
