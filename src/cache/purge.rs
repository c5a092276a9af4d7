//! Admin-only purge (issue 4): `DELETE /_cache` drops everything, `DELETE /_cache/Patient/{id}`
//! one patient (its record, number index and the searches that found it). 204 on success.
//!
//! Admin = the `Caller` the security layer put in the request extensions has the role `admin`
//! (issue 5). Without one — no authentication configured — nobody may purge: 403 ACCESS_DENIED.
//! The `X-Request-ID` rules come first, as on every PDS interaction (PDS FHIR SPEC §7).

use std::sync::Arc;

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use super::store::Store;
use crate::bridge::{ApiError, Caller};
use crate::domain::NhsNumber;
use crate::fhir::SpineCode;
use crate::http::meta::RequestMeta;

/// The role that may purge.
pub const ADMIN_ROLE: &str = "admin";

/// What the purge routes act on: nothing when the cache is disabled (a purge is then a no-op
/// that still needs an admin).
#[derive(Clone)]
pub struct Purger {
    pub(super) store: Option<Arc<Store>>,
}

impl Purger {
    pub async fn purge_all(&self) {
        if let Some(store) = &self.store {
            store.purge_all().await;
        }
    }

    pub async fn purge_patient(&self, nhs_number: NhsNumber) -> Result<(), ApiError> {
        match &self.store {
            Some(store) => store
                .purge_patient(nhs_number)
                .await
                .map_err(|e| ApiError::internal(e.to_string())),
            None => Ok(()),
        }
    }
}

pub fn is_admin(caller: Option<&Caller>) -> bool {
    caller.is_some_and(|c| c.roles.iter().any(|r| r == ADMIN_ROLE))
}

/// `X-Request-ID`, then the admin role.
fn authorise(req: &HttpRequest) -> Result<(), ApiError> {
    RequestMeta::from_request(req)?;
    if is_admin(req.extensions().get::<Caller>()) {
        Ok(())
    } else {
        Err(ApiError::client_plain(SpineCode::AccessDeniedForbidden))
    }
}

pub async fn purge_all(
    req: HttpRequest,
    purger: web::Data<Purger>,
) -> Result<HttpResponse, ApiError> {
    authorise(&req)?;
    purger.purge_all().await;
    tracing::info!(scope = "all", "cache purged");
    Ok(HttpResponse::NoContent().finish())
}

pub async fn purge_patient(
    req: HttpRequest,
    id: web::Path<String>,
    purger: web::Data<Purger>,
) -> Result<HttpResponse, ApiError> {
    authorise(&req)?;
    let nhs_number =
        NhsNumber::parse(&id).map_err(|_| ApiError::client_plain(SpineCode::InvalidResourceId))?;
    purger.purge_patient(nhs_number).await?;
    // Never the number: it is patient data.
    tracing::info!(scope = "patient", "cache purged");
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /_cache`, `DELETE /_cache/Patient/{id}`; other methods there are refused as the
/// edge refuses any unsupported method (400 UNSUPPORTED_REQUEST).
pub fn configure(cfg: &mut web::ServiceConfig, purger: Purger) {
    use crate::http::routes::unsupported::method_not_allowed;
    cfg.service(
        web::resource("/_cache")
            .app_data(web::Data::new(purger.clone()))
            .route(web::delete().to(purge_all))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/_cache/Patient/{id}")
            .app_data(web::Data::new(purger))
            .route(web::delete().to(purge_patient))
            .default_service(web::to(method_not_allowed)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::SmspTrace;
    use crate::cache::entry::PatientEntry;
    use crate::cache::settings::CacheSettings;
    use crate::cache::stats::CacheStats;
    use crate::domain::PartialDate;
    use crate::smsp::Interaction;
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;
    use actix_web::ResponseError;

    fn store() -> Arc<Store> {
        Arc::new(Store::new(
            &CacheSettings::default(),
            Arc::new(CacheStats::default()),
        ))
    }

    async fn with_patient(store: &Store) -> NhsNumber {
        let n = NhsNumber::parse("9990001006").unwrap();
        store
            .insert_patient(PatientEntry::new(
                n,
                PartialDate::full(1980, 1, 15).unwrap(),
                bytes::Bytes::from_static(b"{}"),
                SmspTrace {
                    interaction: Interaction::GetPatientDetailsByNhsNumber,
                    message_id: None,
                    outcome: "SMSP-0000".into(),
                },
            ))
            .await;
        n
    }

    fn request(caller: Option<Caller>) -> HttpRequest {
        let req = TestRequest::delete()
            .insert_header(("X-Request-ID", "60E0B220-8136-4CA5-AE46-1D97EF59D068"))
            .to_http_request();
        if let Some(c) = caller {
            req.extensions_mut().insert(c);
        }
        req
    }

    fn admin() -> Caller {
        Caller {
            ods: Some("Y12345".into()),
            user: "ops".into(),
            roles: std::sync::Arc::from(["user".to_string(), ADMIN_ROLE.to_string()]),
        }
    }

    #[test]
    fn only_the_admin_role_may_purge() {
        assert!(is_admin(Some(&admin())));
        assert!(!is_admin(None));
        assert!(!is_admin(Some(&Caller::anonymous(Some("Y12345".into())))));
        let mut c = admin();
        c.roles = std::sync::Arc::from(["Admin".to_string(), "administrator".to_string()]);
        assert!(!is_admin(Some(&c)));
    }

    #[actix_web::test]
    async fn an_admin_purges_one_patient_then_everything() {
        let store = store();
        let n = with_patient(&store).await;
        let purger = web::Data::new(Purger {
            store: Some(store.clone()),
        });
        let res = purge_patient(
            request(Some(admin())),
            web::Path::from("9990001006".to_string()),
            purger.clone(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(store.latest(n).await.is_none());

        let n = with_patient(&store).await;
        let res = purge_all(request(Some(admin())), purger).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(store.latest(n).await.is_none());
        assert_eq!(store.entry_count().await, 0);
    }

    #[actix_web::test]
    async fn others_get_403_and_nothing_is_purged() {
        let store = store();
        let n = with_patient(&store).await;
        let purger = web::Data::new(Purger {
            store: Some(store.clone()),
        });
        for caller in [None, Some(Caller::anonymous(Some("Y12345".into())))] {
            let err = purge_all(request(caller), purger.clone())
                .await
                .unwrap_err();
            assert_eq!(err.status, 403);
            assert_eq!(err.spine_code, "ACCESS_DENIED");
            assert_eq!(err.status_code(), StatusCode::FORBIDDEN);
        }
        assert!(store.latest(n).await.is_some());
    }

    #[actix_web::test]
    async fn request_id_first_then_the_resource_id() {
        let purger = web::Data::new(Purger { store: None });
        let req = TestRequest::delete().to_http_request();
        req.extensions_mut().insert(admin());
        let err = purge_all(req, purger.clone()).await.unwrap_err();
        assert_eq!((err.status, err.spine_code), (400, "MISSING_VALUE"));
        let err = purge_patient(
            request(Some(admin())),
            web::Path::from("123".to_string()),
            purger.clone(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.spine_code, "INVALID_RESOURCE_ID");
        // Disabled cache: still 204 for an admin.
        let res = purge_all(request(Some(admin())), purger).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
}
