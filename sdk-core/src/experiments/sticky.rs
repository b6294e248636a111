//! Sticky assignments: a unit keeps the variant it was first assigned while weights or layer
//! ranges change, until the experiment stops. The store lives in the client beside the snapshot
//! and survives updates; the host persists it as a compact snapshot (browser localStorage,
//! mobile preferences).
//!
//! When assignments are forgotten (DESIGN §6; issue "a core that cannot lose data"):
//! - an experiment the config marks `stopped` forgets them at the next update;
//! - an experiment that is broken in the config (a typo in its allocation) or paused (`draft`)
//!   keeps them: fixing it must not re-randomise its units;
//! - an experiment missing from the config keeps them for [`ABSENT_GRACE_MILLIS`] of host time
//!   (a rollback, a config split across deploys), counted from the first update that lacked it;
//!   an update after that forgets them, as an experiment gone for good;
//! - the store holds at most its capacity; when full, the oldest assignment goes first.

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::bucketing::hash_parts_seeded;
#[cfg(feature = "config")]
use crate::clock::Timestamp;
#[cfg(feature = "config")]
use crate::config::{Config, ExperimentStatus};
use crate::error::{Error, ErrorKind};
use crate::hashing::{fast_map, FastMap};

/// Snapshot format version.
const SNAPSHOT_VERSION: u64 = 1;

/// The nesting of a snapshot: the object, its list, one assignment (a list of strings).
const SNAPSHOT_DEPTH: usize = 3;

/// How long an experiment may be missing from the config before its assignments are forgotten:
/// one day of host time.
pub(crate) const ABSENT_GRACE_MILLIS: i64 = 24 * 60 * 60 * 1000;

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
    /// Keys the hash of (experiment, unit) pairs (host entropy).
    seed: u64,
    /// Experiments with assignments that the config lacked, since when (milliseconds of host
    /// time).
    absent_since: FastMap<Box<str>, i64>,
}

impl StickyStore {
    pub(crate) fn new(capacity: usize, seed: u64) -> Self {
        Self {
            entries: fast_map(0),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            seed,
            absent_since: fast_map(0),
        }
    }

    /// The key of an (experiment, unit) pair: a seeded hash, so looking an assignment up
    /// allocates nothing and crafted units cannot collide on purpose.
    fn key(&self, experiment: &str, unit: &str) -> u64 {
        hash_parts_seeded(&[experiment.as_bytes(), &[0], unit.as_bytes()], self.seed)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, experiment: &str, unit: &str) -> Option<&StickyAssignment> {
        self.entries
            .get(&self.key(experiment, unit))
            .filter(|e| &*e.experiment == experiment && &*e.unit == unit)
            .map(|e| &e.assignment)
    }

    pub(crate) fn put(&mut self, experiment: &str, unit: &str, assignment: StickyAssignment) {
        let k = self.key(experiment, unit);
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
        // Keys of removed entries linger in `order`; compact when they dominate. (`capacity`
        // is clamped far below usize::MAX / 2 by the client.)
        if self.order.len() > self.capacity.saturating_mul(2) {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
        }
    }

