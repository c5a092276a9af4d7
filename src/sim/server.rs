//! The HTTPS face: actix-web on rustls, requiring a client certificate (TLS-MA, SPEC §2.2).
//! `POST /smsp/pds` is the SMSP endpoint (SPEC §1); `/_admin/*` are the simulator's controls.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use bytes::Bytes;
use rand::Rng;

use super::admin;
use super::knobs::{FailureMode, Knobs};
use super::magic::ItkCode;
use super::responder::{self, Reply};
use super::state::SimState;
use crate::smsp::Interaction;

/// Requests larger than this are refused (413) before parsing; real requests are ~3 KiB.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// Chunk size used when streaming an oversize body.
const PAD_CHUNK: usize = 64 * 1024;

pub(crate) struct Running {
    pub addr: SocketAddr,
    pub handle: actix_web::dev::ServerHandle,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub(crate) fn start(
    listen: SocketAddr,
    tls: rustls::ServerConfig,
    state: Arc<SimState>,
    workers: usize,
) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_REQUEST_BYTES))
            .route("/smsp/pds", web::post().to(smsp))
            .configure(admin::routes)
    })
    .workers(workers.max(1))
    .disable_signals()
    .shutdown_timeout(1)
    .listen_rustls_0_23(listener, tls)
    .context("starting the TLS listener")?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(Running { addr, handle, task })
}

async fn smsp(req: HttpRequest, body: Bytes, state: web::Data<SimState>) -> HttpResponse {
    // SOAPAction arrives quoted or unquoted (SPEC §2.1); `from_service` strips quotes.
    let action = req
        .headers()
        .get("SOAPAction")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    state.count_arrival(action.as_deref());
    let knobs = state.knobs();
    delay(&knobs).await;

    if knobs.drop_connection {
        state.counters().injected();
        tracing::info!("sim knob: dropping the connection");
        return dropped();
    }
    if knobs.http_503 {
        state.counters().injected();
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .insert_header(("Retry-After", "1"))
            .body("Service Unavailable");
    }
    if knobs.failure_rate > 0.0 && rand::rng().random_bool(knobs.failure_rate) {
        state.counters().injected();
        let interaction = action.as_deref().and_then(Interaction::from_service);
        let itk = match knobs.failure_mode {
            FailureMode::Http500 => {
                return HttpResponse::InternalServerError()
                    .content_type("text/plain")
                    .body("Internal Server Error");
            }
            FailureMode::Itk2100 => ItkCode::Retryable,
            FailureMode::Itk2200 => ItkCode::NotRetryable,
        };
        state.counters().fault(itk.code());
        let reply = responder::fault(itk, interaction, "injected by the simulator's failure_rate");
        return send(reply, &knobs);
    }

    let reply = responder::respond(&state, action.as_deref(), &body);
    send(reply, &knobs)
}

async fn delay(knobs: &Knobs) {
    let jitter = match knobs.latency_jitter_ms {
        0 => 0,
        j => rand::rng().random_range(0..=j),
    };
    let total = knobs.latency_ms.saturating_add(jitter);
    if total > 0 {
        tokio::time::sleep(Duration::from_millis(total)).await;
    }
}

/// Writes the reply, letting the body knobs corrupt it (first of malformed, truncated, oversize).
fn send(reply: Reply, knobs: &Knobs) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if knobs.wrong_content_type {
        "text/html; charset=utf-8"
    } else {
        "text/xml"
    };
    let mut builder = HttpResponse::build(status);
    builder.content_type(content_type);
    if knobs.malformed_xml {
        return builder.body(malformed(&reply.body));
    }
    if knobs.truncated_xml {
        let mut cut = reply.body.len() / 2;
        while !reply.body.is_char_boundary(cut) {
            cut -= 1;
        }
        return builder.body(reply.body[..cut].to_string());
    }
    if knobs.oversize_bytes > 0 {
        return builder.streaming(oversize(reply.body, knobs.oversize_bytes));
    }
    builder.body(reply.body)
}

/// The real envelope with its closing tag misspelt: well-formedness fails at the very end, so a
/// client that only sniffs the start is caught too.
fn malformed(body: &str) -> String {
    match body.rfind("</") {
        Some(at) => format!("{}</soap:Envelop>", &body[..at]),
        None => format!("{body}<unclosed>"),
    }
}

/// The real envelope followed by an XML comment padding the total to at least `min_bytes`
/// (a comment after the root is well-formed, so only the size is wrong). Streamed in chunks
/// without `Content-Length`, as a client must cap what it reads, not trust a header.
fn oversize(
    body: String,
    min_bytes: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let head = Bytes::from(format!("{body}\n<!--"));
    let mut remaining = min_bytes.saturating_sub(head.len() as u64 + 3);
    let pad = Bytes::from(vec![b'x'; PAD_CHUNK]);
    let chunks = std::iter::once(head)
        .chain(std::iter::from_fn(move || {
            if remaining == 0 {
                return None;
            }
            let n = remaining.min(PAD_CHUNK as u64) as usize;
            remaining -= n as u64;
            Some(pad.slice(..n))
        }))
        .chain(std::iter::once(Bytes::from_static(b"-->")))
        .map(Ok);
    futures_util::stream::iter(chunks)
}

/// Status line, headers and a few body bytes, then an error from the body stream, which makes
/// actix abort the connection mid-body: the client sees a broken exchange, not an answer.
fn dropped() -> HttpResponse {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"<?xml version=\"1.0\"")),
        Err(std::io::Error::other("simulated connection drop")),
    ];
    HttpResponse::Ok()
        .content_type("text/xml")
        .streaming(futures_util::stream::iter(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_body_breaks_the_closing_tag() {
        assert_eq!(malformed("<a><b/></a>"), "<a><b/></soap:Envelop>");
    }
}
