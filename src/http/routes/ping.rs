//! `/_ping`: liveness, open without authentication, in the PDS proxy's shape (PDS FHIR SPEC §1)
//! plus the build time.

use actix_web::HttpResponse;

/// Version, commit and build time stamped by `build.rs`.
pub fn build_info() -> serde_json::Value {
    serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": env!("SMSP_BRIDGE_GIT_COMMIT"),
        "releaseId": env!("CARGO_PKG_VERSION"),
        "commitId": env!("SMSP_BRIDGE_GIT_COMMIT"),
        "buildTime": env!("SMSP_BRIDGE_BUILD_TIME"),
    })
}

pub async fn ping() -> HttpResponse {
    HttpResponse::Ok().json(build_info())
}
