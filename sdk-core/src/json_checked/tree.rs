//! The parse's own value: a JSON tree in an arena, whose strings borrow from the document text.
//!
//! A config is read once and compiled; building serde_json's `Value` for it first cost an
//! allocation per key, string, array and object, an `IndexMap` (with a SipHash per key) per
//! object, and as much again to free it all: about 40 % of loading a 1,000-flag config. A
//! [`Tree`] lives in a [`Bump`] arena the caller owns: its arrays and objects are slices in it,
//! its strings are slices of the text (or, with escapes, decoded into the arena), so the parse
//! makes a handful of large allocations and dropping the tree is dropping the arena. Objects
//! are small and read a few times each, so a member is found by a linear scan. The config
//! loader and the rule compiler read trees; [`Tree::to_value`] makes the `serde_json::Value` of
//! the parts that are kept (variant values, metadata, literals).
//!
//! The accessors are named as serde_json's, so code reads the same over either.

pub(crate) use bumpalo::Bump;
use serde_json::{Map, Number, Value};

/// A JSON value in an arena, borrowing from the text it was parsed from. Nothing in it needs
/// dropping (the arena does not run destructors).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(&'a [Tree<'a>]),
    Object(Members<'a>),
}

/// An object's members in document order, each key once (the parse keeps the last of two
/// equal keys at the first one's place, as serde_json does).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Members<'a> {
    pub(super) entries: &'a [(&'a str, Tree<'a>)],
    /// See [`Members::source`].
    pub(super) source: &'a str,
}

impl<'a> Members<'a> {
    /// The object's text as the document writes it, from `{` to `}`; empty for an object
    /// that was not parsed (see [`Tree::borrowed`]). Two objects with the same text are the
    /// same JSON.
    pub(crate) fn source(self) -> &'a str {
        self.source
    }

    pub(crate) fn len(self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(self) -> bool {
        self.entries.is_empty()
    }

    /// The value of member `key`.
    pub(crate) fn get(self, key: &str) -> Option<&'a Tree<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn iter(self) -> impl ExactSizeIterator<Item = (&'a str, &'a Tree<'a>)> {
        self.into_iter()
    }

    pub(crate) fn keys(self) -> impl ExactSizeIterator<Item = &'a str> {
        self.entries.iter().map(|(key, _)| *key)
    }

    pub(crate) fn values(self) -> impl ExactSizeIterator<Item = &'a Tree<'a>> {
        self.entries.iter().map(|(_, value)| value)
    }

    /// A serde_json map as members in `arena`, each value as [`Tree::borrowed`] makes it.
    pub(crate) fn borrowed(
        map: &'a Map<String, Value>,
        max_levels: usize,
        arena: &'a Bump,
    ) -> Self {
        let members = map
            .iter()
            .map(|(key, value)| (key.as_str(), Tree::borrowed(value, max_levels, arena)));
        Members {
            entries: arena.alloc_slice_fill_iter(members),
            source: "",
        }
    }

    /// The object as serde_json's map, in the same order.
    pub(crate) fn to_map(self) -> Map<String, Value> {
        let mut map = Map::with_capacity(self.entries.len());
        for (key, value) in self.entries {
            map.insert((*key).to_owned(), value.to_value());
        }
        map
    }
}

impl<'a> IntoIterator for Members<'a> {
    type Item = (&'a str, &'a Tree<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (&'a str, Tree<'a>)>,
        fn(&'a (&'a str, Tree<'a>)) -> (&'a str, &'a Tree<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(key, value)| (*key, value))
    }
}

impl<'a> IntoIterator for &Members<'a> {
    type Item = (&'a str, &'a Tree<'a>);
    type IntoIter = <Members<'a> as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        (*self).into_iter()
    }
}

impl<'a> Tree<'a> {
    /// Object member `key` (`None` for a non-object too).
    pub(crate) fn get(&self, key: &str) -> Option<&'a Tree<'a>> {
        self.as_object()?.get(key)
    }

    pub(crate) fn as_object(&self) -> Option<Members<'a>> {
        match self {
            Tree::Object(members) => Some(*members),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&'a [Tree<'a>]> {
        match self {
            Tree::Array(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&'a str> {
        match self {
            Tree::String(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_number(&self) -> Option<&Number> {
        match self {
            Tree::Number(n) => Some(n),
            _ => None,
        }
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        self.as_number()?.as_f64()
    }

    pub(crate) fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Tree::Null)
    }

    pub(crate) fn is_array(&self) -> bool {
        matches!(self, Tree::Array(_))
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Tree::Object(_))
    }

    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Tree::String(_))
    }

