//! Progress of a compare run (issue 6): an indicatif bar with rate and ETA on a terminal, plain
//! periodic lines otherwise (CI logs). Only counts are shown, never case identifiers.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar on a terminal, lines otherwise.
    Auto,
    Bar,
    Lines,
    None,
}

/// Plain lines: at most one every this long (plus the last).
const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    inner: Inner,
}

enum Inner {
    Bar(ProgressBar),
    Lines(Mutex<LineState>),
    Silent,
}

struct LineState {
    total: u64,
    done: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    pub fn new(mode: ProgressMode, total: u64) -> Self {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Lines,
            m => m,
        };
        let inner = match mode {
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases  {per_sec}  ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.enable_steady_tick(Duration::from_millis(200));
                Inner::Bar(bar)
            }
            ProgressMode::Lines => {
                let now = Instant::now();
                Inner::Lines(Mutex::new(LineState {
                    total,
                    done: 0,
                    started: now,
                    last: now,
                }))
            }
            _ => Inner::Silent,
        };
        Self { inner }
    }

    pub fn tick(&self) {
        match &self.inner {
            Inner::Bar(bar) => bar.inc(1),
            Inner::Lines(state) => {
                let Ok(mut s) = state.lock() else { return };
                s.done += 1;
                let now = Instant::now();
                if s.done == s.total || now.duration_since(s.last) >= LINE_EVERY {
                    s.last = now;
                    eprintln!("{}", line(s.done, s.total, now.duration_since(s.started)));
                }
            }
            Inner::Silent => {}
        }
    }

    pub fn finish(&self) {
        if let Inner::Bar(bar) = &self.inner {
            bar.finish_and_clear();
        }
    }
}

/// `compare: 12/40 cases (30%), 4.8 cases/s, ETA 6s`.
pub fn line(done: u64, total: u64, elapsed: Duration) -> String {
    let rate = if elapsed.as_secs_f64() > 0.0 {
        done as f64 / elapsed.as_secs_f64()
    } else {
        0.0
    };
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let eta = if rate > 0.0 {
        format!("{:.0}s", (total.saturating_sub(done)) as f64 / rate)
    } else {
        "?".into()
    };
    format!("compare: {done}/{total} cases ({pct}%), {rate:.1} cases/s, ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_has_rate_and_eta() {
        assert_eq!(
            line(10, 40, Duration::from_secs(2)),
            "compare: 10/40 cases (25%), 5.0 cases/s, ETA 6s"
        );
        assert_eq!(
            line(0, 0, Duration::ZERO),
            "compare: 0/0 cases (100%), 0.0 cases/s, ETA ?"
        );
    }
}
