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
use crate::output::csv::{field, json_text, Table};
use crate::output::error::Result;
use crate::output::plot::{line_chart, LineChart, Series};
use crate::output::{write_atomic, write_atomic_with};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// Writes the sweep's tables and plots if every run is present; `order`
/// is the strategies' registry order (their line styles).
pub(super) fn finish(dir: &Path, m: &Manifest, order: &[String]) -> Result<bool> {
    let runs: Option<Vec<RunRecord>> = (0..m.runs).map(|i| load_run(dir, i)).collect();
    let Some(runs) = runs else { return Ok(false) };
    let grid = Grid {
        keys: &m.keys,
        points: &m.points,
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
            points.push(PointAgg {
                point: p,
                params: m.keys.iter().cloned().zip(values.iter().cloned()).collect(),
                strategy: s.clone(),
                metrics: aggregate_runs(&mine),
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
}

/// Writes `points.csv`: one row per (point, strategy, metric).
fn write_points_csv(w: &mut dyn std::io::Write, points: &Points) -> std::io::Result<()> {
    let m = &points.manifest;
    let header = std::iter::once("point")
        .chain(m.keys.iter().map(String::as_str))
        .chain(["strategy", "metric"])
        .chain(AGG_COLUMNS);
    let mut t = Table::new(w, header)?;
    for p in &points.points {
        let params: Vec<String> = m.points[p.point].iter().map(json_text).collect();
        for (metric, a) in &p.metrics {
            t.row(&PointCsvRow {
                point: p.point,
                params: &params,
                strategy: &p.strategy,
                metric,
                agg: a.into(),
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

/// One chart per plotted metric: x = the first grid parameter, a line per
/// strategy (and per value of the other parameters), 95% CI bands.
/// `order` is the strategies' registry order (their line styles).
pub fn plot_points(dir: &Path, points: &Points, order: &[String]) -> Result<()> {
    let m = &points.manifest;
    let xs = x_positions(m);
    for (metric, label) in PLOTTED {
        let seconds = metric.ends_with("_s");
        let chart = LineChart {
            title: format!("{}: {label} vs {}", m.name, m.keys[0]),
            x_label: m.keys[0].clone(),
            y_label: format!("{label}, mean ± 95% CI over {} seeds", m.seeds.len()),
            series: metric_series(points, metric, &xs),
            order: order.to_vec(),
            y_seconds: seconds,
            // A ratio's CI band past 0 or 1, or a latency's or a byte
            // count's below 0, is the t interval's artefact.
            y_clip: Some((
                0.0,
                if metric.ends_with("ratio") {
                    1.0
                } else {
                    f64::INFINITY
                },
            )),
            empty_note: format!("no data: no run has a {metric}"),
            ..LineChart::default()
        };
        line_chart(&dir.join(format!("sweep_{metric}")), &chart)?;
    }
    Ok(())
}

/// The x of each point: its first parameter if every point's is a number,
/// else the position of its first value among the points'.
fn x_positions(m: &Manifest) -> Vec<f64> {
    let numeric = m.points.iter().all(|p| p[0].is_number());
    (0..m.points.len())
        .map(|p| {
            if numeric {
                m.points[p][0].as_f64().unwrap_or(0.0)
            } else {
                m.points
                    .iter()
                    .position(|q| q[0] == m.points[p][0])
                    .unwrap_or(0) as f64
            }
        })
        .collect()
}

/// The lines of one metric: one per strategy and values of the parameters
/// after the first, each point with its mean and CI band, sorted by x.
fn metric_series(points: &Points, metric: &str, xs: &[f64]) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for pa in &points.points {
        let Some((_, a)) = pa.metrics.iter().find(|(k, _)| k == metric) else {
            continue;
        };
        let Some(mean) = a.mean else { continue };
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
        let (x, ci) = (xs[pa.point], a.ci95.unwrap_or(0.0));
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
/// they appear in the CSV files).
fn series_label(m: &Manifest, pa: &PointAgg) -> String {
    let rest = m
        .keys
        .iter()
        .skip(1)
        .map(|k| format!("{k}={}", field(&json_text(&pa.params[k]))));
    std::iter::once(pa.strategy.clone())
        .chain(rest)
        .collect::<Vec<_>>()
        .join(", ")
}
