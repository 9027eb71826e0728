//! SDS messages on the wire: the payload SDS nodes exchange, its exact
//! protobuf size by record kind, the real protobuf structs, and a decoder
//! that never panics (sources: `docs/sources/sds.md`, "Wire").
//!
//! One [`Payload`] is one SDS message (one Waku message on the transport).
//! Its size is counted field by field with prost's length helpers for the
//! **spec's numbering** (vacp2p/rfc-index `docs/ift-ts/raw/sds.md`, js
//! `packages/proto/src/lib/sds_message.proto`), or nim-sds's
//! (`sds/protobuf.nim`) with [`Dialect::Nim`]; [`Payload::to_proto`] /
//! [`Payload::to_nim_proto`] build the real messages and the tests prove
//! the encodings have exactly the counted lengths.
//!
//! Strings the simulator makes up, each a 64-character lowercase hex
//! string: message ids ([`id_hex`], standing for js's
//! `hex(sha256(payload))`), participant ids ([`participant_hex`]) and
//! channel ids (the group's 32-byte wire id in hex). Retrieval hints are
//! 32 bytes (a Waku message hash, [`hint`]). A sync message's id is js's
//! `sync-` plus 11 base-36 characters.
//!
//! Imports: `sim/` and the node layer only.

use super::bloom::BloomSnapshot;
use crate::node::strategy::{PerKind, RecordKind, WirePayload, MAX_RECORD_KINDS};
use crate::sim::message::{body_bytes, group_wire_id, MessageRef, MsgId, NodeId, EPOCH_UNIX_S};
use prost::encoding::{encoded_len_varint, key_len};
use sha2::{Digest, Sha256};
use std::rc::Rc;

/// Characters of a message, participant or channel id.
pub const ID_HEX_LEN: usize = 64;
/// Bytes of a retrieval hint (a Waku message hash).
pub const HINT_LEN: usize = 32;
/// Characters of a js sync message id (`sync-` and 11 base-36 digits).
pub const SYNC_ID_LEN: usize = 16;

/// Which implementation's field numbers and bloom encoding to count.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// The spec's and js's numbering; the bloom filter as raw words.
    #[default]
    Spec,
    /// nim-sds's numbering; the bloom filter in its protobuf header.
    Nim,
}

/// The protobuf structs, derived by hand.
pub mod proto {
    /// spec/js `HistoryEntry` (nim numbers it the same).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct HistoryEntry {
        /// Message id.
        #[prost(string, tag = "1")]
        pub message_id: String,
        /// Retrieval hint.
        #[prost(bytes = "vec", optional, tag = "2")]
        pub retrieval_hint: Option<Vec<u8>>,
        /// Original sender (SDS-R).
        #[prost(string, optional, tag = "3")]
        pub sender_id: Option<String>,
    }

    /// spec/js `Message` (`SdsMessage` in js).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SdsMessage {
        /// Sender's participant id.
        #[prost(string, tag = "1")]
        pub sender_id: String,
        /// Message id.
        #[prost(string, tag = "2")]
        pub message_id: String,
        /// Channel id.
        #[prost(string, tag = "3")]
        pub channel_id: String,
        /// Lamport timestamp.
        #[prost(uint64, optional, tag = "10")]
        pub lamport_timestamp: Option<u64>,
        /// Causal history.
        #[prost(message, repeated, tag = "11")]
        pub causal_history: Vec<HistoryEntry>,
        /// Bloom filter bytes.
        #[prost(bytes = "vec", optional, tag = "12")]
        pub bloom_filter: Option<Vec<u8>>,
        /// SDS-R repair requests.
        #[prost(message, repeated, tag = "13")]
        pub repair_request: Vec<HistoryEntry>,
        /// Application content.
        #[prost(bytes = "vec", optional, tag = "20")]
        pub content: Option<Vec<u8>>,
    }

    /// nim-sds's message (`sds/protobuf.nim` `encode`): fields 1, 2, 4, 5
    /// and 6 always written.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NimSdsMessage {
        /// Message id.
        #[prost(string, optional, tag = "1")]
        pub message_id: Option<String>,
        /// Lamport timestamp.
        #[prost(uint64, optional, tag = "2")]
        pub lamport_timestamp: Option<u64>,
        /// Causal history.
        #[prost(message, repeated, tag = "3")]
        pub causal_history: Vec<HistoryEntry>,
        /// Channel id.
        #[prost(string, optional, tag = "4")]
        pub channel_id: Option<String>,
        /// Content (possibly empty).
        #[prost(bytes = "vec", optional, tag = "5")]
        pub content: Option<Vec<u8>>,
        /// Serialised [`NimBloom`] (possibly empty).
        #[prost(bytes = "vec", optional, tag = "6")]
        pub bloom_filter: Option<Vec<u8>>,
        /// Sender (SDS-R).
        #[prost(string, optional, tag = "7")]
        pub sender_id: Option<String>,
        /// Repair requests (SDS-R).
        #[prost(message, repeated, tag = "13")]
        pub repair_request: Vec<HistoryEntry>,
    }

    /// nim-sds's serialised bloom filter (`serializeBloomFilter`).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NimBloom {
        /// The words, little-endian.
        #[prost(bytes = "vec", tag = "1")]
        pub words: Vec<u8>,
        /// Capacity.
        #[prost(uint64, tag = "2")]
        pub capacity: u64,
        /// Error rate · 10^6.
        #[prost(uint64, tag = "3")]
        pub error_rate: u64,
        /// Hash functions.
        #[prost(uint64, tag = "4")]
        pub k_hashes: u64,
        /// Bits.
        #[prost(uint64, tag = "5")]
        pub m_bits: u64,
    }
}

