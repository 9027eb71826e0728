//! How big a run will be, from the scenario alone, before any work:
//! messages written, deliveries due, engine events and peak memory.
//!
//! The model counts what a run keeps: per (message, member) pair the
//! checker's times, the delivery row and the members' stores; per node its
//! sync state and its peers; for strategies that relay everything, every
//! node's copy of every message. Events grow with deliveries (each is a
//! payload, an arrival and timers), churn transitions (a link change per
//! peer) and trace contacts. The constants are fitted to the bundled
//! scenarios (README, "Limits": measured against the estimate).
//!
//! Imports: `sim/`, `world/`, `node/` (strategy traits), `scenario/`.

use crate::node::StrategyInfo;
use crate::scenario::Scenario;
use crate::world::topology::TopologySpec;

/// Bytes per (message, member) pair: checker times, delivery row, store
/// entry and sync state.
const BYTES_PER_SLOT: f64 = 160.0;
/// Bytes per message: the message, its parents, its catalogue entries.
const BYTES_PER_MESSAGE: f64 = 200.0;
/// Bytes per node: its sync node, churn, random streams, queues.
const BYTES_PER_NODE: f64 = 4096.0;
/// Bytes per (node, peer) pair a node keeps state for.
const BYTES_PER_PEER: f64 = 96.0;
/// Bytes per (message, member, co-member) send state, for strategies in
/// which every member shares what it received (BSP keeps one per message
/// and peer until the peer acks it).
const BYTES_PER_SHARE_STATE: f64 = 12.0;
/// Bytes per (node, message) copy carried by a relaying node.
const BYTES_PER_RELAY_COPY: f64 = 16.0;
/// The process before any run (binary, allocator, fonts).
const BASE_BYTES: f64 = 24.0 * 1024.0 * 1024.0;
/// Events per delivery due, per link change and per contact.
const EVENTS_PER_DELIVERY: f64 = 12.0;
const EVENTS_PER_LINK_CHANGE: f64 = 3.0;
const EVENTS_PER_CONTACT: f64 = 6.0;

/// The estimated size of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Messages written.
    pub messages: f64,
    /// (message, recipient) pairs due.
    pub deliveries: f64,
    /// Engine events.
    pub events: f64,
    /// Peak resident memory, bytes.
    pub peak_bytes: f64,
}

impl Estimate {
    /// The estimate for `scenario` under `strategy`.
    pub fn for_strategy(scenario: &Scenario, strategy: &dyn StrategyInfo) -> Estimate {
        let caps = strategy.capabilities();
        Estimate::of(
            scenario,
            caps.relays_everything,
            caps.members_share_received,
        )
    }

