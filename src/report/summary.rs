//! The result schema: a run's [`Summary`] (`summary.json`), its delivery
//! table and the [`RunReport`] holding both. Keys are a contract: results
//! written by earlier versions (committed baselines) stay readable.
//!
//! Imports: `sim/` only.

use crate::sim::message::{Message, MsgId, NodeId};
use crate::sim::time::SimTime;
use serde::{Deserialize, Serialize};

/// Named counts in a fixed order, serialized as a JSON object in that
/// order (`records_sent`, `bytes_by_record`): the names are the record
/// kinds a strategy declares, so the schema stays open to new strategies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// The count called `name`, if listed.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.iter().find(|(k, _)| k == name).map(|&(_, v)| v)
    }

    /// Every (name, count), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The sum of every count.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|&(_, v)| v).sum()
    }
}

/// `counts["ack"]`: the count called `ack` (panics when not listed, as a
/// map's index does; [`Counts::get`] does not).
impl std::ops::Index<&str> for Counts {
    type Output = u64;
    fn index(&self, name: &str) -> &u64 {
        match self.0.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v,
            None => panic!("no count called {name:?}"),
        }
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Counts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of counts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Counts, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, u64>()? {
                    out.push((k, v));
                }
                Ok(Counts(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The run's headline figures (`summary.json`).
/// Missing keys read as their defaults, so results written by older versions
/// (committed baselines) stay readable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Strategy run.
    pub strategy: String,
    /// Run seed.
    pub seed: u64,
    /// Node count.
    pub nodes: u32,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Messages written.
    pub messages_created: u64,
    /// (message, recipient) pairs due: every other member of its group.
    pub deliveries_expected: u64,
    /// Pairs delivered by the end.
    pub deliveries: u64,
    /// `deliveries / deliveries_expected` (null when nothing was due).
    pub delivery_ratio: Option<f64>,
    /// Mean creation → delivery latency over delivered pairs.
    pub latency_mean_s: Option<f64>,
    /// Median latency (nearest rank).
    pub latency_p50_s: Option<f64>,
    /// 90th percentile latency.
    pub latency_p90_s: Option<f64>,
    /// 99th percentile latency.
    pub latency_p99_s: Option<f64>,
    /// Largest latency.
    pub latency_max_s: Option<f64>,
    /// Encoded bytes put on links, lost ones included, with transport overhead.
    pub bytes_sent_total: u64,
    /// `bytes_sent_total / deliveries` (null with no delivery).
    pub bytes_per_delivery: Option<f64>,
    /// `bytes_sent_total` split by what the bytes carried: each record
    /// kind of the strategy, in its order, then `overhead` (the link's
    /// per-payload bytes) and `mailserver` (store-forward traffic).
    pub bytes_by_record: Counts,
    /// Bytes of mailserver traffic (archive uploads, requests, responses),
    /// included in `bytes_sent_total`.
    pub mailserver_bytes: u64,
    /// Queries sent to store-forward mailservers.
    pub mailserver_requests: u64,
    /// Mailserver queries or responses lost on the way (or whose client or
    /// mailserver went offline first).
    pub mailserver_lost: u64,
    /// Payloads put on links.
    pub payloads_sent: u64,
    /// Payloads lost (link loss, or an endpoint offline before arrival).
    pub payloads_lost: u64,
    /// Extra copies the links made (duplication faults).
    pub payloads_duplicated: u64,
    /// Payloads that reached their receiver.
    pub payloads_received: u64,
    /// Payloads still on the way at the end. Always
    /// `payloads_sent + payloads_duplicated = payloads_received +
    /// payloads_lost + payloads_in_flight`.
    pub payloads_in_flight: u64,
    /// Records sent by kind, in the strategy's order (a kind declared
    /// not `listed_when_zero` appears once used).
    pub records_sent: Counts,
    /// MESSAGE records for messages the receiver already held.
    pub duplicate_messages_received: u64,
    /// Deliveries made before a parent was delivered in a run that
    /// promised causal order (consistent delivery, a strategy that carries
    /// parents): must be 0.
    pub causal_violations: u64,
    /// Deliveries made before one of the message's parents was delivered
    /// at that node, in any run: what a user sees as a reply before its
    /// question. Equals `causal_violations` where causal order was
    /// promised.
    #[serde(default)]
    pub delivered_before_parent: u64,
    /// Deliveries to a non-member, or of a message twice (must be 0).
    pub invalid_deliveries: u64,
    /// Deliveries of messages written by a non-member of the group (must
    /// be 0: receivers reject them).
    pub unauthorized_accepted: u64,
    /// Deliveries made without all parents (after `sync.max_parent_wait_s`).
    pub deliveries_without_parents: u64,
    /// Messages held by no node (nor mailserver) at the end and delivered to
    /// no one.
    pub messages_lost: u64,
    /// Undelivered pairs whose message no node holds at the end: they can
    /// never be delivered.
    pub deliveries_lost: u64,
    /// Node crashes.
    pub crashes: u64,
    /// Bytes of MESSAGE records carrying spam, and the part honest nodes
    /// sent (relayed).
    pub spam_bytes: u64,
    /// Bytes of spam MESSAGE records sent by nodes other than the spammer.
    pub spam_bytes_relayed: u64,
    /// Pairs received before their parents were delivered.
    pub blocked_deliveries: u64,
    /// Mean receipt → delivery wait of blocked pairs that were delivered.
    pub blocked_time_mean_s: Option<f64>,
    /// Pairs received but never deliverable by the end.
    pub undelivered_missing_parents: u64,
    /// With partitions: seconds from the last heal until every online
    /// member has delivered every message written before it (null: never,
    /// or no partition).
    pub convergence_s: Option<f64>,
    /// `bytes_sent_total` split by the role each byte was sent in:
    /// `author`, `member` (relaying or sync control for co-members),
    /// `nonmember`, `store` (see the README for the rule).
    pub bytes_by_role: Counts,
    /// Jain's fairness index of the service members gave (bytes sent in
    /// any role but author): 1 when all served alike, 1/n when one did.
    pub service_fairness: Option<f64>,
    /// Share of `bytes_sent_total` sent by mailservers (role `store`).
    pub store_byte_share: Option<f64>,
    /// Share of `bytes_sent_total` sent by nodes in no group.
    pub nonmember_byte_share: Option<f64>,
    /// Per group, nodes outside it that received or stored one of its
    /// messages: mean over groups.
    pub exposed_nodes_mean: Option<f64>,
    /// The same, max over groups.
    pub exposed_nodes_max: u64,
    /// Per group, nodes outside it that could link an author to it (got a
    /// message from its author, or from anyone when the wire names the
    /// author): mean over groups.
    pub linking_nodes_mean: Option<f64>,
    /// The same, max over groups.
    pub linking_nodes_max: u64,
    /// Fraction of member pairs whose canonical orders of their common
    /// messages agree.
    pub order_agreement: Option<f64>,
    /// Deliveries (and own writes) shown anywhere but last in the
    /// member's canonical order: history changing under the user.
    pub reorders: u64,
    /// `reorders / deliveries`.
    pub reorders_per_delivery: Option<f64>,
    /// Parents per message: mean.
    pub parents_mean: Option<f64>,
    /// Parents per message: max.
    pub parents_max: u64,
    /// Heads (messages no message names as parent yet) of a group's DAG:
    /// max over groups and time.
    pub heads_max: u64,
    /// Heads of a group's DAG, time-weighted mean from its first message
    /// to the end, mean over groups.
    pub heads_mean: Option<f64>,
    /// Longest chain of parents (a message without parents: 1).
    pub dag_depth_max: u64,
    /// Bytes of causal metadata (parents, causal histories, bloom
    /// filters) on the wire, as the strategy's encoding puts them.
    pub causal_bytes: u64,
    /// `causal_bytes / bytes_sent_total`.
    pub causal_byte_share: Option<f64>,
    /// Events the engine processed.
    pub events: u64,
    /// FNV-1a hash of the processed event trace (determinism fingerprint).
    pub trace_hash: String,
    /// FNV-1a hash of the world alone: churn, contacts, partitions and the
    /// messages written (who, when, where, how big). Equal across
    /// strategies for one scenario and seed.
    pub world_hash: String,
}

/// One delivered (message, recipient) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    /// Message id.
    pub message: MsgId,
    /// Group index (`RunReport::group_names` has the names).
    pub group: crate::sim::message::GroupId,
    /// Author.
    pub sender: NodeId,
    /// Recipient.
    pub recipient: NodeId,
    /// Written at.
    pub created: SimTime,
    /// First received at.
    pub received: SimTime,
    /// Delivered to the application at.
    pub delivered: SimTime,
}

/// A due (message, recipient) pair not delivered by the end of the run:
/// the recipient is a member of the message's group other than its author
/// (its group, author and creation time are the message's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndeliveredRow {
    /// Message id.
    pub message: MsgId,
    /// Recipient.
    pub recipient: NodeId,
    /// First received at ([`SimTime::NEVER`]: never received; otherwise it
    /// was received but never deliverable, its parents missing).
    pub received: SimTime,
}