/// The record kinds, in the order of the `*_by_kind` arrays.
pub const SDS_KINDS: &[RecordKind] = &[
    RecordKind {
        name: "message",
        listed_when_zero: true,
    },
    RecordKind {
        name: "sync",
        listed_when_zero: true,
    },
    RecordKind {
        name: "bloom",
        listed_when_zero: true,
    },
    RecordKind {
        name: "resend",
        listed_when_zero: true,
    },
    RecordKind {
        name: "repair_request",
        listed_when_zero: false,
    },
    RecordKind {
        name: "repair",
        listed_when_zero: false,
    },
];

/// Index of each kind in [`SDS_KINDS`].
pub mod kind {
    /// A content message sent for the first time (without its bloom and
    /// repair fields).
    pub const MESSAGE: usize = 0;
    /// A sync message (without its bloom and repair fields).
    pub const SYNC: usize = 1;
    /// The bloom filter field of any message.
    pub const BLOOM: usize = 2;
    /// A content message sent again, unacknowledged (js's retries).
    pub const RESEND: usize = 3;
    /// One SDS-R repair request entry (field 13) of any message.
    pub const REPAIR_REQUEST: usize = 4;
    /// A content message rebroadcast as an SDS-R repair response.
    pub const REPAIR: usize = 5;
}

/// Why a message is on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A content message's first send.
    Content,
    /// A content message sent again (not acknowledged yet).
    Resend,
    /// A content message rebroadcast to answer a repair request.
    Repair,
    /// A sync message (no content).
    Sync,
}

impl Role {
    fn kind(self) -> usize {
        match self {
            Role::Content => kind::MESSAGE,
            Role::Resend => kind::RESEND,
            Role::Repair => kind::REPAIR,
            Role::Sync => kind::SYNC,
        }
    }
}

/// A history or repair-request entry: a message id, its retrieval hint
/// (always present) and, with SDS-R, its original sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The message named.
    pub id: MsgId,
    /// Its original sender (written with SDS-R only).
    pub sender: Option<NodeId>,
}

impl Entry {
    fn len(&self) -> usize {
        let s = |tag, n: usize| key_len(tag) + encoded_len_varint(n as u64) + n;
        s(1, ID_HEX_LEN) + s(2, HINT_LEN) + self.sender.map_or(0, |_| s(3, ID_HEX_LEN))
    }

    fn to_proto(self) -> proto::HistoryEntry {
        proto::HistoryEntry {
            message_id: id_hex(self.id),
            retrieval_hint: Some(hint(self.id).to_vec()),
            sender_id: self.sender.map(participant_hex),
        }
    }
}

