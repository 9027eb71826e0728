//! BSP's own wire: Bramble sync records carried in BTP frames, and their
//! exact sizes.
//!
//! What Briar puts on a link (bramble-api `record/Record.java`,
//! `sync/SyncConstants.java`, `sync/RecordTypes.java`,
//! `transport/TransportConstants.java`; bramble-core
//! `record/RecordWriterImpl.java`, `sync/SyncRecordWriterImpl.java`,
//! `transport/StreamWriterImpl.java`, `crypto/StreamEncrypterImpl.java`):
//!
//! - **Records.** A 4-byte header (protocol version u8 = 0, record type u8,
//!   payload length u16 big-endian) and the payload (at most 48 KiB). ACK
//!   (type 0), OFFER (2) and REQUEST (3) carry raw 32-byte message ids, at
//!   most `MAX_MESSAGE_IDS` = 48 KiB / 32 = 1,536 per record (more ids take
//!   more records). A MESSAGE (1) is the raw message: group id (32 bytes),
//!   timestamp (8, milliseconds) and body. Briar's sync layer has no parent
//!   field: a client writes the ids its message depends on into the body
//!   (a private-group post names its parent and previous message), so the
//!   body on the wire is 32 bytes per parent followed by the scenario's body.
//! - **Frames.** The records of a payload are written into a BTP stream and
//!   flushed, as Briar's outgoing sessions flush before they wait: the
//!   stream cuts the bytes into frames of at most 988 payload bytes
//!   (`MAX_PAYLOAD_LENGTH` = 1,024 − 20 − 16), each with an encrypted
//!   20-byte header (4 plaintext bytes and a 16-byte MAC) and a 16-byte MAC
//!   after the payload, unpadded. The writer emits a frame whenever 988 bytes
//!   are buffered and one more (possibly empty) at the flush, so `n` record
//!   bytes take `n / 988 + 1` frames.
//! - **Stream preamble, once per connection.** Each stream starts with a
//!   16-byte tag and an 82-byte stream header (24-byte nonce, 42 bytes of
//!   version, stream number and frame key, 16-byte MAC), and every sync
//!   session starts with a VERSIONS record (4 + 1 bytes). meshsync opens a
//!   stream towards a peer at each link-up and counts the preamble with the
//!   first payload sent after it ([`Payload::opens_stream`]). Not counted:
//!   the PRIORITY record only the connection's initiator sends (20 bytes),
//!   the empty final frame that ends a stream (36 bytes: a link in meshsync
//!   goes down when the peer becomes unreachable, and nothing gets through
//!   then), and keepalive flushes of idle duplex connections.
//!
//! Record kinds, in the order of [`BSP_KINDS`]: `ack`, `message`, `offer`,
//! `request` (their records' headers and payloads; counted per id or
//! message, as for the other strategies) and `btp` (frame headers and MACs,
//! the stream preamble and the VERSIONS record; counted per frame). The
//! parts add up to the payload's encoded length.
//!
//! [`encode`] writes the bytes (MACs and the encrypted parts as zeros: the
//! layout and the lengths are real, the cryptography is not modelled) and a
//! test proves its output has exactly the computed length; [`decode`] parses
//! any bytes back into records and never panics.
//!
//! Imports `sim/` and `node/` only.

use crate::node::strategy::{PerKind, RecordKind, WirePayload, MAX_RECORD_KINDS};
pub use crate::node::wire::ID_LEN;
use crate::sim::message::{body_bytes, group_wire_id, MessageRef, MsgId};
use thiserror::Error;
/// Bytes of a record header: version, type, payload length.
pub const RECORD_HEADER_BYTES: usize = 4;
/// Largest record payload (48 KiB).
pub const MAX_RECORD_PAYLOAD_BYTES: usize = 48 * 1024;
/// Most ids in one ACK, OFFER or REQUEST record (1,536).
pub const MAX_MESSAGE_IDS: usize = MAX_RECORD_PAYLOAD_BYTES / ID_LEN;
/// Group id and timestamp before a message's body.
pub const MESSAGE_HEADER_LENGTH: usize = ID_LEN + 8;
/// The sync protocol's version byte.
pub const PROTOCOL_VERSION: u8 = 0;
/// Record types.
pub const ACK: u8 = 0;
/// A message in full.
pub const MESSAGE: u8 = 1;
/// Ids of messages the sender can send.
pub const OFFER: u8 = 2;
/// Ids of messages the sender wants.
pub const REQUEST: u8 = 3;
/// The sync protocol versions the sender supports.
pub const VERSIONS: u8 = 4;

