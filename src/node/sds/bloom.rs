//! SDS's bloom filter, bit for bit as nim-sds and `@waku/sds` build it
//! (sources: `docs/sources/sds.md`, "Bloom filter").
//!
//! - Sizing (nim `sds/bloom.nim` `initializeBloomFilter`, js
//!   `packages/sds/src/bloom_filter/bloom.ts`, the same code):
//!   `bitsPerElem = ceil(-ln(error) / ln(2)^2)`, `k = round(ln 2 ·
//!   bitsPerElem)`, `mBits = capacity · bitsPerElem`, `1 + mBits div 64`
//!   words. 10,000 at 0.001: k = 10, 150,000 bits, 2,344 words.
//! - Indices: Kirsch–Mitzenmacher double hashing with Nim's
//!   `hash(string)` (MurmurHash3 x86 32-bit, seed 0, read as a signed
//!   32-bit integer): `a = |h(id)| mod m`, `b = |h(id ‖ " b")| mod m`,
//!   index `i` = `(a + i·b) mod m` (nim `hashN`; js runs the same Nim code
//!   compiled to JavaScript, `nim_hashn.mjs`).
//! - Bit `h` is bit `h mod 64` of word `h div 64`.
//! - Serialised: js writes the words big-endian with nothing around them;
//!   nim writes a protobuf (`sds/protobuf.nim` `serializeBloomFilter`):
//!   `1` the words little-endian, `2` capacity, `3` error · 10^6, `4` k,
//!   `5` mBits.
//! - Rolling (nim `sds/rolling_bloom_filter.nim`): above `1.2 · capacity`
//!   ids the filter is rebuilt **with capacity `1.2 · capacity`** from the
//!   newest `0.8 · capacity` ids; js never rolls.
//!
//! Plain data; imports `sim/` and the node layer only.

use super::wire::Dialect;
use prost::encoding::{encoded_len_varint, key_len};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// MurmurHash3 x86 32-bit with seed 0 (Nim's `hashes.murmurHash`).
pub fn murmur3_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |mut k: u32| {
        k = k.wrapping_mul(C1);
        k = k.rotate_left(15);
        k.wrapping_mul(C2)
    };
    let mut h: u32 = 0;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        h ^= mix(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let k = tail
        .iter()
        .rev()
        .fold(0u32, |k, &b| (k << 8) | u32::from(b));
    h ^= mix(k);
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Nim's `hash(string)` as nim-sds sees it: the MurmurHash3 value read as
/// a signed 32-bit integer (`BigInt.asIntN(32, h1)` in the compiled
/// `nim_hashn.mjs`; nim's own test vectors agree).
pub fn nim_hash(data: &[u8]) -> i64 {
    i64::from(murmur3_32(data) as i32)
}

/// The two hashes an item's indices derive from (before `mod m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BloomKey {
    a: u64,
    b: u64,
}

impl BloomKey {
    /// The key of item `id` (a message id string's bytes).
    pub fn of(id: &[u8]) -> BloomKey {
        let mut with_b = Vec::with_capacity(id.len() + 2);
        with_b.extend_from_slice(id);
        with_b.extend_from_slice(b" b");
        BloomKey {
            a: nim_hash(id).unsigned_abs(),
            b: nim_hash(&with_b).unsigned_abs(),
        }
    }

    /// nim's `hashN(item, i, m)` for `i` in `0..k`.
    pub fn indices(self, k: u32, m: u64) -> impl Iterator<Item = u64> {
        let (a, b) = (self.a % m, self.b % m);
        (0..u64::from(k)).map(move |i| (a + i * b) % m)
    }
}

/// The most bits a filter may have (its bit indices fit in a `u32`).
pub const MAX_BITS: u64 = 1 << 32;

/// A filter's dimensions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BloomParams {
    /// Ids it is sized for.
    pub capacity: u64,
    /// Target false-positive rate.
    pub error_rate: f64,
    /// Hash functions.
    pub k: u32,
    /// Bits addressed.
    pub m_bits: u64,
    /// 64-bit words stored (`1 + m_bits div 64`).
    pub words: usize,
}

