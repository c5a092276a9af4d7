//! The circuit breaker on the SMSP endpoint (issue 8): closed → open after a failure ratio over
//! a rolling window with a minimum number of calls → half-open trial calls after `open_ms` →
//! closed when they all succeed (or open again on the first failure). While open, calls are
//! refused at once, so callers get 503 SERVICE_UNAVAILABLE with `Retry-After` instead of
//! waiting on an SMSP that is down, and SMSP gets room to recover.
//!
//! Time is passed in (`now`), so the state machine is tested without sleeping.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::settings::BreakerSettings;

/// Buckets in the rolling window: the window slides in steps of `window_ms / BUCKETS`.
const BUCKETS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    HalfOpen,
    Open,
}

impl BreakerState {
    /// The value of the `smsp_bridge_circuit_state` gauge.
    pub fn gauge_value(self) -> f64 {
        match self {
            BreakerState::Closed => 0.0,
            BreakerState::HalfOpen => 1.0,
            BreakerState::Open => 2.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Open => "open",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { in_flight: u32, successes: u32 },
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Which slice of time (`elapsed / width`) the counts belong to.
    epoch: u64,
    calls: u32,
    failures: u32,
}

/// Calls and failures over the last `window_ms`, in `BUCKETS` slices.
struct Window {
    origin: Instant,
    width: Duration,
    buckets: [Bucket; BUCKETS],
}

impl Window {
    fn new(window: Duration, now: Instant) -> Self {
        Self {
            origin: now,
            width: (window / BUCKETS as u32).max(Duration::from_millis(1)),
            buckets: [Bucket::default(); BUCKETS],
        }
    }

    fn epoch(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin).as_nanos();
        (elapsed / self.width.as_nanos().max(1)) as u64
    }

    fn record(&mut self, failed: bool, now: Instant) {
        let epoch = self.epoch(now);
        let slot = &mut self.buckets[(epoch % BUCKETS as u64) as usize];
        if slot.epoch != epoch {
            *slot = Bucket {
                epoch,
                ..Bucket::default()
            };
        }
        slot.calls += 1;
        slot.failures += u32::from(failed);
    }

    /// (calls, failures) in the window ending now.
    fn totals(&self, now: Instant) -> (u32, u32) {
        let current = self.epoch(now);
        self.buckets
            .iter()
            .filter(|b| (b.calls > 0) && current.saturating_sub(b.epoch) < BUCKETS as u64)
            .fold((0, 0), |(c, f), b| (c + b.calls, f + b.failures))
    }

    fn clear(&mut self) {
        self.buckets = [Bucket::default(); BUCKETS];
    }
}

struct Inner {
    state: State,
    /// Bumped on every transition, so a call admitted in one state cannot count in the next
    /// (a slow call from before the breaker opened must not close it in half-open).
    generation: u64,
    window: Window,
}

pub struct Breaker {
    failure_ratio: f64,
    min_calls: u32,
    open_for: Duration,
    probes: u32,
    inner: Mutex<Inner>,
    on_transition: Box<dyn Fn(BreakerState) + Send + Sync>,
}

/// Leave to make one call. Report its verdict with [`Breaker::record`]; a ticket dropped
/// without a verdict (the caller went away, or the bulkhead refused the call) frees its
/// half-open slot and counts as nothing.
pub struct Ticket {
    breaker: Arc<Breaker>,
    generation: u64,
    trial: bool,
    settled: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled && self.trial {
            let mut inner = self.breaker.lock();
            if inner.generation == self.generation {
                if let State::HalfOpen { in_flight, .. } = &mut inner.state {
                    *in_flight = in_flight.saturating_sub(1);
                }
            }
        }
    }
}

