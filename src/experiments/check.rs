//! `meshsync check`: a result against a committed baseline, for CI gates.
//!
//! Both sides are comparison results (`comparison.json`) or sweep results
//! (`points.json`). For every strategy (and sweep point) of the baseline,
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

const RULES: [(&str, Rule); 11] = [
    ("delivery_ratio", Rule::LowerWorseAbs),
    ("latency_mean_s", Rule::HigherWorseRel),
    ("latency_p50_s", Rule::HigherWorseRel),
    ("latency_p90_s", Rule::HigherWorseRel),
    ("latency_p99_s", Rule::HigherWorseRel),
    ("bytes_per_delivery", Rule::HigherWorseRel),
    ("bytes_sent_total", Rule::HigherWorseRel),
    ("undelivered_missing_parents", Rule::HigherWorseRel),
    ("convergence_s", Rule::HigherWorseRel),
    ("causal_violations", Rule::HigherWorseStrict),
    ("invalid_deliveries", Rule::HigherWorseStrict),
];

/// Tolerances of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance of higher-is-worse metrics.
    pub relative: f64,
    /// Absolute tolerance of the delivery ratio.
    pub ratio: f64,
    /// Per-metric overrides.
    pub per_metric: BTreeMap<String, f64>,
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
    /// Parses `--tolerance` values: `0.2` or `metric=0.05`.
    pub fn parse(args: &[String]) -> Result<Tolerances, String> {
        let mut t = Tolerances::default();
        for a in args {
            let num = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("--tolerance {a:?}: expected a number >= 0"))
            };
            match a.split_once('=') {
                None => t.relative = num(a)?,
                Some((k, v)) => {
                    if !RULES.iter().any(|(m, _)| *m == k) {
                        let known: Vec<&str> = RULES.iter().map(|(m, _)| *m).collect();
                        return Err(format!(
                            "--tolerance {a:?}: unknown metric {k:?}, expected one of {}",
                            known.join(", ")
                        ));
                    }
                    t.per_metric.insert(k.to_string(), num(v)?);
                }
            }
        }
        Ok(t)
    }

    fn of(&self, metric: &str, rule: Rule) -> f64 {
        self.per_metric.get(metric).copied().unwrap_or(match rule {
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

/// Loads a comparison or sweep result as (label, metrics) entries.
fn load(path: &Path) -> Result<Entries> {
    let file = result_file(path);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| super::InputError(format!("{}: cannot read: {e}", file.display())))?;
    if let Ok(c) = serde_json::from_str::<Comparison>(&text) {
        return Ok(c
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
            .collect());
    }
    let p: Points = serde_json::from_str(&text).map_err(|e| {
        super::InputError(format!(
            "{}: neither a meshsync comparison nor sweep result: {e}",
            file.display()
        ))
    })?;
    Ok(p.points
        .into_iter()
        .map(|pa| {
            let params: Vec<String> = pa.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (
                format!("[{}] {}", params.join(", "), pa.strategy),
                pa.metrics,
            )
        })
        .collect())
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
        for (metric, rule) in RULES {
            let (b, c) = (mean(bm, metric), mean(cm, metric));
            let t = tol.of(metric, rule);
            let Some(b) = b else { continue };
            report.checked += 1;
            let Some(c) = c else {
                report.regressions.push(format!("{label} {metric}: {} -> none (no longer measured: never delivered or never converged)", fmt_num(b)));
                continue;
            };
            let worse = match rule {
                Rule::LowerWorseAbs => c < b - t - 1e-12,
                Rule::HigherWorseRel => c > b + t * b.abs() + 1e-12,
                Rule::HigherWorseStrict => c > b + t,
            };
            if worse {
                let change = match rule {
                    Rule::HigherWorseRel if b != 0.0 => format!(
                        "{:+.1}%, tolerance {:.1}%",
                        (c / b - 1.0) * 100.0,
                        t * 100.0
                    ),
                    _ => format!("{:+}, tolerance {}", fmt_num(c - b), fmt_num(t)),
                };
                report.regressions.push(format!(
                    "{label} {metric}: {} -> {} ({change})",
                    fmt_num(b),
                    fmt_num(c)
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_parse() {
        let t = Tolerances::parse(&["0.2".into(), "delivery_ratio=0.05".into()]).unwrap();
        assert_eq!(t.relative, 0.2);
        assert_eq!(t.of("delivery_ratio", Rule::LowerWorseAbs), 0.05);
        assert_eq!(t.of("causal_violations", Rule::HigherWorseStrict), 0.0);
        assert!(Tolerances::parse(&["speed=1".into()]).is_err());
        assert!(Tolerances::parse(&["-1".into()]).is_err());
    }
}
