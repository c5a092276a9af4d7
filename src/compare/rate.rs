//! Pacing requests to PDS (issue 6): PDS allows 5 requests per second per application by default
//! and answers 429 TOO_MANY_REQUESTS beyond it (PDS FHIR SPEC §1, §7). A steady pace (no bursts)
//! from governor, and `Retry-After` read as seconds or an HTTP date (RFC 9110 §10.2.3).

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::Duration;

/// A wait when a 429 carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// The longest `Retry-After` honoured; a longer one is cut to this (a report should finish).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct Pace {
    limiter: Option<DefaultDirectRateLimiter>,
}

impl Pace {
    /// `rate` requests per second, evenly spaced; 0 or less means unlimited.
    pub fn per_second(rate: f64) -> Self {
        let limiter = (rate.is_finite() && rate > 0.0)
            .then(|| Quota::with_period(Duration::from_secs_f64(1.0 / rate)))
            .flatten()
            .map(RateLimiter::direct);
        Self { limiter }
    }

    /// Waits for the next slot.
    pub async fn wait(&self) {
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
    }
}

/// The wait a `Retry-After` header asks for, capped at [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
        delta.to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::Instant;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn retry_after_seconds_dates_and_caps() {
        assert_eq!(retry_after(&headers("1")), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(&headers("3600")), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO),
            "a date in the past: retry now"
        );
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn paces_evenly() {
        let pace = Pace::per_second(20.0);
        let started = Instant::now();
        for _ in 0..5 {
            pace.wait().await;
        }
        // First slot is immediate, then one every 50 ms.
        assert!(
            started.elapsed() >= Duration::from_millis(190),
            "{:?}",
            started.elapsed()
        );
        let open = Pace::per_second(0.0);
        let started = Instant::now();
        for _ in 0..100 {
            open.wait().await;
        }
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
