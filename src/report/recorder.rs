//! The recorder: metrics and invariant checks, independent of node code.
//!
//! The engine tells the recorder what happened on the wire and what each
//! node delivered to its application; the recorder keeps, per (message,
//! member) pair, when the member first received the message and when it
//! delivered it, and checks causal order itself: a delivery before all the
//! message's parents were delivered at that node is a `causal_violation`. It
//! never asks a node anything. [`Recorder::finish`] turns the record into a
//! [`RunReport`] whose [`Summary`] keys are the contract the README lists.

use super::summary::{Counts, DeliveryRow, RunInfo, RunReport, Summary};
use crate::sim::hash::{fnv_bytes, fnv_words, FNV_OFFSET};
use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;

/// A record kind as the report labels it (the strategy's declaration,
/// passed in by the engine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLabel {
    /// Key in `records_sent` and `bytes_by_record`.
    pub name: &'static str,
    /// Listed in `records_sent` even when none was sent.
    pub listed_when_zero: bool,
}

/// A payload put on a link, as the recorder counts it.
#[derive(Clone, Copy, Debug)]
pub struct Sent<'a> {
    /// The sender.
    pub from: NodeId,
    /// Bytes on the wire, with the link's overhead.
    pub bytes: u64,
    /// Encoded bytes of each record kind (in the order of the labels).
    pub bytes_by_kind: &'a [u64],
    /// Records of each kind.
    pub records_by_kind: &'a [u64],
    /// The messages it carries in full.
    pub messages: &'a [MessageRef],
    /// Bytes of the record carrying a message in full.
    pub message_record_len: fn(&MessageRef) -> usize,
}

/// What only the engine knows at the end of a run.
pub struct EndOfRun<'a> {
    /// Payloads still travelling.
    pub in_flight: u64,
    /// Whether some node or mailserver still holds message `m` (asked only
    /// for messages some member lacks).
    pub holds: &'a dyn Fn(MsgId, GroupId) -> bool,
    /// With partitions: the input of `convergence_s`.
    pub convergence: Option<ConvergenceInput>,
}

/// When the last partition healed and who was online when.
#[derive(Clone, Debug)]
pub struct ConvergenceInput {
    /// The last heal (capped at the end of the run).
    pub heal: SimTime,
    /// Per node: online intervals `[up, down)`.
    pub online: Vec<Vec<(SimTime, SimTime)>>,
    /// Per node: whether it counts (a syncing member, not a mailserver).
    pub member: Vec<bool>,
}

/// When a message first reached a member, and when the member delivered it
/// (`NEVER`: not yet).
#[derive(Clone, Copy, Debug)]
struct SlotTimes {
    received: SimTime,
    delivered: SimTime,
}

impl SlotTimes {
    const NEVER: SlotTimes = SlotTimes {
        received: SimTime::NEVER,
        delivered: SimTime::NEVER,
    };
}

/// Collects metrics and checks invariants during a run.
#[derive(Debug)]
pub struct Recorder {
    group_members: Vec<Vec<NodeId>>,
    group_names: Vec<String>,
    messages: Vec<MessageRef>,
    slot_base: Vec<usize>,
    /// Per slot: when the message first reached the member, and when the
    /// member delivered it (side by side: a delivery reads the line its
    /// receipt just wrote).
    times: Vec<SlotTimes>,
    /// Slots whose receipt time is set: a bit each, so the common case (a
    /// duplicate) is answered from a small, cache-resident table.
    got: FixedBitSet,
    /// The strategy's record kinds.
    labels: Vec<RecordLabel>,
    bytes_sent: u64,
    /// Encoded bytes by record kind, then the link overhead.
    bytes_by_kind: Vec<u64>,
    overhead: u64,
    mail_bytes: u64,
    mail_requests: u64,
    mail_lost: u64,
    payloads_sent: u64,
    payloads_lost: u64,
    payloads_duplicated: u64,
    payloads_received: u64,
    unauthorized: u64,
    unverified: u64,
    crashes: u64,
    spam: Vec<bool>,
    spam_bytes: u64,
    spam_relayed: u64,
    /// Nodes that lost their state in a crash: repeated deliveries to them
    /// are re-displays, not errors.
    forgetful: Vec<bool>,
    records_by_kind: Vec<u64>,
    duplicates: u64,
    causal_violations: u64,
    invalid_deliveries: u64,
    events: u64,
    trace: u64,
    world: u64,
}

