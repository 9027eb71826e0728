//! Swarm testing: random worlds drawn from a seed (topology, routing,
//! presence, churn, loss, duplication, crashes, partitions, mailservers,
//! adversaries, strategy), each checked for the safety invariants; and a
//! liveness check once faults stop. Every failure names the seed that
//! reproduces it. `MESHSYNC_SWARM_SEEDS=5000 cargo test --release --test
//! swarm` hunts longer.

use meshsync::engine::run_with;
use meshsync::scenario::Scenario;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

/// A `strategy_config` giving both BSP modes the max latency `s`.
fn both_modes(s: f64) -> serde_json::Value {
    let mode = json!({"max_latency_s": s});
    json!({"bsp": {"interactive": mode.clone(), "batch": mode}})
}

/// A random scenario (as JSON, so it also exercises validation).
fn world(seed: u64) -> (Value, String) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: u32 = rng.random_range(3..12);
    let topology = match pick(
        &mut rng,
        &[
            "full-mesh",
            "ring",
            "erdos-renyi",
            "random-geometric",
            "barabasi-albert",
        ],
    ) {
        "erdos-renyi" => json!({"kind": "erdos-renyi", "p": rng.random_range(0.2..0.9)}),
        "random-geometric" => {
            json!({"kind": "random-geometric", "radius": rng.random_range(0.3..0.9)})
        }
        "barabasi-albert" => json!({"kind": "barabasi-albert", "m": rng.random_range(1..3)}),
        k => json!({"kind": k}),
    };
    let churn = match pick(&mut rng, &["always-on", "periodic", "on-off"]) {
        "periodic" => {
            json!({"kind": "periodic", "period_s": rng.random_range(100.0..1000.0), "online_fraction": rng.random_range(0.2..1.0)})
        }
        "on-off" => {
            json!({"kind": "on-off", "on_s": {"exponential": {"mean": 300}}, "off_s": {"uniform": {"min": 10, "max": 400}}})
        }
        k => json!({"kind": k}),
    };
    let mut groups = vec![
        json!({"name": "all", "members": "all", "rate_per_hour": rng.random_range(5.0..60.0)}),
    ];
    if n > 4 {
        groups.push(json!({"name": "few", "members": [0, 1, 2], "rate_per_hour": rng.random_range(5.0..60.0)}));
    }
    let mut v = json!({
        "name": format!("swarm-{seed}"),
        "seed": seed,
        "duration_s": rng.random_range(500.0..3000.0),
        "nodes": n,
        "topology": topology,
        "transport": {
            "presence": pick(&mut rng, &["known", "unknown"]),
            "routing": pick(&mut rng, &["direct", "multi-hop"]),
        },
        "link": {
            "latency_ms": {"exponential": {"mean": rng.random_range(10.0..500.0)}},
            "bandwidth_kbps": rng.random_range(100.0..5000.0),
            "loss": rng.random_range(0.0..0.4),
            "duplicate": rng.random_range(0.0..0.3),
            "overhead_bytes": 40
        },
        "churn": churn,
        "groups": groups,
        "strategy_config": both_modes(rng.random_range(0.5..10.0))
    });
    if rng.random_bool(0.5) {
        let state = pick(&mut rng, &["persistent", "volatile"]);
        v["crashes"] = json!([{"nodes": "all", "rate_per_hour": rng.random_range(0.5..4.0), "down_s": rng.random_range(10.0..200.0), "state": state}]);
    }
    if rng.random_bool(0.3) {
        v["partitions"] = json!([{"at_s": 100, "until_s": 400, "groups": [[0, 1]]}]);
    }
    if rng.random_bool(0.3) {
        v["adversaries"] = json!([{"kind": pick(&mut rng, &["hole", "spam"]), "node": 0, "group": "all", "rate_per_hour": 30}]);
        if rng.random_bool(0.5) {
            v["sync"]["max_parent_wait_s"] = json!(60);
        }
    }
    let all = meshsync::engine::Registry::builtin();
    let names = all.names();
    let strategy = names[rng.random_range(0..names.len())].to_string();
    (v, strategy)
}

