//! SDS through the real engine, with figures derived by hand.

use meshsync::engine::run_with;
use meshsync::scenario::Scenario;
use meshsync::sim::time::SimTime;
use serde_json::json;

/// Two members, node 1 offline until 300 s, a store-forward mailserver
/// (node 2, always on, asked only when a client comes online), links of
/// exactly 100 ms, no loss, 40 bytes of transport overhead a payload.
/// SDS with neither resends (nim's value), sync messages, SDS-R nor store
/// queries by id, so every payload is one of those below.
///
/// Wire sizes (spec numbering, `src/node/sds/wire.rs`; a 10-byte body):
/// sender, message id and channel id are 64-character strings, 1 + 1 + 64
/// = 66 bytes each; the Lamport timestamp (Unix ms, 1.7e12 < 2^42) is a
/// 6-byte varint, 7 with its key; content 2 (field 20) + 1 + 10 = 13;
/// so a bare content message is 198 + 7 + 13 = 218 bytes. A history entry
/// without SDS-R's sender is 1 + 1 + (66 + 34) = 102 (id string, 32-byte
/// retrieval hint). The bloom filter (10,000 ids at 0.001: 150,000 bits,
/// 2,344 words) is 1 + 3 + 18,752 = 18,756 bytes in every message.
///
/// - 0 s: every node comes online, in node order (the engine queues the
///   first `NodeUp` events by node id): node 0 asks the stores it reaches
///   when it comes up, and node 2, the store, is not up yet, so nothing
///   is asked.
/// - 10 s: node 0 writes m0 (no history): 218 + 18,756 + 40 = 19,014 bytes,
///   archived by the store (node 1 is offline, so nothing else is sent).
/// - 20 s: node 0 writes m1, history [m0]: 218 + 102 + 18,756 + 40 =
///   19,116, archived.
/// - 300 s: node 1 comes online and asks the store (a request is 100
///   bytes, plus 32 per topic, its group's and its own, plus 40 of
///   overhead: 204; at the store at 300.1 s); the answer carries both envelopes, 40 + 19,014 + 19,116 =
///   38,170 bytes, and reaches node 1 at 300.2 s. m0 has no history: it is
///   delivered at once; m1's history (m0) is then local: delivered too.
///   Latencies 290.2 s and 280.2 s.
/// - 400 s: node 1 writes m2, history [m0, m1] (its 2 newest): 218 + 204 +
///   18,756 + 40 = 19,218 bytes, sent to node 0 (online, at 400.1 s:
///   delivered, its history is local; latency 0.1 s) and archived.
///
/// Bytes: uploads 19,014 + 19,116 + 19,218, one request of 204, one answer
/// of 38,170: 95,722 of mailserver traffic; m2 to node 0: 19,218 (422 as
/// `message`, 18,756 as `bloom`, 40 overhead); 114,940 in all.
#[test]
fn offline_member_gets_its_messages_from_the_store() {
    let v = json!({
        "name": "sds-store", "duration_s": 1000, "nodes": 3,
        "link": {"latency_ms": {"fixed": 100}, "overhead_bytes": 40},
        "churn": {"kind": "always-on"},
        "churn_overrides": [{"nodes": [1], "churn": {"kind": "schedule", "online": [[300, 1000]]}}],
        "groups": [{"name": "pair", "members": [0, 1]}],
        "mailservers": {"mode": "store-forward", "nodes": [2], "query_interval_s": null},
        "messages": [
            {"at_s": 10, "from": 0, "group": "pair", "body_bytes": 10},
            {"at_s": 20, "from": 0, "group": "pair", "body_bytes": 10},
            {"at_s": 400, "from": 1, "group": "pair", "body_bytes": 10}
        ],
        "strategy_config": {"sds": {
            "resend_interval_s": null, "sync": "off", "repair": false,
            "store_query_interval_s": null
        }}
    });
    let s = Scenario::from_value(v, "sds-store.json").unwrap();
    let r = run_with(&s, "sds", 1).unwrap();
    let at = |ms: u64| SimTime::from_millis(ms);
    let got: Vec<_> = r
        .deliveries
        .iter()
        .map(|d| (d.message, d.recipient, d.created, d.delivered))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 1, at(10_000), at(300_200)),
            (1, 1, at(20_000), at(300_200)),
            (2, 0, at(400_000), at(400_100)),
        ]
    );
    let m = &r.summary;
    assert_eq!(m.deliveries, 3);
    assert_eq!(m.latency_max_s, Some(290.2));
    assert_eq!(m.mailserver_requests, 1);
    assert_eq!(m.mailserver_bytes, 95_722);
    assert_eq!(m.bytes_sent_total, 114_940);
    let by = &m.bytes_by_record;
    assert_eq!(
        (by["message"], by["bloom"], by["overhead"], by["mailserver"]),
        (422, 18_756, 40, 95_722)
    );
    assert_eq!(m.records_sent["message"], 1);
    assert_eq!(m.records_sent["bloom"], 1);
}

/// SDS's bloom filter is sized by its config: 50 million ids at 0.001 is
/// 750 million bits, 93.75 MB for each of the 50 members' one group, 4.7 GB
/// in all. The estimate counts it through the strategy
/// (`Strategy::footprint`), so sds is refused above 2 GB with the field to
/// blame, while bsp-interactive runs the same world.
#[test]
fn a_huge_bloom_filter_is_refused_by_the_estimate() {
    use crate::common::meshsync;
    let dir = tempfile::tempdir().unwrap();
    let world = json!({
        "name": "big-bloom", "duration_s": 3600, "nodes": 50,
        "groups": [{"name": "g", "members": "all", "rate_per_hour": 1}],
        "strategy_config": {"sds": {"bloom_capacity": 50_000_000u64, "bloom_error_rate": 0.001}}
    });
    std::fs::write(dir.path().join("big.json"), world.to_string()).unwrap();
    let run = |strategy: &str| {
        meshsync(
            dir.path(),
            &[
                "run",
                "big.json",
                "--strategy",
                strategy,
                "--max-memory",
                "2G",
                "-q",
                "--out",
                strategy,
            ],
        )
    };
    let o = run("sds");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("big.json under sds: estimated peak memory"),
        "{err}"
    );
    assert!(
        err.contains("mostly from strategy_config.sds.bloom_capacity"),
        "{err}"
    );
    assert!(!dir.path().join("sds").exists());
    let o = run("bsp-interactive");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
