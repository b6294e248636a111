//! The storage of a context's attributes: names stored inline when short (no allocation for
//! the names real contexts use), each with a hash for quick look-ups, and entries kept after
//! `clear` so that refilling a context reuses their storage (a string value is overwritten in
//! its buffer).

use serde_json::Value;

use super::depth::drop_deep;
use super::pool;
use crate::hashing::same_bytes;

/// Names up to this many bytes are stored inline.
const INLINE: usize = 22;

/// At most this many cleared entries are kept for reuse.
const KEPT: usize = 64;

/// String buffers up to this capacity go back to the thread's pool with a dropped context.
const POOLED_STRING: usize = 128;

/// An attribute name: inline when short, on the heap otherwise.
#[derive(Debug, Clone)]
enum Name {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Name {
    fn new(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0u8; INLINE];
                if let Some(slot) = bytes.get_mut(..text.len()) {
                    slot.copy_from_slice(text.as_bytes());
                }
                Name::Inline { len, bytes }
            }
            _ => Name::Heap(text.into()),
        }
    }

    // Always inlined in the wasm build, here and on the other lookups below: every rule reads
    // attributes through them, and the size-tuned build (`opt-level = "z"`) keeps `#[inline]`
    // functions as calls (forcing these took `setContext` of 50 flags from 13.4 to 10.4 µs in
    // Node). Natively the optimizer's own choice is better (forced, +2 % instructions).
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Name::Heap(text) => text.as_bytes(),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a `&str`, whole: they are UTF-8.
            Name::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Name::Heap(text) => text,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    name: Name,
    value: Value,
}

impl Entry {
    /// Whether this entry is attribute `name` of [`crate::hashing::key_hash`] `hash`. Names of
    /// up to 8 bytes hash injectively among names of their length, so for them equal hashes and
    /// lengths are a match.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn is(&self, name: &str, hash: u64) -> bool {
        // The hash first: it rules out every other entry of a scan.
        self.hash == hash && {
            let bytes = self.name.as_bytes();
            bytes.len() == name.len() && (name.len() <= 8 || same_bytes(bytes, name.as_bytes()))
        }
    }
}

/// The attributes: `entries[..live]`, in the order they were first set, names unique; the
/// entries after `live` are cleared ones kept for reuse.
#[derive(Debug)]
pub(super) struct Entries {
    entries: Vec<Entry>,
    live: usize,
    /// When not 0: `entries[..replay_end]` have distinct names and `live <= replay_end`, so the
    /// kept entry at `live` names an attribute that is not live. After a `clear`, a refill in
    /// the same order (the usual case: a host sets the same attributes per request) then finds
    /// each name there without a scan.
    replay_end: usize,
}

impl Clone for Entries {
    fn clone(&self) -> Self {
        Self {
            entries: self.live().to_vec(),
            live: self.live,
            replay_end: 0,
        }
    }
}

/// The storage of a dropped context, kept by [`super::pool`]: cleared entries (string values
/// and `null`s), of which the first `replay_end` have distinct names.
#[derive(Debug)]
pub(super) struct Stored {
    entries: Vec<Entry>,
    replay_end: usize,
}

impl Default for Entries {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl Entries {
    /// Room for `capacity` attributes: the storage of a context this thread dropped, when
    /// there is one.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        match pool::take() {
            Some(Stored {
                mut entries,
                replay_end,
            }) => {
                entries.reserve(capacity.saturating_sub(entries.len()));
                Self {
                    entries,
                    live: 0,
                    replay_end,
                }
            }
            None => Self {
                entries: Vec::with_capacity(capacity),
                live: 0,
                replay_end: 0,
            },
        }
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn live(&self) -> &[Entry] {
        self.entries.get(..self.live).unwrap_or_default()
    }

    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// The position of `name` among the live entries, by scanning (callers use a sorted index
    /// for large contexts), `hash` being the name's [`crate::hashing::key_hash`] (rules hash
    /// their paths when they compile).
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(super) fn scan_hashed(&self, name: &str, hash: u64) -> Option<usize> {
        // A plain loop: the size-tuned wasm build keeps `Iterator::position` as a call.
        for (position, entry) in self.live().iter().enumerate() {
            if entry.is(name, hash) {
                return Some(position);
            }
        }
        None
    }

    /// The value slot of `name` (of [`crate::hashing::key_hash`] `hash`) in a context small
    /// enough to scan: the live entry, else a new one (into a kept entry when there is one).
    pub(super) fn slot_scanned(&mut self, name: &str, hash: u64) -> &mut Value {
        let index = self.live;
        let replayed = index < self.replay_end
            && self
                .entries
                .get(index)
                .is_some_and(|kept| kept.is(name, hash));
        if replayed {
            self.live += 1;
            // In bounds: the entry at `index` was just read.
            #[allow(clippy::indexing_slicing)]
            return &mut self.entries[index].value;
        }
        match self.scan_hashed(name, hash) {
            // In bounds: a position among the live entries.
            #[allow(clippy::indexing_slicing)]
            Some(i) => &mut self.entries[i].value,
            None => self.push(name, hash),
        }
    }

    /// The name of attribute `index` as bytes, without the UTF-8 check that reading an inline
    /// name as text costs: byte order is `str` order, so sorting and searching by bytes agree
    /// with text.
    pub(super) fn name_bytes(&self, index: usize) -> &[u8] {
        self.live().get(index).map_or(&[], |e| e.name.as_bytes())
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(super) fn value(&self, index: usize) -> Option<&Value> {
        self.live().get(index).map(|e| &e.value)
    }

    /// The live attributes as (name bytes, [`crate::hashing::key_hash`] of the name, value):
    /// for callers that match names by hash without reading them as text.
    pub(super) fn iter_hashed(&self) -> impl Iterator<Item = (&[u8], u64, &Value)> + '_ {
        self.live()
            .iter()
            .map(|e| (e.name.as_bytes(), e.hash, &e.value))
    }

