//! The size estimate against real runs: over a grid of small but varied
//! worlds (topologies, churn, crashes, group sizes and rates, every
//! strategy), the estimated engine events are within a factor of 2 of the
//! events the run counts (`summary.events`). Memory is not measured here
//! (no cheap in-process peak; README "Limits" has the RSS figures).
//! Deterministic: fixed seeds, no timing.

use meshsync::engine::estimate::Estimate;
use meshsync::engine::{run_in, Registry};
use meshsync::scenario::Scenario;

/// The worlds: every combination of these parts.
fn worlds() -> Vec<(String, String)> {
    let topologies = [
        ("mesh", r#"{ "kind": "full-mesh" }"#),
        ("ring", r#"{ "kind": "ring" }"#),
        ("er", r#"{ "kind": "erdos-renyi", "p": 0.4 }"#),
        ("rgg", r#"{ "kind": "random-geometric", "radius": 0.5 }"#),
        ("ba", r#"{ "kind": "barabasi-albert", "m": 3 }"#),
    ];
    let churns = [
        ("on", r#"{ "kind": "always-on" }"#),
        (
            "periodic",
            r#"{ "kind": "periodic", "period_s": 120, "online_fraction": 0.6 }"#,
        ),
        (
            "onoff",
            r#"{ "kind": "on-off", "on_s": { "exponential": { "mean": 300 } }, "off_s": { "exponential": { "mean": 100 } } }"#,
        ),
    ];
    let crashes = [
        ("none", "[]"),
        (
            "random",
            r#"[ { "nodes": "all", "rate_per_hour": 6, "down_s": 60, "state": "persistent" } ]"#,
        ),
    ];
    let sizes = [(8u32, 20.0), (16, 6.0)];
    let mut out = Vec::new();
    for (tn, t) in topologies {
        for (cn, c) in churns {
            for (kn, k) in crashes {
                for (n, rate) in sizes {
                    let name = format!("{tn}-{cn}-{kn}-{n}");
                    let json = format!(
                        r#"{{ "name": "{name}", "duration_s": 1800, "nodes": {n},
                        "topology": {t}, "churn": {c}, "crashes": {k},
                        "link": {{ "latency_ms": {{ "fixed": 50 }} }},
                        "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": {rate} }} ] }}"#
                    );
                    out.push((name, json));
                }
            }
        }
    }
    out
}

#[test]
fn estimated_events_are_within_2x_of_real_ones() {
    let registry = Registry::builtin();
    let mut worst: Vec<(f64, String)> = Vec::new();
    let mut table = String::new();
    for (name, json) in worlds() {
        let scenario = Scenario::parse(&json, &format!("{name}.json")).unwrap_or_else(|e| panic!("{e}"));
        for strategy in registry.names() {
            let info = registry.lookup(strategy).unwrap();
            let est = Estimate::for_strategy(&scenario, info);
            let real = run_in(&registry, &scenario, strategy, 1, &|_| {})
                .unwrap()
                .summary
                .events as f64;
            let ratio = est.events / real.max(1.0);
            table += &format!("{name:<24} {strategy:<16} est {:>9.0} real {real:>9.0} ratio {ratio:.2}\n", est.events);
            worst.push((ratio, format!("{name} {strategy}")));
        }
    }
    println!("{table}");
    let bad: Vec<&(f64, String)> = worst.iter().filter(|(r, _)| !(0.5..=2.0).contains(r)).collect();
    assert!(bad.is_empty(), "estimate off by more than 2x: {bad:?}");
}