impl Recorder {
    /// A recorder for groups with these (sorted) member lists and names,
    /// counting records of the kinds `labels`.
    pub fn new(
        group_members: Vec<Vec<NodeId>>,
        group_names: Vec<String>,
        labels: Vec<RecordLabel>,
    ) -> Self {
        Recorder {
            group_members,
            group_names,
            messages: Vec::new(),
            slot_base: Vec::new(),
            times: Vec::new(),
            got: FixedBitSet::new(),
            bytes_sent: 0,
            bytes_by_kind: vec![0; labels.len()],
            overhead: 0,
            records_by_kind: vec![0; labels.len()],
            labels,
            mail_bytes: 0,
            mail_requests: 0,
            mail_lost: 0,
            payloads_sent: 0,
            payloads_lost: 0,
            payloads_duplicated: 0,
            payloads_received: 0,
            unauthorized: 0,
            unverified: 0,
            crashes: 0,
            spam: Vec::new(),
            spam_bytes: 0,
            spam_relayed: 0,
            forgetful: Vec::new(),
            duplicates: 0,
            causal_violations: 0,
            invalid_deliveries: 0,
            events: 0,
            trace: FNV_OFFSET,
            world: FNV_OFFSET,
        }
    }

    fn slot(&self, node: NodeId, msg: MsgId) -> Option<usize> {
        let m = self.messages.get(msg as usize)?;
        self.slot_in(node, m.group, msg)
    }

    /// The slot of (`msg`, `node`) when the caller knows `msg`'s group.
    fn slot_in(&self, node: NodeId, group: GroupId, msg: MsgId) -> Option<usize> {
        let rank = self.group_members[group as usize]
            .binary_search(&node)
            .ok()?;
        Some(self.slot_base.get(msg as usize)? + rank)
    }

    /// Folds one processed event into the trace hash and counts it.
    pub fn on_event(&mut self, now: SimTime, kind: u8, node: NodeId) {
        self.events += 1;
        // The bytes of (time, kind, node), fed one array at a time: each
        // loop unrolls (a chained iterator checks for its end per byte, on
        // every event of the run).
        let h = fnv_bytes(self.trace, &now.as_micros().to_le_bytes());
        let h = fnv_bytes(h, &[kind]);
        self.trace = fnv_bytes(h, &node.to_le_bytes());
    }

    /// Like [`Recorder::on_event`], for events of the world itself (churn,
    /// contacts, partitions), which also enter the world hash.
    pub fn on_world_event(&mut self, now: SimTime, kind: u8, node: NodeId) {
        self.on_event(now, kind, node);
        self.world = fnv_words(
            self.world,
            &[now.as_micros(), u64::from(kind), u64::from(node)],
        );
    }

    /// A message was written; ids must be dense, in creation order.
    pub fn on_create(&mut self, msg: MessageRef) {
        debug_assert_eq!(msg.id as usize, self.messages.len());
        let base = self.times.len();
        let n = self.group_members[msg.group as usize].len();
        self.slot_base.push(base);
        self.times.resize(base + n, SlotTimes::NEVER);
        self.got.grow(base + n);
        self.messages.push(msg.clone());
        let fields = [
            u64::from(msg.id),
            u64::from(msg.group),
            u64::from(msg.sender),
            msg.created.as_micros(),
            u64::from(msg.body_len),
        ];
        self.world = fnv_words(self.world, &fields);
        if let Some(s) = self.slot(msg.sender, msg.id) {
            self.times[s] = SlotTimes {
                received: msg.created,
                delivered: msg.created,
            };
            self.got.insert(s);
        }
    }

    /// Message `id` is spam (for `spam_bytes`).
    pub fn tag_spam(&mut self, id: MsgId) {
        let i = id as usize;
        if self.spam.len() <= i {
            self.spam.resize(i + 1, false);
        }
        self.spam[i] = true;
    }

    /// `node` crashed; with `volatile` state it forgets what it delivered.
    pub fn on_crash(&mut self, node: NodeId, volatile: bool) {
        self.crashes += 1;
        if volatile {
            let i = node as usize;
            if self.forgetful.len() <= i {
                self.forgetful.resize(i + 1, false);
            }
            self.forgetful[i] = true;
        }
    }

    /// A link made an extra copy of a payload.
    pub fn on_duplicate(&mut self) {
        self.payloads_duplicated += 1;
    }

