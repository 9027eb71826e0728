//! The recorder: metrics and invariant checks, independent of node code.
//!
//! The engine tells the recorder what happened on the wire and what each
//! node delivered to its application; the recorder keeps, per (message,
//! member) pair, when the member first received the message and when it
//! delivered it, and checks causal order itself: a delivery before all the
//! message's parents were delivered at that node is a `causal_violation`. It
//! never asks a node anything. [`Recorder::finish`] turns the record into a
//! [`RunReport`] whose [`Summary`] keys are the contract listed in DESIGN.md.

use crate::node::wire::{Payload, RecordKind};
use crate::sim::hash::{fnv_bytes, fnv_words, FNV_OFFSET};
use crate::sim::message::{GroupId, Message, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;
use serde::{Deserialize, Serialize};

/// Counts of records sent, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    /// Acknowledged ids.
    pub ack: u64,
    /// Full messages.
    pub message: u64,
    /// Offered ids.
    pub offer: u64,
    /// Requested ids.
    pub request: u64,
    /// Ids in epidemic summary vectors (key present only when used).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub summary: u64,
}

/// Bytes put on links, by what they carried; the fields add up to
/// `bytes_sent_total`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteCounts {
    /// ACK records.
    pub ack: u64,
    /// MESSAGE records (with their metadata).
    pub message: u64,
    /// OFFER records.
    pub offer: u64,
    /// REQUEST records.
    pub request: u64,
    /// Epidemic summary vectors.
    #[serde(default)]
    pub summary: u64,
    /// Per-payload transport overhead.
    pub overhead: u64,
    /// Store-forward mailserver traffic.
    pub mailserver: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The run's headline figures (`summary.json`).
/// Missing keys read as their defaults, so results written by older versions
/// (committed baselines) stay readable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Strategy run.
    pub strategy: String,
    /// Run seed.
    pub seed: u64,
    /// Node count.
    pub nodes: u32,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Messages written.
    pub messages_created: u64,
    /// (message, recipient) pairs due: every other member of its group.
    pub deliveries_expected: u64,
    /// Pairs delivered by the end.
    pub deliveries: u64,
    /// `deliveries / deliveries_expected` (null when nothing was due).
    pub delivery_ratio: Option<f64>,
    /// Mean creation → delivery latency over delivered pairs.
    pub latency_mean_s: Option<f64>,
    /// Median latency (nearest rank).
    pub latency_p50_s: Option<f64>,
    /// 90th percentile latency.
    pub latency_p90_s: Option<f64>,
    /// 99th percentile latency.
    pub latency_p99_s: Option<f64>,
    /// Largest latency.
    pub latency_max_s: Option<f64>,
    /// Encoded bytes put on links, lost ones included, with transport overhead.
    pub bytes_sent_total: u64,
    /// `bytes_sent_total / deliveries` (null with no delivery).
    pub bytes_per_delivery: Option<f64>,
    /// `bytes_sent_total` split by what the bytes carried.
    pub bytes_by_record: ByteCounts,
    /// Bytes of mailserver traffic (archive uploads, requests, responses),
    /// included in `bytes_sent_total`.
    pub mailserver_bytes: u64,
    /// Queries sent to store-forward mailservers.
    pub mailserver_requests: u64,
    /// Mailserver queries or responses lost on the way (or whose client or
    /// mailserver went offline first).
    pub mailserver_lost: u64,
    /// Payloads put on links.
    pub payloads_sent: u64,
    /// Payloads lost (link loss, or an endpoint offline before arrival).
    pub payloads_lost: u64,
    /// Extra copies the links made (duplication faults).
    pub payloads_duplicated: u64,
    /// Payloads that reached their receiver.
    pub payloads_received: u64,
    /// Payloads still on the way at the end. Always
    /// `payloads_sent + payloads_duplicated = payloads_received +
    /// payloads_lost + payloads_in_flight`.
    pub payloads_in_flight: u64,
    /// Records sent by kind.
    pub records_sent: RecordCounts,
    /// MESSAGE records for messages the receiver already held.
    pub duplicate_messages_received: u64,
    /// Deliveries made before a parent was delivered (must be 0).
    pub causal_violations: u64,
    /// Deliveries to a non-member, or of a message twice (must be 0).
    pub invalid_deliveries: u64,
    /// Deliveries of messages written by a non-member of the group (must
    /// be 0: receivers reject them).
    pub unauthorized_accepted: u64,
    /// Deliveries made without all parents (after `sync.max_parent_wait_s`).
    pub deliveries_without_parents: u64,
    /// Messages held by no node (nor mailserver) at the end and delivered to
    /// no one.
    pub messages_lost: u64,
    /// Undelivered pairs whose message no node holds at the end: they can
    /// never be delivered.
    pub deliveries_lost: u64,
    /// Node crashes.
    pub crashes: u64,
    /// Bytes of MESSAGE records carrying spam, and the part honest nodes
    /// sent (relayed).
    pub spam_bytes: u64,
    /// Bytes of spam MESSAGE records sent by nodes other than the spammer.
    pub spam_bytes_relayed: u64,
    /// Pairs received before their parents were delivered.
    pub blocked_deliveries: u64,
    /// Mean receipt → delivery wait of blocked pairs that were delivered.
    pub blocked_time_mean_s: Option<f64>,
    /// Pairs received but never deliverable by the end.
    pub undelivered_missing_parents: u64,
    /// With partitions: seconds from the last heal until every online
    /// member has delivered every message written before it (null: never,
    /// or no partition).
    pub convergence_s: Option<f64>,
    /// Events the engine processed.
    pub events: u64,
    /// FNV-1a hash of the processed event trace (determinism fingerprint).
    pub trace_hash: String,
    /// FNV-1a hash of the world alone: churn, contacts, partitions and the
    /// messages written (who, when, where, how big). Equal across
    /// strategies for one scenario and seed.
    pub world_hash: String,
}

