//! `GET /Patient/{id}` → getPatientDetailsByNHSNumber.

use super::{
    outcome_answer, trace_of, Answer, ApiError, Bridge, Caller, PatientRecord, ReadRequest,
};
use crate::fhir::SpineCode;
use crate::mapping::{patient::to_fhir, read_plan, CallContext, OutcomeResult, View};
use crate::smsp::ResponseBody;

impl Bridge {
    pub async fn read(&self, request: ReadRequest, caller: &Caller) -> Result<Answer, ApiError> {
        // SMSP needs a date of birth for every request (SMSP SPEC §0.1).
        let Some(birth_date) = request.birth_date else {
            return Err(missing_birth_date(&request));
        };
        let (interaction, query) = read_plan(request.nhs_number, birth_date);
        let audit = self.audit_identity(caller);
        let call = self
            .smsp
            .call(interaction, &query, &audit)
            .await
            .map_err(|e| self.smsp_failure(CallContext::Read, interaction, &e))?;
        let trace = trace_of(&call);
        let row = self.tables.outcome(CallContext::Read, &trace.outcome);
        match (row.result, call.response.body) {
            (OutcomeResult::Data, ResponseBody::PatientDetails(Some(patient))) => {
                // DEMOG-0017: the record comes back under the superseding number (PDS SPEC §4).
                let resource = to_fhir(&patient, &self.tables, View::Read);
                let answer = Answer::json(200, &resource)?;
                // The answer is the READ view: layers above reuse its bytes, not a second render.
                let record = PatientRecord::rendered(patient.nhs_number, answer.body.clone());
                Ok(answer
                    .with_warning(row.warning.as_deref())
                    .with_trace(trace)
                    .disclosing(patient.nhs_number.to_string())
                    .with_record(record))
            }
            (OutcomeResult::Data, _) => {
                let mut e = ApiError::internal("SMSP reported success but returned no patient");
                e.smsp = Some(trace);
                Err(e)
            }
            _ => outcome_answer(row, trace),
        }
    }
}

fn missing_birth_date(request: &ReadRequest) -> ApiError {
    ApiError::client(
        SpineCode::MissingValue,
        format!(
            "Missing value - 'X-SMSP-Birth-Date' header. This service is answered from SMSP, which \\
             needs the patient's date of birth for every request: send 'X-SMSP-Birth-Date: YYYY-MM-DD', \\
             or search with GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{}&birthdate=YYYY-MM-DD",
            request.nhs_number
        ),
    )
}