impl BloomParams {
    /// nim's `initializeBloomFilter(capacity, errorRate)` with `k = 0`.
    pub fn new(capacity: u64, error_rate: f64) -> Result<BloomParams, String> {
        if capacity == 0 {
            return Err("capacity must be at least 1".into());
        }
        if !(error_rate > 0.0 && error_rate < 1.0) {
            return Err(format!("error rate must be in (0, 1), got {error_rate}"));
        }
        let ln2 = std::f64::consts::LN_2;
        let bits_per_elem = (-(error_rate.ln()) / (ln2 * ln2)).ceil();
        let k = (ln2 * bits_per_elem).round() as u32;
        let m_bits = capacity
            .checked_mul(bits_per_elem as u64)
            .filter(|m| *m <= MAX_BITS)
            .ok_or_else(|| {
                format!("{capacity} ids at {error_rate} need more than 2^32 bits (512 MiB in every message)")
            })?;
        Ok(BloomParams {
            capacity,
            error_rate,
            k: k.max(1),
            m_bits,
            words: 1 + (m_bits / 64) as usize,
        })
    }

    /// Bytes of the serialised filter in `dialect`.
    pub fn serialized_len(&self, dialect: Dialect) -> usize {
        let raw = self.words * 8;
        match dialect {
            Dialect::Spec => raw,
            Dialect::Nim => {
                let u = |tag: u32, v: u64| key_len(tag) + encoded_len_varint(v);
                key_len(1)
                    + encoded_len_varint(raw as u64)
                    + raw
                    + u(2, self.capacity)
                    + u(3, self.error_micros())
                    + u(4, u64::from(self.k))
                    + u(5, self.m_bits)
            }
        }
    }

    /// nim's field 3: `uint64(errorRate * 1_000_000)` (truncated).
    pub fn error_micros(&self) -> u64 {
        (self.error_rate * 1_000_000.0) as u64
    }
}

/// A filter as its owner grows it, and what every snapshot of it needs to
/// answer look-ups as of its own moment: for each bit set, how many keys
/// had been inserted before the insertion that set it. Bits are only ever
/// set (a nim roll starts a new `Filter`), so the filter after `n`
/// insertions is exactly the bits whose first insertion came before `n`.
///
/// Why not copy the words into each message: a content message's filter
/// stays referenced for the whole run (the local log of every receiver
/// keeps the message for SDS-R answers, the sender's outgoing buffer for
/// resends), and a copy is 18,752 bytes at the default dimensions; on
/// scale-1k that was 2.6 GB and a third of the run time in page faults.
#[derive(Debug)]
struct Filter {
    params: BloomParams,
    words: Vec<u64>,
    /// Bit → insertions before the one that set it first.
    first: FxHashMap<u32, u32>,
    /// Insertions so far (repeated keys count).
    inserted: u32,
}

impl Filter {
    fn new(params: BloomParams) -> Filter {
        Filter {
            params,
            words: vec![0; params.words],
            first: FxHashMap::default(),
            inserted: 0,
        }
    }

    fn bit(&self, h: u64) -> bool {
        self.words[(h / 64) as usize] & (1u64 << (h % 64)) != 0
    }

    fn insert(&mut self, key: BloomKey) {
        let n = self.inserted;
        for h in key.indices(self.params.k, self.params.m_bits) {
            let w = &mut self.words[(h / 64) as usize];
            let b = 1u64 << (h % 64);
            if *w & b == 0 {
                *w |= b;
                self.first.insert(h as u32, n);
            }
        }
        self.inserted = n.saturating_add(1);
    }

    /// True when every bit of `key` was set by the first `n` insertions.
    fn lookup_at(&self, key: BloomKey, n: u32) -> bool {
        let (k, m) = (self.params.k, self.params.m_bits);
        if !key.indices(k, m).all(|h| self.bit(h)) {
            return false;
        }
        n >= self.inserted || key.indices(k, m).all(|h| self.first[&(h as u32)] < n)
    }

    /// The words after the first `n` insertions.
    fn words_at(&self, n: u32) -> Vec<u64> {
        let mut words = self.words.clone();
        if n < self.inserted {
            for (&h, _) in self.first.iter().filter(|&(_, &i)| i >= n) {
                let h = u64::from(h);
                words[(h / 64) as usize] &= !(1u64 << (h % 64));
            }
        }
        words
    }
}

/// A filter's state at one moment: what a message carries. A handle on
/// its owner's filter and the number of insertions it had then: cloning
/// is cheap and taking one copies nothing.
#[derive(Clone, Debug)]
pub struct BloomSnapshot {
    /// Its dimensions.
    pub params: BloomParams,
    filter: Rc<RefCell<Filter>>,
    n: u32,
}

