//! What a complete sweep folder holds besides its runs: `runs.csv` (one row
//! per run, with its trace and world hashes), `points.json` and `points.csv` (mean ± 95% CI per point and
//! strategy) and one plot per metric in [`PLOTTED`]. Written by a sweep
//! that has every run and by `merge`, from the runs alone, so both write the
//! same bytes.
//!
//! Imports: `output/`, `experiments::aggregate` and the sweep's `spec` and
//! `run`.

use super::run::load_run;
use super::spec::Manifest;
use crate::experiments::aggregate::{
    aggregate_runs, write_runs_csv, Agg, AggCells, Grid, RunRecord, AGG_COLUMNS,
};
use crate::experiments::paired::{paired, paired_cells, vs_baseline, Paired, PAIRED_COLUMNS};
use crate::output::csv::{field, json_text, Table};
use crate::output::error::Result;
use crate::output::plot::{line_chart, spans_tenfold, LineChart, Series};
use crate::output::{write_atomic, write_atomic_with};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// Writes the sweep's tables and plots if every run is present; `order`
/// is the strategies' registry order (their line styles).
pub(super) fn finish(dir: &Path, m: &Manifest, order: &[String]) -> Result<bool> {
    let runs: Option<Vec<RunRecord>> = (0..m.runs).map(|i| load_run(dir, i)).collect();
    let Some(runs) = runs else { return Ok(false) };
    // With labelled axes the CSV files show the labels.
    let labelled: Vec<Vec<Value>> = if m.labels.is_empty() {
        Vec::new()
    } else {
        m.point_labels()
            .into_iter()
            .map(|l| l.into_iter().map(Value::String).collect())
            .collect()
    };
    let grid = Grid {
        keys: &m.keys,
        points: if m.labels.is_empty() {
            &m.points
        } else {
            &labelled
        },
    };
    write_atomic_with(&dir.join("runs.csv"), |w| {
        write_runs_csv(w, Some(grid), &m.strategies, &runs)
    })?;
    let points = aggregate_points(m, &runs);
    let mut json = serde_json::to_string_pretty(&points)?;
    json.push('\n');
    write_atomic(&dir.join("points.json"), json.as_bytes())?;
    write_atomic_with(&dir.join("points.csv"), |w| write_points_csv(w, &points))?;
    plot_points(dir, &points, order)?;
    Ok(true)
}

/// Aggregates of one (point, strategy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointAgg {
    /// Grid point.
    pub point: usize,
    /// Its parameter values.
    pub params: Map<String, Value>,
    /// Strategy.
    pub strategy: String,
    /// Metric aggregates over seeds.
    pub metrics: Vec<(String, Agg)>,
    /// Each metric against the baseline, paired by seed (a sweep with a
    /// baseline only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<VsBaseline>,
}

/// One (point, strategy) against its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VsBaseline {
    /// The baseline's grid point.
    pub point: usize,
    /// The baseline's strategy.
    pub strategy: String,
    /// Ratio and difference of each metric, paired by seed.
    pub metrics: Vec<(String, Paired)>,
}

/// `points.json`: the sweep's aggregated results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    /// The sweep.
    pub manifest: Manifest,
    /// One entry per (point, strategy), in run order.
    pub points: Vec<PointAgg>,
}

fn aggregate_points(m: &Manifest, runs: &[RunRecord]) -> Points {
    let mut points = Vec::new();
    for (p, values) in m.points.iter().enumerate() {
        for s in &m.strategies {
            let mine: Vec<&RunRecord> = runs
                .iter()
                .filter(|r| r.point == p && &r.strategy == s)
                .collect();
            let vs_baseline = m.baseline_of(p, s).map(|(bp, bs)| {
                let base: Vec<&RunRecord> = runs
                    .iter()
                    .filter(|r| r.point == bp && r.strategy == bs)
                    .collect();
                VsBaseline {
                    point: bp,
                    metrics: vs_baseline(&mine, &base),
                    strategy: bs,
                }
            });
            points.push(PointAgg {
                point: p,
                params: m.keys.iter().cloned().zip(values.iter().cloned()).collect(),
                strategy: s.clone(),
                metrics: aggregate_runs(&mine),
                vs_baseline,
            });
        }
    }
    Points {
        manifest: m.clone(),
        points,
    }
}