    /// A payload was put on a link.
    pub fn on_send(&mut self, p: Sent<'_>) {
        self.bytes_sent += p.bytes;
        for m in p.messages {
            if self.spam.get(m.id as usize).copied().unwrap_or(false) {
                let b = (p.message_record_len)(m) as u64;
                self.spam_bytes += b;
                if p.from != m.sender {
                    self.spam_relayed += b;
                }
            }
        }
        let mut records = 0;
        for (total, b) in self.bytes_by_kind.iter_mut().zip(p.bytes_by_kind) {
            *total += b;
            records += b;
        }
        self.overhead += p.bytes - records;
        self.payloads_sent += 1;
        for (total, n) in self.records_by_kind.iter_mut().zip(p.records_by_kind) {
            *total += n;
        }
    }

    /// Mailserver traffic of `bytes` (an archive upload or a response).
    pub fn on_mail(&mut self, bytes: u64) {
        self.bytes_sent += bytes;
        self.mail_bytes += bytes;
    }

    /// A query of `bytes` sent to a mailserver.
    pub fn on_mail_request(&mut self, bytes: u64) {
        self.on_mail(bytes);
        self.mail_requests += 1;
    }

    /// A sync payload was lost (on the link or in flight).
    pub fn on_lost(&mut self) {
        self.payloads_lost += 1;
    }

    /// A mailserver request or response was lost (its bytes were counted).
    pub fn on_mail_lost(&mut self) {
        self.mail_lost += 1;
    }

    /// A sync payload carrying `messages` in full reached `node` at `now`.
    pub fn on_arrival(&mut self, node: NodeId, messages: &[MessageRef], now: SimTime) {
        self.payloads_received += 1;
        self.on_receive(node, messages, now);
    }

    /// A payload (sync or from a mailserver) carrying `messages` in full
    /// reached `node` at `now`.
    pub fn on_receive(&mut self, node: NodeId, messages: &[MessageRef], now: SimTime) {
        for m in messages {
            // Every message on the wire is one the engine created (and
            // registered here), so its group is the registered one.
            debug_assert!(self
                .messages
                .get(m.id as usize)
                .is_some_and(|r| MessageRef::ptr_eq(r, m)));
            match self.slot_in(node, m.group, m.id) {
                Some(s) if !self.got.put(s) => self.times[s].received = now,
                Some(_) => self.duplicates += 1,
                None => {}
            }
        }
    }

    /// `node` delivered `msg` to its application at `now` without all its
    /// parents (the store's maximum wait ran out).
    pub fn on_deliver_unverified(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        if let Some(s) = self.deliverable_slot(node, msg) {
            self.unverified += 1;
            self.times[s].delivered = now;
        }
    }

    /// The slot a delivery fills, after the checks every delivery passes:
    /// the recipient is a member, the author is one, it is the first time.
    fn deliverable_slot(&mut self, node: NodeId, msg: MsgId) -> Option<usize> {
        let Some(s) = self.slot(node, msg) else {
            self.invalid_deliveries += 1;
            return None;
        };
        let m = &self.messages[msg as usize];
        if self.group_members[m.group as usize]
            .binary_search(&m.sender)
            .is_err()
        {
            self.unauthorized += 1;
            return None;
        }
        if self.times[s].delivered != SimTime::NEVER {
            if !self.forgetful.get(node as usize).copied().unwrap_or(false) {
                self.invalid_deliveries += 1;
            }
            return None;
        }
        Some(s)
    }

    /// `node` delivered `msg` to its application at `now`.
    pub fn on_deliver(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        let Some(s) = self.deliverable_slot(node, msg) else {
            return;
        };
        let parents = self.messages[msg as usize].parents.clone();
        let ready = parents.iter().all(|&p| {
            self.slot(node, p)
                .is_some_and(|ps| self.times[ps].delivered <= now)
        });
        if !ready {
            self.causal_violations += 1;
        }
        self.times[s].delivered = now;
    }