/// One delivered (message, recipient) pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    /// Message id.
    pub message: MsgId,
    /// Group index (`RunReport::group_names` has the names).
    pub group: crate::sim::message::GroupId,
    /// Author.
    pub sender: NodeId,
    /// Recipient.
    pub recipient: NodeId,
    /// Written at.
    pub created: SimTime,
    /// First received at.
    pub received: SimTime,
    /// Delivered to the application at.
    pub delivered: SimTime,
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// Headline figures.
    pub summary: Summary,
    /// Delivered pairs, by (message, recipient).
    pub deliveries: Vec<DeliveryRow>,
    /// Every message written, in creation order.
    pub messages: Vec<Message>,
    /// Group names, by group index.
    pub group_names: Vec<String>,
}

impl RunReport {
    /// `summary.json` text (pretty, stable key order, trailing newline).
    pub fn summary_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.summary).expect("summary serializes");
        s.push('\n');
        s
    }
}

/// What a run is, for the summary's header fields.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Strategy name.
    pub strategy: String,
    /// Seed.
    pub seed: u64,
    /// Nodes.
    pub nodes: u32,
    /// Simulated time.
    pub duration: SimTime,
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
    bytes_sent: u64,
    bytes_by: ByteCounts,
    mail_bytes: u64,
    mail_requests: u64,
    mail_lost: u64,
    payloads_sent: u64,
    payloads_lost: u64,
    payloads_duplicated: u64,
    payloads_received: u64,
    payloads_in_flight: u64,
    unauthorized: u64,
    unverified: u64,
    crashes: u64,
    spam: Vec<bool>,
    spam_bytes: u64,
    spam_relayed: u64,
    /// Nodes that lost their state in a crash: repeated deliveries to them
    /// are re-displays, not errors.
    forgetful: Vec<bool>,
    /// Per message: some node (or mailserver) holds it at the end.
    held_at_end: Vec<bool>,
    records: RecordCounts,
    duplicates: u64,
    causal_violations: u64,
    invalid_deliveries: u64,
    events: u64,
    trace: u64,
    world: u64,
}

