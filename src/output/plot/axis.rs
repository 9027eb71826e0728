//! Axis units: seconds shown in minutes, hours or days when the range is
//! long, and readable duration ticks (`1 s`, `10 min`, `1 h`) on a
//! logarithmic time axis.
//!
//! Imports: nothing from this crate.

/// The unit to show `max_s` seconds in: (seconds per unit, unit name).
/// Seconds up to 2 minutes, minutes up to 2 hours, hours up to 3 days,
/// days beyond.
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    let a = max_s.abs();
    if a >= 3.0 * 86_400.0 {
        (86_400.0, "days")
    } else if a >= 2.0 * 3_600.0 {
        (3_600.0, "h")
    } else if a >= 120.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// Tick positions (seconds) and labels for a logarithmic time axis from
/// `lo` to `hi` seconds: decades below a minute, then 1 and 10 minutes,
/// 1 hour, 1 and 10 days.
pub fn duration_ticks(lo: f64, hi: f64) -> Vec<(f64, &'static str)> {
    const TICKS: [(f64, &str); 12] = [
        (1e-4, "0.1 ms"),
        (1e-3, "1 ms"),
        (1e-2, "10 ms"),
        (0.1, "0.1 s"),
        (1.0, "1 s"),
        (10.0, "10 s"),
        (60.0, "1 min"),
        (600.0, "10 min"),
        (3_600.0, "1 h"),
        (36_000.0, "10 h"),
        (86_400.0 * 4.0, "4 days"),
        (86_400.0 * 40.0, "40 days"),
    ];
    TICKS
        .iter()
        .copied()
        .filter(|&(t, _)| t >= lo && t <= hi)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_times_are_shown_in_minutes_hours_or_days() {
        assert_eq!(time_unit(90.0), (1.0, "s"));
        assert_eq!(time_unit(1_800.0), (60.0, "min"));
        assert_eq!(time_unit(43_200.0), (3_600.0, "h"));
        assert_eq!(time_unit(864_000.0), (86_400.0, "days"));
    }

    #[test]
    fn log_time_ticks_are_round_durations_in_range() {
        let t: Vec<&str> = duration_ticks(0.08, 17_000.0).iter().map(|t| t.1).collect();
        assert_eq!(t, ["0.1 s", "1 s", "10 s", "1 min", "10 min", "1 h"]);
    }
}
