//! Store-forward mailservers (Status's Whisper-era mailserver).
//!
//! A mailserver that is online and reachable from the sender archives every
//! payload put on the wire: one envelope per payload, on the recipient's
//! topic (a direct send) or the group's topic (a publish). The upload counts
//! as bytes sent. A client coming online asks every reachable mailserver for
//! the envelopes of its topics since its last answered query, and asks again
//! every `query_interval` while online. A request weighs
//! [`REQUEST_BASE_BYTES`] plus 32 bytes per topic; the response weighs its
//! envelopes plus the link overhead each; both travel over the network like
//! any payload (and can be lost). On arrival each envelope's payload is
//! handed to the client's node as if it came from its original sender.
//! Envelopes older than the retention window are not served; a mailserver
//! that is down neither archives nor serves.
//!
//! A node may also ask for the envelopes carrying given messages
//! ([`crate::node::Command::QueryStore`], SDS's missing-message retrieval):
//! a Waku store v3 query by message hash ([`store_query_request_bytes`],
//! [`store_response_entry_bytes`]; `docs/sources/sds.md`, "Store query by
//! message hash"), answered like a time-range query but with the matching
//! envelopes only, and without moving the client's time-range cursor.

use super::{Event, World};
use crate::node::{Strategy, WirePayload};
use crate::scenario::{MailserverMode, MailserverSpec, Scenario};
use crate::sim::message::{GroupId, MsgId, NodeId};
use crate::sim::time::SimTime;
use crate::world::network::Verdict;
use prost::encoding::{encoded_len_varint, key_len};

/// Fixed part of a mailserver request: time range (16 bytes), a 65-byte
/// signature and framing.
pub const REQUEST_BASE_BYTES: u64 = 100;

/// Characters of a store query's `request_id` (a UUID v4 string, js
/// `packages/core/src/lib/store/rpc.ts`).
const REQUEST_ID_LEN: usize = 36;
/// Characters of the pubsub topic a hash query names (meshsync's
/// assumption: Status's shard `/waku/2/rs/16/32`).
const PUBSUB_TOPIC_LEN: usize = 16;
/// Characters of the content topic of a stored Waku message (meshsync's
/// assumption, e.g. `/waku/1/0x1234abcd/rfc26`).
const CONTENT_TOPIC_LEN: usize = 24;

fn bytes_field(tag: u32, n: usize) -> usize {
    key_len(tag) + encoded_len_varint(n as u64) + n
}

/// A Waku store v3 `StoreQueryRequest` by message hash, as js builds it:
/// `request_id` (1), `include_data = true` (2), `pubsub_topic` (10),
/// `pagination_forward = true` (52) and one 32-byte hash per id (20).
pub fn store_query_request_bytes(ids: usize) -> u64 {
    let fixed = bytes_field(1, REQUEST_ID_LEN)
        + (key_len(2) + 1)
        + bytes_field(10, PUBSUB_TOPIC_LEN)
        + (key_len(52) + 1);
    (fixed + ids * bytes_field(20, 32)) as u64
}

/// A `StoreQueryResponse`'s fixed part: `request_id` (1) and
/// `status_code = 200` (10).
pub fn store_response_fixed_bytes() -> u64 {
    (bytes_field(1, REQUEST_ID_LEN) + key_len(10) + encoded_len_varint(200)) as u64
}

/// One `WakuMessageKeyValue` (field 20 of the response) around a stored
/// payload of `payload` bytes: `message_hash` (32 bytes) and `message` =
/// `WakuMessage { payload = 1; content_topic = 2; timestamp = 10 }`
/// (a nanosecond `sint64`: 9 varint bytes).
pub fn store_response_entry_bytes(payload: u64) -> u64 {
    let msg =
        bytes_field(1, payload as usize) + bytes_field(2, CONTENT_TOPIC_LEN) + key_len(10) + 9;
    let kv = bytes_field(1, 32) + bytes_field(2, msg);
    bytes_field(20, kv) as u64
}

/// Whose envelope it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Addressed to one node.
    Node(NodeId),
    /// Published on a group's topic.
    Group(GroupId),
}

#[derive(Debug)]
struct Envelope<P> {
    at: SimTime,
    from: NodeId,
    topic: Topic,
    payload: P,
    bytes: u64,
}

