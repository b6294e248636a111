//! Normative bucketing (DESIGN §4). Other implementations reproduce these functions bit for bit;
//! `testdata/bucketing.json` pins them and every binding asserts it.
//!
//! Everything hashes `UTF-8(salt) ‖ 0x00 ‖ UTF-8(unit)` with XXH3-64, seed 0, and scales the
//! 64-bit hash to a range with a 128-bit multiply-shift (no modulo bias, no floating point).

use std::borrow::Cow;

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::float_text;

/// Buckets of the layer and holdout space: `bucket` is in `[0, BUCKETS)`.
pub const BUCKETS: u32 = 10_000;

/// Inputs up to this size are hashed from a stack buffer, so the common case allocates nothing.
const STACK_BUFFER: usize = 256;

/// Inputs up to this size (a salt, a 0 byte and a unit of a few dozen bytes: nearly every one)
/// use a smaller buffer: zeroing the buffer is a visible part of hashing a short input.
const SMALL_BUFFER: usize = 64;

/// XXH3-64 (seed 0) of the concatenated parts.
pub(crate) fn hash_parts(parts: &[&[u8]]) -> u64 {
    hash_parts_seeded(parts, 0)
}

/// XXH3-64 with `seed` of the concatenated parts. A secret seed (host entropy) keys the hash
/// maps of user input (exposure deduplication, sticky assignments): units crafted to collide
/// under one seed do not collide under another.
pub(crate) fn hash_parts_seeded(parts: &[&[u8]], seed: u64) -> u64 {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len <= SMALL_BUFFER {
        hash_joined::<SMALL_BUFFER>(parts, len, seed)
    } else if len <= STACK_BUFFER {
        hash_joined::<STACK_BUFFER>(parts, len, seed)
    } else {
        xxh3_64_with_seed(&parts.concat(), seed)
    }
}

/// [`hash_parts_seeded`] of parts adding up to `len <= N` bytes, joined on the stack.
fn hash_joined<const N: usize>(parts: &[&[u8]], len: usize, seed: u64) -> u64 {
    let mut buffer = [0u8; N];
    let mut at = 0;
    for part in parts {
        // In bounds: the parts add up to `len <= N`.
        if let Some(slot) = buffer.get_mut(at..at + part.len()) {
            slot.copy_from_slice(part);
        }
        at += part.len();
    }
    xxh3_64_with_seed(buffer.get(..len).unwrap_or_default(), seed)
}

/// `h(salt, unit)`: XXH3-64, seed 0, over `UTF-8(salt) ‖ 0x00 ‖ UTF-8(unit)`.
pub fn hash(salt: &str, unit: &str) -> u64 {
    hash_parts(&[salt.as_bytes(), &[0], unit.as_bytes()])
}

/// `(h × n) >> 64` with a 128-bit product: `h` scaled to `[0, n)`.
pub fn scale(h: u64, n: u64) -> u64 {
    // The product of two u64 fits u128; shifting right by 64 leaves a value below `n`.
    ((u128::from(h) * u128::from(n)) >> 64) as u64
}

/// `bucket(salt, unit) = (h × 10000) >> 64`, in `[0, 10000)`.
pub fn bucket(salt: &str, unit: &str) -> u32 {
    // Below BUCKETS, so it fits u32.
    scale(hash(salt, unit), u64::from(BUCKETS)) as u32
}

/// Allocation: `r = (h(salt, unit) × W) >> 64` over integer weights of total `W`; the index of
/// the first weight whose running sum exceeds `r`. `None` when the weights add up to 0.
pub fn allocate(salt: &str, unit: &str, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return None;
    }
    let r = scale(hash(salt, unit), total);
    let mut running = 0u64;
    weights.iter().position(|&w| {
        running += u64::from(w);
        r < running
    })
}

/// Whether a holdout of `percent` (0-100) catches the unit: `bucket < round(percent × 100)`.
pub fn held_out(salt: &str, unit: &str, percent: f64) -> bool {
    bucket(salt, unit) < holdout_threshold(percent)
}

/// `round(percent × 100)`, clamped to `[0, BUCKETS]`.
pub fn holdout_threshold(percent: f64) -> u32 {
    // Clamped first, so the cast is exact.
    (percent * 100.0).round().clamp(0.0, f64::from(BUCKETS)) as u32
}

/// The policy draw `u` in `[0, 1)`: the top 53 bits of
/// `XXH3-64(UTF-8(salt) ‖ 0x00 ‖ UTF-8(unit) ‖ 0x00 ‖ UTF-8(decision_key))` over `2^53`. The
/// second 0x00 is present even when `decision_key` is empty.
pub fn policy_draw(salt: &str, unit: &str, decision_key: &str) -> f64 {
    let h = hash_parts(&[
        salt.as_bytes(),
        &[0],
        unit.as_bytes(),
        &[0],
        decision_key.as_bytes(),
    ]);
    // 53 bits convert to f64 exactly; dividing by a power of two is exact too.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Why a context value is not a unit of randomisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitProblem {
    /// The value is absent or `null` (OpenFeature's `TARGETING_KEY_MISSING`).
    Missing,
    /// The value is a boolean, a non-integral number, an object, an array or an empty string
    /// (OpenFeature's `INVALID_CONTEXT`).
    Invalid,
}