/// Seeds to try: 60 by default, `MESHSYNC_SWARM_SEEDS=N` for a longer hunt.
fn swarm_seeds() -> u64 {
    std::env::var("MESHSYNC_SWARM_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

#[test]
fn safety_invariants_hold_in_random_worlds() {
    for seed in 0..swarm_seeds() {
        let (v, strategy) = world(seed);
        let s = Scenario::from_value(v.clone(), "swarm.json")
            .unwrap_or_else(|e| panic!("seed={seed}: generated an invalid scenario: {e}\n{v:#}"));
        let r = run_with(&s, &strategy, seed).unwrap().summary;
        let why = format!("reproduce with seed={seed} (strategy {strategy})");
        assert_eq!(r.causal_violations, 0, "causal violation; {why}");
        assert_eq!(r.invalid_deliveries, 0, "invalid delivery; {why}");
        assert_eq!(r.unauthorized_accepted, 0, "{why}");
        assert_eq!(
            r.payloads_sent + r.payloads_duplicated,
            r.payloads_received + r.payloads_lost + r.payloads_in_flight,
            "payload accounting does not balance; {why}"
        );
        let b = &r.bytes_by_record;
        assert_eq!(
            b.total(),
            r.bytes_sent_total,
            "byte accounting does not balance; {why}"
        );
        assert!(r.deliveries <= r.deliveries_expected, "{why}");
        let again = run_with(&s, &strategy, seed).unwrap().summary;
        assert_eq!(again.trace_hash, r.trace_hash, "nondeterminism; {why}");
    }
}

/// A liveness world of seed `seed`: 3–9 nodes in one group, 5–19
/// scripted messages in the first 100 s; with `faults`, link loss up to
/// 40 %, duplication, a crash of every node in the first 200 s and node 0
/// cut off until 300 s, then 3,700 s of a connected world (loss stays).
fn liveness_world(seed: u64, faults: bool) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
    let n: u32 = rng.random_range(3..10);
    let messages: Vec<Value> = (0..rng.random_range(5..20))
        .map(|_| json!({"at_s": rng.random_range(0.0..100.0), "from": rng.random_range(0..n), "group": "all"}))
        .collect();
    let loss = rng.random_range(0.0..0.4);
    let crash_at = rng.random_range(0.0..200.0);
    let mut v = json!({
        "name": "liveness", "duration_s": 4000, "nodes": n,
        "link": {"latency_ms": {"exponential": {"mean": 100}}},
        "groups": [{"name": "all", "members": "all"}],
        "messages": messages,
        "strategy_config": both_modes(1.0)
    });
    if faults {
        v["link"]["loss"] = json!(loss);
        v["link"]["duplicate"] = json!(0.1);
        v["crashes"] =
            json!([{"nodes": "all", "at_s": crash_at, "down_s": 60, "state": "persistent"}]);
        v["partitions"] = json!([{"at_s": 0, "until_s": 300, "groups": [[0]]}]);
    }
    Scenario::from_value(v, "liveness.json").unwrap()
}

/// Every strategy that promises eventual delivery
/// (`capabilities().eventual_delivery`) delivers every message to every
/// member once faults stop and the world stays connected. The others
/// (mailserver-only: one publish, no retransmission; Status's MVDS: a
/// send limit) promise less, as their `about` says: every message reaches
/// every member when the world is connected and lossless from the start.
#[test]
fn every_strategy_keeps_its_delivery_promise() {
    let registry = meshsync::engine::Registry::builtin();
    for seed in 0..20u64 {
        for strategy in registry.names() {
            let eventual = registry
                .get(strategy)
                .expect("a registered strategy")
                .capabilities()
                .eventual_delivery;
            let s = liveness_world(seed, eventual);
            let r = run_with(&s, strategy, seed).unwrap().summary;
            let promise = if eventual {
                "eventual delivery"
            } else {
                "delivery without faults"
            };
            assert_eq!(
                r.delivery_ratio,
                Some(1.0),
                "{promise}; reproduce with seed={seed} ({strategy})"
            );
            if eventual {
                assert!(r.convergence_s.is_some(), "seed={seed} ({strategy})");
            }
        }
    }
}