impl PartialEq for BloomSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params && self.words() == other.words()
    }
}

impl BloomSnapshot {
    /// True when every bit of `key` is set (maybe a false positive).
    pub fn lookup(&self, key: BloomKey) -> bool {
        self.filter.borrow().lookup_at(key, self.n)
    }

    /// Its words.
    pub fn words(&self) -> Vec<u64> {
        self.filter.borrow().words_at(self.n)
    }

    /// The bytes on the wire in `dialect`.
    pub fn to_bytes(&self, dialect: Dialect) -> Vec<u8> {
        let words = self.words();
        match dialect {
            Dialect::Spec => words.iter().flat_map(|w| w.to_be_bytes()).collect(),
            Dialect::Nim => {
                let nim = super::wire::proto::NimBloom {
                    words: words.iter().flat_map(|w| w.to_le_bytes()).collect(),
                    capacity: self.params.capacity,
                    error_rate: self.params.error_micros(),
                    k_hashes: u64::from(self.params.k),
                    m_bits: self.params.m_bits,
                };
                prost::Message::encode_to_vec(&nim)
            }
        }
    }

    /// Number of bits set.
    pub fn ones(&self) -> u32 {
        self.words().iter().map(|w| w.count_ones()).sum()
    }
}

/// A node's filter of the ids it has seen in one channel, rolling as nim's
/// or growing as js's. Not `Clone`: snapshots share its filter, and a
/// clone would grow the same one.
#[derive(Debug)]
pub struct Bloom {
    base: BloomParams,
    now: Rc<RefCell<Filter>>,
    /// Keys inserted, oldest first (kept only when rolling).
    keys: VecDeque<BloomKey>,
    rolling: bool,
}

impl Bloom {
    /// An empty filter of `params`; `rolling` as nim-sds.
    pub fn new(params: BloomParams, rolling: bool) -> Bloom {
        Bloom {
            base: params,
            now: Rc::new(RefCell::new(Filter::new(params))),
            keys: VecDeque::new(),
            rolling,
        }
    }

    /// Inserts `key`.
    pub fn insert(&mut self, key: BloomKey) {
        self.now.borrow_mut().insert(key);
        if !self.rolling {
            return;
        }
        self.keys.push_back(key);
        let max = scaled(self.base.capacity, 120);
        if self.keys.len() as u64 > max {
            self.roll(max);
        }
    }

    /// nim's `clean`: a filter of capacity `max` from the newest
    /// `0.8 · capacity` keys (a new filter: snapshots of the old one keep
    /// it).
    fn roll(&mut self, max: u64) {
        let keep = scaled(self.base.capacity, 80) as usize;
        let params = BloomParams::new(max, self.base.error_rate).expect("valid base params");
        while self.keys.len() > keep {
            self.keys.pop_front();
        }
        let mut f = Filter::new(params);
        for &k in &self.keys {
            f.insert(k);
        }
        self.now = Rc::new(RefCell::new(f));
    }

    /// True when `key` may have been inserted.
    pub fn lookup(&self, key: BloomKey) -> bool {
        let f = self.now.borrow();
        key.indices(f.params.k, f.params.m_bits).all(|h| f.bit(h))
    }

    /// The filter as it is now, to put in a message.
    pub fn snapshot(&self) -> BloomSnapshot {
        let f = self.now.borrow();
        BloomSnapshot {
            params: f.params,
            filter: self.now.clone(),
            n: f.inserted,
        }
    }
}

