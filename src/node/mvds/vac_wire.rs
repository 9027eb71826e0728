//! The Vac reference MVDS wire: the schema of vacp2p/mvds
//! (`protobuf/sync.proto`, current master).
//!
//! `Payload { repeated bytes acks = 1; repeated bytes offers = 2; repeated
//! bytes requests = 3; repeated Message messages = 4; }`, `Message { bytes
//! group_id = 1; int64 timestamp = 2; bytes body = 3; Metadata metadata = 4;
//! }`, `Metadata { repeated bytes parents = 1; bool ephemeral = 2; }`.
//! `AppendMessage` always sets a `Metadata` (non-ephemeral, the parents), so
//! every message carries one.
//!
//! Imports `sim/` and `node/` only.

use super::payload::{Dialect, MvdsPayload};
use crate::node::wire::{check_ids, decode_proto, WireError, ID_LEN};
use crate::sim::message::{body_bytes, group_wire_id, MsgId};

/// Vac's field numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vac;

impl Dialect for Vac {
    const PAYLOAD: [u32; 4] = [1, 2, 3, 4];
    const MESSAGE: [u32; 3] = [1, 2, 3];
    const METADATA: Option<u32> = Some(4);
}

/// A payload on Vac's wire.
pub type Payload = MvdsPayload<Vac>;

/// The protobuf structs, derived by hand (no `protoc` at build time).
pub mod proto {
    /// Vac's MVDS `Payload`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Payload {
        /// Ids of messages acknowledged.
        #[prost(bytes = "vec", repeated, tag = "1")]
        pub acks: Vec<Vec<u8>>,
        /// Ids of messages offered.
        #[prost(bytes = "vec", repeated, tag = "2")]
        pub offers: Vec<Vec<u8>>,
        /// Ids of messages requested.
        #[prost(bytes = "vec", repeated, tag = "3")]
        pub requests: Vec<Vec<u8>>,
        /// Messages sent in full.
        #[prost(message, repeated, tag = "4")]
        pub messages: Vec<Message>,
    }

    /// Vac's `Message`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Message {
        /// 32-byte group id.
        #[prost(bytes = "vec", tag = "1")]
        pub group_id: Vec<u8>,
        /// Unix seconds.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
        /// Application body.
        #[prost(bytes = "vec", tag = "3")]
        pub body: Vec<u8>,
        /// Causal parents and flags.
        #[prost(message, optional, tag = "4")]
        pub metadata: Option<Metadata>,
    }

    /// Vac's `Metadata`.
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

/// The real protobuf message of `p`; `id_of` gives a message's 32-byte
/// wire id.
pub fn to_proto(p: &Payload, id_of: impl Fn(MsgId) -> [u8; 32]) -> proto::Payload {
    let ids = |v: &[MsgId]| v.iter().map(|&m| id_of(m).to_vec()).collect();
    proto::Payload {
        acks: ids(&p.acks),
        offers: ids(&p.offers),
        requests: ids(&p.requests),
        messages: p
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
    }
}

/// Parses bytes as a Vac MVDS payload and checks every id is 32 bytes
/// long. Returns an error, never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<proto::Payload, WireError> {
    let p: proto::Payload = decode_proto(bytes)?;
    check_ids("ack", &p.acks)?;
    check_ids("offer", &p.offers)?;
    check_ids("request", &p.requests)?;
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
    use crate::node::mvds::payload::{arb, message_encoded_len};
    use crate::node::wire::arb::fake_id;
    use crate::node::wire::wire_proptests;

    wire_proptests! {
        payload: arb::payload::<Vac>(),
        proto: |p| to_proto(p, fake_id),
        decode: |bytes| decode(bytes),
        garbage: 512,
    }

    /// vacp2p/mvds's current proto numbers fields from 1: a message's
    /// parents travel in `Metadata { parents = 1 }` at field 4, each a
    /// 1-byte key, a 1-byte length and 32 bytes.
    #[test]
    fn vac_message_carries_parents_in_metadata_4() {
        use crate::sim::message::test_message;
        use crate::sim::time::SimTime;
        let len = message_encoded_len::<Vac>;
        let none = test_message(1, 0, SimTime::ZERO, &[]);
        let two = test_message(1, 0, SimTime::ZERO, &[0, 2]);
        assert_eq!(len(&two) - len(&none), 2 * (1 + 1 + 32));
        let p = Payload {
            messages: vec![two],
            ..Payload::default()
        };
        let bytes = prost::Message::encode_to_vec(&to_proto(&p, fake_id));
        // Payload field 4 (messages), then Message field 1 (group id).
        assert_eq!(bytes[0], (4 << 3) | 2);
        let back = decode(&bytes).unwrap();
        assert_eq!(back.messages[0].metadata.as_ref().unwrap().parents.len(), 2);
    }

    #[test]
    fn short_parent_id_is_rejected() {
        let p = proto::Payload {
            messages: vec![proto::Message {
                group_id: vec![1; 32],
                timestamp: 1,
                body: vec![],
                metadata: Some(proto::Metadata {
                    parents: vec![vec![1; 31]],
                    ephemeral: false,
                }),
            }],
            ..Default::default()
        };
        let bytes = prost::Message::encode_to_vec(&p);
        assert_eq!(
            decode(&bytes),
            Err(WireError::BadIdLength {
                field: "parent",
                len: 31
            })
        );
    }
}
