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
