//! Progress bars for long work, on stderr, only on a terminal and when not
//! quiet: simulated seconds done of all the runs' durations, with events
//! per second, runs done (when there are several) and an ETA. `run` and
//! `compare` show theirs after about a second of work (short work never
//! shows one); `sweep` shows its bar at once. The bar moves within runs:
//! the engine reports every few thousand events. A bar cannot change a run.
//!
//! Imports: `sim/` (time) and `experiments::progress`.

use crate::experiments::progress::Progress;
use crate::sim::time::SimTime;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Wall time before the bar of `run` or `compare` appears.
pub(super) const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar over the simulated time of one or more runs.
pub(super) struct WorkBar {
    bar: ProgressBar,
    wanted: bool,
    show_after: Duration,
    shown: AtomicBool,
    start: Instant,
    micros: AtomicU64,
    events: AtomicU64,
    runs: AtomicUsize,
    runs_done: AtomicUsize,
}

impl WorkBar {
    /// A bar that appears after `show_after` of work; `quiet` (or no
    /// terminal on stderr) hides it.
    pub(super) fn new(quiet: bool, show_after: Duration) -> WorkBar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} s simulated{msg}, {elapsed} elapsed, eta {eta}",
        ) {
            bar.set_style(style);
        }
        WorkBar {
            bar,
            wanted: !quiet && std::io::stderr().is_terminal(),
            show_after,
            shown: AtomicBool::new(false),
            start: Instant::now(),
            micros: AtomicU64::new(0),
            events: AtomicU64::new(0),
            runs: AtomicUsize::new(0),
            runs_done: AtomicUsize::new(0),
        }
    }

    /// Removes the bar.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Shows the bar once it is due, and redraws its figures.
    fn update(&self) {
        if !self.wanted {
            return;
        }
        let elapsed = self.start.elapsed();
        if !self.shown.load(Ordering::Relaxed) && elapsed >= self.show_after {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        let rate = self.events.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64().max(1e-3);
        let runs = self.runs.load(Ordering::Relaxed);
        let runs = if runs > 1 {
            let done = self.runs_done.load(Ordering::Relaxed);
            format!(", {done}/{runs} runs")
        } else {
            String::new()
        };
        self.bar
            .set_message(format!("{runs}, {} events/s", si(rate)));
        self.bar
            .set_position(self.micros.load(Ordering::Relaxed) / 1_000_000);
    }
}

impl Progress for WorkBar {
    fn begin(&self, runs: usize, simulated: SimTime) {
        self.runs.store(runs, Ordering::Relaxed);
        self.bar
            .set_length(simulated.as_micros().div_ceil(1_000_000));
        self.update();
    }

    fn advanced(&self, simulated: SimTime, events: u64) {
        self.micros
            .fetch_add(simulated.as_micros(), Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
        self.update();
    }

    fn run_done(&self) {
        self.runs_done.fetch_add(1, Ordering::Relaxed);
        self.update();
    }
}

/// `x` with an SI prefix: 950, 12.3 k, 4.1 M.
fn si(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.1} G", x / 1e9),
        x if x >= 1e6 => format!("{:.1} M", x / 1e6),
        x if x >= 1e3 => format!("{:.1} k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_prefixes() {
        assert_eq!(si(950.0), "950");
        assert_eq!(si(12_345.0), "12.3 k");
        assert_eq!(si(4_100_000.0), "4.1 M");
        assert_eq!(si(2.5e9), "2.5 G");
    }

    #[test]
    fn counts_runs_time_and_events() {
        let bar = WorkBar::new(true, SHOW_AFTER);
        bar.begin(2, SimTime::from_secs(20));
        bar.advanced(SimTime::from_secs(4), 10);
        bar.advanced(SimTime::from_millis(6_500), 5);
        bar.run_done();
        assert_eq!(bar.bar.length(), Some(20));
        assert_eq!(bar.micros.load(Ordering::Relaxed), 10_500_000);
        assert_eq!(bar.events.load(Ordering::Relaxed), 15);
        assert_eq!(bar.runs_done.load(Ordering::Relaxed), 1);
    }
}
