//! Epidemic routing's bugs of issue 13, each pinned by a run of the whole
//! engine: lost payloads resent, presence unknown, partitions the nodes
//! cannot see, duplicates at relays.

use meshsync::engine::run_with;
use meshsync::report::Summary;
use meshsync::scenario::Scenario;

fn run(json: &str) -> Summary {
    let s = Scenario::parse(json, "epidemic.json").unwrap_or_else(|e| panic!("{e}"));
    run_with(&s, "epidemic", s.seed).unwrap().summary
}

/// The issue's `epidemic-churn` reproduction, verbatim: node 1 goes down at
/// 1.05 s while node 0's message (written at 1 s, 100 ms latency) is on the
/// way; the message is lost and must go again when node 1 is back at 50 s.
#[test]
fn sending_does_not_mark_the_peer_as_holding() {
    let r = run(
        r#"{"name":"epidemic-churn","seed":1,"duration_s":1000,"nodes":2,"strategy":"epidemic","topology":{"kind":"full-mesh"},"link":{"latency_ms":{"fixed":100},"overhead_bytes":40},"groups":[{"name":"g","members":"all"}],"messages":[{"at_s":1.0,"from":0,"group":"g","body_bytes":200}],"churn_overrides":[{"nodes":[1],"churn":{"kind":"schedule","online":[[0,1.05],[50,1000]]}}]}"#,
    );
    assert_eq!((r.deliveries, r.deliveries_expected), (1, 1));
    assert_eq!(r.records_sent["message"], 2, "sent, lost, sent again");
    assert_eq!(
        r.latency_max_s,
        Some(49.2),
        "after the summary exchange at 50 s"
    );
}

/// The issue's `epidemic-unknown` reproduction, verbatim: with presence
/// unknown, node 0's summary (sent when it came online at 0 s) is lost;
/// node 1 comes online at 50 s and must still get node 0's summary.
#[test]
fn unknown_presence_newcomer_gets_the_first_nodes_summary() {
    let r = run(
        r#"{"name":"epidemic-unknown","seed":1,"duration_s":200,"strategy":"epidemic","nodes":2,"topology":{"kind":"full-mesh"},"transport":{"presence":"unknown"},"link":{"latency_ms":{"fixed":100}},"churn_overrides":[{"nodes":[0],"churn":{"kind":"schedule","online":[[0,100]]}},{"nodes":[1],"churn":{"kind":"schedule","online":[[50,150]]}}],"groups":[{"name":"g","members":"all"}],"messages":[{"at_s":60,"from":1,"group":"g","body_bytes":200},{"at_s":70,"from":0,"group":"g","body_bytes":200}]}"#,
    );
    assert_eq!((r.deliveries, r.deliveries_expected), (2, 2));
    assert_eq!(r.latency_max_s, Some(0.1), "each on the way at once");
}

/// Three always-on nodes; from 10 s to 100 s a partition the nodes are not
/// told about separates node 0, which writes at 20 s. Only a later summary
/// exchange (anti-entropy, every `anti_entropy_s`) sends it across.
fn partitioned(anti_entropy_s: f64) -> Summary {
    run(&format!(
        r#"{{"name":"unseen-partition","seed":1,"duration_s":1000,"nodes":3,
        "topology":{{"kind":"full-mesh"}},"link":{{"latency_ms":{{"fixed":100}}}},
        "groups":[{{"name":"g","members":"all"}}],
        "messages":[{{"at_s":20,"from":0,"group":"g","body_bytes":200}}],
        "partitions":[{{"at_s":10,"until_s":100,"groups":[{{"from":0,"to":1}},{{"from":1,"to":3}}]}}],
        "strategy_config":{{"epidemic":{{"anti_entropy_s":{anti_entropy_s}}}}}}}"#
    ))
}

#[test]
fn anti_entropy_heals_a_partition_the_nodes_cannot_see() {
    let r = partitioned(300.0);
    assert_eq!((r.deliveries, r.deliveries_expected), (2, 2));
    // The first round after the heal: 300 s after the link-up summaries.
    assert_eq!(r.latency_max_s, Some(280.2));
    let stranded = partitioned(5000.0);
    assert_eq!(stranded.deliveries, 0, "no round before the end: stranded");
}

/// Node 2 relays group `g` of nodes 0 and 1. Node 0's message reaches 1
/// and 2 at 1.1 s; each sends it on to the other, which already holds it:
/// one duplicate at the member, one at the relay (the member-only count
/// said 1).
#[test]
fn relay_duplicates_are_counted() {
    let r = run(r#"{"name":"relay","seed":1,"duration_s":100,"nodes":3,
        "topology":{"kind":"full-mesh"},"link":{"latency_ms":{"fixed":100}},
        "groups":[{"name":"g","members":[0,1]}],
        "messages":[{"at_s":1,"from":0,"group":"g","body_bytes":200}],
        "strategy_config":{"epidemic":{"anti_entropy_s":300}}}"#);
    assert_eq!(r.records_sent["message"], 4);
    assert_eq!(r.duplicate_messages_received, 2);
}
