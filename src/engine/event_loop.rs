//! The event loop: the events (ordered by `(time, seq)` in the queue), the
//! initial schedule, [`World::run_observed`] popping events and
//! dispatching each to the part of the world it moves (faults, links,
//! workload, mail), the commands a node wrote carried out ([`World::apply`]:
//! sends and publishes go to the links, deliveries to the recorder, timers
//! to the queue), and the end of the run handed to the recorder.
//!
//! Imports: `sim/`, `node/`, `scenario/`, `report/`, `world/` (through the
//! world).

use super::{mail, World, PROGRESS_EVERY};
use crate::node::{Command, Strategy};
use crate::report::{ConvergenceInput, EndOfRun, RunInfo, RunReport};
use crate::scenario::TopologySpec;
use crate::sim::message::{GroupId, MsgId, NodeId};
use crate::sim::queue::Popped;
use crate::sim::time::SimTime;

/// Event kinds, as folded into the trace hash.
pub(super) mod kind {
    pub const UP: u8 = 1;
    pub const DOWN: u8 = 2;
    pub const ARRIVE: u8 = 3;
    pub const TIMER: u8 = 4;
    pub const WRITE: u8 = 5;
    pub const SCRIPT: u8 = 6;
    pub const CONTACT: u8 = 7;
    pub const PARTITION: u8 = 8;
    pub const MAIL: u8 = 9;
    pub const CRASH: u8 = 10;
    pub const RESTART: u8 = 11;
    pub const TRANSFER: u8 = 12;
    pub const ABORT: u8 = 13;
}

#[derive(Debug)]
pub(super) enum Event<P> {
    /// The node comes online; it goes down again at the given time.
    NodeUp(NodeId, SimTime),
    NodeDown(NodeId),
    Contact {
        a: NodeId,
        b: NodeId,
        up: bool,
    },
    Partition {
        index: usize,
        start: bool,
    },
    Arrive {
        from: NodeId,
        to: NodeId,
        /// Boxed: keeps events small, so the heap moves little memory.
        payload: Box<(P, u64)>,
        /// Online epochs of (from, to) when it was sent.
        epochs: (u32, u32),
    },
    Write {
        writer: usize,
        epoch: u32,
    },
    Script(usize),
    /// Boxed: mail events are rare and large; keeping them out of line keeps
    /// every queue entry small.
    Mail(Box<mail::MailEvent<P>>),
    /// Crash spec `spec` takes `node` down now.
    Crash {
        node: NodeId,
        spec: usize,
    },
    /// The node restarts after a crash.
    Restart {
        node: NodeId,
        volatile: bool,
    },
    /// Next random-crash draw of `node` under crash spec `spec`.
    CrashDraw {
        node: NodeId,
        spec: usize,
    },
}

