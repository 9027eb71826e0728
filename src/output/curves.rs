//! Curves for plots, computed from run reports (or a run's result files):
//! the latency CDF, deliveries over time, and bytes per delivery by record
//! kind. Several seeds of one strategy are pooled.

use crate::output::error::{Context, Error, Result};
use crate::report::{RunReport, Summary};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// At most this many points per curve.
const MAX_POINTS: usize = 400;

/// The curves of one strategy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Strategy (legend label).
    pub label: String,
    /// (latency in s, fraction of due deliveries made within it).
    pub latency_cdf: Vec<(f64, f64)>,
    /// (simulated time in s, fraction of due deliveries made by then).
    pub deliveries_over_time: Vec<(f64, f64)>,
    /// Mean bytes per delivered pair, by what the bytes carried.
    pub bytes_per_delivery: Vec<(String, f64)>,
    /// Mean bytes sent per run, by the role they were sent in
    /// (`bytes_by_role`).
    #[serde(default)]
    pub bytes_by_role: Vec<(String, f64)>,
    /// Mean over runs of the per-group outside nodes: those that could
    /// link an author to the group, and the other exposed ones.
    #[serde(default)]
    pub exposure: Vec<(String, f64)>,
}

/// Keeps at most `MAX_POINTS` of a sorted step curve, always the last.
fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let step = points.len().div_ceil(MAX_POINTS);
    let last = *points.last().expect("non-empty");
    let mut out: Vec<_> = points.into_iter().step_by(step).collect();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

fn cumulative(mut xs: Vec<f64>, due: u64) -> Vec<(f64, f64)> {
    xs.sort_by(f64::total_cmp);
    let due = due.max(1) as f64;
    thin(
        xs.iter()
            .enumerate()
            .map(|(i, &x)| (x, (i + 1) as f64 / due))
            .collect(),
    )
}

/// The bars of `bytes_by_record` per delivery: the `message` record first
/// (the payload users care about), then the other parts in the summaries'
/// order (record kinds, `overhead`, `mailserver`); a part some summaries
/// lack counts 0 for them.
fn per_delivery(summaries: &[&Summary]) -> Vec<(String, f64)> {
    let n = summaries.len().max(1) as f64;
    let mut out: Vec<(String, f64)> = vec![("message".to_string(), 0.0)];
    for s in summaries {
        for (k, _) in s.bytes_by_record.iter() {
            if !out.iter().any(|(o, _)| o == k) {
                out.push((k.to_string(), 0.0));
            }
        }
    }
    for s in summaries {
        let d = s.deliveries.max(1) as f64;
        for (k, v) in s.bytes_by_record.iter() {
            if let Some(slot) = out.iter_mut().find(|(o, _)| o == k) {
                slot.1 += v as f64 / d / n;
            }
        }
    }
    out
}

/// Mean bytes per run by role.
fn by_role(summaries: &[&Summary]) -> Vec<(String, f64)> {
    let n = summaries.len().max(1) as f64;
    crate::report::ROLES
        .iter()
        .map(|r| {
            let sum: u64 = summaries
                .iter()
                .filter_map(|s| s.bytes_by_role.get(r))
                .sum();
            (r.to_string(), sum as f64 / n)
        })
        .collect()
}

/// Mean outside nodes per group: linking, and exposed but not linking.
fn exposure(summaries: &[&Summary]) -> Vec<(String, f64)> {
    let n = summaries.len().max(1) as f64;
    let mean =
        |f: fn(&Summary) -> Option<f64>| summaries.iter().filter_map(|s| f(s)).sum::<f64>() / n;
    let linking = mean(|s| s.linking_nodes_mean);
    let exposed = mean(|s| s.exposed_nodes_mean);
    vec![
        ("could link author to group".to_string(), linking),
        (
            "received or stored only".to_string(),
            (exposed - linking).max(0.0),
        ),
    ]
}

/// Curves of `label` from runs held in memory.
pub fn from_reports(label: &str, reports: &[&RunReport]) -> Curves {
    let due: u64 = reports.iter().map(|r| r.summary.deliveries_expected).sum();
    let lat = reports
        .iter()
        .flat_map(|r| {
            r.deliveries
                .iter()
                .map(|d| (d.delivered - d.created).as_secs_f64())
        })
        .collect();
    let at = reports
        .iter()
        .flat_map(|r| r.deliveries.iter().map(|d| d.delivered.as_secs_f64()))
        .collect();
    let summaries: Vec<&Summary> = reports.iter().map(|r| &r.summary).collect();
    Curves {
        label: label.to_string(),
        latency_cdf: cumulative(lat, due),
        deliveries_over_time: cumulative(at, due),
        bytes_per_delivery: per_delivery(&summaries),
        bytes_by_role: by_role(&summaries),
        exposure: exposure(&summaries),
    }
}

/// Curves of a run folder (`summary.json` and `deliveries.csv`).
pub fn from_run_dir(dir: &Path) -> Result<Curves> {
    let sp = dir.join("summary.json");
    let summary: Summary = crate::sim::shape::parse_objects(
        &std::fs::read_to_string(&sp).with_context(|| format!("cannot read {}", sp.display()))?,
    )
    .map_err(|e| Error::Content(format!("{}: not a meshsync summary: {e}", sp.display())))?;
    let csv = dir.join("deliveries.csv");
    if !csv.exists() {
        return Err(Error::Content(format!(
            "{}: no deliveries.csv (written with --deliveries none?), so no latency curves to draw",
            dir.display()
        )));
    }
    let rows = crate::output::csv::read_deliveries(&csv)?;
    // `--deliveries all` lists undelivered pairs too, with no delivery time.
    let delivered = || {
        rows.iter()
            .filter_map(|d| d.delivered_s.map(|t| (d.created_s, t)))
    };
    let lat = delivered().map(|(c, t)| t - c).collect();
    let at = delivered().map(|(_, t)| t).collect();
    Ok(Curves {
        label: summary.strategy.clone(),
        latency_cdf: cumulative(lat, summary.deliveries_expected),
        deliveries_over_time: cumulative(at, summary.deliveries_expected),
        bytes_per_delivery: per_delivery(&[&summary]),
        bytes_by_role: by_role(&[&summary]),
        exposure: exposure(&[&summary]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_counts_against_due() {
        let c = cumulative(vec![3.0, 1.0, 2.0], 4);
        assert_eq!(c, vec![(1.0, 0.25), (2.0, 0.5), (3.0, 0.75)]);
    }

    #[test]
    fn thinning_keeps_the_last_point() {
        let pts: Vec<(f64, f64)> = (0..1001).map(|i| (i as f64, i as f64)).collect();
        let t = thin(pts);
        assert!(t.len() <= MAX_POINTS + 1);
        assert_eq!(t.last(), Some(&(1000.0, 1000.0)));
    }
}