/// Everything of an SDS message but its content: shared (one allocation)
/// by every copy a publish makes, by resends and by repair responses.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The sending participant.
    pub sender: NodeId,
    /// The channel (group).
    pub channel: crate::sim::message::GroupId,
    /// Its Lamport timestamp (`None`: an injected message without one).
    pub lamport: Option<u64>,
    /// Causal history, oldest first.
    pub history: Vec<Entry>,
    /// The sender's bloom filter when it built the message.
    pub bloom: Option<BloomSnapshot>,
    /// SDS-R repair requests.
    pub repair: Vec<Entry>,
    /// Field numbers and bloom encoding counted.
    pub dialect: Dialect,
}

/// One SDS message: a frame and, for a content message, its content.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// Why it is sent (which record kind its bytes count as).
    pub role: Role,
    /// The content message carried (none for a sync message).
    pub content: Vec<MessageRef>,
    /// The rest of the message.
    pub frame: Rc<Frame>,
}

fn field(tag: u32, n: usize) -> usize {
    key_len(tag) + encoded_len_varint(n as u64) + n
}

fn varint_field(tag: u32, v: u64) -> usize {
    key_len(tag) + encoded_len_varint(v)
}

impl Payload {
    fn id_len(&self) -> usize {
        if self.content.is_empty() {
            SYNC_ID_LEN
        } else {
            ID_HEX_LEN
        }
    }

    fn body_len(&self) -> usize {
        self.content.first().map_or(0, |m| m.body_len as usize)
    }

    /// Bytes of the bloom filter field (0 when absent; nim writes an empty
    /// field then).
    fn bloom_len(&self) -> usize {
        let f = &self.frame;
        match (f.dialect, &f.bloom) {
            (Dialect::Spec, None) => 0,
            (Dialect::Spec, Some(b)) => field(12, b.params.serialized_len(Dialect::Spec)),
            (Dialect::Nim, b) => field(
                6,
                b.as_ref()
                    .map_or(0, |b| b.params.serialized_len(Dialect::Nim)),
            ),
        }
    }

    fn repair_len(&self) -> usize {
        self.frame.repair.iter().map(|e| field(13, e.len())).sum()
    }

    /// Bytes of the causal history field's entries.
    fn history_len(&self) -> usize {
        let tag = match self.frame.dialect {
            Dialect::Spec => 11,
            Dialect::Nim => 3,
        };
        self.frame.history.iter().map(|e| field(tag, e.len())).sum()
    }

    /// Bytes of everything else: ids, lamport, history, content.
    fn core_len(&self) -> usize {
        let f = &self.frame;
        let tag = match f.dialect {
            Dialect::Spec => 11,
            Dialect::Nim => 3,
        };
        let history: usize = f.history.iter().map(|e| field(tag, e.len())).sum();
        let body = self.body_len();
        match f.dialect {
            Dialect::Spec => {
                field(1, ID_HEX_LEN)
                    + field(2, self.id_len())
                    + field(3, ID_HEX_LEN)
                    + f.lamport.map_or(0, |l| varint_field(10, l))
                    + history
                    + if self.content.is_empty() {
                        0
                    } else {
                        field(20, body)
                    }
            }
            Dialect::Nim => {
                field(1, self.id_len())
                    + varint_field(2, f.lamport.unwrap_or(0))
                    + history
                    + field(4, ID_HEX_LEN)
                    + field(5, body)
                    + field(7, ID_HEX_LEN)
            }
        }
    }

    /// The encoded size of the whole message.
    pub fn encoded_len(&self) -> usize {
        self.core_len() + self.bloom_len() + self.repair_len()
    }

    /// The message id string.
    fn id_string(&self) -> String {
        match self.content.first() {
            Some(m) => id_hex(m.id),
            None => sync_id(self.frame.sender, self.frame.lamport.unwrap_or(0)),
        }
    }

    /// The real spec/js protobuf message.
    pub fn to_proto(&self) -> proto::SdsMessage {
        let f = &self.frame;
        proto::SdsMessage {
            sender_id: participant_hex(f.sender),
            message_id: self.id_string(),
            channel_id: channel_hex(f.channel),
            lamport_timestamp: f.lamport,
            causal_history: f.history.iter().map(|e| e.to_proto()).collect(),
            bloom_filter: f.bloom.as_ref().map(|b| b.to_bytes(Dialect::Spec)),
            repair_request: f.repair.iter().map(|e| e.to_proto()).collect(),
            content: self.content.first().map(|m| body_bytes(m)),
        }
    }

