//! `meshsync check`: a result against a committed baseline, for CI gates.
//!
//! Both sides are comparison results (`comparison.json`) or both sweep
//! results (`points.json`) of the same scenario; anything else is refused
//! as bad input, and so is a baseline whose recorded effective scenario
//! (every default filled in, trace files by content) differs. For every strategy (and sweep point) of the baseline,
//! the current means are checked metric by metric: the delivery ratio may
//! not drop by more than an absolute tolerance (default 0.01); latencies,
//! bytes, undeliverable messages and convergence time may not rise by more
//! than a relative tolerance (default 10%); causal violations and invalid
//! deliveries may not rise at all. A strategy or point missing from the
//! current result is a regression too.

use crate::experiments::aggregate::{fmt_num, Agg};
use crate::experiments::compare::Comparison;
use crate::experiments::sweep::Points;
use anyhow::Result;
use clap::ValueEnum;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Which way a metric gets worse, and how its tolerance is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Worse when it falls by more than an absolute tolerance.
    LowerWorseAbs,
    /// Worse when it rises by more than a relative tolerance.
    HigherWorseRel,
    /// Worse when it rises at all.
    HigherWorseStrict,
}

/// A metric `check` compares; its name (`delivery_ratio`) is the summary
/// key, as `--tolerance METRIC=VALUE` takes it. (clap's snake case would
/// write `LatencyP50S` as `latency_p50s`: those three are named.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Metric {
    /// Fraction of due deliveries made.
    DeliveryRatio,
    /// Mean latency.
    LatencyMeanS,
    /// Median latency.
    #[value(name = "latency_p50_s")]
    LatencyP50S,
    /// 90th percentile latency.
    #[value(name = "latency_p90_s")]
    LatencyP90S,
    /// 99th percentile latency.
    #[value(name = "latency_p99_s")]
    LatencyP99S,
    /// Bytes sent per delivery.
    BytesPerDelivery,
    /// Bytes sent.
    BytesSentTotal,
    /// Messages never delivered for want of a parent.
    UndeliveredMissingParents,
    /// Deliveries made before a parent (any strategy).
    DeliveredBeforeParent,
    /// Time to converge after the last heal.
    ConvergenceS,
    /// Deliveries out of causal order.
    CausalViolations,
    /// Deliveries that should not have happened.
    InvalidDeliveries,
}

impl Metric {
    /// The summary key (clap's name of the variant).
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    fn rule(self) -> Rule {
        match self {
            Metric::DeliveryRatio => Rule::LowerWorseAbs,
            Metric::CausalViolations | Metric::InvalidDeliveries => Rule::HigherWorseStrict,
            _ => Rule::HigherWorseRel,
        }
    }
}

/// One `--tolerance` value: `0.2` (every relative metric) or
/// `metric=0.05` (one metric).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// The relative tolerance of every higher-is-worse metric.
    Relative(f64),
    /// One metric's tolerance.
    Metric(Metric, f64),
}

impl std::str::FromStr for Tolerance {
    type Err = String;

    fn from_str(a: &str) -> Result<Tolerance, String> {
        let num = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| format!("expected a number >= 0, got {v:?}"))
        };
        let Some((k, v)) = a.split_once('=') else {
            return Ok(Tolerance::Relative(num(a)?));
        };
        let metric = <Metric as clap::ValueEnum>::from_str(k, false).map_err(|_| {
            let known: Vec<String> = Metric::value_variants().iter().map(|m| m.name()).collect();
            format!("unknown metric {k:?}, expected one of {}", known.join(", "))
        })?;
        Ok(Tolerance::Metric(metric, num(v)?))
    }
}

/// Tolerances of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance of higher-is-worse metrics.
    pub relative: f64,
    /// Absolute tolerance of the delivery ratio.
    pub ratio: f64,
    /// Per-metric overrides.
    pub per_metric: BTreeMap<Metric, f64>,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            relative: 0.10,
            ratio: 0.01,
            per_metric: BTreeMap::new(),
        }
    }
}

