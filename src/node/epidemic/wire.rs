//! Epidemic's wire: the MVDS-style protobuf payload of 2019 (with parents),
//! extended with epidemic routing's summary vector, and its exact encoded
//! size. Mailserver-only sends the same payload (never a summary) and
//! imports it from here (`mailserver_only::wire`). The length helpers and
//! id checks come from the shared kit (`node::wire`); imports `sim/` and
//! `node/` only.
//!
//! Nodes exchange [`Payload`] values that name messages by dense id; what a
//! payload would weigh on the wire is [`Payload::encoded_len`], computed with
//! prost's own length helpers for the schema below. [`Payload::to_proto`]
//! builds the real protobuf message (32-byte ids, bodies, parents) and the
//! tests prove that its encoding has exactly the computed length.
//! [`decode`] parses arbitrary bytes into the schema and never panics.
//!
//! Schema (MVDS as specified in 2019, with parents):
//! `Payload { repeated bytes acks = 5001; repeated bytes offers = 5002;
//! repeated bytes requests = 5003; repeated Message messages = 5004; }`,
//! `Message { bytes group_id = 6001; int64 timestamp = 6002; bytes body = 6003;
//! Metadata metadata = 6004; }`, `Metadata { repeated bytes parents = 1;
//! bool ephemeral = 2; }`, plus one meshsync extension for epidemic routing:
//! `repeated bytes summary = 5101; optional uint32 summary_count = 5102;` in
//! `Payload`. (Field 5005 is Status's `group_offers`: the extension stays
//! off every number an MVDS variant uses.)

use crate::node::strategy::{PerKind, RecordKind, WirePayload, MAX_RECORD_KINDS};
use crate::node::wire::{check_ids, decode_proto, ids_len, len_delimited, WireError, ID_LEN};
use crate::sim::message::{body_bytes, group_wire_id, MessageRef, MsgId};
use prost::encoding::{encoded_len_varint, key_len};

/// Field number of the epidemic summary vector (meshsync extension).
pub const SUMMARY_TAG: u32 = 5101;
/// Field number of the summary vector's id count (meshsync extension).
pub const SUMMARY_COUNT_TAG: u32 = 5102;

/// The protobuf structs, derived by hand (no `protoc` at build time).
pub mod proto {
    /// MVDS `Payload`: all records one node sends one peer at once.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Payload {
        /// Ids of messages acknowledged.
        #[prost(bytes = "vec", repeated, tag = "5001")]
        pub acks: Vec<Vec<u8>>,
        /// Ids of messages offered.
        #[prost(bytes = "vec", repeated, tag = "5002")]
        pub offers: Vec<Vec<u8>>,
        /// Ids of messages requested.
        #[prost(bytes = "vec", repeated, tag = "5003")]
        pub requests: Vec<Vec<u8>>,
        /// Messages sent in full.
        #[prost(message, repeated, tag = "5004")]
        pub messages: Vec<Message>,
        /// meshsync extension for epidemic routing: a summary vector, the
        /// ids of every message the sender holds.
        #[prost(bytes = "vec", repeated, tag = "5101")]
        pub summary: Vec<Vec<u8>>,
        /// meshsync extension: the number of ids in the summary vector,
        /// present whenever a summary is (so an empty one is still sent).
        #[prost(uint32, optional, tag = "5102")]
        pub summary_count: Option<u32>,
    }

    /// MVDS `Message`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Message {
        /// 32-byte group id.
        #[prost(bytes = "vec", tag = "6001")]
        pub group_id: Vec<u8>,
        /// Unix seconds.
        #[prost(int64, tag = "6002")]
        pub timestamp: i64,
        /// Application body.
        #[prost(bytes = "vec", tag = "6003")]
        pub body: Vec<u8>,
        /// Causal parents and flags.
        #[prost(message, optional, tag = "6004")]
        pub metadata: Option<Metadata>,
    }

    /// MVDS `Metadata`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Metadata {
        /// Ids of the message's parents.
        #[prost(bytes = "vec", repeated, tag = "1")]
        pub parents: Vec<Vec<u8>>,
        /// Ephemeral messages are never acked nor retransmitted.
        #[prost(bool, tag = "2")]
        pub ephemeral: bool,
    }
}

