//! Epidemic routing as The ONE's `EpidemicRouter` does it, for comparison
//! with the DTN literature.
//!
//! Every node relays every message, members or not; there are no ACKs. When a
//! contact comes up both ends send a summary vector (the ids they hold); each
//! then sends every message the other lacks. Messages that arrive or are
//! written during a contact go to connected peers that lack them. A node
//! delivers to its application only messages of its own groups (causally,
//! through the store); the others it only carries.
//!
//! **What a node believes a peer holds.** A peer holds a message when a
//! summary vector it sent during the current contact lists it, or when it
//! sent us the message: never because we sent it (The ONE's
//! `ActiveRouter` asks the receiving router, which refuses only messages it
//! really has). Summaries add to what the contact's first one said (a
//! store-forward mailserver may replay an older one); a new contact starts
//! from nothing, so a peer that restarted empty is served again. Messages
//! sent since the peer's latest summary are not sent again until its next
//! one: a message that did not arrive (lost on the link, in a partition,
//! or when the contact or a node went down) is still missing from that
//! summary, so it goes again at the next exchange.
//!
//! **Who sends a summary when.** Each end sends its summary when told the
//! link is up, and answers a peer's summary with its own unless the peer
//! should already have ours: one we sent it since its previous summary,
//! while we knew it reachable. With `transport.presence: known` a link-up
//! means the peer is reachable, so the summaries sent then cross and
//! neither end answers (two summaries a contact, as before). With
//! `presence: unknown` the engine tells a node `link_up` for every peer
//! when the node itself comes online, whether the peer is online or not
//! (`engine/links.rs`); a summary sent before anything was heard from the
//! peer may have gone nowhere. So the node that came online first, whose
//! summary was lost, answers the newcomer's summary, and the newcomer,
//! whose own summary was sent blind too, answers that once; then both
//! hold the other's summary and send what it lacks, new messages included.
//!
//! **Buffers.** With `buffer_bytes` and `ttl_s` a node's buffer drops the
//! message received longest ago when full, and messages past their TTL
//! (`node/util/relay_buffer.rs`, after The ONE's `ActiveRouter`); each
//! drop is reported (`dropped` in `--report one`). A peer may then have
//! dropped what its summary listed, so each summary replaces what the
//! peer's earlier ones said, and a message the peer dropped is offered
//! again after its next summary (without limits summaries only add).
//! The ONE's router, which asks the receiver before each transfer, offers
//! it again at once; a short `anti_entropy_s` comes close to that.
//!
//! **Anti-entropy.** While a link stays up, a node sends each peer its
//! summary again `anti_entropy_s` after the last one it sent that peer
//! (default 300 s, the `antiEntropyInterval` of OPS's epidemic layer,
//! ComNets-Bremen/OPS `src/KEpidemicRoutingLayer.ned`), and the exchange
//! above follows. So a partition the nodes cannot see (the engine drops
//! payloads across it without telling anyone) or a lossy link strands
//! nothing for longer than one interval after it heals. The same round
//! repairs a summary the link lost (nothing answers it: the other end
//! cannot tell it from crossing summaries). A message still on its way
//! when the peer's next summary leaves goes twice; the report counts the
//! second copy in `duplicate_messages_received`.

use super::store::{Delivery, Store};
use super::strategy::{
    positive_seconds, Capabilities, ConfigError, NodeContext, RecordKind, Strategy,
};
use super::util::relay_buffer::{Gone, Limits, RelayBuffer};
use super::wire::MVDS_KINDS;
use super::{Node, Outbox};
use crate::node::wire::Payload;
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct Peer {
    connected: bool,
    /// Something arrived from it since the link came up (evidence it is
    /// online, which `presence: unknown` does not give).
    heard: bool,
    /// Our summary goes out at the next flush.
    summary_due: bool,
    /// The peer should have our summary: we sent it one since its last
    /// summary arrived, while we knew it reachable (so its next summary
    /// needs no answer).
    summary_out: bool,
    /// Its summary arrived during this contact: we know what it lacks.
    summary_received: bool,
    /// When our next anti-entropy summary to it is due.
    next_round: SimTime,
    /// Messages this peer holds (its summaries during this contact, and
    /// what it sent us), as a bitset over dense message ids.
    known: FixedBitSet,
    /// Messages sent to it since its latest summary (not sent twice in one
    /// exchange; a lost one goes again after its next summary).
    sent: FixedBitSet,
    /// Messages to send it at the next flush.
    pending: BTreeSet<MsgId>,
}