/// A BTP MAC.
pub const MAC_LENGTH: usize = 16;
/// An encrypted frame header: 4 plaintext bytes and a MAC.
pub const FRAME_HEADER_LENGTH: usize = 4 + MAC_LENGTH;
/// The largest frame.
pub const MAX_FRAME_LENGTH: usize = 1024;
/// The most payload bytes one frame carries (988).
pub const MAX_PAYLOAD_LENGTH: usize = MAX_FRAME_LENGTH - FRAME_HEADER_LENGTH - MAC_LENGTH;
/// What a frame adds to its payload (36 bytes).
pub const FRAME_OVERHEAD: usize = FRAME_HEADER_LENGTH + MAC_LENGTH;
/// The pseudo-random tag that starts a stream.
pub const TAG_LENGTH: usize = 16;
/// The stream header: nonce (24), version, stream number and frame key
/// (2 + 8 + 32), MAC.
pub const STREAM_HEADER_LENGTH: usize = 24 + 2 + 8 + 32 + MAC_LENGTH;
/// The VERSIONS record every session starts with (one supported version).
pub const VERSIONS_RECORD_LENGTH: usize = RECORD_HEADER_BYTES + 1;
/// Bytes a stream costs once, before its first frame.
pub const STREAM_PREAMBLE: usize = TAG_LENGTH + STREAM_HEADER_LENGTH;

/// BSP's record kinds, in the order of [`Payload::encoded_len_by_kind`].
pub const BSP_KINDS: &[RecordKind] = &[
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
        name: "btp",
        listed_when_zero: true,
    },
];

/// What one BSP node sends one peer at once (one flush of its stream),
/// with messages named by dense id.
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
    /// The first payload on a new connection: the stream's tag, header and
    /// the session's VERSIONS record go first.
    pub opens_stream: bool,
}

/// Bytes of the records carrying `n` ids (headers included).
pub fn ids_records_len(n: usize) -> usize {
    n.div_ceil(MAX_MESSAGE_IDS) * RECORD_HEADER_BYTES + n * ID_LEN
}

/// Bytes of a MESSAGE record's payload: header, parents, body.
pub fn message_len(msg: &MessageRef) -> usize {
    MESSAGE_HEADER_LENGTH + ID_LEN * msg.parents.len() + msg.body_len as usize
}

/// Bytes of one MESSAGE record.
pub fn message_record_len(msg: &MessageRef) -> usize {
    RECORD_HEADER_BYTES + message_len(msg)
}

/// Frames a flush of `n` record bytes takes: one per 988 bytes buffered,
/// and the one the flush writes (empty when `n` is a multiple of 988).
pub fn frames(n: usize) -> usize {
    n / MAX_PAYLOAD_LENGTH + 1
}

impl Payload {
    /// True when the payload carries no record (it is then not sent).
    pub fn is_empty(&self) -> bool {
        self.acks.is_empty()
            && self.offers.is_empty()
            && self.requests.is_empty()
            && self.messages.is_empty()
    }

    /// Bytes of the records written into the stream (the VERSIONS record
    /// included when the payload opens it).
    fn record_bytes(&self) -> [usize; 5] {
        let messages = self.messages.iter().map(message_record_len).sum();
        let versions = if self.opens_stream {
            VERSIONS_RECORD_LENGTH
        } else {
            0
        };
        [
            ids_records_len(self.acks.len()),
            messages,
            ids_records_len(self.offers.len()),
            ids_records_len(self.requests.len()),
            versions,
        ]
    }

