//! Telling waiting requests that their audit records are on disk (issue 9, the audited hit).
//!
//! A request waits on a oneshot until the writer thread has synced its record. Completing a
//! oneshot from the writer thread wakes the request's worker with a system call (an `eventfd`
//! write): one per record, made by the writer between its syncs. Profiled under load it was 28
//! wake-ups per sync (docs/PERFORMANCE-LOG.md, session 3). Instead, each worker thread has a
//! mailbox. The writer puts a batch's outcomes in the mailboxes and wakes each mailbox once; the
//! mailbox's task, running on that worker, completes the oneshots without leaving the thread.
//!
//! A mailbox belongs to the runtime that spawned its task. When that runtime shuts down, the
//! task is dropped, the mailbox closes, and whatever it still held is delivered directly, as is
//! everything sent to it afterwards. Outside a tokio runtime there is no mailbox and every
//! outcome is delivered directly.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{oneshot, Notify};

use super::writer::AuditUnavailable;

/// What a request learns about its record: its seq, or that it could not be written.
pub(super) type Outcome = Result<u64, AuditUnavailable>;

/// The writer's side of one request's wait.
pub(super) struct Ack {
    tx: oneshot::Sender<Outcome>,
    mailbox: Option<Arc<Mailbox>>,
}

impl Ack {
    /// An acknowledgement for a request on this thread, and the receiver the request awaits.
    pub(super) fn new() -> (Self, oneshot::Receiver<Outcome>) {
        let (tx, rx) = oneshot::channel();
        let mailbox = Mailbox::for_this_thread();
        (Self { tx, mailbox }, rx)
    }

    /// Hands `outcome` to the request: into its mailbox, which `wakes` will wake when it is
    /// dropped, or directly when there is no open mailbox.
    pub(super) fn deliver(self, outcome: Outcome, wakes: &mut Wakes) {
        if let Some(mailbox) = self.mailbox {
            let mut state = mailbox.lock();
            if state.open {
                state.pending.push((self.tx, outcome));
                drop(state);
                wakes.add(mailbox);
                return;
            }
        }
        let _ = self.tx.send(outcome);
    }
}

/// The mailboxes a batch has written to. Each is woken once, when this is dropped: after the
/// batch, or on any way out of it, so no request is left waiting.
#[derive(Default)]
pub(super) struct Wakes(Vec<Arc<Mailbox>>);

impl Wakes {
    fn add(&mut self, mailbox: Arc<Mailbox>) {
        // One mailbox per worker thread: a handful, so a scan beats a set.
        if !self.0.iter().any(|m| Arc::ptr_eq(m, &mailbox)) {
            self.0.push(mailbox);
        }
    }
}

impl Drop for Wakes {
    fn drop(&mut self) {
        for mailbox in self.0.drain(..) {
            mailbox.notify.notify_one();
        }
    }
}

pub(super) struct Mailbox {
    state: Mutex<State>,
    notify: Notify,
}

struct State {
    /// Its task is running: whatever is put here will be delivered by it.
    open: bool,
    pending: Vec<(oneshot::Sender<Outcome>, Outcome)>,
}

thread_local! {
    static MAILBOX: RefCell<Option<Arc<Mailbox>>> = const { RefCell::new(None) };
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock is never held across anything that can panic; recover rather than hang.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This thread's open mailbox, started on the current runtime when there is none.
    fn for_this_thread() -> Option<Arc<Self>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        MAILBOX.with(|cell| {
            let mut cell = cell.borrow_mut();
            if let Some(mailbox) = cell.as_ref().filter(|m| m.lock().open) {
                return Some(mailbox.clone());
            }
            let mailbox = Arc::new(Mailbox {
                state: Mutex::new(State {
                    open: true,
                    pending: Vec::new(),
                }),
                notify: Notify::new(),
            });
            runtime.spawn(deliver_until_dropped(Closing(mailbox.clone())));
            *cell = Some(mailbox.clone());
            Some(mailbox)
        })
    }

    fn take(&self) -> Vec<(oneshot::Sender<Outcome>, Outcome)> {
        std::mem::take(&mut self.lock().pending)
    }
}

/// The mailbox's task: completes what the writer put in the mailbox each time it is woken.
/// (`Notify` keeps a wake that arrives while the task is delivering, so none is lost.) It owns
/// the `Closing` from the moment it is spawned: a task dropped before its first poll (its
/// runtime already shutting down) still closes the mailbox.
async fn deliver_until_dropped(closing: Closing) {
    let mailbox = &closing.0;
    loop {
        mailbox.notify.notified().await;
        for (tx, outcome) in mailbox.take() {
            let _ = tx.send(outcome);
        }
    }
}

/// Closes the mailbox when its task is dropped (its runtime shut down) and delivers what it
/// still held; under the same lock as `Ack::deliver`, so nothing is put in a closed mailbox.
struct Closing(Arc<Mailbox>);

impl Drop for Closing {
    fn drop(&mut self) {
        let pending = {
            let mut state = self.0.lock();
            state.open = false;
            std::mem::take(&mut state.pending)
        };
        for (tx, outcome) in pending {
            let _ = tx.send(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_wakes_its_mailbox_once_and_every_request_hears() {
        let receivers: Vec<_> = (0..5u64)
            .map(|seq| {
                let (ack, rx) = Ack::new();
                (ack, rx, seq)
            })
            .collect();
        let mut waiting = Vec::new();
        {
            let mut wakes = Wakes::default();
            for (ack, rx, seq) in receivers {
                ack.deliver(Ok(seq), &mut wakes);
                waiting.push((rx, seq));
            }
            // All five share this thread's mailbox.
            assert_eq!(wakes.0.len(), 1);
        }
        for (rx, seq) in waiting {
            assert_eq!(rx.await.unwrap(), Ok(seq));
        }
    }

    #[test]
    fn a_mailbox_started_on_a_runtime_that_has_shut_down_is_closed() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        drop(runtime);
        let _inside = handle.enter();
        let (ack, mut rx) = Ack::new();
        ack.deliver(Ok(1), &mut Wakes::default());
        assert_eq!(rx.try_recv().unwrap(), Ok(1));
    }

    #[test]
    fn outside_a_runtime_and_after_one_outcomes_are_delivered_directly() {
        let (ack, mut rx) = Ack::new();
        assert!(ack.mailbox.is_none());
        ack.deliver(Err(AuditUnavailable), &mut Wakes::default());
        assert_eq!(rx.try_recv().unwrap(), Err(AuditUnavailable));

        // A mailbox from a runtime that has since shut down is closed: a new runtime on the
        // same thread gets a new one, and the old one delivers directly.
        let old = {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (ack, rx) = Ack::new();
                let mailbox = ack.mailbox.clone().unwrap();
                ack.deliver(Ok(1), &mut Wakes::default());
                assert_eq!(rx.await.unwrap(), Ok(1));
                mailbox
            })
        };
        assert!(!old.lock().open);
        let (tx, mut rx) = oneshot::channel();
        let stale = Ack {
            tx,
            mailbox: Some(old.clone()),
        };
        stale.deliver(Ok(2), &mut Wakes::default());
        assert_eq!(rx.try_recv().unwrap(), Ok(2));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (ack, rx) = Ack::new();
            assert!(!Arc::ptr_eq(ack.mailbox.as_ref().unwrap(), &old));
            ack.deliver(Ok(3), &mut Wakes::default());
            assert_eq!(rx.await.unwrap(), Ok(3));
        });
    }
}
