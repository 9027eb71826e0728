//! MVDS as Status shipped it (`mvds`): status-go's vendored fork
//! (`vendor/github.com/status-im/mvds/node/node.go`) as status-go runs it
//! (`protocol/datasync/`, `protocol/common/message_sender.go`).
//!
//! - **Batch mode**, 300 ms epochs, resends at `epoch + 2^(count-1) · 90 +
//!   uniform(0..30)` epochs (`CalculateSendTime`); the shared machinery is
//!   [`machine`].
//! - **`MaxSendCount` = 15**: a state sent more than 15 times is deleted
//!   (`syncState.Clear(MaxSendCount)` after every epoch): 16 sends, then
//!   never again.
//! - **No parents, no causal blocking.** Status's `Message` has no
//!   `Metadata` ([`status_wire`]): a message is delivered on receipt,
//!   whatever `sync.delivery` says. The chat's DAG still exists at the
//!   application (a new message's parents are the writer's heads), and the
//!   report counts how often a message reaches a user before one of its
//!   parents (`delivered_before_parent`).
//! - **One MVDS group per (sender, recipient) pair** (`ToOneToOneGroupID`;
//!   a group message is sent privately to each member). A received message
//!   is offered to the *other* peers of its MVDS group (`onMessage`), but a
//!   pair group has none: a node never relays, it sends what it wrote (or
//!   was asked for). Public chats do not use MVDS at all.
//! - **Rescheduling when a peer shows up** (`resetPeerEpoch`): a fresh
//!   status update from a peer moves up to 100 of its pending states to
//!   `epoch + uniform(0..60)`. With `transport.presence: known` the node
//!   does it on link-up; with `unknown` a payload from the peer stands in for
//!   its status update (status-go broadcasts one 5 s after start and every
//!   5 minutes, `broadcastLatestUserStatus`): the first payload after 5
//!   minutes of silence resets. Status updates themselves are not simulated
//!   (their bytes are not counted).
//! - An OFFER for a message the node holds is ignored, not acked
//!   (`onOffer`); in pair groups nobody offers anyway.
//!
//! Imports `sim/` and `node/` only.

pub mod machine;
pub mod payload;
pub mod resend;
pub mod status_wire;
pub mod vac;
pub mod vac_wire;

#[cfg(test)]
mod tests;

use self::machine::{Kind, Machine, Schedule};
use self::status_wire::Payload;
use super::store::{DeliveryMode, Store};
use super::strategy::{Capabilities, ConfigError, NodeContext, RecordKind, Strategy};
use super::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use rand_chacha::ChaCha8Rng;

/// status-go's `MaxSendCount`.
pub const MAX_SEND_COUNT: u32 = 15;
/// status-go's `BatchResetEpochMessages`: states moved per reset.
pub const RESET_LIMIT: usize = 100;
/// `resetPeerEpoch` moves a state to `epoch + rand.Intn(60)`.
pub const RESET_SPREAD_EPOCHS: u64 = 60;
/// How often a Status client broadcasts its status update (5 minutes).
pub const STATUS_UPDATE_PERIOD: SimTime = SimTime(300_000_000);

/// A Status MVDS node.
#[derive(Debug)]
pub struct MvdsNode {
    sync: Machine,
    store: Store,
    /// `transport.presence: known`.
    peers_visible: bool,
    /// Per peer: when a payload from it last arrived (presence unknown).
    heard: Vec<Option<SimTime>>,
}

impl MvdsNode {
    /// A node `me` in `groups`; `peers_visible` as in [`NodeContext`].
    pub fn new(
        me: NodeId,
        groups: &[(GroupId, Members)],
        peers_visible: bool,
        rng: ChaCha8Rng,
    ) -> Self {
        let sync = Machine::new(me, groups, Schedule::status(Some(MAX_SEND_COUNT)), rng);
        let peers = sync.peer_count();
        MvdsNode {
            sync,
            store: Store::new(DeliveryMode::Eventual, groups),
            peers_visible,
            heard: vec![None; peers],
        }
    }

    fn rearm(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.sync.rearm(now, self.store.next_expiry(), out);
    }

    /// The peer `i` was seen online at `now`: `resetPeerEpoch`.
    fn peer_online(&mut self, now: SimTime, i: usize) {
        self.sync
            .reset_peer(now, i, RESET_LIMIT, RESET_SPREAD_EPOCHS);
    }

