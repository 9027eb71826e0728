//! The figures of The ONE's `MessageStatsReport`, measured on any run.
//!
//! Definitions follow `report/MessageStatsReport.java` in
//! `akeranen/the-one`, with meshsync's words:
//! - `created`: messages written (`newMessage`).
//! - `started`: message records put on a link (`messageTransferStarted`:
//!   under `link.one` a transfer started; otherwise each message record of
//!   a payload sent).
//! - `relayed`: message records that reached a node (`messageTransferred`,
//!   counted for every receiver, final or not).
//! - `aborted`: message records that did not arrive (`messageTransferAborted`:
//!   under `link.one` a transfer cut by the end of its contact; otherwise a
//!   payload lost on the link, across a partition or by an end going
//!   offline).
//! - `dropped` / `removed`: messages a node's buffer let go of, dropped
//!   (buffer full, TTL) or removed (`messageDeleted`), each adding its time
//!   in that buffer to `buffertime`.
//! - `delivered`: first receipts of a message by a final recipient (a
//!   member of its group other than its author; for `one_messages`, the
//!   event's `<to>`), each adding its latency (receipt − creation) and its
//!   hop count (links the received copy crossed) to `latency` and
//!   `hopcount`.
//! - `delivery_prob`: delivered / (message, recipient) pairs, which is The
//!   ONE's delivered / created for one recipient per message;
//!   `overhead_ratio`: (relayed − delivered) / delivered.
//!
//! Imports: `sim/` only.

use crate::sim::message::{MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use rustc_hash::FxHashMap;

/// The ONE's message statistics of a run (`--report one`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OneStats {
    /// Simulated seconds (`sim_time`).
    pub sim_time_s: f64,
    /// Messages written.
    pub created: u64,
    /// Message records put on a link.
    pub started: u64,
    /// Message records that reached a node.
    pub relayed: u64,
    /// Message records that did not arrive.
    pub aborted: u64,
    /// Messages dropped from a buffer (full, or TTL).
    pub dropped: u64,
    /// Messages removed from a buffer otherwise.
    pub removed: u64,
    /// First receipts by a final recipient.
    pub delivered: u64,
    /// (message, final recipient) pairs.
    pub expected: u64,
    /// Latency of each delivery, seconds, in delivery order.
    pub latencies_s: Vec<f64>,
    /// Hop count of each delivery.
    pub hopcounts: Vec<u32>,
    /// Time each dropped or removed message had spent in its buffer, s.
    pub buffer_times_s: Vec<f64>,
}

/// What the recorder keeps to compute [`OneStats`].
#[derive(Debug, Default)]
pub(crate) struct OneTally {
    stats: OneStats,
    /// Members of each group (sorted).
    members: Vec<Vec<NodeId>>,
    /// Per message (dense ids): its first slot in `member_hops`.
    base: Vec<usize>,
    /// Per (message, member of its group): 1 + the hops of the first copy
    /// the member got (0: none yet); a byte each, saturating.
    member_hops: Vec<u8>,
    /// The same for relays (nodes outside the message's group).
    relay_hops: FxHashMap<(NodeId, MsgId), u8>,
}

impl OneTally {
    pub(crate) fn new(members: Vec<Vec<NodeId>>) -> Self {
        OneTally {
            members,
            ..Default::default()
        }
    }

    /// `node`'s slot for `msg`, if it is a member of the message's group.
    fn slot(&self, node: NodeId, msg: &MessageRef) -> Option<usize> {
        let rank = self
            .members
            .get(msg.group as usize)?
            .binary_search(&node)
            .ok()?;
        Some(self.base.get(msg.id as usize)? + rank)
    }

    /// Hops of the first copy of `msg` that reached `node`, if any did.
    fn hops(&self, node: NodeId, msg: &MessageRef) -> Option<u8> {
        let stored = match self.slot(node, msg) {
            Some(s) => self.member_hops[s],
            None => self.relay_hops.get(&(node, msg.id)).copied().unwrap_or(0),
        };
        stored.checked_sub(1)
    }

    fn set_hops(&mut self, node: NodeId, msg: &MessageRef, hops: u8) {
        let stored = hops.saturating_add(1);
        match self.slot(node, msg) {
            Some(s) => self.member_hops[s] = stored,
            None => {
                self.relay_hops.insert((node, msg.id), stored);
            }
        }
    }

    /// A message was written; ids are dense, in creation order.
    pub(crate) fn on_create(&mut self, msg: &MessageRef) {
        self.stats.created += 1;
        let n = self.members.get(msg.group as usize).map_or(0, Vec::len);
        if self.base.len() == msg.id as usize {
            self.base.push(self.member_hops.len());
            self.member_hops.resize(self.member_hops.len() + n, 0);
        }
        if let Some(m) = self.members.get(msg.group as usize) {
            let sender_in = m.binary_search(&msg.sender).is_ok();
            self.stats.expected += n as u64 - u64::from(sender_in);
        }
        self.set_hops(msg.sender, msg, 0);
    }

    pub(crate) fn on_started(&mut self, messages: usize) {
        self.stats.started += messages as u64;
    }

    pub(crate) fn on_aborted(&mut self, messages: usize) {
        self.stats.aborted += messages as u64;
    }

    /// `messages` crossed the link `from` → `to` and arrived at `now`.
    pub(crate) fn on_arrival(
        &mut self,
        from: NodeId,
        to: NodeId,
        messages: &[MessageRef],
        now: SimTime,
    ) {
        for m in messages {
            self.stats.relayed += 1;
            if self.hops(to, m).is_some() {
                continue;
            }
            let hops = self.hops(from, m).map_or(1, |h| h.saturating_add(1));
            self.set_hops(to, m, hops);
            if to != m.sender && self.slot(to, m).is_some() {
                self.stats.delivered += 1;
                let latency = now.as_micros().saturating_sub(m.created.as_micros());
                self.stats.latencies_s.push(latency as f64 / 1e6);
                self.stats.hopcounts.push(u32::from(hops));
            }
        }
    }

    /// A buffer let go of a message it had held since `since`.
    pub(crate) fn on_deleted(&mut self, since: SimTime, now: SimTime, dropped: bool) {
        if dropped {
            self.stats.dropped += 1;
        } else {
            self.stats.removed += 1;
        }
        let held = now.as_micros().saturating_sub(since.as_micros());
        self.stats.buffer_times_s.push(held as f64 / 1e6);
    }

    pub(crate) fn finish(self, duration: SimTime) -> OneStats {
        OneStats {
            sim_time_s: duration.as_secs_f64(),
            ..self.stats
        }
    }
}
