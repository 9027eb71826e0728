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
/// 1 and 10 hours, 4 and 40 days; on a range holding fewer than three of
/// those, the 2s and 5s between them too.
pub fn duration_ticks(lo: f64, hi: f64) -> Vec<(f64, &'static str)> {
    // (seconds, label, major)
    const TICKS: [(f64, &str, bool); 34] = [
        (1e-4, "0.1 ms", true),
        (2e-4, "0.2 ms", false),
        (5e-4, "0.5 ms", false),
        (1e-3, "1 ms", true),
        (2e-3, "2 ms", false),
        (5e-3, "5 ms", false),
        (1e-2, "10 ms", true),
        (2e-2, "20 ms", false),
        (5e-2, "50 ms", false),
        (0.1, "0.1 s", true),
        (0.2, "0.2 s", false),
        (0.5, "0.5 s", false),
        (1.0, "1 s", true),
        (2.0, "2 s", false),
        (5.0, "5 s", false),
        (10.0, "10 s", true),
        (20.0, "20 s", false),
        (30.0, "30 s", false),
        (60.0, "1 min", true),
        (120.0, "2 min", false),
        (300.0, "5 min", false),
        (600.0, "10 min", true),
        (1_200.0, "20 min", false),
        (1_800.0, "30 min", false),
        (3_600.0, "1 h", true),
        (7_200.0, "2 h", false),
        (18_000.0, "5 h", false),
        (36_000.0, "10 h", true),
        (86_400.0, "1 day", false),
        (86_400.0 * 2.0, "2 days", false),
        (86_400.0 * 4.0, "4 days", true),
        (86_400.0 * 10.0, "10 days", false),
        (86_400.0 * 20.0, "20 days", false),
        (86_400.0 * 40.0, "40 days", true),
    ];
    let within = |major_only: bool| -> Vec<(f64, &'static str)> {
        TICKS
            .iter()
            .filter(|&&(t, _, major)| t >= lo && t <= hi && (major || !major_only))
            .map(|&(t, label, _)| (t, label))
            .collect()
    };
    let major = within(true);
    if major.len() >= 3 {
        major
    } else {
        within(false)
    }
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
        let t: Vec<&str> = duration_ticks(0.13, 0.7).iter().map(|t| t.1).collect();
        assert_eq!(t, ["0.2 s", "0.5 s"]);
    }
}