    pub(super) fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.live().iter().map(|e| (e.name.as_str(), &e.value))
    }

    /// Appends a new attribute (the caller knows `name` is not live), `hash` being its
    /// [`crate::hashing::key_hash`]: into a kept entry when there is one, whose old value is returned to the
    /// caller in the slot for reuse.
    pub(super) fn push(&mut self, name: &str, hash: u64) -> &mut Value {
        let index = self.live;
        // The new name differs from the live ones: appended at the end of the distinct run it
        // extends it; written over a kept entry inside it, it may repeat a name after it.
        self.replay_end = if index == self.replay_end {
            index + 1
        } else {
            0
        };
        match self.entries.get_mut(index) {
            Some(kept) => {
                kept.hash = hash;
                kept.name = Name::new(name);
            }
            None => self.entries.push(Entry {
                hash,
                name: Name::new(name),
                value: Value::Null,
            }),
        }
        self.live += 1;
        // `index` is in bounds: an entry was there or was just pushed.
        #[allow(clippy::indexing_slicing)]
        &mut self.entries[index].value
    }

    /// Removes the attribute at `index` (keeping the order of the others).
    pub(super) fn remove(&mut self, index: usize) {
        if index >= self.live {
            return;
        }
        // The rotation stays inside `..live`: the names of `..replay_end` stay distinct, and the
        // removed one, now at `live`, is not live.
        if let Some(live) = self.entries.get_mut(index..self.live) {
            live.rotate_left(1);
        }
        self.live -= 1;
        if let Some(entry) = self.entries.get_mut(self.live) {
            drop_deep(std::mem::take(&mut entry.value));
        }
    }

    /// Forgets every attribute, keeping up to [`KEPT`] entries for reuse. String values keep
    /// their buffers (a refill overwrites them); other values are dropped now.
    pub(super) fn clear(&mut self) {
        if self.live == 0 {
            // Nothing live: the kept entries were cleared when they stopped being live (they
            // hold strings and nulls only), as a context taken from the pool or just built is.
            return;
        }
        if self.replay_end == 0 {
            // The live names are distinct.
            self.replay_end = self.live;
        }
        self.live = 0;
        if self.entries.len() > KEPT {
            for entry in self.entries.drain(KEPT..) {
                drop_deep(entry.value);
            }
        }
        self.replay_end = self.replay_end.min(self.entries.len());
        for entry in &mut self.entries {
            if !entry.value.is_string() {
                write_value(&mut entry.value, Value::Null);
            }
        }
    }
}

impl Drop for Entries {
    /// Clears the entries (non-string values dropped iteratively: they may be deep) and gives
    /// the storage to the thread's pool, cut at the first long name or large string so that a
    /// pooled storage stays small.
    fn drop(&mut self) {
        self.clear();
        let mut entries = std::mem::take(&mut self.entries);
        if entries.capacity() > 2 * KEPT {
            return;
        }
        let small = |e: &Entry| {
            matches!(e.name, Name::Inline { .. })
                && match &e.value {
                    Value::String(s) => s.capacity() <= POOLED_STRING,
                    _ => true,
                }
        };
        let keep = entries
            .iter()
            .position(|e| !small(e))
            .unwrap_or(entries.len());
        // What is cut holds strings and `null`s only: a shallow drop.
        entries.truncate(keep);
        pool::give(Stored {
            entries,
            replay_end: self.replay_end.min(keep),
        });
    }
}

/// Writes `value` into `slot`, dropping the old value (iteratively: it may be deep).
#[inline]
pub(super) fn write_value(slot: &mut Value, value: Value) {
    drop_deep(std::mem::replace(slot, value));
}

/// Writes `text` into `slot`, reusing the slot's string buffer when it holds one.
pub(super) fn write_str(slot: &mut Value, text: &str) {
    match slot {
        Value::String(s) => {
            s.clear();
            s.push_str(text);
        }
        other => write_value(other, Value::String(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::key_hash;

    #[test]
    fn names_inline_and_on_the_heap() {
        for text in [
            "",
            "a",
            "targetingKey",
            "exactly-twenty-two-by!",
            &"n".repeat(100),
        ] {
            let name = Name::new(text);
            assert_eq!(name.as_str(), text);
            assert_eq!(matches!(name, Name::Inline { .. }), text.len() <= INLINE);
        }
    }

    #[test]
    fn cleared_entries_are_reused() {
        let mut entries = Entries::with_capacity(2);
        write_str(entries.push("a", key_hash(b"a")), "one");
        *entries.push("b", key_hash(b"b")) = Value::from(2);
        assert_eq!(entries.scan_hashed("b", key_hash(b"b")), Some(1));
        entries.clear();
        assert_eq!(entries.len(), 0);
        assert_eq!(entries.scan_hashed("a", key_hash(b"a")), None);
        let slot = entries.push("c", key_hash(b"c"));
        // The old string's buffer, ready to be overwritten.
        assert!(slot.is_string());
        write_str(slot, "three");
        assert_eq!(
            entries.iter().collect::<Vec<_>>(),
            [("c", &Value::from("three"))]
        );
        entries.remove(0);
        assert_eq!(entries.len(), 0);
    }
}
