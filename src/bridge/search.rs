//! `GET /Patient?…` → verifyNHSNumber, getNHSNumber, getPatientDetailsByNHSNumber,
//! getPatientDetailsBySearch or getPatientDetails, as `mapping::plan` decides.

use super::{outcome_answer, trace_of, Answer, ApiError, Bridge, Caller, PatientRecord};
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
                // The returned record, for layers above the core (the cache: a DOB-less read
                // after this search gets what a read would, issue 4). Its READ view is rendered
                // only by a layer that keeps it: with the cache off, a search renders one view.
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
                        let found = if request.identifiers_only {
                            identifiers_only(&p.nhs_number)
                        } else {
                            to_fhir(&p, &self.tables, View::Search)
                        };
                        if !request.summary_count {
                            record = Some(PatientRecord::deferred(p.into(), self.tables.clone()));
                        }
                        found
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
                if let Some(record) = record {
                    answer = answer.with_record(record);
                }
                Ok(answer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::bridge::ReadRequest;
    use crate::config::Settings;
    use crate::domain::{NhsNumber, PartialDate};
    use crate::mapping::Tables;
    use crate::sim::InProcessClient;

    fn bridge() -> Bridge {
        Bridge::new(
            Arc::new(InProcessClient::builtin()),
            Arc::new(Tables::embedded().unwrap()),
            &Settings::default(),
        )
    }

    /// A search renders the SEARCH view only; the READ view of the record it found is left to
    /// the layer that keeps it (the cache), and is then byte for byte what a read answers.
    #[tokio::test]
    async fn a_search_defers_the_read_view_and_it_renders_as_a_read_would() {
        let bridge = bridge();
        let caller = Caller::anonymous(Some("Y12345".into()));
        let request =
            crate::fhir::search::parse_str("family=FAIRWEATHER&gender=male&birthdate=1980-01-15")
                .unwrap();
        let found = bridge.search(request, &caller).await.unwrap();
        let record = found
            .record
            .expect("a search that found a patient carries its record");
        assert!(!record.is_rendered(), "no READ view rendered by the search");

        let read = ReadRequest {
            nhs_number: NhsNumber::parse("9990001006").unwrap(),
            birth_date: Some(PartialDate::full(1980, 1, 15).unwrap()),
        };
        let read = bridge.read(read, &caller).await.unwrap();
        assert_eq!(record.nhs_number, NhsNumber::parse("9990001006").unwrap());
        assert_eq!(record.read_body().unwrap(), read.body);
        // A read carries its own answer as the record: nothing is rendered twice.
        let read_record = read.record.expect("a read carries its record");
        assert!(read_record.is_rendered());
        assert_eq!(read_record.read_body().unwrap(), read.body);
    }
}
