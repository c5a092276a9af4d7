//! Admin endpoints on the simulator's own TLS listener (so they need the client certificate too):
//!
//! | Method | Path | |
//! |---|---|---|
//! | GET | `/_admin/knobs` | current knobs (JSON) |
//! | PUT | `/_admin/knobs` | replace all knobs; omitted fields take their defaults |
//! | PATCH | `/_admin/knobs` | change only the fields given |
//! | GET | `/_admin/counters` | request counters (JSON) |
//! | POST | `/_admin/reset` | counters to zero, knobs back to their start values |
//! | GET | `/_admin/health` | 200 `ok` |

use actix_web::{web, HttpResponse};
use bytes::Bytes;

use super::knobs::Knobs;
use super::state::SimState;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_admin")
            .route("/knobs", web::get().to(get_knobs))
            .route("/knobs", web::put().to(put_knobs))
            .route("/knobs", web::patch().to(patch_knobs))
            .route("/counters", web::get().to(counters))
            .route("/reset", web::post().to(reset))
            .route(
                "/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok") }),
            ),
    );
}

async fn get_knobs(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.knobs())
}

async fn put_knobs(state: web::Data<SimState>, body: Bytes) -> HttpResponse {
    match serde_json::from_slice::<Knobs>(&body) {
        Ok(k) => apply(&state, k),
        Err(e) => bad_request(&e.to_string()),
    }
}

/// Merges the given fields into the current knobs (JSON object merge, one level).
async fn patch_knobs(state: web::Data<SimState>, body: Bytes) -> HttpResponse {
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(serde_json::Value::Object(m)) => serde_json::Value::Object(m),
        Ok(_) => return bad_request("expected a JSON object"),
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut current = serde_json::to_value(state.knobs()).expect("knobs serialise");
    if let (Some(cur), Some(p)) = (current.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            cur.insert(k.clone(), v.clone());
        }
    }
    match serde_json::from_value::<Knobs>(current) {
        Ok(k) => apply(&state, k),
        Err(e) => bad_request(&e.to_string()),
    }
}

fn apply(state: &SimState, knobs: Knobs) -> HttpResponse {
    match state.set_knobs(knobs) {
        Ok(()) => {
            let k = state.knobs();
            tracing::info!(knobs = ?k, "sim knobs changed");
            HttpResponse::Ok().json(k)
        }
        Err(e) => bad_request(&e),
    }
}

async fn counters(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.snapshot())
}

async fn reset(state: web::Data<SimState>) -> HttpResponse {
    state.reset();
    HttpResponse::NoContent().finish()
}

fn bad_request(why: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain")
        .body(why.to_string())
}