impl Peer {
    fn offer(&mut self, id: MsgId) {
        if self.connected && self.summary_received && !self.covered(id) {
            self.pending.insert(id);
        }
    }

    /// True when the peer holds `id` or we sent it in this exchange.
    fn covered(&self, id: MsgId) -> bool {
        self.known.contains(id as usize) || self.sent.contains(id as usize)
    }

    /// Records that the peer holds `id`.
    fn learn(&mut self, id: MsgId) {
        put(&mut self.known, id);
    }

    /// The peer's summary: it holds these too (only these, when peers'
    /// buffers `forget`), and a new exchange starts.
    fn take_summary(&mut self, summary: &[MsgId], forget: bool) {
        self.sent.clear();
        if forget {
            self.known.clear();
        }
        for &id in summary {
            put(&mut self.known, id);
        }
        self.summary_received = true;
    }
}

/// Sets bit `id`, growing the set; true if it was not set.
fn put(bits: &mut FixedBitSet, id: MsgId) -> bool {
    let i = id as usize;
    if i >= bits.len() {
        bits.grow((i + 1).next_power_of_two());
    }
    !bits.put(i)
}

/// What an epidemic node is told besides its groups.
#[derive(Clone, Copy, Debug)]
pub struct EpidemicConfig {
    /// When received messages reach the application.
    pub delivery: Delivery,
    /// True when a link-up means the peer is reachable (`presence:
    /// known`); false when it only means this node came online.
    pub presence_known: bool,
    /// Time between two summaries to a connected peer.
    pub anti_entropy: SimTime,
    /// Buffer size and TTL (The ONE's `bufferSize`, `msgTtl`).
    pub limits: Limits,
}

/// An epidemic router.
#[derive(Debug)]
pub struct EpidemicNode {
    groups: BTreeSet<GroupId>,
    store: Store,
    /// Buffers have a size limit or a TTL, so a peer may drop what its
    /// last summary listed.
    forgetful: bool,
    /// Every message carried, members' or not.
    buffer: RelayBuffer,
    peers: BTreeMap<NodeId, Peer>,
    flush_pending: bool,
    presence_known: bool,
    anti_entropy: SimTime,
}

impl EpidemicNode {
    /// A node that is a member of `groups` (it relays for everyone).
    pub fn new(groups: &[(GroupId, Members)], cfg: EpidemicConfig) -> Self {
        EpidemicNode {
            groups: groups.iter().map(|(g, _)| *g).collect(),
            store: Store::new(cfg.delivery, groups),
            buffer: RelayBuffer::new(cfg.limits),
            forgetful: cfg.limits.bytes.is_some() || cfg.limits.ttl.is_some(),
            peers: BTreeMap::new(),
            flush_pending: false,
            presence_known: cfg.presence_known,
            anti_entropy: cfg.anti_entropy,
        }
    }

    fn request_flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if !self.flush_pending {
            self.flush_pending = true;
            out.set_timer(now);
        }
    }

    /// What goes to peer `p` at a flush at `now`.
    fn payload_for(&self, now: SimTime, p: &mut Peer) -> Payload {
        let mut payload = Payload::default();
        if p.summary_due {
            payload.summary = Some(self.buffer.ids().to_vec());
            p.summary_due = false;
            p.summary_out = self.presence_known || p.heard;
            p.next_round = now + self.anti_entropy;
        }
        for id in std::mem::take(&mut p.pending) {
            if !p.known.contains(id as usize) && put(&mut p.sent, id) {
                let msg = self.buffer.get(id).expect("only held ids are pending");
                if !self.buffer.expired(msg, now) {
                    payload.messages.push(msg.clone());
                }
            }
        }
        payload
    }

    /// A message joins the buffer (unless it cannot: expired, too big):
    /// queue it for connected peers lacking it.
    fn carry(&mut self, now: SimTime, msg: MessageRef, own: bool, out: &mut Outbox<Payload>) {
        let id = msg.id;
        let (taken, gone) = self.buffer.insert(msg, now, own);
        self.let_go(gone, out);
        if taken {
            for p in self.peers.values_mut() {
                p.offer(id);
            }
        }
    }

    /// Messages the buffer dropped: no longer offered to anyone.
    fn let_go(&mut self, gone: Vec<Gone>, out: &mut Outbox<Payload>) {
        for (msg, since) in gone {
            for p in self.peers.values_mut() {
                p.pending.remove(&msg.id);
            }
            out.dropped(msg.id, since);
        }
    }

    /// The buffer's TTL check, when due.
    fn check_ttl(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        let gone = self.buffer.check_ttl(now);
        self.let_go(gone, out);
    }
}

