//! What history looks like: the shape of each group's DAG as it grows
//! (parents per message, heads over time, depth), and the order each
//! member shows its messages in ([`History`]). Fed by the recorder with
//! messages written and deliveries accepted by the checker.
//!
//! **Canonical order.** A member shows the messages it holds (written or
//! delivered) in a topological order with a deterministic tie-break: of
//! the messages whose parents it shows are all placed, the least by
//! (wire timestamp in seconds, id) comes next (Kahn's algorithm). The id
//! is a 64-bit hash of the message standing for its 32-byte wire id (a
//! hash too), so messages of the same second fall in no causal order and
//! only the parents keep a reply after its question. A delivery is a
//! *reorder* when the message goes anywhere but last: the user sees
//! history change above what was already shown. The order is kept
//! incrementally: a new message goes at the first place after its last
//! shown parent where the message there sorts after it, which is where
//! Kahn's algorithm puts it (a message shown before one of its parents
//! goes before its shown children too).
//!
//! Imports: `sim/` only.

use crate::sim::hash::{fnv_words, FNV_OFFSET};
use crate::sim::message::{MessageRef, MsgId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;

/// Sort key of a message: wire timestamp (s), id hash.
type Key = (i64, u64);

/// One member's shown order of one group.
#[derive(Debug, Default)]
struct View {
    order: Vec<MsgId>,
    max_key: Option<Key>,
    /// A message was shown before one of its parents.
    orphans: bool,
}

/// Members compared with each other for `order_agreement`: every pair up
/// to this many members, else each with the next [`PARTNERS`].
const ALL_PAIRS_UP_TO: usize = 64;
const PARTNERS: usize = 8;

/// DAG shape and shown orders.
#[derive(Debug)]
pub(super) struct History {
    keys: Vec<Key>,
    depth: Vec<u32>,
    is_head: FixedBitSet,
    heads: Vec<u64>,
    heads_max: Vec<u64>,
    heads_area: Vec<u128>,
    heads_since: Vec<SimTime>,
    first: Vec<SimTime>,
    parents_total: u64,
    parents_max: u64,
    /// Per group: index of its first member's view.
    view_base: Vec<usize>,
    group_size: Vec<usize>,
    views: Vec<View>,
    /// Deliveries that went anywhere but last.
    pub(super) reorders: u64,
}

/// DAG and order figures at the end of a run.
#[derive(Debug, Default)]
pub(super) struct HistoryFigures {
    pub parents_mean: Option<f64>,
    pub parents_max: u64,
    pub heads_max: u64,
    pub heads_mean: Option<f64>,
    pub depth_max: u64,
    pub agreement: Option<f64>,
}

impl History {
    /// History of groups with these member counts.
    pub(super) fn new(group_sizes: &[usize]) -> Self {
        let g = group_sizes.len();
        let mut view_base = Vec::with_capacity(g);
        let mut total = 0;
        for &n in group_sizes {
            view_base.push(total);
            total += n;
        }
        History {
            keys: Vec::new(),
            depth: Vec::new(),
            is_head: FixedBitSet::new(),
            heads: vec![0; g],
            heads_max: vec![0; g],
            heads_area: vec![0; g],
            heads_since: vec![SimTime::NEVER; g],
            first: vec![SimTime::NEVER; g],
            parents_total: 0,
            parents_max: 0,
            view_base,
            group_size: group_sizes.to_vec(),
            views: (0..total).map(|_| View::default()).collect(),
            reorders: 0,
        }
    }

    /// A message was written (ids dense, in creation order).
    pub(super) fn on_create(&mut self, m: &MessageRef) {
        let key = (
            m.wire_timestamp(),
            fnv_words(FNV_OFFSET, &[u64::from(m.id)]),
        );
        self.keys.push(key);
        let n = m.parents.len() as u64;
        self.parents_total += n;
        self.parents_max = self.parents_max.max(n);
        let known = |p: &MsgId| (*p as usize) < self.depth.len();
        let d = m.parents.iter().filter(|p| known(p));
        let d = 1 + d.map(|&p| self.depth[p as usize]).max().unwrap_or(0);
        self.depth.push(d);
        self.grow_heads(m);
    }

    /// The group's heads after `m`: its known parents stop being heads.
    fn grow_heads(&mut self, m: &MessageRef) {
        let g = m.group as usize;
        let now = m.created;
        if self.first[g] == SimTime::NEVER {
            self.first[g] = now;
            self.heads_since[g] = now;
        }
        let span = (now - self.heads_since[g]).as_micros();
        self.heads_area[g] += u128::from(self.heads[g]) * u128::from(span);
        self.heads_since[g] = now;
        self.is_head.grow(m.id as usize + 1);
        for &p in &m.parents {
            if (p as usize) < self.keys.len() && self.is_head.contains(p as usize) {
                self.is_head.set(p as usize, false);
                self.heads[g] -= 1;
            }
        }
        self.is_head.insert(m.id as usize);
        self.heads[g] += 1;
        self.heads_max[g] = self.heads_max[g].max(self.heads[g]);
    }

    /// Member `rank` of `m`'s group shows `m` (`messages`: every message
    /// so far); `orphan`: some parent of `m` is not shown.
    pub(super) fn on_show(
        &mut self,
        rank: usize,
        m: &MessageRef,
        messages: &[MessageRef],
        orphan: bool,
    ) {
        let key = self.keys[m.id as usize];
        let v = &mut self.views[self.view_base[m.group as usize] + rank];
        v.orphans |= orphan;
        if !v.orphans && v.max_key.is_none_or(|k| key > k) {
            v.order.push(m.id);
            v.max_key = Some(key);
            return;
        }
        v.max_key = v.max_key.max(Some(key));
        let (mut j, mut at) = (v.order.len(), v.order.len());
        while j > 0 {
            let x = v.order[j - 1];
            if m.parents.contains(&x) {
                break;
            }
            let child = v.orphans && messages[x as usize].parents.contains(&m.id);
            if self.keys[x as usize] > key || child {
                at = j - 1;
            }
            j -= 1;
        }
        if at < v.order.len() {
            self.reorders += 1;
        }
        v.order.insert(at, m.id);
    }

    /// The figures at `end`: DAG shape, and the fraction of member pairs
    /// whose orders of their common messages agree.
    pub(super) fn finish(&self, end: SimTime) -> HistoryFigures {
        let n = self.keys.len();
        let mut means = Vec::new();
        for g in 0..self.heads.len() {
            if self.first[g] == SimTime::NEVER || end <= self.first[g] {
                continue;
            }
            let tail = end.max(self.heads_since[g]) - self.heads_since[g];
            let area =
                self.heads_area[g] + u128::from(self.heads[g]) * u128::from(tail.as_micros());
            means.push(area as f64 / (end - self.first[g]).as_micros() as f64);
        }
        HistoryFigures {
            parents_mean: (n > 0).then(|| self.parents_total as f64 / n as f64),
            parents_max: self.parents_max,
            heads_max: self.heads_max.iter().copied().max().unwrap_or(0),
            heads_mean: (!means.is_empty()).then(|| means.iter().sum::<f64>() / means.len() as f64),
            depth_max: self.depth.iter().copied().max().unwrap_or(0).into(),
            agreement: self.agreement(),
        }
    }

    /// Fraction of compared member pairs (see [`ALL_PAIRS_UP_TO`]) whose
    /// orders agree on their common messages (`None`: no pair).
    fn agreement(&self) -> Option<f64> {
        let mut pos = vec![0u32; self.keys.len()];
        let (mut pairs, mut agree) = (0u64, 0u64);
        for (g, &k) in self.group_size.iter().enumerate() {
            let views = &self.views[self.view_base[g]..self.view_base[g] + k];
            for a in 0..k {
                for b in partners(a, k) {
                    pairs += 1;
                    agree += u64::from(agrees(&views[a].order, &views[b].order, &mut pos));
                }
            }
        }
        (pairs > 0).then(|| agree as f64 / pairs as f64)
    }
}

/// The members member `a` of `k` is compared with (each pair once).
fn partners(a: usize, k: usize) -> impl Iterator<Item = usize> {
    let all = k <= ALL_PAIRS_UP_TO;
    let range = if all { a + 1..k } else { 1..PARTNERS + 1 };
    range.map(move |b| if all { b } else { (a + b) % k })
}

/// True when `a` and `b` put their common messages in the same order;
/// `pos` is all zero before and after.
fn agrees(a: &[MsgId], b: &[MsgId], pos: &mut [u32]) -> bool {
    for (i, &m) in b.iter().enumerate() {
        pos[m as usize] = i as u32 + 1;
    }
    let mut last = 0;
    let mut ok = true;
    for &m in a {
        let p = pos[m as usize];
        if p != 0 {
            ok &= p > last;
            last = p;
        }
    }
    for &m in b {
        pos[m as usize] = 0;
    }
    ok
}
