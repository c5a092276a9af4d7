//! The route pattern a request matched (`/personal-demographics/FHIR/R4/Patient/{id}`), worked
//! out once per request.
//!
//! Logs, metrics and the audit trail label requests by route *pattern*, never by path (paths
//! carry NHS numbers). actix recomputes `match_pattern()` on every call: a walk of the resource
//! map with a regex match for each dynamic segment. Three layers asked for it on every request
//! (issue 9: with the router's own match, a third of a cache hit's instructions), so the first
//! layer to ask stores the answer in the request's extensions and the others read it from there.
//!
//! Patterns are interned as `&'static str`: they can only be patterns of registered routes, a
//! small fixed set, and a metric label made from a `&'static str` needs no allocation.

use foldhash::HashSet;
use std::sync::{OnceLock, RwLock};

use actix_web::{HttpMessage, HttpRequest};

/// Stored in the request's extensions by the first `pattern` call.
#[derive(Clone, Copy)]
struct RoutePattern(Option<&'static str>);

/// The matched route pattern, or `None` when no route matched.
pub fn pattern(req: &HttpRequest) -> Option<&'static str> {
    if let Some(RoutePattern(p)) = req.extensions().get::<RoutePattern>() {
        return *p;
    }
    let p = req.match_pattern().map(|s| intern(&s));
    req.extensions_mut().insert(RoutePattern(p));
    p
}

/// More distinct patterns than any configuration registers; past it (which would mean a bug),
/// patterns share one label rather than grow the table.
const MAX_PATTERNS: usize = 256;

fn intern(pattern: &str) -> &'static str {
    static TABLE: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| RwLock::new(HashSet::default()));
    if let Some(p) = table.read().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return p;
    }
    let mut table = table.write().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = table.get(pattern) {
        return p;
    }
    if table.len() >= MAX_PATTERNS {
        return "other";
    }
    let leaked: &'static str = Box::leak(pattern.to_owned().into_boxed_str());
    table.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use actix_web::{web, App, HttpResponse};

    #[actix_web::test]
    async fn the_pattern_is_computed_once_and_interned() {
        let app = actix_web::test::init_service(App::new().route(
            "/Patient/{id}",
            web::get().to(|req: HttpRequest| async move {
                let first = pattern(&req);
                let second = pattern(&req);
                assert_eq!(first, Some("/Patient/{id}"));
                assert!(std::ptr::eq(first.unwrap(), second.unwrap()));
                HttpResponse::Ok().finish()
            }),
        ))
        .await;
        let res = actix_web::test::call_service(
            &app,
            TestRequest::get().uri("/Patient/9990001006").to_request(),
        )
        .await;
        assert!(res.status().is_success());
        assert!(std::ptr::eq(intern("/x/{id}"), intern("/x/{id}")));
    }
}
