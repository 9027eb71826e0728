//! Validation rules, one test per rule, with the exact path and message.

use super::*;
use crate::node::store::DeliveryMode;
use crate::sim::dist::Dist;
use crate::sim::time::SimTime;

const BASE: &str = r#"{
  "name": "t", "duration_s": 100, "nodes": 4,
  "groups": [ { "name": "g", "members": "all", "rate_per_hour": 1 } ]
}"#;

fn with(patch: serde_json::Value) -> Result<Scenario, ScenarioError> {
    let mut v: serde_json::Value = serde_json::from_str(BASE).unwrap();
    for (k, x) in patch.as_object().unwrap() {
        v[k] = x.clone();
    }
    Scenario::from_value(v, "t.json")
}

fn err(patch: serde_json::Value) -> (String, String) {
    match with(patch) {
        Err(ScenarioError::Invalid { path, message, .. }) => (path, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

use serde_json::json;

#[test]
fn defaults_are_documented_values() {
    let s = with(json!({})).unwrap();
    assert_eq!(s.seed, 1);
    assert_eq!(s.strategy, "bsp-interactive");
    // Every section, each with its defaults.
    let keys: Vec<&str> = s.strategy_config.keys().map(|k| k.as_str()).collect();
    let registry = crate::node::Registry::<crate::node::NoRunner>::builtin();
    let mut expected = registry.config_keys();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(s.topology, TopologySpec::FullMesh);
    assert_eq!(s.link.latency_ms, Dist::Fixed(100.0));
    assert_eq!(
        (s.link.bandwidth_bps, s.link.loss, s.link.overhead_bytes),
        (None, 0.0, 0)
    );
    assert_eq!(s.churn, vec![ChurnSpec::AlwaysOn; 4]);
    assert_eq!(s.body_bytes, Dist::Fixed(200.0));
    assert_eq!(
        (s.sync.delivery, s.sync.max_parent_wait),
        (DeliveryMode::Consistent, None)
    );
    assert_eq!(s.groups[0].members, vec![0, 1, 2, 3]);
}

#[test]
fn member_forms() {
    let s = with(json!({"groups": [
        {"name": "a", "members": [3, 1]},
        {"name": "b", "members": {"from": 1, "to": 3}}
    ]}))
    .unwrap();
    assert_eq!(s.groups[0].members, vec![1, 3]);
    assert_eq!(s.groups[1].members, vec![1, 2]);
}

#[test]
fn duplicate_member() {
    assert_eq!(
        err(json!({"groups": [{"name": "a", "members": [1, 2, 1]}]})),
        ("groups[0].members".into(), "node 1 is listed twice".into())
    );
}

#[test]
fn one_member_group() {
    assert_eq!(
        err(json!({"groups": [{"name": "a", "members": [1]}]})).1,
        "expected at least 2 members"
    );
}

#[test]
fn duplicate_group_name() {
    let (path, msg) = err(json!({"groups": [
        {"name": "a", "members": "all"}, {"name": "a", "members": "all"}
    ]}));
    assert_eq!(path, "groups[1].name");
    assert!(msg.contains("used twice"));
}

#[test]
fn bad_names() {
    assert_eq!(err(json!({"name": "../etc"})).0, "name");
    assert_eq!(err(json!({"name": ""})).0, "name");
    assert_eq!(
        err(json!({"groups": [{"name": "a,b", "members": "all"}]})).0,
        "groups[0].name"
    );
}

#[test]
fn zero_nodes_and_zero_duration() {
    assert_eq!(err(json!({"nodes": 0})).0, "nodes");
    assert_eq!(err(json!({"duration_s": 0})).0, "duration_s");
    assert_eq!(err(json!({"duration_s": -5})).0, "duration_s");
}

#[test]
fn unknown_strategy_lists_choices() {
    let (path, msg) = err(json!({"strategy": "gossip"}));
    assert_eq!(path, "strategy");
    assert!(msg.contains("bsp-batch") && msg.contains("bsp-interactive"));
}

#[test]
fn distributions_are_checked() {
    let (p, m) = err(json!({"link": {"latency_ms": {"uniform": {"min": 5, "max": 1}}}}));
    assert_eq!(p, "link.latency_ms.uniform");
    assert!(m.contains("min <= max"));
    assert_eq!(
        err(json!({"link": {"latency_ms": {"exponential": {"mean": 0}}}})).0,
        "link.latency_ms.exponential.mean"
    );
    assert_eq!(err(json!({"body_bytes": {"fixed": 40000}})).0, "body_bytes");
    assert_eq!(
        err(json!({"link": {"latency_ms": {"fixed": -1}}})).0,
        "link.latency_ms.fixed"
    );
}

#[test]
fn churn_is_checked() {
    let (p, _) = err(json!({"churn": {"kind": "periodic", "period_s": 60, "online_fraction": 0}}));
    assert_eq!(p, "churn.online_fraction");
    let (p, _) = err(json!({"churn_overrides": [{"nodes": [9], "churn": {"kind": "always-on"}}]}));
    assert_eq!(p, "churn_overrides[0].nodes[0]");
    let s = with(json!({
        "churn": {"kind": "periodic", "period_s": 1800, "online_fraction": 0.1},
        "churn_overrides": [{"nodes": [2], "churn": {"kind": "always-on"}}]
    }))
    .unwrap();
    assert_eq!(s.churn[2], ChurnSpec::AlwaysOn);
    assert_eq!(
        s.churn[0],
        ChurnSpec::Periodic {
            period: SimTime::from_secs(1800),
            on: SimTime::from_secs(180)
        }
    );
}

#[test]
fn topology_is_checked() {
    assert_eq!(
        err(json!({"topology": {"kind": "edges", "edges": [[0, 0]]}})).0,
        "topology.edges[0]"
    );
    assert_eq!(
        err(json!({"topology": {"kind": "edges", "edges": [[0, 4]]}})).0,
        "topology.edges[0][1]"
    );
    assert_eq!(
        err(json!({"topology": {"kind": "erdos-renyi", "p": 2}})).0,
        "topology.p"
    );
}

#[test]
fn scripted_messages_are_checked() {
    let m = |x: serde_json::Value| json!({"groups": [{"name": "g", "members": [0, 1]}], "messages": [x]});
    assert_eq!(
        err(m(json!({"at_s": 1, "from": 2, "group": "g"}))).0,
        "messages[0].from"
    );
    assert_eq!(
        err(m(json!({"at_s": 1, "from": 0, "group": "h"}))).0,
        "messages[0].group"
    );
    assert_eq!(
        err(m(json!({"at_s": 100, "from": 0, "group": "g"}))).0,
        "messages[0].at_s"
    );
    assert_eq!(
        err(m(
            json!({"at_s": 1, "from": 0, "group": "g", "body_bytes": 50000})
        ))
        .0,
        "messages[0].body_bytes"
    );
    let ok = with(json!({"groups": [{"name": "g", "members": [0, 1]}], "messages": [
        {"at_s": 5, "from": 0, "group": "g"}, {"at_s": 2, "from": 1, "group": "g", "body_bytes": 9}
    ]}))
    .unwrap();
    assert_eq!(ok.script[0].at, SimTime::from_secs(2), "sorted by time");
}

#[test]
fn sync_is_checked() {
    assert_eq!(
        err(json!({"sync": {"delivery": "causal"}})).0,
        "sync.delivery"
    );
    assert_eq!(
        err(json!({"sync": {"max_parent_wait_s": 0}})).0,
        "sync.max_parent_wait_s"
    );
    let bsp = |v| json!({"strategy_config": {"bsp": {"batch": {"max_latency_s": v}}}});
    assert_eq!(
        err(bsp(json!(0))).0,
        "strategy_config.bsp.batch.max_latency_s"
    );
    // Below one microsecond rounds to zero: a run that would never end.
    assert_eq!(
        err(bsp(json!(1e-9))),
        (
            "strategy_config.bsp.batch.max_latency_s".into(),
            "expected at least one microsecond (0.000001 s), got 0.000000001".into()
        )
    );
    assert_eq!(
        err(json!({"sync": {"max_parent_wait_s": 1e-9}})).0,
        "sync.max_parent_wait_s"
    );
}

#[test]
fn deserialization_errors_name_the_path() {
    let (p, m) = err(json!({"link": {"loss": "lots"}}));
    assert_eq!(p, "link.loss");
    assert!(m.contains("invalid type"));
    let (p, m) = err(json!({"groups": [{"name": "g", "members": "all", "rate": 3}]}));
    assert_eq!(p, "groups[0].rate");
    assert!(m.contains("unknown field `rate`"), "{m}");
}

#[test]
fn strategy_config_errors_name_the_section_path() {
    let (path, msg) = err(json!({"strategy_config": {"bsp": {"offer_cap": 0}}}));
    assert_eq!(
        (path.as_str(), msg.as_str()),
        ("strategy_config.bsp.offer_cap", "expected at least 1")
    );
    let (path, msg) =
        err(json!({"strategy_config": {"bsp": {"interactive": {"max_latency_s": -1}}}}));
    assert_eq!(path, "strategy_config.bsp.interactive.max_latency_s");
    assert!(msg.contains("expected a finite number >= 0"), "{msg}");
    let (path, msg) = err(json!({"strategy_config": {"bsp": {"jitter": 1}}}));
    assert_eq!(path, "strategy_config.bsp.jitter");
    assert!(msg.contains("unknown field `jitter`"), "{msg}");
    let (path, msg) = err(json!({"strategy_config": {"bsp": {"offer_cap": "many"}}}));
    assert_eq!(path, "strategy_config.bsp.offer_cap");
    assert!(msg.contains("invalid type"), "{msg}");
    let (path, msg) = err(json!({"strategy_config": {"gossip": {}}}));
    assert_eq!(path, "strategy_config.gossip");
    let keys = crate::node::Registry::<crate::node::NoRunner>::builtin()
        .config_keys()
        .join(", ");
    assert!(msg.contains(&format!("expected one of {keys}")), "{msg}");
    let (path, _) = err(json!({"strategy_config": {"mvds": {"epoch_ms": 100}}}));
    assert_eq!(path, "strategy_config.mvds.epoch_ms");
}

#[test]
fn bsp_parameters_in_sync_say_where_they_moved() {
    let (path, msg) = err(json!({"sync": {"max_latency_s": 10}}));
    assert_eq!(path, "sync.max_latency_s");
    assert!(
        msg.contains("strategy_config.bsp.interactive.max_latency_s"),
        "{msg}"
    );
    let (path, msg) = err(json!({"sync": {"offer_cap": 10}}));
    assert_eq!(path, "sync.offer_cap");
    assert!(msg.contains("strategy_config.bsp.offer_cap"), "{msg}");
}

#[test]
fn strategy_config_is_kept_for_the_engine() {
    let section = json!({"interactive": {"max_latency_s": 2}});
    let s = with(json!({"strategy_config": {"bsp": section.clone()}})).unwrap();
    let bsp = &s.strategy_config["bsp"];
    assert_eq!(
        bsp.effective(),
        &json!({"interactive": {"max_latency_s": 2.0}, "batch": {"max_latency_s": 1_209_600.0}, "offer_cap": 1000})
    );
    let typed = bsp.get::<crate::node::bsp::BspParams>().unwrap();
    assert_eq!(typed.offer_cap, 1000);
}
