//! Waku store sync's range processing over a node's sync cache, as nwaku's
//! `waku/waku_store_sync/storage/seq_storage.nim` (`processPayload`,
//! `processFingerprintRange`, `processItemSetRange`, `prune`) and
//! `storage/range_processing.nim` (`equalPartitioning`) do it.
//!
//! The cache is a sorted vector of sync ids, each with its content topic
//! (here the group); a session reconciles the content topics both peers
//! have, so every fingerprint and item set is taken over those only.
//!
//! Imports: the node layer (this strategy's wire) and `sim/`.

use super::wire::{Body, Range, RangesData, SyncId};
use crate::sim::message::{GroupId, MsgId};

/// One cached id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The sync id.
    pub id: SyncId,
    /// Its content topic.
    pub group: GroupId,
    /// The message.
    pub msg: MsgId,
}

/// The sync cache and its parameters.
#[derive(Clone, Debug)]
pub struct Cache {
    entries: Vec<Entry>,
    /// Parts a range splits into (nwaku `partitions = 8`).
    pub partitions: u64,
    /// Largest range sent as an item set (nwaku `threshold = 100`).
    pub threshold: usize,
}

/// What processing a payload found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The answer (empty when everything is reconciled).
    pub reply: RangesData,
    /// Our messages the peer lacks (`hashToSend`).
    pub to_send: Vec<MsgId>,
    /// Ids the peer has and we lack (`hashToRecv`, only counted).
    pub to_recv: usize,
}

impl Cache {
    /// An empty cache.
    pub fn new(partitions: u64, threshold: usize) -> Self {
        Cache {
            entries: Vec::new(),
            partitions,
            threshold,
        }
    }

    /// Number of ids held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no id is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inserts an id (a duplicate is ignored); true if new.
    pub fn insert(&mut self, e: Entry) -> bool {
        let i = self.entries.partition_point(|x| x.id < e.id);
        if self.entries.get(i).is_some_and(|x| x.id == e.id) {
            return false;
        }
        self.entries.insert(i, e);
        true
    }

    /// Drops every id older than `time` (`prune`); returns how many.
    pub fn prune(&mut self, time: u64) -> usize {
        let i = self.entries.partition_point(|x| x.id < SyncId::low(time));
        self.entries.drain(..i);
        i
    }

    /// `findIdxBounds`: `lowerBound(a) .. upperBound(b)` (inclusive
    /// upper); `None` when the range lies wholly before or after our ids
    /// (a range in a gap between them is an empty slice, not `None`).
    fn bounds(&self, lower: &SyncId, upper: &SyncId) -> Option<&[Entry]> {
        let lo = self.entries.partition_point(|x| x.id < *lower);
        let hi = self.entries.partition_point(|x| x.id <= *upper);
        (hi >= 1 && lo < self.entries.len()).then(|| &self.entries[lo..hi.max(lo)])
    }

    fn slice(&self, lower: &SyncId, upper: &SyncId) -> &[Entry] {
        self.bounds(lower, upper).unwrap_or(&[])
    }

    fn filtered<'a>(&'a self, r: &Range, topics: &'a [GroupId]) -> impl Iterator<Item = &'a Entry> {
        self.slice(&r.lower, &r.upper)
            .iter()
            .filter(move |e| topics.binary_search(&e.group).is_ok())
    }

    /// XOR of the hashes in `[lower, upper]` of `topics`.
    pub fn fingerprint(&self, lower: &SyncId, upper: &SyncId, topics: &[GroupId]) -> [u8; 32] {
        let r = Range {
            lower: *lower,
            upper: *upper,
            body: Body::Skip,
        };
        let mut f = [0u8; 32];
        for e in self.filtered(&r, topics) {
            for (a, b) in f.iter_mut().zip(&e.id.hash) {
                *a ^= b;
            }
        }
        f
    }

    /// The initiator's first payload: one fingerprint over `[from, to]`.
    pub fn initial(&self, from: u64, to: u64, topics: &[GroupId]) -> Vec<Range> {
        let (lower, upper) = (SyncId::low(from), SyncId::high(to));
        vec![Range {
            lower,
            upper,
            body: Body::Fingerprint(self.fingerprint(&lower, &upper, topics)),
        }]
    }

    /// Our answer to a range whose fingerprint differs: an item set when
    /// small, else 8 time partitions (`processFingerprintRange`).
    fn split(&self, r: &Range, topics: &[GroupId], out: &mut Vec<Range>) {
        match self.bounds(&r.lower, &r.upper) {
            None => return out.push(self.items_of(r, topics, true)),
            Some(s) if s.len() <= self.threshold => {
                return out.push(self.items_of(r, topics, false))
            }
            Some(_) => {}
        }
        for (lower, upper) in partition(r.lower.time, r.upper.time, self.partitions) {
            let part = Range {
                lower,
                upper,
                body: Body::Skip,
            };
            let n = self.bounds(&lower, &upper).map(<[Entry]>::len);
            if n.is_some_and(|n| n > self.threshold) {
                let f = self.fingerprint(&lower, &upper, topics);
                out.push(Range {
                    body: Body::Fingerprint(f),
                    ..part
                });
            } else {
                out.push(self.items_of(&part, topics, n.is_none()));
            }
        }
    }

