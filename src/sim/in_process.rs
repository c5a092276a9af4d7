//! An [`SmspClient`] that answers from a simulator in the same process: the real request builder,
//! the simulator's responder and the real reply parser, with no HTTP or TLS in between. For the
//! demo and benchmarks; tests prefer the HTTPS server, which exercises the transport too.
//!
//! Of the knobs only the latency ones apply here: the others describe HTTP-level misbehaviour.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::state::SimState;
use super::{responder, Dataset, Knobs};
use crate::smsp::{
    build, parse, upper_uuid, AuditIdentity, EnvelopeContext, Interaction, Query, SmspCall,
    SmspClient, SmspError, SmspReply,
};

/// The `wsa:To` written into in-process requests.
pub const IN_PROCESS_URL: &str = "in-process://smsp/pds";

#[derive(Clone)]
pub struct InProcessClient {
    state: Arc<SimState>,
}

impl InProcessClient {
    /// A client over shared simulator state (e.g. `SimServer::state()`, so counters are common).
    pub fn new(state: Arc<SimState>) -> Self {
        Self { state }
    }

    /// A client over the built-in data set with every knob off.
    pub fn builtin() -> Self {
        Self::new(Arc::new(SimState::new(
            Dataset::builtin(),
            Knobs::default(),
        )))
    }

    pub fn state(&self) -> Arc<SimState> {
        self.state.clone()
    }
}

impl SmspClient for InProcessClient {
    fn call<'a>(
        &'a self,
        interaction: Interaction,
        query: &'a Query,
        audit: &'a AuditIdentity,
    ) -> BoxFuture<'a, Result<SmspCall, SmspError>> {
        Box::pin(async move {
            let ctx =
                EnvelopeContext::new(IN_PROCESS_URL, "in-process", "in-process", audit.clone());
            let message_id = upper_uuid(&ctx.message_id);
            let body = build::request_envelope(interaction, query, &ctx)
                .map_err(|e| SmspError::Malformed(format!("request not built: {e}")))?;
            let action = interaction.service();
            self.state.count_arrival(Some(action));
            let knobs = self.state.knobs();
            let extra = match knobs.latency_jitter_ms {
                0 => 0,
                j => rand::Rng::random_range(&mut rand::rng(), 0..=j),
            };
            let wait = knobs.latency_ms.saturating_add(extra);
            if wait > 0 {
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            let reply = responder::respond(&self.state, Some(action), body.as_bytes());
            match parse::reply(reply.body.as_bytes())
                .map_err(|e| SmspError::Malformed(e.to_string()))?
            {
                SmspReply::Response(response) => Ok(SmspCall {
                    interaction,
                    message_id,
                    response,
                }),
                SmspReply::Fault(f) => Err(SmspError::Fault(Box::new(f))),
            }
        })
    }
}