impl Recorder {
    /// A recorder for groups with these (sorted) member lists and names.
    pub fn new(group_members: Vec<Vec<NodeId>>, group_names: Vec<String>) -> Self {
        Recorder {
            group_members,
            group_names,
            messages: Vec::new(),
            slot_base: Vec::new(),
            times: Vec::new(),
            got: FixedBitSet::new(),
            bytes_sent: 0,
            bytes_by: ByteCounts::default(),
            mail_bytes: 0,
            mail_requests: 0,
            mail_lost: 0,
            payloads_sent: 0,
            payloads_lost: 0,
            payloads_duplicated: 0,
            payloads_received: 0,
            payloads_in_flight: 0,
            unauthorized: 0,
            unverified: 0,
            crashes: 0,
            spam: Vec::new(),
            spam_bytes: 0,
            spam_relayed: 0,
            forgetful: Vec::new(),
            held_at_end: Vec::new(),
            records: RecordCounts::default(),
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

    /// Payloads still travelling when the run ended.
    pub fn set_in_flight(&mut self, n: u64) {
        self.payloads_in_flight = n;
    }

    /// Messages written by a member that some other member has not
    /// delivered (the only ones whose holders matter at the end).
    pub fn incomplete_messages(&self) -> Vec<MsgId> {
        self.messages
            .iter()
            .filter(|m| {
                let members = &self.group_members[m.group as usize];
                let base = self.slot_base[m.id as usize];
                members.binary_search(&m.sender).is_ok()
                    && members.iter().enumerate().any(|(r, &v)| {
                        v != m.sender && self.times[base + r].delivered == SimTime::NEVER
                    })
            })
            .map(|m| m.id)
            .collect()
    }

    /// The group of message `m`.
    pub fn group_of(&self, m: MsgId) -> crate::sim::message::GroupId {
        self.messages[m as usize].group
    }

    /// Which messages some node or mailserver holds at the end.
    pub fn set_held_at_end(&mut self, held: Vec<bool>) {
        self.held_at_end = held;
    }

    /// A payload of `bytes` wire bytes (its records' encoded length by kind:
    /// `by_kind`) was put on a link by `from`.
    pub fn on_send(&mut self, from: NodeId, bytes: u64, by_kind: [usize; 5], payload: &Payload) {
        self.bytes_sent += bytes;
        for m in &payload.messages {
            if self.spam.get(m.id as usize).copied().unwrap_or(false) {
                let b = crate::node::wire::message_record_len(m) as u64;
                self.spam_bytes += b;
                if from != m.sender {
                    self.spam_relayed += b;
                }
            }
        }
        debug_assert_eq!(by_kind, payload.encoded_len_by_kind());
        let [ack, offer, request, message, summary] = by_kind.map(|b| b as u64);
        let b = &mut self.bytes_by;
        b.ack += ack;
        b.offer += offer;
        b.request += request;
        b.message += message;
        b.summary += summary;
        b.overhead += bytes - (ack + offer + request + message + summary);
        self.payloads_sent += 1;
        self.records.ack += payload.count(RecordKind::Ack) as u64;
        self.records.message += payload.count(RecordKind::Message) as u64;
        self.records.offer += payload.count(RecordKind::Offer) as u64;
        self.records.request += payload.count(RecordKind::Request) as u64;
        self.records.summary += payload.count(RecordKind::Summary) as u64;
    }

    /// Mailserver traffic of `bytes` (an archive upload or a response).
    pub fn on_mail(&mut self, bytes: u64) {
        self.bytes_sent += bytes;
        self.bytes_by.mailserver += bytes;
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

    /// A sync payload reached `node` at `now`.
    pub fn on_arrival(&mut self, node: NodeId, payload: &Payload, now: SimTime) {
        self.payloads_received += 1;
        self.on_receive(node, payload, now);
    }

    /// A payload (sync or from a mailserver) reached `node` at `now`.
    pub fn on_receive(&mut self, node: NodeId, payload: &Payload, now: SimTime) {
        for m in &payload.messages {
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

    /// The summary and delivery table of the run.
    pub fn finish(self, info: RunInfo) -> RunReport {
        // Sized up front (an upper bound: senders' own slots count too), so
        // millions of rows never pass through a doubling reallocation.
        let rows = self
            .times
            .iter()
            .filter(|t| t.delivered != SimTime::NEVER)
            .count();
        let mut latencies = Vec::with_capacity(rows);
        let mut deliveries = Vec::with_capacity(rows);
        let (mut expected, mut blocked, mut blocked_done, mut undeliverable) =
            (0u64, 0u64, 0u64, 0u64);
        let mut blocked_wait = 0u128;
        let (mut lost_msgs, mut lost_pairs) = (0u64, 0u64);
        for m in &self.messages {
            let members = &self.group_members[m.group as usize];
            if members.binary_search(&m.sender).is_err() {
                continue; // injected by a non-member: due to no one
            }
            let held = self.held_at_end.get(m.id as usize).copied().unwrap_or(true);
            let base = self.slot_base[m.id as usize];
            let got = members
                .iter()
                .enumerate()
                .filter(|&(r, &v)| {
                    v != m.sender && self.times[base + r].delivered != SimTime::NEVER
                })
                .count();
            if !held {
                lost_msgs += u64::from(got == 0);
                lost_pairs += (members.len() - 1 - got) as u64;
            }
            for (rank, &node) in members.iter().enumerate() {
                if node == m.sender {
                    continue;
                }
                expected += 1;
                let s = self.slot_base[m.id as usize] + rank;
                let SlotTimes {
                    received: rx,
                    delivered: dx,
                } = self.times[s];
                if rx != SimTime::NEVER && dx != rx {
                    blocked += 1;
                }
                if dx == SimTime::NEVER {
                    undeliverable += u64::from(rx != SimTime::NEVER);
                    continue;
                }
                if rx != SimTime::NEVER && dx > rx {
                    blocked_done += 1;
                    blocked_wait += u128::from((dx - rx).as_micros());
                }
                latencies.push((dx - m.created).as_micros());
                deliveries.push(DeliveryRow {
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
        latencies.sort_unstable();
        let n = latencies.len() as u64;
        let pct = |p: f64| pct_secs(&latencies, p);
        let summary = Summary {
            scenario: info.scenario,
            strategy: info.strategy,
            seed: info.seed,
            nodes: info.nodes,
            duration_s: info.duration.as_secs_f64(),
            messages_created: self.messages.len() as u64,
            deliveries_expected: expected,
            deliveries: n,
            delivery_ratio: (expected > 0).then(|| n as f64 / expected as f64),
            latency_mean_s: (n > 0).then(|| {
                latencies.iter().map(|&l| u128::from(l)).sum::<u128>() as f64 / n as f64 / 1e6
            }),
            latency_p50_s: pct(0.50),
            latency_p90_s: pct(0.90),
            latency_p99_s: pct(0.99),
            latency_max_s: latencies.last().map(|&l| l as f64 / 1e6),
            bytes_sent_total: self.bytes_sent,
            bytes_per_delivery: (n > 0).then(|| self.bytes_sent as f64 / n as f64),
            bytes_by_record: self.bytes_by,
            mailserver_bytes: self.mail_bytes,
            mailserver_requests: self.mail_requests,
            mailserver_lost: self.mail_lost,
            payloads_sent: self.payloads_sent,
            payloads_lost: self.payloads_lost,
            payloads_duplicated: self.payloads_duplicated,
            payloads_received: self.payloads_received,
            payloads_in_flight: self.payloads_in_flight,
            records_sent: self.records,
            duplicate_messages_received: self.duplicates,
            causal_violations: self.causal_violations,
            invalid_deliveries: self.invalid_deliveries,
            unauthorized_accepted: self.unauthorized,
            deliveries_without_parents: self.unverified,
            messages_lost: lost_msgs,
            deliveries_lost: lost_pairs,
            crashes: self.crashes,
            spam_bytes: self.spam_bytes,
            spam_bytes_relayed: self.spam_relayed,
            blocked_deliveries: blocked,
            blocked_time_mean_s: (blocked_done > 0)
                .then(|| blocked_wait as f64 / blocked_done as f64 / 1e6),
            undelivered_missing_parents: undeliverable,
            convergence_s: None,
            events: self.events,
            trace_hash: format!("{:016x}", self.trace),
            world_hash: format!("{:016x}", self.world),
        };
        RunReport {
            summary,
            deliveries,
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
        Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()])
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
        let s = r.finish(info()).summary;
        assert_eq!(s.causal_violations, 1);
        assert_eq!(s.deliveries, 2);
    }

    #[test]
    fn in_order_delivery_is_clean_and_blocking_is_measured() {
        let mut r = recorder();
        r.on_create(msg(0, 0, &[]));
        r.on_create(msg(1, 0, &[0]));
        let p1 = Payload {
            messages: vec![msg(1, 0, &[0])],
            ..Default::default()
        };
        let p0 = Payload {
            messages: vec![msg(0, 0, &[])],
            ..Default::default()
        };
        r.on_receive(1, &p1, SimTime::from_secs(2));
        r.on_receive(1, &p0, SimTime::from_secs(4));
        r.on_receive(1, &p0, SimTime::from_secs(5));
        r.on_deliver(1, 0, SimTime::from_secs(4));
        r.on_deliver(1, 1, SimTime::from_secs(4));
        r.on_deliver(1, 1, SimTime::from_secs(4));
        r.on_deliver(0, 0, SimTime::from_secs(4));
        let s = r.finish(info()).summary;
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
        let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()]);
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
