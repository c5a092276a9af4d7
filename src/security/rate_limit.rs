//! Per-principal rate limits (issue 5, governor's GCRA) → 429 TOO_MANY_REQUESTS with
//! `Retry-After` (PDS FHIR SPEC §7), and a limit on failed authentications per client address,
//! so password guessing costs the guesser time rather than the bridge argon2 runs.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::settings::RateLimitSettings;

/// Forgotten keys are swept every this many checks (bounded memory).
const SWEEP_EVERY: u64 = 4096;

struct Keyed<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(quota: Quota) -> Self {
        let clock = DefaultClock::default();
        Self {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when `key` is over its quota.
    fn check(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

pub struct RateLimits {
    principals: Option<Keyed<String>>,
    failures: Option<Keyed<IpAddr>>,
    /// Addresses that ran out of failed attempts, and until when they are refused.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl RateLimits {
    pub fn new(s: &RateLimitSettings) -> Self {
        let principals = NonZeroU32::new(s.per_second).map(|rate| {
            let burst = NonZeroU32::new(s.burst).unwrap_or(rate);
            Keyed::new(Quota::per_second(rate).allow_burst(burst))
        });
        let failures =
            NonZeroU32::new(s.auth_failures_per_minute).map(|n| Keyed::new(Quota::per_minute(n)));
        Self {
            principals,
            failures,
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `user`; `Err(seconds)` for `Retry-After` when over the limit.
    pub fn check_principal(&self, user: &str) -> Result<(), u32> {
        match &self.principals {
            Some(k) => k.check(&user.to_string()).map_err(retry_after),
            None => Ok(()),
        }
    }

    /// Whether `ip` is refused for having failed authentication too often.
    pub fn blocked(&self, ip: IpAddr) -> Result<(), u32> {
        if self.failures.is_none() {
            return Ok(());
        }
        let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
        match blocked.get(&ip) {
            Some(until) if *until > Instant::now() => Err(retry_after(*until - Instant::now())),
            Some(_) => {
                blocked.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records a failed authentication from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let Some(k) = &self.failures else { return };
        if let Err(wait) = k.check(&ip) {
            let mut blocked = self.blocked.lock().unwrap_or_else(|p| p.into_inner());
            blocked.retain(|_, until| *until > Instant::now());
            blocked.insert(ip, Instant::now() + wait);
            tracing::warn!(client = %ip, "too many failed authentications; client address throttled");
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn retry_after(wait: Duration) -> u32 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.clamp(1, u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_get_their_own_burst() {
        let limits = RateLimits::new(&RateLimitSettings {
            per_second: 1,
            burst: 2,
            auth_failures_per_minute: 0,
        });
        assert!(limits.check_principal("alice").is_ok());
        assert!(limits.check_principal("alice").is_ok());
        let wait = limits.check_principal("alice").unwrap_err();
        assert_eq!(wait, 1);
        assert!(limits.check_principal("bob").is_ok());
    }

    #[test]
    fn off_by_default_for_principals() {
        let limits = RateLimits::new(&RateLimitSettings::default());
        for _ in 0..1000 {
            assert!(limits.check_principal("alice").is_ok());
        }
    }

    #[test]
    fn failed_authentications_block_the_address() {
        let limits = RateLimits::new(&RateLimitSettings {
            per_second: 0,
            burst: 0,
            auth_failures_per_minute: 3,
        });
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.blocked(ip).is_ok());
            limits.failed(ip);
        }
        assert!(
            limits.blocked(ip).is_ok(),
            "three failures are within the quota"
        );
        limits.failed(ip);
        let wait = limits.blocked(ip).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limits.blocked(other).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after(Duration::from_millis(1)), 1);
        assert_eq!(retry_after(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after(Duration::ZERO), 1);
    }
}
