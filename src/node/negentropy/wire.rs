//! The wire of `negentropy`: real negentropy protocol v1 frames made by the
//! `negentropy` crate (rust-nostr, 0.5), carried as Waku Sync 1.0 carried
//! them, and the strategy's payload.
//!
//! - **Frames**: `Negentropy::initiate`, `reconcile` (server) and
//!   `reconcile_with_ids` (client) over a `NegentropyStorageVector` of
//!   `(timestamp ns, 32-byte Waku message hash)` items, as nwaku's
//!   negentropy-era Waku Sync stored them (`682981f96^:
//!   waku/waku_sync/protocol.nim` `messageIngress`). The frame size limit is
//!   the crate's: 0 (none) or at least 4,096 bytes.
//! - **Envelope**: `SyncPayload { optional bytes negentropy = 1; repeated
//!   bytes hashes = 20; }` (nwaku `682981f96^:waku/waku_sync/codec.nim`),
//!   behind libp2p's varint length prefix. A frame is a `SyncPayload` with
//!   only `negentropy`; the client's closing `need` record is one with only
//!   `hashes` (the ids it lacks), which the server answers with those
//!   messages.
//! - **Messages**: relay publications and transfers are the transfer
//!   protocol's `WakuMessageAndTopic` frames (`waku_sync::message`).
//!
//! The crate reports `need` ids in `HashSet` order (its `reconcile_aux`):
//! [`client_step`] sorts them so runs stay deterministic.
//!
//! Imports: `sim/`, the node layer, the `negentropy` crate, prost.

use crate::node::strategy::{PerKind, RecordKind, WirePayload};
use crate::node::waku_sync::message::transfer_frame_len;
use crate::node::waku_sync::wire::lp_len;
use crate::sim::message::{GroupId, MessageRef};
use negentropy::{Id, Negentropy, NegentropyStorageVector};
use prost::encoding::{encoded_len_varint, key_len};

pub use negentropy::Error;

/// Smallest non-zero frame size limit the crate accepts.
pub const MIN_FRAME_SIZE_LIMIT: u64 = 4096;

/// Checks a frame size limit as the crate's `Negentropy::new` does.
pub fn check_frame_size_limit(limit: u64) -> Result<(), Error> {
    let storage = sealed(&[])?;
    Negentropy::borrowed(&storage, limit).map(|_| ())
}

/// A sealed storage of `(timestamp, id)` items.
pub fn sealed(items: &[(u64, [u8; 32])]) -> Result<NegentropyStorageVector, Error> {
    let mut s = NegentropyStorageVector::with_capacity(items.len());
    for &(t, id) in items {
        s.insert(t, Id::from_byte_array(id))?;
    }
    s.seal()?;
    Ok(s)
}

/// The client's first frame.
pub fn initiate(storage: &NegentropyStorageVector, limit: u64) -> Result<Vec<u8>, Error> {
    Negentropy::borrowed(storage, limit)?.initiate()
}

/// The server's answer to `query`.
pub fn serve(
    storage: &NegentropyStorageVector,
    limit: u64,
    query: &[u8],
) -> Result<Vec<u8>, Error> {
    Negentropy::borrowed(storage, limit)?.reconcile(query)
}

/// What a client learns from one server frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// The next frame (`None`: reconciliation is over).
    pub next: Option<Vec<u8>>,
    /// Ids we have and the server lacks, sorted.
    pub have: Vec<[u8; 32]>,
    /// Ids the server has and we lack, sorted.
    pub need: Vec<[u8; 32]>,
}

