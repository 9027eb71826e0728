//! End-to-end runs of the engine on small hand-written scenarios.

use meshsync::engine::{run, run_with};
use meshsync::node::bsp::wire::Payload;
use meshsync::output::csv::deliveries;
use meshsync::report::RunReport;
use meshsync::scenario::Scenario;
use meshsync::sim::time::SimTime;
use proptest::prelude::*;
use std::collections::HashMap;

fn scenario(json: &str) -> Scenario {
    Scenario::parse(json, "test.json").unwrap_or_else(|e| panic!("{e}"))
}

fn quickstart() -> Scenario {
    Scenario::load(std::path::Path::new("scenarios/quickstart.json")).unwrap()
}

const TWO_NODES: &str = r#"{
  "name": "two", "duration_s": 100, "nodes": 2,
  "link": { "latency_ms": { "fixed": 250 }, "bandwidth_kbps": 64, "overhead_bytes": 40 },
  "groups": [ { "name": "pair", "members": [0, 1] } ],
  "messages": [
    { "at_s": 1, "from": 0, "group": "pair", "body_bytes": 100 },
    { "at_s": 10, "from": 0, "group": "pair", "body_bytes": 1000 },
    { "at_s": 20, "from": 1, "group": "pair", "body_bytes": 3000 }
  ]
}"#;

const L: SimTime = SimTime(250_000);

/// Serialization time of a payload at 64 kbit/s with 40 bytes of overhead.
fn ser(p: &Payload) -> SimTime {
    let bytes = (p.encoded_len() + 40) as u64;
    SimTime((bytes * 8 * 1_000_000).div_ceil(64_000))
}

fn alone(p: Payload) -> SimTime {
    ser(&p)
}

#[test]
fn batch_delivers_after_exactly_latency_plus_serialization() {
    let r = run_with(&scenario(TWO_NODES), "bsp-batch", 1).unwrap();
    assert_eq!(r.deliveries.len(), 3);
    for d in &r.deliveries {
        let m = r.messages[d.message as usize].clone();
        // Node 0's first payload opens its stream; node 1 opened its own
        // with the ACK of message 0.
        let expect = d.created
            + L
            + alone(Payload {
                messages: vec![m.into()],
                opens_stream: d.message == 0,
                ..Payload::default()
            });
        assert_eq!(d.delivered, expect, "message {}", d.message);
        assert_eq!(d.received, d.delivered);
    }
    assert_eq!(r.summary.records_sent["message"], 3);
    assert_eq!(r.summary.records_sent["ack"], 3);
}

#[test]
fn interactive_takes_three_trips_where_batch_takes_one() {
    let r = run_with(&scenario(TWO_NODES), "bsp-interactive", 1).unwrap();
    assert_eq!(r.deliveries.len(), 3);
    for d in &r.deliveries {
        let m = r.messages[d.message as usize].clone();
        // The first offer and the first request open their streams.
        let offer = alone(Payload {
            offers: vec![m.id],
            opens_stream: d.message == 0,
            ..Payload::default()
        });
        let request = alone(Payload {
            requests: vec![m.id],
            opens_stream: d.message == 0,
            ..Payload::default()
        });
        let message = alone(Payload {
            messages: vec![m.clone().into()],
            ..Payload::default()
        });
        let expect = d.created + L + offer + L + request + L + message;
        assert_eq!(d.delivered, expect, "message {}", d.message);
    }
    let s = &r.summary;
    assert_eq!(
        (
            s.records_sent["offer"],
            s.records_sent["request"],
            s.records_sent["message"]
        ),
        (3, 3, 3)
    );
}

#[test]
fn same_seed_same_bytes_different_seed_different_deliveries() {
    let s = quickstart();
    let (a, b) = (run(&s, 7).unwrap(), run(&s, 7).unwrap());
    assert_eq!(a.summary_json(), b.summary_json());
    assert_eq!(deliveries(&a), deliveries(&b));
    let c = run(&s, 8).unwrap();
    assert_ne!(deliveries(&a), deliveries(&c));
    assert_ne!(a.summary.trace_hash, c.summary.trace_hash);
}

#[test]
fn half_the_payloads_lost_yet_everything_arrives() {
    let s = scenario(
        r#"{
      "name": "lossy", "duration_s": 3600, "nodes": 2,
      "link": { "latency_ms": { "fixed": 50 }, "loss": 0.5 },
      "groups": [ { "name": "pair", "members": "all", "rate_per_hour": 0 } ],
      "messages": [
        { "at_s": 1, "from": 0, "group": "pair" }, { "at_s": 2, "from": 1, "group": "pair" },
        { "at_s": 3, "from": 0, "group": "pair" }, { "at_s": 4, "from": 1, "group": "pair" },
        { "at_s": 5, "from": 0, "group": "pair" }, { "at_s": 6, "from": 1, "group": "pair" },
        { "at_s": 7, "from": 0, "group": "pair" }, { "at_s": 8, "from": 1, "group": "pair" }
      ],
      "strategy": "bsp-batch",
      "strategy_config": { "bsp": { "batch": { "max_latency_s": 0.1 } } }
    }"#,
    );
    for seed in 1..=5 {
        let r = run(&s, seed).unwrap().summary;
        assert_eq!(r.delivery_ratio, Some(1.0), "seed {seed}");
        assert!(r.payloads_lost > 0, "seed {seed}");
        assert!(
            r.records_sent["message"] > r.messages_created,
            "retransmissions happened"
        );
        assert_eq!(r.causal_violations, 0);
    }
}