/// The record kinds of the MVDS payload, in the order of
/// [`Payload::encoded_len_by_kind`]: the four MVDS records and the
/// epidemic summary vector (listed in `records_sent` only once used).
pub const MVDS_KINDS: &[RecordKind] = &[
    RecordKind {
        name: "ack",
        listed_when_zero: true,
    },
    RecordKind {
        name: "message",
        listed_when_zero: true,
    },
    RecordKind {
        name: "offer",
        listed_when_zero: true,
    },
    RecordKind {
        name: "request",
        listed_when_zero: true,
    },
    RecordKind {
        name: "summary",
        listed_when_zero: false,
    },
];

/// What one node sends one peer at once, with messages named by dense id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// Messages acknowledged.
    pub acks: Vec<MsgId>,
    /// Messages offered.
    pub offers: Vec<MsgId>,
    /// Messages requested.
    pub requests: Vec<MsgId>,
    /// Messages sent in full.
    pub messages: Vec<MessageRef>,
    /// Summary vector (epidemic routing): ids the sender holds, if sent.
    pub summary: Option<Vec<MsgId>>,
}

/// Encoded length of one MVDS `Message` (without its outer key and length).
pub fn message_encoded_len(msg: &MessageRef) -> usize {
    let ts = msg.wire_timestamp();
    let mut len = len_delimited(6001, ID_LEN);
    if ts != 0 {
        len += key_len(6002) + encoded_len_varint(ts as u64);
    }
    if msg.body_len > 0 {
        len += len_delimited(6003, msg.body_len as usize);
    }
    len + len_delimited(6004, ids_len(1, msg.parents.len()))
}

/// Bytes one MESSAGE record takes in a payload (key, length, message).
pub fn message_record_len(msg: &MessageRef) -> usize {
    len_delimited(5004, message_encoded_len(msg))
}

impl Payload {
    /// True when the payload carries no record.
    pub fn is_empty(&self) -> bool {
        self.acks.is_empty()
            && self.offers.is_empty()
            && self.requests.is_empty()
            && self.messages.is_empty()
            && self.summary.is_none()
    }

    /// Exact length of the protobuf encoding of [`Payload::to_proto`].
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_by_kind().iter().sum::<u64>() as usize
    }

    /// The encoded length by record kind, in the order of [`MVDS_KINDS`]
    /// (`ack, message, offer, request, summary`); the parts add up to
    /// [`Payload::encoded_len`].
    pub fn encoded_len_by_kind(&self) -> PerKind {
        let summary = self.summary.as_ref().map_or(0, |v| {
            ids_len(SUMMARY_TAG, v.len())
                + key_len(SUMMARY_COUNT_TAG)
                + encoded_len_varint(v.len() as u64)
        });
        let messages: usize = self.messages.iter().map(message_record_len).sum();
        let mut out = [0; MAX_RECORD_KINDS];
        out[..5].copy_from_slice(&[
            ids_len(5001, self.acks.len()) as u64,
            messages as u64,
            ids_len(5002, self.offers.len()) as u64,
            ids_len(5003, self.requests.len()) as u64,
            summary as u64,
        ]);
        out
    }

    /// The number of records by kind, in the order of [`MVDS_KINDS`].
    pub fn count_by_kind(&self) -> PerKind {
        let mut out = [0; MAX_RECORD_KINDS];
        out[..5].copy_from_slice(&[
            self.acks.len() as u64,
            self.messages.len() as u64,
            self.offers.len() as u64,
            self.requests.len() as u64,
            self.summary.as_ref().map_or(0, Vec::len) as u64,
        ]);
        out
    }

    /// The real protobuf message; `id_of` gives the 32-byte wire id of a
    /// message id (the engine's catalogue knows them).
    pub fn to_proto(&self, id_of: impl Fn(MsgId) -> [u8; 32]) -> proto::Payload {
        let ids = |v: &[MsgId]| v.iter().map(|&m| id_of(m).to_vec()).collect();
        proto::Payload {
            acks: ids(&self.acks),
            offers: ids(&self.offers),
            requests: ids(&self.requests),
            messages: self
                .messages
                .iter()
                .map(|m| proto::Message {
                    group_id: group_wire_id(m.group).to_vec(),
                    timestamp: m.wire_timestamp(),
                    body: body_bytes(m),
                    metadata: Some(proto::Metadata {
                        parents: ids(&m.parents),
                        ephemeral: false,
                    }),
                })
                .collect(),
            summary: self.summary.as_deref().map(ids).unwrap_or_default(),
            summary_count: self.summary.as_ref().map(|v| v.len() as u32),
        }
    }
}

