//! `ResilientClient`: the SMSP client decorator that applies issue 8's policies around each
//! call, outermost first:
//!
//! 1. the overall budget per request (`request_budget_ms`): every attempt, back-off pause and
//!    bulkhead wait fits inside it; running out answers `SmspError::Timeout` (408);
//! 2. the retry loop: only `retry::should_retry` failures, with jittered exponential back-off,
//!    at most `max_attempts`, each retry paid for from the global `RetryBudget`, and never a
//!    pause that would overrun the budget;
//! 3. per attempt: the circuit breaker (refuses at once while open → `CircuitOpen`, 503), then
//!    the bulkhead (bounded wait for a slot → `Overloaded`, 503), then the inner client — the
//!    metered live transport, which has its own connect and per-attempt timeouts
//!    (`smsp.connect_timeout_ms`, `smsp.timeout_ms`).
//!
//! Metrics (fixed label vocabularies only, never patient data): `smsp_bridge_circuit_state`
//! (0 closed, 1 half-open, 2 open), `smsp_bridge_circuit_transitions_total{to}`,
//! `smsp_bridge_circuit_rejected_total`, `smsp_bridge_smsp_retries_total{reason}`,
//! `smsp_bridge_smsp_retry_budget_exhausted_total`, `smsp_bridge_smsp_deadline_exceeded_total`,
//! `smsp_bridge_bulkhead_rejected_total`, `smsp_bridge_smsp_in_flight`,
//! `smsp_bridge_bulkhead_capacity` (`max_in_flight`; 0 = no cap).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use super::breaker::{Breaker, BreakerState};
use super::budget::RetryBudget;
use super::bulkhead::Bulkhead;
use super::retry::{should_retry, Backoff};
use super::settings::ResilienceSettings;
use crate::smsp::{AuditIdentity, Interaction, Query, SmspCall, SmspClient, SmspError};

pub struct ResilientClient {
    inner: Arc<dyn SmspClient>,
    budget: Option<Duration>,
    max_attempts: u32,
    backoff: Backoff,
    retry_budget: RetryBudget,
    breaker: Option<Arc<Breaker>>,
    bulkhead: Bulkhead,
}

impl ResilientClient {
    pub fn new(inner: Arc<dyn SmspClient>, settings: &ResilienceSettings) -> Self {
        let now = Instant::now();
        let breaker = settings.breaker.enabled.then(|| {
            Breaker::new(&settings.breaker, now, |state| {
                metrics::gauge!("smsp_bridge_circuit_state").set(state.gauge_value());
                metrics::counter!("smsp_bridge_circuit_transitions_total", "to" => state.name())
                    .increment(1);
                match state {
                    BreakerState::Open => {
                        tracing::warn!(state = state.name(), "SMSP circuit breaker opened")
                    }
                    _ => tracing::info!(state = state.name(), "SMSP circuit breaker changed state"),
                }
            })
        });
        metrics::gauge!("smsp_bridge_circuit_state").set(BreakerState::Closed.gauge_value());
        // Beside `smsp_bridge_smsp_in_flight`, so that dashboards and alerts read the bulkhead's
        // use as a fraction of its cap without copying the config (0: no cap).
        metrics::gauge!("smsp_bridge_bulkhead_capacity")
            .set(settings.bulkhead.max_in_flight as f64);
        Self {
            inner,
            budget: settings.request_budget(),
            max_attempts: settings.retry.max_attempts.max(1),
            backoff: Backoff::new(&settings.retry),
            retry_budget: RetryBudget::new(&settings.retry, now),
            breaker,
            bulkhead: Bulkhead::new(&settings.bulkhead),
        }
    }

