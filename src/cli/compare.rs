//! `meshsync compare`: one scenario under several strategies and seeds,
//! side by side, into a folder, with the table printed.
//!
//! Imports: `experiments/`, `node/` (strategies), `scenario/` and `cli/`
//! (its clap definitions and thread pool).

use super::{with_threads, CompareArgs, InputError};
use crate::node::Catalog;
use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// Runs the `compare` command.
pub(super) fn compare(args: CompareArgs) -> Result<i32> {
    let scenario = Scenario::load(&args.scenario)?;
    let strategies = if args.strategies.is_empty() {
        Catalog::builtin()
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    } else {
        args.strategies.clone()
    };
    if args.seeds == 0 {
        return Err(InputError("--seeds must be at least 1".into()).into());
    }
    let first = args.seed.unwrap_or(scenario.seed);
    let seeds: Vec<u64> = (0..args.seeds).map(|k| first.wrapping_add(k)).collect();
    let out = args
        .out
        .unwrap_or_else(|| Path::new("results").join(format!("{}-compare", scenario.name)));
    let c = with_threads(args.threads, || {
        crate::experiments::compare::compare(&scenario, &strategies, &seeds)
    })??;
    c.write(&out)?;
    if !args.quiet {
        println!(
            "meshsync compare: {} ({} strategies x {} seeds {}..={}; mean ± 95% CI)\n",
            c.scenario,
            strategies.len(),
            seeds.len(),
            seeds[0],
            seeds[seeds.len() - 1]
        );
        print!("{}", c.table());
        for note in &c.notes {
            println!("\nnote: {note}");
        }
        println!(
            "\nwrote {}/comparison.json, comparison.csv and plots (latency_cdf, deliveries_over_time, bytes_by_record; .png and .svg)",
            out.display()
        );
    }
    Ok(0)
}