/// Unit normalisation (DESIGN §4): a non-empty string as is; an integer-valued number as its
/// decimal digits (`42`, `-7`, `42.0` → `"42"`); anything else is not a unit.
///
/// # Errors
/// [`UnitProblem::Missing`] for an absent or null value, [`UnitProblem::Invalid`] otherwise.
pub fn normalize_unit(value: Option<&Value>) -> Result<Cow<'_, str>, UnitProblem> {
    match value {
        None | Some(Value::Null) => Err(UnitProblem::Missing),
        Some(Value::String(s)) if !s.is_empty() => Ok(Cow::Borrowed(s)),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Cow::Owned(i.to_string()));
            }
            if let Some(u) = n.as_u64() {
                return Ok(Cow::Owned(u.to_string()));
            }
            match n.as_f64() {
                // An integral f64 prints exactly with no fraction digits; `+ 0.0` turns -0 into 0.
                Some(f) if f.is_finite() && f.fract() == 0.0 => {
                    Ok(Cow::Owned(float_text::integral(f + 0.0)))
                }
                _ => Err(UnitProblem::Invalid),
            }
        }
        Some(_) => Err(UnitProblem::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use xxhash_rust::xxh3::xxh3_64;

    #[test]
    fn scale_is_a_multiply_shift() {
        assert_eq!(scale(0, 10_000), 0);
        assert_eq!(scale(u64::MAX, 10_000), 9_999);
        assert_eq!(scale(1 << 63, 10_000), 5_000);
        assert_eq!(scale(u64::MAX, 1), 0);
    }

    #[test]
    fn hash_covers_salt_separator_and_unit() {
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(hash("ab", "c"), hash("a", "bc"));
        assert_eq!(hash("s", "u"), xxh3_64(b"s\0u"));
        let long = "x".repeat(STACK_BUFFER * 2);
        assert_eq!(hash("s", &long), xxh3_64(format!("s\0{long}").as_bytes()));
        assert_eq!(
            policy_draw("p", "u", ""),
            (xxh3_64(b"p\0u\0") >> 11) as f64 / 9_007_199_254_740_992.0
        );
    }

    #[test]
    fn parts_hash_as_their_concatenation_around_each_buffer_size() {
        use xxhash_rust::xxh3::xxh3_64_with_seed;
        for len in [
            0,
            1,
            SMALL_BUFFER - 1,
            SMALL_BUFFER,
            SMALL_BUFFER + 1,
            STACK_BUFFER,
            STACK_BUFFER + 1,
            3 * STACK_BUFFER,
        ] {
            let text: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for split in [0, len / 3, len] {
                let (a, b) = text.split_at(split);
                for seed in [0, 0x9e37_79b9_7f4a_7c15] {
                    assert_eq!(
                        hash_parts_seeded(&[a, &[], b], seed),
                        xxh3_64_with_seed(&text, seed),
                        "{len} bytes split at {split}"
                    );
                }
            }
        }
    }

    #[test]
    fn allocation_walks_cumulative_weights() {
        assert_eq!(allocate("s", "u", &[0, 0]), None);
        assert_eq!(allocate("s", "u", &[0, 5, 0]), Some(1));
        let r = scale(hash("s", "u"), 100);
        let expected = if r < 30 { 0 } else { 1 };
        assert_eq!(allocate("s", "u", &[30, 70]), Some(expected));
    }

    #[test]
    fn holdout_threshold_rounds_percent_to_buckets() {
        assert_eq!(holdout_threshold(2.5), 250);
        assert_eq!(holdout_threshold(0.005), 1);
        assert_eq!(holdout_threshold(100.0), 10_000);
        assert_eq!(holdout_threshold(0.0), 0);
    }

    #[test]
    fn units_normalise_as_the_spec_says() {
        let unit = |v: Value| normalize_unit(Some(&v)).map(Cow::into_owned);
        assert_eq!(unit(json!("abc")), Ok("abc".to_owned()));
        assert_eq!(unit(json!(42)), Ok("42".to_owned()));
        assert_eq!(unit(json!(-7)), Ok("-7".to_owned()));
        assert_eq!(unit(json!(42.0)), Ok("42".to_owned()));
        assert_eq!(unit(json!(-0.0)), Ok("0".to_owned()));
        assert_eq!(unit(json!(1e20)), Ok("100000000000000000000".to_owned()));
        assert_eq!(unit(json!(u64::MAX)), Ok("18446744073709551615".to_owned()));
        assert_eq!(unit(json!(1.5)), Err(UnitProblem::Invalid));
        assert_eq!(unit(json!("")), Err(UnitProblem::Invalid));
        assert_eq!(unit(json!(true)), Err(UnitProblem::Invalid));
        assert_eq!(unit(json!([1])), Err(UnitProblem::Invalid));
        assert_eq!(unit(json!({})), Err(UnitProblem::Invalid));
        assert_eq!(unit(json!(null)), Err(UnitProblem::Missing));
        assert_eq!(normalize_unit(None), Err(UnitProblem::Missing));
    }

    #[test]
    fn a_fraction_next_to_an_integer_is_not_a_unit() {
        // 2^52 - 0.5 is exactly representable; a parser that rounds it would make it a unit.
        let ctx = crate::Context::from_json(r#"{"targetingKey": 4503599627370495.5}"#).unwrap();
        assert_eq!(
            normalize_unit(ctx.get("targetingKey")),
            Err(UnitProblem::Invalid)
        );
    }
}
