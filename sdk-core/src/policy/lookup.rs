//! Reading a bundle's context paths in one pass.
//!
//! A bundle reads tens of top-level context attributes per decision; looking each one up by
//! name would alone exceed the decision budget (DESIGN §8). Instead the bundle interns every
//! top-level key it reads at load into a small open-addressing table, and a decision walks the
//! context's attributes once, matching each name against the table with a multiplicative hash.
//! When the context is much larger than the set of keys the bundle reads, looking the keys up
//! one by one is cheaper, so that is done instead. Paths below the top level are then walked
//! with the one path resolver (`crate::context::path`, JSON Logic `var` semantics).

use std::collections::HashMap;

use serde_json::Value;

use crate::context::{path, Context};
use crate::hashing::{key_hash, same_bytes};

/// Slots up to this many are resolved into a stack buffer.
const STACK_SLOTS: usize = 64;

/// A walk over the context costs about this many times less per entry than one `Map::get`.
const PASS_ADVANTAGE: usize = 4;

/// A context path resolved through the bundle's key table: its first segment's slot, and the
/// segments below it (`user.id` is the `id` of the attribute `user`, as `{"var": "user.id"}`
/// reads it).
#[derive(Debug, Clone)]
pub(crate) struct Source {
    first: usize,
    rest: Box<[Box<str>]>,
}

impl Source {
    /// The value at this path, from the slots [`Keys::resolve`] filled.
    pub(crate) fn get<'x>(&self, found: &[Option<&'x Value>]) -> Option<&'x Value> {
        let top = found.get(self.first).copied().flatten()?;
        path::walk(top, self.rest.iter().map(|s| &**s))
    }
}

/// Collects the keys of a bundle while it loads.
#[derive(Debug, Default)]
pub(crate) struct KeysBuilder {
    keys: Vec<Box<str>>,
    slots: HashMap<Box<str>, usize>,
    /// Every path the bundle reads, as written.
    paths: Vec<Box<str>>,
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

    /// Interns the top-level key a context path needs.
    pub(crate) fn source(&mut self, text: &str) -> Source {
        self.paths.push(text.into());
        let mut segments = path::dotted(text);
        let first = self.intern(segments.next().unwrap_or(""));
        Source {
            first,
            rest: segments.map(Box::from).collect(),
        }
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
            paths: self.paths.into(),
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
    /// Every path read, as written (for the snapshot's attribute table).
    paths: Box<[Box<str>]>,
}

impl Keys {
    /// The slot of `key` (of [`key_hash`] `hash`), if the bundle reads it.
    fn slot(&self, key: &[u8], hash: u64) -> Option<usize> {
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
                && (key.len() <= 8
                    || self
                        .keys
                        .get(slot)
                        .is_some_and(|k| same_bytes(k.as_bytes(), key)))
            {
                return Some(slot);
            }
            at = (at + 1) & mask;
        }
    }

    /// Every context path the bundle reads, as written.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.paths.iter().map(|p| &**p)
    }

    fn fill<'x>(&self, ctx: &'x Context, found: &mut [Option<&'x Value>]) {
        if ctx.len() <= self.keys.len() * PASS_ADVANTAGE {
            // The context hashed each name when it was set.
            for (key, hash, value) in ctx.iter_hashed() {
                if let Some(slot) = self.slot(key, hash).and_then(|slot| found.get_mut(slot)) {
                    *slot = Some(value);
                }
            }
        } else {
            for (slot, key) in found.iter_mut().zip(self.keys.iter()) {
                *slot = ctx.get(key);
            }
        }
    }

    /// Runs `f` with the top-level value of every interned key (`None` when absent).
    pub(crate) fn resolve<'x, R>(
        &self,
        ctx: &'x Context,
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
        self.fill(ctx, found);
        f(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context(value: Value) -> Context {
        Context::from_value(value).unwrap()
    }

    #[test]
    fn both_strategies_resolve_paths_as_var_does() {
        let mut builder = KeysBuilder::default();
        let dotted = builder.source("a.b");
        let deep = builder.source("a.c.d");
        let plain = builder.source("x");
        let indexed = builder.source("x.0");
        let keys = builder.build();
        // A top-level key holding a dot is not the path `a.b` (JSON Logic `var` semantics).
        let small = json!({"a.b": 1, "a": {"b": 2, "c": {"d": 3}}, "x": [1]});
        let mut large = small.clone();
        for i in 0..100 {
            large[format!("pad{i}")] = json!(i);
        }
        for root in [small, large] {
            let ctx = context(root);
            keys.resolve(&ctx, |found| {
                assert_eq!(dotted.get(found), Some(&json!(2)));
                assert_eq!(deep.get(found), Some(&json!(3)));
                assert_eq!(plain.get(found), Some(&json!([1])));
                assert_eq!(indexed.get(found), Some(&json!(1)));
            });
        }
        keys.resolve(&context(json!({"a": {"b": 5}})), |found| {
            assert_eq!(dotted.get(found), Some(&json!(5)));
            assert_eq!(plain.get(found), None);
        });
        let paths: Vec<&str> = keys.paths().collect();
        assert_eq!(paths, ["a.b", "a.c.d", "x", "x.0"]);
    }

    #[test]
    fn many_keys_use_the_heap() {
        let mut builder = KeysBuilder::default();
        let sources: Vec<Source> = (0..200).map(|i| builder.source(&format!("k{i}"))).collect();
        let keys = builder.build();
        let mut ctx = Context::new();
        for i in 0..200 {
            ctx.set_int(&format!("k{i}"), i);
        }
        keys.resolve(&ctx, |found| {
            for (i, source) in sources.iter().enumerate() {
                assert_eq!(source.get(found), Some(&json!(i)));
            }
        });
    }
}
