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
//! deliveries may not rise at all; service fairness (0.05) and order
//! agreement (0.02) may not drop, and reorders per delivery (0.02), causal
//! byte share (0.01) and exposed or linking nodes per group (0.5 node) may
//! not rise, by more than an absolute tolerance each. A strategy or point
//! missing from the current result is a regression too.
//!
//! The metrics are fields of [`Summary`]: each [`Metric`] writes its field
//! (the compiler holds the list to the type), and its name is the key the
//! shared flattening ([`aggregate::flatten`], which made the result's
//! rows) gives that field. A metric either result lacks is bad input (an
//! older meshsync wrote it: regenerate the baseline), never skipped.
//!
//! When both results carry figures against their own baseline (`compare
//! --baseline`, a sweep's `baseline`), those are checked too: a multiplier
//! of a metric checked by relative tolerance may not rise by more than it,
//! and the delivery ratio's difference to the baseline may not fall by
//! more than its absolute tolerance.

use super::InputError;
use crate::experiments::aggregate::{self, fmt_num, Agg};
use crate::experiments::compare::Comparison;
use crate::experiments::paired::Paired;
use crate::experiments::sweep::Points;
use crate::report::Summary;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which way a metric gets worse, and how its tolerance is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// Worse when it falls by more than an absolute tolerance.
    LowerWorseAbs,
    /// Worse when it rises by more than a relative tolerance.
    HigherWorseRel,
    /// Worse when it rises at all.
    HigherWorseStrict,
    /// Worse when it rises by more than an absolute tolerance (the
    /// metric's own default, [`Metric::abs_default`]).
    HigherWorseAbs,
}

/// A metric `check` compares: one field of [`Summary`]. Its name
/// ([`Metric::name`], `delivery_ratio`) is the field's key in the results,
/// as `--tolerance METRIC=VALUE` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Fraction of due deliveries made.
    DeliveryRatio,
    /// Mean latency.
    LatencyMeanS,
    /// Median latency.
    LatencyP50S,
    /// 90th percentile latency.
    LatencyP90S,
    /// 99th percentile latency.
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
    /// Fairness of the service members give.
    ServiceFairness,
    /// Outside nodes per group that saw its messages.
    ExposedNodesMean,
    /// Outside nodes per group that could link an author to it.
    LinkingNodesMean,
    /// Member pairs agreeing on the order of their common messages.
    OrderAgreement,
    /// Deliveries that changed the history shown, per delivery.
    ReordersPerDelivery,
    /// Share of bytes spent on causal metadata.
    CausalByteShare,
}

impl Metric {
    /// Every metric, in declaration order (the order checked and listed).
    pub const ALL: [Metric; 18] = [
        Metric::DeliveryRatio,
        Metric::LatencyMeanS,
        Metric::LatencyP50S,
        Metric::LatencyP90S,
        Metric::LatencyP99S,
        Metric::BytesPerDelivery,
        Metric::BytesSentTotal,
        Metric::UndeliveredMissingParents,
        Metric::DeliveredBeforeParent,
        Metric::ConvergenceS,
        Metric::CausalViolations,
        Metric::InvalidDeliveries,
        Metric::ServiceFairness,
        Metric::ExposedNodesMean,
        Metric::LinkingNodesMean,
        Metric::OrderAgreement,
        Metric::ReordersPerDelivery,
        Metric::CausalByteShare,
    ];

    /// Writes `x` into the summary field this metric is (counts rounded
    /// down): the link to the type.
    fn put(self, s: &mut Summary, x: f64) {
        let n = x as u64;
        match self {
            Metric::DeliveryRatio => s.delivery_ratio = Some(x),
            Metric::LatencyMeanS => s.latency_mean_s = Some(x),
            Metric::LatencyP50S => s.latency_p50_s = Some(x),
            Metric::LatencyP90S => s.latency_p90_s = Some(x),
            Metric::LatencyP99S => s.latency_p99_s = Some(x),
            Metric::BytesPerDelivery => s.bytes_per_delivery = Some(x),
            Metric::BytesSentTotal => s.bytes_sent_total = n,
            Metric::UndeliveredMissingParents => s.undelivered_missing_parents = n,
            Metric::DeliveredBeforeParent => s.delivered_before_parent = n,
            Metric::ConvergenceS => s.convergence_s = Some(x),
            Metric::CausalViolations => s.causal_violations = n,
            Metric::InvalidDeliveries => s.invalid_deliveries = n,
            Metric::ServiceFairness => s.service_fairness = Some(x),
            Metric::ExposedNodesMean => s.exposed_nodes_mean = Some(x),
            Metric::LinkingNodesMean => s.linking_nodes_mean = Some(x),
            Metric::OrderAgreement => s.order_agreement = Some(x),
            Metric::ReordersPerDelivery => s.reorders_per_delivery = Some(x),
            Metric::CausalByteShare => s.causal_byte_share = Some(x),
        }
    }

