//! Flag keys to flag indexes, for the look-up every evaluation by key starts with.
//!
//! A direct-mapped table sized at four slots per key, indexed by the top bits of
//! [`key_hash`]: a look-up is one short hash, one slot and one inline comparison of the key,
//! where a general hash map's probing and `memcmp` call cost more than the rest of a static
//! flag's evaluation. A key whose slot another key took goes to an ordinary map, consulted only
//! when that map is not empty, so a config built to collide costs itself a second look-up, not
//! anyone a wrong answer.

use std::sync::Arc;

use crate::hashing::{fast_map, key_hash, same_bytes, FastMap};

/// Keys to indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyIndex {
    /// The index + 1 of the key that owns each slot; 0 for a free slot.
    slots: Box<[u32]>,
    /// The keys, by index (the slots point here to compare).
    keys: Vec<Arc<str>>,
    /// Keys whose slot an earlier key owns.
    displaced: FastMap<Arc<str>, u32>,
    /// `64 - log2(slots.len())`: the top bits of the hash pick the slot.
    shift: u32,
}

impl KeyIndex {
    /// An index for up to about `capacity` keys (more still work, with more displaced keys).
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let len = capacity.saturating_mul(4).max(4).next_power_of_two();
        Self {
            slots: vec![0; len].into_boxed_slice(),
            keys: Vec::with_capacity(capacity),
            displaced: FastMap::default(),
            shift: 64 - len.trailing_zeros(),
        }
    }

    fn slot(&self, key: &str) -> usize {
        // Below `slots.len()` (an empty default table finds no slot either way).
        (key_hash(key.as_bytes()) >> self.shift) as usize
    }

    /// The index of `key`.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        let owner = self.slots.get(self.slot(key)).copied().unwrap_or(0);
        if let Some(held) = owner.checked_sub(1).and_then(|i| self.keys.get(i as usize)) {
            if same_bytes(held.as_bytes(), key.as_bytes()) {
                return Some(owner - 1);
            }
        }
        if self.displaced.is_empty() {
            None
        } else {
            self.displaced.get(key).copied()
        }
    }

    /// Adds `key` with the next index; `None` (and nothing changed) when it is there already or
    /// the index would not fit a `u32`.
    pub(crate) fn push(&mut self, key: &Arc<str>) -> Option<u32> {
        if self.get(key).is_some() {
            return None;
        }
        let index = u32::try_from(self.keys.len())
            .ok()
            .filter(|&i| i < u32::MAX)?;
        let slot = self.slot(key);
        match self.slots.get_mut(slot) {
            Some(owner @ 0) => *owner = index + 1,
            _ => {
                if self.displaced.is_empty() {
                    self.displaced = fast_map(4);
                }
                self.displaced.insert(Arc::clone(key), index);
            }
        }
        self.keys.push(Arc::clone(key));
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_it_holds_and_no_other() {
        // Far more keys than the capacity asked for: many land on taken slots.
        let keys: Vec<Arc<str>> = (0..2_000)
            .map(|i| Arc::from(format!("flag-{i:04}")))
            .collect();
        let mut index = KeyIndex::with_capacity(100);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index.push(key), Some(i as u32));
        }
        assert!(!index.displaced.is_empty());
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(index.get(key), Some(i as u32), "{key}");
        }
        for other in ["flag-2000", "flag-", "", "flag-00000", "FLAG-0001"] {
            assert_eq!(index.get(other), None, "{other}");
        }
        assert_eq!(index.push(&keys[7]), None);
        assert_eq!(index.get(&keys[7]), Some(7));
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = KeyIndex::default();
        assert_eq!(index.get("f"), None);
        let index = KeyIndex::with_capacity(0);
        assert_eq!(index.get("f"), None);
    }
}
