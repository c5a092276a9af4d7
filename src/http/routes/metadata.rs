//! `GET /metadata`: a CapabilityStatement stating exactly what the bridge supports. (Real PDS
//! has none — PDS FHIR SPEC §1 — so apps that never call it are unaffected.)

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::bridge::PatientService;
use crate::http::respond::fhir_json;
use crate::http::ApiError;

pub async fn capability_statement(
    req: HttpRequest,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    super::super::negotiate::require_json(&req, super::format_param(&super::query_pairs(&req)))?;
    Ok(fhir_json(
        StatusCode::OK,
        &crate::fhir::capability::statement(service.public_base_url()),
    ))
}