    /// The JSON type, as messages name it ("a string", "an object").
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Tree::Null => "null",
            Tree::Bool(_) => "a boolean",
            Tree::Number(_) => "a number",
            Tree::String(_) => "a string",
            Tree::Array(_) => "an array",
            Tree::Object(_) => "an object",
        }
    }

    /// The same value as serde_json's. Without recursion, like the parse: a value may nest as
    /// deep as [`super::MAX_DEPTH`], and converting it must not need the stack for that.
    pub(crate) fn to_value(&self) -> Value {
        convert(
            self,
            |tree, _| match tree {
                Tree::Null => Shape::Done(Value::Null),
                Tree::Bool(b) => Shape::Done(Value::Bool(*b)),
                Tree::Number(n) => Shape::Done(Value::Number(n.clone())),
                Tree::String(text) => Shape::Done(Value::String((*text).to_owned())),
                Tree::Array(items) => Shape::Array(items),
                Tree::Object(members) => {
                    Shape::Object(members.entries.iter().map(|(key, value)| (*key, value)))
                }
            },
            Value::Array,
            |members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            },
        )
    }

    /// A tree over serde_json's value, borrowing its strings, for callers that hold a `Value`
    /// (the public rule compiler). A caller's value may nest deeper than any parsed document,
    /// and the tree is dropped recursively, so containers more than `max_levels` deep are not
    /// copied: each becomes a stand-in that reads the same to a compiler that stops at a
    /// shallower depth (an object where the original holds an object somewhere, which keeps
    /// an enclosing array from looking like a literal; else a non-empty array). The copy
    /// itself uses no recursion.
    pub(crate) fn borrowed(value: &'a Value, max_levels: usize, arena: &'a Bump) -> Self {
        convert(
            value,
            |value, level| match value {
                Value::Null => Shape::Done(Tree::Null),
                Value::Bool(b) => Shape::Done(Tree::Bool(*b)),
                Value::Number(n) => Shape::Done(Tree::Number(n.clone())),
                Value::String(text) => Shape::Done(Tree::String(text)),
                container if level > max_levels => Shape::Done(stand_in(container, arena)),
                Value::Array(items) => Shape::Array(items),
                Value::Object(map) => Shape::Object(map.iter().map(|(key, value)| (&**key, value))),
            },
            |items| Tree::Array(arena.alloc_slice_fill_iter(items)),
            |members| {
                let entries = arena.alloc_slice_fill_iter(members);
                Tree::Object(Members {
                    entries,
                    source: "",
                })
            },
        )
    }
}

/// What [`convert`] finds a source value to be.
enum Shape<'s, S, T, M> {
    /// Converted already (a scalar, or a container it does not descend into).
    Done(T),
    Array(&'s [S]),
    /// An object's members, as `(key, value)` pairs.
    Object(M),
}

/// Converts one JSON tree into another without recursion (a heap stack of open containers):
/// `shape(value, level)` says what a value at `level` (the root is 1) is, `array` and `object`
/// build a container from its converted items or members, in order.
fn convert<'s, S, T, M>(
    root: &'s S,
    mut shape: impl FnMut(&'s S, usize) -> Shape<'s, S, T, M>,
    mut array: impl FnMut(Vec<T>) -> T,
    mut object: impl FnMut(Vec<(&'s str, T)>) -> T,
) -> T
where
    M: Iterator<Item = (&'s str, &'s S)>,
{
    enum Open<'s, S, T, M> {
        Array(std::slice::Iter<'s, S>, Vec<T>),
        /// The members to convert, those converted, and the key of the one being converted.
        Object(M, Vec<(&'s str, T)>, &'s str),
    }
    let mut open: Vec<Open<'s, S, T, M>> = Vec::new();
    let mut next = root;
    loop {
        // `None` when `next` opened a container, which has nothing to receive yet.
        let mut done = match shape(next, open.len() + 1) {
            Shape::Done(value) => Some(value),
            Shape::Array(items) => {
                open.push(Open::Array(items.iter(), Vec::with_capacity(items.len())));
                None
            }
            Shape::Object(members) => {
                let (len, _) = members.size_hint();
                open.push(Open::Object(members, Vec::with_capacity(len), ""));
                None
            }
        };
        // Hand the finished value to its container, closing every container it completes.
        loop {
            let following = match open.last_mut() {
                None => match done {
                    Some(value) => return value,
                    // Unreachable: a container is only closed with its stack entry.
                    None => return array(Vec::new()),
                },
                Some(Open::Array(items, built)) => {
                    built.extend(done.take());
                    items.next()
                }
                Some(Open::Object(members, built, key)) => {
                    if let Some(value) = done.take() {
                        built.push((*key, value));
                    }
                    members.next().map(|(name, value)| {
                        *key = name;
                        value
                    })
                }
            };
            if let Some(value) = following {
                next = value;
                break;
            }
            done = match open.pop() {
                Some(Open::Array(_, built)) => Some(array(built)),
                Some(Open::Object(_, built, _)) => Some(object(built)),
                None => None,
            };
        }
    }
}

/// What [`Tree::borrowed`] keeps of a container past its depth: whether it holds an object
/// anywhere, and that it is not empty.
fn stand_in<'a>(container: &Value, arena: &'a Bump) -> Tree<'a> {
    let mut stack = vec![container];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(_) => return Tree::Object(Members::default()),
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    Tree::Array(arena.alloc_slice_fill_iter([Tree::Null]))
}
