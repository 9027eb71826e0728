//! The intermittent world: mailservers, partitions, contact traces.

use meshsync::engine::run_with;
use meshsync::report::RunReport;
use meshsync::scenario::Scenario;
use meshsync::sim::time::SimTime;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn parse(json: &str, file: &str) -> Scenario {
    Scenario::parse(json, file).unwrap_or_else(|e| panic!("{e}"))
}

/// Node 2 is offline until 1000 s while node 0 writes at 10..50 s; node 3 is
/// the mailserver (or an idle node when `mode` is "off").
fn offline_member(mode: &str, presence: &str) -> Scenario {
    parse(
        &format!(
            r#"{{
      "name": "offline-member", "duration_s": 3000, "nodes": 4,
      "transport": {{ "presence": "{presence}" }},
      "link": {{ "latency_ms": {{ "fixed": 100 }} }},
      "churn_overrides": [ {{ "nodes": [2], "churn": {{ "kind": "schedule", "online": [[1000, 3000]] }} }} ],
      "groups": [ {{ "name": "g", "members": [0, 1, 2] }} ],
      "messages": [
        {{ "at_s": 10, "from": 0, "group": "g" }}, {{ "at_s": 20, "from": 1, "group": "g" }},
        {{ "at_s": 30, "from": 0, "group": "g" }}, {{ "at_s": 50, "from": 1, "group": "g" }}
      ],
      "mailservers": {{ "mode": "{mode}", "nodes": [3] }}
    }}"#
        ),
        "offline-member.json",
    )
}

fn delivered_to(r: &RunReport, node: u32) -> Vec<(u32, SimTime)> {
    r.deliveries
        .iter()
        .filter(|d| d.recipient == node)
        .map(|d| (d.message, d.delivered))
        .collect()
}

#[test]
fn store_forward_mailserver_serves_the_member_that_was_offline() {
    let on = run_with(
        &offline_member("store-forward", "known"),
        "mailserver-only",
        1,
    )
    .unwrap();
    let got = delivered_to(&on, 2);
    assert_eq!(
        got.len(),
        4,
        "all four messages reach node 2 through the mailserver"
    );
    for (_, at) in &got {
        assert!(
            *at >= SimTime::from_secs(1000),
            "not before node 2 is online"
        );
        assert!(
            *at < SimTime::from_secs(1001),
            "right after its first query"
        );
    }
    assert!(on.summary.mailserver_requests > 0 && on.summary.mailserver_bytes > 0);
    assert_eq!(on.summary.causal_violations, 0);

    let off = run_with(&offline_member("off", "known"), "mailserver-only", 1).unwrap();
    assert!(
        delivered_to(&off, 2).is_empty(),
        "no mailserver: node 2 never gets them"
    );
    assert_eq!(off.summary.mailserver_bytes, 0);
    // Members online at the time get everything either way.
    assert_eq!(delivered_to(&off, 1).len(), 2);
    assert_eq!(delivered_to(&off, 0).len(), 2);
}

#[test]
fn store_forward_archives_payloads_sent_into_the_void() {
    // Presence unknown (Whisper): MVDS sends to node 2 while it is offline;
    // the mailserver archives those payloads and node 2 fetches them.
    let on = run_with(&offline_member("store-forward", "unknown"), "mvds", 1).unwrap();
    assert_eq!(delivered_to(&on, 2).len(), 4);
    assert!(delivered_to(&on, 2)
        .iter()
        .all(|(_, t)| *t < SimTime::from_secs(1001)));
    let off = run_with(&offline_member("off", "unknown"), "mvds", 1).unwrap();
    // Without it, node 2 waits for MVDS resends (27 s, 54 s, … up to ~17 min).
    let late = delivered_to(&off, 2);
    assert_eq!(late.len(), 4);
    assert!(late.iter().all(|(_, t)| *t > SimTime::from_secs(1001)));
    assert!(
        off.summary.payloads_lost > 0,
        "sends into the void are lost"
    );
}

#[test]
fn sync_peer_mailserver_bridges_members_never_online_together() {
    let s = parse(
        r#"{
      "name": "bridge", "duration_s": 3000, "nodes": 3,
      "churn_overrides": [
        { "nodes": [0], "churn": { "kind": "schedule", "online": [[0, 500]] } },
        { "nodes": [1], "churn": { "kind": "schedule", "online": [[1000, 3000]] } }
      ],
      "groups": [ { "name": "g", "members": [0, 1] } ],
      "messages": [ { "at_s": 10, "from": 0, "group": "g" } ],
      "mailservers": { "mode": "MODE", "nodes": [2] }
    }"#
        .replace("MODE", "sync-peer")
        .as_str(),
        "bridge.json",
    );
    let r = run_with(&s, "bsp-batch", 1).unwrap();
    assert_eq!(r.summary.deliveries, 1);
    assert_eq!(
        r.summary.invalid_deliveries, 0,
        "the mailserver is not a recipient"
    );
    assert_eq!(r.summary.deliveries_expected, 1);
}