#[test]
fn without_loss_every_member_gets_everything() {
    let r = run(&quickstart(), 3).unwrap().summary;
    let mut s = quickstart();
    s.link.loss = 0.0;
    let clean = run(&s, 3).unwrap().summary;
    assert_eq!(clean.delivery_ratio, Some(1.0));
    assert_eq!(clean.payloads_lost, 0);
    assert!(r.messages_created > 10);
}

fn churny(seed_loss: f64, delivery: &str) -> String {
    format!(
        r#"{{
      "name": "churny", "duration_s": 4000, "nodes": 12,
      "link": {{ "latency_ms": {{ "exponential": {{ "mean": 400 }} }}, "loss": {seed_loss} }},
      "churn": {{ "kind": "on-off", "on_s": {{ "exponential": {{ "mean": 300 }} }}, "off_s": {{ "exponential": {{ "mean": 200 }} }} }},
      "groups": [
        {{ "name": "all", "members": "all", "rate_per_hour": 20 }},
        {{ "name": "few", "members": [0, 3, 5, 7], "rate_per_hour": 40 }},
        {{ "name": "pair", "members": [2, 9], "rate_per_hour": 60 }}
      ],
      "sync": {{ "delivery": "{delivery}" }},
      "strategy_config": {{ "bsp": {{ "interactive": {{ "max_latency_s": 2 }}, "batch": {{ "max_latency_s": 2 }} }} }}
    }}"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn no_causal_violation_under_loss_and_churn(seed in any::<u64>(), loss in 0.0f64..0.6, interactive in any::<bool>()) {
        let s = scenario(&churny(loss, "consistent"));
        let strategy = if interactive { "bsp-interactive" } else { "bsp-batch" };
        let r = run_with(&s, strategy, seed).unwrap().summary;
        prop_assert_eq!(r.causal_violations, 0, "reproduce with seed={}", seed);
        prop_assert_eq!(r.invalid_deliveries, 0, "reproduce with seed={}", seed);
        prop_assert!(r.deliveries > 0);
    }
}

/// Delivery time of each (message, recipient) pair.
fn delivery_times(r: &RunReport) -> HashMap<(u32, u32), SimTime> {
    r.deliveries
        .iter()
        .map(|d| ((d.message, d.recipient), d.delivered))
        .collect()
}

#[test]
fn blocked_children_are_delivered_right_after_their_last_parent() {
    let s = scenario(&churny(0.2, "consistent"));
    let r = run(&s, 11).unwrap();
    assert!(
        r.summary.blocked_deliveries > 0,
        "the scenario must reorder messages"
    );
    assert_eq!(r.summary.causal_violations, 0);
    let at = delivery_times(&r);
    let mut checked = 0;
    for d in r.deliveries.iter().filter(|d| d.delivered > d.received) {
        let parents = &r.messages[d.message as usize].parents;
        let last_parent = parents
            .iter()
            .map(|&p| {
                let m = &r.messages[p as usize];
                if m.sender == d.recipient {
                    m.created
                } else {
                    at[&(p, d.recipient)]
                }
            })
            .max()
            .expect("a blocked message has parents");
        assert_eq!(
            d.delivered, last_parent,
            "message {} at node {}",
            d.message, d.recipient
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn eventual_mode_never_blocks_and_may_violate_causality() {
    let r = run(&scenario(&churny(0.2, "eventual")), 11)
        .unwrap()
        .summary;
    assert_eq!(r.blocked_deliveries, 0);
    assert!(
        r.delivered_before_parent > 0,
        "eventual delivery ignores parents; the checker must see it"
    );
    assert_eq!(
        r.causal_violations, 0,
        "eventual delivery promises no causal order: nothing to violate"
    );
}

#[test]
fn offline_nodes_write_nothing_and_receive_nothing_while_offline() {
    let s = scenario(
        r#"{
      "name": "off", "duration_s": 1000, "nodes": 3,
      "churn": { "kind": "always-on" },
      "churn_overrides": [ { "nodes": [2], "churn": { "kind": "periodic", "period_s": 2000, "online_fraction": 0.01 } } ],
      "groups": [ { "name": "g", "members": "all", "rate_per_hour": 120 } ]
    }"#,
    );
    let r = run(&s, 5).unwrap();
    // Node 2 is online 20 s out of 2000 s at a random phase: it writes and
    // receives far less than the others.
    let from2 = r.messages.iter().filter(|m| m.sender == 2).count();
    let from0 = r.messages.iter().filter(|m| m.sender == 0).count();
    assert!(
        from2 * 5 < from0,
        "node 2 wrote {from2}, node 0 wrote {from0}"
    );
    let to2 = r.deliveries.iter().filter(|d| d.recipient == 2).count();
    let to1 = r.deliveries.iter().filter(|d| d.recipient == 1).count();
    assert!(to2 < to1);
}