    /// The breaker's state now (`Closed` when the breaker is off).
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker
            .as_ref()
            .map_or(BreakerState::Closed, |b| b.state(Instant::now()))
    }

    async fn attempt(
        &self,
        interaction: Interaction,
        query: &Query,
        audit: &AuditIdentity,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<SmspCall, SmspError> {
        let ticket = match &self.breaker {
            Some(breaker) => match breaker.admit(Instant::now()) {
                Ok(ticket) => Some(ticket),
                Err(_) => {
                    metrics::counter!("smsp_bridge_circuit_rejected_total").increment(1);
                    return Err(SmspError::CircuitOpen);
                }
            },
            None => None,
        };
        let remaining = deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
        if remaining == Some(Duration::ZERO) {
            // The ticket is dropped unused: no verdict, no half-open slot held.
            return Err(deadline_exceeded());
        }
        let Some(_slot) = self.bulkhead.enter(remaining).await else {
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return Err(deadline_exceeded());
            }
            metrics::counter!("smsp_bridge_bulkhead_rejected_total").increment(1);
            return Err(SmspError::Overloaded);
        };
        let _in_flight = InFlight::enter();
        let call = self.inner.call(interaction, query, audit);
        let result = match deadline {
            Some(d) => match tokio::time::timeout_at(d, call).await {
                Ok(result) => result,
                Err(_) => Err(deadline_exceeded()),
            },
            None => call.await,
        };
        if let (Some(breaker), Some(ticket)) = (&self.breaker, ticket) {
            breaker.record(ticket, unhealthy(&result), Instant::now());
        }
        result
    }
}

fn deadline_exceeded() -> SmspError {
    metrics::counter!("smsp_bridge_smsp_deadline_exceeded_total").increment(1);
    SmspError::Timeout
}

/// Whether an attempt's outcome says the SMSP endpoint is unhealthy (the breaker's failures).
/// Business answers of any code, and faults about the message itself (ITK 1000) or the
/// bridge's credentials (ITK 3000), show an endpoint that is up and answering; opening the
/// circuit would only hide their cause behind a 503.
pub fn unhealthy(result: &Result<SmspCall, SmspError>) -> bool {
    let Err(err) = result else {
        return false;
    };
    match err {
        SmspError::Connect(_)
        | SmspError::Tls(_)
        | SmspError::Timeout
        | SmspError::Io(_)
        | SmspError::Malformed(_)
        | SmspError::Oversize { .. } => true,
        SmspError::HttpStatus(status) => *status >= 500,
        SmspError::Fault(fault) => matches!(fault.error_code.as_str(), "2100" | "2200"),
        SmspError::CircuitOpen | SmspError::Overloaded => false,
    }
}

/// Keeps `smsp_bridge_smsp_in_flight` right even when the caller goes away mid-call.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!("smsp_bridge_smsp_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("smsp_bridge_smsp_in_flight").decrement(1.0);
    }
}