    /// The real nim-sds protobuf message.
    pub fn to_nim_proto(&self) -> proto::NimSdsMessage {
        let f = &self.frame;
        proto::NimSdsMessage {
            message_id: Some(self.id_string()),
            lamport_timestamp: Some(f.lamport.unwrap_or(0)),
            causal_history: f.history.iter().map(|e| e.to_proto()).collect(),
            channel_id: Some(channel_hex(f.channel)),
            content: Some(
                self.content
                    .first()
                    .map(|m| body_bytes(m))
                    .unwrap_or_default(),
            ),
            bloom_filter: Some(
                f.bloom
                    .as_ref()
                    .map(|b| b.to_bytes(Dialect::Nim))
                    .unwrap_or_default(),
            ),
            sender_id: Some(participant_hex(f.sender)),
            repair_request: f.repair.iter().map(|e| e.to_proto()).collect(),
        }
    }

    /// The encoded bytes in the frame's dialect.
    pub fn encode(&self) -> Vec<u8> {
        match self.frame.dialect {
            Dialect::Spec => prost::Message::encode_to_vec(&self.to_proto()),
            Dialect::Nim => prost::Message::encode_to_vec(&self.to_nim_proto()),
        }
    }
}

impl WirePayload for Payload {
    fn is_empty(&self) -> bool {
        false
    }

    fn encoded_len_by_kind(&self) -> PerKind {
        let mut by = [0u64; MAX_RECORD_KINDS];
        by[self.role.kind()] = self.core_len() as u64;
        by[kind::BLOOM] = self.bloom_len() as u64;
        by[kind::REPAIR_REQUEST] = self.repair_len() as u64;
        by
    }

    /// The causal history and the bloom filter of seen ids.
    fn causal_len(&self) -> u64 {
        (self.history_len() + self.bloom_len()) as u64
    }

    fn count_by_kind(&self) -> PerKind {
        let mut by = [0u64; MAX_RECORD_KINDS];
        by[self.role.kind()] = 1;
        by[kind::BLOOM] = u64::from(self.frame.bloom.is_some());
        by[kind::REPAIR_REQUEST] = self.frame.repair.len() as u64;
        by
    }

    fn messages(&self) -> &[MessageRef] {
        &self.content
    }

    fn message_record_len(msg: &MessageRef) -> usize {
        Self::carrying(vec![msg.clone()]).map_or(0, |p| p.encoded_len())
    }

    /// A content message with no Lamport timestamp, history or bloom
    /// filter (an injected message; its causal history is its parents).
    fn carrying(messages: Vec<MessageRef>) -> Option<Self> {
        let m = messages.first().cloned();
        let (sender, channel, history) = m.as_ref().map_or((0, 0, Vec::new()), |m| {
            let h = m
                .parents
                .iter()
                .map(|&id| Entry { id, sender: None })
                .collect();
            (m.sender, m.group, h)
        });
        Some(Payload {
            role: Role::Content,
            content: messages,
            frame: Rc::new(Frame {
                sender,
                channel,
                lamport: None,
                history,
                bloom: None,
                repair: Vec::new(),
                dialect: Dialect::Spec,
            }),
        })
    }