impl Node<Payload> for EpidemicNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        let p = self.peers.entry(peer).or_default();
        p.connected = true;
        p.heard = false;
        p.summary_due = true;
        p.summary_out = false;
        p.summary_received = false;
        p.pending.clear();
        p.sent.clear();
        p.known.clear();
        self.request_flush(now, out);
    }

    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, _out: &mut Outbox<Payload>) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.connected = false;
        }
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        let p = self.peers.entry(from).or_default();
        p.heard = true;
        if let Some(summary) = &payload.summary {
            p.take_summary(summary, self.forgetful);
            // Answer unless the peer should have ours already.
            p.summary_due |= p.connected && !p.summary_out;
            p.summary_out = false;
        }
        for m in &payload.messages {
            p.learn(m.id);
        }
        if payload.summary.is_some() {
            for &id in self.buffer.ids() {
                p.offer(id);
            }
        }
        for msg in payload.messages {
            if self.holds(msg.id) {
                continue;
            }
            self.carry(now, msg.clone(), false, out);
            if self.groups.contains(&msg.group) {
                for d in self.store.receive(now, msg) {
                    out.delivered(&d);
                }
            }
        }
        self.request_flush(now, out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.flush_pending = false;
        for d in self.store.expire(now) {
            out.delivered(&d);
        }
        self.check_ttl(now, out);
        let mut peers = std::mem::take(&mut self.peers);
        let mut wake = self.store.next_expiry().unwrap_or(SimTime::NEVER);
        wake = wake.min(self.buffer.next_check().unwrap_or(SimTime::NEVER));
        for (&id, p) in peers.iter_mut().filter(|(_, p)| p.connected) {
            p.summary_due |= p.next_round <= now;
            if p.summary_due || !p.pending.is_empty() {
                out.send(id, self.payload_for(now, p));
            }
            wake = wake.min(p.next_round);
        }
        self.peers = peers;
        out.set_timer(wake);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.buffer.contains(m) || self.store.holds(m)
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        self.carry(now, msg, true, out);
        self.request_flush(now, out);
    }
}

/// The `epidemic` section of `strategy_config`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpidemicParams {
    /// Seconds between two summary-vector exchanges with a peer while the
    /// link stays up (default 300, OPS's `antiEntropyInterval`).
    #[serde(default = "EpidemicParams::default_anti_entropy_s")]
    #[schemars(range(min = MIN_ANTI_ENTROPY_S))]
    pub anti_entropy_s: f64,
    /// Bytes of message bodies a node's buffer holds (The ONE's
    /// `Group.bufferSize`); default unlimited.
    #[serde(default)]
    pub buffer_bytes: Option<u64>,
    /// What a full buffer lets go of: `drop-oldest` (the message received
    /// longest ago, The ONE's `ActiveRouter`), the only policy.
    #[serde(default = "EpidemicParams::default_drop_policy")]
    pub drop_policy: String,
    /// Seconds a message lives after it was written (The ONE's `msgTtl`,
    /// in minutes there: see `node/util/relay_buffer.rs`); default for
    /// ever.
    #[serde(default)]
    pub ttl_s: Option<f64>,
}

impl EpidemicParams {
    fn default_anti_entropy_s() -> f64 {
        300.0
    }
    fn default_drop_policy() -> String {
        "drop-oldest".into()
    }
}

/// Shortest anti-entropy interval accepted, seconds.
pub const MIN_ANTI_ENTROPY_S: f64 = 1.0;

/// The ONE's epidemic router, with OPS's periodic anti-entropy, as a
/// strategy (`epidemic`).
#[derive(Clone, Copy, Debug)]
pub struct Epidemic;

impl Strategy for Epidemic {
    type Payload = Payload;
    type Config = EpidemicParams;

