//! The one path resolver (DESIGN §7): JSON Logic `var` semantics for every context read —
//! targeting rules, experiment units and policy feature sources alike.
//!
//! A path is a list of segments; written as text it is split at dots (`user.id` is the `id` of
//! the object at `user`). A segment steps into an object by key, or into an array by an index
//! written in canonical decimal (`items.0`). A top-level key that itself contains a dot is not
//! reachable by a dotted path: `{"user.id": "u"}` has no value at `user.id`, exactly as
//! `{"var": "user.id"}` sees it.

use std::sync::Arc;

use serde_json::Value;

/// One step down: an object key, or an array index written in canonical decimal.
pub(crate) fn step<'v>(value: &'v Value, segment: &str) -> Option<&'v Value> {
    /// Objects up to this size are searched by scanning their keys: a scan beats hashing the
    /// key (SipHash) for the small maps contexts hold.
    const SCAN_MAX: usize = 16;
    match value {
        Value::Object(map) if map.len() <= SCAN_MAX => map
            .iter()
            .find(|(k, _)| k.as_str() == segment)
            .map(|(_, v)| v),
        Value::Object(map) => map.get(segment),
        Value::Array(items) => array_index(segment).and_then(|i| items.get(i)),
        _ => None,
    }
}

/// The index a segment names in an array: canonical decimal only (`0`, `12`; not `01`, `+1`).
pub(crate) fn array_index(segment: &str) -> Option<usize> {
    let canonical = !segment.is_empty()
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment.len() == 1 || !segment.starts_with('0'));
    if canonical {
        segment.parse().ok()
    } else {
        None
    }
}

/// Follows `segments` down from `value`.
pub(crate) fn walk<'v, 'p>(
    mut value: &'v Value,
    segments: impl IntoIterator<Item = &'p str>,
) -> Option<&'v Value> {
    for segment in segments {
        value = step(value, segment)?;
    }
    Some(value)
}

/// A dotted path read on every evaluation (an experiment's unit): split once and its first
/// segment hashed once, as compiled rules read their `var`s; [`crate::Context::resolve_path`]
/// reads it exactly as `resolve(dotted(text))` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HashedPath {
    text: Box<str>,
    segments: Box<[Box<str>]>,
    /// [`crate::hashing::key_hash`] of the first segment (0 when there is none).
    first_hash: u64,
}

impl HashedPath {
    pub(crate) fn new(text: &str) -> Self {
        let segments: Box<[Box<str>]> = dotted(text).map(Box::from).collect();
        let first_hash = segments
            .first()
            .map_or(0, |first| crate::hashing::key_hash(first.as_bytes()));
        Self {
            text: text.into(),
            segments,
            first_hash,
        }
    }

    /// The path as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// The first segment with its hash, and the rest; `None` for the empty path.
    pub(crate) fn split_first(&self) -> Option<((&str, u64), impl Iterator<Item = &str>)> {
        let (first, rest) = self.segments.split_first()?;
        Some(((&**first, self.first_hash), rest.iter().map(|s| &**s)))
    }
}

/// Splits a dotted path into its segments; `""` is no segments at all (the whole context).
pub(crate) fn dotted(path: &str) -> impl Iterator<Item = &str> + Clone {
    let mut parts = path.split('.');
    if path.is_empty() {
        parts.next();
    }
    parts
}

/// A parsed context path: segments shared cheaply (the snapshot's attribute table hands the
/// same names to every context it fills).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Path {
    segments: Box<[Arc<str>]>,
}

impl Path {
    /// A path from its segments, as written (no splitting).
    pub(crate) fn from_segments<'s>(segments: impl IntoIterator<Item = &'s str>) -> Self {
        Self {
            segments: segments.into_iter().map(Arc::from).collect(),
        }
    }

    pub(crate) fn segments(&self) -> &[Arc<str>] {
        &self.segments
    }

    /// Whether `self` is `other` or lies inside it (`user.id` inside `user`).
    pub(crate) fn starts_with(&self, other: &Path) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// The segments joined with dots.
    pub(crate) fn dotted(&self) -> String {
        let mut text = String::new();
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                text.push('.');
            }
            text.push_str(segment);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn steps_follow_var_semantics() {
        let data = json!({"user": {"id": "u1", "tags": ["a", "b"]}, "user.id": "literal"});
        assert_eq!(walk(&data, dotted("user.id")), Some(&json!("u1")));
        assert_eq!(walk(&data, dotted("user.tags.1")), Some(&json!("b")));
        assert_eq!(walk(&data, dotted("user.tags.01")), None);
        assert_eq!(walk(&data, dotted("user.tags.+1")), None);
        assert_eq!(walk(&data, dotted("")), Some(&data));
        assert_eq!(walk(&data, ["user.id"]), Some(&json!("literal")));
    }

    #[test]
    fn paths_parse_and_nest() {
        let path = Path::from_segments(dotted("user.id"));
        assert_eq!(path.dotted(), "user.id");
        assert_eq!(path.segments().len(), 2);
        assert!(path.starts_with(&Path::from_segments(dotted("user"))));
        assert!(!Path::from_segments(dotted("user")).starts_with(&path));
        assert!(Path::from_segments(dotted("")).segments().is_empty());
        assert_eq!(Path::from_segments(["a.b"]).segments().len(), 1);
    }
}