impl WirePayload for Payload {
    fn is_empty(&self) -> bool {
        Payload::is_empty(self)
    }
    fn encoded_len_by_kind(&self) -> PerKind {
        Payload::encoded_len_by_kind(self)
    }
    fn count_by_kind(&self) -> PerKind {
        Payload::count_by_kind(self)
    }
    fn messages(&self) -> &[MessageRef] {
        &self.messages
    }
    fn take_messages(&mut self) -> Vec<MessageRef> {
        std::mem::take(&mut self.messages)
    }
    fn message_record_len(msg: &MessageRef) -> usize {
        message_record_len(msg)
    }
    /// Each message's `Metadata` field (6004): its parents, 32 bytes each
    /// plus framing. (The epidemic summary vector says what the sender
    /// holds, as acks do: sync state, not causal metadata.)
    fn causal_len(&self) -> u64 {
        self.messages
            .iter()
            .map(|m| len_delimited(6004, ids_len(1, m.parents.len())) as u64)
            .sum()
    }
    fn carrying(messages: Vec<MessageRef>) -> Option<Self> {
        Some(Payload {
            messages,
            ..Payload::default()
        })
    }
}

/// Parses bytes as an MVDS payload and checks every id is 32 bytes long.
/// Returns an error, never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<proto::Payload, WireError> {
    let p: proto::Payload = decode_proto(bytes)?;
    check_ids("ack", &p.acks)?;
    check_ids("offer", &p.offers)?;
    check_ids("request", &p.requests)?;
    check_ids("summary", &p.summary)?;
    for m in &p.messages {
        if m.group_id.len() != ID_LEN {
            return Err(WireError::BadIdLength {
                field: "group",
                len: m.group_id.len(),
            });
        }
        if let Some(meta) = &m.metadata {
            check_ids("parent", &meta.parents)?;
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::wire::arb::{self, fake_id};
    use crate::node::wire::wire_proptests;
    use proptest::prelude::*;

    fn arb_payload() -> impl Strategy<Value = Payload> {
        (
            arb::records(arb::message(), 5),
            prop::option::of(arb::ids()),
        )
            .prop_map(|((acks, offers, requests, messages), summary)| Payload {
                acks,
                offers,
                requests,
                messages,
                summary,
            })
    }

    wire_proptests! {
        payload: arb_payload(),
        proto: |p| p.to_proto(fake_id),
        decode: |bytes| decode(bytes),
        garbage: 512,
    }

    #[test]
    fn short_id_is_rejected() {
        let p = proto::Payload {
            acks: vec![vec![1, 2, 3]],
            ..Default::default()
        };
        let bytes = prost::Message::encode_to_vec(&p);
        assert_eq!(
            decode(&bytes),
            Err(WireError::BadIdLength {
                field: "ack",
                len: 3
            })
        );
    }

    /// The summary vector is an extension: it must not take a field
    /// number Status's MVDS uses (5001–5005, 6001–6003) nor Vac's (1–4).
    #[test]
    fn summary_avoids_mvds_field_numbers() {
        let taken = [1, 2, 3, 4, 5001, 5002, 5003, 5004, 5005, 6001, 6002, 6003];
        assert!(!taken.contains(&SUMMARY_TAG));
        assert!(!taken.contains(&SUMMARY_COUNT_TAG));
        let p = Payload {
            summary: Some(vec![1]),
            ..Payload::default()
        };
        let bytes = prost::Message::encode_to_vec(&p.to_proto(fake_id));
        let mut key = Vec::new();
        prost::encoding::encode_key(
            SUMMARY_TAG,
            prost::encoding::WireType::LengthDelimited,
            &mut key,
        );
        assert!(bytes.starts_with(&key));
        assert_eq!(decode(&bytes).unwrap().summary_count, Some(1));
    }

    #[test]
    fn garbage_is_a_decode_error() {
        assert!(matches!(
            decode(&[0xff, 0xff, 0xff]),
            Err(WireError::Decode(_))
        ));
    }
}