/// One row of `points.csv`.
#[derive(Serialize)]
struct PointCsvRow<'a> {
    point: usize,
    params: &'a [String],
    strategy: &'a str,
    metric: &'a str,
    agg: AggCells,
    /// With a baseline: its point and strategy, then the paired cells
    /// (none without one: no columns).
    vs: Vec<String>,
}

/// Writes `points.csv`: one row per (point, strategy, metric); with a
/// baseline, its point and strategy and each metric's ratio and
/// difference to it (paired by seed, 95% CIs) as more columns.
fn write_points_csv(w: &mut dyn std::io::Write, points: &Points) -> std::io::Result<()> {
    let m = &points.manifest;
    let has_baseline = m.baseline.is_some();
    let vs_columns: &[&str] = if has_baseline {
        &["baseline_point", "baseline_strategy"]
    } else {
        &[]
    };
    let header = std::iter::once("point")
        .chain(m.keys.iter().map(String::as_str))
        .chain(["strategy", "metric"])
        .chain(AGG_COLUMNS)
        .chain(vs_columns.iter().copied())
        .chain(PAIRED_COLUMNS.into_iter().filter(|_| has_baseline));
    let mut t = Table::new(w, header)?;
    let no_pair = paired(&[]);
    for p in &points.points {
        let params: Vec<String> = if m.labels.is_empty() {
            m.points[p.point].iter().map(json_text).collect()
        } else {
            (0..m.keys.len()).map(|k| m.label(p.point, k)).collect()
        };
        for (metric, a) in &p.metrics {
            let vs = match &p.vs_baseline {
                None if has_baseline => {
                    let mut v = vec![String::new(), String::new()];
                    v.extend(paired_cells(&no_pair));
                    v
                }
                None => Vec::new(),
                Some(v) => {
                    let pair = v
                        .metrics
                        .iter()
                        .find(|(k, _)| k == metric)
                        .map_or(&no_pair, |(_, x)| x);
                    let mut cells = vec![v.point.to_string(), v.strategy.clone()];
                    cells.extend(paired_cells(pair));
                    cells
                }
            };
            t.row(&PointCsvRow {
                point: p.point,
                params: &params,
                strategy: &p.strategy,
                metric,
                agg: a.into(),
                vs,
            })?;
        }
    }
    t.finish()
}

/// Metrics plotted against the first grid parameter (latencies in
/// seconds: their axis shows minutes or hours when long).
pub const PLOTTED: [(&str, &str); 4] = [
    ("delivery_ratio", "delivery ratio"),
    ("latency_p90_s", "p90 latency"),
    ("bytes_per_delivery", "bytes per delivery"),
    ("latency_mean_s", "mean latency"),
];

/// Metrics plotted against the baseline when the sweep has one: a
/// multiplier (ratio) for bytes, an extra amount (difference) for
/// latencies and the delivery ratio.
pub const PLOTTED_VS: [(&str, &str, Vs); 4] = [
    ("bytes_per_delivery", "bytes per delivery", Vs::Ratio),
    ("latency_mean_s", "mean latency", Vs::Diff),
    ("latency_p90_s", "p90 latency", Vs::Diff),
    ("delivery_ratio", "delivery ratio", Vs::Diff),
];

/// How a metric is plotted against its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vs {
    /// `sweep_ratio_<metric>`: the ratio, a line at 1.
    Ratio,
    /// `sweep_diff_<metric>`: the difference, a line at 0.
    Diff,
}

