//! Golden numbers: exact figures for the bundled scenarios at their seed.
//!
//! Any change to protocol behaviour, event order or random streams moves
//! these. If a change is intended, update the numbers in the same commit and
//! say why in its message; if not, it is a bug (often a determinism leak).

use meshsync::engine::run_with;
use meshsync::scenario::Scenario;
use std::path::Path;

struct Golden {
    file: &'static str,
    strategy: &'static str,
    messages: u64,
    deliveries: u64,
    bytes: u64,
    records: [u64; 4],
    trace: &'static str,
}

const GOLDEN: [Golden; 4] = [
    Golden {
        file: "quickstart",
        strategy: "bsp-batch",
        messages: 29,
        deliveries: 145,
        bytes: 372_833,
        records: [685, 738, 0, 0],
        trace: "8cb949cc39b12025",
    },
    Golden {
        file: "quickstart",
        strategy: "bsp-interactive",
        messages: 29,
        deliveries: 145,
        bytes: 268_916,
        records: [586, 241, 662, 259],
        trace: "6095bce662d59dd3",
    },
    Golden {
        file: "mobile-churn",
        strategy: "bsp-batch",
        messages: 860,
        deliveries: 2221,
        bytes: 1_236_802,
        records: [2497, 2530, 0, 0],
        trace: "45e5fa0fe28ef690",
    },
    Golden {
        file: "mobile-churn",
        strategy: "bsp-interactive",
        messages: 860,
        deliveries: 2221,
        bytes: 1_386_058,
        records: [2475, 2281, 2571, 2315],
        trace: "b760809a4e690e0b",
    },
];

#[test]
fn bundled_scenarios_give_their_golden_numbers() {
    for g in &GOLDEN {
        let path = format!("scenarios/{}.json", g.file);
        let s = Scenario::load(Path::new(&path)).unwrap();
        let r = run_with(&s, g.strategy, s.seed).unwrap().summary;
        let what = format!("{} under {}", g.file, g.strategy);
        assert_eq!(r.messages_created, g.messages, "{what}");
        assert_eq!(r.deliveries, g.deliveries, "{what}");
        assert_eq!(r.bytes_sent_total, g.bytes, "{what}");
        let rc = &r.records_sent;
        assert_eq!(
            [rc["ack"], rc["message"], rc["offer"], rc["request"]],
            g.records,
            "{what}"
        );
        assert_eq!(r.trace_hash, g.trace, "{what}");
        assert_eq!(r.causal_violations, 0, "{what}");
    }
}

/// (scenario, strategy, messages, deliveries, bytes, trace hash).
const GOLDEN_WORLD: [(&str, &str, u64, u64, u64, &str); 11] = [
    (
        "faults",
        "bsp-batch",
        1884,
        14389,
        68_957_226,
        "a02b5b69ad067698",
    ),
    (
        "mailserver-on",
        "mvds",
        434,
        2730,
        10_765_453,
        "02da2bfb10126bf5",
    ),
    (
        "mobile-churn",
        "mvds-vac",
        860,
        2221,
        1_088_122,
        "03696034cf3f1d32",
    ),
    (
        "mailserver-on",
        "mailserver-only",
        434,
        2744,
        1_585_804,
        "8ce1fbcbc1f53111",
    ),
    (
        "mailserver-off",
        "mailserver-only",
        434,
        49,
        105_484,
        "179dde913a531dd0",
    ),
    (
        "partition-heal",
        "bsp-batch",
        697,
        6735,
        48_542_003,
        "2b4f971f0a705b7d",
    ),
    (
        "contact-trace",
        "epidemic",
        42,
        42,
        10_547_014,
        "44f91a2331b4d584",
    ),
    (
        "faults",
        "bsp-interactive",
        1884,
        14387,
        42_071_066,
        "d9caf55320d33a79",
    ),
    (
        "partition-heal",
        "bsp-interactive",
        697,
        6735,
        26_309_851,
        "06b468adb8c1afe4",
    ),
    (
        "contact-trace",
        "bsp-interactive",
        42,
        39,
        63_271,
        "a20f649350ccd84e",
    ),
    (
        "contact-trace",
        "bsp-batch",
        42,
        39,
        54_855,
        "6ae202be8b9b4dc6",
    ),
];

#[test]
fn intermittent_scenarios_give_their_golden_numbers() {
    for (file, strategy, messages, deliveries, bytes, trace) in GOLDEN_WORLD {
        let s = Scenario::load(Path::new(&format!("scenarios/{file}.json"))).unwrap();
        let r = run_with(&s, strategy, s.seed).unwrap().summary;
        let what = format!("{file} under {strategy}");
        assert_eq!(
            (
                r.messages_created,
                r.deliveries,
                r.bytes_sent_total,
                r.trace_hash.as_str()
            ),
            (messages, deliveries, bytes, trace),
            "{what}"
        );
    }
}

#[test]
fn workload_does_not_depend_on_strategy() {
    let s = Scenario::load(Path::new("scenarios/mobile-churn.json")).unwrap();
    let a = run_with(&s, "bsp-batch", 3).unwrap();
    let b = run_with(&s, "bsp-interactive", 3).unwrap();
    let key = |r: &meshsync::report::RunReport| -> Vec<_> {
        r.messages
            .iter()
            .map(|m| (m.id, m.group, m.sender, m.created, m.body_len))
            .collect()
    };
    assert_eq!(key(&a), key(&b), "same writers, same times, same bodies");
}

/// Briar runs interactive sync on live (duplex) links and batch only over
/// simplex transports (bramble-core `sync/DuplexOutgoingSession.java`,
/// `SimplexOutgoingSession.java`): every bundled scenario that runs BSP runs
/// interactive mode, and one that configures batch with a live link's 30 s
/// max latency says it is a configuration Briar never runs.
#[test]
fn bundled_scenarios_run_bsp_as_briar_does() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let what = path.display();
        assert_ne!(v["strategy"], "bsp-batch", "{what}");
        if v["strategy_config"]["bsp"]["batch"]["max_latency_s"].as_f64() == Some(30.0) {
            let about = v["description"].as_str().unwrap_or_default();
            assert!(about.contains("Briar never runs"), "{what}");
        }
    }
}