const SPLIT: &str = r#"{
  "name": "split", "duration_s": 5000, "nodes": 6,
  "link": { "latency_ms": { "fixed": 50 } },
  "groups": [ { "name": "g", "members": "all", "rate_per_hour": 30 } ],
  "partitions": [ { "at_s": 300, "until_s": 1200, "groups": [ [0, 1, 2], [3, 4, 5] ] } ],
  "strategy_config": { "bsp": { "batch": { "max_latency_s": 10 } } }
}"#;

#[test]
fn nothing_crosses_a_partition_and_bsp_converges_after_heal() {
    let s = parse(SPLIT, "split.json");
    let r = run_with(&s, "bsp-batch", 2).unwrap();
    let side = |n: u32| n / 3;
    let (at, until) = (SimTime::from_secs(300), SimTime::from_secs(1200));
    let mut crossing = 0;
    for d in &r.deliveries {
        let m = &r.messages[d.message as usize];
        if side(m.sender) != side(d.recipient) && m.created >= at && m.created < until {
            assert!(
                d.received >= until,
                "message {} crossed the cut at {}",
                d.message,
                d.received
            );
            crossing += 1;
        }
        if d.received >= at && d.received < until {
            assert!(m.created < at || side(m.sender) == side(d.recipient));
        }
    }
    assert!(crossing > 0, "the workload must write across the cut");
    let c = r
        .summary
        .convergence_s
        .expect("BSP converges after the heal");
    // Fixed by the seed and the scenario: every online member holds every
    // message 632.559756 s after the heal at 1200 s (the run ends at 5000 s).
    assert_eq!((c * 1e6).round() as u64, 632_559_756, "convergence {c}");
    assert_eq!(r.summary.delivery_ratio, Some(1.0));
}

#[test]
fn mailserver_only_without_mailserver_never_converges() {
    let s = parse(SPLIT, "split.json");
    let r = run_with(&s, "mailserver-only", 2).unwrap();
    assert_eq!(r.summary.convergence_s, None);
    assert!(r.summary.delivery_ratio.unwrap() < 1.0);
}

#[test]
fn one_way_partition_cuts_one_direction_only() {
    let s = parse(
        r#"{
      "name": "oneway", "duration_s": 100, "nodes": 2,
      "groups": [ { "name": "g", "members": "all" } ],
      "messages": [ { "at_s": 10, "from": 0, "group": "g" }, { "at_s": 10, "from": 1, "group": "g" } ],
      "partitions": [ { "at_s": 0, "until_s": 50, "from": [0], "to": [1] } ]
    }"#,
        "oneway.json",
    );
    let r = run_with(&s, "mailserver-only", 1).unwrap();
    assert_eq!(r.deliveries.len(), 1);
    assert_eq!(r.deliveries[0].recipient, 0, "1 → 0 passes, 0 → 1 is cut");
}

/// Earliest arrival over contact intervals, computed without the engine:
/// relax every contact until nothing changes (a message crosses a contact
/// `[up, down)` at `max(arrival, up)` if that is before `down`).
fn earliest_arrival(contacts: &[(u32, u32, f64, f64)], src: u32, t0: f64, n: usize) -> Vec<f64> {
    let mut arr = vec![f64::INFINITY; n];
    arr[src as usize] = t0;
    loop {
        let mut changed = false;
        for &(a, b, up, down) in contacts {
            for (x, y) in [(a, b), (b, a)] {
                let t = arr[x as usize].max(up);
                if t < down && t < arr[y as usize] {
                    arr[y as usize] = t;
                    changed = true;
                }
            }
        }
        if !changed {
            return arr;
        }
    }
}

