//! `meshsync compare`: one world, several strategies, several seeds.
//!
//! Every (strategy, seed) run uses the same scenario, so for a given seed
//! the connectivity and the workload are identical across strategies (the
//! summary's `world_hash` proves it). Runs go in parallel on rayon's pool
//! and are collected in (strategy, seed) order, so the output does not
//! depend on the thread count. Output: `comparison.json` (aggregates, curves
//! and every run), `comparison.csv` (one row per strategy and metric),
//! `runs.csv` (one row per strategy and seed: its trace and world hashes and
//! every metric) and five plots.

use crate::engine::{Registry, RunError};
use crate::experiments::aggregate::{
    fmt_agg, metric_rows, write_runs_csv, AggCells, MetricRow, RunRecord, AGG_COLUMNS,
};
use crate::experiments::paired::{
    fmt_diff, fmt_ratio, paired, paired_cells, vs_baseline, Paired, PAIRED_COLUMNS,
};
use crate::experiments::progress::{run_watched, Progress};
use crate::experiments::Error;
use crate::output::csv::Table;
use crate::output::curves::{self, Curves};
use crate::output::plots;
use crate::output::provenance::command_line;
use crate::output::run_folder::write_provenance;
use crate::output::{write_atomic, write_atomic_with, Provenance, ResultSet};
use crate::report::RunReport;
use crate::scenario::{effective, Scenario};
use crate::sim::time::SimTime;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::fmt::Write as _;
use std::path::Path;

/// The result of a comparison (`comparison.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the effective scenario (`scenario::effective::hash`), set
    /// by `meshsync compare`; `check` refuses a baseline of another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_hash: Option<String>,
    /// Strategies, in the order asked for.
    pub strategies: Vec<String>,
    /// Seeds run for each strategy.
    pub seeds: Vec<u64>,
    /// Every metric, mean ± 95% CI over seeds, per strategy.
    pub metrics: Vec<MetricRow>,
    /// Curves for the plots, per strategy (seeds pooled).
    pub curves: Vec<Curves>,
    /// Every run.
    pub runs: Vec<RunRecord>,
    /// What a reader must know to read the figures (e.g. a strategy run
    /// where its protocol is not used).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The strategy every metric is also given against
    /// ([`MetricRow::vs_baseline`]), when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// One row of `comparison.csv`.
#[derive(Serialize)]
struct CsvRow<'a> {
    strategy: &'a str,
    metric: &'a str,
    agg: AggCells,
    /// With a baseline: the paired cells (no columns without one).
    vs: Vec<String>,
}

/// Metrics of the terminal's table against the baseline.
pub const VS_TABLE_METRICS: [&str; 6] = [
    "delivery_ratio",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p90_s",
    "bytes_per_delivery",
    "bytes_sent_total",
];

/// Metrics shown in the terminal table (the files have them all); at
/// `records_sent` the table lists every record kind the strategies sent,
/// at `bytes_by_role` every role.
pub const TABLE_METRICS: [&str; 26] = [
    "delivery_ratio",
    "latency_mean_s",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p99_s",
    "bytes_per_delivery",
    "bytes_sent_total",
    "mailserver_bytes",
    "records_sent",
    "duplicate_messages_received",
    "causal_violations",
    "delivered_before_parent",
    "blocked_deliveries",
    "convergence_s",
    "bytes_by_role",
    "service_fairness",
    "store_byte_share",
    "nonmember_byte_share",
    "exposed_nodes_mean",
    "linking_nodes_mean",
    "order_agreement",
    "reorders",
    "reorders_per_delivery",
    "parents_mean",
    "heads_mean",
    "causal_byte_share",
];