/// Mailserver events.
#[derive(Debug)]
pub enum MailEvent<P> {
    /// A periodic query by `client` (stale when its epoch changed).
    Query {
        /// The client.
        client: NodeId,
        /// Its online epoch when scheduled.
        epoch: u32,
    },
    /// A request reaches mailserver `server` (index).
    Request {
        client: NodeId,
        server: usize,
        /// The query's bytes.
        bytes: u64,
        since: SimTime,
        until: SimTime,
        epochs: (u32, u32),
    },
    /// A query by message id reaches mailserver `server` (index).
    RequestIds {
        client: NodeId,
        server: usize,
        /// The query's bytes.
        bytes: u64,
        ids: Vec<MsgId>,
        epochs: (u32, u32),
    },
    /// A response reaches `client` (`until`: the end of the time range
    /// answered; `None` for a query by message id).
    Response {
        client: NodeId,
        server: usize,
        /// The response's bytes.
        bytes: u64,
        envelopes: Vec<(NodeId, P)>,
        until: Option<SimTime>,
        epochs: (u32, u32),
    },
}

impl<P> MailEvent<P> {
    /// The client the event concerns.
    pub fn client(&self) -> NodeId {
        match self {
            MailEvent::Query { client, .. }
            | MailEvent::Request { client, .. }
            | MailEvent::RequestIds { client, .. }
            | MailEvent::Response { client, .. } => *client,
        }
    }
}

/// The archives and per-client query state.
#[derive(Debug)]
pub struct Mail<P> {
    spec: MailserverSpec,
    archives: Vec<Vec<Envelope<P>>>,
    /// Per node: envelopes at or after this time are still to fetch.
    since: Vec<SimTime>,
    /// Per node: the groups whose topics it reads.
    topics: Vec<Vec<GroupId>>,
}

impl<P: WirePayload> Mail<P> {
    /// The mailservers of `scenario`, if they are store-forward ones.
    pub fn new(scenario: &Scenario) -> Option<Mail<P>> {
        let spec = scenario.mailservers.clone()?;
        if spec.mode != MailserverMode::StoreForward {
            return None;
        }
        let mut topics = vec![Vec::new(); scenario.nodes as usize];
        for (g, group) in scenario.groups.iter().enumerate() {
            if spec.groups.binary_search(&(g as GroupId)).is_ok() {
                for &m in &group.members {
                    topics[m as usize].push(g as GroupId);
                }
            }
        }
        Some(Mail {
            archives: (0..spec.nodes.len()).map(|_| Vec::new()).collect(),
            since: vec![SimTime::ZERO; scenario.nodes as usize],
            topics,
            spec,
        })
    }

    /// Ids of every message some archive still holds.
    pub fn archived_messages(&self) -> impl Iterator<Item = crate::sim::message::MsgId> + '_ {
        self.archives
            .iter()
            .flatten()
            .flat_map(|e| e.payload.messages().iter().map(|m| m.id))
    }

    /// A client lost its state: its next query asks for everything kept.
    pub fn forget(&mut self, client: NodeId) {
        self.since[client as usize] = SimTime::ZERO;
    }

    fn serves(&self, topic: Topic) -> bool {
        match topic {
            Topic::Node(_) => true,
            Topic::Group(g) => self.spec.groups.binary_search(&g).is_ok(),
        }
    }

    fn reads(&self, client: NodeId, topic: Topic) -> bool {
        match topic {
            Topic::Node(n) => n == client,
            Topic::Group(g) => self.topics[client as usize].binary_search(&g).is_ok(),
        }
    }
}