    fn name(&self) -> &str {
        "epidemic"
    }
    fn about(&self) -> &str {
        "The ONE's epidemic router: on contact, and every anti_entropy_s while connected (default 300 s, as OPS), exchange summary vectors, then send every message the peer lacks; every node relays, members or not; no ACKs"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = crate::node::wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            relays_everything: true,
            // MVDS-2019 `Message { group_id, timestamp, body, metadata }`:
            // the group id travels, the author's id does not.
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn validate(&self, c: &EpidemicParams) -> Result<(), ConfigError> {
        positive_seconds("anti_entropy_s", c.anti_entropy_s)?;
        if let Some(ttl) = c.ttl_s {
            positive_seconds("ttl_s", ttl)?;
        }
        if c.buffer_bytes == Some(0) {
            return Err(ConfigError::at(
                "buffer_bytes",
                "expected at least 1 byte (omit it for no limit)",
            ));
        }
        if c.drop_policy != "drop-oldest" {
            return Err(ConfigError::at(
                "drop_policy",
                format!("expected \"drop-oldest\", got {:?}", c.drop_policy),
            ));
        }
        // Each round sends every connected peer every id held: a shorter
        // interval floods the engine (1 µs: ~10^9 rounds a run).
        if c.anti_entropy_s < MIN_ANTI_ENTROPY_S {
            return Err(ConfigError::at(
                "anti_entropy_s",
                format!(
                    "expected at least {MIN_ANTI_ENTROPY_S} s between summary exchanges, got {}",
                    c.anti_entropy_s
                ),
            ));
        }
        Ok(())
    }
    fn build(&self, c: &EpidemicParams, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let cfg = EpidemicConfig {
            delivery: ctx.delivery,
            presence_known: ctx.presence_known,
            anti_entropy: SimTime::from_secs_f64(c.anti_entropy_s),
            limits: Limits {
                bytes: c.buffer_bytes,
                ttl: c.ttl_s.map(SimTime::from_secs_f64),
            },
        };
        Box::new(EpidemicNode::new(ctx.groups, cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Command;
    use crate::sim::message::test_message;

    fn config(presence_known: bool) -> EpidemicConfig {
        EpidemicConfig {
            delivery: crate::node::store::DeliveryMode::Consistent.into(),
            presence_known,
            anti_entropy: SimTime::from_secs(300),
            limits: Limits::default(),
        }
    }

    fn known() -> EpidemicConfig {
        config(true)
    }

    fn sends(out: &mut Outbox<Payload>) -> Vec<(NodeId, Payload)> {
        out.drain()
            .filter_map(|c| match c {
                Command::Send { to, payload } => Some((to, payload)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn summary_then_missing_messages() {
        let mut a = EpidemicNode::new(&[], known());
        let mut b = EpidemicNode::new(&[(0, vec![1, 2].into())], known());
        let mut out = Outbox::new();
        let m = test_message(4, 2, SimTime::ZERO, &[]);
        // `a` carries a message of a group it is not in.
        a.handle_payload(
            SimTime(0),
            9,
            Payload {
                messages: vec![m],
                ..Payload::default()
            },
            &mut out,
        );
        assert!(
            out.drain().all(|c| !matches!(c, Command::Deliver { .. })),
            "relays do not deliver"
        );
        a.handle_link_up(SimTime(1), 1, &mut out);
        b.handle_link_up(SimTime(1), 0, &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(1), &mut out);
        let sa = sends(&mut out);
        assert_eq!(sa[0].1.summary, Some(vec![4]));
        assert!(
            sa[0].1.messages.is_empty(),
            "nothing before the peer's summary"
        );
        b.handle_timeout(SimTime(1), &mut out);
        let sb = sends(&mut out);
        assert_eq!(
            sb[0].1.summary,
            Some(vec![]),
            "an empty summary is still sent"
        );
        assert!(sb[0].1.messages.is_empty());
        a.handle_payload(SimTime(1), 1, sb[0].1.clone(), &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(1), &mut out);
        let sa = sends(&mut out);
        assert_eq!(sa[0].1.messages.len(), 1);
        b.handle_payload(SimTime(1), 0, sa[0].1.clone(), &mut out);
        assert!(out.drain().any(|c| c == Command::Deliver { msg: 4 }));
    }

    /// `a` holds message 4 (a relay's); `a` and `b` (members) are linked
    /// and have swapped summaries; returns `a`'s payload to `b`.
    fn linked_pair(out: &mut Outbox<Payload>) -> (EpidemicNode, EpidemicNode, Payload) {
        let mut a = EpidemicNode::new(&[], known());
        let mut b = EpidemicNode::new(&[(0, vec![1, 2].into())], known());
        a.append(SimTime(0), test_message(4, 2, SimTime::ZERO, &[]), out);
        a.handle_link_up(SimTime(1), 1, out);
        b.handle_link_up(SimTime(1), 0, out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(1), out);
        let sa = sends(out);
        b.handle_timeout(SimTime(1), out);
        let sb = sends(out);
        b.handle_payload(SimTime(2), 0, sa[0].1.clone(), out);
        a.handle_payload(SimTime(2), 1, sb[0].1.clone(), out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(2), out);
        let sa = sends(out);
        assert_eq!(sa[0].1.messages.len(), 1, "the message `b` lacks");
        (a, b, sa[0].1.clone())
    }

    #[test]
    fn sending_does_not_mark_the_peer_as_holding() {
        let mut out = Outbox::new();
        // The message is lost on the way; the contact goes down and up.
        let (mut a, mut b, _lost) = linked_pair(&mut out);
        a.handle_link_down(SimTime(3), 1, &mut out);
        b.handle_link_down(SimTime(3), 0, &mut out);
        a.handle_link_up(SimTime(10), 1, &mut out);
        b.handle_link_up(SimTime(10), 0, &mut out);
        let _ = out.drain().count();
        b.handle_timeout(SimTime(10), &mut out);
        let sb = sends(&mut out);
        assert_eq!(sb[0].1.summary, Some(vec![]), "b still lacks it");
        a.handle_payload(SimTime(11), 1, sb[0].1.clone(), &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(11), &mut out);
        let sa = sends(&mut out);
        let resent: Vec<MsgId> = sa
            .iter()
            .flat_map(|(_, p)| p.messages.iter().map(|m| m.id))
            .collect();
        assert_eq!(resent, vec![4], "resent at the next exchange");
    }

    #[test]
    fn a_message_goes_once_per_exchange() {
        let mut out = Outbox::new();
        let (mut a, _b, _) = linked_pair(&mut out);
        // Another copy reaches `a` from elsewhere: not sent again to `b`
        // before `b`'s next summary.
        a.handle_payload(
            SimTime(3),
            9,
            Payload {
                messages: vec![test_message(4, 2, SimTime::ZERO, &[])],
                ..Payload::default()
            },
            &mut out,
        );
        let _ = out.drain().count();
        a.handle_timeout(SimTime(3), &mut out);
        assert!(sends(&mut out).iter().all(|(to, _)| *to != 1));
    }

    #[test]
    fn a_peer_holds_what_it_sent_us() {
        let mut out = Outbox::new();
        let (mut a, _b, _) = linked_pair(&mut out);
        // `b` sends `a` message 5: `a` must not send it back.
        let m5 = test_message(5, 1, SimTime(2), &[]);
        a.handle_payload(
            SimTime(3),
            1,
            Payload {
                messages: vec![m5],
                ..Payload::default()
            },
            &mut out,
        );
        let _ = out.drain().count();
        a.handle_timeout(SimTime(3), &mut out);
        assert!(sends(&mut out).iter().all(|(to, _)| *to != 1));
    }

    fn summaries(sent: &[(NodeId, Payload)]) -> usize {
        sent.iter().filter(|(_, p)| p.summary.is_some()).count()
    }

    #[test]
    fn crossing_summaries_under_known_presence_are_not_answered() {
        let mut out = Outbox::new();
        let mut a = EpidemicNode::new(&[], known());
        let mut b = EpidemicNode::new(&[], known());
        a.handle_link_up(SimTime(1), 1, &mut out);
        b.handle_link_up(SimTime(1), 0, &mut out);
        a.handle_timeout(SimTime(1), &mut out);
        let sa = sends(&mut out);
        b.handle_timeout(SimTime(1), &mut out);
        let sb = sends(&mut out);
        a.handle_payload(SimTime(2), 1, sb[0].1.clone(), &mut out);
        b.handle_payload(SimTime(2), 0, sa[0].1.clone(), &mut out);
        a.handle_timeout(SimTime(2), &mut out);
        b.handle_timeout(SimTime(2), &mut out);
        assert_eq!(summaries(&sends(&mut out)), 0);
    }

    #[test]
    fn unknown_presence_answers_the_summary_of_a_peer_that_came_online_later() {
        let mut out = Outbox::new();
        let mut a = EpidemicNode::new(&[(0, vec![0, 1].into())], config(false));
        let mut b = EpidemicNode::new(&[(0, vec![0, 1].into())], config(false));
        // `a` comes online first: its summary goes nowhere.
        a.handle_link_up(SimTime(0), 1, &mut out);
        a.handle_timeout(SimTime(0), &mut out);
        assert_eq!(summaries(&sends(&mut out)), 1);
        // `b` comes online at 50 s; its summary reaches `a`, which answers.
        b.handle_link_up(SimTime::from_secs(50), 0, &mut out);
        b.handle_timeout(SimTime::from_secs(50), &mut out);
        let sb = sends(&mut out);
        a.handle_payload(SimTime::from_secs(51), 1, sb[0].1.clone(), &mut out);
        a.handle_timeout(SimTime::from_secs(51), &mut out);
        let sa = sends(&mut out);
        assert_eq!(summaries(&sa), 1, "a answers");
        // `b`'s own summary was sent blind: it answers once, then no more.
        b.handle_payload(SimTime::from_secs(52), 0, sa[0].1.clone(), &mut out);
        b.handle_timeout(SimTime::from_secs(52), &mut out);
        let sb = sends(&mut out);
        assert_eq!(summaries(&sb), 1, "b answers once");
        a.handle_payload(SimTime::from_secs(53), 1, sb[0].1.clone(), &mut out);
        a.handle_timeout(SimTime::from_secs(53), &mut out);
        assert_eq!(summaries(&sends(&mut out)), 0, "no ping-pong");
        // Now `b` knows what `a` lacks: its new message goes at once.
        b.append(
            SimTime::from_secs(60),
            test_message(7, 1, SimTime::from_secs(60), &[]),
            &mut out,
        );
        b.handle_timeout(SimTime::from_secs(60), &mut out);
        let sb = sends(&mut out);
        assert_eq!(sb[0].1.messages.len(), 1);
        a.handle_payload(SimTime::from_secs(61), 1, sb[0].1.clone(), &mut out);
        assert!(out.drain().any(|c| c == Command::Deliver { msg: 7 }));
    }

    #[test]
    fn anti_entropy_sends_the_summary_again_every_interval() {
        let mut out = Outbox::new();
        let (mut a, _b, _lost) = linked_pair(&mut out);
        let interval = SimTime::from_secs(300);
        a.handle_timeout(SimTime(3), &mut out);
        let timers: Vec<SimTime> = out
            .drain()
            .filter_map(|c| match c {
                Command::SetTimer { at } => Some(at),
                _ => None,
            })
            .collect();
        assert_eq!(timers.last(), Some(&(SimTime(1) + interval)), "next round");
        a.handle_timeout(SimTime(1) + interval, &mut out);
        let sa = sends(&mut out);
        assert_eq!(summaries(&sa), 1);
        // `b`'s summary of the new round still lacks the lost message.
        a.handle_payload(
            SimTime(2) + interval,
            1,
            Payload {
                summary: Some(vec![]),
                ..Payload::default()
            },
            &mut out,
        );
        a.handle_timeout(SimTime(2) + interval, &mut out);
        let sa = sends(&mut out);
        assert_eq!(summaries(&sa), 0, "a round a sent is not answered");
        assert_eq!(sa[0].1.messages.len(), 1, "the lost message goes again");
    }

    #[test]
    fn anti_entropy_interval_must_be_a_positive_duration() {
        use crate::node::strategy::parse_config;
        let parse = |v: serde_json::Value| parse_config(&Epidemic, Some(&v));
        assert_eq!(parse(serde_json::json!({})).unwrap().anti_entropy_s, 300.0);
        for bad in [0.0, -1.0, 1e-7] {
            let e = parse(serde_json::json!({ "anti_entropy_s": bad })).unwrap_err();
            assert_eq!(e.path, "anti_entropy_s", "{bad}");
        }
        let e = parse(serde_json::json!({ "anti_entropy": 5 })).unwrap_err();
        assert!(e.message.contains("unknown field"), "{e}");
    }

    fn limited(bytes: Option<u64>, ttl_s: Option<u64>) -> EpidemicConfig {
        EpidemicConfig {
            limits: Limits {
                bytes,
                ttl: ttl_s.map(SimTime::from_secs),
            },
            ..known()
        }
    }

    fn carrying(ids: &[MsgId], created: SimTime) -> Payload {
        Payload {
            messages: ids
                .iter()
                .map(|&id| test_message(id, 9, created, &[]))
                .collect(),
            ..Payload::default()
        }
    }

    fn dropped(out: &mut Outbox<Payload>) -> Vec<MsgId> {
        out.drain()
            .filter_map(|c| match c {
                Command::Dropped { msg, .. } => Some(msg),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_says_so() {
        // test_message bodies are small; room for two of them.
        let body = u64::from(test_message(0, 9, SimTime::ZERO, &[]).body_len);
        let mut a = EpidemicNode::new(&[], limited(Some(2 * body), None));
        let mut out = Outbox::new();
        a.handle_payload(SimTime(1), 9, carrying(&[5], SimTime::ZERO), &mut out);
        a.handle_payload(SimTime(2), 9, carrying(&[3], SimTime::ZERO), &mut out);
        assert!(dropped(&mut out).is_empty());
        a.handle_payload(SimTime(3), 9, carrying(&[4], SimTime::ZERO), &mut out);
        assert_eq!(dropped(&mut out), vec![5], "the one received first");
        assert!(!a.holds(5) && a.holds(3) && a.holds(4));
        // Its summary no longer lists it, so a peer would send it again.
        a.handle_link_up(SimTime(4), 1, &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(4), &mut out);
        assert_eq!(sends(&mut out)[0].1.summary, Some(vec![3, 4]));
    }

    #[test]
    fn expired_messages_are_dropped_and_not_taken_in() {
        let mut a = EpidemicNode::new(&[], limited(None, Some(100)));
        let mut out = Outbox::new();
        a.handle_payload(
            SimTime::from_secs(10),
            9,
            carrying(&[1], SimTime::ZERO),
            &mut out,
        );
        a.handle_timeout(SimTime::from_secs(10), &mut out);
        assert!(dropped(&mut out).is_empty());
        a.handle_timeout(SimTime::from_secs(120), &mut out);
        assert_eq!(dropped(&mut out), vec![1]);
        // Written at 0, arriving at 150 s: past its TTL, a relay refuses it.
        a.handle_payload(
            SimTime::from_secs(150),
            9,
            carrying(&[2], SimTime::ZERO),
            &mut out,
        );
        assert!(!a.holds(2));
    }

    #[test]
    fn with_limits_a_new_summary_replaces_the_old() {
        let body = u64::from(test_message(0, 9, SimTime::ZERO, &[]).body_len);
        let mut a = EpidemicNode::new(&[], limited(Some(10 * body), None));
        let mut out = Outbox::new();
        a.handle_payload(SimTime(1), 9, carrying(&[4], SimTime::ZERO), &mut out);
        a.handle_link_up(SimTime(2), 1, &mut out);
        let summary = |ids: Vec<MsgId>| Payload {
            summary: Some(ids),
            ..Payload::default()
        };
        // The peer holds 4: nothing to send.
        a.handle_payload(SimTime(3), 1, summary(vec![4]), &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(3), &mut out);
        assert!(sends(&mut out).iter().all(|(_, p)| p.messages.is_empty()));
        // It dropped 4 since: its next summary says so, and 4 goes again.
        a.handle_payload(SimTime(4), 1, summary(vec![]), &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(4), &mut out);
        let s = sends(&mut out);
        assert_eq!(s[0].1.messages.len(), 1);
        assert_eq!(s[0].1.messages[0].id, 4);
    }

    #[test]
    fn buffer_settings_are_checked() {
        use crate::node::strategy::parse_config;
        let parse = |v: serde_json::Value| parse_config(&Epidemic, Some(&v));
        let e = parse(serde_json::json!({ "drop_policy": "random" })).unwrap_err();
        assert_eq!(e.path, "drop_policy");
        let e = parse(serde_json::json!({ "buffer_bytes": 0 })).unwrap_err();
        assert_eq!(e.path, "buffer_bytes");
        let e = parse(serde_json::json!({ "ttl_s": 0 })).unwrap_err();
        assert_eq!(e.path, "ttl_s");
        let c = parse(serde_json::json!({ "buffer_bytes": 200000, "ttl_s": 10740 })).unwrap();
        assert_eq!((c.buffer_bytes, c.ttl_s), (Some(200000), Some(10740.0)));
    }
}