/// Runs `scenario` under every strategy with every seed, telling
/// `progress` how the runs go.
pub fn compare(
    registry: &Registry,
    scenario: &Scenario,
    strategies: &[String],
    seeds: &[u64],
    progress: &dyn Progress,
) -> Result<Comparison, RunError> {
    let jobs: Vec<(usize, &str, u64)> = strategies
        .iter()
        .flat_map(|s| seeds.iter().map(move |&seed| (s.as_str(), seed)))
        .enumerate()
        .map(|(i, (s, seed))| (i, s, seed))
        .collect();
    let total =
        SimTime::from_micros((scenario.duration.as_micros()).saturating_mul(jobs.len() as u64));
    progress.begin(jobs.len(), total);
    let reports = jobs
        .par_iter()
        .map(|&(_, strategy, seed)| run_watched(registry, scenario, strategy, seed, progress))
        .collect::<Result<Vec<_>, _>>()?;
    let runs: Vec<RunRecord> = jobs
        .iter()
        .zip(&reports)
        .map(|(&(index, strategy, seed), r)| RunRecord {
            index,
            point: 0,
            params: Map::new(),
            strategy: strategy.to_string(),
            seed,
            reproduce: None,
            summary: r.summary.clone(),
        })
        .collect();
    let names: Vec<String> = strategies.to_vec();
    Ok(Comparison {
        scenario: scenario.name.clone(),
        scenario_hash: None,
        metrics: metric_rows(&names, &runs),
        curves: pooled_curves(&names, &runs, &reports),
        strategies: names,
        seeds: seeds.to_vec(),
        runs,
        notes: notes(scenario, strategies),
        baseline: None,
    })
}

/// One comparison to make: what the command line asked for, resolved.
pub struct CompareJob<'a> {
    /// The scenario file, as named (for provenance and "reproduce with").
    pub scenario_file: &'a Path,
    /// The scenario loaded from it.
    pub scenario: &'a Scenario,
    /// The strategies, in the order asked for.
    pub strategies: &'a [String],
    /// The seeds (at least one).
    pub seeds: &'a [u64],
    /// The result folder.
    pub out: &'a Path,
    /// The strategy every metric is also given against (one of
    /// `strategies`).
    pub baseline: Option<&'a str>,
}

/// Runs `job` with `registry`'s strategies (on the current rayon pool),
/// telling `progress` how the runs go, and writes its folder
/// (`comparison.json`, `comparison.csv`, `runs.csv`, plots, provenance and
/// effective scenario); `provenance` is the invocation's record, to which
/// the comparison's details are added.
pub fn compare_to_folder(
    registry: &Registry,
    job: &CompareJob,
    provenance: Provenance,
    progress: &dyn Progress,
) -> Result<Comparison, Error> {
    let effective = effective::load_effective_with(job.scenario_file, registry)?;
    let hash = effective::hash(&effective)?;
    let file = job.scenario_file.display().to_string();
    let (strategies, seeds) = (job.strategies.join(","), job.seeds.len().to_string());
    let mut words = vec![
        "compare",
        &file,
        "--strategies",
        &strategies,
        "--seeds",
        &seeds,
    ];
    let first = job.seeds[0].to_string();
    words.extend(["--seed", &first]);
    if let Some(b) = job.baseline {
        words.extend(["--baseline", b]);
    }
    let reproduce = command_line(&words);
    let mut provenance = provenance
        .with("scenario_file", &file)
        .with("scenario_hash", &hash)
        .with("strategies", job.strategies)
        .with("seeds", job.seeds)
        .with("reproduce", reproduce);
    // The variants compared, with their config sections (the effective
    // scenario has them too).
    let variants: serde_json::Map<String, serde_json::Value> = job
        .strategies
        .iter()
        .filter_map(|s| {
            let v = job.scenario.variants.get(s)?;
            Some((
                s.clone(),
                serde_json::json!({"strategy": v.strategy, "config": v.config.effective()}),
            ))
        })
        .collect();
    if !variants.is_empty() {
        provenance = provenance.with("variants", variants);
    }
    if let Some(b) = job.baseline {
        provenance = provenance.with("baseline", b);
    }
    let set = ResultSet::begin(job.out)?;
    let mut c = compare(registry, job.scenario, job.strategies, job.seeds, progress)?;
    c.scenario_hash = Some(hash);
    if let Some(b) = job.baseline {
        c.set_baseline(b);
    }
    set.write_with(|dir| {
        c.write(dir, &registry.order())?;
        write_provenance(dir, &provenance, &effective)
    })?;
    Ok(c)
}

