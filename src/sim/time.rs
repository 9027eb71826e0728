//! Simulated time: integer microseconds since the start of a run.
//!
//! The engine is the only owner of time; nodes receive `now` as an argument.
//! Integer time keeps event order exact and platform independent.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in microseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// Microseconds per second.
pub const MICROS_PER_SEC: u64 = 1_000_000;

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// A time after every event of any run ("never").
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Whole seconds to time.
    pub fn from_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(MICROS_PER_SEC))
    }

    /// Microseconds to time.
    pub fn from_micros(us: u64) -> Self {
        SimTime(us)
    }

    /// Milliseconds to time.
    pub fn from_millis(ms: u64) -> Self {
        SimTime(ms.saturating_mul(1000))
    }

    /// Fractional seconds to time, rounded to the nearest microsecond and
    /// clamped at zero (callers validate signs before).
    pub fn from_secs_f64(s: f64) -> Self {
        SimTime((s.max(0.0) * MICROS_PER_SEC as f64).round() as u64)
    }

    /// Microseconds since the start of the run.
    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// Seconds since the start of the run, as a float (for reports only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// `self + d`, saturating at [`SimTime::NEVER`].
    pub fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(SimTime::from_secs(2).as_micros(), 2_000_000);
        assert_eq!(SimTime::from_millis(1500), SimTime::from_secs_f64(1.5));
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::NEVER + SimTime(5), SimTime::NEVER);
        assert_eq!(SimTime(3) - SimTime(5), SimTime::ZERO);
    }
}