/// One chart per plotted metric: x = the first grid parameter (its labels
/// on a categorical axis when it has labels or is not a number), a line
/// per strategy (and per value of the other parameters), 95% CI bands, a
/// log y axis when the means span more than 10×; with a baseline, one
/// chart per [`PLOTTED_VS`] metric of its ratio or difference to it.
/// `order` is the strategies' registry order (their line styles).
pub fn plot_points(dir: &Path, points: &Points, order: &[String]) -> Result<()> {
    let m = &points.manifest;
    let (xs, x_ticks) = x_positions(m);
    for (metric, label) in PLOTTED {
        let seconds = metric.ends_with("_s");
        let series = metric_series(points, metric, &xs);
        let is_ratio = metric.ends_with("ratio");
        let log_y =
            !is_ratio && spans_tenfold(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
        let chart = LineChart {
            title: format!("{}: {label} vs {}", m.name, m.keys[0]),
            x_label: m.keys[0].clone(),
            y_label: format!("{label}, mean ± 95% CI over {} seeds", m.seeds.len()),
            series,
            order: order.to_vec(),
            y_seconds: seconds,
            // A ratio's CI band past 0 or 1, or a latency's or a byte
            // count's below 0, is the t interval's artefact.
            y_clip: Some((0.0, if is_ratio { 1.0 } else { f64::INFINITY })),
            empty_note: format!("no data: no run has a {metric}"),
            x_ticks: x_ticks.clone(),
            log_y,
            ..LineChart::default()
        };
        line_chart(&dir.join(format!("sweep_{metric}")), &chart)?;
    }
    if let Some(b) = &m.baseline {
        let against = baseline_text(m, b);
        for (metric, label, vs) in PLOTTED_VS {
            let series = vs_series(points, metric, vs, &xs);
            let (stem, y_label, y_ref, log_y, y_seconds) = match vs {
                Vs::Ratio => (
                    format!("sweep_ratio_{metric}"),
                    format!("{label}: multiplier, 95% CI"),
                    1.0,
                    spans_tenfold(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))),
                    false,
                ),
                Vs::Diff => (
                    format!("sweep_diff_{metric}"),
                    format!("{label}: difference, 95% CI"),
                    0.0,
                    false,
                    metric.ends_with("_s"),
                ),
            };
            let chart = LineChart {
                title: format!("{}: {label} vs {against}", m.name),
                x_label: m.keys[0].clone(),
                y_label,
                series,
                order: order.to_vec(),
                y_seconds,
                y_clip: (vs == Vs::Ratio).then_some((0.0, f64::INFINITY)),
                empty_note: format!("no data: no run and its baseline both have a {metric}"),
                x_ticks: x_ticks.clone(),
                log_y,
                y_ref: Some(y_ref),
                ..LineChart::default()
            };
            line_chart(&dir.join(stem), &chart)?;
        }
    }
    Ok(())
}

/// The tables against the baseline, for the terminal: for each
/// [`PLOTTED_VS`] metric, rows the points (their labels), columns the
/// strategies, cells the ratio or the difference with its 95% CI. None
/// without a baseline.
pub fn baseline_tables(points: &Points) -> Option<String> {
    use crate::experiments::paired::{fmt_diff, fmt_ratio};
    let m = &points.manifest;
    let b = m.baseline.as_ref()?;
    let mut out = format!(
        "against {} (paired by seed, {} seeds; 95% CI)\n",
        baseline_text(m, b),
        m.seeds.len()
    );
    for (metric, label, vs) in PLOTTED_VS {
        let what = match vs {
            Vs::Ratio => "multiplier",
            Vs::Diff => "difference",
        };
        let unit = if metric.ends_with("_s") { " (s)" } else { "" };
        out.push_str(&format!("\n{label}{unit}: {what}\n"));
        let mut rows = vec![m
            .keys
            .iter()
            .cloned()
            .chain(m.strategies.iter().cloned())
            .collect::<Vec<_>>()];
        for p in 0..m.points.len() {
            let mut row: Vec<String> = (0..m.keys.len()).map(|k| m.label(p, k)).collect();
            for s in &m.strategies {
                let cell = points
                    .points
                    .iter()
                    .find(|pa| pa.point == p && &pa.strategy == s)
                    .and_then(|pa| pa.vs_baseline.as_ref())
                    .and_then(|v| v.metrics.iter().find(|(k, _)| k == metric))
                    .map_or("-".to_string(), |(_, x)| match vs {
                        Vs::Ratio => fmt_ratio(x),
                        Vs::Diff => fmt_diff(x),
                    });
                row.push(cell);
            }
            rows.push(row);
        }
        out.push_str(&crate::experiments::compare::render_table(&rows));
    }
    Some(out)
}

