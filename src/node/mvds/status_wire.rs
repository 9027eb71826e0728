//! Status's MVDS wire: the schema of the fork status-go vendors
//! (`vendor/github.com/status-im/mvds/protobuf/sync.proto`).
//!
//! `Payload { repeated bytes acks = 5001; repeated bytes offers = 5002;
//! repeated bytes requests = 5003; repeated Message messages = 5004;
//! repeated Offer group_offers = 5005; }`, `Offer { bytes group_id = 1;
//! repeated bytes message_ids = 2; }`, `Message { bytes group_id = 6001;
//! int64 timestamp = 6002; bytes body = 6003; }`. There is no `Metadata`:
//! a message carries no parents. `group_offers` is filled only by Status's
//! community peer syncing (`protocol/messenger_peersyncing.go`), never by
//! the MVDS node, so the `mvds` strategy never sends one; the schema and the
//! decoder have it.
//!
//! Imports `sim/` and `node/` only.

use super::payload::{Dialect, MvdsPayload};
use crate::node::wire::{check_ids, decode_proto, WireError, ID_LEN};
use crate::sim::message::{body_bytes, group_wire_id, MsgId};

/// Status's field numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status;

impl Dialect for Status {
    const PAYLOAD: [u32; 4] = [5001, 5002, 5003, 5004];
    const MESSAGE: [u32; 3] = [6001, 6002, 6003];
    const METADATA: Option<u32> = None;
}

/// A payload on Status's wire.
pub type Payload = MvdsPayload<Status>;

/// The protobuf structs, derived by hand (no `protoc` at build time).
pub mod proto {
    /// Status's MVDS `Payload`.
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
        /// Offers naming their group (community peer syncing).
        #[prost(message, repeated, tag = "5005")]
        pub group_offers: Vec<Offer>,
    }

    /// Status's `Offer`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Offer {
        /// The group's id.
        #[prost(bytes = "vec", tag = "1")]
        pub group_id: Vec<u8>,
        /// Ids of the messages offered.
        #[prost(bytes = "vec", repeated, tag = "2")]
        pub message_ids: Vec<Vec<u8>>,
    }

    /// Status's `Message`: no metadata, no parents.
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
            })
            .collect(),
        group_offers: Vec::new(),
    }
}

/// Parses bytes as a Status MVDS payload and checks every id is 32 bytes
/// long. Returns an error, never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<proto::Payload, WireError> {
    let p: proto::Payload = decode_proto(bytes)?;
    check_ids("ack", &p.acks)?;
    check_ids("offer", &p.offers)?;
    check_ids("request", &p.requests)?;
    for o in &p.group_offers {
        check_ids("group offer", &o.message_ids)?;
        check_ids("group", std::slice::from_ref(&o.group_id))?;
    }
    for m in &p.messages {
        if m.group_id.len() != ID_LEN {
            return Err(WireError::BadIdLength {
                field: "group",
                len: m.group_id.len(),
            });
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
        payload: arb::payload::<Status>(),
        proto: |p| to_proto(p, fake_id),
        decode: |bytes| decode(bytes),
        garbage: 512,
    }

    /// `repeated Offer group_offers = 5005`: key `(5005 << 3) | 2` as a
    /// varint is `ea b8 02`; a group offer decodes back.
    #[test]
    fn status_wire_has_group_offers_5005() {
        let p = proto::Payload {
            group_offers: vec![proto::Offer {
                group_id: vec![1; 32],
                message_ids: vec![vec![2; 32]],
            }],
            ..Default::default()
        };
        let bytes = prost::Message::encode_to_vec(&p);
        assert_eq!(&bytes[..3], &[0xea, 0xb8, 0x02]);
        assert_eq!(decode(&bytes), Ok(p));
    }

    /// `Message { group_id = 6001; timestamp = 6002; body = 6003 }` and
    /// nothing else: the parents a message has in the simulator never reach
    /// the wire.
    #[test]
    fn status_message_carries_no_parents() {
        let with = crate::sim::message::test_message(1, 0, crate::sim::time::SimTime::ZERO, &[0]);
        let without = crate::sim::message::test_message(1, 0, crate::sim::time::SimTime::ZERO, &[]);
        let len = message_encoded_len::<Status>;
        assert_eq!(len(&with), len(&without));
        // group id (3-byte key, length, 32 bytes), timestamp (3 + 5),
        // body (3 + 1 + 10).
        assert_eq!(len(&with), (3 + 1 + 32) + (3 + 5) + (3 + 1 + 10));
    }

    #[test]
    fn short_group_offer_id_is_rejected() {
        let p = proto::Payload {
            group_offers: vec![proto::Offer {
                group_id: vec![1; 32],
                message_ids: vec![vec![2; 5]],
            }],
            ..Default::default()
        };
        let bytes = prost::Message::encode_to_vec(&p);
        assert_eq!(
            decode(&bytes),
            Err(WireError::BadIdLength {
                field: "group offer",
                len: 5
            })
        );
    }
}