impl SmspClient for ResilientClient {
    fn call<'a>(
        &'a self,
        interaction: Interaction,
        query: &'a Query,
        audit: &'a AuditIdentity,
    ) -> BoxFuture<'a, Result<SmspCall, SmspError>> {
        Box::pin(async move {
            let deadline = self.budget.map(|b| tokio::time::Instant::now() + b);
            self.retry_budget.deposit(Instant::now());
            let mut attempt = 1;
            let mut previous: Option<SmspError> = None;
            loop {
                let outcome = self.attempt(interaction, query, audit, deadline).await;
                let err = match (outcome, previous.take()) {
                    (Ok(call), _) => return Ok(call),
                    // A retry the breaker or bulkhead would not let through was never made:
                    // the caller hears what SMSP actually said (same status class, 503).
                    (Err(SmspError::CircuitOpen | SmspError::Overloaded), Some(real)) => {
                        return Err(real)
                    }
                    (Err(err), _) => err,
                };
                if attempt >= self.max_attempts || !should_retry(&err) {
                    return Err(err);
                }
                let pause = self.backoff.delay(attempt);
                // A retry that cannot start inside the budget would only turn this answer
                // into a timeout: give the caller the real failure now.
                if deadline.is_some_and(|d| tokio::time::Instant::now() + pause >= d) {
                    return Err(err);
                }
                if !self.retry_budget.try_withdraw(Instant::now()) {
                    metrics::counter!("smsp_bridge_smsp_retry_budget_exhausted_total").increment(1);
                    return Err(err);
                }
                metrics::counter!("smsp_bridge_smsp_retries_total", "reason" => err.class())
                    .increment(1);
                tracing::debug!(
                    interaction = interaction.name(),
                    failure = err.class(),
                    attempt,
                    pause_ms = pause.as_millis() as u64,
                    "retrying SMSP call"
                );
                tokio::time::sleep(pause).await;
                previous = Some(err);
                attempt += 1;
            }
        })
    }

    /// Readiness probes go straight to SMSP: `/_status` should report what SMSP is doing,
    /// not what the breaker remembers.
    fn probe(&self) -> BoxFuture<'_, Result<u16, SmspError>> {
        self.inner.probe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NhsNumber, PartialDate};
    use crate::smsp::ToolkitFault;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    /// An inner client answering from a script of outcomes (the last repeats), after a delay.
    struct Scripted {
        script: Mutex<Vec<Result<(), SmspError>>>,
        calls: AtomicU32,
        delay: Duration,
    }

    impl Scripted {
        fn new(script: Vec<Result<(), SmspError>>, delay: Duration) -> Arc<Self> {
            Arc::new(Self {
                script: Mutex::new(script),
                calls: AtomicU32::new(0),
                delay,
            })
        }
        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl SmspClient for Scripted {
        fn call<'a>(
            &'a self,
            interaction: Interaction,
            _query: &'a Query,
            _audit: &'a AuditIdentity,
        ) -> BoxFuture<'a, Result<SmspCall, SmspError>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                let next = {
                    let mut s = self.script.lock().unwrap();
                    if s.len() > 1 {
                        s.remove(0)
                    } else {
                        s[0].clone()
                    }
                };
                next.map(|()| SmspCall {
                    interaction,
                    message_id: "M".into(),
                    response: crate::smsp::SmspResponse {
                        message_id: None,
                        code: crate::domain::ResponseCode::Success,
                        body: crate::smsp::ResponseBody::PatientDetails(None),
                    },
                })
            })
        }
    }

    fn fault(code: &str) -> SmspError {
        SmspError::Fault(Box::new(ToolkitFault {
            fault_code: "soap:Server".into(),
            fault_string: String::new(),
            error_id: None,
            error_code: code.into(),
            error_text: None,
            diagnostic_text: None,
        }))
    }

    fn settings() -> ResilienceSettings {
        let mut s = ResilienceSettings {
            request_budget_ms: 1_000,
            ..Default::default()
        };
        s.retry.base_backoff_ms = 1;
        s.retry.max_backoff_ms = 2;
        s.breaker.min_calls = 1_000;
        s
    }

    async fn run(client: &ResilientClient) -> Result<SmspCall, SmspError> {
        let mut q = Query::new(PartialDate::full(1980, 1, 15).unwrap());
        q.nhs_number = Some(NhsNumber::parse("9990001006").unwrap());
        let audit = AuditIdentity::local_user("X99", "t");
        client
            .call(Interaction::GetPatientDetailsByNhsNumber, &q, &audit)
            .await
    }

    #[tokio::test]
    async fn retries_a_retryable_failure_then_succeeds() {
        let inner = Scripted::new(
            vec![Err(SmspError::Connect("refused".into())), Ok(())],
            Duration::ZERO,
        );
        let c = ResilientClient::new(inner.clone(), &settings());
        assert!(run(&c).await.is_ok());
        assert_eq!(inner.calls(), 2);
    }

    #[tokio::test]
    async fn stops_at_max_attempts_and_never_retries_2200() {
        let inner = Scripted::new(vec![Err(fault("2100"))], Duration::ZERO);
        let c = ResilientClient::new(inner.clone(), &settings());
        let err = run(&c).await.unwrap_err();
        assert_eq!(err.outcome_key(), "itk-2100");
        assert_eq!(inner.calls(), 3);

        let inner = Scripted::new(vec![Err(fault("2200"))], Duration::ZERO);
        let c = ResilientClient::new(inner.clone(), &settings());
        assert_eq!(run(&c).await.unwrap_err().outcome_key(), "itk-2200");
        assert_eq!(inner.calls(), 1);
    }

    #[tokio::test]
    async fn the_retry_budget_caps_retries_across_requests() {
        let mut s = settings();
        s.retry.budget_ratio = 0.0;
        s.retry.budget_min_per_second = 0.0;
        s.retry.budget_max_tokens = 1.0;
        let inner = Scripted::new(vec![Err(SmspError::HttpStatus(503))], Duration::ZERO);
        let c = ResilientClient::new(inner.clone(), &s);
        let _ = run(&c).await;
        assert_eq!(inner.calls(), 2, "one retry, then the budget is spent");
        let _ = run(&c).await;
        assert_eq!(inner.calls(), 3, "no retry at all");
    }

    #[tokio::test]
    async fn the_overall_budget_bounds_slow_attempts() {
        let mut s = settings();
        s.request_budget_ms = 100;
        let inner = Scripted::new(vec![Ok(())], Duration::from_secs(5));
        let c = ResilientClient::new(inner.clone(), &s);
        let started = std::time::Instant::now();
        assert!(matches!(run(&c).await, Err(SmspError::Timeout)));
        assert!(started.elapsed() < Duration::from_millis(1_000));
    }

    #[tokio::test]
    async fn no_retry_pause_overruns_the_budget() {
        let mut s = settings();
        s.request_budget_ms = 100;
        s.retry.base_backoff_ms = 500;
        s.retry.max_backoff_ms = 500;
        let inner = Scripted::new(vec![Err(fault("2100"))], Duration::ZERO);
        let c = ResilientClient::new(inner.clone(), &s);
        let started = std::time::Instant::now();
        assert_eq!(run(&c).await.unwrap_err().outcome_key(), "itk-2100");
        assert_eq!(inner.calls(), 1);
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn an_open_breaker_refuses_without_calling() {
        let mut s = settings();
        s.retry.max_attempts = 1;
        s.breaker.min_calls = 2;
        s.breaker.open_ms = 60_000;
        let inner = Scripted::new(
            vec![Err(SmspError::Connect("refused".into()))],
            Duration::ZERO,
        );
        let c = ResilientClient::new(inner.clone(), &s);
        let _ = run(&c).await;
        let _ = run(&c).await;
        assert_eq!(c.breaker_state(), BreakerState::Open);
        assert!(matches!(run(&c).await, Err(SmspError::CircuitOpen)));
        assert_eq!(inner.calls(), 2);
    }

    #[tokio::test]
    async fn a_retry_refused_by_the_breaker_reports_the_real_failure() {
        let mut s = settings();
        s.breaker.min_calls = 1;
        s.breaker.open_ms = 60_000;
        let inner = Scripted::new(vec![Err(SmspError::HttpStatus(503))], Duration::ZERO);
        let c = ResilientClient::new(inner.clone(), &s);
        let err = run(&c).await.unwrap_err();
        assert_eq!(err.outcome_key(), "transport-http-status");
        assert_eq!(inner.calls(), 1, "the retry found the breaker open");
        assert!(matches!(run(&c).await, Err(SmspError::CircuitOpen)));
    }

    #[tokio::test]
    async fn the_bulkhead_refuses_excess_calls() {
        let mut s = settings();
        s.bulkhead.max_in_flight = 1;
        s.bulkhead.max_wait_ms = 10;
        let inner = Scripted::new(vec![Ok(())], Duration::from_millis(200));
        let c = Arc::new(ResilientClient::new(inner.clone(), &s));
        let first = {
            let c = c.clone();
            tokio::spawn(async move { run(&c).await.is_ok() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(matches!(run(&c).await, Err(SmspError::Overloaded)));
        assert!(first.await.unwrap());
        assert_eq!(inner.calls(), 1);
    }

    #[test]
    fn breaker_failures_are_endpoint_health_signals() {
        for e in [
            SmspError::Connect(String::new()),
            SmspError::Tls(String::new()),
            SmspError::Timeout,
            SmspError::Io(String::new()),
            SmspError::HttpStatus(500),
            SmspError::HttpStatus(503),
            SmspError::Malformed(String::new()),
            SmspError::Oversize { limit: 1 },
            fault("2100"),
            fault("2200"),
        ] {
            assert!(unhealthy(&Err(e.clone())), "{e:?}");
        }
        for e in [
            SmspError::HttpStatus(404),
            fault("1000"),
            fault("3000"),
            SmspError::CircuitOpen,
            SmspError::Overloaded,
        ] {
            assert!(!unhealthy(&Err(e.clone())), "{e:?}");
        }
    }
}
