//! The hasher of the core's hash maps: one-shot XXH3 per key.
//!
//! xxhash-rust's `Xxh3Builder` runs the streaming XXH3 state machine (a large state, copied
//! and finalised per lookup), which was a quarter of a static flag's evaluation time. Keys here
//! are short strings or already-uniform 64-bit hashes, so one call of the one-shot function per
//! `write` is enough, and much cheaper. Keys come from configs, not from attackers choosing
//! collisions at run time, so no random seed is needed (the core draws no randomness).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A [`Hasher`] that hashes each `write` with one-shot XXH3, chained through the seed.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

/// Odd 64-bit constant (2^64 / golden ratio) for mixing integers into the state.
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    fn write_u8(&mut self, byte: u8) {
        // `str` hashing ends with a 0xff terminator byte; fold it in cheaply.
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(MIX);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(MIX).rotate_left(29);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` using [`KeyHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// An empty [`FastMap`] with room for `capacity` entries.
pub(crate) fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// Multiplicative hash of a short key (the FxHash step over 8-byte words), for the names of
/// context attributes, which the core compares often: they are a few bytes, where a
/// general-purpose hash costs more than the key. For keys of at most 8 bytes the
/// hash is injective (one multiply by an odd constant of the length-tagged, zero-padded word),
/// so equal hashes and lengths mean equal keys and no byte comparison is needed. A key a hostile
/// context chooses can only land in a probe run of the bundle's own keys (the table is at most a
/// quarter full), so it cannot make a lookup slower than the bundle itself makes it.
#[inline]
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut h = key.len() as u64;
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        h = key_hash_step(h, u64::from_le_bytes(bytes));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        h = key_hash_step(h, tail_word(tail));
    }
    h
}

/// The zero-padded little-endian word of 1 to 7 bytes, from fixed-size reads: copying a
/// slice of variable length calls `memcpy`, which cost more than the rest of the hash. Two
/// overlapping reads cover 4 to 7 bytes (the bytes they share are the same, so OR keeps
/// them); three single bytes cover 1 to 3.
#[inline]
fn tail_word(tail: &[u8]) -> u64 {
    let n = tail.len();
    let at = |i: usize| u64::from(tail.get(i).copied().unwrap_or(0));
    let u32_at = |i: usize| {
        tail.get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    if n >= 4 {
        u32_at(0) | (u32_at(n - 4) << (8 * (n - 4)))
    } else if n > 0 {
        at(0) | (at(n / 2) << (8 * (n / 2))) | (at(n - 1) << (8 * (n - 1)))
    } else {
        0
    }
}

const KEY_HASH_K: u64 = 0x517c_c1b7_2722_0a95;

#[inline]
const fn key_hash_step(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(KEY_HASH_K)
}

/// [`key_hash`] for names known in advance (`targetingKey`), hashed at compile time: the same
/// little-endian, zero-padded words, read a byte at a time as `const` requires.
pub(crate) const fn key_hash_const(key: &[u8]) -> u64 {
    let mut h = key.len() as u64;
    let mut at = 0;
    while at < key.len() {
        let mut word = 0u64;
        let mut j = 0;
        while j < 8 && at + j < key.len() {
            // In bounds: `at + j < key.len()` was just checked.
            #[allow(clippy::indexing_slicing)]
            let byte = key[at + j];
            word |= (byte as u64) << (8 * j);
            j += 1;
        }
        h = key_hash_step(h, word);
        at += 8;
    }
    h
}

/// Byte equality without a `memcmp` call: the names compared are a few bytes, where the call
/// costs more than the comparison (a profile showed it at an eighth of a policy decision).
/// Compares 8-byte words, then the tail.
// Always inlined in the wasm build: see `context::entries`.
#[cfg_attr(target_arch = "wasm32", inline(always))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Indexed loops rather than iterator adapters (`zip`, `all`), which the size-tuned wasm
    // build keeps as calls.
    let ((words_a, tail_a), (words_b, tail_b)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let mut i = 0;
    while let (Some(x), Some(y)) = (words_a.get(i), words_b.get(i)) {
        if u64::from_ne_bytes(*x) != u64::from_ne_bytes(*y) {
            return false;
        }
        i += 1;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (tail_a.get(i), tail_b.get(i)) {
        if x != y {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut map: FastMap<Box<str>, usize> = fast_map(4);
        for (i, key) in ["a", "ab", "", "checkout-button"].into_iter().enumerate() {
            map.insert(key.into(), i);
        }
        assert_eq!(map.get("ab"), Some(&1));
        assert_eq!(map.get(""), Some(&2));
        assert_eq!(map.get("b"), None);
        let mut ints: FastMap<u64, u8> = fast_map(0);
        ints.insert(u64::MAX, 1);
        assert_eq!(ints.get(&u64::MAX), Some(&1));
        assert_eq!(ints.get(&0), None);
    }

    #[test]
    fn key_hash_agrees_with_its_const_form() {
        let text = "targetingKey.über-straße ✓ 0123456789abcdef";
        for end in 0..=text.len() {
            let key = &text.as_bytes()[..end];
            assert_eq!(key_hash(key), key_hash_const(key), "{end} bytes");
        }
    }

    #[test]
    fn short_keys_hash_apart() {
        // Injective up to 8 bytes: distinct short keys, including ones differing only by
        // trailing zero bytes, never collide.
        let keys: [&[u8]; 6] = [b"", b"\0", b"a", b"a\0", b"ab", b"abcdefgh"];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(key_hash(a), key_hash(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn same_bytes_is_byte_equality() {
        let text = b"targetingKey.0123456789abcdef";
        for end in 0..=text.len() {
            let a = &text[..end];
            let mut b = a.to_vec();
            assert!(same_bytes(a, &b), "{end} bytes");
            for flip in 0..end {
                b[flip] ^= 1;
                assert!(!same_bytes(a, &b), "{end} bytes, byte {flip} differs");
                b[flip] ^= 1;
            }
            if let Some(longer) = text.get(..=end) {
                assert!(!same_bytes(a, longer), "{end} bytes against one more");
            }
        }
    }
}
