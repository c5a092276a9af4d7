//! `GET /Patient/{id}` → getPatientDetailsByNHSNumber (SMSP SPEC §4.3), which needs the date of
//! birth: it comes from the `X-SMSP-Birth-Date` header (SMSP SPEC §0.1).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{format_param, query_pairs};
use crate::bridge::{AuditFacts, PatientService, ReadRequest};
use crate::domain::{NhsNumber, PartialDate};
use crate::fhir::SpineCode;
use crate::http::caller::{caller, record};
use crate::http::meta::{name, truncate, RequestMeta, X_SMSP_BIRTH_DATE};
use crate::http::negotiate::require_json;
use crate::http::respond::answer_response;
use crate::http::ApiError;

pub async fn read(
    req: HttpRequest,
    id: web::Path<String>,
    service: web::Data<dyn PatientService>,
) -> Result<HttpResponse, ApiError> {
    let facts = || {
        let mut params = vec![("id".to_string(), id.to_string())];
        if let Some(dob) = req
            .headers()
            .get(name::X_SMSP_BIRTH_DATE)
            .and_then(|v| v.to_str().ok())
        {
            params.push((X_SMSP_BIRTH_DATE.to_string(), dob.to_string()));
        }
        AuditFacts::new("read", params)
    };
    // PDS order (SPEC §7): X-Request-ID, then the NHS number, then existence.
    let result = async {
        let meta = RequestMeta::from_request(&req)?;
        require_json(&req, format_param(&query_pairs(&req)))?;
        let nhs_number = NhsNumber::parse(&id)
            .map_err(|_| ApiError::client_plain(SpineCode::InvalidResourceId))?;
        let birth_date = birth_date_header(&req)?;
        let request = ReadRequest {
            nhs_number,
            birth_date,
        };
        service.read(request, &caller(&req, &meta)).await
    }
    .await;
    Ok(answer_response(record(&req, facts, result)?))
}

/// `None` when absent (the service decides whether it can do without); a malformed value is
/// refused here.
fn birth_date_header(req: &HttpRequest) -> Result<Option<PartialDate>, ApiError> {
    let Some(value) = req.headers().get(name::X_SMSP_BIRTH_DATE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    match PartialDate::parse_fhir(text) {
        Ok(d) if d.is_full() => Ok(Some(d)),
        _ => Err(ApiError::client(
            SpineCode::InvalidValue,
            format!(
                "Invalid value - '{}' in header 'X-SMSP-Birth-Date'",
                truncate(text, 40)
            ),
        )),
    }
}
