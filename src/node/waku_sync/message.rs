//! A meshsync message as a Waku message: its 32-byte id, its timestamp and
//! its exact encoding, shared by `waku-sync` and `negentropy`.
//!
//! - **Timestamp**: Unix nanoseconds ([`timestamp_ns`]), as Waku timestamps
//!   are (nwaku `waku/waku_store_sync/common.nim` `SyncID.time`).
//! - **Id**: Waku's deterministic message hash, `sha256(pubsubTopic ‖
//!   payload ‖ contentTopic ‖ meta ‖ timestamp as 8 bytes big-endian)`
//!   (nwaku `waku/waku_core/message/digest.nim` `computeMessageHash`) of the
//!   envelope below ([`message_hash`]).
//! - **Envelope**: `WakuMessage { payload = 1; content_topic = 2; version =
//!   3; timestamp = 10 (sint64); meta = 11; proof = 21; ephemeral = 31 }`
//!   with every field on the wire, defaults included (nwaku
//!   `waku/waku_core/message/codec.nim`, `write3` in
//!   `waku/common/protobuf.nim`), inside the transfer protocol's
//!   `WakuMessageAndTopic { pubsub = 1 (string); message = 2 (bytes) }`
//!   (nwaku `waku/waku_store_sync/codec.nim`), length-prefixed as libp2p's
//!   `writeLP` does.
//! - **Payload** (meshsync's application framing, no Waku source):
//!   `varint(#parents) ‖ 32-byte parent ids ‖ body`. A parent's id is
//!   [`parent_ref`], a stand-in of the parent's hash with its exact size
//!   (a message names parents by dense id; their hashes need the parents).
//!
//! Imports: `sim/` and prost.

use crate::sim::message::{body_bytes, GroupId, Message, MsgId, EPOCH_UNIX_S};
use prost::encoding::{encoded_len_varint, key_len};
use prost::Message as _;
use sha2::{Digest, Sha256};

/// The pubsub topic every meshsync group travels on: one static shard.
pub const PUBSUB_TOPIC: &str = "/waku/2/rs/16/32";

/// The content topic of group `g`.
pub fn content_topic(g: GroupId) -> String {
    format!("/meshsync/1/group-{g}/proto")
}

/// Creation time as Unix nanoseconds.
pub fn timestamp_ns(msg: &Message) -> u64 {
    EPOCH_UNIX_S as u64 * 1_000_000_000 + msg.created.as_micros() * 1_000
}

/// The 32 bytes standing for message `id` in a child's parent list.
pub fn parent_ref(id: MsgId) -> [u8; 32] {
    Sha256::digest(format!("meshsync-msg-{id}").as_bytes()).into()
}

/// The application payload: parents, then body.
pub fn app_payload(msg: &Message) -> Vec<u8> {
    let mut p = Vec::with_capacity(app_payload_len(msg));
    prost::encoding::encode_varint(msg.parents.len() as u64, &mut p);
    for &q in &msg.parents {
        p.extend_from_slice(&parent_ref(q));
    }
    p.extend_from_slice(&body_bytes(msg));
    p
}

/// The length of [`app_payload`].
pub fn app_payload_len(msg: &Message) -> usize {
    encoded_len_varint(msg.parents.len() as u64) + 32 * msg.parents.len() + msg.body_len as usize
}

/// Waku's `WakuMessage`, every field present.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WakuMessage {
    /// Application payload.
    #[prost(bytes = "vec", tag = "1")]
    pub payload: Vec<u8>,
    /// Content topic.
    #[prost(string, tag = "2")]
    pub content_topic: String,
    /// Version (0), written although default.
    #[prost(uint32, optional, tag = "3")]
    pub version: Option<u32>,
    /// Unix nanoseconds, zigzag.
    #[prost(sint64, optional, tag = "10")]
    pub timestamp: Option<i64>,
    /// Meta (empty), written although default.
    #[prost(bytes = "vec", optional, tag = "11")]
    pub meta: Option<Vec<u8>>,
    /// RLN proof (empty), written although default.
    #[prost(bytes = "vec", optional, tag = "21")]
    pub proof: Option<Vec<u8>>,
    /// Ephemeral flag (0), written although default.
    #[prost(uint32, optional, tag = "31")]
    pub ephemeral: Option<u32>,
}

/// The transfer protocol's `WakuMessageAndTopic` (code's field numbers).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WakuMessageAndTopic {
    /// Pubsub topic.
    #[prost(string, tag = "1")]
    pub pubsub: String,
    /// Encoded `WakuMessage`.
    #[prost(bytes = "vec", tag = "2")]
    pub message: Vec<u8>,
}

/// The Waku message carrying `msg`.
pub fn waku_message(msg: &Message) -> WakuMessage {
    WakuMessage {
        payload: app_payload(msg),
        content_topic: content_topic(msg.group),
        version: Some(0),
        timestamp: Some(timestamp_ns(msg) as i64),
        meta: Some(Vec::new()),
        proof: Some(Vec::new()),
        ephemeral: Some(0),
    }
}

/// Waku's deterministic hash of `msg`'s envelope: its sync id's hash.
pub fn message_hash(msg: &Message) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(PUBSUB_TOPIC.as_bytes());
    h.update(app_payload(msg));
    h.update(content_topic(msg.group).as_bytes());
    h.update([]); // meta
    h.update(timestamp_ns(msg).to_be_bytes());
    h.finalize().into()
}

/// Bytes of a length-delimited field `tag` of `n` bytes.
fn field_len(tag: u32, n: usize) -> usize {
    key_len(tag) + encoded_len_varint(n as u64) + n
}

/// The exact encoded length of [`waku_message`]`(msg)`.
pub fn waku_message_len(msg: &Message) -> usize {
    let zigzag = ((timestamp_ns(msg) as i64) << 1) ^ ((timestamp_ns(msg) as i64) >> 63);
    field_len(1, app_payload_len(msg))
        + field_len(2, content_topic(msg.group).len())
        + key_len(3)
        + 1
        + key_len(10)
        + encoded_len_varint(zigzag as u64)
        + field_len(11, 0)
        + field_len(21, 0)
        + key_len(31)
        + 1
}

/// The exact length of one transfer frame carrying `msg`: the libp2p
/// length prefix and the `WakuMessageAndTopic`.
pub fn transfer_frame_len(msg: &Message) -> usize {
    let inner = field_len(1, PUBSUB_TOPIC.len()) + field_len(2, waku_message_len(msg));
    encoded_len_varint(inner as u64) + inner
}

/// The transfer frame carrying `msg`, as it goes on the stream.
pub fn transfer_frame(msg: &Message) -> Vec<u8> {
    let m = WakuMessageAndTopic {
        pubsub: PUBSUB_TOPIC.into(),
        message: waku_message(msg).encode_to_vec(),
    };
    m.encode_length_delimited_to_vec()
}

/// Decodes one transfer frame (never panics).
pub fn decode_transfer_frame(bytes: &[u8]) -> Result<(String, WakuMessage), prost::DecodeError> {
    let m = WakuMessageAndTopic::decode_length_delimited(bytes)?;
    Ok((m.pubsub, WakuMessage::decode(m.message.as_slice())?))
}