    /// When, at or after `heal`, every member online (by `online`
    /// intervals, `[up, down)`) had delivered every message of its groups
    /// written before `heal`: seconds after `heal`, or `None` if never by
    /// `end`. `member[v]` says whether node `v` counts.
    pub fn convergence(
        &self,
        heal: SimTime,
        online: &[Vec<(SimTime, SimTime)>],
        member: &[bool],
        end: SimTime,
    ) -> Option<f64> {
        let done = self.caught_up(heal, member);
        let mut candidates = vec![heal];
        candidates.extend(
            done.iter()
                .copied()
                .filter(|&t| t >= heal && t != SimTime::NEVER),
        );
        for iv in online {
            candidates.extend(
                iv.iter()
                    .flat_map(|&(u, d)| [u, d])
                    .filter(|&t| t >= heal && t != SimTime::NEVER),
            );
        }
        candidates.retain(|&t| t <= end);
        candidates.sort_unstable();
        candidates.dedup();
        let is_online = |v: usize, t: SimTime| online[v].iter().any(|&(u, d)| u <= t && t < d);
        candidates
            .into_iter()
            .find(|&t| (0..member.len()).all(|v| !member[v] || !is_online(v, t) || done[v] <= t))
            .map(|t| (t - heal).as_secs_f64())
    }

    /// Per node: when it had delivered every message of its groups written
    /// before `heal` by someone else (`NEVER` if it never did).
    fn caught_up(&self, heal: SimTime, member: &[bool]) -> Vec<SimTime> {
        let mut done = vec![SimTime::ZERO; member.len()];
        for m in self.messages.iter().take_while(|m| m.created < heal) {
            let members = &self.group_members[m.group as usize];
            for (rank, &v) in members.iter().enumerate() {
                if v != m.sender && member[v as usize] {
                    let at = self.times[self.slot_base[m.id as usize] + rank].delivered;
                    done[v as usize] = done[v as usize].max(at);
                }
            }
        }
        done
    }

    /// The summary and delivery table of the run; `end` says what only
    /// the engine knows at the end.
    pub fn finish(self, info: RunInfo, end: EndOfRun<'_>) -> RunReport {
        let held = self.held_at_end(end.holds);
        let tally = self.tally(&held);
        let convergence = end
            .convergence
            .and_then(|c| self.convergence(c.heal, &c.online, &c.member, info.duration));
        let summary = self.summary(info, &tally, convergence, end.in_flight);
        RunReport {
            summary,
            deliveries: tally.rows,
            // Whoever else held a message (nodes, payloads) is gone by now,
            // so this moves the messages out rather than copying them.
            messages: self
                .messages
                .into_iter()
                .map(|m| MessageRef::try_unwrap(m).unwrap_or_else(|m| (*m).clone()))
                .collect(),
            group_names: self.group_names,
        }
    }

    /// Per message: whether some node or mailserver holds it at the end.
    /// Only messages some member lacks matter for loss accounting, so only
    /// they are asked about.
    fn held_at_end(&self, holds: &dyn Fn(MsgId, GroupId) -> bool) -> Vec<bool> {
        self.messages
            .iter()
            .map(|m| !self.incomplete(m) || holds(m.id, m.group))
            .collect()
    }

    /// True when `m` was written by a member and some other member has not
    /// delivered it.
    fn incomplete(&self, m: &MessageRef) -> bool {
        let members = &self.group_members[m.group as usize];
        let base = self.slot_base[m.id as usize];
        members.binary_search(&m.sender).is_ok()
            && members
                .iter()
                .enumerate()
                .any(|(r, &v)| v != m.sender && self.times[base + r].delivered == SimTime::NEVER)
    }

    /// Folds every (message, member) slot into the delivery figures.
    fn tally(&self, held: &[bool]) -> Tally {
        // Sized up front (an upper bound: senders' own slots count too), so
        // millions of rows never pass through a doubling reallocation.
        let rows = self
            .times
            .iter()
            .filter(|t| t.delivered != SimTime::NEVER)
            .count();
        let mut t = Tally {
            latencies: Vec::with_capacity(rows),
            rows: Vec::with_capacity(rows),
            ..Tally::default()
        };
        for m in &self.messages {
            let members = &self.group_members[m.group as usize];
            if members.binary_search(&m.sender).is_err() {
                continue; // injected by a non-member: due to no one
            }
            let base = self.slot_base[m.id as usize];
            if !held[m.id as usize] {
                let got = members
                    .iter()
                    .enumerate()
                    .filter(|&(r, &v)| {
                        v != m.sender && self.times[base + r].delivered != SimTime::NEVER
                    })
                    .count();
                t.lost_msgs += u64::from(got == 0);
                t.lost_pairs += (members.len() - 1 - got) as u64;
            }
            for (rank, &node) in members.iter().enumerate() {
                if node != m.sender {
                    t.add(m, node, self.times[base + rank]);
                }
            }
        }
        t.latencies.sort_unstable();
        t
    }