impl<S: Strategy> World<'_, S> {
    pub(super) fn schedule_initial(&mut self) {
        for i in 0..self.nodes.len() {
            let node = i as NodeId;
            match self.faults.churn[i].start() {
                (true, change) => {
                    let down = change.unwrap_or(SimTime::NEVER);
                    self.queue.push(SimTime::ZERO, Event::NodeUp(node, down));
                }
                (false, Some(up)) => {
                    let down = up + self.faults.churn[i].period(true);
                    self.queue.push(up, Event::NodeUp(node, down));
                }
                (false, None) => {}
            }
        }
        if let TopologySpec::Contacts(events) = &self.scenario.topology {
            for e in events {
                self.queue.push(
                    e.at,
                    Event::Contact {
                        a: e.a,
                        b: e.b,
                        up: e.up,
                    },
                );
            }
        }
        for (index, p) in self.scenario.partitions.iter().enumerate() {
            self.queue
                .push(p.at, Event::Partition { index, start: true });
            self.queue.push(
                p.until,
                Event::Partition {
                    index,
                    start: false,
                },
            );
        }
        for (i, s) in self.scenario.script.iter().enumerate() {
            self.queue.push(s.at, Event::Script(i));
        }
        for (spec, c) in self.scenario.crashes.iter().enumerate() {
            for &node in &c.nodes {
                match c.at {
                    Some(at) => self.queue.push(at, Event::Crash { node, spec }),
                    None => self.schedule_crash_draw(SimTime::ZERO, node, spec),
                }
            }
        }
    }

    /// Total payloads still travelling, counting `extra` (an event popped
    /// past the end).
    pub(super) fn in_flight(&self, extra: Option<&Event<S::Payload>>) -> u64 {
        let arrive = |e: &Event<S::Payload>| matches!(e, Event::Arrive { .. });
        self.queue.iter().filter(|e| arrive(e)).count() as u64
            + u64::from(extra.is_some_and(arrive))
            + self.one.as_ref().map_or(0, |o| o.under_way() as u64)
    }

    /// Messages some store-forward archive still holds.
    pub(super) fn archived(&self) -> Vec<bool> {
        let mut archived = vec![false; self.next_msg as usize];
        if let Some(mail) = &self.mail {
            for m in mail.archived_messages() {
                if let Some(a) = archived.get_mut(m as usize) {
                    *a = true;
                }
            }
        }
        archived
    }

    /// Runs until the scenario's end and returns the report.
    pub fn run(self) -> RunReport {
        self.run_observed(&|_| {})
    }

    /// [`World::run`], calling `progress` with the simulated time every
    /// [`PROGRESS_EVERY`] events (for a progress bar; it cannot change the
    /// run).
    pub fn run_observed(self, progress: &dyn Fn(SimTime)) -> RunReport {
        self.run_bounded(progress, None)
            .expect("a run without a bound ends")
    }

    /// [`World::run_observed`], stopping (`None`) once `max_events` events
    /// (engine events and timers) have been processed.
    pub fn run_bounded(
        mut self,
        progress: &dyn Fn(SimTime),
        max_events: Option<u64>,
    ) -> Option<RunReport> {
        let limit = max_events.unwrap_or(u64::MAX);
        self.schedule_initial();
        let end = self.scenario.duration;
        let mut past_end = None;
        let mut count: u64 = 0;
        let mut ticks: u64 = 0;
        loop {
            if let Some(t) = self.one_tick_due(self.queue.peek_time()) {
                // Ticks count against the bound too (not as events).
                ticks += 1;
                if ticks > limit {
                    return None;
                }
                self.one_tick(t);
                continue;
            }
            let Some((now, popped)) = self.queue.pop() else {
                break;
            };
            count += 1;
            if count.is_multiple_of(PROGRESS_EVERY) {
                progress(now);
            }
            if count > limit {
                return None;
            }
            let event = match popped {
                Popped::Event(e) => e,
                Popped::Timer(_) if now > end => break,
                Popped::Timer(node) => {
                    self.fire_timer(now, node);
                    continue;
                }
            };
            if now > end {
                past_end = Some(event);
                break;
            }
            self.dispatch(now, event);
        }
        Some(self.finish(past_end))
    }

    /// Hands the recorder what only the engine knows, and takes the report.
    pub(super) fn finish(mut self, past_end: Option<Event<S::Payload>>) -> RunReport {
        let in_flight = self.in_flight(past_end.as_ref());
        let convergence = self.convergence_input();
        let archived = self.archived();
        let info = RunInfo {
            scenario: self.scenario.name.clone(),
            strategy: self.strategy.name().to_string(),
            seed: self.seed,
            nodes: self.scenario.nodes,
            duration: self.scenario.duration,
        };
        let nodes = std::mem::take(&mut self.nodes);
        let members = &self.sync.members;
        // A message is held when an archive, a member of its group (asked
        // first: the likely holders) or any node holds it.
        let holds = |m: MsgId, g: GroupId| {
            archived[m as usize]
                || members[g as usize]
                    .iter()
                    .any(|&v| nodes[v as usize].holds(m))
                || nodes.iter().any(|n| n.holds(m))
        };
        let end = EndOfRun {
            in_flight,
            holds: &holds,
            convergence,
        };
        self.recorder.finish(info, end)
    }

    /// With partitions: the last heal and who was online when.
    pub(super) fn convergence_input(&mut self) -> Option<ConvergenceInput> {
        let heal = self.scenario.partitions.iter().map(|p| p.until).max()?;
        // Intervals still open end at NEVER: the node stayed online.
        let online = self.faults.online_log.take()?;
        let member = (0..self.scenario.nodes)
            .map(|v| !self.mailserver[v as usize] && !self.peers[v as usize].is_empty())
            .collect();
        Some(ConvergenceInput {
            heal: heal.min(self.scenario.duration),
            online,
            member,
        })
    }

    pub(super) fn fire_timer(&mut self, now: SimTime, node: NodeId) {
        self.recorder.on_event(now, kind::TIMER, node);
        self.nodes[node as usize].handle_timeout(now, &mut self.outbox);
        self.apply(now, node);
    }

    pub(super) fn dispatch(&mut self, now: SimTime, event: Event<S::Payload>) {
        match event {
            Event::NodeUp(n, down) => {
                self.recorder.on_world_event(now, kind::UP, n);
                self.churn_up(now, n, down);
            }
            Event::NodeDown(n) => {
                self.recorder.on_world_event(now, kind::DOWN, n);
                self.churn_down(now, n);
            }
            Event::Crash { node, spec } => {
                self.recorder.on_world_event(now, kind::CRASH, node);
                self.crash(now, node, spec);
            }
            Event::Restart { node, volatile } => {
                self.recorder.on_world_event(now, kind::RESTART, node);
                self.restart(now, node, volatile);
            }
            Event::CrashDraw { node, spec } => self.on_crash_draw(now, node, spec),
            Event::Contact { a, b, up } => {
                self.recorder.on_world_event(now, kind::CONTACT, a);
                self.conn.set_link(a, b, up);
                self.refresh_pair_or_all(now, a, b);
            }
            Event::Partition { index, start } => {
                self.recorder
                    .on_world_event(now, kind::PARTITION, index as NodeId);
                let active = &mut self.faults.partitions_active;
                match active.iter().position(|&i| i == index) {
                    Some(k) if !start => {
                        active.swap_remove(k);
                    }
                    None if start => active.push(index),
                    _ => {}
                }
            }
            Event::Arrive {
                from,
                to,
                payload,
                epochs,
            } => {
                self.recorder.on_event(now, kind::ARRIVE, to);
                let (payload, bytes) = *payload;
                self.arrive(now, from, to, payload, bytes, epochs);
            }
            Event::Write { writer, epoch } => self.on_write(now, writer, epoch),
            Event::Script(i) => self.on_script(now, i),
            Event::Mail(ev) => {
                self.recorder.on_event(now, kind::MAIL, ev.client());
                self.mail_event(now, *ev);
            }
        }
    }

    /// Carries out the commands node `n` wrote.
    pub(super) fn apply(&mut self, now: SimTime, n: NodeId) {
        let mut out = std::mem::take(&mut self.outbox);
        for cmd in out.drain() {
            match cmd {
                Command::Send { to, payload } => self.send(now, n, to, payload),
                Command::Publish { group, payload } => self.publish(now, n, group, payload),
                // Mailservers have no application.
                Command::Deliver { msg } if !self.mailserver[n as usize] => {
                    self.recorder.on_deliver(n, msg, now)
                }
                Command::DeliverUnverified { msg } if !self.mailserver[n as usize] => {
                    self.recorder.on_deliver_unverified(n, msg, now)
                }
                Command::Deliver { .. } | Command::DeliverUnverified { .. } => {}
                Command::SetTimer { at } if at == SimTime::NEVER => self.queue.cancel_timer(n),
                Command::SetTimer { at } => self.queue.set_timer(n, at.max(now)),
                Command::Dropped { since, .. } => self.recorder.on_buffer_delete(since, now, true),
                Command::QueryStore { ids } => self.mail_query_ids(now, n, ids),
            }
        }
        self.outbox = out;
    }
}