    /// The estimate for `scenario` under a strategy that relays everything
    /// (or not), and whose members share what they received (or only
    /// their own messages).
    pub fn of(scenario: &Scenario, relays_everything: bool, members_share: bool) -> Estimate {
        let duration = scenario.duration;
        let hours = duration.as_secs_f64() / 3600.0;
        let online: Vec<f64> = scenario
            .churn
            .iter()
            .map(|c| c.online_fraction(duration))
            .collect();
        let mut per_group = vec![0.0; scenario.groups.len()];
        for (g, spec) in scenario.groups.iter().enumerate() {
            let online_members: f64 = spec.members.iter().map(|&v| online[v as usize]).sum();
            per_group[g] = spec.rate_per_hour * hours * online_members;
        }
        for s in &scenario.script {
            per_group[s.group as usize] += 1.0;
        }
        for a in &scenario.adversaries {
            per_group[a.group as usize] += a.rate_per_hour * hours * online[a.node as usize];
        }
        let size = |g: usize| scenario.groups[g].members.len() as f64;
        let messages: f64 = per_group.iter().sum();
        let slots: f64 = (0..per_group.len()).map(|g| per_group[g] * size(g)).sum();
        let share_states: f64 = if members_share {
            (0..per_group.len())
                .map(|g| per_group[g] * size(g) * (size(g) - 1.0))
                .sum()
        } else {
            0.0
        };
        let deliveries: f64 = (0..per_group.len())
            .map(|g| per_group[g] * (size(g) - 1.0))
            .sum();
        let n = f64::from(scenario.nodes);
        let peers = if relays_everything {
            n * (n - 1.0)
        } else {
            scenario
                .groups
                .iter()
                .map(|g| g.members.len() as f64)
                .map(|m| m * (m - 1.0))
                .sum()
        };
        let relay_copies = if relays_everything { n * messages } else { 0.0 };
        let transitions: f64 = scenario.churn.iter().map(|c| c.transitions(duration)).sum();
        let contacts = match &scenario.topology {
            TopologySpec::Contacts(events) => events.len() as f64,
            _ => 0.0,
        };
        let link_changes = transitions * (peers / n.max(1.0)).min(n);
        Estimate {
            messages,
            deliveries,
            events: EVENTS_PER_DELIVERY * (deliveries + relay_copies)
                + EVENTS_PER_LINK_CHANGE * link_changes
                + EVENTS_PER_CONTACT * contacts,
            peak_bytes: BASE_BYTES
                + BYTES_PER_SLOT * slots
                + BYTES_PER_MESSAGE * messages
                + BYTES_PER_NODE * n
                + BYTES_PER_PEER * peers
                + BYTES_PER_RELAY_COPY * relay_copies
                + BYTES_PER_SHARE_STATE * share_states,
        }
    }

    /// One line for people: `~1.2k messages, ~6.0k deliveries, ~80k
    /// events, ~24 MB peak`.
    pub fn render(&self) -> String {
        format!(
            "~{} messages, ~{} deliveries, ~{} events, ~{} peak memory",
            count(self.messages),
            count(self.deliveries),
            count(self.events),
            bytes(self.peak_bytes)
        )
    }
}

/// `950`, `12k`, `3.4M`, `1.2G`.
fn count(x: f64) -> String {
    match x {
        x if x >= 1e12 => format!("{x:.1e}"),
        x if x >= 1e9 => format!("{:.1}G", x / 1e9),
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e4 => format!("{:.0}k", x / 1e3),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// `24 MB`, `1.5 GB`, `3.0 TB`.
pub fn bytes(x: f64) -> String {
    match x {
        x if x >= 1e15 => format!("{x:.1e} bytes"),
        x if x >= 1e12 => format!("{:.1} TB", x / 1e12),
        x if x >= 1e9 => format!("{:.1} GB", x / 1e9),
        x => format!("{:.0} MB", x / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(json: &str) -> Scenario {
        Scenario::parse(json, "s.json").unwrap()
    }

    #[test]
    fn messages_and_deliveries_follow_rates_online_time_and_members() {
        // 4 members online half the time, 10 messages an hour, 2 hours:
        // 40 messages, each due to 3 others.
        let s = scenario(
            r#"{ "name": "e", "duration_s": 7200, "nodes": 5,
            "churn": { "kind": "periodic", "period_s": 600, "online_fraction": 0.5 },
            "groups": [ { "name": "g", "members": [0, 1, 2, 3], "rate_per_hour": 10 } ] }"#,
        );
        let e = Estimate::of(&s, false, true);
        assert!((e.messages - 40.0).abs() < 1e-9, "{e:?}");
        assert!((e.deliveries - 120.0).abs() < 1e-9, "{e:?}");
        let relay = Estimate::of(&s, true, false);
        assert!(relay.peak_bytes > Estimate::of(&s, false, false).peak_bytes);
    }

    #[test]
    fn huge_worlds_are_estimated_huge_without_building_them() {
        let s = scenario(
            r#"{ "name": "e", "duration_s": 3600, "nodes": 10000000,
            "groups": [ { "name": "g", "members": "all", "rate_per_hour": 1 } ] }"#,
        );
        let e = Estimate::of(&s, false, false);
        assert!(e.peak_bytes > 1e15, "{e:?}");
        assert!(e.render().contains("e"), "{}", e.render());
    }
}
