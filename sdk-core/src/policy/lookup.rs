//! Reading a bundle's context paths in one pass.
//!
//! A bundle reads tens of top-level context keys per decision. `Map::get` hashes each with
//! SipHash (serde_json's map), about 25 ns apiece, which alone would exceed the decision budget
//! (DESIGN §8). Instead the bundle interns every key it reads at load into a small
//! open-addressing table, and a decision walks the context's entries once, matching each key
//! against the table with XXH3. When the context is much larger than the set of keys the bundle
//! reads, looking the keys up one by one is cheaper, so that is done instead.

use std::collections::HashMap;

use serde_json::{Map, Value};
use xxhash_rust::xxh3::xxh3_64;

/// Slots up to this many are resolved into a stack buffer.
const STACK_SLOTS: usize = 64;

/// A walk over the context costs about this many times less per entry than one `Map::get`.
const PASS_ADVANTAGE: usize = 4;

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
        // At most half full, so every probe sequence ends at an empty bucket soon.
        let size = (self.keys.len() * 2).next_power_of_two().max(2);
        let mut table: Vec<Option<(u64, usize)>> = vec![None; size];
        for (slot, key) in self.keys.iter().enumerate() {
            let hash = xxh3_64(key.as_bytes());
            let mut at = (hash as usize) & (size - 1);
            while let Some(Some(_)) = table.get(at) {
                at = (at + 1) & (size - 1);
            }
            if let Some(bucket) = table.get_mut(at) {
                *bucket = Some((hash, slot));
            }
        }
        Keys {
            keys: self.keys.into(),
            table: table.into(),
        }
    }
}

/// The interned keys of a bundle.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    keys: Box<[Box<str>]>,
    /// Buckets of (hash, slot); `None` is empty.
    table: Box<[Option<(u64, usize)>]>,
}

impl Keys {
    /// The slot of `key`, if the bundle reads it.
    fn slot(&self, key: &str) -> Option<usize> {
        let mask = self.table.len().checked_sub(1)?;
        let hash = xxh3_64(key.as_bytes());
        let mut at = (hash as usize) & mask;
        loop {
            let (h, slot) = (*self.table.get(at)?)?;
            if h == hash && self.keys.get(slot).is_some_and(|k| **k == *key) {
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
