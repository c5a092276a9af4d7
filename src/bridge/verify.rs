//! `$verify-nhs-number` → verifyNHSNumber, answered as `Parameters`.

use super::{outcome_answer, trace_of, Answer, ApiError, Bridge, Caller};
use crate::fhir::verify::result;
use crate::fhir::VerifyRequest;
use crate::mapping::{verify_plan, CallContext, OutcomeResult};
use crate::smsp::ResponseBody;

impl Bridge {
    pub async fn verify(
        &self,
        request: VerifyRequest,
        caller: &Caller,
    ) -> Result<Answer, ApiError> {
        let (interaction, query) = verify_plan(&request);
        let audit = self.audit_identity(caller);
        let call = self
            .smsp
            .call(interaction, &query, &audit)
            .await
            .map_err(|e| self.smsp_failure(CallContext::Verify, interaction, &e))?;
        let trace = trace_of(&call);
        let code = call.response.code.clone();
        let row = self.tables.outcome(CallContext::Verify, code.as_str());
        if row.result != OutcomeResult::Data {
            return outcome_answer(row, trace);
        }
        let (valid, identifier) = match call.response.body {
            ResponseBody::Verify { valid, identifier } => (valid, identifier),
            _ => (None, None),
        };
        let valid = row.valid.or(valid).unwrap_or(false);
        // The number SMSP returned is the superseding one for DEMOG-0017; otherwise echo the
        // number asked about when it verified.
        let requested = request.nhs_number.to_string();
        let number = identifier.or_else(|| valid.then_some(requested));
        let mut answer = Answer::json(200, &result(valid, number.as_deref(), &code))?
            .with_warning(row.warning.as_deref())
            .with_trace(trace);
        if let Some(n) = number {
            answer = answer.disclosing(n);
        }
        Ok(answer)
    }
}
