//! `groups[].sharing`: Briar syncs a group only with the contacts it is
//! shared with (bramble-core `db/DatabaseComponentImpl`, group visibility).

use meshsync::engine::run_with;
use meshsync::report::RunReport;
use meshsync::scenario::Scenario;
use meshsync::sim::time::SimTime;

/// Three members; node 1 writes at 10 s; node 0 (the creator under `star`)
/// is online only from `creator_online_s`; node 2 is always online.
fn world(sharing: &str, creator_online_s: f64) -> Scenario {
    let json = format!(
        r#"{{
      "name": "sharing", "duration_s": 600, "nodes": 3,
      "link": {{ "latency_ms": {{ "fixed": 100 }} }},
      "churn_overrides": [ {{ "nodes": [0], "churn": {{ "kind": "schedule", "online": [[{creator_online_s}, 600]] }} }} ],
      "groups": [ {{ "name": "g", "members": "all", "sharing": {sharing} }} ],
      "messages": [ {{ "at_s": 10, "from": 1, "group": "g", "body_bytes": 100 }} ]
    }}"#
    );
    Scenario::parse(&json, "sharing.json").unwrap_or_else(|e| panic!("{e}"))
}

fn delivered_at(r: &RunReport, node: u32) -> Option<SimTime> {
    r.deliveries
        .iter()
        .find(|d| d.recipient == node && d.message == 0)
        .map(|d| d.delivered)
}

#[test]
fn star_sharing_syncs_members_only_through_the_creator() {
    for strategy in ["bsp-batch", "bsp-interactive"] {
        let star = world(r#"{ "kind": "star", "creator": 0 }"#, 300.0);
        let r = run_with(&star, strategy, 1).unwrap();
        let at2 = delivered_at(&r, 2).expect("delivered once the creator is back");
        let at0 = delivered_at(&r, 0).expect("the creator gets it");
        assert!(at0 >= SimTime::from_secs(300), "{strategy}: {at0:?}");
        assert!(at2 > at0, "{strategy}: member 2 only via the creator");
        // Shared with everyone, member 2 has it from member 1 at once.
        let all = world(r#"{ "kind": "all" }"#, 300.0);
        let r = run_with(&all, strategy, 1).unwrap();
        let at2 = delivered_at(&r, 2).expect("delivered directly");
        assert!(at2 < SimTime::from_secs(11), "{strategy}: {at2:?}");
    }
}

#[test]
fn edges_sharing_follows_the_listed_pairs() {
    // 1 shares with 0, 0 with 2: the message goes 1 → 0 → 2.
    let s = world(r#"{ "kind": "edges", "edges": [[1, 0], [0, 2]] }"#, 100.0);
    let r = run_with(&s, "bsp-interactive", 1).unwrap();
    let at0 = delivered_at(&r, 0).unwrap();
    assert!(at0 >= SimTime::from_secs(100));
    assert!(delivered_at(&r, 2).unwrap() > at0);
}

#[test]
fn strategies_not_modelling_briar_ignore_sharing() {
    let star = world(r#"{ "kind": "star", "creator": 0 }"#, 300.0);
    let all = world(r#"{ "kind": "all" }"#, 300.0);
    for strategy in ["mvds", "epidemic"] {
        let a = run_with(&star, strategy, 1).unwrap().summary;
        let b = run_with(&all, strategy, 1).unwrap().summary;
        assert_eq!(
            (a.deliveries, a.bytes_sent_total, a.trace_hash),
            (b.deliveries, b.bytes_sent_total, b.trace_hash),
            "{strategy}"
        );
    }
}
