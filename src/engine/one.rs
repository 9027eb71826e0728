//! The ONE's link model in the event loop (`link.one`): message records a
//! node sends go to the transfer model ([`OneLinks`], in `world/`), which
//! starts, times and aborts them at update ticks; every other record
//! travels as a payload on the ordinary link.
//!
//! Ticks fall on multiples of `update_interval_s`, only while something is
//! queued or under way. A tick at `t` runs after every event due at `t`
//! (so a contact that comes up at `t` and the summaries it triggers are
//! seen by that tick, as The ONE updates its hosts after each event). At a
//! tick each host in id order first completes its transfer if it is done,
//! then starts its next one (`World.updateHosts` → `ActiveRouter.update` →
//! `EpidemicRouter.update`). A completed transfer reaches the receiver as
//! a payload carrying the message; an aborted one is a lost payload.

use super::{kind, World};
use crate::node::{Strategy, WirePayload};
use crate::report::Sent;
use crate::sim::message::{GroupId, MessageRef, NodeId};
use crate::sim::time::SimTime;
use crate::world::one_link::{Ended, Hosts, Transfer};

/// Why `carrying` is `Some` here: [`World::check_supported`] refused the
/// run before it started otherwise.
const CARRIES: &str = "checked before the run: the strategy's wire carries messages alone";

/// What the transfer model asks, answered from the nodes and groups.
struct View<'w, S: Strategy> {
    nodes: &'w [Box<dyn crate::node::Node<S::Payload>>],
    members: &'w [crate::sim::message::Members],
}

impl<S: Strategy> Hosts for View<'_, S> {
    fn holds(&self, node: NodeId, msg: &MessageRef) -> bool {
        self.nodes[node as usize].holds(msg.id)
    }
    fn recipient(&self, node: NodeId, msg: &MessageRef) -> bool {
        node != msg.sender && is_member(self.members, msg.group, node)
    }
    /// The ONE times a transfer by the message's size: its body, here.
    fn bytes(&self, msg: &MessageRef) -> u64 {
        u64::from(msg.body_len)
    }
}

fn is_member(members: &[crate::sim::message::Members], g: GroupId, node: NodeId) -> bool {
    members
        .get(g as usize)
        .is_some_and(|m| m.binary_search(&node).is_ok())
}

impl<S: Strategy> World<'_, S> {
    /// `from`'s node sends `msg` to `to`: queue it for a transfer.
    pub(super) fn one_enqueue(&mut self, now: SimTime, from: NodeId, to: NodeId, msg: MessageRef) {
        let Some(one) = &mut self.one else { return };
        one.enqueue(from, to, msg);
        if !one.idle() {
            self.one_next = self.one_next.min(one.tick_at_or_after(now));
        }
    }

    /// The next tick, if it is due before the event at `next_event` (and
    /// not past the end of the run).
    pub(super) fn one_tick_due(&self, next_event: Option<SimTime>) -> Option<SimTime> {
        let t = self.one_next;
        let due =
            t != SimTime::NEVER && t <= self.scenario.duration && next_event.is_none_or(|e| e > t);
        due.then_some(t)
    }

    /// One update tick at `now`: every host in id order completes its
    /// finished transfer, then starts its next one.
    pub(super) fn one_tick(&mut self, now: SimTime) {
        let n = self.one.as_ref().map_or(0, |o| o.hosts());
        for h in 0..n as NodeId {
            let done = self.one.as_mut().and_then(|o| o.finish_due(now, h));
            if let Some(t) = done {
                self.one_complete(now, t);
            }
            let view = View::<S> {
                nodes: &self.nodes,
                members: &self.sync.members,
            };
            let started = self.one.as_mut().and_then(|o| o.start_next(now, h, &view));
            if let Some(t) = started {
                self.one_started(&t);
            }
        }
        let one = self.one.as_ref().expect("ticks only with link.one");
        self.one_next = if one.idle() {
            SimTime::NEVER
        } else {
            now + one.spec().update_interval
        };
    }

    /// The contact `a`–`b` went down at `now`: a transfer between them
    /// completes if it is done, else it is aborted.
    pub(super) fn one_pair_down(&mut self, now: SimTime, a: NodeId, b: NodeId) {
        let ended = self.one.as_mut().and_then(|o| o.disconnect(now, a, b));
        match ended {
            Some(Ended::Completed(t)) => self.one_complete(now, t),
            Some(Ended::Aborted(t)) => {
                self.recorder.on_event(now, kind::ABORT, t.to);
                self.recorder.on_lost(1);
            }
            None => {}
        }
    }

    /// Counts a started transfer as a payload carrying its message (its
    /// real encoded size, with the link's overhead).
    fn one_started(&mut self, t: &Transfer) {
        let payload = S::Payload::carrying(vec![t.msg.clone()]).expect(CARRIES);
        let by_kind = payload.encoded_len_by_kind();
        let causal_bytes = payload.causal_len();
        self.recorder.on_send(Sent {
            from: t.from,
            bytes: self
                .network
                .wire_bytes(by_kind.iter().sum::<u64>() as usize),
            bytes_by_kind: &by_kind,
            records_by_kind: &payload.count_by_kind(),
            messages: payload.messages(),
            message_record_len: S::Payload::message_record_len,
            causal_bytes,
        });
    }

    /// A transfer is done: the receiver gets the message, unless a
    /// partition now cuts the pair (then it is lost).
    fn one_complete(&mut self, now: SimTime, t: Transfer) {
        if self.cut(t.from, t.to) {
            self.recorder.on_event(now, kind::ABORT, t.to);
            self.recorder.on_lost(1);
            return;
        }
        let payload = S::Payload::carrying(vec![t.msg]).expect(CARRIES);
        self.recorder.on_event(now, kind::TRANSFER, t.to);
        let bytes = self
            .network
            .wire_bytes(payload.encoded_len_by_kind().iter().sum::<u64>() as usize);
        self.recorder
            .on_arrival(t.from, t.to, payload.messages(), bytes, now);
        self.nodes[t.to as usize].handle_payload(now, t.from, payload, &mut self.outbox);
        self.apply(now, t.to);
    }
}
