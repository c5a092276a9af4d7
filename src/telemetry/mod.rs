//! Telemetry: JSON logs without patient data, Prometheus metrics, and the shutdown signal.

#[cfg(test)]
pub(crate) mod captured;
mod logs;
pub use logs::{dropped_lines, init, writer, LogGuard};

pub mod catalogue;
pub mod certificates;
pub mod metrics;
pub mod smsp_metrics;

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM — what container runtimes send to stop.
pub async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