    /// Range `r` as an item set of ours, marked reconciled when outside
    /// our ids.
    fn items_of(&self, r: &Range, topics: &[GroupId], outside: bool) -> Range {
        let items = self.filtered(r, topics).map(|e| e.id).collect();
        Range {
            body: Body::ItemSet(items, outside),
            ..r.clone()
        }
    }

    /// Compares their item set with ours (`processItemSetRange`).
    fn compare(
        &self,
        r: &Range,
        theirs: &[SyncId],
        rec: bool,
        topics: &[GroupId],
        o: &mut Outcome,
    ) {
        let ours: Vec<&Entry> = self.filtered(r, topics).collect();
        let (mut i, mut j) = (0, 0);
        while j < ours.len() {
            match theirs.get(i).map(|t| t.cmp(&ours[j].id)) {
                Some(std::cmp::Ordering::Less) => {
                    o.to_recv += 1;
                    i += 1;
                }
                Some(std::cmp::Ordering::Equal) => {
                    i += 1;
                    j += 1;
                }
                _ => {
                    o.to_send.push(ours[j].msg);
                    j += 1;
                }
            }
        }
        o.to_recv += theirs.len().saturating_sub(i);
        let body = if rec {
            Body::Skip
        } else {
            Body::ItemSet(ours.iter().map(|e| e.id).collect(), true)
        };
        o.reply.ranges.push(Range { body, ..r.clone() });
    }

    /// `processPayload`: our answer to `input` over `topics` (sorted).
    pub fn process(&self, input: &RangesData, topics: &[GroupId]) -> Outcome {
        let mut o = Outcome::default();
        for r in &input.ranges {
            match &r.body {
                Body::Skip => o.reply.ranges.push(r.clone()),
                Body::Fingerprint(f) => {
                    if self.fingerprint(&r.lower, &r.upper, topics) == *f {
                        o.reply.ranges.push(Range {
                            body: Body::Skip,
                            ..r.clone()
                        });
                    } else {
                        self.split(r, topics, &mut o.reply.ranges);
                    }
                }
                Body::ItemSet(items, rec) => self.compare(r, items, *rec, topics, &mut o),
            }
        }
        merge_skips(&mut o.reply.ranges);
        if o.reply.is_done() {
            o.reply.ranges.clear();
        }
        o
    }
}

/// Merges adjacent Skip ranges into one.
fn merge_skips(ranges: &mut Vec<Range>) {
    let mut out: Vec<Range> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match out.last_mut() {
            Some(prev) if prev.body == Body::Skip && r.body == Body::Skip => prev.upper = r.upper,
            _ => out.push(r),
        }
    }
    *ranges = out;
}

/// `equalPartitioning`: `count` equal time slices of `[a, b]`, the
/// remainder spread over the first ones; none when the span is shorter
/// than `count` ns.
pub fn partition(a: u64, b: u64, count: u64) -> Vec<(SyncId, SyncId)> {
    let total = b.saturating_sub(a);
    if total < count || count == 0 {
        return Vec::new();
    }
    let (parts, mut rem) = (total / count, total % count);
    let mut lb = a;
    (0..count)
        .map(|_| {
            let mut ub = lb + parts;
            if rem > 0 {
                ub += 1;
                rem -= 1;
            }
            let r = (SyncId::low(lb), SyncId::low(ub));
            lb = ub;
            r
        })
        .collect()
}

/// Figures of one whole session between two caches, run in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionRun {
    /// Payloads sent, both ways (the closing empty one included).
    pub payloads: usize,
    /// Their bytes with libp2p's length prefixes.
    pub bytes: usize,
    /// What the initiator pushes, and the responder.
    pub initiator_sends: std::collections::BTreeSet<MsgId>,
    /// What the responder pushes.
    pub responder_sends: std::collections::BTreeSet<MsgId>,
}

/// A session from `a` (initiator) to `b` over `[from, to]` and `topics`,
/// each payload encoded and decoded as on the wire (`processRequest`).
pub fn run_session(a: &Cache, b: &Cache, from: u64, to: u64, topics: &[GroupId]) -> SessionRun {
    use super::wire::{decode, encode, lp_len};
    let wrap = |ranges| RangesData {
        pubsub_topics: vec![super::message::PUBSUB_TOPIC.into()],
        content_topics: topics
            .iter()
            .map(|&g| super::message::content_topic(g))
            .collect(),
        ranges,
    };
    let mut s = SessionRun::default();
    let mut frame = encode(&wrap(a.initial(from, to, topics)));
    let mut b_turn = true;
    loop {
        s.payloads += 1;
        s.bytes += lp_len(frame.len());
        let input = decode(&frame).expect("own encoding decodes");
        if input.is_done() {
            return s;
        }
        let o = if b_turn { b } else { a }.process(&input, topics);
        let sends = if b_turn {
            &mut s.responder_sends
        } else {
            &mut s.initiator_sends
        };
        sends.extend(o.to_send);
        let done = o.reply.is_done();
        frame = encode(&wrap(o.reply.ranges));
        if done {
            s.payloads += 1;
            s.bytes += lp_len(frame.len());
            return s;
        }
        b_turn = !b_turn;
    }
}
