//! Everything SMSP cannot do, answered as PDS would (PDS FHIR SPEC §2, §7).

use actix_web::{web, HttpRequest};

use crate::fhir::SpineCode;
use crate::http::meta::{truncate, RequestMeta};
use crate::http::ApiError;

/// PATCH/POST/PUT/DELETE on Patient: app-restricted PDS answers 403 INVALID_METHOD.
pub async fn write_method(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    RequestMeta::from_request(&req)?;
    let code = if req.method() == actix_web::http::Method::POST {
        SpineCode::InvalidMethodCreate
    } else {
        SpineCode::InvalidMethodUpdate
    };
    Err(ApiError::client_plain(code))
}

pub async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    RequestMeta::from_request(&req)?;
    Err(ApiError::client(
        SpineCode::UnsupportedRequest,
        format!("Unsupported method - '{}'", req.method()),
    ))
}

/// SMSP carries no related people (SMSP SPEC §5.3 "Not present in the model"), so an empty
/// Bundle would wrongly say the patient has none.
pub async fn related_person(
    req: HttpRequest,
    _id: web::Path<String>,
) -> Result<actix_web::HttpResponse, ApiError> {
    RequestMeta::from_request(&req)?;
    Err(ApiError::client(
        SpineCode::UnsupportedService,
        "RelatedPerson cannot be supplied: this service is answered from SMSP, which holds no related people",
    ))
}

/// Any other path: the PDS proxy's UNSUPPORTED_REQUEST (PDS FHIR SPEC §1).
pub async fn unknown_path(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    RequestMeta::from_request(&req)?;
    Err(ApiError::client(
        SpineCode::UnsupportedRequest,
        format!("Unsupported path - '{}'", truncate(req.path(), 100)),
    ))
}
