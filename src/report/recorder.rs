//! The recorder: what the engine tells it happened, folded into a report.
//!
//! The engine reports events (folded into the trace and world hashes),
//! payloads put on links (bytes and records by the strategy's kinds,
//! overhead, spam), losses, mailserver traffic, and what each node received
//! and delivered to its application; the latter go to the invariant checker
//! (`checker.rs`), which keeps per (message, member) pair when it was
//! received and delivered and checks causal order itself (and keeps each
//! member's shown order, `history.rs`). Sends, arrivals and mailserver
//! traffic also feed who served whom and who saw which group's messages
//! (`service.rs`). Nothing here asks
//! a node anything. [`Recorder::finish`] turns the record into a
//! [`RunReport`] whose [`Summary`] keys are the contract the README lists.
//!
//! Imports: `sim/` only.

use super::checker::{Checker, Tally};
use super::history::HistoryFigures;
use super::one::OneTally;
use super::service::{mean_max, Contribution, Exposure, NodeKind, ROLES};
use super::summary::{Counts, NodeRow, RunInfo, RunReport, Summary};
use crate::sim::hash::{fnv_bytes, fnv_words, FNV_OFFSET};
use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;

/// A record kind as the report labels it (the strategy's declaration,
/// passed in by the engine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLabel {
    /// Key in `records_sent` and `bytes_by_record`.
    pub name: &'static str,
    /// Listed in `records_sent` even when none was sent.
    pub listed_when_zero: bool,
}

/// Most record kinds a strategy may declare (the node layer's
/// `MAX_RECORD_KINDS`; the engine checks they agree).
pub const MAX_RECORD_KINDS: usize = 8;

/// A payload put on a link, as the recorder counts it.
#[derive(Clone, Copy, Debug)]
pub struct Sent<'a> {
    /// The sender.
    pub from: NodeId,
    /// Bytes on the wire, with the link's overhead.
    pub bytes: u64,
    /// Encoded bytes of each record kind (in the order of the labels;
    /// 0 past them).
    pub bytes_by_kind: &'a [u64; MAX_RECORD_KINDS],
    /// Records of each kind.
    pub records_by_kind: &'a [u64; MAX_RECORD_KINDS],
    /// The messages it carries in full.
    pub messages: &'a [MessageRef],
    /// Bytes of the record carrying a message in full.
    pub message_record_len: fn(&MessageRef) -> usize,
    /// Bytes of causal metadata in it (`WirePayload::causal_len`).
    pub causal_bytes: u64,
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

/// Collects metrics and checks invariants during a run.
#[derive(Debug)]
pub struct Recorder {
    /// Receipts, deliveries and the invariants they must keep.
    checker: Checker,
    group_names: Vec<String>,
    /// The strategy's record kinds.
    labels: Vec<RecordLabel>,
    bytes_sent: u64,
    /// Encoded bytes by record kind (fixed size: the per-payload sums
    /// compile to a few vector adds).
    bytes_by_kind: [u64; MAX_RECORD_KINDS],
    overhead: u64,
    mail_bytes: u64,
    mail_requests: u64,
    mail_lost: u64,
    payloads_sent: u64,
    payloads_lost: u64,
    payloads_duplicated: u64,
    payloads_received: u64,
    crashes: u64,
    spam: Vec<bool>,
    spam_bytes: u64,
    spam_relayed: u64,
    records_by_kind: [u64; MAX_RECORD_KINDS],
    events: u64,
    trace: u64,
    world: u64,
    /// Whether the run promised causal order (see
    /// [`Recorder::promise_causal_order`]).
    causal_promised: bool,
    /// The ONE's message statistics.
    one: OneTally,
    /// Bytes each node sent by role, received, online time.
    contribution: Contribution,
    /// Per group: outside nodes that saw its messages.
    exposure: Exposure,
    causal_bytes: u64,
}