/// Strategies with which a sync-peer mailserver does nothing, and why: it
/// receives what authors send it but never passes it on.
const IGNORE_SYNC_PEERS: [(&str, &str); 2] = [
    (
        "mvds",
        "Status's MVDS runs one group per (sender, recipient) pair and never relays, so the mailserver receives the authors' messages (their bytes count) and serves none of them",
    ),
    (
        "mailserver-only",
        "it has no sync layer: a message is published once and never served again by anyone",
    ),
];

/// Notes on the comparison: `mvds` in a public chat, where Status does not
/// run MVDS at all (status-go's MVDS groups are one per (sender, recipient)
/// pair, `protocol/datasync/utils.go` `ToOneToOneGroupID`); a sync-peer
/// mailserver under a strategy that never syncs through it. A variant is
/// noted as its strategy.
pub fn notes(scenario: &Scenario, strategies: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let public: Vec<&str> = scenario
        .groups
        .iter()
        .filter(|g| g.public)
        .map(|g| g.name.as_str())
        .collect();
    let runs = |base: &str| -> Vec<&str> {
        strategies
            .iter()
            .filter(|s| scenario.base_strategy(s) == base)
            .map(String::as_str)
            .collect()
    };
    let mvds = runs("mvds");
    if !public.is_empty() && !mvds.is_empty() {
        out.push(format!(
            "{} runs in public chat(s) {}: Status does not use MVDS in public chats (it runs one MVDS group per (sender, recipient) pair, for 1:1 and private group chats), so these mvds figures model a deployment Status never made",
            mvds.join(", "),
            public.join(", ")
        ));
    }
    if scenario
        .mailservers
        .as_ref()
        .is_some_and(|m| m.mode == crate::scenario::MailserverMode::SyncPeer)
    {
        for (base, why) in IGNORE_SYNC_PEERS {
            let names = runs(base);
            if !names.is_empty() {
                out.push(format!(
                    "the sync-peer mailserver has no effect under {}: {why}",
                    names.join(", ")
                ));
            }
        }
    }
    out
}

/// The curves of each strategy, its seeds pooled (`runs` and `reports` in
/// the same order).
fn pooled_curves(names: &[String], runs: &[RunRecord], reports: &[RunReport]) -> Vec<Curves> {
    names
        .iter()
        .map(|name| {
            let mine: Vec<&RunReport> = runs
                .iter()
                .zip(reports)
                .filter(|(run, _)| &run.strategy == name)
                .map(|(_, r)| r)
                .collect();
            curves::from_reports(name, &mine)
        })
        .collect()
}

impl Comparison {
    /// [`TABLE_METRICS`], `records_sent` expanded into the record kinds
    /// present (`message` first, then in summary order).
    fn table_metrics(&self) -> Vec<&str> {
        let nested = |prefix: &str| -> Vec<&str> {
            self.metrics
                .iter()
                .map(|r| r.metric.as_str())
                .filter(|m| m.strip_prefix(prefix).is_some_and(|k| k.starts_with('.')))
                .collect()
        };
        let mut kinds = nested("records_sent");
        kinds.sort_by_key(|&k| k != "records_sent.message");
        TABLE_METRICS
            .iter()
            .flat_map(|&m| match m {
                "records_sent" => kinds.clone(),
                "bytes_by_role" => nested("bytes_by_role"),
                _ => vec![m],
            })
            .collect()
    }

    /// The side-by-side table: rows metrics, columns strategies.
    pub fn table(&self) -> String {
        let mut rows = vec![std::iter::once("metric".to_string())
            .chain(self.strategies.iter().cloned())
            .collect::<Vec<_>>()];
        for m in self.table_metrics() {
            let Some(row) = self.metrics.iter().find(|r| r.metric == m) else {
                continue;
            };
            let mut cells = vec![m.to_string()];
            for s in &self.strategies {
                let agg = row
                    .by_strategy
                    .iter()
                    .find(|(k, _)| k == s)
                    .map(|(_, a)| fmt_agg(a));
                cells.push(agg.unwrap_or_else(|| "-".into()));
            }
            rows.push(cells);
        }
        render_table(&rows)
    }