impl Tolerances {
    /// The defaults with `--tolerance` values applied in order.
    pub fn new(args: &[Tolerance]) -> Tolerances {
        let mut t = Tolerances::default();
        for a in args {
            match *a {
                Tolerance::Relative(x) => t.relative = x,
                Tolerance::Metric(m, x) => {
                    t.per_metric.insert(m, x);
                }
            }
        }
        t
    }

    fn of(&self, metric: Metric) -> f64 {
        self.per_metric
            .get(&metric)
            .copied()
            .unwrap_or(match metric.rule() {
                Rule::LowerWorseAbs => self.ratio,
                Rule::HigherWorseRel => self.relative,
                Rule::HigherWorseStrict => 0.0,
            })
    }
}

/// The outcome of a check.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Baseline checked against.
    pub baseline: String,
    /// Comparisons made.
    pub checked: usize,
    /// One line per regression.
    pub regressions: Vec<String>,
}

impl CheckReport {
    /// Human-readable verdict.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if self.regressions.is_empty() {
            let _ = writeln!(
                s,
                "meshsync check: no regression ({} metrics checked against {})",
                self.checked, self.baseline
            );
        } else {
            let _ = writeln!(
                s,
                "meshsync check: {} regression(s) against {} ({} metrics checked):",
                self.regressions.len(),
                self.baseline,
                self.checked
            );
            for r in &self.regressions {
                let _ = writeln!(s, "  REGRESSION {r}");
            }
        }
        s
    }
}

type Entries = Vec<(String, Vec<(String, Agg)>)>;

fn result_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        let c = path.join("comparison.json");
        if c.exists() {
            return c;
        }
        return path.join("points.json");
    }
    path.to_path_buf()
}

/// A result `check` reads: what it is, of what, and its entries.
struct Loaded {
    /// The file read.
    file: PathBuf,
    /// `comparison` or `sweep`.
    kind: &'static str,
    /// Scenario name.
    scenario: String,
    /// The hash of what was simulated (a comparison's effective scenario,
    /// a sweep's points), when the result records it.
    world: Option<String>,
    /// (label, metrics) per strategy (and sweep point).
    entries: Entries,
}

/// Loads a comparison or sweep result.
fn load(path: &Path) -> Result<Loaded> {
    let file = result_file(path);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| super::InputError(format!("{}: cannot read: {e}", file.display())))?;
    if let Ok(c) = serde_json::from_str::<Comparison>(&text) {
        let entries = c
            .strategies
            .iter()
            .map(|s| {
                let metrics = c
                    .metrics
                    .iter()
                    .filter_map(|row| {
                        row.by_strategy
                            .iter()
                            .find(|(k, _)| k == s)
                            .map(|(_, a)| (row.metric.clone(), a.clone()))
                    })
                    .collect();
                (s.clone(), metrics)
            })
            .collect();
        return Ok(Loaded {
            file,
            kind: "comparison",
            scenario: c.scenario,
            world: c.scenario_hash,
            entries,
        });
    }
    let p: Points = serde_json::from_str(&text).map_err(|e| {
        super::InputError(format!(
            "{}: neither a meshsync comparison nor sweep result: {e}",
            file.display()
        ))
    })?;
    let m = &p.manifest;
    let world = Some(m.effective_hash.clone()).filter(|h| !h.is_empty());
    let (scenario, entries) = (
        m.scenario.clone(),
        p.points.into_iter().map(|pa| {
            let params: Vec<String> = pa.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (
                format!("[{}] {}", params.join(", "), pa.strategy),
                pa.metrics,
            )
        }),
    );
    Ok(Loaded {
        file,
        kind: "sweep",
        scenario,
        world,
        entries: entries.collect(),
    })
}