impl Recorder {
    /// A recorder for groups with these (sorted) member lists and names,
    /// counting records of the kinds `labels`.
    pub fn new(
        group_members: Vec<Vec<NodeId>>,
        group_names: Vec<String>,
        labels: Vec<RecordLabel>,
    ) -> Self {
        assert!(
            labels.len() <= MAX_RECORD_KINDS,
            "a strategy declares at most {MAX_RECORD_KINDS} record kinds"
        );
        Recorder {
            contribution: Contribution::default(),
            exposure: Exposure::new(group_members.len(), 0),
            causal_bytes: 0,
            one: OneTally::new(group_members.clone()),
            checker: Checker::new(group_members),
            group_names,
            bytes_sent: 0,
            bytes_by_kind: [0; MAX_RECORD_KINDS],
            overhead: 0,
            records_by_kind: [0; MAX_RECORD_KINDS],
            labels,
            mail_bytes: 0,
            mail_requests: 0,
            mail_lost: 0,
            payloads_sent: 0,
            payloads_lost: 0,
            payloads_duplicated: 0,
            payloads_received: 0,
            crashes: 0,
            spam: Vec::new(),
            spam_bytes: 0,
            spam_relayed: 0,
            events: 0,
            trace: FNV_OFFSET,
            world: FNV_OFFSET,
            causal_promised: true,
        }
    }

    /// Whether the run promised causal order (default: it did). Only then
    /// is a delivery before a parent a `causal_violation`;
    /// `delivered_before_parent` counts them in every run.
    pub fn promise_causal_order(&mut self, promised: bool) {
        self.causal_promised = promised;
    }

    /// What each node is (for `bytes_by_role` and `nodes.csv`), and
    /// whether the strategy's wire names a message's author beside its
    /// group (`Capabilities::wire_links_sender_to_group`).
    pub fn set_nodes(&mut self, kinds: Vec<NodeKind>, wire_links: bool) {
        self.contribution = Contribution::new(kinds);
        self.exposure.wire_links = wire_links;
    }

