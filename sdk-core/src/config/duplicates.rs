//! Duplicate keys in a config document, attributed to what they break (docs/validation.md).
//!
//! JSON readers disagree on a repeated key (most keep the last value, some the first), so the
//! loader never guesses:
//! - a repeated top-level key (`"flags"` twice) or a repeated key inside the flag-set `metadata`
//!   (copied into every flag) makes the document invalid;
//! - a repeated key anywhere inside a flag, experiment, layer, holdout, policy or evaluator, or
//!   the entity's own key repeated in its section (two `"f"` flags), breaks that entity (and
//!   flags and audiences that `$ref` a broken evaluator); the rest of the config works;
//! - a repeated key inside an unknown (ignored) top-level field is a warning.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::json_checked::{steps_path, Members, Step, Tree};
use crate::json_path;

/// The sections made of named entities.
const ENTITY_SECTIONS: [&str; 6] = [
    "flags",
    "experiments",
    "layers",
    "holdouts",
    "policies",
    "$evaluators",
];

/// Where duplicate keys were found. Keeps one path per entity (its first duplicate), so memory is
/// bounded by the document's own size whatever the number of duplicates.
#[derive(Debug, Default)]
pub(super) struct Duplicates {
    /// The first duplicate that makes the document invalid, and how many there are.
    document: Option<String>,
    document_count: usize,
    /// Per section, entity key → the first duplicate path in it and whether it is the entity's
    /// own key that is repeated.
    entities: HashMap<&'static str, HashMap<String, (String, bool)>>,
    /// Flags of the array form (flagd's daemon schema), by index.
    flag_items: HashMap<usize, String>,
    /// Paths in ignored top-level fields, first one per field (in field order, for stable output).
    ignored: BTreeMap<String, String>,
}

/// The message of a repeated key inside an entity.
pub(super) const REPEATED_KEY: &str =
    "duplicate key: JSON readers disagree on which of the two values counts";

impl Duplicates {
    /// Records one duplicate, as [`crate::json_checked::parse_reporting`] reports it.
    pub(super) fn record(&mut self, parents: &[Step<'_>], key: &str) {
        let full_path = || {
            let mut path = steps_path(parents);
            json_path::push_key(&mut path, key);
            path
        };
        let section = match parents.first() {
            None => None,
            Some(Step::Key(first)) => Some(*first),
            // The root is an array: the document is rejected for that anyway.
            Some(Step::Index(_)) => return,
        };
        let Some(section) = section else {
            self.invalidate(full_path);
            return;
        };
        if let Some(&section) = ENTITY_SECTIONS.iter().find(|s| **s == section) {
            match parents.get(1) {
                // The entity's own key, repeated in its section.
                None => self.entity(section, key, full_path, true),
                Some(Step::Key(entity)) => self.entity(section, entity, full_path, false),
                Some(&Step::Index(i)) if section == "flags" => {
                    self.flag_items.entry(i).or_insert_with(full_path);
                }
                // A section of the wrong shape, rejected as such; nothing to attribute.
                Some(Step::Index(_)) => {}
            }
        } else if section == "metadata" {
            // Flag-set metadata is copied into every flag: no one entity to confine it to.
            self.invalidate(full_path);
        } else if !self.ignored.contains_key(section) {
            self.ignored.insert(section.to_owned(), full_path());
        }
    }

    fn invalidate(&mut self, path: impl FnOnce() -> String) {
        self.document_count += 1;
        if self.document.is_none() {
            self.document = Some(path());
        }
    }

    fn entity(
        &mut self,
        section: &'static str,
        entity: &str,
        path: impl FnOnce() -> String,
        own_key: bool,
    ) {
        let entities = self.entities.entry(section).or_default();
        if !entities.contains_key(entity) {
            entities.insert(entity.to_owned(), (path(), own_key));
        }
    }

    /// The message of the document-level error, if a duplicate makes the document invalid.
    pub(super) fn document_error(&self) -> Option<String> {
        let path = self.document.as_ref()?;
        let more = match self.document_count {
            0 | 1 => String::new(),
            n => format!(" ({} more like it)", n - 1),
        };
        Some(format!(
            "{path}: duplicate key: JSON readers disagree on which of the two values counts, so \
             the document is refused{more}"
        ))
    }

    /// The diagnostic `(path, message)` that breaks entity `key` of `section`, if it has one.
    pub(super) fn entity_error(&self, section: &str, key: &str) -> Option<(String, String)> {
        let (path, own_key) = self.entities.get(section)?.get(key)?;
        let message = if *own_key {
            "defined twice: JSON readers disagree on which definition counts".to_owned()
        } else {
            REPEATED_KEY.to_owned()
        };
        Some((path.clone(), message))
    }

    /// The path of the first duplicate inside the `index`th flag of the array form.
    pub(super) fn flag_item(&self, index: usize) -> Option<&str> {
        self.flag_items.get(&index).map(String::as_str)
    }

    /// Paths of duplicates inside ignored top-level fields, one per field.
    pub(super) fn ignored(&self) -> impl Iterator<Item = &str> {
        self.ignored.values().map(String::as_str)
    }

    /// The evaluators that cannot be trusted: those with a duplicate key, and those that `$ref`
    /// one of them, transitively. Each with the path of the duplicate behind it.
    pub(super) fn broken_evaluators(
        &self,
        evaluators: Option<Members<'_>>,
    ) -> HashMap<String, String> {
        let mut broken: HashMap<String, String> = self
            .entities
            .get("$evaluators")
            .map(|found| {
                found
                    .iter()
                    .map(|(name, (path, _))| (name.clone(), path.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let Some(evaluators) = evaluators.filter(|_| !broken.is_empty()) else {
            return broken;
        };
        // Who refers to whom, then a walk back from the broken ones: linear in the evaluators.
        let mut referrers: HashMap<String, Vec<&str>> = HashMap::new();
        for (name, rule) in evaluators {
            for target in refs(rule) {
                referrers.entry(target).or_default().push(name);
            }
        }
        let mut queue: Vec<(String, String)> =
            broken.iter().map(|(n, p)| (n.clone(), p.clone())).collect();
        while let Some((name, path)) = queue.pop() {
            for &referrer in referrers.get(&name).into_iter().flatten() {
                if !broken.contains_key(referrer) {
                    broken.insert(referrer.to_owned(), path.clone());
                    queue.push((referrer.to_owned(), path.clone()));
                }
            }
        }
        broken
    }
}

/// The `(path, message)` of a `$ref` in `rule` (found at `rule_path()`) to a broken evaluator.
/// Costs nothing when no evaluator is broken, the usual case.
pub(super) fn broken_ref(
    rule: Option<&Tree<'_>>,
    rule_path: impl FnOnce() -> String,
    broken: &HashMap<String, String>,
) -> Option<(String, String)> {
    if broken.is_empty() {
        return None;
    }
    let target = refs(rule?).into_iter().find(|t| broken.contains_key(t))?;
    let behind = broken.get(&target)?;
    Some((
        rule_path(),
        format!(
            "uses {}, which is broken by a duplicate key at {behind}",
            json_path::key("$evaluators", &target)
        ),
    ))
}

/// The evaluator names a rule `$ref`s, found without recursion.
fn refs(rule: &Tree<'_>) -> HashSet<String> {
    let mut names = HashSet::new();
    let mut stack = vec![rule];
    while let Some(value) = stack.pop() {
        match value {
            Tree::Object(map) => {
                if let Some(Tree::String(name)) = map.get("$ref") {
                    names.insert(name.to_string());
                }
                stack.extend(map.values());
            }
            Tree::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    names
}
