//! Logging set-up. Logs never carry patient data: request spans hold only the request id,
//! method and route *pattern* (never the path or query, which contain NHS numbers and names).
//!
//! Lines are written off the request path. The HTTP workers format each line and hand it to a
//! queue; one `log-writer` thread writes the queue to stdout in batches, so no worker waits for
//! a `write` to a slow stdout. When stdout cannot keep up — a stalled log shipper, say — lines
//! beyond the queue are dropped rather than stalling patient traffic, and counted in
//! `smsp_bridge_log_lines_dropped_total`. The formatting stays on the worker; its cost, and why
//! json-subscriber formats the JSON lines, is in docs/PERFORMANCE-LOG.md (issue 9, session 2).

use std::io::{BufWriter, Write};
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogFormat;

/// Lines the queue holds before it drops: at the bridge's peak rate (about 100 000 requests a
/// second on 2 cores, one line each) a second of a stalled stdout.
const QUEUE_LINES: usize = 128_000;

/// The writer thread's buffer: many lines per `write` when they come quickly; flushed whenever
/// the queue is empty, so a quiet service's lines are not held back.
const BATCH_BYTES: usize = 64 * 1024;

/// Keeps the log writer running; dropping it writes out what is queued (at shutdown).
#[must_use = "logs queued when the guard is dropped are written out, then logging stops"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Lines dropped because the queue was full, since start-up (0 before `init`).
pub fn dropped_lines() -> usize {
    DROPPED.get().map_or(0, ErrorCounter::dropped_lines)
}

/// The queue and its writer thread in front of `out`.
pub fn writer<W: Write + Send + 'static>(out: W) -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::with_capacity(BATCH_BYTES, out))
}

/// Installs the global subscriber once, writing to stdout; later calls (tests) are ignored and
/// get a guard that holds nothing.
pub fn init(format: LogFormat, filter: &str) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let (out, guard) = writer(std::io::stdout());
    let errors = out.error_counter();
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        // json-subscriber rather than tracing-subscriber's own JSON format: that one re-parsed
        // each span's fields from text and wrote every line in a hundred small pieces, 40 000
        // instructions per request line against `/_ping`'s 31 000 for the whole request
        // (issue 9, docs/PERFORMANCE-LOG.md). Same line shape; the request span appears once
        // (`span`), not also as a one-element `spans` list.
        LogFormat::Json => registry
            .with(
                json_subscriber::fmt::Layer::default()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(out),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().compact().with_writer(out))
            .try_init(),
    };
    match installed {
        Ok(()) => {
            let _ = DROPPED.set(errors);
            LogGuard {
                _writer: Some(guard),
            }
        }
        Err(_) => LogGuard { _writer: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::captured::CapturedLog;
    use std::sync::{Arc, Mutex};

    /// A stdout that does not drain: the lines beyond the queue are dropped and counted, and
    /// logging never waits for it — the worker that served a request must not stall behind a
    /// stalled log shipper.
    #[test]
    fn a_stalled_stdout_drops_and_counts_lines_instead_of_blocking() {
        use std::sync::Condvar;
        #[derive(Clone, Default)]
        struct Stalled(Arc<(Mutex<bool>, Condvar)>);
        impl Write for Stalled {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let (open, cv) = &*self.0;
                let _open = cv.wait_while(open.lock().unwrap(), |o| !*o).unwrap();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let stalled = Stalled::default();
        let (out, guard) = writer(stalled.clone());
        let errors = out.error_counter();
        let subscriber = tracing_subscriber::fmt().with_writer(out).finish();
        let (done, logged) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tracing::subscriber::with_default(subscriber, || {
                for i in 0..QUEUE_LINES + 5_000 {
                    tracing::info!(n = i, "request completed");
                }
            });
            let _ = done.send(());
        });
        // Nothing is written until the gate opens below, so finishing at all shows the logging
        // side never waited for the writer.
        let finished = logged.recv_timeout(std::time::Duration::from_secs(60));
        let open_gate = || {
            *stalled.0 .0.lock().unwrap() = true;
            stalled.0 .1.notify_all();
        };
        if finished.is_err() {
            open_gate();
            panic!("logging blocked behind a stalled stdout");
        }
        // The writer thread holds at most one 64 KB batch beyond the queue.
        assert!(
            errors.dropped_lines() >= 4_000,
            "{}",
            errors.dropped_lines()
        );
        open_gate();
        drop(guard);
    }

    /// Every line logged before the guard is dropped reaches the output whole and in order,
    /// although the writer batches them: dropping the guard is what shutdown relies on.
    #[test]
    fn queued_lines_are_written_whole_when_the_guard_drops() {
        let sink = CapturedLog::default();
        let (out, guard) = writer(sink.clone());
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(out)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..5_000 {
                tracing::info!(n = i, "request completed");
            }
        });
        drop(guard);
        let text = sink.text();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 5_000);
        for (i, line) in lines.iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["n"], i);
        }
    }
}