    /// Exact length of [`encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_by_kind().iter().sum::<u64>() as usize
    }

    /// The encoded length by kind, in the order of [`BSP_KINDS`]; the
    /// `btp` part is the frames' headers and MACs, plus the stream preamble
    /// and VERSIONS record when the payload opens the stream.
    pub fn encoded_len_by_kind(&self) -> PerKind {
        let [ack, message, offer, request, versions] = self.record_bytes();
        let total = ack + message + offer + request + versions;
        let mut btp = frames(total) * FRAME_OVERHEAD + versions;
        if self.opens_stream {
            btp += STREAM_PREAMBLE;
        }
        let mut out = [0; MAX_RECORD_KINDS];
        for (o, v) in out.iter_mut().zip([ack, message, offer, request, btp]) {
            *o = v as u64;
        }
        out
    }

    /// The number of ids, messages and frames, in the order of
    /// [`BSP_KINDS`].
    pub fn count_by_kind(&self) -> PerKind {
        let total: usize = self.record_bytes().iter().sum();
        let mut out = [0; MAX_RECORD_KINDS];
        out[..5].copy_from_slice(&[
            self.acks.len() as u64,
            self.messages.len() as u64,
            self.offers.len() as u64,
            self.requests.len() as u64,
            frames(total) as u64,
        ]);
        out
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
    /// The parents at the head of each MESSAGE body: 32 bytes each (the
    /// record's length field frames the body as a whole).
    fn causal_len(&self) -> u64 {
        self.messages
            .iter()
            .map(|m| (ID_LEN * m.parents.len()) as u64)
            .sum()
    }
    fn carrying(messages: Vec<MessageRef>) -> Option<Self> {
        Some(Payload {
            messages,
            ..Payload::default()
        })
    }
}

/// Why a payload cannot be encoded, or bytes are not a BSP stream.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    /// A record's payload exceeds what its 16-bit length can say.
    #[error("record payload of {0} bytes does not fit its 16-bit length")]
    RecordTooLong(usize),
    /// The bytes end inside a preamble, frame or record.
    #[error("unexpected end of stream")]
    UnexpectedEnd,
    /// A frame header names more payload than a frame may carry.
    #[error("frame payload and padding of {0} bytes, expected at most 988")]
    FrameTooLong(usize),
    /// A record of an unknown version or type.
    #[error("record of version {version} and type {kind}")]
    UnknownRecord {
        /// The version byte.
        version: u8,
        /// The type byte.
        kind: u8,
    },
    /// An id record whose payload is not a whole number of ids.
    #[error("{0}-byte id record, expected a multiple of 32")]
    BadIdRecord(usize),
    /// A MESSAGE record shorter than its group id and timestamp.
    #[error("{0}-byte message record, expected at least 40")]
    ShortMessage(usize),
}

/// Appends one record.
fn put_record(out: &mut Vec<u8>, kind: u8, payload: &[u8]) -> Result<(), WireError> {
    let len = u16::try_from(payload.len()).map_err(|_| WireError::RecordTooLong(payload.len()))?;
    out.extend_from_slice(&[PROTOCOL_VERSION, kind]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends the records carrying `ids`, at most 1,536 per record.
fn put_ids(
    out: &mut Vec<u8>,
    kind: u8,
    ids: &[MsgId],
    id_of: &impl Fn(MsgId) -> [u8; 32],
) -> Result<(), WireError> {
    for chunk in ids.chunks(MAX_MESSAGE_IDS) {
        let payload: Vec<u8> = chunk.iter().flat_map(|&m| id_of(m)).collect();
        put_record(out, kind, &payload)?;
    }
    Ok(())
}

/// The raw message: group id, timestamp (ms, big-endian), parents, body.
fn raw_message(msg: &MessageRef, id_of: &impl Fn(MsgId) -> [u8; 32]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(message_len(msg));
    raw.extend_from_slice(&group_wire_id(msg.group));
    let ms = msg.wire_timestamp() as u64 * 1000 + msg.created.as_micros() / 1000 % 1000;
    raw.extend_from_slice(&ms.to_be_bytes());
    for &p in &msg.parents {
        raw.extend_from_slice(&id_of(p));
    }
    raw.extend_from_slice(&body_bytes(msg));
    raw
}

/// The records of `p`, in the order ACK, MESSAGE, OFFER, REQUEST (the
/// order a receiver handles them in), after the VERSIONS record when the
/// payload opens the stream.
fn records(p: &Payload, id_of: &impl Fn(MsgId) -> [u8; 32]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    if p.opens_stream {
        put_record(&mut out, VERSIONS, &[PROTOCOL_VERSION])?;
    }
    put_ids(&mut out, ACK, &p.acks, id_of)?;
    for m in &p.messages {
        put_record(&mut out, MESSAGE, &raw_message(m, id_of))?;
    }
    put_ids(&mut out, OFFER, &p.offers, id_of)?;
    put_ids(&mut out, REQUEST, &p.requests, id_of)?;
    Ok(out)
}

/// Appends one frame: header (payload length u16, padding length u16, a
/// MAC), the payload, a MAC. MACs are zeros here.
fn put_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&[0; MAC_LENGTH]);
    out.extend_from_slice(payload);
    out.extend_from_slice(&[0; MAC_LENGTH]);
}

