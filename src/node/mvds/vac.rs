//! The Vac reference MVDS node (`mvds-vac`): vacp2p/mvds `node/node.go`.
//!
//! - **Relays to its group** (`broadcastToGroup`): a message the node
//!   writes, or receives, is filed for every other peer of its group — as
//!   a MESSAGE in batch mode, as an OFFER in interactive mode.
//! - **Modes** (`strategy_config.mvds-vac.mode`): `batch` (default) or
//!   `interactive`. The reference has no default (`NewNode` takes the mode;
//!   its demo `main.go` mixes both); batch is the mode its one deployment,
//!   Status, runs (`datasyncnode.BATCH` in status-go). In interactive mode
//!   an OFFER for a message the node lacks is answered with a REQUEST, a
//!   REQUEST with the MESSAGE; an OFFER for a message it holds is ignored,
//!   not acked (`onOffer`: "@todo maybe ack?").
//! - **Parents on the wire** (`Metadata { parents = 1; ephemeral = 2 }`,
//!   [`super::mvds::vac_wire`]); a received message's parents the node lacks
//!   are REQUESTed from its sender (`resolveEventually` /
//!   `resolveConsistently`). Whether the application sees a message before
//!   its parents is the client's choice: `sync.delivery`.
//! - Resends: the reference takes `nextEpoch` from its caller; meshsync
//!   uses the only one in production, Status's (`epoch + 2^(count-1) · 90 +
//!   uniform(0..30)` epochs of 300 ms). No `MaxSendCount`: states stay until
//!   acknowledged. No rescheduling on presence (that is Status's fork).
//!
//! One departure from the reference, on purpose: it calls
//! `broadcastToGroup` on *every* receipt of a message, duplicates included,
//! so in a group of three or more a message would circulate for ever (each
//! duplicate files it again for every other peer, and the ACK that removes
//! a state never stops the next duplicate). meshsync relays a message once,
//! on its first receipt. The shared machinery (states, epochs, resends) is
//! [`super::mvds::machine`].
//!
//! Imports `sim/` and `node/` only.

use super::machine::{Kind, Machine, Schedule};
use super::payload::KINDS;
use super::resend::Resend;
use super::vac_wire::Payload;
use crate::node::store::Store;
use crate::node::strategy::{Capabilities, ConfigError, NodeContext, RecordKind, Strategy};
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use serde::Deserialize;

/// Synchronisation mode (`node.Mode`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Send messages in full (`BatchMode`).
    #[default]
    Batch,
    /// Offer, then send what is requested (`InteractiveMode`).
    Interactive,
}

/// `strategy_config.mvds-vac`.
#[derive(Clone, Copy, Debug, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VacConfig {
    /// `batch` (default) or `interactive`.
    #[serde(default)]
    pub mode: Mode,
    /// `{"schedule": "exponential"}` (default, Status's backoff) or
    /// `{"schedule": "fixed", "interval_s": S}` (no backoff: a
    /// configuration the sources do not run).
    #[serde(default, skip_serializing_if = "Resend::is_exponential")]
    pub resend: Resend,
}

/// A Vac reference MVDS node.
#[derive(Debug)]
pub struct VacNode {
    sync: Machine,
    store: Store,
    mode: Mode,
}

impl VacNode {
    /// A node built from `ctx` in `mode`.
    pub fn new(ctx: &NodeContext<'_>, mode: Mode) -> Self {
        Self::with_resend(ctx, mode, Resend::Exponential)
    }

    /// A node built from `ctx` in `mode`, resending on `resend`'s schedule.
    pub fn with_resend(ctx: &NodeContext<'_>, mode: Mode, resend: Resend) -> Self {
        let rng = stream(ctx.seed, "node", u64::from(ctx.me));
        let sched = Schedule::status(None).with_resend(resend);
        VacNode {
            sync: Machine::new(ctx.me, ctx.groups, sched, rng),
            store: Store::new(ctx.delivery, ctx.groups),
            mode,
        }
    }