impl Breaker {
    /// `on_transition` is told each new state (for the gauge and a log line).
    pub fn new(
        settings: &BreakerSettings,
        now: Instant,
        on_transition: impl Fn(BreakerState) + Send + Sync + 'static,
    ) -> Arc<Self> {
        let ratio = if settings.failure_ratio.is_finite() {
            settings.failure_ratio.clamp(f64::MIN_POSITIVE, 1.0)
        } else {
            0.5
        };
        Arc::new(Self {
            failure_ratio: ratio,
            min_calls: settings.min_calls.max(1),
            open_for: Duration::from_millis(settings.open_ms.max(1)),
            probes: settings.half_open_probes.max(1),
            inner: Mutex::new(Inner {
                state: State::Closed,
                generation: 0,
                window: Window::new(Duration::from_millis(settings.window_ms.max(1)), now),
            }),
            on_transition: Box::new(on_transition),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves the state consistent: a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn transition(&self, inner: &mut Inner, to: State) {
        inner.state = to;
        inner.generation += 1;
        let public = match to {
            State::Closed => {
                inner.window.clear();
                BreakerState::Closed
            }
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen { .. } => BreakerState::HalfOpen,
        };
        (self.on_transition)(public);
    }

    pub fn state(&self, now: Instant) -> BreakerState {
        match self.lock().state {
            State::Closed => BreakerState::Closed,
            State::Open { until } if now < until => BreakerState::Open,
            // Open past its time: the next call will be a trial.
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Leave to call SMSP, or `Err(how long until the breaker may let a call through)`.
    pub fn admit(self: &Arc<Self>, now: Instant) -> Result<Ticket, Duration> {
        let mut inner = self.lock();
        if let State::Open { until } = inner.state {
            if now < until {
                return Err(until - now);
            }
            self.transition(
                &mut inner,
                State::HalfOpen {
                    in_flight: 0,
                    successes: 0,
                },
            );
        }
        let trial = match &mut inner.state {
            State::Closed => false,
            State::HalfOpen {
                in_flight,
                successes,
            } => {
                if *in_flight + *successes >= self.probes {
                    // Enough trials are out; the rest wait for their verdict.
                    return Err(self.open_for);
                }
                *in_flight += 1;
                true
            }
            State::Open { .. } => unreachable!("handled above"),
        };
        Ok(Ticket {
            breaker: Arc::clone(self),
            generation: inner.generation,
            trial,
            settled: false,
        })
    }

    /// The verdict of an admitted call: `failed` when it says the endpoint is unhealthy.
    pub fn record(&self, mut ticket: Ticket, failed: bool, now: Instant) {
        ticket.settled = true;
        let mut inner = self.lock();
        if inner.generation != ticket.generation {
            // Admitted in an earlier state: in closed, its verdict still describes SMSP's
            // health, so count it; anywhere else it must not steer the breaker.
            if matches!(inner.state, State::Closed) && !ticket.trial {
                inner.window.record(failed, now);
                self.maybe_open(&mut inner, now);
            }
            return;
        }
        match &mut inner.state {
            State::Closed => {
                inner.window.record(failed, now);
                self.maybe_open(&mut inner, now);
            }
            State::HalfOpen {
                in_flight,
                successes,
            } => {
                *in_flight = in_flight.saturating_sub(1);
                if failed {
                    let until = now + self.open_for;
                    self.transition(&mut inner, State::Open { until });
                } else {
                    *successes += 1;
                    if *successes >= self.probes {
                        self.transition(&mut inner, State::Closed);
                    }
                }
            }
            State::Open { .. } => {}
        }
    }

    fn maybe_open(&self, inner: &mut Inner, now: Instant) {
        let (calls, failures) = inner.window.totals(now);
        if calls >= self.min_calls && f64::from(failures) >= self.failure_ratio * f64::from(calls) {
            let until = now + self.open_for;
            self.transition(inner, State::Open { until });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn settings() -> BreakerSettings {
        BreakerSettings {
            enabled: true,
            failure_ratio: 0.5,
            min_calls: 4,
            window_ms: 1_000,
            open_ms: 500,
            half_open_probes: 2,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn call(b: &Arc<Breaker>, failed: bool, now: Instant) {
        let t = b.admit(now).expect("admitted");
        b.record(t, failed, now);
    }

    #[test]
    fn opens_only_past_the_ratio_with_enough_calls() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        for _ in 0..3 {
            call(&b, true, t0);
        }
        assert_eq!(b.state(t0), BreakerState::Closed, "3 calls < min_calls");
        call(&b, false, t0);
        assert_eq!(b.state(t0), BreakerState::Open, "3 of 4 calls failed");
        let wait = b.admit(t0 + ms(100)).err().expect("refused while open");
        assert_eq!(wait, ms(400));
    }

    #[test]
    fn a_healthy_mix_stays_closed() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        for i in 0..100 {
            call(&b, i % 3 == 1, t0 + ms(i * 10));
        }
        assert_eq!(b.state(t0 + ms(1000)), BreakerState::Closed);
    }

    #[test]
    fn old_failures_leave_the_window() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        for _ in 0..3 {
            call(&b, true, t0);
        }
        // A second later the three failures have slid out: one more failure is 1 call.
        call(&b, true, t0 + ms(1_100));
        assert_eq!(b.state(t0 + ms(1_100)), BreakerState::Closed);
    }

    #[test]
    fn half_open_closes_after_all_probes_succeed() {
        let t0 = Instant::now();
        let transitions = Arc::new(Mutex::new(Vec::new()));
        let seen = transitions.clone();
        let b = Breaker::new(&settings(), t0, move |s| seen.lock().unwrap().push(s));
        for _ in 0..4 {
            call(&b, true, t0);
        }
        let t1 = t0 + ms(500);
        let p1 = b.admit(t1).expect("first probe");
        let p2 = b.admit(t1).expect("second probe");
        assert!(b.admit(t1).is_err(), "only two probes at a time");
        b.record(p1, false, t1);
        assert_eq!(b.state(t1), BreakerState::HalfOpen);
        b.record(p2, false, t1);
        assert_eq!(b.state(t1), BreakerState::Closed);
        call(&b, false, t1);
        assert_eq!(
            *transitions.lock().unwrap(),
            [
                BreakerState::Open,
                BreakerState::HalfOpen,
                BreakerState::Closed
            ]
        );
    }

    #[test]
    fn a_failed_probe_opens_again() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        for _ in 0..4 {
            call(&b, true, t0);
        }
        let t1 = t0 + ms(600);
        let p = b.admit(t1).unwrap();
        b.record(p, true, t1);
        assert_eq!(b.state(t1), BreakerState::Open);
        assert_eq!(b.admit(t1 + ms(100)).err(), Some(ms(400)));
    }

    #[test]
    fn an_abandoned_probe_frees_its_slot() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        for _ in 0..4 {
            call(&b, true, t0);
        }
        let t1 = t0 + ms(500);
        let p1 = b.admit(t1).unwrap();
        let _p2 = b.admit(t1).unwrap();
        assert!(b.admit(t1).is_err());
        drop(p1);
        assert!(
            b.admit(t1).is_ok(),
            "the dropped probe's slot is free again"
        );
    }

    #[test]
    fn a_late_verdict_from_before_opening_does_not_steer_half_open() {
        let t0 = Instant::now();
        let b = Breaker::new(&settings(), t0, |_| {});
        let slow = b.admit(t0).unwrap();
        for _ in 0..4 {
            call(&b, true, t0);
        }
        let t1 = t0 + ms(500);
        let p = b.admit(t1).unwrap();
        b.record(slow, true, t1);
        assert_eq!(b.state(t1), BreakerState::HalfOpen, "old failure ignored");
        b.record(p, false, t1);
        call(&b, false, t1);
        assert_eq!(b.state(t1), BreakerState::Closed);
    }

    #[test]
    fn transitions_are_reported_once_each() {
        let t0 = Instant::now();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let b = Breaker::new(&settings(), t0, move |_| {
            c.fetch_add(1, Ordering::Relaxed);
        });
        for _ in 0..4 {
            call(&b, true, t0);
        }
        for _ in 0..10 {
            assert!(b.admit(t0).is_err());
        }
        assert_eq!(count.load(Ordering::Relaxed), 1);
    }
}