/// What the baseline is, for axis titles: `the same strategy at uptime=100%`.
fn baseline_text(m: &Manifest, b: &super::spec::Baseline) -> String {
    let who = match &b.strategy {
        Some(s) => s.clone(),
        None => "same strategy".into(),
    };
    if b.point.is_empty() {
        return who;
    }
    let at: Vec<String> = b
        .point
        .iter()
        .map(|(k, v)| {
            let ki = m.keys.iter().position(|x| x == k);
            let p = ki.and_then(|ki| m.points.iter().position(|pt| &pt[ki] == v));
            let text = match (ki, p) {
                (Some(ki), Some(p)) => m.label(p, ki),
                _ => json_text(v),
            };
            format!("{k}={text}")
        })
        .collect();
    format!("{who} at {}", at.join(", "))
}

/// The x of each point, and the tick labels of a categorical axis: its
/// first parameter if every point's is a number and the axis has no
/// labels, else the place of its first value among the distinct first
/// values (in point order), labelled.
fn x_positions(m: &Manifest) -> (Vec<f64>, Vec<(f64, String)>) {
    let numeric = m.labels.is_empty() && m.points.iter().all(|p| p[0].is_number());
    if numeric {
        let xs = m
            .points
            .iter()
            .map(|p| p[0].as_f64().unwrap_or(0.0))
            .collect();
        return (xs, Vec::new());
    }
    let mut distinct: Vec<&Value> = Vec::new();
    let mut ticks = Vec::new();
    let xs = (0..m.points.len())
        .map(|p| {
            let v = &m.points[p][0];
            match distinct.iter().position(|d| *d == v) {
                Some(i) => i as f64,
                None => {
                    distinct.push(v);
                    let x = (distinct.len() - 1) as f64;
                    ticks.push((x, m.label(p, 0)));
                    x
                }
            }
        })
        .collect();
    (xs, ticks)
}

/// The lines of one metric: one per strategy and values of the parameters
/// after the first, each point with its mean and CI band, sorted by x.
fn metric_series(points: &Points, metric: &str, xs: &[f64]) -> Vec<Series> {
    lines(points, xs, |pa| {
        let (_, a) = pa.metrics.iter().find(|(k, _)| k == metric)?;
        Some((a.mean?, a.ci95.unwrap_or(0.0)))
    })
}

/// The lines of one metric against the baseline (ratio or difference).
fn vs_series(points: &Points, metric: &str, vs: Vs, xs: &[f64]) -> Vec<Series> {
    lines(points, xs, |pa| {
        let v = pa.vs_baseline.as_ref()?;
        let (_, p): &(String, Paired) = v.metrics.iter().find(|(k, _)| k == metric)?;
        match vs {
            Vs::Ratio => Some((p.ratio?, p.ratio_ci95.unwrap_or(0.0))),
            Vs::Diff => Some((p.diff?, p.diff_ci95.unwrap_or(0.0))),
        }
    })
}

/// One line per strategy and values of the parameters after the first,
/// each (point, strategy) giving a value and a CI half-width (or
/// nothing), sorted by x.
fn lines(
    points: &Points,
    xs: &[f64],
    value: impl Fn(&PointAgg) -> Option<(f64, f64)>,
) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for pa in &points.points {
        let Some((mean, ci)) = value(pa) else {
            continue;
        };
        let name = series_label(&points.manifest, pa);
        let idx = match series.iter().position(|s| s.label == name) {
            Some(i) => i,
            None => {
                series.push(Series {
                    label: name,
                    ..Series::default()
                });
                series.len() - 1
            }
        };
        let x = xs[pa.point];
        series[idx].points.push((x, mean));
        series[idx].band.push((x, mean - ci, mean + ci));
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        s.band.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    series
}

/// `strategy, key=value, …` for the parameters after the first (values as
/// they appear in the CSV files: their labels when the axes have some).
fn series_label(m: &Manifest, pa: &PointAgg) -> String {
    let rest = m
        .keys
        .iter()
        .enumerate()
        .skip(1)
        .map(|(k, key)| format!("{key}={}", field(&m.label(pa.point, k))));
    std::iter::once(pa.strategy.clone())
        .chain(rest)
        .collect::<Vec<_>>()
        .join(", ")
}
