//! Faults and adversaries: crashes, duplication, hole attack, spam,
//! injection by a non-member.

use meshsync::engine::run_with;
use meshsync::report::RunReport;
use meshsync::scenario::Scenario;
use meshsync::sim::time::SimTime;

fn parse(json: &str) -> Scenario {
    Scenario::parse(json, "faults-test.json").unwrap_or_else(|e| panic!("{e}"))
}

/// Node 0 writes two messages while alone, then crashes with `state`
/// before nodes 1 and 2 come online at 500 s.
fn lonely_writer(state: &str) -> Scenario {
    parse(&format!(
        r#"{{
      "name": "lonely", "duration_s": 3000, "nodes": 3,
      "churn_overrides": [ {{ "nodes": [1, 2], "churn": {{ "kind": "schedule", "online": [[500, 3000]] }} }} ],
      "groups": [ {{ "name": "g", "members": "all" }} ],
      "messages": [ {{ "at_s": 10, "from": 0, "group": "g" }}, {{ "at_s": 20, "from": 0, "group": "g" }} ],
      "crashes": [ {{ "nodes": [0], "at_s": 100, "down_s": 50, "state": "{state}" }} ]
    }}"#
    ))
}

#[test]
fn volatile_crash_loses_messages_persistent_does_not() {
    let registry = meshsync::engine::Registry::builtin();
    for strategy in registry.names() {
        let v = run_with(&lonely_writer("volatile"), strategy, 1)
            .unwrap()
            .summary;
        assert_eq!(v.crashes, 1);
        assert_eq!((v.messages_lost, v.deliveries_lost), (2, 4), "{strategy}");
        assert_eq!(v.deliveries, 0);
        let p = run_with(&lonely_writer("persistent"), strategy, 1)
            .unwrap()
            .summary;
        assert_eq!((p.messages_lost, p.deliveries_lost), (0, 0), "{strategy}");
        // A strategy that promises eventual delivery delivers once the
        // others come online (one that gives up may or may not).
        if registry
            .get(strategy)
            .unwrap()
            .capabilities()
            .eventual_delivery
        {
            assert_eq!(p.deliveries, 4, "{strategy}: after the restart");
        }
    }
}

#[test]
fn random_crashes_happen_at_about_the_rate_and_amnesia_breaks_sync() {
    let json = |state: &str| {
        format!(
            r#"{{
      "name": "crashy", "duration_s": 36000, "nodes": 8,
      "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": 20 }} ],
      "crashes": [ {{ "nodes": "all", "rate_per_hour": 1, "down_s": 120, "state": "{state}" }} ],
      "strategy_config": {{ "bsp": {{ "batch": {{ "max_latency_s": 5 }} }} }}
    }}"#
        )
    };
    let p = run_with(&parse(&json("persistent")), "bsp-batch", 3)
        .unwrap()
        .summary;
    // The crash schedule is the world's: fixed by the seed (about 8 nodes
    // x 10 h x 1/h; `crash_counts_over_seeds_match_the_rate` checks that).
    assert_eq!(p.crashes, 61);
    assert_eq!(
        p.delivery_ratio,
        Some(1.0),
        "persistent state: crashes only delay"
    );
    assert_eq!(p.messages_lost, 0);
    let v = run_with(&parse(&json("volatile")), "bsp-batch", 3)
        .unwrap()
        .summary;
    assert_eq!(v.crashes, p.crashes, "same crash schedule");
    assert_eq!(
        v.invalid_deliveries, 0,
        "re-deliveries after amnesia are not errors"
    );
    assert_eq!(v.causal_violations, 0);
    // A node that forgot its history never gets the parents of what others
    // write next: BSP peers believe it already holds them.
    assert!(
        v.undelivered_missing_parents > 100,
        "{}",
        v.undelivered_missing_parents
    );
    assert!(v.delivery_ratio.unwrap() < 0.9);
}

/// Crashes over 20 seeds: 8 nodes x 10 h at 1/h of uptime (down 120 s
/// after each, so up 3600 / 3720 of the time) expect 20 x 77.4; a Poisson
/// count of that mean is within 4 standard deviations of it.
#[test]
fn crash_counts_over_seeds_match_the_rate() {
    let s = parse(
        r#"{
      "name": "crashy", "duration_s": 36000, "nodes": 8,
      "groups": [ { "name": "g", "members": "all", "rate_per_hour": 1 } ],
      "crashes": [ { "nodes": "all", "rate_per_hour": 1, "down_s": 120, "state": "persistent" } ]
    }"#,
    );
    let total: u64 = (1..=20)
        .map(|seed| {
            run_with(&s, "mailserver-only", seed)
                .unwrap()
                .summary
                .crashes
        })
        .sum();
    let expected = 20.0 * 8.0 * 10.0 * 3600.0 / 3720.0;
    let z = (total as f64 - expected) / expected.sqrt();
    assert!(
        z.abs() < 4.0,
        "{total} crashes, expected {expected:.0} (z = {z:.2})"
    );
}

#[test]
fn duplicated_payloads_are_counted_and_harmless() {
    let s = parse(
        r#"{
      "name": "dups", "duration_s": 2000, "nodes": 5,
      "link": { "latency_ms": { "exponential": { "mean": 200 } }, "duplicate": 0.5 },
      "groups": [ { "name": "g", "members": "all", "rate_per_hour": 60 } ]
    }"#,
    );
    let r = run_with(&s, "bsp-batch", 2).unwrap().summary;
    assert!(r.payloads_duplicated > 0);
    assert!(r.duplicate_messages_received > 0);
    assert_eq!(r.causal_violations + r.invalid_deliveries, 0);
    assert_eq!(r.delivery_ratio, Some(1.0));
    assert_eq!(
        r.payloads_sent + r.payloads_duplicated,
        r.payloads_received + r.payloads_lost + r.payloads_in_flight
    );
}