    /// A payload from `i` arrived: with presence unknown, the first one
    /// after a status-update period of silence shows the peer online.
    fn heard_from(&mut self, now: SimTime, i: usize) {
        if self.peers_visible {
            return;
        }
        let last = self.heard[i].replace(now);
        if last.is_none_or(|t| now >= t + STATUS_UPDATE_PERIOD) {
            self.peer_online(now, i);
        }
    }

    fn on_messages(
        &mut self,
        now: SimTime,
        i: usize,
        msgs: Vec<MessageRef>,
        out: &mut Outbox<Payload>,
    ) {
        for msg in msgs {
            if !self.store.authorized(&msg) {
                continue;
            }
            let m = msg.id;
            self.sync.remove(i, m);
            self.sync.insert(now, i, m, Kind::Ack);
            for d in self.store.receive(now, msg) {
                out.delivered(&d);
            }
        }
    }
}

impl Node<Payload> for MvdsNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(i) = self.sync.peer(peer) {
            self.sync.set_connected(i, true);
            if self.peers_visible {
                self.peer_online(now, i);
            }
            self.rearm(now, out);
        }
    }

    fn handle_link_down(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(i) = self.sync.peer(peer) {
            self.sync.set_connected(i, false);
            self.rearm(now, out);
        }
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        p: Payload,
        out: &mut Outbox<Payload>,
    ) {
        let Some(i) = self.sync.peer(from) else {
            return;
        };
        self.heard_from(now, i);
        // `onPayload`'s order: acks, requests, offers, messages.
        let control = [&p.acks[..], &p.requests[..], &p.offers[..]];
        self.sync.on_control(now, i, control, &self.store);
        self.on_messages(now, i, p.messages, out);
        self.rearm(now, out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for d in self.store.expire(now) {
            out.delivered(&d);
        }
        self.sync.send_due(now, &self.store, out);
        self.rearm(now, out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        for k in 0..self.sync.group_peers(msg.group).len() {
            let i = self.sync.group_peers(msg.group)[k];
            self.sync.insert(now, i, msg.id, Kind::Message);
        }
        self.rearm(now, out);
    }
}

/// `strategy_config.mvds`: only the resend schedule, Status's by default.
#[derive(
    Clone, Copy, Debug, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct MvdsConfig {
    /// `{"schedule": "exponential"}` (default, status-go's backoff) or
    /// `{"schedule": "fixed", "interval_s": S}` (no backoff: a
    /// configuration Status does not run).
    #[serde(default, skip_serializing_if = "resend::Resend::is_exponential")]
    pub resend: resend::Resend,
}

/// Status's MVDS as a strategy (`mvds`): Status's schedule (its resend
/// intervals a parameter, `strategy_config.mvds.resend`).
#[derive(Clone, Copy, Debug)]
pub struct Mvds;

impl Strategy for Mvds {
    type Payload = Payload;
    type Config = MvdsConfig;

    fn name(&self) -> &str {
        "mvds"
    }
    fn about(&self) -> &str {
        "Status's production MVDS (status-go's vendored fork, on its wire): batch, 300 ms epochs, one payload per peer per epoch, resend at `epoch + 2^(count-1)·90 + uniform(0..30)` epochs, state deleted after 15 resends, up to 100 pending states rescheduled to `epoch + uniform(0..60)` when the peer shows up; no parents, so it delivers on receipt (`sync.delivery` does not apply); Status runs one MVDS group per (sender, recipient) pair, so a node sends only what it wrote (or was asked for) and never relays; public chats do not use MVDS in Status"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        payload::KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = status_wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            carries_parents: false,
            // State is deleted after MaxSendCount sends.
            eventual_delivery: false,
            // Status's `Message { group_id, timestamp, body }`: no author
            // id on the wire (the transport names the peer, see
            // `linking_nodes_*`).
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn validate(&self, config: &MvdsConfig) -> Result<(), ConfigError> {
        config.resend.validate("resend")
    }
    fn build(&self, cfg: &MvdsConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let mut node = MvdsNode::new(
            ctx.me,
            ctx.groups,
            ctx.presence_known,
            stream(ctx.seed, "node", u64::from(ctx.me)),
        );
        node.sync
            .set_schedule(Schedule::status(Some(MAX_SEND_COUNT)).with_resend(cfg.resend));
        Box::new(node)
    }
}
