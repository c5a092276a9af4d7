//! `GET /Patient/{id}` → getPatientDetailsByNHSNumber.

use super::{outcome_answer, Answer, ApiError, Bridge, Caller};
use crate::domain::{NhsNumber, PartialDate};
use crate::mapping::{patient::to_fhir, read_plan, CallContext, OutcomeResult, View};
use crate::smsp::ResponseBody;

impl Bridge {
    pub async fn read(
        &self,
        nhs_number: NhsNumber,
        birth_date: PartialDate,
        caller: &Caller,
    ) -> Result<Answer, ApiError> {
        let (interaction, query) = read_plan(nhs_number, birth_date);
        let audit = self.audit_identity(caller);
        let call = self
            .smsp
            .call(interaction, &query, &audit)
            .await
            .map_err(|e| self.smsp_failure(CallContext::Read, &e))?;
        let code = call.response.code.as_str().to_string();
        let row = self.tables.outcome(CallContext::Read, &code);
        match (row.result, call.response.body) {
            (OutcomeResult::Data, ResponseBody::PatientDetails(Some(patient))) => {
                // DEMOG-0017: the record comes back under the superseding number (PDS SPEC §4).
                let resource = to_fhir(&patient, &self.tables, View::Read);
                Ok(Answer::json(200, &resource)?.with_warning(row.warning.as_deref()))
            }
            (OutcomeResult::Data, _) => Err(ApiError::internal(
                "SMSP reported success but returned no patient",
            )),
            _ => outcome_answer(row, &code),
        }
    }
}
