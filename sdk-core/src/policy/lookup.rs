//! Reading a bundle's context paths in one pass.
//!
//! A bundle reads tens of top-level context keys per decision. `Map::get` hashes each with
//! SipHash (serde_json's map), about 25 ns apiece, which alone would exceed the decision budget
//! (DESIGN §8). Instead the bundle interns every key it reads at load into a small
//! open-addressing table, and a decision walks the context's entries once, matching each key
//! against the table with a multiplicative hash. When the context is much larger than the set of keys the bundle
//! reads, looking the keys up one by one is cheaper, so that is done instead.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Slots up to this many are resolved into a stack buffer.
const STACK_SLOTS: usize = 64;

/// A walk over the context costs about this many times less per entry than one `Map::get`.
const PASS_ADVANTAGE: usize = 4;

/// String equality without a `memcmp` call: keys are a few bytes, where the call costs more
/// than the comparison (a profile showed it at an eighth of a decision).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// A context path resolved through the bundle's key table: the whole path as a top-level key
/// first, else the first segment's value walked through nested objects (docs/policy-bundles.md:
/// "a top-level key that itself contains dots is matched first").
#[derive(Debug, Clone)]
pub(crate) struct Source {
    literal: usize,
    nested: Option<(usize, Box<[Box<str>]>)>,
}

impl Source {
    /// The value at this path, from the slots [`Keys::resolve`] filled.
    pub(crate) fn get<'x>(&self, found: &[Option<&'x Value>]) -> Option<&'x Value> {
        if let Some(value) = found.get(self.literal).copied().flatten() {
            return Some(value);
        }
        let (first, rest) = self.nested.as_ref()?;
        rest.iter()
            .try_fold(found.get(*first).copied().flatten()?, |value, segment| {
                value.get(&**segment)
            })
    }
}

/// Collects the keys of a bundle while it loads.
#[derive(Debug, Default)]
pub(crate) struct KeysBuilder {
    keys: Vec<Box<str>>,
    slots: HashMap<Box<str>, usize>,
}

impl KeysBuilder {
    fn intern(&mut self, key: &str) -> usize {
        if let Some(&slot) = self.slots.get(key) {
            return slot;
        }
        let slot = self.keys.len();
        self.keys.push(key.into());
        self.slots.insert(key.into(), slot);
        slot
    }

    /// Interns the keys a context path needs.
    pub(crate) fn source(&mut self, path: &str) -> Source {
        let literal = self.intern(path);
        let nested = path.split_once('.').map(|(first, _)| {
            let rest = path.split('.').skip(1).map(Box::from).collect();
            (self.intern(first), rest)
        });
        Source { literal, nested }
    }

    pub(crate) fn build(self) -> Keys {
        // At most a quarter full: most lookups end at their first bucket.
        let bits = (self.keys.len() * 4)
            .next_power_of_two()
            .max(4)
            .trailing_zeros();
        let mut table = vec![EMPTY; 1 << bits];
        let shift = 64 - bits;
        for (slot, key) in self.keys.iter().enumerate() {
            let hash = key_hash(key.as_bytes());
            let mut at = bucket(hash, shift);
            while table.get(at).is_some_and(|b| b.slot != EMPTY.slot) {
                at = (at + 1) & (table.len() - 1);
            }
            if let Some(entry) = table.get_mut(at) {
                // Slots number at most a few thousand keys (limits on features): fits u32.
                *entry = Bucket {
                    hash,
                    slot: slot as u32,
                    len: key.len(),
                };
            }
        }
        Keys {
            keys: self.keys.into(),
            table: table.into(),
            shift,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    hash: u64,
    slot: u32,
    len: usize,
}

const EMPTY: Bucket = Bucket {
    hash: 0,
    slot: u32::MAX,
    len: 0,
};

/// Multiplicative hash of a key (the FxHash step over 8-byte words). Context keys are a few
/// bytes, where a general-purpose hash costs more than the key. For keys of at most 8 bytes the
/// hash is injective (one multiply by an odd constant of the length-tagged, zero-padded word),
/// so equal hashes and lengths mean equal keys and no byte comparison is needed. A key a hostile context chooses
/// can only land in a probe run of the bundle's own keys (the table is at most a quarter full),
/// so it cannot make a lookup slower than the bundle itself makes it.
fn key_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(K);
    let mut h = key.len() as u64;
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        h = mix(h, u64::from_le_bytes(bytes));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let word = tail
            .iter()
            .rev()
            .fold(0u64, |word, &byte| (word << 8) | u64::from(byte));
        h = mix(h, word);
    }
    h
}