    /// The headline figures.
    fn summary(
        &self,
        info: RunInfo,
        t: &Tally,
        convergence: Option<f64>,
        in_flight: u64,
    ) -> Summary {
        let n = t.latencies.len() as u64;
        let pct = |p: f64| pct_secs(&t.latencies, p);
        Summary {
            scenario: info.scenario,
            strategy: info.strategy,
            seed: info.seed,
            nodes: info.nodes,
            duration_s: info.duration.as_secs_f64(),
            messages_created: self.messages.len() as u64,
            deliveries_expected: t.expected,
            deliveries: n,
            delivery_ratio: (t.expected > 0).then(|| n as f64 / t.expected as f64),
            latency_mean_s: (n > 0).then(|| {
                t.latencies.iter().map(|&l| u128::from(l)).sum::<u128>() as f64 / n as f64 / 1e6
            }),
            latency_p50_s: pct(0.50),
            latency_p90_s: pct(0.90),
            latency_p99_s: pct(0.99),
            latency_max_s: t.latencies.last().map(|&l| l as f64 / 1e6),
            bytes_sent_total: self.bytes_sent,
            bytes_per_delivery: (n > 0).then(|| self.bytes_sent as f64 / n as f64),
            bytes_by_record: self.bytes_by_record(),
            mailserver_bytes: self.mail_bytes,
            mailserver_requests: self.mail_requests,
            mailserver_lost: self.mail_lost,
            payloads_sent: self.payloads_sent,
            payloads_lost: self.payloads_lost,
            payloads_duplicated: self.payloads_duplicated,
            payloads_received: self.payloads_received,
            payloads_in_flight: in_flight,
            records_sent: self.records_sent(),
            duplicate_messages_received: self.duplicates,
            causal_violations: self.causal_violations,
            invalid_deliveries: self.invalid_deliveries,
            unauthorized_accepted: self.unauthorized,
            deliveries_without_parents: self.unverified,
            messages_lost: t.lost_msgs,
            deliveries_lost: t.lost_pairs,
            crashes: self.crashes,
            spam_bytes: self.spam_bytes,
            spam_bytes_relayed: self.spam_relayed,
            blocked_deliveries: t.blocked,
            blocked_time_mean_s: (t.blocked_done > 0)
                .then(|| t.blocked_wait as f64 / t.blocked_done as f64 / 1e6),
            undelivered_missing_parents: t.undeliverable,
            convergence_s: convergence,
            events: self.events,
            trace_hash: format!("{:016x}", self.trace),
            world_hash: format!("{:016x}", self.world),
        }
    }

    /// Bytes by record kind, then `overhead` and `mailserver`.
    fn bytes_by_record(&self) -> Counts {
        let kinds = self.labels.iter().zip(&self.bytes_by_kind);
        let mut out: Vec<(String, u64)> = kinds.map(|(l, &b)| (l.name.to_string(), b)).collect();
        out.push(("overhead".into(), self.overhead));
        out.push(("mailserver".into(), self.mail_bytes));
        Counts(out)
    }

    /// Records by kind; kinds not listed when zero only once used.
    fn records_sent(&self) -> Counts {
        let kinds = self.labels.iter().zip(&self.records_by_kind);
        Counts(
            kinds
                .filter(|(l, &n)| l.listed_when_zero || n > 0)
                .map(|(l, &n)| (l.name.to_string(), n))
                .collect(),
        )
    }
}

/// The delivery figures of a run, folded slot by slot.
#[derive(Default)]
struct Tally {
    /// Creation to delivery, microseconds, sorted at the end.
    latencies: Vec<u64>,
    rows: Vec<DeliveryRow>,
    expected: u64,
    blocked: u64,
    blocked_done: u64,
    blocked_wait: u128,
    undeliverable: u64,
    lost_msgs: u64,
    lost_pairs: u64,
}

impl Tally {
    /// Counts the slot of (`m`, `node`), a member other than the sender.
    fn add(&mut self, m: &MessageRef, node: NodeId, times: SlotTimes) {
        self.expected += 1;
        let SlotTimes {
            received: rx,
            delivered: dx,
        } = times;
        if rx != SimTime::NEVER && dx != rx {
            self.blocked += 1;
        }
        if dx == SimTime::NEVER {
            self.undeliverable += u64::from(rx != SimTime::NEVER);
            return;
        }
        if rx != SimTime::NEVER && dx > rx {
            self.blocked_done += 1;
            self.blocked_wait += u128::from((dx - rx).as_micros());
        }
        self.latencies.push((dx - m.created).as_micros());
        self.rows.push(DeliveryRow {
            message: m.id,
            group: m.group,
            sender: m.sender,
            recipient: node,
            created: m.created,
            received: rx.min(dx),
            delivered: dx,
        });
    }
}