    /// Names `baseline` (one of the strategies) and gives every metric of
    /// every strategy against it, paired by seed.
    pub fn set_baseline(&mut self, baseline: &str) {
        let base: Vec<&RunRecord> = self
            .runs
            .iter()
            .filter(|r| r.strategy == baseline)
            .collect();
        for s in &self.strategies {
            let mine: Vec<&RunRecord> = self.runs.iter().filter(|r| &r.strategy == s).collect();
            for (metric, p) in vs_baseline(&mine, &base) {
                if let Some(row) = self.metrics.iter_mut().find(|r| r.metric == metric) {
                    row.vs_baseline.push((s.clone(), p));
                }
            }
        }
        self.baseline = Some(baseline.to_string());
    }

    /// The table against the baseline: rows [`VS_TABLE_METRICS`] (ratio,
    /// then difference), columns strategies.
    pub fn vs_table(&self) -> String {
        let mut rows = vec![std::iter::once("metric".to_string())
            .chain(self.strategies.iter().cloned())
            .collect::<Vec<_>>()];
        for m in VS_TABLE_METRICS {
            let Some(row) = self.metrics.iter().find(|r| r.metric == m) else {
                continue;
            };
            let cell = |s: &String, f: fn(&Paired) -> String| {
                row.vs_baseline
                    .iter()
                    .find(|(k, _)| k == s)
                    .map_or("-".to_string(), |(_, p)| f(p))
            };
            rows.push(
                std::iter::once(format!("{m} ratio"))
                    .chain(self.strategies.iter().map(|s| cell(s, fmt_ratio)))
                    .collect(),
            );
            rows.push(
                std::iter::once(format!("{m} diff"))
                    .chain(self.strategies.iter().map(|s| cell(s, fmt_diff)))
                    .collect(),
            );
        }
        render_table(&rows)
    }

    /// Writes `comparison.csv`: one row per (strategy, metric); with a
    /// baseline, each metric's ratio and difference to it as more columns.
    pub fn write_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let has = self.baseline.is_some();
        let header = ["strategy", "metric"]
            .into_iter()
            .chain(AGG_COLUMNS)
            .chain(PAIRED_COLUMNS.into_iter().filter(|_| has));
        let mut t = Table::new(w, header)?;
        let none = paired(&[]);
        for row in &self.metrics {
            for (strategy, a) in &row.by_strategy {
                let vs = if has {
                    let p = row
                        .vs_baseline
                        .iter()
                        .find(|(k, _)| k == strategy)
                        .map_or(&none, |(_, p)| p);
                    paired_cells(p)
                } else {
                    Vec::new()
                };
                t.row(&CsvRow {
                    strategy,
                    metric: &row.metric,
                    agg: a.into(),
                    vs,
                })?;
            }
        }
        t.finish()
    }

    /// Writes `comparison.json`, `comparison.csv`, `runs.csv` and the plots
    /// into `dir`; `order` is the strategies' registry order (line styles).
    pub fn write(&self, dir: &Path, order: &[String]) -> Result<(), crate::output::Error> {
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        write_atomic(&dir.join("comparison.json"), json.as_bytes())?;
        write_atomic_with(&dir.join("comparison.csv"), |w| self.write_csv(w))?;
        write_atomic_with(&dir.join("runs.csv"), |w| {
            write_runs_csv(w, None, &self.strategies, &self.runs)
        })?;
        plots::curves(dir, &self.scenario, &self.curves, order)
    }
}

/// A table of cells, the first row a header underlined, columns padded
/// (the first left-aligned, the rest right-aligned).
pub(crate) fn render_table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::aggregate::flatten;
    use crate::report::Summary;

    /// The table's metrics are summary keys (`records_sent` and
    /// `bytes_by_role` the prefixes of their parts): a renamed field cannot
    /// drop out of the table.
    #[test]
    fn table_metrics_are_summary_keys() {
        let mut s = Summary::default();
        s.records_sent.0.push(("message".into(), 1));
        s.bytes_by_role.0.push(("author".into(), 1));
        let keys: Vec<String> = flatten(&s).into_iter().map(|(k, _)| k).collect();
        for m in TABLE_METRICS {
            let prefix = format!("{m}.");
            assert!(
                keys.iter().any(|k| k == m || k.starts_with(&prefix)),
                "{m} is not a summary key"
            );
        }
    }
}
