//! No input may panic: property tests over the scenario loader, the trace
//! parsers and odd-but-valid parameter values (the wire decoders' are
//! beside each wire, `src/node/*/wire.rs`, from `node::wire`'s
//! `wire_proptests!`). The cargo-fuzz targets in `fuzz/` push the same
//! entry points much further.

use meshsync::engine::run;
use meshsync::scenario::Scenario;
use meshsync::world::trace::{parse_contacts, parse_messages};
use proptest::prelude::*;
use serde_json::{json, Value};

const QUICKSTART: &str = include_str!("../../scenarios/quickstart.json");

/// Paths of scenario fields to poke, and whole sections to replace.
const PATHS: [&str; 17] = [
    "duration_s",
    "nodes",
    "seed",
    "link.loss",
    "link.duplicate",
    "link.bandwidth_kbps",
    "link.overhead_bytes",
    "link.latency_ms",
    "churn",
    "body_bytes",
    "strategy_config.bsp.interactive.max_latency_s",
    "strategy_config.bsp.batch.max_latency_s",
    "sync.max_parent_wait_s",
    "strategy_config.bsp.offer_cap",
    "topology",
    "crashes",
    "partitions",
];

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|x| json!(x)),
        (-1e12f64..1e12).prop_map(|x| json!(x)),
        prop_oneof![Just(0.0), Just(1e-9), Just(1e300), Just(-0.0)].prop_map(|x: f64| json!(x)),
        "[a-z-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn set(doc: &mut Value, path: &str, v: Value) {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for p in &parts[..parts.len() - 1] {
        cur = &mut cur[*p];
    }
    cur[parts[parts.len() - 1]] = v;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn scenario_loader_never_panics_on_text(text in ".{0,400}") {
        let _ = Scenario::parse(&text, "fuzz.json");
    }

    #[test]
    fn scenario_loader_never_panics_on_mutated_files(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
    ) {
        let mut bytes = QUICKSTART.as_bytes().to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = Scenario::parse(&text, "fuzz.json");
    }

    #[test]
    fn odd_field_values_are_rejected_or_run_cleanly(
        k in 0..PATHS.len(), v in arb_value()
    ) {
        let mut doc: Value = serde_json::from_str(QUICKSTART).unwrap();
        doc["duration_s"] = json!(120);
        set(&mut doc, PATHS[k], v);
        if let Ok(s) = Scenario::from_value(doc, "fuzz.json") {
            let offer_cap = s.strategy_config["bsp"].effective()["offer_cap"].as_u64().unwrap_or(1000);
            if s.nodes <= 50 && s.duration.as_secs_f64() <= 1000.0 && offer_cap < 1_000_000 {
                let r = run(&s, 1).unwrap().summary;
                prop_assert_eq!(r.causal_violations, 0);
            }
        }
    }

    #[test]
    fn trace_parsers_never_panic(text in "([0-9. a-zA-Z#\\n-]{0,40}\\n){0,8}") {
        let _ = parse_contacts(&text, "t.txt", 10);
        let _ = parse_messages(&text, "m.txt", 10);
    }

    #[test]
    fn trace_parsers_never_panic_on_near_misses(
        t in "-?[0-9]{0,20}(\\.[0-9]{0,3})?", a in "[a-z]{0,3}[0-9]{0,12}", up in "(up|down|UP|x)",
        size in "-?[0-9]{0,12}"
    ) {
        let _ = parse_contacts(&format!("{t} CONN {a} p1 {up}\n"), "t.txt", 10);
        let _ = parse_messages(&format!("{t} C M1 {a} h2 {size}\n"), "m.txt", 10);
    }
}