/// Nearest-rank percentile of sorted microsecond values, in seconds.
fn pct_secs(sorted: &[u64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::message::test_message;

    fn msg(id: MsgId, sender: NodeId, parents: &[MsgId]) -> MessageRef {
        test_message(id, sender, SimTime::from_secs(1), parents)
    }

    fn recorder() -> Recorder {
        Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], Vec::new())
    }

    fn end() -> EndOfRun<'static> {
        EndOfRun {
            in_flight: 0,
            holds: &|_, _| true,
            convergence: None,
        }
    }

    fn info() -> RunInfo {
        RunInfo {
            scenario: "t".into(),
            strategy: "bsp-batch".into(),
            seed: 1,
            nodes: 3,
            duration: SimTime::from_secs(10),
        }
    }

    #[test]
    fn out_of_order_delivery_is_a_causal_violation() {
        let mut r = recorder();
        r.on_create(msg(0, 0, &[]));
        r.on_create(msg(1, 0, &[0]));
        r.on_deliver(1, 1, SimTime::from_secs(2));
        r.on_deliver(1, 0, SimTime::from_secs(3));
        let s = r.finish(info(), end()).summary;
        assert_eq!(s.causal_violations, 1);
        assert_eq!(s.deliveries, 2);
    }

    #[test]
    fn in_order_delivery_is_clean_and_blocking_is_measured() {
        let mut r = recorder();
        // One `MessageRef` per message, as in a run: the recorder checks
        // that what arrives is what was created.
        let (m0, m1) = (msg(0, 0, &[]), msg(1, 0, &[0]));
        r.on_create(m0.clone());
        r.on_create(m1.clone());
        r.on_receive(1, std::slice::from_ref(&m1), SimTime::from_secs(2));
        r.on_receive(1, std::slice::from_ref(&m0), SimTime::from_secs(4));
        r.on_receive(1, std::slice::from_ref(&m0), SimTime::from_secs(5));
        r.on_deliver(1, 0, SimTime::from_secs(4));
        r.on_deliver(1, 1, SimTime::from_secs(4));
        r.on_deliver(1, 1, SimTime::from_secs(4));
        r.on_deliver(0, 0, SimTime::from_secs(4));
        let s = r.finish(info(), end()).summary;
        assert_eq!(s.causal_violations, 0);
        assert_eq!(
            s.invalid_deliveries, 2,
            "redelivery and sender self-delivery"
        );
        assert_eq!(s.blocked_deliveries, 1);
        assert_eq!(s.blocked_time_mean_s, Some(2.0));
        assert_eq!(s.duplicate_messages_received, 1);
        assert_eq!(s.deliveries_expected, 4);
        assert_eq!(s.deliveries, 2);
        assert_eq!(s.latency_max_s, Some(3.0));
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=10).map(|x| x * 1_000_000).collect();
        assert_eq!(pct_secs(&v, 0.5), Some(5.0));
        assert_eq!(pct_secs(&v, 0.9), Some(9.0));
        assert_eq!(pct_secs(&v, 0.99), Some(10.0));
        assert_eq!(pct_secs(&[], 0.5), None);
    }
}

#[cfg(test)]
mod convergence_tests {
    use super::*;
    use crate::sim::message::test_message;

    #[test]
    fn convergence_waits_for_online_members_only() {
        let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], Vec::new());
        let m = test_message(0, 0, SimTime::from_secs(1), &[]);
        r.on_create(m);
        r.on_deliver(1, 0, SimTime::from_secs(15));
        let always = vec![(SimTime::ZERO, SimTime::NEVER)];
        let end = SimTime::from_secs(100);
        let heal = SimTime::from_secs(10);
        // Node 2 never gets it but is offline from 5 s on: converged at 15 s.
        let online = vec![
            always.clone(),
            always.clone(),
            vec![(SimTime::ZERO, SimTime::from_secs(5))],
        ];
        assert_eq!(r.convergence(heal, &online, &[true; 3], end), Some(5.0));
        // Node 2 online throughout: never.
        let online = vec![always.clone(), always.clone(), always];
        assert_eq!(r.convergence(heal, &online, &[true; 3], end), None);
    }
}
