//! The global retry budget (issue 8: "a global retry budget, so retries cannot multiply load
//! during an outage"): a token bucket shared by every request. Each request earns
//! `budget_ratio` of a token, time earns `budget_min_per_second`, the bucket holds at most
//! `budget_max_tokens`, and each retry spends one. In an outage, when every call fails, retries
//! therefore add at most `ratio` of the traffic plus the floor — not `max_attempts - 1` times it.
//! (The scheme of Finagle's RetryBudget and gRPC's retry throttling.)

use std::sync::Mutex;
use std::time::Instant;

use super::settings::RetrySettings;

pub struct RetryBudget {
    ratio: f64,
    per_second: f64,
    max_tokens: f64,
    state: Mutex<State>,
}

struct State {
    tokens: f64,
    refilled: Instant,
}

/// A non-negative, finite value (a bad setting is treated as 0 rather than poisoning the
/// bucket with NaN).
fn sane(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

impl RetryBudget {
    /// Starts full, so retries work from the first request after start-up.
    pub fn new(settings: &RetrySettings, now: Instant) -> Self {
        let max_tokens = sane(settings.budget_max_tokens);
        Self {
            ratio: sane(settings.budget_ratio),
            per_second: sane(settings.budget_min_per_second),
            max_tokens,
            state: Mutex::new(State {
                tokens: max_tokens,
                refilled: now,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is two numbers always left consistent: a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn refill(&self, state: &mut State, now: Instant) {
        let elapsed = now.saturating_duration_since(state.refilled).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.per_second).min(self.max_tokens);
        state.refilled = now;
    }

    /// A request started (its first attempt): it earns its share of a retry.
    pub fn deposit(&self, now: Instant) {
        let mut s = self.lock();
        self.refill(&mut s, now);
        s.tokens = (s.tokens + self.ratio).min(self.max_tokens);
    }

    /// Spends a token for one retry; `false` when the budget is exhausted.
    pub fn try_withdraw(&self, now: Instant) -> bool {
        let mut s = self.lock();
        self.refill(&mut s, now);
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    #[cfg(test)]
    fn tokens(&self) -> f64 {
        self.lock().tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(ratio: f64, per_second: f64, max: f64) -> RetrySettings {
        RetrySettings {
            budget_ratio: ratio,
            budget_min_per_second: per_second,
            budget_max_tokens: max,
            ..Default::default()
        }
    }

    #[test]
    fn starts_full_and_empties() {
        let t0 = Instant::now();
        let b = RetryBudget::new(&settings(0.0, 0.0, 2.0), t0);
        assert!(b.try_withdraw(t0));
        assert!(b.try_withdraw(t0));
        assert!(!b.try_withdraw(t0));
        assert!(!b.try_withdraw(t0 + Duration::from_secs(60)), "no floor");
    }

    #[test]
    fn retries_are_bounded_by_the_ratio_of_requests_in_an_outage() {
        let t0 = Instant::now();
        let b = RetryBudget::new(&settings(0.1, 0.0, 10.0), t0);
        while b.try_withdraw(t0) {}
        // 1000 failing requests, each wanting 2 retries: about 100 retries are allowed.
        let mut retries = 0;
        for _ in 0..1000 {
            b.deposit(t0);
            for _ in 0..2 {
                if b.try_withdraw(t0) {
                    retries += 1;
                }
            }
        }
        assert!((99..=100).contains(&retries), "{retries}");
    }

    #[test]
    fn time_earns_the_floor_up_to_the_cap() {
        let t0 = Instant::now();
        let b = RetryBudget::new(&settings(0.0, 2.0, 5.0), t0);
        while b.try_withdraw(t0) {}
        assert!(!b.try_withdraw(t0 + Duration::from_millis(400)));
        // 0.8 tokens at 400 ms, +0.2 by 500 ms = 1.
        assert!(b.try_withdraw(t0 + Duration::from_millis(500)));
        let later = t0 + Duration::from_secs(3600);
        b.deposit(later);
        assert!((b.tokens() - 5.0).abs() < 1e-9, "capped at max_tokens");
    }

    #[test]
    fn bad_numbers_mean_no_budget_not_a_panic() {
        let t0 = Instant::now();
        let b = RetryBudget::new(&settings(f64::NAN, -1.0, f64::INFINITY), t0);
        b.deposit(t0);
        assert!(!b.try_withdraw(t0));
    }
}
