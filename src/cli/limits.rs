//! Work too big for the machine is refused before it starts: the size
//! estimate ([`crate::engine::estimate`]) of each run, times the runs held
//! at once, against `--max-memory` or the memory this machine has
//! available (`MemAvailable` in `/proc/meminfo`), unless `--force`.
//!
//! Imports: `engine/` (the estimate), `node/` (strategy traits),
//! `scenario/`, `experiments/` (`InputError`).

use crate::engine::estimate::{bytes, Estimate};
use crate::engine::Registry;
use crate::experiments::InputError;
use crate::scenario::Scenario;
use anyhow::Result;

/// `--max-memory` and `--force`, shared by run, compare and sweep.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(super) struct LimitArgs {
    /// Refuse work whose estimated peak memory is above this (e.g. 4G,
    /// 512M; default: the memory this machine has available).
    #[arg(long, value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Run even when the estimate is above the limit.
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
    digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(1 << shift))
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("expected a size such as 4G, 512M or 1000000, got {s:?}"))
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
    let info = registry.lookup(strategy).map_err(InputError)?;
    Ok(Estimate::for_strategy(scenario, info))
}

impl LimitArgs {
    /// Refuses `work` (what is about to run, for the message) when `peak`
    /// bytes would not fit, unless `--force`.
    pub(super) fn check(&self, work: &str, peak: f64, est: &Estimate) -> Result<()> {
        let (limit, whose) = match self.max_memory {
            Some(m) => (m, "--max-memory"),
            None => match available_memory() {
                Some(m) => (m, "available on this machine"),
                None => return Ok(()),
            },
        };
        if self.force || peak <= limit as f64 {
            return Ok(());
        }
        Err(InputError(format!(
            "{work}: estimated peak memory {} is more than the {} {whose} (one run: {}); \
             make it smaller, or pass --force to run anyway",
            bytes(peak),
            bytes(limit as f64),
            est.render()
        ))
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
