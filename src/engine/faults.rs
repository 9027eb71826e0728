//! Faults: churn (each node's online/offline process), crashes (scheduled
//! or random, with volatile or kept state) and partitions (which links are
//! cut, and when). A node is online when its churn says so and it is not
//! crashed; going on- or offline refreshes what its peers are told and
//! starts its writers, held scripted messages and mailserver queries.
//!
//! Imports: `sim/`, `world/`, `node/`, `scenario/` (through the world).

use super::event_loop::Event;
use super::world::build_node;
use super::{kind, World};
use crate::node::Strategy;
use crate::scenario::Scenario;
use crate::sim::message::NodeId;
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use crate::world::churn::ChurnProcess;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// The state of the scenario's faults.
pub(super) struct Faults {
    /// Each node's churn process.
    pub(super) churn: Vec<ChurnProcess>,
    /// Online by churn (a crashed node is offline whatever its churn says).
    churn_online: Vec<bool>,
    crashed: Vec<bool>,
    /// One stream per crash spec, for random crashes.
    crash_rng: Vec<ChaCha8Rng>,
    /// The partitions in force, by index (a payload looks only at these:
    /// testing every partition of the scenario made many partitions
    /// quadratic).
    pub(super) partitions_active: Vec<usize>,
    /// Online intervals per node (kept when partitions need convergence).
    pub(super) online_log: Option<Vec<Vec<(SimTime, SimTime)>>>,
}

impl Faults {
    pub(super) fn new(scenario: &Scenario, seed: u64) -> Faults {
        let n = scenario.nodes as usize;
        Faults {
            churn: (0..scenario.nodes)
                .map(|i| ChurnProcess::new(scenario.churn[i as usize].clone(), seed, i))
                .collect(),
            churn_online: vec![false; n],
            crashed: vec![false; n],
            crash_rng: (0..scenario.crashes.len())
                .map(|i| stream(seed, "crash", i as u64))
                .collect(),
            partitions_active: Vec::new(),
            online_log: (!scenario.partitions.is_empty()).then(|| vec![Vec::new(); n]),
        }
    }
}

impl<S: Strategy> World<'_, S> {
    /// A random-crash draw: crashes `node` if it is online, and draws the
    /// next one.
    pub(super) fn on_crash_draw(&mut self, now: SimTime, node: NodeId, spec: usize) {
        if self.conn.online(node) {
            self.recorder.on_world_event(now, kind::CRASH, node);
            self.crash(now, node, spec);
        }
        self.schedule_crash_draw(now, node, spec);
    }

    pub(super) fn schedule_crash_draw(&mut self, now: SimTime, node: NodeId, spec: usize) {
        let rate = self.scenario.crashes[spec].rate_per_hour / 3600.0;
        if let Ok(exp) = Exp::new(rate) {
            let gap = SimTime::from_secs_f64(exp.sample(&mut self.faults.crash_rng[spec]))
                .max(SimTime(1));
            self.queue.push(now + gap, Event::CrashDraw { node, spec });
        }
    }

    pub(super) fn churn_up(&mut self, now: SimTime, n: NodeId, down: SimTime) {
        self.faults.churn_online[n as usize] = true;
        if down != SimTime::NEVER {
            self.queue.push(down, Event::NodeDown(n));
        }
        if !self.faults.crashed[n as usize] {
            self.go_online(now, n);
        }
    }

    pub(super) fn churn_down(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.faults.churn_online[i] = false;
        if self.conn.online(n) {
            self.go_offline(now, n);
        }
        let off = self.faults.churn[i].period(false);
        let up = now + off;
        let down = up + self.faults.churn[i].period(true);
        if up != SimTime::NEVER {
            self.queue.push(up, Event::NodeUp(n, down));
        }
    }

    pub(super) fn crash(&mut self, now: SimTime, n: NodeId, spec: usize) {
        if self.faults.crashed[n as usize] {
            return;
        }
        let c = &self.scenario.crashes[spec];
        let (volatile, down) = (c.volatile, c.down);
        self.recorder.on_crash(n, volatile);
        self.faults.crashed[n as usize] = true;
        if self.conn.online(n) {
            self.go_offline(now, n);
        }
        self.queue
            .push(now + down, Event::Restart { node: n, volatile });
    }

    /// Restarts a crashed node; with volatile state it comes back empty.
    pub(super) fn restart(&mut self, now: SimTime, n: NodeId, volatile: bool) {
        let i = n as usize;
        self.faults.crashed[i] = false;
        if volatile {
            self.nodes[i] = build_node(
                self.scenario,
                &self.sync,
                self.strategy,
                self.config,
                n,
                self.seed,
            );
            self.told[i].clear();
            self.queue.cancel_timer(n);
            if let Some(mail) = &mut self.mail {
                mail.forget(n);
            }
        }
        if self.faults.churn_online[i] {
            self.go_online(now, n);
        }
    }

    pub(super) fn go_online(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.conn.set_online(n, true);
        self.recorder.on_online(n, now, true);
        if let Some(log) = &mut self.faults.online_log {
            log[i].push((now, SimTime::NEVER));
        }
        self.refresh_node_or_all(now, n);
        for w in self.workload.writers_of[i].clone() {
            self.schedule_write(now, w);
        }
        for s in std::mem::take(&mut self.workload.deferred[i]) {
            self.write_scripted(now, s);
        }
        self.mail_on_up(now, n);
    }

    pub(super) fn go_offline(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.conn.set_online(n, false);
        self.recorder.on_online(n, now, false);
        self.epoch[i] += 1;
        if let Some(last) = self
            .faults
            .online_log
            .as_mut()
            .and_then(|l| l[i].last_mut())
        {
            last.1 = now;
        }
        self.refresh_node_or_all(now, n);
    }
}
