//! The wire of `waku-sync`: the reconciliation protocol's `RangesData`
//! encoder and decoder, exactly as nwaku's `waku/waku_store_sync/codec.nim`
//! (`deltaEncode`, `deltaDecode`) does them, and the strategy's payload.
//!
//! Encoding (see `docs/sources/reconciliation.md` §2): an empty
//! `RangesData` is the byte `0x00`; otherwise LEB128 counts and lengths of
//! the pubsub topics and content topics, the first range's lower-bound time
//! in full, then per range the upper bound's time delta (and, when the
//! delta is 0, a hash prefix measured against the first lower bound), a
//! type byte and a 32-byte fingerprint or an item set (count, per item a
//! time delta and a 32-byte hash, a `reconciled` byte). Each payload goes
//! on its stream behind libp2p's varint length prefix.
//!
//! The decoder follows the code's rules (a 9-byte look-ahead for full
//! timestamps and counts, the loop stopping one byte before the end,
//! zero-padded bound hashes) but never panics: where nwaku would read out
//! of bounds or overflow, it returns an error.
//!
//! Imports: `sim/`, the node layer (strategy traits, the shared message
//! envelope).

use super::message::transfer_frame_len;
use crate::node::strategy::{PerKind, RecordKind, WirePayload};
use crate::sim::message::{MessageRef, NodeId};
use prost::encoding::encoded_len_varint;
use thiserror::Error;

/// nwaku's `VarIntLen`: the look-ahead of its LEB128 reads.
pub const VARINT_LEN: usize = 9;

/// A sync id: timestamp (ns) and 32-byte message hash, ordered by both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyncId {
    /// Unix nanoseconds.
    pub time: u64,
    /// Waku message hash.
    pub hash: [u8; 32],
}

impl SyncId {
    /// `(time, 00…00)`.
    pub fn low(time: u64) -> SyncId {
        SyncId {
            time,
            hash: [0; 32],
        }
    }
    /// `(time, ff…ff)`.
    pub fn high(time: u64) -> SyncId {
        SyncId {
            time,
            hash: [0xff; 32],
        }
    }
}

/// A range's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Nothing more to do here (type 0).
    Skip,
    /// XOR of the hashes in the range (type 1).
    Fingerprint([u8; 32]),
    /// Every id in the range (type 2), and whether the sender already
    /// compared the range.
    ItemSet(Vec<SyncId>, bool),
}

impl Body {
    fn type_byte(&self) -> u8 {
        match self {
            Body::Skip => 0,
            Body::Fingerprint(_) => 1,
            Body::ItemSet(..) => 2,
        }
    }
}

/// A range `[lower, upper]` and its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// Lower bound.
    pub lower: SyncId,
    /// Upper bound.
    pub upper: SyncId,
    /// Content.
    pub body: Body,
}

/// One reconciliation payload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangesData {
    /// Pubsub topics of the sender.
    pub pubsub_topics: Vec<String>,
    /// Content topics of the sender.
    pub content_topics: Vec<String>,
    /// Ranges in ascending order.
    pub ranges: Vec<Range>,
}

impl RangesData {
    /// True when nothing is left to do (no range, or only Skips).
    pub fn is_done(&self) -> bool {
        self.ranges.iter().all(|r| r.body == Body::Skip)
    }
}

fn leb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn topics(ts: &[String], out: &mut Vec<u8>) {
    leb(ts.len() as u64, out);
    for t in ts {
        leb(t.len() as u64, out);
        out.extend_from_slice(t.as_bytes());
    }
}

/// Bytes up to and including the first that differs (32 if none does).
fn same_bytes(a: &[u8; 32], b: &[u8; 32]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .map_or(32, |i| i + 1)
}

/// `deltaEncode(ItemSet)`.
fn item_set(items: &[SyncId], reconciled: bool, out: &mut Vec<u8>) {
    leb(items.len() as u64, out);
    let mut last = 0u64;
    for id in items {
        leb(id.time.wrapping_sub(last), out);
        last = id.time;
        out.extend_from_slice(&id.hash);
    }
    out.push(u8::from(reconciled));
}

