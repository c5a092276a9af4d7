//! The middleware (issue 5): authenticate, authorise, rate-limit, run the handler, audit —
//! and release the answer only once its audit record is on disk.
//!
//! Order matters: the principal is established before anything else is looked at (the PDS
//! proxy checks the token before `X-Request-ID`, PDS FHIR SPEC §7 "Error ordering"); refusals
//! of patient-data routes are audited too.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, ResponseError};
use std::time::Instant;

use super::audit::{AuditEntry, Decision, SmspEntry};
use super::client_cert::PeerCertificate;
use super::principal::{diagnostics, AuthFailure, Principal};
use super::rbac::{self, Permission, RouteClass};
use super::settings::AuthMode;
use super::Security;
use crate::bridge::{ApiError, AuditFacts, ErrorSource};
use crate::fhir::SpineCode;
use crate::http::meta::name;

/// Why the guard answered itself.
enum Refusal {
    Unauthenticated(AuthFailure),
    Forbidden(Permission),
    RateLimited(u32),
}

pub async fn guard<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(security) = req.app_data::<web::Data<Security>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    security.handle(req, next).await
}

impl Security {
    async fn handle<B: MessageBody + 'static>(
        &self,
        req: ServiceRequest,
        next: Next<B>,
    ) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
        let started = Instant::now();
        let route = crate::http::route::pattern(req.request());
        let class = rbac::classify(req.method(), route, req.path(), &self.public_paths);
        if !class.needs_principal() {
            return Ok(next.call(req).await?.map_into_left_body());
        }
        // Without an audit trail the draft would be built only to be dropped.
        let draft = (class.audited() && self.audit.is_some())
            .then(|| Draft::of(&req, class, route.map(str::to_string), started));
        let principal = match self.authenticate(&req).await {
            Ok(p) => p,
            Err(refusal) => return self.refuse(req, refusal, None, draft).await,
        };
        if let RouteClass::Patient(permission) = class {
            if !self.roles.permits(&principal.roles, permission) {
                let refusal = Refusal::Forbidden(permission);
                return self.refuse(req, refusal, Some(principal), draft).await;
            }
        }
        if let Err(secs) = self.limits.check_principal(&principal.user) {
            let refusal = Refusal::RateLimited(secs);
            return self.refuse(req, refusal, Some(principal), draft).await;
        }
        req.extensions_mut().insert(principal.caller());
        if draft.is_some() {
            req.extensions_mut().insert(crate::bridge::FactsWanted);
        }
        let res = match next.call(req).await {
            Ok(res) => res,
            // Handler errors arrive as responses; an `Err` means the service itself failed.
            // Recorded as far as it can be, then passed on (it carries no patient data).
            Err(e) => {
                if let Some(draft) = draft {
                    let status = e.as_response_error().status_code().as_u16();
                    let entry = draft.finish(
                        None,
                        Some(&principal),
                        None,
                        None,
                        status,
                        Decision::Allowed,
                    );
                    let _ = self.record(entry).await;
                }
                return Err(e);
            }
        };
        let Some(draft) = draft else {
            return Ok(res.map_into_left_body());
        };
        let facts = res.request().extensions_mut().remove::<AuditFacts>();
        let entry = draft.finish(
            Some(res.request()),
            Some(&principal),
            None,
            facts,
            res.status().as_u16(),
            Decision::Allowed,
        );
        match self.record(entry).await {
            Ok(()) => Ok(res.map_into_left_body()),
            // The answer (perhaps patient data) is dropped unsent: fail closed.
            Err(unavailable) => {
                let (req, _withheld) = res.into_parts();
                Ok(ServiceResponse::new(req, unavailable.error_response()).map_into_right_body())
            }
        }
    }

    /// The principal, by the first mode that applies: an `Authorization` header (Basic or
    /// Bearer), else a client certificate, else — in open mode only — `anonymous`.
    async fn authenticate(&self, req: &ServiceRequest) -> Result<Principal, Refusal> {
        if self.open {
            return Ok(Principal {
                user: "anonymous".into(),
                roles: self.open_roles.clone(),
                mode: AuthMode::Open,
            });
        }
        let ip = req.peer_addr().map(|a| a.ip());
        if let Some(ip) = ip {
            self.limits.blocked(ip).map_err(Refusal::RateLimited)?;
        }
        let result = self.credentials(req).await;
        if let (Err(f), Some(ip)) = (&result, ip) {
            if f.rejected {
                self.limits.failed(ip);
            }
            tracing::info!(reason = f.diagnostics, "authentication failed");
        }
        result.map_err(Refusal::Unauthenticated)
    }

    async fn credentials(&self, req: &ServiceRequest) -> Result<Principal, AuthFailure> {
        match req.headers().get(header::AUTHORIZATION) {
            Some(value) => {
                let text = value.to_str().unwrap_or("").trim();
                if text.is_empty() {
                    return Err(AuthFailure::missing(diagnostics::EMPTY));
                }
                let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
                if scheme.eq_ignore_ascii_case("basic") {
                    if let Some(basic) = &self.basic {
                        return basic.authenticate(rest).await;
                    }
                } else if scheme.eq_ignore_ascii_case("bearer") {
                    if let Some(bearer) = &self.bearer {
                        return bearer.authenticate(rest).await;
                    }
                }
                Err(AuthFailure::rejected(diagnostics::UNSUPPORTED_SCHEME))
            }
            None => match (&self.certs, req.conn_data::<PeerCertificate>()) {
                (Some(certs), Some(peer)) => certs.authenticate(peer),
                _ => Err(AuthFailure::missing(diagnostics::MISSING)),
            },
        }
    }

    async fn refuse<B: MessageBody + 'static>(
        &self,
        req: ServiceRequest,
        refusal: Refusal,
        principal: Option<Principal>,
        draft: Option<Draft>,
    ) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
        let (error, decision, claimed) = match &refusal {
            Refusal::Unauthenticated(f) => (
                ApiError::client(SpineCode::AccessDenied, f.diagnostics),
                Decision::Unauthenticated,
                f.claimed_user.clone(),
            ),
            Refusal::Forbidden(p) => (
                ApiError::client(
                    SpineCode::AccessDeniedForbidden,
                    format!(
                        "Access denied - your roles do not permit the '{}' interaction",
                        p.as_str()
                    ),
                ),
                Decision::Forbidden,
                None,
            ),
            Refusal::RateLimited(secs) => {
                let mut e = ApiError::client(
                    SpineCode::TooManyRequests,
                    format!("You have exceeded your quota of requests; retry after {secs} seconds"),
                );
                e.retry_after = Some(*secs);
                (e, Decision::RateLimited, None)
            }
        };
        if let Some(draft) = draft {
            let entry = draft.finish(
                Some(req.request()),
                principal.as_ref(),
                claimed,
                None,
                error.status,
                decision,
            );
            if let Err(unavailable) = self.record(entry).await {
                return Ok(req
                    .into_response(unavailable.error_response())
                    .map_into_right_body());
            }
        }
        let mut res = error.error_response();
        if let Refusal::Unauthenticated(f) = &refusal {
            for challenge in self.challenges(f) {
                res.headers_mut()
                    .append(header::WWW_AUTHENTICATE, challenge);
            }
        }
        Ok(req.into_response(res).map_into_right_body())
    }

    /// One `WWW-Authenticate` challenge per enabled header-based mode (RFC 7235, RFC 6750).
    fn challenges(&self, f: &AuthFailure) -> Vec<HeaderValue> {
        let realm = self.realm.replace(['"', '\\'], "");
        let mut out = Vec::new();
        if self.basic.is_some() {
            out.push(format!(r#"Basic realm="{realm}", charset="UTF-8""#));
        }
        if self.bearer.is_some() {
            out.push(if f.invalid_token {
                format!(r#"Bearer realm="{realm}", error="invalid_token""#)
            } else {
                format!(r#"Bearer realm="{realm}""#)
            });
        }
        if out.is_empty() {
            // Client certificates only: there is no HTTP challenge scheme for them, but a 401
            // must carry one (RFC 9110 §15.5.2).
            out.push(format!(r#"Certificate realm="{realm}""#));
        }
        out.into_iter()
            .filter_map(|c| HeaderValue::from_str(&c).ok())
            .collect()
    }

    /// Writes an audit record (durably) when the trail is enabled.
    async fn record(&self, entry: AuditEntry) -> Result<(), ApiError> {
        let Some(audit) = &self.audit else {
            return Ok(());
        };
        audit.append(entry).await.map(|_| ()).map_err(|_| {
            ApiError::from_spine(
                SpineCode::ServiceUnavailable,
                Some(
                    "The audit trail cannot be written, so no patient data can be released. Retry after the time specified by the 'Retry-After' response header."
                        .into(),
                ),
                None,
                ErrorSource::Internal,
            )
        })
    }
}

/// What the audit record needs from the request, taken before the handler consumes it.
struct Draft {
    request_id: Option<String>,
    correlation_id: Option<String>,
    ods: Option<String>,
    client: Option<String>,
    method: String,
    route: Option<String>,
    interaction: &'static str,
    started: Instant,
}

impl Draft {
    fn of(
        req: &ServiceRequest,
        class: RouteClass,
        route: Option<String>,
        started: Instant,
    ) -> Self {
        let header = |name: HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                // At most 200 characters; a value of at most 200 bytes is copied as it is.
                .map(|v| match v.len() {
                    0..=200 => v.to_string(),
                    _ => v.chars().take(200).collect::<String>(),
                })
        };
        Self {
            request_id: header(name::X_REQUEST_ID),
            correlation_id: header(name::X_CORRELATION_ID),
            ods: header(name::END_USER_ODS)
                .map(|v| v.trim().to_ascii_uppercase())
                .filter(|v| {
                    (3..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric())
                }),
            client: req.peer_addr().map(|a| a.to_string()),
            method: req.method().to_string(),
            route,
            interaction: class.interaction(),
            started,
        }
    }

    fn finish(
        self,
        req: Option<&HttpRequest>,
        principal: Option<&Principal>,
        claimed_user: Option<String>,
        facts: Option<AuditFacts>,
        status: u16,
        decision: Decision,
    ) -> AuditEntry {
        // Without the handler's facts (refusals, write methods) the parameters come from the
        // request itself.
        let facts = facts.unwrap_or_else(|| AuditFacts {
            parameters: req
                .map(|r| parameters_of(r, self.route.as_deref()))
                .unwrap_or_default(),
            ..AuditFacts::default()
        });
        AuditEntry {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            request_id: self.request_id,
            correlation_id: self.correlation_id,
            user: principal.map(|p| p.user.clone()),
            claimed_user,
            auth: principal.map(|p| p.mode.as_str().to_string()),
            roles: principal.map(|p| p.roles.to_vec()).unwrap_or_default(),
            ods: self.ods,
            client: self.client,
            method: self.method,
            route: self.route,
            interaction: if facts.interaction.is_empty() {
                self.interaction.to_string()
            } else {
                facts.interaction.to_string()
            },
            parameters: facts.parameters,
            decision,
            smsp: facts.smsp.as_ref().map(SmspEntry::from),
            nhs_numbers: facts.nhs_numbers,
            cache: facts.cache.as_str().to_string(),
            status,
            latency_ms: (self.started.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0,
        }
    }
}

/// The parameters a refused request carried: the path id (for `/Patient/{id}…`), the query
/// pairs, and the `X-SMSP-Birth-Date` header — as the handlers record them.
fn parameters_of(req: &HttpRequest, pattern: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(pattern) = pattern {
        let pat: Vec<&str> = pattern.split('/').collect();
        let path: Vec<&str> = req.path().split('/').collect();
        for (p, v) in pat.iter().zip(path.iter()) {
            if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                out.push((name.to_string(), percent_decode(v)));
            }
        }
    }
    out.extend(
        form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    let dob = crate::http::meta::X_SMSP_BIRTH_DATE;
    if let Some(v) = req.headers().get(dob).and_then(|v| v.to_str().ok()) {
        out.push((dob.to_string(), v.to_string()));
    }
    out
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