/// Refuses to compare results that are not of the same thing: another
/// kind (comparison against sweep), another scenario, or the same name
/// with another effective scenario (bad input: exit code 2).
fn comparable(cur: &Loaded, base: &Loaded) -> Result<(), super::InputError> {
    let (c, b) = (cur.file.display(), base.file.display());
    if cur.kind != base.kind {
        return Err(super::InputError(format!(
            "{c} is a {} result and {b} a {} result: check compares a comparison with a comparison, a sweep with a sweep",
            cur.kind, base.kind
        )));
    }
    if cur.scenario != base.scenario {
        return Err(super::InputError(format!(
            "{c} is of scenario {:?}, {b} of scenario {:?}: their figures are not comparable",
            cur.scenario, base.scenario
        )));
    }
    if let (Some(x), Some(y)) = (&cur.world, &base.world) {
        if x != y {
            return Err(super::InputError(format!(
                "{c} and {b} simulate different worlds: the effective scenario of {:?} changed (hash {} here, {} in the baseline); if the change is meant, regenerate the baseline with the new scenario",
                cur.scenario,
                &x[..x.len().min(16)],
                &y[..y.len().min(16)]
            )));
        }
    }
    Ok(())
}

fn mean(metrics: &[(String, Agg)], name: &str) -> Option<f64> {
    metrics
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, a)| a.mean)
}

/// Checks `current` against `baseline`.
pub fn check(current: &Path, baseline: &Path, tol: &Tolerances) -> Result<CheckReport> {
    let (cur, base) = (load(current)?, load(baseline)?);
    comparable(&cur, &base)?;
    let (cur, base) = (cur.entries, base.entries);
    let mut report = CheckReport {
        baseline: baseline.display().to_string(),
        ..CheckReport::default()
    };
    for (label, bm) in &base {
        let Some((_, cm)) = cur.iter().find(|(l, _)| l == label) else {
            report
                .regressions
                .push(format!("{label}: missing from the current result"));
            continue;
        };
        for metric in Metric::value_variants() {
            let name = metric.name();
            let Some(b) = mean(bm, &name) else {
                continue;
            };
            report.checked += 1;
            let c = mean(cm, &name);
            if let Some(r) = regression(label, *metric, b, c, tol.of(*metric)) {
                report.regressions.push(r);
            }
        }
    }
    Ok(report)
}

/// The regression line of `metric` going from `b` to `c` under tolerance
/// `t`, if it is one.
fn regression(label: &str, metric: Metric, b: f64, c: Option<f64>, t: f64) -> Option<String> {
    let name = metric.name();
    let Some(c) = c else {
        return Some(format!(
            "{label} {name}: {} -> none (no longer measured: never delivered or never converged)",
            fmt_num(b)
        ));
    };
    let rule = metric.rule();
    let worse = match rule {
        Rule::LowerWorseAbs => c < b - t - 1e-12,
        Rule::HigherWorseRel => c > b + t * b.abs() + 1e-12,
        Rule::HigherWorseStrict => c > b + t,
    };
    if !worse {
        return None;
    }
    let change = match rule {
        Rule::HigherWorseRel if b != 0.0 => format!(
            "{:+.1}%, tolerance {:.1}%",
            (c / b - 1.0) * 100.0,
            t * 100.0
        ),
        _ => format!("{:+}, tolerance {}", fmt_num(c - b), fmt_num(t)),
    };
    Some(format!(
        "{label} {name}: {} -> {} ({change})",
        fmt_num(b),
        fmt_num(c)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse() {
        let args: Vec<Tolerance> = ["0.2", "delivery_ratio=0.05"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let t = Tolerances::new(&args);
        assert_eq!(t.relative, 0.2);
        assert_eq!(t.of(Metric::DeliveryRatio), 0.05);
        assert_eq!(t.of(Metric::CausalViolations), 0.0);
        assert_eq!(t.of(Metric::LatencyP90S), 0.2);
        assert!("speed=1"
            .parse::<Tolerance>()
            .unwrap_err()
            .contains("expected one of delivery_ratio, latency_mean_s"));
        assert!("-1".parse::<Tolerance>().is_err());
    }

    #[test]
    fn metric_names_are_summary_keys() {
        let names: Vec<String> = Metric::value_variants().iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "delivery_ratio",
                "latency_mean_s",
                "latency_p50_s",
                "latency_p90_s",
                "latency_p99_s",
                "bytes_per_delivery",
                "bytes_sent_total",
                "undelivered_missing_parents",
                "delivered_before_parent",
                "convergence_s",
                "causal_violations",
                "invalid_deliveries"
            ]
        );
    }
}
