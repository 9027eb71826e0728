//! The plots meshsync writes: from curves (a run or a comparison) and from
//! sweep aggregates. Each is a PNG and an SVG next to the data it shows.

use crate::output::curves::Curves;
use crate::output::error::Result;
use crate::output::plot::{line_chart, stacked_bars, LineChart, Series, StackedBars};
use std::path::Path;

/// Latency CDF, deliveries over time, bytes per delivery by record kind,
/// bytes by role and exposure;
/// `order` is the strategies' registry order (their line styles).
pub fn curves(dir: &Path, scenario: &str, curves: &[Curves], order: &[String]) -> Result<()> {
    let series = |f: fn(&Curves) -> &Vec<(f64, f64)>| -> Vec<Series> {
        curves
            .iter()
            .map(|c| Series {
                label: c.label.clone(),
                points: f(c).clone(),
                band: Vec::new(),
            })
            .collect()
    };
    line_chart(
        &dir.join("latency_cdf"),
        &LineChart {
            title: format!("{scenario}: delivery latency"),
            x_label: "creation → delivery latency".into(),
            y_label: "fraction of due deliveries made".into(),
            series: series(|c| &c.latency_cdf),
            order: order.to_vec(),
            steps: true,
            log_x: true,
            x_seconds: true,
            empty_note: "no data: nothing was delivered".into(),
            ..LineChart::default()
        },
    )?;
    line_chart(
        &dir.join("deliveries_over_time"),
        &LineChart {
            title: format!("{scenario}: deliveries over time"),
            x_label: "simulated time".into(),
            y_label: "fraction of due deliveries made".into(),
            series: series(|c| &c.deliveries_over_time),
            order: order.to_vec(),
            steps: true,
            x_seconds: true,
            empty_note: "no data: nothing was delivered".into(),
            ..LineChart::default()
        },
    )?;
    // Strategies may declare different record kinds (each its own wire):
    // every kind any of them has, in first-seen order, 0 where one lacks it.
    let mut kinds: Vec<String> = Vec::new();
    for c in curves {
        for (k, _) in &c.bytes_per_delivery {
            if !kinds.contains(k) {
                kinds.push(k.clone());
            }
        }
    }
    let parts = kinds
        .iter()
        .map(|k| {
            (
                k.clone(),
                curves
                    .iter()
                    .map(|c| {
                        c.bytes_per_delivery
                            .iter()
                            .find(|(name, _)| name == k)
                            .map_or(0.0, |&(_, v)| v)
                    })
                    .collect::<Vec<f64>>(),
            )
        })
        .filter(|(_, v)| v.iter().any(|&x| x > 0.0))
        .collect();
    stacked_bars(
        &dir.join("bytes_by_record"),
        &StackedBars {
            title: format!("{scenario}: bandwidth per delivered message"),
            y_label: "bytes per delivery".into(),
            categories: curves.iter().map(|c| c.label.clone()).collect(),
            parts,
        },
    )?;
    service(dir, scenario, curves)
}

/// Contribution by role and metadata exposure, as stacked bars per
/// strategy.
fn service(dir: &Path, scenario: &str, curves: &[Curves]) -> Result<()> {
    let parts = |f: fn(&Curves) -> &Vec<(String, f64)>| -> Vec<(String, Vec<f64>)> {
        let names: Vec<String> = curves
            .iter()
            .flat_map(|c| f(c).iter().map(|(k, _)| k.clone()))
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(&k) {
                    v.push(k);
                }
                v
            });
        names
            .into_iter()
            .map(|k| {
                let per = curves
                    .iter()
                    .map(|c| f(c).iter().find(|(n, _)| *n == k).map_or(0.0, |&(_, v)| v));
                let per: Vec<f64> = per.collect();
                (k, per)
            })
            .collect()
    };
    let categories: Vec<String> = curves.iter().map(|c| c.label.clone()).collect();
    stacked_bars(
        &dir.join("bytes_by_role"),
        &StackedBars {
            title: format!("{scenario}: who sent the bytes, by role"),
            y_label: "bytes sent per run".into(),
            categories: categories.clone(),
            parts: parts(|c| &c.bytes_by_role),
        },
    )?;
    stacked_bars(
        &dir.join("exposure"),
        &StackedBars {
            title: format!("{scenario}: nodes outside a group that saw its messages"),
            y_label: "outside nodes per group (mean)".into(),
            categories,
            parts: parts(|c| &c.exposure),
        },
    )
}
