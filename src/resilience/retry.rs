//! Which failures are retried, and how long to wait before each retry.
//!
//! Issue 8: retry connection failures, ITK 2100 and upstream 502/503; never ITK 1000/2200/3000
//! or a business code. Every SMSP interaction is a read (SMSP SPEC §1), so repeating one is safe;
//! a timeout is not retried because the first attempt may still be running at SMSP and the
//! budget is mostly spent.

use std::time::Duration;

use rand::Rng;

use super::settings::RetrySettings;
use crate::smsp::SmspError;

/// Whether the retry loop may try this failure again. Narrower than
/// `SmspError::is_retryable`, which says whether the *caller* may usefully retry later (a 504
/// or an open circuit, for instance).
pub fn should_retry(err: &SmspError) -> bool {
    match err {
        // Refused/unreachable, or the connection broke mid-exchange (reset, drop).
        SmspError::Connect(_) | SmspError::Io(_) => true,
        // A gateway or overloaded proxy in front of SMSP.
        SmspError::HttpStatus(status) => matches!(status, 502 | 503),
        // ITK 2100 "Processing Error, retryable" only (SMSP SPEC §2.6).
        SmspError::Fault(fault) => fault.error_code == "2100",
        SmspError::Tls(_)
        | SmspError::Timeout
        | SmspError::Malformed(_)
        | SmspError::Oversize { .. }
        | SmspError::CircuitOpen
        | SmspError::Overloaded => false,
    }
}

/// Jittered exponential back-off: the n-th retry (1-based) waits between half and all of
/// `min(max, base · 2^(n-1))` ("equal jitter"), so concurrent callers that failed together do
/// not retry together, and no retry follows at once.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    base: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(settings: &RetrySettings) -> Self {
        let max = Duration::from_millis(settings.max_backoff_ms);
        Self {
            base: Duration::from_millis(settings.base_backoff_ms).min(max),
            max,
        }
    }

    /// The ceiling for retry `n` (1-based), before jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The pause before retry `n` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let spread = (ceiling - half).as_micros() as u64;
        let extra = if spread == 0 {
            0
        } else {
            rand::rng().random_range(0..=spread)
        };
        half + Duration::from_micros(extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsp::ToolkitFault;

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

    #[test]
    fn retries_only_what_issue_8_names() {
        assert!(should_retry(&SmspError::Connect("refused".into())));
        assert!(should_retry(&SmspError::Io("reset".into())));
        assert!(should_retry(&SmspError::HttpStatus(502)));
        assert!(should_retry(&SmspError::HttpStatus(503)));
        assert!(should_retry(&fault("2100")));
        for e in [
            fault("1000"),
            fault("2200"),
            fault("3000"),
            fault("9999"),
            SmspError::HttpStatus(500),
            SmspError::HttpStatus(504),
            SmspError::HttpStatus(404),
            SmspError::Timeout,
            SmspError::Tls("bad cert".into()),
            SmspError::Malformed("x".into()),
            SmspError::Oversize { limit: 1 },
            SmspError::CircuitOpen,
            SmspError::Overloaded,
        ] {
            assert!(!should_retry(&e), "{e:?}");
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() {
        let b = Backoff::new(&RetrySettings {
            base_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..Default::default()
        });
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(4), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_millis(1_000));
        assert_eq!(b.ceiling(64), Duration::from_millis(1_000));
        for n in 1..8 {
            let d = b.delay(n);
            assert!(d >= b.ceiling(n) / 2 && d <= b.ceiling(n), "{n}: {d:?}");
        }
        let zero = Backoff::new(&RetrySettings {
            base_backoff_ms: 0,
            max_backoff_ms: 0,
            ..Default::default()
        });
        assert_eq!(zero.delay(3), Duration::ZERO);
    }
}