#[test]
fn epidemic_on_instant_links_delivers_at_earliest_arrival() {
    // Six hosts, a hand-written trace with chains, dead ends and a contact
    // that ends before the message gets there.
    let contacts: [(u32, u32, f64, f64); 9] = [
        (0, 1, 5.0, 20.0),
        (1, 2, 30.0, 40.0),
        (2, 3, 35.5, 36.5),
        (3, 5, 100.0, 110.0),
        (0, 4, 2.0, 4.0),
        (4, 5, 50.0, 60.0),
        (1, 4, 200.0, 210.0),
        (5, 2, 300.0, 301.0),
        (3, 4, 400.0, 500.0),
    ];
    let mut lines = Vec::new();
    for &(a, b, up, down) in &contacts {
        lines.push((up, format!("{up:.1} CONN h{a} h{b} up")));
        lines.push((down, format!("{down:.1} CONN h{a} h{b} down")));
    }
    lines.sort_by(|x, y| x.0.total_cmp(&y.0));
    let trace: String = lines.into_iter().map(|(_, l)| l + "\n").collect();
    let msgs: [(f64, u32, u32); 5] = [
        (1.0, 0, 5),
        (3.0, 0, 3),
        (10.0, 4, 2),
        (31.0, 2, 0),
        (450.0, 5, 1),
    ];
    let events: String = msgs
        .iter()
        .enumerate()
        .map(|(i, (t, a, b))| format!("{t:.1} C M{i} h{a} h{b} 100\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.txt"), trace).unwrap();
    std::fs::write(dir.path().join("m.txt"), events).unwrap();
    let json = r#"{
      "name": "tiny-trace", "duration_s": 1000, "nodes": 6,
      "topology": { "kind": "contact-trace", "file": "c.txt" },
      "one_messages": "m.txt",
      "link": { "latency_ms": { "fixed": 0 } }
    }"#;
    let file = dir.path().join("s.json");
    let s = parse(json, file.to_str().unwrap());
    let r = run_with(&s, "epidemic", 1).unwrap();
    let got: HashMap<u32, f64> = r
        .deliveries
        .iter()
        .map(|d| (d.message, d.delivered.as_secs_f64()))
        .collect();
    let mut expected = BTreeMap::new();
    for (i, &(t, a, b)) in msgs.iter().enumerate() {
        let arr = earliest_arrival(&contacts, a, t, 6);
        if arr[b as usize] <= 1000.0 {
            expected.insert(i as u32, arr[b as usize]);
        }
    }
    assert!(
        expected.len() >= 3,
        "the trace must deliver most messages: {expected:?}"
    );
    assert!(expected.len() < msgs.len(), "and strand at least one");
    assert_eq!(
        got.len(),
        expected.len(),
        "got {got:?}, expected {expected:?}"
    );
    for (m, t) in expected {
        assert_eq!(got[&m], t, "message {m}");
    }
}

#[test]
fn bundled_intermittent_scenarios_run_clean() {
    for f in [
        "partition-heal",
        "mailserver-on",
        "mailserver-off",
        "contact-trace",
    ] {
        let s = Scenario::load(Path::new(&format!("scenarios/{f}.json"))).unwrap();
        for strategy in meshsync::engine::Registry::builtin().names() {
            let r = run_with(&s, strategy, 1).unwrap().summary;
            assert_eq!(r.causal_violations, 0, "{f} under {strategy}");
            assert_eq!(r.invalid_deliveries, 0, "{f} under {strategy}");
            assert!(r.deliveries > 0, "{f} under {strategy}");
        }
    }
}

#[test]
fn multi_hop_reaches_beyond_neighbours_with_summed_latency() {
    let json = |routing: &str| {
        format!(
            r#"{{
      "name": "line", "duration_s": 100, "nodes": 4,
      "topology": {{ "kind": "edges", "edges": [[0, 1], [1, 2], [2, 3]] }},
      "transport": {{ "routing": "{routing}" }},
      "link": {{ "latency_ms": {{ "fixed": 100 }} }},
      "groups": [ {{ "name": "g", "members": "all" }} ],
      "messages": [ {{ "at_s": 1, "from": 0, "group": "g" }} ]
    }}"#
        )
    };
    let direct = run_with(&parse(&json("direct"), "line.json"), "mailserver-only", 1).unwrap();
    assert_eq!(
        direct.deliveries.len(),
        1,
        "only the neighbour hears a publish"
    );
    let multi = run_with(
        &parse(&json("multi-hop"), "line.json"),
        "mailserver-only",
        1,
    )
    .unwrap();
    let at: BTreeMap<u32, SimTime> = multi
        .deliveries
        .iter()
        .map(|d| (d.recipient, d.delivered))
        .collect();
    let t = |ms: u64| SimTime::from_secs(1) + SimTime::from_millis(ms);
    assert_eq!(at, BTreeMap::from([(1, t(100)), (2, t(200)), (3, t(300))]));
    // BSP relays hop by hop over direct links and gets there too.
    let bsp = run_with(&parse(&json("direct"), "line.json"), "bsp-batch", 1).unwrap();
    assert_eq!(bsp.deliveries.len(), 3);
}
