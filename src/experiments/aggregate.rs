//! Many runs into one table: run records, flattened metrics, and the mean
//! with a 95% confidence interval (Student's t quantile, minimum and
//! maximum from `statrs`; the mean and the sample variance by hand, see
//! [`aggregate`]).
//!
//! Every numeric key of [`Summary`] is a metric, nested keys joined with a
//! dot (`records_sent.ack`); null values (a latency with no delivery, a
//! convergence that never happened) are left out of the sample. The
//! identity fields `seed`, `nodes` and `duration_s` are not metrics.
//!
//! What `compare` and `sweep` share lives here (run records, metric rows
//! per strategy, the CSV cells of an aggregate), so neither imports the
//! other.
//!
//! Imports: `report/` (the summary) and `output/` (CSV number format).

use crate::output::csv::num;
use crate::report::Summary;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::Statistics;

/// One finished run of a comparison or a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Position in the run list (points × strategies × seeds).
    pub index: usize,
    /// Grid point (0 for a comparison).
    pub point: usize,
    /// Scenario overrides of the point, by JSON path.
    pub params: Map<String, Value>,
    /// Strategy name.
    pub strategy: String,
    /// Seed.
    pub seed: u64,
    /// A sweep run's `meshsync run` command that runs it alone, from the
    /// sweep folder (none in a comparison).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// The run's summary.
    pub summary: Summary,
}

/// A metric over several runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agg {
    /// Runs with a value.
    pub n: usize,
    /// Mean (null with no value).
    pub mean: Option<f64>,
    /// Half-width of the 95% confidence interval of the mean (null below
    /// two values).
    pub ci95: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// One metric across strategies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Metric key (dotted for nested summary keys).
    pub metric: String,
    /// Aggregate per strategy, in the comparison's strategy order.
    pub by_strategy: Vec<(String, Agg)>,
    /// Against the comparison's baseline, per strategy, paired by seed
    /// (none without a baseline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vs_baseline: Vec<(String, crate::experiments::paired::Paired)>,
}

/// The CSV columns of an [`Agg`], in [`AggCells`] order.
pub const AGG_COLUMNS: [&str; 5] = ["n", "mean", "ci95", "min", "max"];

/// An [`Agg`] as CSV cells (`n,mean,ci95,min,max`), numbers formatted as
/// the files always had them.
#[derive(Serialize)]
pub struct AggCells {
    n: usize,
    mean: String,
    ci95: String,
    min: String,
    max: String,
}

impl From<&Agg> for AggCells {
    fn from(a: &Agg) -> AggCells {
        AggCells {
            n: a.n,
            mean: num(a.mean),
            ci95: num(a.ci95),
            min: num(a.min),
            max: num(a.max),
        }
    }
}

const NOT_METRICS: [&str; 3] = ["seed", "nodes", "duration_s"];

/// The numeric metrics of a summary, in summary order.
pub fn flatten(summary: &Summary) -> Vec<(String, Option<f64>)> {
    let value = serde_json::to_value(summary).expect("summary serializes");
    let mut out = Vec::new();
    walk("", &value, &mut out);
    out
}

fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Option<f64>)>) {
    let Value::Object(map) = v else { return };
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Number(n) if !NOT_METRICS.contains(&key.as_str()) => out.push((key, n.as_f64())),
            Value::Null => out.push((key, None)),
            Value::Object(_) => walk(&key, v, out),
            _ => {}
        }
    }
}

/// Two-sided 95% Student-t quantile for `df` degrees of freedom.
pub(crate) fn t95(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(1.96)
}

