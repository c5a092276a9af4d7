//! `GET /Patient?…` → the SMSP interaction the parameters call for (see `mapping::plan`).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{format_param, query_pairs};
use crate::bridge::{AuditFacts, PatientService};
use crate::http::caller::{caller, record};
use crate::http::meta::RequestMeta;
use crate::http::negotiate::require_json;
use crate::http::respond::answer_response;
use crate::http::ApiError;

pub async fn search(
    req: HttpRequest,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    let facts = || AuditFacts::new("search", pairs.clone());
    let result = async {
        let meta = RequestMeta::from_request(&req)?;
        require_json(&req, format_param(&pairs))?;
        // The service's vocabulary, not the embedded one: `gender` is read with the table the
        // answer's `gender` is written with (`mappings_dir` may override it).
        let vocabulary = &service.tables().vocabulary;
        let request =
            crate::fhir::search::parse_with(&pairs, vocabulary).map_err(ApiError::from)?;
        service.search(request, &caller(&req, &meta)).await
    }
    .await;
    Ok(answer_response(record(&req, facts, result)?))
}
