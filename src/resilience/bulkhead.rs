//! The bulkhead (issue 8): at most `max_in_flight` SMSP calls at once. A call beyond that waits
//! up to `max_wait_ms` (never past its request's budget) for a slot, then is refused, and the
//! caller gets 503 SERVICE_UNAVAILABLE. A slow SMSP therefore ties up a bounded number of
//! connections and tasks instead of every request the bridge accepts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::settings::BulkheadSettings;

pub struct Bulkhead {
    /// `None`: no cap.
    slots: Option<Arc<Semaphore>>,
    max_wait: Duration,
}

/// A slot, held for the length of one attempt (not across back-off pauses).
pub struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Bulkhead {
    pub fn new(settings: &BulkheadSettings) -> Self {
        Self {
            slots: (settings.max_in_flight > 0)
                .then(|| Arc::new(Semaphore::new(settings.max_in_flight))),
            max_wait: Duration::from_millis(settings.max_wait_ms),
        }
    }

    /// A slot, waiting at most `max_wait` and at most `limit` (what is left of the request's
    /// budget); `None` when none came free in time.
    pub async fn enter(&self, limit: Option<Duration>) -> Option<Slot> {
        let Some(slots) = &self.slots else {
            return Some(Slot { _permit: None });
        };
        // Fast path: no waiting, no timer.
        if let Ok(permit) = Arc::clone(slots).try_acquire_owned() {
            return Some(Slot {
                _permit: Some(permit),
            });
        }
        let wait = limit.map_or(self.max_wait, |l| l.min(self.max_wait));
        match tokio::time::timeout(wait, Arc::clone(slots).acquire_owned()).await {
            Ok(Ok(permit)) => Some(Slot {
                _permit: Some(permit),
            }),
            // Timed out, or the semaphore was closed (never done): refuse.
            _ => None,
        }
    }

    /// Calls in flight now (for the gauge and tests).
    pub fn in_flight(&self, capacity: usize) -> usize {
        self.slots
            .as_ref()
            .map_or(0, |s| capacity.saturating_sub(s.available_permits()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn caps_calls_and_refuses_after_the_wait() {
        let b = Bulkhead::new(&BulkheadSettings {
            max_in_flight: 2,
            max_wait_ms: 30,
        });
        let s1 = b.enter(None).await.expect("slot 1");
        let _s2 = b.enter(None).await.expect("slot 2");
        assert_eq!(b.in_flight(2), 2);
        let started = Instant::now();
        assert!(b.enter(None).await.is_none());
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(25) && waited < Duration::from_millis(500),
            "{waited:?}"
        );
        // The request's remaining budget bounds the wait too.
        let started = Instant::now();
        assert!(b.enter(Some(Duration::from_millis(1))).await.is_none());
        assert!(started.elapsed() < Duration::from_millis(25));
        drop(s1);
        assert!(b.enter(None).await.is_some(), "a freed slot is reused");
    }

    #[tokio::test]
    async fn a_waiter_gets_a_slot_freed_in_time() {
        let b = Arc::new(Bulkhead::new(&BulkheadSettings {
            max_in_flight: 1,
            max_wait_ms: 1_000,
        }));
        let s = b.enter(None).await.unwrap();
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { b.enter(None).await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(s);
        assert!(waiter.await.unwrap());
    }

    #[tokio::test]
    async fn zero_means_no_cap() {
        let b = Bulkhead::new(&BulkheadSettings {
            max_in_flight: 0,
            max_wait_ms: 0,
        });
        let slots: Vec<_> = futures_util::future::join_all((0..100).map(|_| b.enter(None))).await;
        assert!(slots.iter().all(Option::is_some));
    }
}
