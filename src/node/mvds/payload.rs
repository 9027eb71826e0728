//! The payload both MVDS variants exchange, generic over the wire dialect.
//!
//! Status's fork (`mvds`) and the Vac reference (`mvds-vac`) carry the same
//! four records — ACK, OFFER, REQUEST, MESSAGE — but encode them with
//! different protobuf field numbers, and only Vac's `Message` carries a
//! `Metadata` with the message's parents. A [`Dialect`] names the field
//! numbers; [`MvdsPayload`] computes its exact encoded length from them with
//! prost's length helpers, and each dialect's module (`status_wire`,
//! `vac_wire`) builds the real protobuf message and proves in a property
//! test that its encoding has exactly that length.
//!
//! Imports `sim/` and `node/` only.

use crate::node::strategy::{PerKind, RecordKind, WirePayload, MAX_RECORD_KINDS};
use crate::node::wire::{ids_len, len_delimited, ID_LEN};
use crate::sim::message::{MessageRef, MsgId};
use prost::encoding::{encoded_len_varint, key_len};
use std::fmt::Debug;
use std::marker::PhantomData;

/// Field numbers of one MVDS wire dialect.
pub trait Dialect: Copy + Debug + Default + PartialEq + Eq + 'static {
    /// `Payload`'s `acks`, `offers`, `requests`, `messages`.
    const PAYLOAD: [u32; 4];
    /// `Message`'s `group_id`, `timestamp`, `body`.
    const MESSAGE: [u32; 3];
    /// `Message`'s `metadata` (`Metadata { parents = 1; ephemeral = 2 }`),
    /// if the dialect has one.
    const METADATA: Option<u32>;
}

/// The record kinds of an MVDS payload, in the order of
/// [`MvdsPayload::encoded_len_by_kind`].
pub const KINDS: &[RecordKind] = &[
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
];

/// What one MVDS node sends one peer at once, messages named by dense id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MvdsPayload<D> {
    /// Messages acknowledged.
    pub acks: Vec<MsgId>,
    /// Messages offered.
    pub offers: Vec<MsgId>,
    /// Messages requested.
    pub requests: Vec<MsgId>,
    /// Messages sent in full.
    pub messages: Vec<MessageRef>,
    /// The wire dialect (no data).
    pub dialect: PhantomData<D>,
}

/// Encoded length of one `Message` of dialect `D` (without its outer key
/// and length).
pub fn message_encoded_len<D: Dialect>(msg: &MessageRef) -> usize {
    let [group, timestamp, body] = D::MESSAGE;
    let ts = msg.wire_timestamp();
    let mut len = len_delimited(group, ID_LEN);
    if ts != 0 {
        len += key_len(timestamp) + encoded_len_varint(ts as u64);
    }
    if msg.body_len > 0 {
        len += len_delimited(body, msg.body_len as usize);
    }
    if let Some(meta) = D::METADATA {
        len += len_delimited(meta, ids_len(1, msg.parents.len()));
    }
    len
}

/// Bytes one MESSAGE record of dialect `D` takes in a payload.
pub fn message_record_len<D: Dialect>(msg: &MessageRef) -> usize {
    len_delimited(D::PAYLOAD[3], message_encoded_len::<D>(msg))
}

impl<D: Dialect> MvdsPayload<D> {
    /// True when the payload carries no record.
    pub fn is_empty(&self) -> bool {
        self.acks.is_empty()
            && self.offers.is_empty()
            && self.requests.is_empty()
            && self.messages.is_empty()
    }

    /// Exact length of the protobuf encoding.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_by_kind().iter().sum::<u64>() as usize
    }

    /// The encoded length by record kind, in the order of [`KINDS`].
    pub fn encoded_len_by_kind(&self) -> PerKind {
        let [acks, offers, requests, _] = D::PAYLOAD;
        let messages: usize = self.messages.iter().map(message_record_len::<D>).sum();
        let mut out = [0; MAX_RECORD_KINDS];
        out[..4].copy_from_slice(&[
            ids_len(acks, self.acks.len()) as u64,
            messages as u64,
            ids_len(offers, self.offers.len()) as u64,
            ids_len(requests, self.requests.len()) as u64,
        ]);
        out
    }

    /// The number of records by kind, in the order of [`KINDS`].
    pub fn count_by_kind(&self) -> PerKind {
        let mut out = [0; MAX_RECORD_KINDS];
        out[..4].copy_from_slice(&[
            self.acks.len() as u64,
            self.messages.len() as u64,
            self.offers.len() as u64,
            self.requests.len() as u64,
        ]);
        out
    }
}

impl<D: Dialect> WirePayload for MvdsPayload<D> {
    fn is_empty(&self) -> bool {
        MvdsPayload::is_empty(self)
    }
    fn encoded_len_by_kind(&self) -> PerKind {
        MvdsPayload::encoded_len_by_kind(self)
    }
    fn count_by_kind(&self) -> PerKind {
        MvdsPayload::count_by_kind(self)
    }
    fn messages(&self) -> &[MessageRef] {
        &self.messages
    }
    fn take_messages(&mut self) -> Vec<MessageRef> {
        std::mem::take(&mut self.messages)
    }
    fn message_record_len(msg: &MessageRef) -> usize {
        message_record_len::<D>(msg)
    }
    /// Each message's `Metadata` field with its parents (32 bytes each
    /// plus framing), in a dialect that has one (Vac's); 0 in Status's.
    fn causal_len(&self) -> u64 {
        let Some(meta) = D::METADATA else { return 0 };
        self.messages
            .iter()
            .map(|m| len_delimited(meta, ids_len(1, m.parents.len())) as u64)
            .sum()
    }
    fn carrying(messages: Vec<MessageRef>) -> Option<Self> {
        Some(MvdsPayload {
            messages,
            ..MvdsPayload::default()
        })
    }
}

/// Arbitrary payloads for the dialects' property tests (from the kit's
/// generators, `node::wire::arb`).
#[cfg(test)]
pub(crate) mod arb {
    use super::*;
    use crate::node::wire::arb::{message, records};
    use proptest::prelude::*;

    /// Any payload of dialect `D`: up to 39 ids of each kind, up to four
    /// messages.
    pub fn payload<D: Dialect>() -> impl Strategy<Value = MvdsPayload<D>> {
        records(message(), 5).prop_map(|(acks, offers, requests, messages)| MvdsPayload {
            acks,
            offers,
            requests,
            messages,
            dialect: PhantomData,
        })
    }
}