/// `deltaEncode(RangesData)`.
pub fn encode(data: &RangesData) -> Vec<u8> {
    let Some(first) = data.ranges.first() else {
        return vec![0];
    };
    let mut out = Vec::with_capacity(64);
    topics(&data.pubsub_topics, &mut out);
    topics(&data.content_topics, &mut out);
    let mut last = first.lower.time;
    let last_hash = first.lower.hash; // never updated, as in the code
    leb(last, &mut out);
    for r in &data.ranges {
        let diff = r.upper.time.wrapping_sub(last);
        last = r.upper.time;
        leb(diff, &mut out);
        if diff == 0 {
            let n = same_bytes(&last_hash, &r.upper.hash);
            out.push(n as u8);
            out.extend_from_slice(&r.upper.hash[..n]);
        }
        out.push(r.body.type_byte());
        match &r.body {
            Body::Skip => {}
            Body::Fingerprint(f) => out.extend_from_slice(f),
            Body::ItemSet(items, rec) => item_set(items, *rec, &mut out),
        }
    }
    out
}

/// Why bytes are not a `RangesData`.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    /// What the code would report (or where it would misbehave).
    #[error("cannot decode {0}")]
    Bad(&'static str),
}

use DecodeError::Bad;

/// A reader with nwaku's rules.
struct Reader<'a> {
    buf: &'a [u8],
    idx: usize,
}

impl Reader<'_> {
    /// LEB128 from at most [`VARINT_LEN`] bytes (stew's `fromBytes` on the
    /// code's slice); a malformed one is an error here.
    fn leb(&mut self) -> Result<u64, DecodeError> {
        let end = (self.idx + VARINT_LEN).min(self.buf.len());
        let mut v = 0u64;
        for (k, &b) in self.buf[self.idx..end].iter().enumerate() {
            v |= u64::from(b & 0x7f) << (7 * k);
            if b & 0x80 == 0 {
                self.idx += k + 1;
                return Ok(v);
            }
        }
        Err(Bad("varint"))
    }
    /// A LEB128 the code reads only with 9 bytes left (`getTimestamp`,
    /// `getTopics`).
    fn leb_full(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        if self.idx + VARINT_LEN > self.buf.len() {
            return Err(Bad(what));
        }
        self.leb()
    }
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&[u8], DecodeError> {
        let end = self.idx.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or(Bad(what))?;
        let s = &self.buf[self.idx..end];
        self.idx = end;
        Ok(s)
    }
    fn hash(&mut self, what: &'static str) -> Result<[u8; 32], DecodeError> {
        let mut h = [0u8; 32];
        h.copy_from_slice(self.bytes(32, what)?);
        Ok(h)
    }
    fn topics(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.leb_full("topic count")?;
        let mut v = Vec::new();
        for _ in 0..n {
            let len = self.leb_full("topic length")? as usize;
            let b = self.bytes(len, "topic bytes")?;
            v.push(String::from_utf8_lossy(b).into_owned());
        }
        Ok(v)
    }
    /// `updateHash`: a prefix, zero-padded (silently absent when malformed).
    fn bound_hash(&mut self) -> [u8; 32] {
        let mut h = [0u8; 32];
        let Some(&n) = self.buf.get(self.idx) else {
            return h;
        };
        let n = n as usize;
        if n > 32 || self.idx + 1 + n > self.buf.len() {
            if n <= 32 {
                self.idx += 1;
            }
            return h;
        }
        h[..n].copy_from_slice(&self.buf[self.idx + 1..self.idx + 1 + n]);
        self.idx += 1 + n;
        h
    }
    fn item_set(&mut self) -> Result<Body, DecodeError> {
        let n = self.leb()?;
        let mut items = Vec::new();
        let mut last = 0u64;
        while (items.len() as u64) < n {
            let t = last
                .checked_add(self.leb_full("timestamp")?)
                .ok_or(Bad("timestamp"))?;
            last = t;
            items.push(SyncId {
                time: t,
                hash: self.hash("hash")?,
            });
        }
        match self.bytes(1, "reconciled")?[0] {
            b @ 0..=1 => Ok(Body::ItemSet(items, b == 1)),
            _ => Err(Bad("reconciled")),
        }
    }
    fn range(&mut self, last: &mut u64) -> Result<Range, DecodeError> {
        let lower = SyncId::low(*last);
        let diff = self.leb()?;
        let hash = if diff == 0 {
            self.bound_hash()
        } else {
            [0; 32]
        };
        *last = last.checked_add(diff).ok_or(Bad("timestamp"))?;
        let upper = SyncId { time: *last, hash };
        let body = match self.bytes(1, "range type")?[0] {
            0 => Body::Skip,
            1 => Body::Fingerprint(self.hash("fingerprint")?),
            2 => self.item_set()?,
            _ => return Err(Bad("range type")),
        };
        Ok(Range { lower, upper, body })
    }
}

