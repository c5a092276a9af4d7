//! The HTTP edge: routes, extractors and headers of the PDS FHIR API surface.

pub mod caller;
pub mod echo;
mod error;
pub mod meta;
mod negotiate;
pub mod respond;
pub mod route;
pub mod routes;

pub use error::{ApiError, ErrorSource};

use actix_web::web;

/// Registers every route under `base_path` (default `/personal-demographics/FHIR/R4`).
/// `$verify-nhs-number` is registered before `/Patient/{id}` so it is not taken for an id.
pub fn configure(cfg: &mut web::ServiceConfig, base_path: &str) {
    use routes::*;
    cfg.route("/_ping", web::get().to(ping::ping))
        .route("/_ping", web::head().to(ping::ping))
        .route("/_status", web::get().to(status::status))
        .route("/_status", web::head().to(status::status))
        .route("/metrics", web::get().to(crate::telemetry::metrics::render))
        .service(
            web::scope(base_path)
                .route("/metadata", web::get().to(metadata::capability_statement))
                .service(
                    web::resource("/Patient/$verify-nhs-number")
                        .route(web::get().to(verify::verify_get))
                        .route(web::post().to(verify::verify_post))
                        .default_service(web::to(unsupported::method_not_allowed)),
                )
                .service(
                    web::resource("/Patient")
                        .route(web::get().to(search::search))
                        .default_service(web::to(unsupported::write_method)),
                )
                .service(
                    web::resource("/Patient/{id}")
                        .route(web::get().to(read::read))
                        .default_service(web::to(unsupported::write_method)),
                )
                .service(
                    web::resource("/Patient/{id}/RelatedPerson")
                        .route(web::get().to(unsupported::related_person)),
                ),
        );
}
