//! The workload: what nodes write and when. Poisson writers (one per
//! member of a group with a rate, one per adversary with a rate), scripted
//! messages (held while their sender is offline), and the adversaries'
//! writes (spam, hole, inject). A write goes to the node, whose commands
//! the event loop carries out.
//!
//! Imports: `sim/`, `node/`, `scenario/`, `report/` (through the world).

use super::event_loop::Event;
use super::{kind, World};
use crate::node::{Strategy, WirePayload};
use crate::scenario::{AdversaryKind, Scenario, MAX_BODY_BYTES};
use crate::sim::message::{GroupId, Message, MessageRef, MsgId, NodeId};
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// A Poisson writer: one member of one group, or an adversary.
pub(super) struct Writer {
    pub(super) group: GroupId,
    pub(super) node: NodeId,
    rate: Option<Exp<f64>>,
    rng: ChaCha8Rng,
    pub(super) adversary: Option<AdversaryKind>,
}

/// What the scenario makes nodes write: Poisson writers (members and
/// adversaries), scripted messages held for their offline sender, and the
/// fake parents hole attackers name.
pub(super) struct Workload {
    pub(super) writers: Vec<Writer>,
    /// Each node's writers, by index into `writers`.
    pub(super) writers_of: Vec<Vec<usize>>,
    /// Scripted messages waiting for their offline sender.
    pub(super) deferred: Vec<Vec<usize>>,
    /// Draws the body of a scripted message that names none.
    body_rng: ChaCha8Rng,
    /// Fake parent ids handed out to hole attackers, counting down from MAX.
    next_hole: MsgId,
}

impl Workload {
    pub(super) fn new(scenario: &Scenario, seed: u64) -> Workload {
        let (writers, writers_of) = Self::writers(scenario, seed);
        Workload {
            writers,
            writers_of,
            deferred: vec![Vec::new(); scenario.nodes as usize],
            body_rng: stream(seed, "script-bodies", 0),
            next_hole: MsgId::MAX,
        }
    }

    fn writers(scenario: &Scenario, seed: u64) -> (Vec<Writer>, Vec<Vec<usize>>) {
        let mut writers = Vec::new();
        let mut writers_of = vec![Vec::new(); scenario.nodes as usize];
        for (g, spec) in scenario.groups.iter().enumerate() {
            if spec.rate_per_hour <= 0.0 {
                continue;
            }
            for &m in &spec.members {
                let online = scenario.churn[m as usize].online_fraction(scenario.duration);
                writers_of[m as usize].push(writers.len());
                writers.push(Writer {
                    group: g as GroupId,
                    node: m,
                    rate: Exp::new(spec.rate_online(online) / 3600.0).ok(),
                    rng: stream(seed, &format!("writer-{g}"), u64::from(m)),
                    adversary: None,
                });
            }
        }
        for (i, a) in scenario.adversaries.iter().enumerate() {
            if a.rate_per_hour <= 0.0 {
                continue;
            }
            writers_of[a.node as usize].push(writers.len());
            writers.push(Writer {
                group: a.group,
                node: a.node,
                rate: Exp::new(a.rate_per_hour / 3600.0).ok(),
                rng: stream(seed, "adversary", i as u64),
                adversary: Some(a.kind),
            });
        }
        (writers, writers_of)
    }
}

impl<S: Strategy> World<'_, S> {
    /// A writer's next write is due: it writes, if its node is still
    /// online in the epoch the write was scheduled in, and schedules the
    /// next one.
    pub(super) fn on_write(&mut self, now: SimTime, writer: usize, epoch: u32) {
        let node = self.workload.writers[writer].node;
        if self.conn.online(node) && self.epoch[node as usize] == epoch {
            self.recorder.on_event(now, kind::WRITE, node);
            let body = self.draw_body(writer);
            let group = self.workload.writers[writer].group;
            match self.workload.writers[writer].adversary {
                None => self.write(now, node, group, body, &[]),
                Some(a) => self.adversary_write(now, a, node, group, body),
            }
            self.schedule_write(now, writer);
        }
    }

    /// Scripted message `i` is due: written now, or held until its sender
    /// comes online.
    pub(super) fn on_script(&mut self, now: SimTime, i: usize) {
        let s = &self.scenario.script[i];
        self.recorder.on_event(now, kind::SCRIPT, s.from);
        if self.conn.online(s.from) {
            self.write_scripted(now, i);
        } else {
            self.workload.deferred[s.from as usize].push(i);
        }
    }

    pub(super) fn schedule_write(&mut self, now: SimTime, writer: usize) {
        let w = &mut self.workload.writers[writer];
        if let Some(exp) = w.rate {
            let gap = SimTime::from_secs_f64(exp.sample(&mut w.rng)).max(SimTime(1));
            let epoch = self.epoch[w.node as usize];
            self.queue.push(now + gap, Event::Write { writer, epoch });
        }
    }

    pub(super) fn draw_body(&mut self, writer: usize) -> u32 {
        let x = self
            .scenario
            .body_bytes
            .sample(&mut self.workload.writers[writer].rng);
        x.round().clamp(1.0, MAX_BODY_BYTES) as u32
    }

    pub(super) fn write_scripted(&mut self, now: SimTime, i: usize) {
        let s = self.scenario.script[i].clone();
        let body = s.body_bytes.unwrap_or_else(|| {
            let x = self.scenario.body_bytes.sample(&mut self.workload.body_rng);
            x.round().clamp(1.0, MAX_BODY_BYTES) as u32
        });
        self.write(now, s.from, s.group, body, &[]);
    }

    /// A write by a misbehaving node.
    pub(super) fn adversary_write(
        &mut self,
        now: SimTime,
        kind: AdversaryKind,
        node: NodeId,
        group: GroupId,
        body: u32,
    ) {
        match kind {
            AdversaryKind::Spam => {
                self.recorder.tag_spam(self.next_msg);
                self.write(now, node, group, body, &[]);
            }
            AdversaryKind::Hole => {
                let fake = self.workload.next_hole;
                self.workload.next_hole -= 1;
                self.write(now, node, group, body, &[fake]);
            }
            AdversaryKind::Inject => {
                // Not a member: no sync state for the group; it publishes the
                // message to every member it can reach.
                let msg = MessageRef::new(Message {
                    id: self.next_msg,
                    group,
                    sender: node,
                    created: now,
                    body_len: body,
                    parents: Vec::new(),
                });
                self.next_msg += 1;
                self.recorder.on_create(msg.clone());
                let payload = S::Payload::carrying(vec![msg])
                    .expect("checked before the run: the strategy's wire carries messages alone");
                self.publish(now, node, group, payload);
            }
        }
    }

    /// `node` writes a message in `group`; its parents are the node's heads
    /// plus `extra_parents` (ids that never exist, for the hole attack).
    pub(super) fn write(
        &mut self,
        now: SimTime,
        node: NodeId,
        group: GroupId,
        body_len: u32,
        extra_parents: &[MsgId],
    ) {
        let mut parents = self.nodes[node as usize].heads(group);
        parents.extend_from_slice(extra_parents);
        let msg = MessageRef::new(Message {
            id: self.next_msg,
            group,
            sender: node,
            created: now,
            body_len,
            parents,
        });
        self.next_msg += 1;
        self.recorder.on_create(msg.clone());
        self.nodes[node as usize].append(now, msg, &mut self.outbox);
        self.apply(now, node);
    }
}
