//! The attribute table of a snapshot: every context path its rules, experiments and policies
//! read, so that a host passes only those, as (attribute index, typed value) pairs.

use std::hash::Hasher;

use super::path::Path;
use crate::hashing::{FastMap, KeyHasher};

/// One attribute a snapshot reads: a context path (JSON Logic `var` semantics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributePath {
    path: Path,
    text: Box<str>,
    /// [`crate::hashing::key_hash`] of the first segment, so that filling a context by index
    /// hashes no names (0 for a path without segments).
    first_hash: u64,
}

impl AttributePath {
    /// The path's segments, as a host walks its own object to find the value (`["user",
    /// "id"]`); an array element is a segment in canonical decimal (`"0"`).
    pub fn segments(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.path.segments().iter().map(|s| &**s)
    }

    /// The path as dotted text (`user.id`). A segment may itself hold a dot when a rule wrote
    /// it with `val`; [`AttributePath::segments`] is exact.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn first_hash(&self) -> u64 {
        self.first_hash
    }
}

/// The context paths a snapshot reads, in a stable order (sorted by segments), without paths
/// that another listed path contains (`user` makes `user.id` redundant).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    paths: Vec<AttributePath>,
    reads_whole: bool,
}

impl Attributes {
    /// The number of attribute paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The attribute at `index`.
    pub fn get(&self, index: usize) -> Option<&AttributePath> {
        self.paths.get(index)
    }

    /// Every attribute path, by index.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &AttributePath> + '_ {
        self.paths.iter()
    }

    /// The index of the attribute written `dotted` (`"user.id"`).
    pub fn index_of(&self, dotted: &str) -> Option<usize> {
        self.paths.iter().position(|p| p.as_str() == dotted)
    }

    /// `true` when some rule reads a path it cannot name ahead of time (a computed `var` path,
    /// the whole context): a host must then pass the whole context, not only the listed paths.
    pub fn reads_whole_context(&self) -> bool {
        self.reads_whole
    }
}

/// Collects the paths while a snapshot is built.
#[derive(Debug, Default)]
pub(crate) struct AttributesBuilder {
    /// Each path once, in the order first met.
    paths: Vec<Path>,
    /// Positions in `paths` by a hash of their segments: most rules of a config read the same
    /// few attributes, and a path met again is found without building it.
    by_hash: FastMap<u64, Vec<usize>>,
    reads_whole: bool,
}

impl AttributesBuilder {
    pub(crate) fn add_dotted(&mut self, dotted: &str) {
        self.add_segments(super::path::dotted(dotted));
    }

    /// A path by its segments; none is the whole context.
    fn add_segments<'s>(&mut self, segments: impl Iterator<Item = &'s str> + Clone) {
        if segments.clone().next().is_none() {
            self.reads_whole = true;
            return;
        }
        let mut hasher = KeyHasher::default();
        for segment in segments.clone() {
            // The separator keeps ["ab"] and ["a", "b"] apart.
            hasher.write(segment.as_bytes());
            hasher.write_u8(0xff);
        }
        let positions = self.by_hash.entry(hasher.finish()).or_default();
        let known = positions.iter().any(|&i| {
            self.paths
                .get(i)
                .is_some_and(|p| p.segments().iter().map(|s| &**s).eq(segments.clone()))
        });
        if !known {
            positions.push(self.paths.len());
            self.paths.push(Path::from_segments(segments));
        }
    }

    /// Every root path a targeting rule reads.
    #[cfg(feature = "config")]
    pub(crate) fn add_rule(&mut self, rule: &crate::targeting::Rule) {
        self.reads_whole |= rule.visit_root_paths(self);
    }

    pub(crate) fn build(self) -> Attributes {
        // Sorted order puts a path right before the paths inside it.
        let sorted = crate::sort::sort_by(self.paths, Path::cmp);
        let mut paths: Vec<AttributePath> = Vec::with_capacity(sorted.len());
        let mut kept: Option<Path> = None;
        for path in sorted {
            if kept.as_ref().is_some_and(|outer| path.starts_with(outer)) {
                continue;
            }
            kept = Some(path.clone());
            let text = path.dotted().into_boxed_str();
            let first_hash = path
                .segments()
                .first()
                .map_or(0, |first| crate::hashing::key_hash(first.as_bytes()));
            paths.push(AttributePath {
                path,
                text,
                first_hash,
            });
        }
        Attributes {
            paths,
            reads_whole: self.reads_whole,
        }
    }
}

#[cfg(feature = "config")]
impl crate::targeting::PathSink for AttributesBuilder {
    fn path<'p>(&mut self, segments: impl Iterator<Item = &'p str> + Clone) {
        self.add_segments(segments);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_without_contained_paths() {
        let mut builder = AttributesBuilder::default();
        for path in [
            "user.id",
            "country",
            "user",
            "age",
            "country",
            "user.plan",
            "b.c.d",
        ] {
            builder.add_dotted(path);
        }
        let attributes = builder.build();
        let listed: Vec<&str> = attributes.iter().map(AttributePath::as_str).collect();
        assert_eq!(listed, ["age", "b.c.d", "country", "user"]);
        assert!(!attributes.reads_whole_context());
        assert_eq!(attributes.index_of("country"), Some(2));
        let segments: Vec<&str> = attributes.get(1).unwrap().segments().collect();
        assert_eq!(segments, ["b", "c", "d"]);
    }

    #[test]
    fn the_empty_path_means_the_whole_context() {
        let mut builder = AttributesBuilder::default();
        builder.add_dotted("");
        assert!(builder.build().reads_whole_context());
    }
}