/// The bytes of `p` on the wire (preamble if it opens the stream, then its
/// frames); `id_of` gives the 32-byte wire id of a message.
pub fn encode(p: &Payload, id_of: impl Fn(MsgId) -> [u8; 32]) -> Result<Vec<u8>, WireError> {
    let records = records(p, &id_of)?;
    let mut out = Vec::with_capacity(p.encoded_len());
    if p.opens_stream {
        out.extend_from_slice(&[0; STREAM_PREAMBLE]);
    }
    let mut chunks = records.chunks_exact(MAX_PAYLOAD_LENGTH);
    for full in &mut chunks {
        put_frame(&mut out, full);
    }
    put_frame(&mut out, chunks.remainder());
    Ok(out)
}

/// A MESSAGE record, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    /// The group's id.
    pub group: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// The body (the client's dependency ids first, in meshsync's bodies).
    pub body: Vec<u8>,
}

/// The records of a stream (or of one flush of it), parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Versions offered by VERSIONS records.
    pub versions: Vec<u8>,
    /// Ids acknowledged.
    pub acks: Vec<[u8; 32]>,
    /// Messages.
    pub messages: Vec<RawMessage>,
    /// Ids offered.
    pub offers: Vec<[u8; 32]>,
    /// Ids requested.
    pub requests: Vec<[u8; 32]>,
}

/// Takes `n` bytes off the front of `bytes`.
fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], WireError> {
    if bytes.len() < n {
        return Err(WireError::UnexpectedEnd);
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

/// The frames' payloads, concatenated.
fn unframe(mut bytes: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut plain = Vec::new();
    while !bytes.is_empty() {
        let header = take(&mut bytes, FRAME_HEADER_LENGTH)?;
        let payload = usize::from(u16::from_be_bytes([header[0], header[1]]) & 0x7fff);
        let padding = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if payload + padding > MAX_PAYLOAD_LENGTH {
            return Err(WireError::FrameTooLong(payload + padding));
        }
        plain.extend_from_slice(take(&mut bytes, payload)?);
        take(&mut bytes, padding + MAC_LENGTH)?;
    }
    Ok(plain)
}

fn ids(payload: &[u8]) -> Result<Vec<[u8; 32]>, WireError> {
    if !payload.len().is_multiple_of(ID_LEN) {
        return Err(WireError::BadIdRecord(payload.len()));
    }
    Ok(payload
        .chunks_exact(ID_LEN)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect())
}

fn message(payload: &[u8]) -> Result<RawMessage, WireError> {
    if payload.len() < MESSAGE_HEADER_LENGTH {
        return Err(WireError::ShortMessage(payload.len()));
    }
    let (group, rest) = payload.split_at(ID_LEN);
    let (ts, body) = rest.split_at(8);
    Ok(RawMessage {
        group: group.try_into().expect("32 bytes"),
        timestamp: u64::from_be_bytes(ts.try_into().expect("8 bytes")),
        body: body.to_vec(),
    })
}

/// Parses the bytes of a stream, or of one flush of it (`opens_stream`:
/// whether they start with the stream's preamble), into records. Returns
/// an error, never panics, whatever the input.
pub fn decode(mut bytes: &[u8], opens_stream: bool) -> Result<Decoded, WireError> {
    if opens_stream {
        take(&mut bytes, STREAM_PREAMBLE)?;
    }
    let plain = unframe(bytes)?;
    let mut rest = plain.as_slice();
    let mut d = Decoded::default();
    while !rest.is_empty() {
        let header = take(&mut rest, RECORD_HEADER_BYTES)?;
        let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
        let payload = take(&mut rest, len)?;
        match (header[0], header[1]) {
            (PROTOCOL_VERSION, ACK) => d.acks.extend(ids(payload)?),
            (PROTOCOL_VERSION, MESSAGE) => d.messages.push(message(payload)?),
            (PROTOCOL_VERSION, OFFER) => d.offers.extend(ids(payload)?),
            (PROTOCOL_VERSION, REQUEST) => d.requests.extend(ids(payload)?),
            (PROTOCOL_VERSION, VERSIONS) => d.versions.extend_from_slice(payload),
            (version, kind) => return Err(WireError::UnknownRecord { version, kind }),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests;
