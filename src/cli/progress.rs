//! The progress bar of one run: simulated seconds done of the scenario's
//! duration, with a rate and an ETA, on stderr after about a second of
//! work, and only on a terminal and when not quiet. The engine reports the
//! simulated time every few thousand events; the bar cannot change a run.
//!
//! Imports: `sim/` (time).

use crate::sim::time::SimTime;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Wall time before the bar appears (short runs never show one).
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar over `duration` simulated seconds, hidden until [`SHOW_AFTER`].
pub(super) struct RunProgress {
    bar: ProgressBar,
    wanted: bool,
    shown: AtomicBool,
    start: Instant,
}

impl RunProgress {
    /// A bar for a run of `duration`; `quiet` (or no terminal) hides it.
    pub(super) fn new(duration: SimTime, quiet: bool) -> RunProgress {
        let bar = ProgressBar::with_draw_target(
            Some(duration.as_secs_f64().ceil() as u64),
            ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} s simulated, {per_sec}, {elapsed} elapsed, eta {eta}",
        ) {
            bar.set_style(style);
        }
        RunProgress {
            bar,
            wanted: !quiet && std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
            start: Instant::now(),
        }
    }

    /// The engine reached simulated time `now`.
    pub(super) fn at(&self, now: SimTime) {
        if !self.wanted {
            return;
        }
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() >= SHOW_AFTER {
            self.shown.store(true, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_position(now.as_secs_f64() as u64);
    }

    /// Removes the bar.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
