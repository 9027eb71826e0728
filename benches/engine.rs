//! `cargo bench`: wall time of the bundled scenarios and engine throughput.
//!
//! Prints one row per scenario: median wall time over several runs, events
//! per second, deliveries per second. Speed is measured here, never in tests.

use meshsync::engine::run;
use meshsync::scenario::Scenario;
use std::path::Path;
use std::time::Instant;

fn bench(file: &str, runs: usize) {
    let s = Scenario::load(Path::new(file)).expect("bundled scenario is valid");
    let mut walls = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = run(&s, s.seed);
        walls.push(t.elapsed().as_secs_f64());
        last = Some(r.summary);
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    let s = last.expect("at least one run");
    println!(
        "{:<14} {:>5} {:>10.4} {:>12} {:>14.0} {:>10} {:>14.0}",
        s.scenario,
        runs,
        median,
        s.events,
        s.events as f64 / median,
        s.deliveries,
        s.deliveries as f64 / median
    );
}

fn main() {
    // `cargo bench -- <filter>` passes the filter; `--bench` is cargo's own flag.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!(
        "{:<14} {:>5} {:>10} {:>12} {:>14} {:>10} {:>14}",
        "scenario", "runs", "median_s", "events", "events/s", "deliveries", "deliveries/s"
    );
    for (file, runs) in [
        ("scenarios/quickstart.json", 21),
        ("scenarios/mobile-churn.json", 11),
        ("scenarios/public-chat.json", 3),
        ("scenarios/helsinki.json", 5),
        ("scenarios/mailserver-on.json", 11),
    ] {
        if filter.is_empty() || filter.iter().any(|f| file.contains(f.as_str())) {
            bench(file, runs);
        }
    }
}
