//! `/_ping`: liveness, open without authentication, in the PDS proxy's shape (PDS FHIR SPEC §1).

use actix_web::HttpResponse;

pub async fn ping() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": option_env!("SMSP_BRIDGE_GIT_COMMIT").unwrap_or("unknown"),
        "releaseId": env!("CARGO_PKG_VERSION"),
        "commitId": option_env!("SMSP_BRIDGE_GIT_COMMIT").unwrap_or("unknown"),
    }))
}
