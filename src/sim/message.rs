//! Messages, groups and nodes as the simulator names them.
//!
//! Inside the simulator every node, group and message is a dense integer; the
//! wire module turns them into the 32-byte ids the real protocol would carry
//! (see [`wire_id`]) so that bandwidth counts real sizes.

use crate::sim::time::SimTime;
use sha2::{Digest, Sha256};
use std::rc::Rc;

/// A node (peer) index, `0..nodes`.
pub type NodeId = u32;
/// A group (chat) index, in scenario order.
pub type GroupId = u32;
/// A message index, dense in creation order over the whole run.
pub type MsgId = u32;
/// A group's member list, sorted: shared by every node of the group (one
/// copy per group, not per node, so membership checks stay in cache).
pub type Members = Rc<[NodeId]>;

/// Unix time (seconds) of simulated time zero, used for wire timestamps so
/// their varint length is that of a real, present-day timestamp.
pub const EPOCH_UNIX_S: i64 = 1_700_000_000;

/// An application message: what MVDS's `Message` record carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Dense id of this message.
    pub id: MsgId,
    /// The group (chat) it belongs to.
    pub group: GroupId,
    /// The node that wrote it.
    pub sender: NodeId,
    /// When it was written.
    pub created: SimTime,
    /// Length of the body in bytes.
    pub body_len: u32,
    /// The sender's heads of the group's DAG when it wrote this message.
    pub parents: Vec<MsgId>,
}

/// Messages are shared between nodes by reference: a record in a payload
/// carries the message as a receiver would decode it.
pub type MessageRef = Rc<Message>;

impl Message {
    /// Wire timestamp (Unix seconds), as MVDS's `int64 timestamp`.
    pub fn wire_timestamp(&self) -> i64 {
        EPOCH_UNIX_S + (self.created.as_micros() / 1_000_000) as i64
    }
}

/// The 32-byte id a group has on the wire: SHA-256 of its index.
pub fn group_wire_id(group: GroupId) -> [u8; 32] {
    Sha256::digest(format!("meshsync-group-{group}").as_bytes()).into()
}

/// The body bytes the simulator pretends a message has: its length is real,
/// its content is a deterministic filler.
pub fn body_bytes(msg: &Message) -> Vec<u8> {
    let mut body = vec![0u8; msg.body_len as usize];
    for (i, b) in msg.id.to_le_bytes().iter().enumerate() {
        if let Some(slot) = body.get_mut(i) {
            *slot = *b;
        }
    }
    body
}

/// MVDS message id: `sha256("MESSAGE_ID" ‖ group_id ‖ timestamp ‖ body)`,
/// the timestamp as 8 bytes **little-endian** (`binary.LittleEndian` in
/// `protobuf/messageid.go` of both status-im/mvds, as vendored by
/// status-go, and vacp2p/mvds).
pub fn wire_id(msg: &Message) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"MESSAGE_ID");
    h.update(group_wire_id(msg.group));
    h.update(msg.wire_timestamp().to_le_bytes());
    h.update(body_bytes(msg));
    h.finalize().into()
}

/// A message of group 0 with a 10-byte body, for unit tests.
#[cfg(test)]
pub(crate) fn test_message(
    id: MsgId,
    sender: NodeId,
    created: SimTime,
    parents: &[MsgId],
) -> MessageRef {
    Rc::new(Message {
        id,
        group: 0,
        sender,
        created,
        body_len: 10,
        parents: parents.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_ids_differ_by_message() {
        let a = Message {
            id: 0,
            group: 0,
            sender: 0,
            created: SimTime::ZERO,
            body_len: 10,
            parents: vec![],
        };
        let b = Message { id: 1, ..a.clone() };
        assert_ne!(wire_id(&a), wire_id(&b));
        assert_eq!(wire_id(&a), wire_id(&a.clone()));
        assert_eq!(body_bytes(&a).len(), 10);
    }

    /// Computed independently of this code:
    /// `python3 -c 'import hashlib,struct; g=hashlib.sha256(b"meshsync-group-2").digest();
    /// print(hashlib.sha256(b"MESSAGE_ID"+g+struct.pack("<q",1_700_000_005)
    /// +struct.pack("<I",7)+bytes(6)).hexdigest())'` (big-endian would give
    /// `75e3a20f…`).
    #[test]
    fn message_id_is_little_endian_test_vector() {
        let m = Message {
            id: 7,
            group: 2,
            sender: 0,
            created: SimTime::from_secs(5),
            body_len: 10,
            parents: vec![],
        };
        let hex: String = wire_id(&m).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "f182ba3c84fe6df0f452f21cda07edbecb5bd7501e4b469f653b9f99d6d01984"
        );
    }
}
