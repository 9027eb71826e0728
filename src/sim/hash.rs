//! The one hash meshsync uses for fingerprints and sub-stream labels:
//! 64-bit FNV-1a, a fixed, documented function (unlike `std`'s hasher, it
//! never changes between Rust versions, so trace hashes, world hashes and
//! random sub-streams stay the same across builds).

/// FNV-1a's offset basis: the hash of no bytes.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`, continuing from `h` ([`FNV_OFFSET`] to start).
#[inline]
pub fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a over the little-endian bytes of `words`, continuing from `h`.
pub fn fnv_words(h: u64, words: &[u64]) -> u64 {
    words.iter().fold(h, |h, w| fnv_bytes(h, &w.to_le_bytes()))
}

/// FNV-1a of a string, from the offset basis.
pub fn fnv_str(s: &str) -> u64 {
    fnv_bytes(FNV_OFFSET, s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_vectors() {
        // Test vectors of the FNV reference (draft-eastlake-fnv).
        assert_eq!(fnv_str(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv_str("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv_str("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn words_are_their_le_bytes() {
        let w = fnv_words(FNV_OFFSET, &[1, 2]);
        let mut b = 1u64.to_le_bytes().to_vec();
        b.extend(2u64.to_le_bytes());
        assert_eq!(w, fnv_bytes(FNV_OFFSET, &b));
    }
}
