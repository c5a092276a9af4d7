//! `GET /Patient/{id}` → getPatientDetailsByNHSNumber (SMSP SPEC §4.3), which needs the date of
//! birth: it comes from the `X-SMSP-Birth-Date` header (SMSP SPEC §0.1).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{format_param, query_pairs};
use crate::bridge::{Bridge, Caller};
use crate::domain::{NhsNumber, PartialDate};
use crate::fhir::SpineCode;
use crate::http::meta::{truncate, RequestMeta, X_SMSP_BIRTH_DATE};
use crate::http::negotiate::require_json;
use crate::http::respond::fhir_bytes;
use crate::http::ApiError;

pub async fn read(
    req: HttpRequest,
    id: web::Path<String>,
    bridge: web::Data<Bridge>,
) -> Result<HttpResponse, ApiError> {
    // PDS order (SPEC §7): X-Request-ID, then the NHS number, then existence.
    let meta = RequestMeta::from_request(&req)?;
    require_json(&req, format_param(&query_pairs(&req)))?;
    let nhs_number = NhsNumber::parse(&id).map_err(|_| ApiError::client_plain(SpineCode::InvalidResourceId))?;
    let birth_date = birth_date_header(&req, nhs_number)?;
    let answer = bridge.read(nhs_number, birth_date, &Caller::from_meta(&meta)).await?;
    Ok(answer.into_response())
}

fn birth_date_header(req: &HttpRequest, nhs_number: NhsNumber) -> Result<PartialDate, ApiError> {
    let Some(value) = req.headers().get(X_SMSP_BIRTH_DATE) else {
        return Err(ApiError::client(
            SpineCode::MissingValue,
            format!(
                "Missing value - 'X-SMSP-Birth-Date' header. This service is answered from SMSP, which \
                 needs the patient's date of birth for every request: send 'X-SMSP-Birth-Date: YYYY-MM-DD', \
                 or search with GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs_number}&birthdate=YYYY-MM-DD"
            ),
        ));
    };
    let text = value.to_str().unwrap_or("").trim();
    match PartialDate::parse_fhir(text) {
        Ok(d) if d.is_full() => Ok(d),
        _ => Err(ApiError::client(
            SpineCode::InvalidValue,
            format!(
                "Invalid value - '{}' in header 'X-SMSP-Birth-Date'",
                truncate(text, 40)
            ),
        )),
    }
}

pub(crate) trait IntoHttp {
    fn into_response(self) -> HttpResponse;
}

impl IntoHttp for crate::bridge::Answer {
    fn into_response(self) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::OK);
        fhir_bytes(status, self.body)
    }
}