/// The client's step on a server frame.
pub fn client_step(
    storage: &NegentropyStorageVector,
    limit: u64,
    query: &[u8],
) -> Result<Step, Error> {
    let mut n = Negentropy::borrowed(storage, limit)?;
    n.set_initiator();
    let (mut have, mut need) = (Vec::new(), Vec::new());
    let next = n.reconcile_with_ids(query, &mut have, &mut need)?;
    let sorted = |v: Vec<Id>| {
        let mut v: Vec<[u8; 32]> = v.into_iter().map(|i| i.to_bytes()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    Ok(Step {
        next,
        have: sorted(have),
        need: sorted(need),
    })
}

/// Waku Sync 1.0's envelope.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SyncPayload {
    /// A negentropy frame.
    #[prost(bytes = "vec", optional, tag = "1")]
    pub negentropy: Option<Vec<u8>>,
    /// Message hashes (the client's closing list).
    #[prost(bytes = "vec", repeated, tag = "20")]
    pub hashes: Vec<Vec<u8>>,
}

/// Bytes of a frame of `n` bytes in its envelope, length-prefixed.
pub fn frame_record_len(n: usize) -> usize {
    lp_len(key_len(1) + encoded_len_varint(n as u64) + n)
}

/// Bytes of a `need` record of `k` ids, length-prefixed.
pub fn need_record_len(k: usize) -> usize {
    lp_len(k * (key_len(20) + 1 + 32))
}

/// A negentropy frame of one group's session with a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The group reconciled.
    pub group: GroupId,
    /// True from client to server.
    pub to_server: bool,
    /// The v1 frame.
    pub bytes: Vec<u8>,
}

/// The client's closing list: ids it lacks in `group`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    /// The group reconciled.
    pub group: GroupId,
    /// The ids.
    pub ids: Vec<[u8; 32]>,
}

/// The record kinds of `negentropy`.
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
        name: "need",
        listed_when_zero: true,
    },
    RecordKind {
        name: "transfer",
        listed_when_zero: true,
    },
];

/// What a `negentropy` node sends a peer at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// Messages in full: the first `relayed` published, the rest transfers.
    pub messages: Vec<MessageRef>,
    /// How many of `messages` are publications.
    pub relayed: usize,
    /// Negentropy frames.
    pub frames: Vec<Frame>,
    /// Closing lists.
    pub needs: Vec<Need>,
}

impl Payload {
    /// A payload publishing `messages` on relay.
    pub fn relaying(messages: Vec<MessageRef>) -> Payload {
        Payload {
            relayed: messages.len(),
            messages,
            ..Payload::default()
        }
    }
}

impl WirePayload for Payload {
    fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.frames.is_empty() && self.needs.is_empty()
    }
    fn encoded_len_by_kind(&self) -> PerKind {
        let mut k = PerKind::default();
        for (i, m) in self.messages.iter().enumerate() {
            k[usize::from(i >= self.relayed) * 3] += transfer_frame_len(m) as u64;
        }
        k[1] = self
            .frames
            .iter()
            .map(|f| frame_record_len(f.bytes.len()) as u64)
            .sum();
        k[2] = self
            .needs
            .iter()
            .map(|n| need_record_len(n.ids.len()) as u64)
            .sum();
        k
    }
    fn count_by_kind(&self) -> PerKind {
        let mut k = PerKind::default();
        k[0] = self.relayed as u64;
        k[1] = self.frames.len() as u64;
        k[2] = self.needs.len() as u64;
        k[3] = (self.messages.len() - self.relayed) as u64;
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

/// Figures of one whole reconciliation, run in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Frames the client sent (the first included).
    pub client_frames: usize,
    /// Frames the server sent.
    pub server_frames: usize,
    /// Bytes of every frame and of the closing `need` record, in their
    /// envelopes.
    pub bytes: usize,
    /// The largest frame (without envelope).
    pub largest_frame: usize,
    /// Ids the client has and the server lacks.
    pub have: std::collections::BTreeSet<[u8; 32]>,
    /// Ids the server has and the client lacks.
    pub need: std::collections::BTreeSet<[u8; 32]>,
}

/// Reconciles `client` with `server` to the end, as two nodes would.
pub fn reconcile_in_memory(
    client: &NegentropyStorageVector,
    server: &NegentropyStorageVector,
    limit: u64,
) -> Result<Run, Error> {
    let mut r = Run::default();
    let mut query = initiate(client, limit)?;
    loop {
        r.client_frames += 1;
        r.bytes += frame_record_len(query.len());
        r.largest_frame = r.largest_frame.max(query.len());
        let answer = serve(server, limit, &query)?;
        r.server_frames += 1;
        r.bytes += frame_record_len(answer.len());
        r.largest_frame = r.largest_frame.max(answer.len());
        let step = client_step(client, limit, &answer)?;
        r.have.extend(step.have);
        r.need.extend(step.need);
        match step.next {
            Some(q) => query = q,
            None => break,
        }
    }
    if !r.need.is_empty() {
        r.bytes += need_record_len(r.need.len());
    }
    Ok(r)
}