/// Mean ± 95% CI of the present values.
///
/// The mean and the sample variance are computed here, not with
/// `statrs::statistics::Statistics::{mean, variance}`: statrs updates a
/// running mean (`m += (x - m) / i`) and a running sum of squares, which
/// round differently from the sum divided by `n` and the two-pass sum of
/// squared deviations used since the first release. On the runs of the
/// bundled online-fraction sweep (and a small extra grid), statrs changes
/// the last bit of 96 of 1613 means and 430 variances (301 confidence
/// intervals), so `comparison.json`/`.csv` and `points.json`/`.csv` would
/// change. ([0.1, 0.2, 0.3]: sum / n is 0.20000000000000004, statrs 0.2;
/// see the test.) Outputs must stay byte-identical, so these two stay
/// hand-written. Minimum and maximum are statrs's: the same bits (the
/// values are JSON numbers, never NaN).
pub fn aggregate(samples: &[Option<f64>]) -> Agg {
    let xs: Vec<f64> = samples.iter().flatten().copied().collect();
    let n = xs.len();
    if n == 0 {
        return Agg {
            n,
            mean: None,
            ci95: None,
            min: None,
            max: None,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let ci95 = (n >= 2).then(|| {
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        t95(n - 1) * (var / n as f64).sqrt()
    });
    Agg {
        n,
        mean: Some(mean),
        ci95,
        min: Some(Statistics::min(&xs)),
        max: Some(Statistics::max(&xs)),
    }
}

/// For each metric (in summary order; keys only some runs have come
/// after), its aggregate over `runs`.
pub fn aggregate_runs(runs: &[&RunRecord]) -> Vec<(String, Agg)> {
    let flat: Vec<Vec<(String, Option<f64>)>> = runs.iter().map(|r| flatten(&r.summary)).collect();
    let mut names: Vec<&String> = Vec::new();
    for f in &flat {
        for (k, _) in f {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let samples: Vec<Option<f64>> = flat
                .iter()
                .map(|f| f.iter().find(|(k, _)| k == name).and_then(|(_, v)| *v))
                .collect();
            (name.clone(), aggregate(&samples))
        })
        .collect()
}

/// Aggregates per strategy, merged into rows by metric (in summary order).
pub fn metric_rows(strategies: &[String], runs: &[RunRecord]) -> Vec<MetricRow> {
    let per: Vec<Vec<(String, Agg)>> = strategies
        .iter()
        .map(|s| {
            let mine: Vec<&RunRecord> = runs.iter().filter(|r| &r.strategy == s).collect();
            aggregate_runs(&mine)
        })
        .collect();
    let mut rows: Vec<MetricRow> = Vec::new();
    for (s, aggs) in strategies.iter().zip(&per) {
        for (metric, agg) in aggs {
            match rows.iter_mut().find(|r| &r.metric == metric) {
                Some(row) => row.by_strategy.push((s.clone(), agg.clone())),
                None => rows.push(MetricRow {
                    metric: metric.clone(),
                    by_strategy: vec![(s.clone(), agg.clone())],
                    vs_baseline: Vec::new(),
                }),
            }
        }
    }
    rows
}

/// The (metric, aggregate) list of one strategy in `rows` (the inverse of
/// [`metric_rows`]), in row order.
pub fn strategy_metrics(rows: &[MetricRow], strategy: &str) -> Vec<(String, Agg)> {
    rows.iter()
        .filter_map(|row| {
            row.by_strategy
                .iter()
                .find(|(k, _)| k == strategy)
                .map(|(_, a)| (row.metric.clone(), a.clone()))
        })
        .collect()
}

/// Formats `mean ± ci` compactly for tables.
pub fn fmt_agg(a: &Agg) -> String {
    match (a.mean, a.ci95) {
        (None, _) => "-".into(),
        (Some(m), None) => fmt_num(m),
        (Some(m), Some(c)) => format!("{} ± {}", fmt_num(m), fmt_num(c)),
    }
}

/// A number with sensible precision for a table.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if (x == x.trunc() && a < 1e15) || a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_t_interval() {
        let a = aggregate(&[Some(1.0), Some(2.0), Some(3.0), None]);
        assert_eq!((a.n, a.mean), (3, Some(2.0)));
        // sd = 1, t(0.975, 2) = 4.303: half-width 4.303 / sqrt(3).
        assert!((a.ci95.unwrap() - 4.302_652_7 / 3f64.sqrt()).abs() < 1e-6);
        assert_eq!((a.min, a.max), (Some(1.0), Some(3.0)));
        let one = aggregate(&[Some(5.0)]);
        assert_eq!((one.mean, one.ci95), (Some(5.0), None));
        assert_eq!(aggregate(&[None]).mean, None);
    }

    #[test]
    fn statrs_mean_and_variance_round_differently() {
        let xs = [0.1, 0.2, 0.3];
        let a = aggregate(&xs.map(Some));
        assert_eq!(a.mean, Some(0.20000000000000004));
        assert_eq!(Statistics::mean(xs), 0.2);
        let var = xs
            .iter()
            .map(|x| (x - a.mean.unwrap()).powi(2))
            .sum::<f64>()
            / 2.0;
        assert_eq!(var, 0.009999999999999998);
        assert_eq!(Statistics::variance(xs), 0.009999999999999992);
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.12345), "0.1235");
        assert_eq!(fmt_num(12.345), "12.35");
    }
}

/// One row of `runs.csv` (a sweep's or a comparison's).
#[derive(Serialize)]
struct RunCsvRow<'a> {
    index: usize,
    grid: Vec<String>,
    strategy: &'a str,
    seed: u64,
    trace_hash: &'a str,
    world_hash: &'a str,
    metrics: Vec<String>,
}

/// The grid of a sweep's `runs.csv`: parameter names and each point's
/// values (a comparison has none, and no `point` column).
pub struct Grid<'a> {
    /// Parameter names (JSON paths).
    pub keys: &'a [String],
    /// Each point's values, one per key.
    pub points: &'a [Vec<Value>],
}

/// Writes `runs.csv`: one row per run, `index`, (for a sweep) `point` and
/// the parameters, `strategy`, `seed`, `trace_hash` (the run's event trace:
/// equal only for the same run), `world_hash` (the world it simulated:
/// churn, contacts, partitions and the messages written; equal across
/// strategies for one scenario and seed), then every metric a column.
pub fn write_runs_csv(
    w: &mut dyn std::io::Write,
    grid: Option<Grid<'_>>,
    strategies: &[String],
    runs: &[RunRecord],
) -> std::io::Result<()> {
    let metric_names: Vec<String> = metric_rows(strategies, runs)
        .into_iter()
        .map(|r| r.metric)
        .collect();
    let grid_names = grid.as_ref().map_or(Vec::new(), |g| {
        std::iter::once("point".to_string())
            .chain(g.keys.iter().cloned())
            .collect()
    });
    let header = std::iter::once("index".to_string())
        .chain(grid_names)
        .chain(["strategy", "seed", "trace_hash", "world_hash"].map(String::from))
        .chain(metric_names.iter().cloned());
    let mut t = crate::output::csv::Table::new(w, header)?;
    for r in runs {
        let flat = flatten(&r.summary);
        let metrics = metric_names
            .iter()
            .map(|name| num(flat.iter().find(|(k, _)| k == name).and_then(|(_, v)| *v)));
        let cells = grid.as_ref().map_or(Vec::new(), |g| {
            std::iter::once(r.point.to_string())
                .chain(g.points[r.point].iter().map(crate::output::csv::json_text))
                .collect()
        });
        t.row(&RunCsvRow {
            index: r.index,
            grid: cells,
            strategy: &r.strategy,
            seed: r.seed,
            trace_hash: &r.summary.trace_hash,
            world_hash: &r.summary.world_hash,
            metrics: metrics.collect(),
        })?;
    }
    t.finish()
}
