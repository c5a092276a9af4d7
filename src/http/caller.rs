//! The caller of a FHIR interaction and the audit facts about it, kept in request extensions.

use actix_web::{HttpMessage, HttpRequest};

use super::meta::RequestMeta;
use crate::bridge::{Answer, ApiError, AuditFacts, Caller, FactsWanted};

/// The principal an authentication layer attached to the request, or `anonymous` when none
/// is configured; the end-user organisation always comes from the PDS header.
pub fn caller(req: &HttpRequest, meta: &RequestMeta) -> Caller {
    let mut caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .unwrap_or_else(|| Caller::anonymous(None));
    if meta.end_user_ods.is_some() {
        caller.ods = meta.end_user_ods.clone();
    }
    caller
}

/// Leaves the audit facts for the audit layer, when one asked for them (`FactsWanted`), and
/// returns the result unchanged. `facts` is called only then.
pub fn record(
    req: &HttpRequest,
    facts: impl FnOnce() -> AuditFacts,
    result: Result<Answer, ApiError>,
) -> Result<Answer, ApiError> {
    if req.extensions().contains::<FactsWanted>() {
        let facts = facts().outcome(&result);
        req.extensions_mut().insert(facts);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn answer() -> Result<Answer, ApiError> {
        Ok(Answer::json(200, &serde_json::json!({}))
            .unwrap()
            .disclosing("9990001006"))
    }

    #[test]
    fn facts_are_built_only_for_an_audit_layer_that_wants_them() {
        let req = TestRequest::default().to_http_request();
        let mut built = false;
        let result = record(
            &req,
            || {
                built = true;
                AuditFacts::new("read", Vec::new())
            },
            answer(),
        );
        assert!(result.is_ok());
        assert!(!built, "no audit layer asked: the facts must not be built");
        assert!(req.extensions().get::<AuditFacts>().is_none());

        let req = TestRequest::default().to_http_request();
        req.extensions_mut().insert(FactsWanted);
        let _ = record(&req, || AuditFacts::new("read", Vec::new()), answer());
        let facts = req
            .extensions_mut()
            .remove::<AuditFacts>()
            .expect("facts left");
        assert_eq!(facts.interaction, "read");
        assert_eq!(facts.nhs_numbers, ["9990001006"]);
    }
}