    /// The key [`aggregate::flatten`] gives this metric's field: the one
    /// key holding 1 once the field alone of an empty summary is set to 1.
    fn key(self) -> String {
        let mut s = Summary::default();
        self.put(&mut s, 1.0);
        let mut keys = aggregate::flatten(&s)
            .into_iter()
            .filter(|(_, v)| *v == Some(1.0))
            .map(|(k, _)| k);
        match (keys.next(), keys.next()) {
            (Some(k), None) => k,
            other => panic!("{self:?} is not one summary metric: {other:?}"),
        }
    }

    /// The metric's name: its field's key in `comparison.json` and
    /// `points.json` (`delivery_ratio`, `latency_p50_s`).
    pub fn name(self) -> &'static str {
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        let names = NAMES.get_or_init(|| Metric::ALL.iter().map(|m| m.key()).collect());
        &names[self as usize]
    }

    fn rule(self) -> Rule {
        match self {
            Metric::DeliveryRatio | Metric::ServiceFairness | Metric::OrderAgreement => {
                Rule::LowerWorseAbs
            }
            Metric::CausalViolations | Metric::InvalidDeliveries => Rule::HigherWorseStrict,
            Metric::ExposedNodesMean
            | Metric::LinkingNodesMean
            | Metric::ReordersPerDelivery
            | Metric::CausalByteShare => Rule::HigherWorseAbs,
            _ => Rule::HigherWorseRel,
        }
    }

    /// The default absolute tolerance of a metric checked by an absolute
    /// rule other than the delivery ratio's: fractions in hundredths
    /// (fairness 0.05: a small world's few servers swing it), node
    /// counts by half a node (a mean over groups of whole nodes).
    fn abs_default(self) -> f64 {
        match self {
            Metric::ServiceFairness => 0.05,
            Metric::OrderAgreement | Metric::ReordersPerDelivery => 0.02,
            Metric::ExposedNodesMean | Metric::LinkingNodesMean => 0.5,
            Metric::CausalByteShare => 0.01,
            _ => 0.0,
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
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.name() == k)
            .ok_or_else(|| {
                let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
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
                Rule::LowerWorseAbs if metric == Metric::DeliveryRatio => self.ratio,
                Rule::LowerWorseAbs | Rule::HigherWorseAbs => metric.abs_default(),
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
    /// What differs between the two results without being a regression
    /// (strategies only the current result has).
    pub notes: Vec<String>,
}

impl CheckReport {
    /// Human-readable verdict.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
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
    /// The strategies run.
    strategies: Vec<String>,
    /// The seeds run.
    seeds: Vec<u64>,
    /// Each entry's metrics against the result's own baseline (a
    /// comparison's `--baseline`, a sweep's `baseline`), by label.
    vs: BTreeMap<String, Vec<(String, Paired)>>,
}

/// Loads a comparison or sweep result.
fn load(path: &Path) -> Result<Loaded, InputError> {
    let file = result_file(path);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| InputError(format!("{}: cannot read: {e}", file.display())))?;
    let comparison = crate::sim::shape::parse_objects::<Comparison>(&text);
    if let Err(m) = &comparison {
        if m.is_positional() {
            return Err(InputError(format!("{}: {m}", file.display())));
        }
    }
    if let Ok(c) = comparison {
        let entries = c
            .strategies
            .iter()
            .map(|s| (s.clone(), aggregate::strategy_metrics(&c.metrics, s)))
            .collect();
        let mut vs: BTreeMap<String, Vec<(String, Paired)>> = BTreeMap::new();
        for row in &c.metrics {
            for (s, p) in &row.vs_baseline {
                vs.entry(s.clone())
                    .or_default()
                    .push((row.metric.clone(), p.clone()));
            }
        }
        return Ok(Loaded {
            file,
            kind: "comparison",
            scenario: c.scenario,
            world: c.scenario_hash,
            entries,
            strategies: c.strategies,
            seeds: c.seeds,
            vs,
        });
    }
    let p: Points = crate::sim::shape::parse_objects(&text).map_err(|e| {
        InputError(format!(
            "{}: neither a meshsync comparison nor sweep result: {e}",
            file.display()
        ))
    })?;
    let m = &p.manifest;
    let world = Some(m.effective_hash.clone()).filter(|h| !h.is_empty());
    let (strategies, seeds) = (m.strategies.clone(), m.seeds.clone());
    let mut vs = BTreeMap::new();
    let (scenario, entries) = (
        m.scenario.clone(),
        p.points.into_iter().map(|pa| {
            let params: Vec<String> = pa.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let label = format!("[{}] {}", params.join(", "), pa.strategy);
            if let Some(v) = pa.vs_baseline {
                vs.insert(label.clone(), v.metrics);
            }
            (label, pa.metrics)
        }),
    );
    let entries = entries.collect();
    Ok(Loaded {
        file,
        kind: "sweep",
        scenario,
        world,
        entries,
        strategies,
        seeds,
        vs,
    })
}

/// Refuses to compare results that are not of the same thing: another
/// kind (comparison against sweep), another scenario, or the same name
/// with another effective scenario (bad input: exit code 2).
fn comparable(cur: &Loaded, base: &Loaded) -> Result<(), InputError> {
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
    if cur.seeds != base.seeds {
        return Err(InputError(format!(
            "{c} and {b} ran different seeds (seeds: {} here, {} in the baseline): means over other seeds are not comparable; run the same seeds, or regenerate the baseline",
            seed_list(&cur.seeds),
            seed_list(&base.seeds)
        )));
    }
    Ok(())
}

/// `1-5` for consecutive seeds, else `1, 3, 9` (the first 10).
fn seed_list(seeds: &[u64]) -> String {
    let consecutive = seeds.windows(2).all(|w| w[1] == w[0] + 1);
    match seeds {
        [] => "none".into(),
        [a] => a.to_string(),
        [a, .., z] if consecutive => format!("{a}-{z}"),
        _ => {
            let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
            let more = if seeds.len() > 10 {
                format!(" … ({} in all)", seeds.len())
            } else {
                String::new()
            };
            format!("{}{more}", shown.join(", "))
        }
    }
}

/// The mean of `metric` in `metrics` (an entry `label` of the result read
/// from `file`): none when never measured (nothing delivered, never
/// converged), bad input when the result lacks the metric.
fn mean(
    file: &Path,
    label: &str,
    metrics: &[(String, Agg)],
    metric: Metric,
) -> Result<Option<f64>, InputError> {
    let name = metric.name();
    match metrics.iter().find(|(k, _)| k == name) {
        Some((_, a)) => Ok(a.mean),
        None => Err(InputError(format!(
            "{}: {label} has no {name}: an older meshsync wrote it; regenerate the result",
            file.display()
        ))),
    }
}

/// Checks `current` against `baseline`.
pub fn check(current: &Path, baseline: &Path, tol: &Tolerances) -> Result<CheckReport, InputError> {
    let (cur, base) = (load(current)?, load(baseline)?);
    comparable(&cur, &base)?;
    let mut report = CheckReport {
        baseline: baseline.display().to_string(),
        ..CheckReport::default()
    };
    for (label, bm) in &base.entries {
        let Some((_, cm)) = cur.entries.iter().find(|(l, _)| l == label) else {
            report
                .regressions
                .push(format!("{label}: missing from the current result"));
            continue;
        };
        for metric in Metric::ALL {
            let b = mean(&base.file, label, bm, metric)?;
            let c = mean(&cur.file, label, cm, metric)?;
            let Some(b) = b else {
                continue;
            };
            report.checked += 1;
            if let Some(r) = regression(label, metric, b, c, tol.of(metric)) {
                report.regressions.push(r);
            }
        }
        if let (Some(bv), Some(cv)) = (base.vs.get(label), cur.vs.get(label)) {
            check_vs(label, bv, cv, tol, &mut report);
        }
    }
    let only_current: Vec<&str> = cur
        .strategies
        .iter()
        .filter(|s| !base.strategies.contains(s))
        .map(String::as_str)
        .collect();
    if !only_current.is_empty() {
        report.notes.push(format!(
            "strategies: {} in {} only, not checked (the baseline has {})",
            only_current.join(", "),
            cur.file.display(),
            base.strategies.join(", ")
        ));
    }
    if report.checked == 0 {
        return Err(InputError(format!(
            "{}: nothing to check: no strategy or point of the baseline has a measured metric (0 metrics checked); regenerate the baseline",
            base.file.display(),
        )));
    }
    Ok(report)
}

/// Checks an entry's figures against its result's baseline: a multiplier
/// (ratio) of a metric that gets worse as it rises may not rise by more
/// than its relative tolerance, and a metric that gets worse as it falls
/// (the delivery ratio) may not lose more than its absolute tolerance
/// relative to the baseline (its difference). Causal violations and the
/// like are checked on their own values already.
fn check_vs(
    label: &str,
    base: &[(String, Paired)],
    cur: &[(String, Paired)],
    tol: &Tolerances,
    report: &mut CheckReport,
) {
    let get = |v: &[(String, Paired)], name: &str| -> Option<Paired> {
        v.iter().find(|(k, _)| k == name).map(|(_, p)| p.clone())
    };
    for metric in Metric::ALL {
        let name = metric.name();
        let (Some(b), Some(c)) = (get(base, name), get(cur, name)) else {
            continue;
        };
        let t = tol.of(metric);
        let line = match metric.rule() {
            Rule::HigherWorseRel => {
                let (Some(b), Some(c)) = (b.ratio, c.ratio) else {
                    continue;
                };
                report.checked += 1;
                (c > b + t * b.abs() + 1e-12).then(|| {
                    format!(
                        "{label} {name} vs baseline: ×{} -> ×{} ({:+.1}%, tolerance {:.1}%)",
                        fmt_num(b),
                        fmt_num(c),
                        (c / b - 1.0) * 100.0,
                        t * 100.0
                    )
                })
            }
            Rule::LowerWorseAbs => {
                let (Some(b), Some(c)) = (b.diff, c.diff) else {
                    continue;
                };
                report.checked += 1;
                (c < b - t - 1e-12).then(|| {
                    format!(
                        "{label} {name} vs baseline: {} -> {} ({}, tolerance {})",
                        fmt_num(b),
                        fmt_num(c),
                        fmt_num(c - b),
                        fmt_num(t)
                    )
                })
            }
            _ => None,
        };
        report.regressions.extend(line);
    }
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
        Rule::HigherWorseStrict | Rule::HigherWorseAbs => c > b + t + 1e-12,
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

    /// Every metric is a different field of the summary, named as the
    /// shared flattening names it in a comparison's rows, and `--tolerance`
    /// takes that name.
    #[test]
    fn metric_names_are_summary_keys() {
        let run = aggregate::RunRecord {
            index: 0,
            point: 0,
            params: serde_json::Map::new(),
            strategy: "s".into(),
            seed: 1,
            reproduce: None,
            summary: Summary::default(),
        };
        let rows: Vec<String> = aggregate::metric_rows(&["s".into()], &[run])
            .into_iter()
            .map(|r| r.metric)
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i, "ALL in declaration order");
            let name = m.name();
            assert!(rows.iter().any(|r| r == name), "{name} is a result row");
            assert!(seen.insert(name), "{name} twice");
            let t: Tolerance = format!("{name}=0.5").parse().unwrap();
            assert_eq!(t, Tolerance::Metric(m, 0.5));
        }
        assert_eq!(Metric::ALL.len(), Metric::CausalByteShare as usize + 1);
        assert_eq!(Metric::LatencyP50S.name(), "latency_p50_s");
    }
}