    /// Applies a new config (see the module docs): forgets the assignments of stopped
    /// experiments and of experiments missing for longer than the grace period.
    #[cfg(feature = "config")]
    pub(crate) fn retain_for(&mut self, config: &Config, now: Timestamp) {
        let mut forget: Vec<Box<str>> = Vec::new();
        let mut seen: FastMap<&str, ()> = fast_map(0);
        for entry in self.entries.values() {
            if seen.insert(&entry.experiment, ()).is_some() {
                continue;
            }
            match config.experiment_status(&entry.experiment) {
                Some(Some(ExperimentStatus::Stopped)) => forget.push(entry.experiment.clone()),
                Some(_) => {}
                None => {
                    let since = *self
                        .absent_since
                        .entry(entry.experiment.clone())
                        .or_insert(now.unix_millis());
                    if now.unix_millis().saturating_sub(since) > ABSENT_GRACE_MILLIS {
                        forget.push(entry.experiment.clone());
                    }
                }
            }
        }
        self.absent_since
            .retain(|experiment, _| config.experiment_status(experiment).is_none());
        if forget.is_empty() {
            return;
        }
        let forget: FastMap<Box<str>, ()> = forget.into_iter().map(|e| (e, ())).collect();
        self.entries
            .retain(|_, e| !forget.contains_key(&e.experiment));
        for experiment in forget.keys() {
            self.absent_since.remove(experiment);
        }
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

    /// Adds the assignments of a snapshot (later entries win; the capacity still applies) and
    /// returns how many of them the store holds afterwards. Entries of experiments `stopped`
    /// says are stopped, and entries whose unit is empty or over `max_unit_bytes`, are skipped.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidJson`] / [`ErrorKind::InvalidConfig`] for a malformed snapshot, with
    /// nothing imported.
    pub(crate) fn import(
        &mut self,
        snapshot: &str,
        max_unit_bytes: usize,
        stopped: impl Fn(&str) -> bool,
    ) -> Result<usize, Error> {
        let bad = |message: String| Error::new(ErrorKind::InvalidConfig, message);
        // An object of arrays of strings: a few levels deep, and no key repeated.
        let value =
            crate::json_checked::parse_unique(snapshot, SNAPSHOT_DEPTH, "sticky snapshot: ")?;
        if value.get("v").and_then(Value::as_u64) != Some(SNAPSHOT_VERSION) {
            return Err(bad(format!(
                "sticky snapshot: v must be {SNAPSHOT_VERSION}"
            )));
        }
        let Some(items) = value.get("assignments").and_then(Value::as_array) else {
            return Err(bad("sticky snapshot: assignments must be an array".into()));
        };
        let mut parsed = Vec::with_capacity(items.len().min(self.capacity));
        for (i, item) in items.iter().enumerate() {
            let fields: Option<Vec<&str>> = item
                .as_array()
                .filter(|a| a.len() <= 4)
                .and_then(|a| a.iter().map(Value::as_str).collect());
            let entry = match fields.as_deref() {
                Some([experiment, unit, variant]) => (*experiment, *unit, *variant, None),
                Some([experiment, unit, variant, holdout]) => {
                    (*experiment, *unit, *variant, Some(*holdout))
                }
                _ => {
                    return Err(bad(format!(
                        "sticky snapshot: assignments[{i}] must be [experiment, unit, variant] or \
                         [experiment, unit, variant, holdout] strings"
                    )))
                }
            };
            parsed.push(entry);
        }
        let usable = |(experiment, unit, _, _): &(&str, &str, &str, Option<&str>)| {
            !unit.is_empty() && unit.len() <= max_unit_bytes && !stopped(experiment)
        };
        // Only the newest `capacity` usable entries could stay; the older ones are never put.
        let usable: Vec<_> = parsed.into_iter().filter(usable).collect();
        let skip = usable.len().saturating_sub(self.capacity);
        let mut keys: FastMap<u64, ()> = fast_map(usable.len() - skip);
        for (experiment, unit, variant, holdout) in usable.into_iter().skip(skip) {
            keys.insert(self.key(experiment, unit), ());
            self.put(
                experiment,
                unit,
                StickyAssignment {
                    variant: variant.into(),
                    holdout: holdout.map(Into::into),
                },
            );
        }
        Ok(keys.keys().filter(|k| self.entries.contains_key(k)).count())
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
        let mut store = StickyStore::new(2, 7);
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
        let mut store = StickyStore::new(10, 1);
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
        // Another seed: the same assignments under other keys.
        let mut copy = StickyStore::new(10, 2);
        assert_eq!(copy.import(&snapshot, 1024, |_| false), Ok(2));
        assert_eq!(copy.get("e2", "u1"), store.get("e2", "u1"));
        assert_eq!(copy.get("e1", "u1"), Some(&assignment("a")));
    }

    #[test]
    fn malformed_snapshots_import_nothing() {
        let mut store = StickyStore::new(10, 0);
        assert!(store.import("[]", 1024, |_| false).is_err());
        assert!(store
            .import(r#"{"v": 2, "assignments": []}"#, 1024, |_| false)
            .is_err());
        assert!(store
            .import(
                r#"{"v": 1, "assignments": [["e", "u", "a"], ["e", 1, "a"]]}"#,
                1024,
                |_| false
            )
            .is_err());
        assert_eq!(store.len(), 0);
    }

    /// Issue 8, item 8: a 1,000,000-entry snapshot returned Ok(1000000) while 10,000 were kept.
    #[test]
    fn import_counts_what_is_kept() {
        let mut store = StickyStore::new(100, 3);
        let entries: Vec<Value> = (0..1000)
            .map(|i| json!(["e", format!("u{i}"), "a"]))
            .chain([
                json!(["stopped", "u", "a"]),
                json!(["e", "x".repeat(2000), "a"]),
            ])
            .collect();
        let snapshot = json!({"v": 1, "assignments": entries}).to_string();
        let kept = store.import(&snapshot, 1024, |e| e == "stopped").unwrap();
        assert_eq!(kept, 100);
        assert_eq!(store.len(), 100);
        assert_eq!(store.get("e", "u999"), Some(&assignment("a")));
        assert_eq!(store.get("e", "u899"), None);
        assert_eq!(store.get("stopped", "u"), None);
    }
}
