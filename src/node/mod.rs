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
//! Call-order contract: `handle_link_up(p)` before any payload is expected to
//! reach `p`; `handle_timeout` only at or after the time last passed to
//! [`Outbox::set_timer`]; `append` only while the node is online.

pub mod bsp;
pub mod epidemic;

pub mod mailserver_only;
pub mod mvds;
pub mod store;
pub mod util;
pub mod wire;

use crate::node::wire::Payload;
use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use std::fmt;
use std::str::FromStr;

/// What a node asks the engine to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Put `payload` on the link to `to`.
    Send {
        /// Receiving peer.
        to: NodeId,
        /// Records to send.
        payload: Payload,
    },
    /// Publish `payload` on `group`'s topic: the transport hands it to every
    /// member it can reach now (and to store-forward mailservers).
    Publish {
        /// The group whose topic carries it.
        group: GroupId,
        /// Records to publish.
        payload: Payload,
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
}

/// The buffer a node writes its commands into.
#[derive(Debug, Default)]
#[must_use]
pub struct Outbox {
    cmds: Vec<Command>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `payload` to `to` (empty payloads are dropped here).
    pub fn send(&mut self, to: NodeId, payload: Payload) {
        if !payload.is_empty() {
            self.cmds.push(Command::Send { to, payload });
        }
    }

    /// Publishes `payload` on `group`'s topic.
    pub fn publish(&mut self, group: GroupId, payload: Payload) {
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

    /// Sets the node's timer to `at`, replacing any earlier setting.
    pub fn set_timer(&mut self, at: SimTime) {
        self.cmds.push(Command::SetTimer { at });
    }

    /// Takes the commands written so far, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Command> {
        self.cmds.drain(..)
    }

    /// True when no command is waiting.
    pub fn is_empty(&self) -> bool {
        self.cmds.is_empty()
    }
}

/// A sync strategy's node: a sans-IO state machine.
pub trait Node {
    /// `peer` became reachable.
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox);
    /// `peer` became unreachable (payloads in flight are lost by the network).
    fn handle_link_down(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox);
    /// A payload from `from` arrived.
    fn handle_payload(&mut self, now: SimTime, from: NodeId, payload: Payload, out: &mut Outbox);
    /// The timer set last fired.
    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox);
    /// The local heads of `group`'s DAG: the parents of the next message
    /// this node writes there, sorted.
    fn heads(&self, group: GroupId) -> Vec<MsgId>;
    /// The local user wrote `msg` (its parents are `heads(msg.group)`).
    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox);
    /// True when the node holds message `m` (for loss accounting).
    fn holds(&self, m: MsgId) -> bool;
}

/// The sync strategies meshsync can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// BSP batch mode: messages are sent eagerly.
    BspBatch,
    /// BSP interactive mode: messages are offered, then sent on request.
    BspInteractive,
    /// Status's production MVDS: batch mode, 300 ms epochs, no relaying.
    Mvds,
    /// The ONE's epidemic router: summary vectors, every node relays.
    Epidemic,
    /// No sync layer: publish once, rely on a store-forward mailserver.
    MailserverOnly,
}

impl Strategy {
    /// Every strategy, in a fixed order.
    pub const ALL: [Strategy; 5] = [
        Strategy::BspBatch,
        Strategy::BspInteractive,
        Strategy::Mvds,
        Strategy::Epidemic,
        Strategy::MailserverOnly,
    ];

    /// The name used in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::BspBatch => "bsp-batch",
            Strategy::BspInteractive => "bsp-interactive",
            Strategy::Mvds => "mvds",
            Strategy::Epidemic => "epidemic",
            Strategy::MailserverOnly => "mailserver-only",
        }
    }

    /// True when any node relays any message (members or not).
    pub fn relays_everything(self) -> bool {
        self == Strategy::Epidemic
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Strategy::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Strategy::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown strategy {s:?}, expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// A node that takes no part in sync: a store-forward mailserver's host
/// (the archive itself lives in the transport) or a node in no group.
#[derive(Debug, Default)]
pub struct Passive;

impl Node for Passive {
    fn handle_link_up(&mut self, _: SimTime, _: NodeId, _: &mut Outbox) {}
    fn handle_link_down(&mut self, _: SimTime, _: NodeId, _: &mut Outbox) {}
    fn handle_payload(&mut self, _: SimTime, _: NodeId, _: Payload, _: &mut Outbox) {}
    fn handle_timeout(&mut self, _: SimTime, _: &mut Outbox) {}
    fn heads(&self, _: GroupId) -> Vec<MsgId> {
        Vec::new()
    }
    fn append(&mut self, _: SimTime, _: MessageRef, _: &mut Outbox) {}
    fn holds(&self, _: MsgId) -> bool {
        false
    }
}