/// `deltaDecode(RangesData)`; never panics.
pub fn decode(buf: &[u8]) -> Result<RangesData, DecodeError> {
    if buf.len() <= 1 {
        return Ok(RangesData::default());
    }
    let mut r = Reader { buf, idx: 0 };
    let mut data = RangesData {
        pubsub_topics: r.topics()?,
        content_topics: r.topics()?,
        ranges: Vec::new(),
    };
    let mut last = r.leb_full("timestamp")?;
    while r.idx < buf.len() - 1 {
        data.ranges.push(r.range(&mut last)?);
    }
    Ok(data)
}

/// Bytes of `n` bytes behind libp2p's length prefix (`writeLP`).
pub fn lp_len(n: usize) -> usize {
    encoded_len_varint(n as u64) + n
}

/// Which reconciliation stream a frame belongs to: who opened it and its
/// number there (the stream's identity in the connection; no bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Session {
    /// The initiator.
    pub initiator: NodeId,
    /// The initiator's session counter.
    pub seq: u32,
}

/// One encoded `RangesData` on a reconciliation stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Its stream.
    pub session: Session,
    /// The encoded `RangesData` (without the length prefix).
    pub bytes: Vec<u8>,
}

/// The record kinds of `waku-sync`: messages published on relay,
/// reconciliation payloads, transfer-protocol messages.
pub const KINDS: &[RecordKind] = &[
    RecordKind {
        name: "message",
        listed_when_zero: true,
    },
    RecordKind {
        name: "reconcile",
        listed_when_zero: true,
    },
    RecordKind {
        name: "transfer",
        listed_when_zero: true,
    },
];

/// What a `waku-sync` node sends a peer at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// Messages in full: the first `relayed` published on relay, the rest
    /// pushed by the transfer protocol.
    pub messages: Vec<MessageRef>,
    /// How many of `messages` are relay publications.
    pub relayed: usize,
    /// Reconciliation frames.
    pub frames: Vec<Frame>,
}

impl Payload {
    /// A payload publishing `messages` on relay.
    pub fn relaying(messages: Vec<MessageRef>) -> Payload {
        Payload {
            relayed: messages.len(),
            messages,
            frames: Vec::new(),
        }
    }
}

impl WirePayload for Payload {
    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.frames.is_empty()
    }
    fn encoded_len_by_kind(&self) -> PerKind {
        let mut k = PerKind::default();
        for (i, m) in self.messages.iter().enumerate() {
            k[usize::from(i >= self.relayed) * 2] += transfer_frame_len(m) as u64;
        }
        k[1] = self
            .frames
            .iter()
            .map(|f| lp_len(f.bytes.len()) as u64)
            .sum();
        k
    }
    fn count_by_kind(&self) -> PerKind {
        let mut k = PerKind::default();
        k[0] = self.relayed as u64;
        k[1] = self.frames.len() as u64;
        k[2] = (self.messages.len() - self.relayed) as u64;
        k
    }
    fn messages(&self) -> &[MessageRef] {
        &self.messages
    }
    fn message_record_len(msg: &MessageRef) -> usize {
        transfer_frame_len(msg)
    }
    fn carrying(messages: Vec<MessageRef>) -> Option<Self> {
        Some(Payload::relaying(messages))
    }
    fn take_messages(&mut self) -> Vec<MessageRef> {
        self.relayed = 0;
        std::mem::take(&mut self.messages)
    }
}