    /// `node` came online (`up`) or went offline at `now`.
    pub fn on_online(&mut self, node: NodeId, now: SimTime, up: bool) {
        self.contribution.on_online(node, now, up);
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
        let fields = [
            u64::from(msg.id),
            u64::from(msg.group),
            u64::from(msg.sender),
            msg.created.as_micros(),
            u64::from(msg.body_len),
        ];
        self.world = fnv_words(self.world, &fields);
        self.one.on_create(&msg);
        self.checker.on_create(msg);
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
            self.checker.forget(node);
        }
    }

    /// A link made an extra copy of a payload.
    pub fn on_duplicate(&mut self) {
        self.payloads_duplicated += 1;
    }

    /// A payload was put on a link.
    #[inline]
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
        for k in 0..MAX_RECORD_KINDS {
            self.bytes_by_kind[k] += p.bytes_by_kind[k];
            self.records_by_kind[k] += p.records_by_kind[k];
        }
        self.overhead += p.bytes - p.bytes_by_kind.iter().sum::<u64>();
        self.causal_bytes += p.causal_bytes;
        let checker = &self.checker;
        self.contribution
            .on_send(p.from, p.bytes, p.messages, p.message_record_len, |v, g| {
                checker.is_member(v, g)
            });
        self.payloads_sent += 1;
        self.one.on_started(p.messages.len());
    }

    /// `from` uploaded a payload of `bytes` carrying `messages` to
    /// mailserver `server`'s archive (stored at once).
    pub fn on_mail_upload(
        &mut self,
        from: NodeId,
        server: NodeId,
        messages: &[MessageRef],
        bytes: u64,
        record_len: fn(&MessageRef) -> usize,
    ) {
        self.bytes_sent += bytes;
        self.mail_bytes += bytes;
        let checker = &self.checker;
        let member = |v, g| checker.is_member(v, g);
        self.contribution
            .on_send(from, bytes, messages, record_len, member);
        self.contribution.on_received(server, bytes);
        for m in messages {
            if !self.checker.is_member(server, m.group) {
                self.exposure.on_outside(from, server, m);
            }
        }
    }

    /// Mailserver `server` sent a response of `bytes`.
    pub fn on_mail_response(&mut self, server: NodeId, bytes: u64) {
        self.bytes_sent += bytes;
        self.mail_bytes += bytes;
        self.contribution.on_control(server, bytes);
    }

    /// `client` sent a query of `bytes` to a mailserver.
    pub fn on_mail_request(&mut self, client: NodeId, bytes: u64) {
        self.bytes_sent += bytes;
        self.mail_bytes += bytes;
        self.mail_requests += 1;
        self.contribution.on_control(client, bytes);
    }

    /// A mailserver query or response of `bytes` reached `node`.
    pub fn on_mail_received(&mut self, node: NodeId, bytes: u64) {
        self.contribution.on_received(node, bytes);
    }

    /// A sync payload carrying `messages` message records in full was
    /// lost (on the link, in flight, or a transfer aborted).
    pub fn on_lost(&mut self, messages: usize) {
        self.payloads_lost += 1;
        self.one.on_aborted(messages);
    }

    /// A node's buffer let go of a message it had held since `since`:
    /// `dropped` (full buffer, TTL) or removed.
    pub fn on_buffer_delete(&mut self, since: SimTime, now: SimTime, dropped: bool) {
        self.one.on_deleted(since, now, dropped);
    }

    /// A mailserver request or response was lost (its bytes were counted).
    pub fn on_mail_lost(&mut self) {
        self.mail_lost += 1;
    }

    /// A sync payload of `bytes` carrying `messages` in full reached
    /// `node` from `from` at `now`.
    pub fn on_arrival(
        &mut self,
        from: NodeId,
        node: NodeId,
        messages: &[MessageRef],
        bytes: u64,
        now: SimTime,
    ) {
        self.payloads_received += 1;
        self.contribution.on_received(node, bytes);
        for m in messages {
            if !self.checker.is_member(node, m.group) {
                self.exposure.on_outside(from, node, m);
            }
        }
        self.one.on_arrival(from, node, messages, now);
        self.checker.on_receive(node, messages, now);
    }

    /// A payload (sync or from a mailserver) carrying `messages` in full
    /// reached `node` at `now`.
    pub fn on_receive(&mut self, node: NodeId, messages: &[MessageRef], now: SimTime) {
        self.checker.on_receive(node, messages, now);
    }

    /// `node` delivered `msg` to its application at `now`.
    pub fn on_deliver(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        self.checker.on_deliver(node, msg, now);
    }

    /// `node` delivered `msg` to its application at `now` without all its
    /// parents (the store's maximum wait ran out).
    pub fn on_deliver_unverified(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        self.checker.on_deliver_unverified(node, msg, now);
    }

    /// Seconds after `heal` until every
    /// online member had delivered every message written before it.
    pub fn convergence(
        &self,
        heal: SimTime,
        online: &[Vec<(SimTime, SimTime)>],
        member: &[bool],
        end: SimTime,
    ) -> Option<f64> {
        self.checker.convergence(heal, online, member, end)
    }

    /// The summary and delivery table of the run; `end` says what only
    /// the engine knows at the end.
    pub fn finish(self, info: RunInfo, end: EndOfRun<'_>) -> RunReport {
        let held = self.checker.held_at_end(end.holds);
        let tally = self.checker.tally(&held);
        let convergence = end
            .convergence
            .and_then(|c| self.convergence(c.heal, &c.online, &c.member, info.duration));
        let duration = info.duration;
        let history = self.checker.history.finish(duration);
        let summary = self.summary(info, &tally, convergence, end.in_flight);
        let summary = self.with_new_figures(summary, &history);
        let nodes = self.node_rows(&tally, duration);
        RunReport {
            nodes,
            one: self.one.finish(duration),
            summary,
            deliveries: tally.rows,
            undelivered: tally.undelivered,
            // Whoever else held a message (nodes, payloads) is gone by now,
            // so this moves the messages out rather than copying them.
            messages: self
                .checker
                .messages
                .into_iter()
                .map(|m| MessageRef::try_unwrap(m).unwrap_or_else(|m| (*m).clone()))
                .collect(),
            group_names: self.group_names,
        }
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
            messages_created: self.checker.messages.len() as u64,
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
            duplicate_messages_received: self.checker.duplicates,
            causal_violations: if self.causal_promised {
                self.checker.before_parent
            } else {
                0
            },
            delivered_before_parent: self.checker.before_parent,
            invalid_deliveries: self.checker.invalid_deliveries,
            unauthorized_accepted: self.checker.unauthorized,
            deliveries_without_parents: self.checker.unverified,
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
            // Filled by `with_new_figures`.
            ..Summary::default()
        }
    }

    /// The contribution, exposure, order and DAG figures.
    fn with_new_figures(&self, mut s: Summary, h: &HistoryFigures) -> Summary {
        let total = self.bytes_sent;
        let share = |b: u64| (total > 0).then(|| b as f64 / total as f64);
        let roles = self.contribution.by_role();
        s.bytes_by_role = Counts(ROLES.iter().map(|r| r.to_string()).zip(roles).collect());
        s.service_fairness = self.contribution.member_fairness();
        s.store_byte_share = share(roles[3]);
        s.nonmember_byte_share = share(roles[2]);
        let counts = self.exposure.counts();
        let exposed: Vec<u64> = counts.iter().map(|c| c.0).collect();
        let linking: Vec<u64> = counts.iter().map(|c| c.1).collect();
        (s.exposed_nodes_mean, s.exposed_nodes_max) = mean_max(&exposed);
        (s.linking_nodes_mean, s.linking_nodes_max) = mean_max(&linking);
        s.order_agreement = h.agreement;
        s.reorders = self.checker.history.reorders;
        s.reorders_per_delivery =
            (s.deliveries > 0).then(|| s.reorders as f64 / s.deliveries as f64);
        s.parents_mean = h.parents_mean;
        s.parents_max = h.parents_max;
        s.heads_max = h.heads_max;
        s.heads_mean = h.heads_mean;
        s.dag_depth_max = h.depth_max;
        s.causal_bytes = self.causal_bytes;
        s.causal_byte_share = share(self.causal_bytes);
        s
    }

    /// The rows of `nodes.csv`.
    fn node_rows(&self, t: &Tally, end: SimTime) -> Vec<NodeRow> {
        let c = &self.contribution;
        let n = c.sent.len();
        let mut authored = vec![0u64; n];
        for m in &self.checker.messages {
            if let Some(a) = authored.get_mut(m.sender as usize) {
                *a += 1;
            }
        }
        let mut got = vec![0u64; n];
        for r in &t.rows {
            if let Some(g) = got.get_mut(r.recipient as usize) {
                *g += 1;
            }
        }
        let online = c.online_fraction(end);
        (0..n)
            .map(|i| NodeRow {
                node: i as NodeId,
                role: c.kind(i as NodeId).name(),
                online_fraction: online[i],
                bytes_sent: c.sent[i],
                bytes_received: c.received[i],
                messages_authored: authored[i],
                deliveries_received: got[i],
            })
            .collect()
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

    /// A run that promised no causal order (eventual delivery, or a
    /// strategy without parents) has nothing to violate; the user still
    /// saw the reply before its question.
    #[test]
    fn delivered_before_parent_counts_in_every_run() {
        for promised in [true, false] {
            let mut r = recorder();
            r.promise_causal_order(promised);
            r.on_create(msg(0, 0, &[]));
            r.on_create(msg(1, 0, &[0]));
            r.on_deliver(1, 1, SimTime::from_secs(2));
            r.on_deliver(1, 0, SimTime::from_secs(3));
            r.on_deliver(2, 0, SimTime::from_secs(3));
            r.on_deliver(2, 1, SimTime::from_secs(4));
            let s = r.finish(info(), end()).summary;
            assert_eq!(s.delivered_before_parent, 1);
            assert_eq!(s.causal_violations, u64::from(promised));
        }
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
    fn relay_duplicates_are_counted() {
        let mut r = recorder();
        // Node 5 relays group 0's messages; node 7 injects one (not a member).
        let (m0, m1) = (msg(0, 0, &[]), msg(1, 7, &[]));
        r.on_create(m0.clone());
        r.on_create(m1.clone());
        let at = SimTime::from_secs(2);
        r.on_receive(5, std::slice::from_ref(&m0), at);
        assert_eq!(r.checker.duplicates, 0, "first copy at a relay");
        r.on_receive(5, &[m0.clone(), m1.clone()], at);
        assert_eq!(r.checker.duplicates, 1, "second copy at the relay");
        r.on_receive(7, std::slice::from_ref(&m1), at);
        assert_eq!(r.checker.duplicates, 2, "back at its non-member author");
        r.on_receive(1, std::slice::from_ref(&m0), at);
        r.on_receive(1, std::slice::from_ref(&m0), at);
        assert_eq!(r.checker.duplicates, 3, "and at members, as before");
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
