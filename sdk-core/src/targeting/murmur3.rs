//! MurmurHash3 x86_32, the hash flagd's `fractional` uses (seed 0).
//!
//! The input may come in several parts hashed as if concatenated, so `fractional` can hash
//! `flagKey ‖ targetingKey` without building the string.

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

#[inline]
fn mix_k(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

#[inline]
fn mix_h(h: u32, k: u32) -> u32 {
    (h ^ mix_k(k))
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

#[inline]
fn finish(mut h: u32, tail: u32, tail_len: u32, total_len: usize) -> u32 {
    if tail_len > 0 {
        h ^= mix_k(tail);
    }
    // The reference folds the length in as a 32-bit value.
    #[allow(clippy::cast_possible_truncation)]
    let len = total_len as u32;
    h ^= len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Mixes the whole 4-byte blocks of `bytes` into `h`; returns the new state and the 0-3 bytes
/// left over.
fn blocks(mut h: u32, bytes: &[u8]) -> (u32, &[u8]) {
    // A loop over a slice of blocks rather than `chunks_exact`, whose iterator the size-tuned
    // wasm build keeps as calls.
    let (blocks, rest) = bytes.as_chunks::<4>();
    for block in blocks {
        h = mix_h(h, u32::from_le_bytes(*block));
    }
    (h, rest)
}

/// Up to 4 bytes as a little-endian word.
fn le_word<'a>(bytes: impl DoubleEndedIterator<Item = &'a u8>) -> u32 {
    bytes.rev().fold(0, |k, &byte| (k << 8) | u32::from(byte))
}

/// The length of a 0-3 byte tail, as `finish` takes it.
fn tail_len(len: usize) -> u32 {
    #[allow(clippy::cast_possible_truncation, reason = "at most 3")]
    let len = len as u32;
    len
}

/// MurmurHash3 x86_32 of `bytes`.
pub(crate) fn hash32(bytes: &[u8], seed: u32) -> u32 {
    let (h, tail) = blocks(seed, bytes);
    finish(h, le_word(tail.iter()), tail_len(tail.len()), bytes.len())
}

/// MurmurHash3 x86_32 of `a ‖ b` (`fractional`'s `flagKey ‖ targetingKey`), a word at a time:
/// the one block that straddles the two parts is assembled from both.
pub(crate) fn hash32_concat(a: &[u8], b: &[u8], seed: u32) -> u32 {
    let total = a.len() + b.len();
    let (h, a_tail) = blocks(seed, a);
    let (h, tail) = if a_tail.is_empty() {
        blocks(h, b)
    } else {
        let Some((b_head, b_rest)) = b.split_at_checked(4 - a_tail.len()) else {
            // What is left of both parts is less than a block: the tail.
            let len = a_tail.len() + b.len();
            return finish(h, le_word(a_tail.iter().chain(b)), tail_len(len), total);
        };
        blocks(mix_h(h, le_word(a_tail.iter().chain(b_head))), b_rest)
    };
    finish(h, le_word(tail.iter()), tail_len(tail.len()), total)
}

/// MurmurHash3 x86_32 over input written in pieces, hashed as if concatenated.
#[derive(Debug, Clone)]
pub(crate) struct Hasher {
    h: u32,
    /// Bytes of the current, incomplete 4-byte block.
    k: u32,
    filled: u32,
    total: usize,
}

impl Hasher {
    pub(crate) fn new(seed: u32) -> Self {
        Self {
            h: seed,
            k: 0,
            filled: 0,
            total: 0,
        }
    }

    pub(crate) fn write(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        // Top up a block left incomplete by the previous part, byte by byte.
        while self.filled != 0 {
            let Some((&byte, rest)) = bytes.split_first() else {
                return;
            };
            self.push_byte(byte);
            bytes = rest;
        }
        // Then whole blocks, a word at a time: the common case, one part after another.
        let (h, rest) = blocks(self.h, bytes);
        self.h = h;
        for &byte in rest {
            self.push_byte(byte);
        }
    }

    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.k |= u32::from(byte) << (8 * self.filled);
        self.filled += 1;
        if self.filled == 4 {
            self.h = mix_h(self.h, self.k);
            self.k = 0;
            self.filled = 0;
        }
    }

    pub(crate) fn finish(&self) -> u32 {
        finish(self.h, self.k, self.filled, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MurmurHash3 x86_32 of the concatenation of `parts`.
    fn hash32_parts(parts: &[&[u8]], seed: u32) -> u32 {
        let mut hasher = Hasher::new(seed);
        for part in parts {
            hasher.write(part);
        }
        hasher.finish()
    }

    /// Reference values computed with the Python `mmh3` package (`mmh3.hash(s, seed,
    /// signed=False)`), which wraps the reference C++ implementation.
    const VECTORS: &[(&str, u32, u32)] = &[
        ("", 0, 0),
        ("", 1, 0x514e_28b7),
        ("test", 0, 3_127_628_307),
        ("Hello, world!", 0x9747_b28c, 612_912_314),
        ("a", 0, 1_009_084_850),
        ("ab", 0, 2_613_040_991),
        ("abc", 0, 3_017_643_002),
        ("abcd", 0, 1_139_631_978),
        ("headerColorrachel@faas.com", 0, 1_805_633_606),
        (
            "The quick brown fox jumps over the lazy dog",
            0,
            776_992_547,
        ),
        ("über-straße ✓ 🚀", 0, 1_853_671_846),
    ];

    #[test]
    fn matches_reference_values() {
        for &(input, seed, expected) in VECTORS {
            assert_eq!(
                hash32(input.as_bytes(), seed),
                expected,
                "{input:?} seed {seed}"
            );
        }
    }

    #[test]
    fn parts_hash_like_their_concatenation() {
        for &(input, seed, expected) in VECTORS {
            for split in 0..=input.len() {
                let (a, b) = input.as_bytes().split_at(split);
                assert_eq!(
                    hash32_parts(&[a, b], seed),
                    expected,
                    "{input:?} at {split}"
                );
            }
        }
    }

    #[test]
    fn concat_hashes_like_the_concatenation() {
        for &(input, seed, expected) in VECTORS {
            for split in 0..=input.len() {
                let (a, b) = input.as_bytes().split_at(split);
                assert_eq!(hash32_concat(a, b, seed), expected, "{input:?} at {split}");
            }
        }
    }

    #[test]
    fn three_parts_hash_like_their_concatenation() {
        for &(input, seed, expected) in VECTORS {
            let bytes = input.as_bytes();
            for i in 0..=bytes.len() {
                for j in i..=bytes.len() {
                    let parts = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                    assert_eq!(hash32_parts(&parts, seed), expected, "{input:?} at {i},{j}");
                }
            }
        }
    }
}
