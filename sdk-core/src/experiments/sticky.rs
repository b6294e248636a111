//! Sticky assignments: a unit keeps the variant it was first assigned while weights or layer
//! ranges change, until the experiment stops. The store lives in the client; the host persists
//! it as a compact snapshot (browser localStorage, mobile preferences).

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::bucketing;
use crate::error::{Error, ErrorKind};
use crate::hashing::{fast_map, FastMap};

/// Snapshot format version.
const SNAPSHOT_VERSION: u64 = 1;

/// What a sticky unit was assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StickyAssignment {
    pub(crate) variant: Box<str>,
    pub(crate) holdout: Option<Box<str>>,
}

#[derive(Debug, Clone)]
struct Entry {
    experiment: Box<str>,
    unit: Box<str>,
    assignment: StickyAssignment,
}

/// At most `capacity` assignments; when full, the oldest assignment is forgotten first.
#[derive(Debug, Clone)]
pub(crate) struct StickyStore {
    entries: FastMap<u64, Entry>,
    /// Keys in insertion order, for eviction. May hold keys already removed (skipped lazily).
    order: VecDeque<u64>,
    capacity: usize,
}

/// The key of an (experiment, unit) pair: the normative hash with the experiment as the salt,
/// so looking an assignment up allocates nothing.
fn key(experiment: &str, unit: &str) -> u64 {
    bucketing::hash(experiment, unit)
}

impl StickyStore {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: fast_map(0),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, experiment: &str, unit: &str) -> Option<&StickyAssignment> {
        self.entries
            .get(&key(experiment, unit))
            .filter(|e| &*e.experiment == experiment && &*e.unit == unit)
            .map(|e| &e.assignment)
    }

    pub(crate) fn put(&mut self, experiment: &str, unit: &str, assignment: StickyAssignment) {
        let k = key(experiment, unit);
        let entry = Entry {
            experiment: experiment.into(),
            unit: unit.into(),
            assignment,
        };
        if self.entries.insert(k, entry).is_none() {
            self.order.push_back(k);
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
        // Keys of removed entries linger in `order`; compact when they dominate.
        if self.order.len() > self.capacity * 2 {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
        }
    }

    /// Forgets every assignment of experiments for which `keep` is false (stopped or removed).
    pub(crate) fn retain_experiments(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.entries.retain(|_, e| keep(&e.experiment));
        let entries = &self.entries;
        self.order.retain(|k| entries.contains_key(k));
    }

    /// The snapshot: `{"v": 1, "assignments": [[experiment, unit, variant(, holdout)], ...]}`,
    /// oldest first.
    pub(crate) fn export(&self) -> Value {
        let assignments: Vec<Value> = self
            .order
            .iter()
            .filter_map(|k| self.entries.get(k))
            .map(|e| match &e.assignment.holdout {
                None => json!([e.experiment, e.unit, e.assignment.variant]),
                Some(h) => json!([e.experiment, e.unit, e.assignment.variant, h]),
            })
            .collect();
        json!({"v": SNAPSHOT_VERSION, "assignments": assignments})
    }

    /// Adds the assignments of a snapshot (later entries win; the capacity still applies).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidJson`] / [`ErrorKind::InvalidConfig`] for a malformed snapshot, with
    /// nothing imported.
    pub(crate) fn import(&mut self, snapshot: &str) -> Result<usize, Error> {
        let bad = |message: String| Error::new(ErrorKind::InvalidConfig, message);
        let value: Value = serde_json::from_str(snapshot)
            .map_err(|e| Error::new(ErrorKind::InvalidJson, format!("sticky snapshot: {e}")))?;
        if value.get("v").and_then(Value::as_u64) != Some(SNAPSHOT_VERSION) {
            return Err(bad(format!(
                "sticky snapshot: v must be {SNAPSHOT_VERSION}"
            )));
        }
        let Some(items) = value.get("assignments").and_then(Value::as_array) else {
            return Err(bad("sticky snapshot: assignments must be an array".into()));
        };
        let mut parsed = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let fields: Option<Vec<&str>> = item
                .as_array()
                .map(|a| a.iter().map(Value::as_str).collect())
                .and_then(|a: Option<Vec<&str>>| a);
            match fields.as_deref() {
                Some([experiment, unit, variant]) => {
                    parsed.push((*experiment, *unit, *variant, None))
                }
                Some([experiment, unit, variant, holdout]) => {
                    parsed.push((*experiment, *unit, *variant, Some(*holdout)));
                }
                _ => {
                    return Err(bad(format!(
                        "sticky snapshot: assignments[{i}] must be [experiment, unit, variant] or \
                         [experiment, unit, variant, holdout] strings"
                    )))
                }
            }
        }
        let count = parsed.len();
        for (experiment, unit, variant, holdout) in parsed {
            let assignment = StickyAssignment {
                variant: variant.into(),
                holdout: holdout.map(Into::into),
            };
            self.put(experiment, unit, assignment);
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(variant: &str) -> StickyAssignment {
        StickyAssignment {
            variant: variant.into(),
            holdout: None,
        }
    }

    #[test]
    fn keeps_at_most_capacity_forgetting_the_oldest() {
        let mut store = StickyStore::new(2);
        store.put("e", "u1", assignment("a"));
        store.put("e", "u2", assignment("b"));
        store.put("e", "u3", assignment("c"));
        assert_eq!(store.len(), 2);
        assert_eq!(store.get("e", "u1"), None);
        assert_eq!(store.get("e", "u3"), Some(&assignment("c")));
        for n in 0..10_000 {
            store.put("e", &format!("x{n}"), assignment("a"));
        }
        assert_eq!(store.len(), 2);
        assert!(store.order.len() <= 4);
    }

    #[test]
    fn snapshot_round_trips() {
        let mut store = StickyStore::new(10);
        store.put("e1", "u1", assignment("a"));
        store.put(
            "e2",
            "u1",
            StickyAssignment {
                variant: "control".into(),
                holdout: Some("h".into()),
            },
        );
        let snapshot = store.export().to_string();
        assert_eq!(
            snapshot,
            r#"{"v":1,"assignments":[["e1","u1","a"],["e2","u1","control","h"]]}"#
        );
        let mut copy = StickyStore::new(10);
        assert_eq!(copy.import(&snapshot), Ok(2));
        assert_eq!(copy.get("e2", "u1"), store.get("e2", "u1"));
        assert_eq!(copy.get("e1", "u1"), Some(&assignment("a")));
    }

    #[test]
    fn malformed_snapshots_import_nothing() {
        let mut store = StickyStore::new(10);
        assert!(store.import("[]").is_err());
        assert!(store.import(r#"{"v": 2, "assignments": []}"#).is_err());
        assert!(store
            .import(r#"{"v": 1, "assignments": [["e", "u", "a"], ["e", 1, "a"]]}"#)
            .is_err());
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn retain_forgets_stopped_experiments() {
        let mut store = StickyStore::new(10);
        store.put("keep", "u", assignment("a"));
        store.put("stop", "u", assignment("b"));
        store.retain_experiments(|e| e == "keep");
        assert_eq!(store.len(), 1);
        assert_eq!(store.get("stop", "u"), None);
    }
}
