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
        bytes: 330_098,
        records: [685, 738, 0, 0],
        trace: "c22c96ff50082bc8",
    },
    Golden {
        file: "quickstart",
        strategy: "bsp-interactive",
        messages: 29,
        deliveries: 145,
        bytes: 201_487,
        records: [587, 232, 654, 244],
        trace: "923c1268b08aef39",
    },
    Golden {
        file: "mobile-churn",
        strategy: "bsp-batch",
        messages: 860,
        deliveries: 2221,
        bytes: 1_133_185,
        records: [2497, 2530, 0, 0],
        trace: "ec82362714888b18",
    },
    Golden {
        file: "mobile-churn",
        strategy: "bsp-interactive",
        messages: 860,
        deliveries: 2197,
        bytes: 1_251_458,
        records: [2423, 2301, 2562, 2323],
        trace: "1a4b79e39179e630",
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
const GOLDEN_WORLD: [(&str, &str, u64, u64, u64, &str); 8] = [
    (
        "faults",
        "bsp-batch",
        1884,
        14388,
        64_034_516,
        "12346ed5fa2afefd",
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
        43_987_310,
        "602c44914b5fe5cb",
    ),
    (
        "contact-trace",
        "epidemic",
        42,
        42,
        7_310_406,
        "53aa0cf002d74de3",
    ),
    (
        "contact-trace",
        "bsp-batch",
        42,
        39,
        44_372,
        "6a8852e22deb5a94",
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