    /// Under The ONE's link model the content travels on its own; what is
    /// left (history, bloom filter, repair requests) goes as a sync message.
    fn take_messages(&mut self) -> Vec<MessageRef> {
        if !self.content.is_empty() {
            self.role = Role::Sync;
        }
        std::mem::take(&mut self.content)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` in lowercase hex into `out` (twice as long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (b, o) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        o[0] = HEX[usize::from(b >> 4)];
        o[1] = HEX[usize::from(b & 15)];
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; 2 * bytes.len()];
    hex_into(bytes, &mut out);
    String::from_utf8(out).expect("hex digits are ASCII")
}

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Message `m`'s id: 64 hex characters, standing for js's
/// `hex(sha256(payload))` (a hash of the dense id: defined for ids that
/// never existed too, such as a hole attack's).
pub fn id_hex(m: MsgId) -> String {
    hex(&id_bytes(m))
}

/// [`id_hex`] written into `out` (64 bytes), without allocating.
pub fn id_hex_into(m: MsgId, out: &mut [u8]) {
    hex_into(&id_bytes(m), &mut out[..ID_HEX_LEN]);
}

/// The 32 bytes [`id_hex`] spells (comparing them orders ids as their
/// strings compare).
pub fn id_bytes(m: MsgId) -> [u8; 32] {
    sha(&[b"meshsync-sds-message", &m.to_le_bytes()])
}

/// Node `n`'s participant id: 64 hex characters.
pub fn participant_hex(n: NodeId) -> String {
    hex(&sha(&[b"meshsync-sds-participant", &n.to_le_bytes()]))
}

/// Group `g`'s channel id: its 32-byte wire id in hex.
pub fn channel_hex(g: crate::sim::message::GroupId) -> String {
    hex(&group_wire_id(g))
}

/// Message `m`'s retrieval hint: the Waku message hash standing for it.
pub fn hint(m: MsgId) -> [u8; 32] {
    sha(&[b"meshsync-waku-message-hash", &m.to_le_bytes()])
}

/// A sync message's id: `sync-` and 11 base-36 digits (js draws them from
/// `Math.random()`; here they derive from the sender and timestamp).
pub fn sync_id(sender: NodeId, lamport: u64) -> String {
    let mut x = u64::from_le_bytes(
        sha(&[&sender.to_le_bytes(), &lamport.to_le_bytes()])[..8]
            .try_into()
            .expect("8 bytes"),
    );
    let mut s = String::from("sync-");
    for _ in 0..SYNC_ID_LEN - 5 {
        s.push(char::from_digit((x % 36) as u32, 36).expect("digit < 36"));
        x /= 36;
    }
    s
}

/// A Lamport timestamp in the spec's milliseconds for simulated time
/// `ms` (Unix time of simulated zero is [`EPOCH_UNIX_S`]).
pub fn unix_ms(ms: u64) -> u64 {
    EPOCH_UNIX_S as u64 * 1000 + ms
}

/// A decoded SDS message of either dialect.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// spec/js numbering.
    Spec(proto::SdsMessage),
    /// nim numbering.
    Nim(proto::NimSdsMessage),
}

/// Parses `bytes` as an SDS message of `dialect`. Never panics.
pub fn decode(bytes: &[u8], dialect: Dialect) -> Result<Decoded, prost::DecodeError> {
    use prost::Message;
    match dialect {
        Dialect::Spec => proto::SdsMessage::decode(bytes).map(Decoded::Spec),
        Dialect::Nim => proto::NimSdsMessage::decode(bytes).map(Decoded::Nim),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::sds::bloom::{Bloom, BloomKey, BloomParams};
    use crate::sim::message::test_message;
    use crate::sim::time::SimTime;
    use proptest::prelude::*;

    fn frame(dialect: Dialect, history: usize, repair: usize, sdsr: bool) -> Frame {
        let mut b = Bloom::new(BloomParams::new(10_000, 0.001).unwrap(), false);
        b.insert(BloomKey::of(id_hex(1).as_bytes()));
        let entry = |id| Entry {
            id,
            sender: sdsr.then_some(3),
        };
        Frame {
            sender: 2,
            channel: 0,
            lamport: Some(unix_ms(5_000)),
            history: (0..history as u32).map(entry).collect(),
            bloom: Some(b.snapshot()),
            repair: (100..100 + repair as u32).map(entry).collect(),
            dialect,
        }
    }

    fn payload(role: Role, f: Frame, body: bool) -> Payload {
        Payload {
            role,
            content: if body {
                vec![test_message(9, 2, SimTime::ZERO, &[])]
            } else {
                vec![]
            },
            frame: Rc::new(f),
        }
    }

    /// The spec's default content message, counted by hand: sender 66,
    /// id 66, channel 66, lamport 1 + 6 (1,700,000,005,000 < 2^42),
    /// two history entries of 1 + 1 + (66 + 34 + 66) = 169, bloom 1 + 3 +
    /// 18,752, content 2 + 1 + 10.
    #[test]
    fn default_content_message_by_hand() {
        let p = payload(Role::Content, frame(Dialect::Spec, 2, 0, true), true);
        let by = p.encoded_len_by_kind();
        assert_eq!(by[kind::MESSAGE], 66 * 3 + 7 + 2 * 169 + 13);
        assert_eq!(by[kind::BLOOM], 18_756);
        assert_eq!(p.encoded_len(), 556 + 18_756);
        assert_eq!(p.encode().len(), p.encoded_len());
        let c = p.count_by_kind();
        assert_eq!((c[kind::MESSAGE], c[kind::BLOOM], c[kind::SYNC]), (1, 1, 0));
    }

    /// nim's: id 66, lamport 1 + 6, history 2 · 169, channel 66, content
    /// 1 + 1 + 10, sender 66; bloom 1 + 3 + 18,768.
    #[test]
    fn nim_content_message_by_hand() {
        let p = payload(Role::Content, frame(Dialect::Nim, 2, 0, true), true);
        let by = p.encoded_len_by_kind();
        assert_eq!(by[kind::MESSAGE], 66 + 7 + 2 * 169 + 66 + 12 + 66);
        assert_eq!(by[kind::BLOOM], 18_772);
        assert_eq!(p.encode().len(), p.encoded_len());
    }

    #[test]
    fn lengths_match_encodings_for_every_role_and_dialect() {
        for dialect in [Dialect::Spec, Dialect::Nim] {
            for (role, body) in [
                (Role::Content, true),
                (Role::Resend, true),
                (Role::Repair, true),
                (Role::Sync, false),
            ] {
                for (h, r, sdsr) in [(0, 0, false), (2, 3, true), (200, 1, true), (10, 0, false)] {
                    let p = payload(role, frame(dialect, h, r, sdsr), body);
                    let by = p.encoded_len_by_kind();
                    assert_eq!(by.iter().sum::<u64>() as usize, p.encoded_len());
                    assert_eq!(
                        p.encode().len(),
                        p.encoded_len(),
                        "{dialect:?} {role:?} {h} {r}"
                    );
                    assert_eq!(p.count_by_kind()[kind::REPAIR_REQUEST], r as u64);
                }
            }
        }
    }

    #[test]
    fn injected_and_taken_messages() {
        let m = test_message(4, 1, SimTime::ZERO, &[2, 3]);
        let p = Payload::carrying(vec![m.clone()]).unwrap();
        assert_eq!(p.frame.history.len(), 2);
        assert_eq!(p.encode().len(), p.encoded_len());
        assert_eq!(Payload::message_record_len(&m), p.encoded_len());
        let mut q = payload(Role::Content, frame(Dialect::Spec, 2, 0, true), true);
        assert_eq!(q.take_messages().len(), 1);
        assert_eq!(q.role, Role::Sync);
        assert_eq!(q.encode().len(), q.encoded_len());
    }

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        let mut buf = [0u8; ID_HEX_LEN];
        id_hex_into(5, &mut buf);
        assert_eq!(std::str::from_utf8(&buf).unwrap(), id_hex(5));
    }

    #[test]
    fn ids_and_sync_ids_have_their_lengths() {
        assert_eq!(id_hex(0).len(), ID_HEX_LEN);
        assert_ne!(id_hex(0), id_hex(1));
        assert_eq!(participant_hex(7).len(), ID_HEX_LEN);
        assert_eq!(channel_hex(3).len(), ID_HEX_LEN);
        let s = sync_id(1, 2);
        assert_eq!(s.len(), SYNC_ID_LEN);
        assert!(s.starts_with("sync-"));
    }

    proptest! {
        #[test]
        fn round_trips(h in 0usize..20, r in 0usize..4, body in any::<bool>(),
                       nim in any::<bool>(), sdsr in any::<bool>()) {
            let d = if nim { Dialect::Nim } else { Dialect::Spec };
            let role = if body { Role::Content } else { Role::Sync };
            let p = payload(role, frame(d, h, r, sdsr), body);
            let bytes = p.encode();
            prop_assert_eq!(bytes.len(), p.encoded_len());
            let back = decode(&bytes, d).unwrap();
            match back {
                Decoded::Spec(m) => prop_assert_eq!(m, p.to_proto()),
                Decoded::Nim(m) => prop_assert_eq!(m, p.to_nim_proto()),
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes, Dialect::Spec);
            let _ = decode(&bytes, Dialect::Nim);
        }
    }
}