/// One node's row of `nodes.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    /// Node id.
    pub node: NodeId,
    /// `member`, `store` or `nonmember`.
    pub role: &'static str,
    /// Fraction of the run it was online.
    pub online_fraction: f64,
    /// Bytes sent by role, in `bytes_by_role` order.
    pub bytes_sent: [u64; 4],
    /// Bytes that reached it.
    pub bytes_received: u64,
    /// Messages it wrote.
    pub messages_authored: u64,
    /// Due (message, recipient) pairs delivered to it.
    pub deliveries_received: u64,
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// Headline figures.
    pub summary: Summary,
    /// Delivered pairs, by (message, recipient).
    pub deliveries: Vec<DeliveryRow>,
    /// Due pairs not delivered, by (message, recipient); with
    /// `deliveries`, every due pair once (`deliveries_expected` rows).
    pub undelivered: Vec<UndeliveredRow>,
    /// Every message written, in creation order.
    pub messages: Vec<Message>,
    /// Group names, by group index.
    pub group_names: Vec<String>,
    /// The ONE's `MessageStatsReport` figures (`--report one`).
    pub one: super::one::OneStats,
    /// Per node: contribution (`nodes.csv`).
    pub nodes: Vec<NodeRow>,
}

impl RunReport {
    /// `summary.json` text (pretty, stable key order, trailing newline).
    pub fn summary_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.summary).expect("summary serializes");
        s.push('\n');
        s
    }
}

/// What a run is, for the summary's header fields.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Strategy name.
    pub strategy: String,
    /// Seed.
    pub seed: u64,
    /// Nodes.
    pub nodes: u32,
    /// Simulated time.
    pub duration: SimTime,
}