#[test]
fn latency_jitter_reorders_payloads() {
    let s = parse(
        r#"{
      "name": "jitter", "duration_s": 200, "nodes": 2,
      "link": { "latency_ms": { "uniform": { "min": 0, "max": 3000 } } },
      "groups": [ { "name": "g", "members": "all", "rate_per_hour": 3600 } ]
    }"#,
    );
    let r = run_with(&s, "mailserver-only", 1).unwrap();
    let mut by_sender: Vec<_> = r.deliveries.iter().filter(|d| d.sender == 0).collect();
    by_sender.sort_by_key(|d| d.created);
    let reordered = by_sender.windows(2).any(|w| w[1].received < w[0].received);
    assert!(reordered, "later messages overtake earlier ones");
    assert!(
        r.summary.blocked_deliveries > 0,
        "and wait for their parents"
    );
    assert_eq!(r.summary.causal_violations, 0);
}

fn hole(wait: Option<u32>) -> RunReport {
    let wait = wait.map_or("null".to_string(), |w| w.to_string());
    let s = parse(&format!(
        r#"{{
      "name": "hole", "duration_s": 3000, "nodes": 4,
      "link": {{ "latency_ms": {{ "fixed": 100 }} }},
      "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": 30 }} ],
      "adversaries": [ {{ "kind": "hole", "node": 3, "group": "g", "rate_per_hour": 6 }} ],
      "sync": {{ "max_parent_wait_s": {wait} }}
    }}"#
    ));
    run_with(&s, "bsp-batch", 4).unwrap()
}

#[test]
fn hole_attack_blocks_without_mitigation() {
    let r = hole(None).summary;
    assert!(r.blocked_deliveries > 10, "{}", r.blocked_deliveries);
    assert!(r.undelivered_missing_parents > 10);
    assert_eq!(r.deliveries_without_parents, 0);
    assert_eq!(r.causal_violations, 0);
    assert!(
        r.delivery_ratio.unwrap() < 0.8,
        "everything after a hole is stuck"
    );
}

#[test]
fn hole_attack_mitigation_delivers_after_the_wait() {
    let r = hole(Some(60));
    let s = &r.summary;
    assert!(s.deliveries_without_parents > 0);
    assert_eq!(
        s.causal_violations, 0,
        "unverified deliveries are counted apart"
    );
    assert!(s.delivery_ratio.unwrap() > 0.95, "{:?}", s.delivery_ratio);
    // Every wait ends within the limit; hole messages wait exactly 60 s.
    let wait = SimTime::from_secs(60);
    assert!(r
        .deliveries
        .iter()
        .all(|d| d.delivered - d.received <= wait));
    let hole_ids: Vec<u32> = r
        .messages
        .iter()
        .filter(|m| m.parents.iter().any(|&p| p as usize >= r.messages.len()))
        .map(|m| m.id)
        .collect();
    assert!(!hole_ids.is_empty());
    for d in r
        .deliveries
        .iter()
        .filter(|d| hole_ids.contains(&d.message))
    {
        assert_eq!(d.delivered - d.received, wait, "message {}", d.message);
    }
}

#[test]
fn non_member_injection_is_rejected_by_every_strategy() {
    let s = parse(
        r#"{
      "name": "inject", "duration_s": 2000, "nodes": 5,
      "groups": [ { "name": "g", "members": [0, 1, 2, 3], "rate_per_hour": 20 } ],
      "adversaries": [ { "kind": "inject", "node": 4, "group": "g", "rate_per_hour": 120 } ]
    }"#,
    );
    for strategy in meshsync::engine::Registry::builtin().names() {
        let r = run_with(&s, strategy, 1).unwrap();
        let injected = r.messages.iter().filter(|m| m.sender == 4).count();
        assert!(injected > 20, "{strategy}: the attacker wrote");
        assert_eq!(r.summary.unauthorized_accepted, 0, "{strategy}");
        assert!(r.deliveries.iter().all(|d| d.sender != 4), "{strategy}");
        assert!(r.summary.payloads_sent > 0);
    }
}

#[test]
fn spam_costs_the_others_bandwidth() {
    let json = |spam: u32| {
        format!(
            r#"{{
      "name": "spam", "duration_s": 2000, "nodes": 6,
      "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": 10 }} ],
      "adversaries": [ {{ "kind": "spam", "node": 5, "group": "g", "rate_per_hour": {spam} }} ]
    }}"#
        )
    };
    let quiet = run_with(&parse(&json(0)), "bsp-batch", 1).unwrap().summary;
    let noisy = run_with(&parse(&json(600)), "bsp-batch", 1)
        .unwrap()
        .summary;
    assert_eq!(quiet.spam_bytes, 0);
    assert!(noisy.spam_bytes > 0 && noisy.spam_bytes_relayed > 0);
    assert!(
        noisy.spam_bytes_relayed * 2 > noisy.spam_bytes,
        "BSP members relay most of it"
    );
    assert!(noisy.bytes_sent_total > 10 * quiet.bytes_sent_total);
}