    /// The node's timer (for tests driving nodes by hand).
    #[cfg(test)]
    pub(crate) fn sync_timer(&self) -> SimTime {
        self.sync.timer()
    }

    fn rearm(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.sync.rearm(now, self.store.next_expiry(), out);
    }

    /// `broadcastToGroup`: files `m` for every peer of `group` but `except`.
    fn broadcast(&mut self, now: SimTime, group: GroupId, m: MsgId, except: Option<usize>) {
        let kind = match self.mode {
            Mode::Batch => Kind::Message,
            Mode::Interactive => Kind::Offer,
        };
        for k in 0..self.sync.group_peers(group).len() {
            let i = self.sync.group_peers(group)[k];
            if Some(i) != except {
                self.sync.insert(now, i, m, kind);
            }
        }
    }

    /// `onMessage`, then `resolve`: ack, store, relay (first receipt),
    /// request the parents the node lacks from the sender, deliver.
    fn on_message(&mut self, now: SimTime, i: usize, msg: MessageRef, out: &mut Outbox<Payload>) {
        if !self.store.authorized(&msg) {
            return;
        }
        let m = msg.id;
        self.sync.remove(i, m);
        self.sync.insert(now, i, m, Kind::Ack);
        if !self.store.holds(m) {
            self.broadcast(now, msg.group, m, Some(i));
        }
        for &p in msg.parents.iter().filter(|&&p| !self.store.holds(p)) {
            self.sync.insert(now, i, p, Kind::Request);
        }
        for d in self.store.receive(now, msg) {
            out.delivered(&d);
        }
    }
}

impl Node<Payload> for VacNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(i) = self.sync.peer(peer) {
            self.sync.set_connected(i, true);
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
        // `onPayload`'s order: acks, requests, offers, messages.
        let control = [&p.acks[..], &p.requests[..], &p.offers[..]];
        self.sync.on_control(now, i, control, &self.store);
        for msg in p.messages {
            self.on_message(now, i, msg, out);
        }
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
        self.broadcast(now, msg.group, msg.id, None);
        self.rearm(now, out);
    }
}

/// The Vac reference MVDS as a strategy (`mvds-vac`).
#[derive(Clone, Copy, Debug)]
pub struct MvdsVac;

impl Strategy for MvdsVac {
    type Payload = Payload;
    type Config = VacConfig;

    fn name(&self) -> &str {
        "mvds-vac"
    }
    fn about(&self) -> &str {
        "the Vac reference MVDS (vacp2p/mvds): relays what it receives to its group, `batch` (default) or `interactive` mode, parents on the wire (missing ones requested from the sender), `sync.delivery` applies; Status's resend schedule, no send limit. It relays a message on its first receipt only (the reference re-files it on every duplicate, which in a group of three or more never stops)"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = super::vac_wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // vacp2p/mvds `Message { group_id, timestamp, body, metadata }`:
            // no author id on the wire.
            wire_links_sender_to_group: false,
            // Unacknowledged messages are sent again on Status's schedule
            // with no send limit, whoever the peer is.
            resends_to_unreachable: true,
            ..Capabilities::default()
        }
    }
    fn validate(&self, config: &VacConfig) -> Result<(), ConfigError> {
        config.resend.validate("resend")
    }
    fn build(&self, cfg: &VacConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        Box::new(VacNode::with_resend(ctx, cfg.mode, cfg.resend))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::strategy::parse_config;

    #[test]
    fn mode_defaults_to_batch_and_is_checked() {
        let parse = |v: serde_json::Value| parse_config(&MvdsVac, Some(&v));
        assert_eq!(parse(serde_json::json!({})).unwrap().mode, Mode::Batch);
        let i = parse(serde_json::json!({"mode": "interactive"})).unwrap();
        assert_eq!(i.mode, Mode::Interactive);
        let e = parse(serde_json::json!({"mode": "lazy"})).unwrap_err();
        assert_eq!(e.path, "mode");
        assert!(parse(serde_json::json!({"epoch": 1})).is_err());
    }
}
