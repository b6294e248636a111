//! A bounded least-recently-used set of 64-bit keys, for exposure deduplication.
//!
//! Hand-written rather than taken from a crate: it is ~100 lines over a `HashMap` and a slab, and
//! the WebAssembly size budget (DESIGN §8) leaves no room for a dependency that brings its own
//! hashing and allocation machinery for this one use.

use crate::hashing::{fast_map, FastMap};

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    key: u64,
    prev: u32,
    next: u32,
}

/// Remembers at most `capacity` keys; inserting into a full set forgets the least recently
/// seen one. Memory is bounded by the capacity, whatever the number of distinct keys.
#[derive(Debug, Clone)]
pub(crate) struct LruSet {
    index: FastMap<u64, u32>,
    nodes: Vec<Node>,
    /// Most recently seen.
    head: u32,
    /// Least recently seen.
    tail: u32,
    capacity: usize,
}

impl LruSet {
    /// A set remembering up to `capacity` keys (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        // Slab indexes are u32; a larger capacity would not fit memory budgets anyway.
        let capacity = capacity.clamp(1, NIL as usize - 1);
        Self {
            index: fast_map(0),
            nodes: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Marks `key` as seen now. Returns `true` when it was not in the set (a first sighting, or
    /// one forgotten since).
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if let Some(&slot) = self.index.get(&key) {
            self.unlink(slot);
            self.push_front(slot);
            return false;
        }
        let slot = if self.nodes.len() < self.capacity {
            self.nodes.push(Node {
                key,
                prev: NIL,
                next: NIL,
            });
            // Below capacity, which fits u32 (clamped in `new`).
            (self.nodes.len() - 1) as u32
        } else {
            // Full: reuse the least recently seen slot.
            let slot = self.tail;
            self.unlink(slot);
            if let Some(old) = self.nodes.get(slot as usize) {
                self.index.remove(&old.key);
            }
            if let Some(node) = self.nodes.get_mut(slot as usize) {
                node.key = key;
            }
            slot
        };
        self.index.insert(key, slot);
        self.push_front(slot);
        true
    }

    fn unlink(&mut self, slot: u32) {
        let Some(&Node { prev, next, .. }) = self.nodes.get(slot as usize) else {
            return;
        };
        match self.nodes.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.nodes.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_front(&mut self, slot: u32) {
        let old_head = self.head;
        if let Some(node) = self.nodes.get_mut(slot as usize) {
            node.prev = NIL;
            node.next = old_head;
        }
        match self.nodes.get_mut(old_head as usize) {
            Some(h) => h.prev = slot,
            None => self.tail = slot,
        }
        self.head = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_capacity_then_forgets_the_least_recent() {
        let mut set = LruSet::new(3);
        assert!(set.insert(1));
        assert!(set.insert(2));
        assert!(set.insert(3));
        assert!(!set.insert(1)); // 1 is now the most recent; 2 the least.
        assert!(set.insert(4)); // forgets 2
        assert_eq!(set.len(), 3);
        assert!(!set.insert(3));
        assert!(!set.insert(1));
        assert!(set.insert(2)); // 2 was forgotten; now 4 is forgotten
        assert!(set.insert(4));
    }

    #[test]
    fn stays_bounded_with_many_distinct_keys() {
        let mut set = LruSet::new(100);
        for key in 0..100_000u64 {
            assert!(set.insert(key));
        }
        assert_eq!(set.len(), 100);
        assert_eq!(set.nodes.len(), 100);
        // The last 100 are remembered, in any order of re-insertion.
        for key in (99_900..100_000u64).rev() {
            assert!(!set.insert(key));
        }
    }

    #[test]
    fn capacity_one_keeps_the_latest() {
        let mut set = LruSet::new(0);
        assert!(set.insert(7));
        assert!(!set.insert(7));
        assert!(set.insert(8));
        assert!(set.insert(7));
    }
}