/// The bucket of a hash: its top bits, which a multiplicative hash mixes best.
fn bucket(hash: u64, shift: u32) -> usize {
    // `shift` ≥ 34 (tables have at most 2^30 buckets), so the result fits any usize.
    (hash >> shift) as usize
}

/// The interned keys of a bundle.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    keys: Box<[Box<str>]>,
    table: Box<[Bucket]>,
    /// 64 − log2(table size).
    shift: u32,
}

impl Keys {
    /// The slot of `key`, if the bundle reads it.
    fn slot(&self, key: &str) -> Option<usize> {
        let hash = key_hash(key.as_bytes());
        let mask = self.table.len().wrapping_sub(1);
        let mut at = bucket(hash, self.shift);
        loop {
            let entry = self.table.get(at)?;
            if entry.slot == EMPTY.slot {
                return None;
            }
            let slot = entry.slot as usize;
            if entry.hash == hash
                && entry.len == key.len()
                && (key.len() <= 8 || self.keys.get(slot).is_some_and(|k| same(k, key)))
            {
                return Some(slot);
            }
            at = (at + 1) & mask;
        }
    }

    fn fill<'x>(&self, map: &'x Map<String, Value>, found: &mut [Option<&'x Value>]) {
        if map.len() <= self.keys.len() * PASS_ADVANTAGE {
            for (key, value) in map {
                if let Some(slot) = self.slot(key).and_then(|slot| found.get_mut(slot)) {
                    *slot = Some(value);
                }
            }
        } else {
            for (slot, key) in found.iter_mut().zip(self.keys.iter()) {
                *slot = map.get(&**key);
            }
        }
    }

    /// Runs `f` with the top-level value of every interned key (`None` when absent).
    pub(crate) fn resolve<'x, R>(
        &self,
        root: &'x Value,
        f: impl FnOnce(&[Option<&'x Value>]) -> R,
    ) -> R {
        let mut stack = [None; STACK_SLOTS];
        let mut heap;
        let found: &mut [Option<&'x Value>] = match stack.get_mut(..self.keys.len()) {
            Some(found) => found,
            None => {
                heap = vec![None; self.keys.len()];
                &mut heap
            }
        };
        // A context is always an object; anything else has no keys.
        if let Some(map) = root.as_object() {
            self.fill(map, found);
        }
        f(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_strategies_resolve_literal_keys_first() {
        let mut builder = KeysBuilder::default();
        let dotted = builder.source("a.b");
        let deep = builder.source("a.c.d");
        let plain = builder.source("x");
        let keys = builder.build();
        let small = json!({"a.b": 1, "a": {"b": 2, "c": {"d": 3}}, "x": [1]});
        let mut large = small.clone();
        for i in 0..100 {
            large[format!("pad{i}")] = json!(i);
        }
        for root in [&small, &large] {
            keys.resolve(root, |found| {
                assert_eq!(dotted.get(found), Some(&json!(1)));
                assert_eq!(deep.get(found), Some(&json!(3)));
                assert_eq!(plain.get(found), Some(&json!([1])));
            });
        }
        keys.resolve(&json!({"a": {"b": 5}}), |found| {
            assert_eq!(dotted.get(found), Some(&json!(5)));
            assert_eq!(plain.get(found), None);
        });
    }

    #[test]
    fn many_keys_use_the_heap() {
        let mut builder = KeysBuilder::default();
        let sources: Vec<Source> = (0..200).map(|i| builder.source(&format!("k{i}"))).collect();
        let keys = builder.build();
        let root: Value = (0..200)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect::<Map<_, _>>()
            .into();
        keys.resolve(&root, |found| {
            for (i, source) in sources.iter().enumerate() {
                assert_eq!(source.get(found), Some(&json!(i)));
            }
        });
    }
}
