//! Sync strategies as sans-IO state machines.
//!
//! A node never sees the event queue, the network or a clock. The engine calls
//! its `handle_*` methods with the current time and an [`Outbox`]; the node
//! answers only by writing [`Command`]s into the outbox (send a payload to a
//! peer, deliver a message to the local application, set its one timer). The
//! engine then carries the commands out. Every strategy implements [`Node`],
//! so the engine, the network and the metrics are shared and comparisons are
//! fair.
//!
//! A strategy plugs in through [`strategy::Strategy`] (its payload, record
//! kinds, config section and node constructor) and one line in
//! [`registry::builtin`]. This layer imports `sim/` only: never the
//! engine, the scenario format, the report or anything above.
//!
//! One shape per protocol: a folder `node/<protocol>/` with `mod.rs` (the
//! `Strategy` impl and its config section), the node (`node.rs`; bsp's in
//! its `mod.rs`, the MVDS state machine in `mvds/machine.rs`), its wire
//! (`wire.rs`; MVDS's two dialects in `mvds/status_wire.rs` and
//! `mvds/vac_wire.rs` on `mvds/payload.rs`) and `tests.rs`. What every wire
//! shares (ids, length helpers, test generators, the round-trip and
//! never-panics property tests) is the kit in [`wire`].
//!
//! Call-order contract: `handle_link_up(p)` before any payload is expected to
//! reach `p`; `handle_timeout` only at or after the time last passed to
//! [`Outbox::set_timer`]; `append` only while the node is online.

pub mod bsp;
pub mod epidemic;
pub mod mailserver_only;
pub mod mvds;
pub mod negentropy;
pub mod registry;
pub mod sds;
pub mod store;
pub mod strategy;
pub mod util;
pub mod waku_sync;
pub mod wire;

use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
pub use registry::{NoRunner, Registry, Runner};
pub use strategy::{
    Capabilities, ConfigError, Footprint, NoConfig, NodeContext, ParsedConfig, PerKind, RecordKind,
    Role, Strategy, StrategyInfo, WirePayload, MAX_RECORD_KINDS,
};

/// What a node asks the engine to do; `P` is the strategy's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<P> {
    /// Put `payload` on the link to `to`.
    Send {
        /// Receiving peer.
        to: NodeId,
        /// Records to send.
        payload: P,
    },
    /// Publish `payload` on `group`'s topic: the transport hands it to every
    /// member it can reach now (and to store-forward mailservers).
    Publish {
        /// The group whose topic carries it.
        group: GroupId,
        /// Records to publish.
        payload: P,
    },
    /// Hand message `msg` to the local application (it is now visible).
    Deliver {
        /// The message delivered.
        msg: MsgId,
    },
    /// Hand `msg` to the application although some parents are missing
    /// (the store's maximum wait ran out).
    DeliverUnverified {
        /// The message delivered.
        msg: MsgId,
    },
    /// Replace the node's single timer: wake at `at` ([`SimTime::NEVER`]
    /// cancels it).
    SetTimer {
        /// Wake-up time.
        at: SimTime,
    },
    /// Ask the store nodes (store-forward mailservers) for the archived
    /// payloads carrying messages `ids` (a Waku store v3 query by message
    /// hash); the engine hands each payload found to the node through
    /// `handle_payload`, as if from its original sender, and counts the
    /// request and response bytes itself.
    QueryStore {
        /// The messages wanted.
        ids: Vec<MsgId>,
    },
    /// The node's relay buffer dropped `msg` (full, or its TTL ran out),
    /// which it had held since `since`.
    Dropped {
        /// The message dropped.
        msg: MsgId,
        /// When it was taken in.
        since: SimTime,
    },
}

/// The buffer a node writes its commands into.
#[derive(Debug)]
#[must_use]
pub struct Outbox<P> {
    cmds: Vec<Command<P>>,
}

impl<P> Default for Outbox<P> {
    fn default() -> Self {
        Outbox { cmds: Vec::new() }
    }
}

impl<P: WirePayload> Outbox<P> {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `payload` to `to` (empty payloads are dropped here).
    pub fn send(&mut self, to: NodeId, payload: P) {
        if !payload.is_empty() {
            self.cmds.push(Command::Send { to, payload });
        }
    }

    /// Publishes `payload` on `group`'s topic.
    pub fn publish(&mut self, group: GroupId, payload: P) {
        if !payload.is_empty() {
            self.cmds.push(Command::Publish { group, payload });
        }
    }

    /// Reports a store delivery, verified or not.
    pub fn delivered(&mut self, d: &store::Delivered) {
        let msg = d.msg.id;
        self.cmds.push(if d.verified {
            Command::Deliver { msg }
        } else {
            Command::DeliverUnverified { msg }
        });
    }

    /// Reports that the relay buffer dropped `msg`, held since `since`.
    pub fn dropped(&mut self, msg: MsgId, since: SimTime) {
        self.cmds.push(Command::Dropped { msg, since });
    }

    /// Asks the store nodes for the payloads carrying `ids` (nothing when
    /// `ids` is empty).
    pub fn query_store(&mut self, ids: Vec<MsgId>) {
        if !ids.is_empty() {
            self.cmds.push(Command::QueryStore { ids });
        }
    }

    /// Sets the node's timer to `at`, replacing any earlier setting.
    pub fn set_timer(&mut self, at: SimTime) {
        self.cmds.push(Command::SetTimer { at });
    }

    /// Takes the commands written so far, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Command<P>> {
        self.cmds.drain(..)
    }

    /// True when no command is waiting.
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }
}

/// A sync strategy's node: a sans-IO state machine exchanging payloads of
/// type `P`.
pub trait Node<P> {
    /// `peer` became reachable.
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<P>);
    /// `peer` became unreachable (payloads in flight are lost by the network).
    fn handle_link_down(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<P>);
    /// A payload from `from` arrived.
    fn handle_payload(&mut self, now: SimTime, from: NodeId, payload: P, out: &mut Outbox<P>);
    /// The timer set last fired.
    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<P>);
    /// The local heads of `group`'s DAG: the parents of the next message
    /// this node writes there, sorted.
    fn heads(&self, group: GroupId) -> Vec<MsgId>;
    /// The local user wrote `msg` (its parents are `heads(msg.group)`).
    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<P>);
    /// True when the node holds message `m` (for loss accounting).
    fn holds(&self, m: MsgId) -> bool;
}

/// A node that takes no part in sync: a store-forward mailserver's host
/// (the archive itself lives in the transport) or a node in no group.
#[derive(Debug, Default)]
pub struct Passive;

impl<P> Node<P> for Passive {
    fn handle_link_up(&mut self, _: SimTime, _: NodeId, _: &mut Outbox<P>) {}
    fn handle_link_down(&mut self, _: SimTime, _: NodeId, _: &mut Outbox<P>) {}
    fn handle_payload(&mut self, _: SimTime, _: NodeId, _: P, _: &mut Outbox<P>) {}
    fn handle_timeout(&mut self, _: SimTime, _: &mut Outbox<P>) {}
    fn heads(&self, _: GroupId) -> Vec<MsgId> {
        Vec::new()
    }
    fn append(&mut self, _: SimTime, _: MessageRef, _: &mut Outbox<P>) {}
    fn holds(&self, _: MsgId) -> bool {
        false
    }
}