/// `(capacity · pct / 100) as int`, as nim computes its bounds.
fn scaled(capacity: u64, pct: u64) -> u64 {
    (capacity as f64 * pct as f64 / 100.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hashN(item, n, max)` as nim writes it.
    fn hash_n(item: &str, n: u64, max: u64) -> u64 {
        BloomKey::of(item.as_bytes())
            .indices(n as u32 + 1, max)
            .last()
            .unwrap()
    }

    /// MurmurHash3 x86_32 reference values (seed 0), from the algorithm's
    /// published test suite (SMHasher): "" → 0, "hello" → 0x248bfa47.
    #[test]
    fn murmur_reference_values() {
        assert_eq!(murmur3_32(b""), 0);
        assert_eq!(murmur3_32(b"hello"), 0x248b_fa47);
        assert_eq!(murmur3_32(b"test123"), 0xb1cd_e64d);
    }

    /// Vectors from js `packages/sds/src/nim_hashn/nim_hash_test_vectors.json`
    /// (generated with nim): `hashA`, `hashB`, `hashC` = hashN.
    #[test]
    fn nim_hash_n_vectors() {
        // (input, n, maxValue, hashA, hashB, hashC)
        let v: &[(&str, u64, u64, u64, u64, u64)] = &[
            ("hello", 0, 100, 51, 74, 51),
            ("hello", 1, 100, 51, 74, 25),
            ("hello", 2, 100, 51, 74, 99),
            ("hello", 5, 100, 51, 74, 21),
            ("hello", 1, 1000, 351, 874, 225),
            ("hello", 5, 1000, 351, 874, 721),
            ("hello", 1, 10000, 3351, 874, 4225),
        ];
        for &(s, n, m, a, b, c) in v {
            assert_eq!(hash_n(s, 0, m), a, "{s} {m}");
            let key = BloomKey::of(s.as_bytes());
            assert_eq!(key.b % m, b, "{s} {m}");
            assert_eq!(hash_n(s, n, m), c, "{s} {n} {m}");
        }
    }

    /// "test123" hashes to 0xb1cde64d: negative as a signed 32-bit value,
    /// so `abs` differs from the unsigned reading. The json's vector
    /// ("test123", 0, 100) has hashA 27 = 1,311,906,227 mod 100 (unsigned,
    /// 2,983,061,069 mod 100 = 69); by hand, mod 10,000 it is 6,227.
    #[test]
    fn negative_hash_uses_abs_of_signed_value() {
        assert_eq!(nim_hash(b"test123"), -1_311_906_227);
        assert_eq!(hash_n("test123", 0, 100), 27);
        assert_eq!(hash_n("test123", 0, 10_000), 6_227);
    }

    #[test]
    fn default_dimensions() {
        let p = BloomParams::new(10_000, 0.001).unwrap();
        assert_eq!((p.k, p.m_bits, p.words), (10, 150_000, 2_344));
        assert_eq!(p.serialized_len(Dialect::Spec), 18_752);
        // 1 + 3 + 18,752 + (1+2) + (1+2) + (1+1) + (1+3)
        assert_eq!(p.serialized_len(Dialect::Nim), 18_768);
        let rolled = BloomParams::new(12_000, 0.001).unwrap();
        assert_eq!((rolled.m_bits, rolled.words), (180_000, 2_813));
        let small = BloomParams::new(100, 0.01).unwrap();
        // ceil(4.605/0.4805) = 10 bits, k = round(6.93) = 7
        assert_eq!((small.k, small.m_bits, small.words), (7, 1_000, 16));
    }

    #[test]
    fn serialised_lengths_match_the_bytes() {
        let p = BloomParams::new(1_000, 0.001).unwrap();
        let mut b = Bloom::new(p, false);
        b.insert(BloomKey::of(b"x"));
        for d in [Dialect::Spec, Dialect::Nim] {
            assert_eq!(b.snapshot().to_bytes(d).len(), p.serialized_len(d));
        }
    }

    /// The indices of "hello" in the default filter, by hand from nim's
    /// `hashN`: a = 613,153,351 mod 150,000 = 103,351; b = |h("hello b")| =
    /// 0x38a003fa = 950,010,874, mod 150,000 = 60,874; index i = (103,351 +
    /// 60,874·i) mod 150,000. Index 14,225 = 64·222 + 17: word 222, bit 17,
    /// which js writes big-endian as byte 5 of the word, value 0x02.
    #[test]
    fn indices_and_bit_layout_for_hello() {
        let p = BloomParams::new(10_000, 0.001).unwrap();
        let key = BloomKey::of(b"hello");
        let idx: Vec<u64> = key.indices(p.k, p.m_bits).collect();
        assert_eq!(
            idx,
            vec![
                103_351, 14_225, 75_099, 135_973, 46_847, 107_721, 18_595, 79_469, 140_343, 51_217
            ]
        );
        let mut b = Bloom::new(p, false);
        b.insert(key);
        let s = b.snapshot();
        assert_eq!(s.ones(), 10);
        assert_eq!(s.words()[222], 1u64 << 17);
        let js = s.to_bytes(Dialect::Spec);
        assert_eq!(&js[222 * 8..223 * 8], &[0, 0, 0, 0, 0, 0x02, 0, 0]);
        let nim = s.to_bytes(Dialect::Nim);
        // nim: key 0x0a, length 18,752 as a 3-byte varint, then the words
        // little-endian: bit 17 is byte 2 of the word.
        assert_eq!(&nim[..4], &[0x0a, 0xc0, 0x92, 0x01]);
        assert_eq!(&nim[4 + 222 * 8..4 + 223 * 8], &[0, 0, 0x02, 0, 0, 0, 0, 0]);
        assert!(b.lookup(key));
        assert!(!b.lookup(BloomKey::of(b"hellp")));
    }

    #[test]
    fn rolls_like_nim_above_one_point_two_capacity() {
        let p = BloomParams::new(10, 0.01).unwrap();
        let mut b = Bloom::new(p, true);
        let keys: Vec<BloomKey> = (0..13)
            .map(|i| BloomKey::of(format!("m{i}").as_bytes()))
            .collect();
        for k in &keys[..12] {
            b.insert(*k);
        }
        assert_eq!(b.snapshot().params.capacity, 10);
        b.insert(keys[12]); // 13 > 12: roll to capacity 12, keep the newest 8
        let s = b.snapshot();
        assert_eq!(s.params.capacity, 12);
        assert_eq!(b.keys.len(), 8);
        for k in &keys[5..] {
            assert!(b.lookup(*k));
        }
        let mut fresh = Bloom::new(BloomParams::new(12, 0.01).unwrap(), false);
        keys[5..].iter().for_each(|k| fresh.insert(*k));
        assert_eq!(fresh.snapshot().words(), s.words());
    }

    #[test]
    fn snapshots_do_not_change_when_the_filter_does() {
        let mut b = Bloom::new(BloomParams::new(100, 0.01).unwrap(), false);
        let k1 = BloomKey::of(b"one");
        b.insert(k1);
        let snap = b.snapshot();
        let k2 = BloomKey::of(b"two");
        b.insert(k2);
        assert!(snap.lookup(k1));
        // k = 7 bits each; the two keys share none.
        assert_eq!(snap.ones(), 7);
        assert_eq!(b.snapshot().ones(), 14);
        assert!(b.lookup(k2));
        assert!(!snap.lookup(k2));
    }

    proptest::proptest! {
        /// A snapshot answers as a filter built from the keys inserted
        /// before it, whatever was inserted after (a small filter, so
        /// later keys often set bits an earlier key's look-up reads, and
        /// rolling on or off).
        #[test]
        fn snapshots_answer_as_of_their_moment(
            keys in proptest::collection::vec(0u32..60, 1..40),
            at in proptest::collection::vec(0usize..40, 1..5),
            rolling in proptest::bool::ANY,
        ) {
            let p = BloomParams::new(8, 0.1).unwrap();
            let key = |i: u32| BloomKey::of(format!("k{i}").as_bytes());
            let mut b = Bloom::new(p, rolling);
            let mut snaps = Vec::new();
            for (n, &i) in keys.iter().enumerate() {
                if at.contains(&n) {
                    snaps.push((b.snapshot(), b.clone_fresh()));
                }
                b.insert(key(i));
            }
            for (snap, fresh) in snaps {
                proptest::prop_assert_eq!(snap.words(), fresh.snapshot().words());
                for i in 0..60 {
                    proptest::prop_assert_eq!(snap.lookup(key(i)), fresh.lookup(key(i)));
                }
            }
        }
    }

    impl Bloom {
        /// An independent copy of the filter as it is now (its own words).
        fn clone_fresh(&self) -> Bloom {
            let f = self.now.borrow();
            let mut copy = Filter::new(f.params);
            copy.words = f.words.clone();
            Bloom {
                base: self.base,
                now: Rc::new(RefCell::new(copy)),
                keys: self.keys.clone(),
                rolling: self.rolling,
            }
        }
    }

    #[test]
    fn bad_params_are_rejected() {
        assert!(BloomParams::new(0, 0.01).is_err());
        assert!(BloomParams::new(10, 0.0).is_err());
        assert!(BloomParams::new(10, 1.0).is_err());
        assert!(BloomParams::new(u64::MAX, 0.001).is_err());
    }
}
