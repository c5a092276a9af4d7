//! `GET /Patient?…` → the SMSP interaction the parameters call for (see `mapping::plan`).

use actix_web::{web, HttpRequest, HttpResponse};

use super::read::IntoHttp;
use super::{format_param, query_pairs};
use crate::bridge::{Bridge, Caller};
use crate::http::meta::RequestMeta;
use crate::http::negotiate::require_json;
use crate::http::ApiError;

pub async fn search(req: HttpRequest, bridge: web::Data<Bridge>) -> Result<HttpResponse, ApiError> {
    let meta = RequestMeta::from_request(&req)?;
    let pairs = query_pairs(&req);
    require_json(&req, format_param(&pairs))?;
    let request = crate::fhir::search::parse(&pairs).map_err(ApiError::from)?;
    let answer = bridge.search(request, &Caller::from_meta(&meta)).await?;
    Ok(answer.into_response())
}
