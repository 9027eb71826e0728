//! Work too big for the machine is refused before it starts: the size
//! estimate ([`crate::engine::estimate`]) of each run, times the runs held
//! at once, against `--max-memory` or the memory this machine has
//! available (`MemAvailable` in `/proc/meminfo`), and the estimated time of
//! the longest run against `--max-time` (default [`DEFAULT_MAX_TIME`]),
//! unless `--force`. A refusal names the field the estimate grows with
//! most.
//!
//! Imports: `engine/` (the estimate), `node/` (strategy traits),
//! `scenario/`, `experiments/` (`InputError`).

use crate::engine::estimate::{bytes, duration, Estimate, EVENTS_PER_SECOND};
use crate::engine::Registry;
use crate::experiments::InputError;
use crate::scenario::Scenario;
use anyhow::Result;

/// `--max-memory` and `--force`, shared by run, compare and sweep.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub(super) struct LimitArgs {
    /// Refuse work whose estimated peak memory is above this (e.g. 4G,
    /// 512M; default: the memory this machine has available).
    #[arg(long, value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Refuse a run whose estimated time is above this (e.g. 30m, 12h,
    /// 3d; default 4h).
    #[arg(long, value_parser = parse_time)]
    max_time: Option<f64>,
    /// Run even when the estimate is above a limit.
    #[arg(long)]
    force: bool,
}

/// `4G`, `512M`, `64k`, `1000` (bytes), powers of 1024.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        Some((i, 't' | 'T')) => (&t[..i], 40),
        _ => (t, 0),
    };
    let v = digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(1 << shift))
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("expected a size such as 4G, 512M or 1000000, got {s:?}"))?;
    // A bare number is bytes: `--max-memory 1` is one byte, which no run
    // fits in (meaning 1G, most likely).
    if v < MIN_MEMORY {
        return Err(format!(
            "{s:?} is {v} bytes, less than any run needs (at least 1M); give a unit, e.g. {digits}G"
        ));
    }
    Ok(v)
}

/// The smallest `--max-memory`: 1 MiB (a run of one node needs more).
const MIN_MEMORY: u64 = 1 << 20;

/// The default `--max-time`, seconds: 4 hours at the estimate's
/// conservative rate. The largest bundled scenario (scale-10k, 110 M
/// events) is estimated well under it; a run beyond it is nearly always a
/// rate, period or size off by orders of magnitude (a period in ms written
/// as s), and one that never ends (a crash rate of 1e12 per hour) is
/// refused at once rather than left to run for ever.
pub(super) const DEFAULT_MAX_TIME: f64 = 4.0 * 3600.0;

/// `90`, `90s`, `30m`, `12h`, `3d`: seconds.
fn parse_time(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        Some((i, 'd')) => (&t[..i], 86_400.0),
        _ => (t, 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .map(|v| v * unit)
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| format!("expected a time such as 30m, 12h or 3d, got {s:?}"))
}

/// The memory this machine has available now, if the OS says.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The estimate of one run of `scenario` under `strategy` (one of
/// `registry`'s).
pub(super) fn estimate(
    registry: &Registry,
    scenario: &Scenario,
    strategy: &str,
) -> Result<Estimate> {
    // A variant is estimated as its strategy with its config section.
    let (strategy, scenario) = scenario.resolve(strategy);
    let info = registry.lookup(strategy).map_err(InputError)?;
    Ok(Estimate::for_strategy(&scenario, info))
}

impl LimitArgs {
    /// Refuses `work` (what is about to run, for the message) when `peak`
    /// bytes would not fit, or one run `est` would take longer than
    /// `--max-time`, unless `--force`.
    pub(super) fn check(&self, work: &str, peak: f64, est: &Estimate) -> Result<()> {
        if self.force {
            return Ok(());
        }
        if let Some(why) = self.refusal(est) {
            return Err(InputError(format!(
                "{work}: {why}; make it smaller, or pass --max-time or --force to run anyway"
            ))
            .into());
        }
        let (limit, whose) = match self.max_memory {
            Some(m) => (m, "--max-memory"),
            None => match available_memory() {
                Some(m) => (m, "available on this machine"),
                None => return Ok(()),
            },
        };
        if peak <= limit as f64 {
            return Ok(());
        }
        Err(InputError(format!(
            "{work}: estimated peak memory {} is more than the {} {whose}, mostly from {} \
             (one run: {}); make it smaller, or pass --force to run anyway",
            bytes(peak),
            bytes(limit as f64),
            est.memory_blame.path(),
            est.render()
        ))
        .into())
    }
}

impl LimitArgs {
    /// Why one run `est` is refused for its time, if it is.
    pub(super) fn refusal(&self, est: &Estimate) -> Option<String> {
        let max_time = self.max_time.unwrap_or(DEFAULT_MAX_TIME);
        let whose = if self.max_time.is_some() {
            "--max-time"
        } else {
            "default --max-time"
        };
        (est.seconds.is_nan() || est.seconds > max_time).then(|| {
            format!(
                "estimated time ~{} is more than the {} {whose}, mostly from {} (at {} events/s; one run: {})",
                duration(est.seconds),
                duration(max_time),
                est.time_blame.path(),
                count_rate(EVENTS_PER_SECOND),
                est.render(),
            )
        })
    }
}

/// `250k`.
fn count_rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else {
        format!("{:.0}k", x / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("2000000"), Ok(2_000_000));
        let e = parse_size("1").unwrap_err();
        assert!(
            e.contains("is 1 bytes, less than any run needs") && e.contains("1G"),
            "{e}"
        );
        assert!(parse_size("1000").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn times_parse_with_units() {
        assert_eq!(parse_time("90"), Ok(90.0));
        assert_eq!(parse_time("30m"), Ok(1800.0));
        assert_eq!(parse_time("2h"), Ok(7200.0));
        assert_eq!(parse_time("1.5d"), Ok(129_600.0));
        assert!(parse_time("0").is_err());
        assert!(parse_time("-1h").is_err());
        assert!(parse_time("soon").is_err());
    }
}
