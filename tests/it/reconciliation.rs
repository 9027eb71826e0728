//! Set reconciliation in the engine: `waku-sync`'s one-hour window against
//! a member that was away longer, `negentropy` reconciling everything, and
//! what each mailserver mode changes (`docs/sources/reconciliation.md`).

use meshsync::engine::run_with;
use meshsync::scenario::Scenario;
use std::collections::BTreeSet;

/// Nodes 0 and 1 always on; node 2 away until `back_s`; node 3 a
/// mailserver of `mode`. Four messages at 10–50 s, one at `back_s` − 600 s.
fn away(back_s: u64, mode: &str) -> Scenario {
    let json = format!(
        r#"{{
      "name": "away", "duration_s": {end}, "nodes": 4,
      "link": {{ "latency_ms": {{ "fixed": 100 }} }},
      "churn_overrides": [ {{ "nodes": [2], "churn": {{ "kind": "schedule", "online": [[{back_s}, {end}]] }} }} ],
      "groups": [ {{ "name": "g", "members": [0, 1, 2] }} ],
      "messages": [
        {{ "at_s": 10, "from": 0, "group": "g" }}, {{ "at_s": 20, "from": 1, "group": "g" }},
        {{ "at_s": 30, "from": 0, "group": "g" }}, {{ "at_s": 50, "from": 1, "group": "g" }},
        {{ "at_s": {recent}, "from": 0, "group": "g" }}
      ],
      "mailservers": {{ "mode": "{mode}", "nodes": [3] }},
      "sync": {{ "delivery": "eventual" }}
    }}"#,
        end = back_s + 3600,
        recent = back_s - 600,
    );
    Scenario::parse(&json, "away.json").unwrap_or_else(|e| panic!("{e}"))
}

/// The messages node 2 delivered, and the run's causal violations.
fn node2_got(s: &Scenario, strategy: &str) -> BTreeSet<u32> {
    let r = run_with(s, strategy, 1).unwrap();
    assert_eq!(r.summary.causal_violations, 0);
    r.deliveries
        .iter()
        .filter(|d| d.recipient == 2)
        .map(|d| d.message)
        .collect()
}

const ALL: [u32; 5] = [0, 1, 2, 3, 4];

#[test]
fn waku_sync_never_reconciles_what_is_older_than_its_window() {
    // Away 2 h (> 1 h + 20 s): only the message of 600 s ago comes.
    assert_eq!(
        node2_got(&away(7200, "off"), "waku-sync"),
        BTreeSet::from([4])
    );
    // Away 30 min: everything is still in the window.
    assert_eq!(
        node2_got(&away(1800, "off"), "waku-sync"),
        BTreeSet::from(ALL)
    );
}

#[test]
fn negentropy_reconciles_everything_a_pair_holds() {
    assert_eq!(
        node2_got(&away(7200, "off"), "negentropy"),
        BTreeSet::from(ALL)
    );
}

#[test]
fn only_a_store_brings_waku_sync_what_left_its_window() {
    // A store-forward mailserver replays the relay publications.
    assert_eq!(
        node2_got(&away(7200, "store-forward"), "waku-sync"),
        BTreeSet::from(ALL)
    );
    // An always-on store node that reconciles has them, but store sync
    // still looks at the last hour only.
    assert_eq!(
        node2_got(&away(7200, "sync-peer"), "waku-sync"),
        BTreeSet::from([4])
    );
}