impl<S: Strategy> World<'_, S> {
    /// Node id of mailserver `k` (an index into the spec's list).
    fn mailserver(&self, k: usize) -> NodeId {
        self.mail
            .as_ref()
            .expect("only called with store-forward mailservers")
            .spec
            .nodes[k]
    }

    fn mailserver_usable(&mut self, a: NodeId, server: NodeId) -> bool {
        self.conn.reachable(a, server) && !self.cut(a, server)
    }

    /// Archives a payload `from` just put on the wire.
    pub(super) fn mail_archive(
        &mut self,
        now: SimTime,
        from: NodeId,
        topic: Topic,
        payload: &S::Payload,
        bytes: u64,
    ) {
        let Some(mail) = &self.mail else { return };
        if !mail.serves(topic) {
            return;
        }
        for k in 0..mail.spec.nodes.len() {
            let s = self.mailserver(k);
            if s != from && self.mailserver_usable(from, s) {
                self.recorder.on_mail_upload(
                    from,
                    s,
                    payload.messages(),
                    bytes,
                    S::Payload::message_record_len,
                );
                let env = Envelope {
                    at: now,
                    from,
                    topic,
                    payload: payload.clone(),
                    bytes,
                };
                if let Some(mail) = &mut self.mail {
                    mail.archives[k].push(env);
                }
            }
        }
    }

    /// A client came online: query now, and schedule periodic queries.
    pub(super) fn mail_on_up(&mut self, now: SimTime, client: NodeId) {
        let Some(mail) = &self.mail else { return };
        if self.mailserver[client as usize] || mail.topics[client as usize].is_empty() {
            return;
        }
        let interval = mail.spec.query_interval;
        self.mail_query(now, client);
        if let Some(every) = interval {
            let epoch = self.epoch[client as usize];
            self.queue.push(
                now + every,
                Event::Mail(Box::new(MailEvent::Query { client, epoch })),
            );
        }
    }

    fn mail_query(&mut self, now: SimTime, client: NodeId) {
        let Some(mail) = &self.mail else { return };
        let since = mail.since[client as usize];
        let topics = mail.topics[client as usize].len() as u64 + 1;
        let servers = mail.spec.nodes.len();
        let bytes = REQUEST_BASE_BYTES + 32 * topics + self.network.wire_bytes(0);
        for server in 0..servers {
            let s = self.mailserver(server);
            if !self.mailserver_usable(client, s) {
                continue;
            }
            self.recorder.on_mail_request(client, bytes);
            if let Verdict::Deliver { at, .. } =
                self.network
                    .send(now, client, s, bytes, self.conn.hops(client, s))
            {
                let epochs = (self.epoch[client as usize], self.epoch[s as usize]);
                let ev = MailEvent::Request {
                    client,
                    server,
                    bytes,
                    since,
                    until: now,
                    epochs,
                };
                self.queue.push(at, Event::Mail(Box::new(ev)));
            } else {
                self.recorder.on_mail_lost();
            }
        }
    }

    pub(super) fn mail_event(&mut self, now: SimTime, ev: MailEvent<S::Payload>) {
        match ev {
            MailEvent::Query { client, epoch } => {
                if self.conn.online(client) && self.epoch[client as usize] == epoch {
                    self.mail_query(now, client);
                    if let Some(every) = self.mail.as_ref().and_then(|m| m.spec.query_interval) {
                        self.queue.push(
                            now + every,
                            Event::Mail(Box::new(MailEvent::Query { client, epoch })),
                        );
                    }
                }
            }
            MailEvent::Request {
                client,
                server,
                bytes,
                since,
                until,
                epochs,
            } => self.mail_respond(now, (client, server, bytes), since, until, epochs),
            MailEvent::RequestIds {
                client,
                server,
                bytes,
                ids,
                epochs,
            } => self.mail_respond_ids(now, (client, server, bytes), &ids, epochs),
            MailEvent::Response {
                client,
                server,
                bytes,
                envelopes,
                until,
                epochs,
            } => {
                let s = self.mail.as_ref().map_or(client, |m| m.spec.nodes[server]);
                let intact = (self.epoch[client as usize], self.epoch[s as usize]) == epochs
                    && self.conn.online(client);
                if !intact {
                    self.recorder.on_mail_lost();
                    return;
                }
                self.recorder.on_mail_received(client, bytes);
                if let (Some(mail), Some(until)) = (&mut self.mail, until) {
                    let next = until + SimTime(1);
                    let since = &mut mail.since[client as usize];
                    *since = (*since).max(next);
                }
                for (from, payload) in envelopes {
                    self.recorder.on_receive(client, payload.messages(), now);
                    self.nodes[client as usize].handle_payload(
                        now,
                        from,
                        payload,
                        &mut self.outbox,
                    );
                    self.apply(now, client);
                }
            }
        }
    }

    /// A query of `query_bytes` from `client` reached mailserver `server`
    /// (index): it answers with what it archived in `[since, until]`.
    fn mail_respond(
        &mut self,
        now: SimTime,
        (client, server, query_bytes): (NodeId, usize, u64),
        since: SimTime,
        until: SimTime,
        epochs: (u32, u32),
    ) {
        let Some(mail) = &self.mail else { return };
        let s = mail.spec.nodes[server];
        if (self.epoch[client as usize], self.epoch[s as usize]) != epochs || !self.conn.online(s) {
            self.recorder.on_mail_lost();
            return;
        }
        self.recorder.on_mail_received(s, query_bytes);
        let Some(mail) = &self.mail else { return };
        let oldest = since.max(until - mail.spec.retention);
        let archive = &mail.archives[server];
        let first = archive.partition_point(|e| e.at < oldest);
        let mut bytes = self.network.wire_bytes(0);
        let mut envelopes = Vec::new();
        for e in archive[first..].iter().take_while(|e| e.at <= until) {
            if e.from != client && mail.reads(client, e.topic) {
                bytes += e.bytes;
                envelopes.push((e.from, e.payload.clone()));
            }
        }
        self.recorder.on_mail_response(s, bytes);
        if !self.mailserver_usable(s, client) {
            self.recorder.on_mail_lost();
            return;
        }
        match self
            .network
            .send(now, s, client, bytes, self.conn.hops(s, client))
        {
            Verdict::Lost => self.recorder.on_mail_lost(),
            Verdict::Deliver { at, .. } => {
                let ev = MailEvent::Response {
                    client,
                    server,
                    bytes,
                    envelopes,
                    until: Some(until),
                    epochs,
                };
                self.queue.push(at, Event::Mail(Box::new(ev)));
            }
        }
    }

    /// `client` asks every reachable mailserver for the envelopes carrying
    /// `ids` (a store query by message hash).
    pub(super) fn mail_query_ids(&mut self, now: SimTime, client: NodeId, ids: Vec<MsgId>) {
        let Some(mail) = &self.mail else { return };
        if self.mailserver[client as usize] {
            return;
        }
        let bytes = self
            .network
            .wire_bytes(store_query_request_bytes(ids.len()) as usize);
        for server in 0..mail.spec.nodes.len() {
            let s = self.mailserver(server);
            if !self.mailserver_usable(client, s) {
                continue;
            }
            self.recorder.on_mail_request(client, bytes);
            let hops = self.conn.hops(client, s);
            match self.network.send(now, client, s, bytes, hops) {
                Verdict::Deliver { at, .. } => {
                    let ev = MailEvent::RequestIds {
                        client,
                        server,
                        bytes,
                        ids: ids.clone(),
                        epochs: (self.epoch[client as usize], self.epoch[s as usize]),
                    };
                    self.queue.push(at, Event::Mail(Box::new(ev)));
                }
                Verdict::Lost => self.recorder.on_mail_lost(),
            }
        }
    }

    /// Mailserver `server` answers a query by message id with the
    /// envelopes (within retention, on topics `client` reads, not its own)
    /// carrying any of `ids`.
    fn mail_respond_ids(
        &mut self,
        now: SimTime,
        (client, server, query_bytes): (NodeId, usize, u64),
        ids: &[MsgId],
        epochs: (u32, u32),
    ) {
        let Some(mail) = &self.mail else { return };
        let s = mail.spec.nodes[server];
        if (self.epoch[client as usize], self.epoch[s as usize]) != epochs || !self.conn.online(s) {
            self.recorder.on_mail_lost();
            return;
        }
        self.recorder.on_mail_received(s, query_bytes);
        let Some(mail) = &self.mail else { return };
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        let oldest = now - mail.spec.retention;
        let archive = &mail.archives[server];
        let first = archive.partition_point(|e| e.at < oldest);
        let mut bytes = store_response_fixed_bytes();
        let mut envelopes = Vec::new();
        for e in &archive[first..] {
            let carries = e
                .payload
                .messages()
                .iter()
                .any(|m| wanted.binary_search(&m.id).is_ok());
            if carries && e.from != client && mail.reads(client, e.topic) {
                let encoded = e.bytes.saturating_sub(self.network.wire_bytes(0));
                bytes += store_response_entry_bytes(encoded);
                envelopes.push((e.from, e.payload.clone()));
            }
        }
        let bytes = self.network.wire_bytes(bytes as usize);
        self.recorder.on_mail_response(s, bytes);
        if !self.mailserver_usable(s, client) {
            self.recorder.on_mail_lost();
            return;
        }
        let hops = self.conn.hops(s, client);
        match self.network.send(now, s, client, bytes, hops) {
            Verdict::Lost => self.recorder.on_mail_lost(),
            Verdict::Deliver { at, .. } => {
                let ev = MailEvent::Response {
                    client,
                    server,
                    bytes,
                    envelopes,
                    until: None,
                    epochs,
                };
                self.queue.push(at, Event::Mail(Box::new(ev)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand from `store_v3.proto`: request_id 1 + 1 + 36, include_data
    /// 1 + 1, pubsub_topic 1 + 1 + 16, pagination_forward 2 + 1 (field 52:
    /// key 416 takes two bytes), each hash 2 + 1 + 32 (field 20: key 162).
    #[test]
    fn store_query_sizes_by_hand() {
        assert_eq!(store_query_request_bytes(0), 38 + 2 + 18 + 3);
        assert_eq!(store_query_request_bytes(3), 61 + 3 * 35);
        assert_eq!(store_response_fixed_bytes(), 38 + 3);
        // payload 100: WakuMessage = (1 + 1 + 100) + (1 + 1 + 24) + (1 + 9)
        // = 138; kv = (1 + 1 + 32) + (1 + 2 + 138) = 175; entry 2 + 2 + 175.
        assert_eq!(store_response_entry_bytes(100), 179);
    }
}
