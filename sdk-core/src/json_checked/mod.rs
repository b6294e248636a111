//! The one JSON parse for documents the core reads: configs, and (for the evaluation layer)
//! precomputed payloads and sticky snapshots. It builds a [`Tree`] that borrows its strings
//! from the text (the config loader reads that), whose [`Tree::to_value`] is the same `Value`
//! as `serde_json::from_str::<Value>` (same numbers, strings and key order) and differs in two
//! ways.
//!
//! **Duplicate keys are reported.** serde_json, Go's `encoding/json` (flagd) and JavaScript's
//! `JSON.parse` all keep the *last* of two equal keys in one object without a word, and other
//! parsers keep the first; a document that repeats a key means different things to different
//! readers, and a config with two `"f"` flags or `"state": "ENABLED", "state": "DISABLED"` would
//! silently serve one of them. This parse keeps serde_json's value (the last one wins, at the
//! position of the first key) and reports every repeated key with the JSON path of the object
//! holding it, so each caller decides what a duplicate means for it.
//!
//! **Nesting costs no stack.** The parser keeps the open objects and arrays on a heap stack
//! instead of recursing (serde_json recurses, about 2.7 KiB of stack per level in a debug build,
//! and stops at 128 levels to protect the stack; realistic flagd files nest deeper: a 100-deep
//! `if` chain is about 206 levels). The depth limit is checked before each object or array is
//! opened and is capped at [`MAX_DEPTH`], so every later recursion over the value (drop, clone,
//! walks, serialization) is bounded by that number too.
//!
//! Entry points: [`parse_checked`] returns the value with the paths of its duplicate keys (a
//! bounded list, for callers that reject any duplicate); [`parse_reporting`] returns the tree
//! and hands each duplicate to a callback as path steps, for callers that attribute duplicates
//! to parts of the document (the config loader breaks the entity that holds one). Strings with escapes and
//! numbers with a fraction or exponent are decoded by serde_json and Rust's float parser, so
//! their values are exactly serde_json's.

use serde_json::{Number, Value};

use crate::error::{Error, ErrorKind};
use crate::hashing::{fast_map, FastMap};
use crate::json_path;

mod tree;

pub(crate) use tree::{Bump, Members, Tree};

/// The deepest nesting any caller may ask for. The parse itself uses no stack per level; what
/// bounds this is recursion over the parsed value elsewhere: `Value`'s drop and clone, serde
/// serialization and walks of rules, about 1–2 KiB per level in a debug build. At 256 levels a
/// document loads on a 512 KiB thread stack (tested), and a flagd `if` chain 100 deep fits.
pub(crate) const MAX_DEPTH: usize = 256;

/// How many duplicate-key paths [`parse_checked`] keeps; the rest are only counted.
pub(crate) const MAX_REPORTED_DUPLICATES: usize = 64;

/// The longest path [`parse_checked`] keeps for one duplicate (and the longest path an error
/// message shows), in bytes; longer ones are cut at a character boundary and end in `…`. Bounds
/// what a hostile document (long keys repeated under a long path) can make a report take.
const MAX_REPORTED_PATH_BYTES: usize = 512;

/// One step of a JSON path: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// A member of an object, by key.
    Key(&'a str),
    /// An element of an array, by index.
    Index(usize),
}

/// The outcome of [`parse_checked`].
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The document. Of two equal keys in one object the last value is kept, at the position of
    /// the first key (serde_json's rule with `preserve_order`).
    pub(crate) value: Value,
    /// The JSON path of each repeated key (`flags.f`, `flags.f.state`, `items[2].id`), in the
    /// order the parse met them (an object's members before the object's own key), one entry per
    /// repetition: at most [`MAX_REPORTED_DUPLICATES`] of them.
    pub(crate) duplicates: Vec<String>,
    /// How many repeated keys the document has in all (`>= duplicates.len()`).
    pub(crate) duplicate_count: usize,
}

/// Parses `text` as one JSON value nested at most `max_depth` objects and arrays deep (the root
/// container is level 1; values above [`MAX_DEPTH`] act as [`MAX_DEPTH`]), collecting the paths
/// of duplicate keys.
///
/// # Errors
/// [`ErrorKind::InvalidJson`] (`$: not valid JSON: ... at line L column C`) when the text is not
/// one JSON value, and [`ErrorKind::LimitExceeded`] (`<path>: JSON nesting is deeper than the
/// limit of N levels`, the path of the first container past the limit) when it nests too deep.
pub(crate) fn parse_checked(text: &str, max_depth: usize) -> Result<Checked, Error> {
    let mut duplicates = Vec::new();
    let mut duplicate_count = 0usize;
    let arena = Bump::new();
    let tree = parse_reporting(text, &arena, max_depth, &mut |parents, key| {
        duplicate_count += 1;
        if duplicates.len() < MAX_REPORTED_DUPLICATES {
            let mut path = steps_path(parents);
            json_path::push_key(&mut path, key);
            duplicates.push(shorten(path, MAX_REPORTED_PATH_BYTES));
        }
    })?;
    Ok(Checked {
        value: tree.to_value(),
        duplicates,
        duplicate_count,
    })
}

/// Parses a document in which no key may repeat (precomputed payloads, sticky snapshots): the
/// value, or an [`ErrorKind::InvalidConfig`] naming the first repeated key's path after `what`.
///
/// # Errors
/// As [`parse_checked`], and a repeated key.
pub(crate) fn parse_unique(text: &str, max_depth: usize, what: &str) -> Result<Value, Error> {
    let checked = parse_checked(text, max_depth)?;
    match (checked.duplicates.first(), checked.duplicate_count) {
        (None, _) => Ok(checked.value),
        (Some(path), 1) => Err(Error::new(
            ErrorKind::InvalidConfig,
            format!("{what}{path}: a key appears twice in one object"),
        )),
        (Some(path), count) => Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "{what}{path}: a key appears twice in one object ({count} repeated keys in all)"
            ),
        )),
    }
}

/// Parses `text` like [`parse_checked`] into a [`Tree`] in `arena` borrowing from it, calling
/// `on_duplicate(parents, key)` for each key that repeats an earlier key of the same object:
/// `parents` are the steps from the root to that object, `key` the repeated key. Nothing is
/// kept about duplicates beyond what the callback keeps, so a document with a million of them
/// costs a million calls and no memory.
///
/// # Errors
/// As [`parse_checked`].
pub(crate) fn parse_reporting<'t>(
    text: &'t str,
    arena: &'t Bump,
    max_depth: usize,
    on_duplicate: &mut dyn FnMut(&[Step<'_>], &str),
) -> Result<Tree<'t>, Error> {
    let mut parser = Parser {
        text,
        arena,
        pos: 0,
        max_depth: max_depth.min(MAX_DEPTH),
        open: Vec::new(),
        elements: Vec::new(),
        members: Vec::new(),
    };
    parser.parse(on_duplicate).map_err(|failure| match failure {
        Failure::TooDeep(path) => Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "{}: JSON nesting is deeper than the limit of {} levels",
                shorten(path, MAX_REPORTED_PATH_BYTES),
                parser.max_depth
            ),
        ),
        Failure::Syntax(what, at) => {
            let (line, column) = line_and_column(text, at);
            Error::new(
                ErrorKind::InvalidJson,
                format!("$: not valid JSON: {what} at line {line} column {column}"),
            )
        }
    })
}

/// The JSON path of `steps` (`$` for the root), in [`json_path`]'s notation.
pub(crate) fn path_of(steps: &[Step<'_>]) -> String {
    let path = steps_path(steps);
    if path.is_empty() {
        "$".to_owned()
    } else {
        path
    }
}

/// The JSON path of `steps`, empty for the root (the form [`json_path`]'s helpers extend).
pub(crate) fn steps_path(steps: &[Step<'_>]) -> String {
    let mut path = String::new();
    for step in steps {
        match *step {
            Step::Key(key) => json_path::push_key(&mut path, key),
            Step::Index(index) => json_path::push_index(&mut path, index),
        }
    }
    path
}

/// `path` cut to at most `max` bytes (at a character boundary, ending in `…`).
fn shorten(mut path: String, max: usize) -> String {
    if path.len() > max {
        let mut end = max.saturating_sub('…'.len_utf8());
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path.truncate(end);
        path.push('…');
    }
    path
}

/// 1-based line and column (in characters) of byte offset `at`, as serde_json reports them.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |l| l.chars().count());
    (line, column.max(1))
}

/// Why a parse stopped.
enum Failure {
    /// Nesting past the limit, at this path (the container that would open).
    TooDeep(String),
    /// Not JSON: what was wrong, and the byte offset where.
    Syntax(&'static str, usize),
}

/// An object or array being parsed. Their elements and members wait on the parser's two
/// scratch stacks and move into the arena, as a slice of their exact size, when the container
/// closes.
enum Open<'t> {
    /// Where its elements start on the element stack.
    Array(usize),
    Object(Object<'t>),
}

/// Objects with more members than this find a repeated key through a hash index; smaller ones
/// (nearly all of a config's) compare the keys, which is cheaper than hashing them.
const SCAN_MEMBERS: usize = 16;

/// An object being parsed.
struct Object<'t> {
    /// Where its members start on the member stack.
    start: usize,
    /// Where its `{` is in the text.
    opened_at: usize,
    /// The key whose value is being parsed.
    key: &'t str,
    /// Member positions (from `start`) by key, once the object outgrows [`SCAN_MEMBERS`].
    index: Option<FastMap<&'t str, usize>>,
}

impl<'t> Object<'t> {
    /// Adds the member being parsed to `stack`, whose members from `start` on are this
    /// object's; `true` when its key repeats an earlier one, whose value it then replaces in
    /// place (serde_json's rule with `preserve_order`).
    fn insert(&mut self, stack: &mut Vec<(&'t str, Tree<'t>)>, value: Tree<'t>) -> bool {
        let members = stack.get_mut(self.start..).unwrap_or_default();
        let earlier = match &self.index {
            Some(index) => index.get(self.key).copied(),
            None => members.iter().position(|(k, _)| *k == self.key),
        };
        if let Some(slot) = earlier.and_then(|at| members.get_mut(at)) {
            slot.1 = value;
            return true;
        }
        let len = members.len();
        if self.index.is_none() && len >= SCAN_MEMBERS {
            let index = members.iter().enumerate().map(|(at, (key, _))| (*key, at));
            let mut map = fast_map(len * 2);
            map.extend(index);
            self.index = Some(map);
        }
        if let Some(index) = &mut self.index {
            index.insert(self.key, len);
        }
        stack.push((self.key, value));
        false
    }
}

struct Parser<'t> {
    text: &'t str,
    /// Where arrays, objects and decoded strings go.
    arena: &'t Bump,
    /// Byte offset of the next unread byte; always at a character boundary when a token starts
    /// (every token delimiter is ASCII).
    pos: usize,
    max_depth: usize,
    /// The open containers, outermost first.
    open: Vec<Open<'t>>,
    /// The elements of the open arrays, outermost array's first.
    elements: Vec<Tree<'t>>,
    /// The members of the open objects, outermost object's first.
    members: Vec<(&'t str, Tree<'t>)>,
}

impl<'t> Parser<'t> {
    fn parse(
        &mut self,
        on_duplicate: &mut dyn FnMut(&[Step<'_>], &str),
    ) -> Result<Tree<'t>, Failure> {
        loop {
            // A value starts here: a scalar, or a container that is opened (and then its first
            // member or element starts, at the top of the loop again).
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(b'{') => {
                    self.check_depth()?;
                    let opened_at = self.pos;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.eat(b'}') {
                        Tree::Object(Members {
                            entries: &[],
                            source: self.source(opened_at),
                        })
                    } else {
                        let key = self.key()?;
                        self.open.push(Open::Object(Object {
                            start: self.members.len(),
                            opened_at,
                            key,
                            index: None,
                        }));
                        continue;
                    }
                }
                Some(b'[') => {
                    self.check_depth()?;
                    self.pos += 1;
                    self.skip_whitespace();
                    if self.eat(b']') {
                        Tree::Array(&[])
                    } else {
                        self.open.push(Open::Array(self.elements.len()));
                        continue;
                    }
                }
                Some(b'"') => Tree::String(self.string()?),
                Some(b't') => self.literal("true", Tree::Bool(true))?,
                Some(b'f') => self.literal("false", Tree::Bool(false))?,
                Some(b'n') => self.literal("null", Tree::Null)?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) => return Err(self.syntax("expected value")),
                None => return Err(self.syntax("EOF while parsing a value")),
            };
            // The value is complete: it goes into its container, which may complete in turn.
            loop {
                self.skip_whitespace();
                match self.open.last_mut() {
                    None => {
                        return match self.peek() {
                            None => Ok(value),
                            Some(_) => Err(self.syntax("trailing characters")),
                        };
                    }
                    Some(Open::Array(_)) => {
                        self.elements.push(value);
                        if self.eat(b',') {
                            break;
                        }
                        if !self.eat(b']') {
                            return Err(self.syntax("expected `,` or `]`"));
                        }
                        let Some(Open::Array(start)) = self.open.pop() else {
                            return Err(self.syntax("internal error: lost an array"));
                        };
                        let items = self.elements.drain(start.min(self.elements.len())..);
                        value = Tree::Array(self.arena.alloc_slice_fill_iter(items));
                    }
                    Some(Open::Object(object)) => {
                        if object.insert(&mut self.members, value) {
                            self.report_duplicate(on_duplicate);
                        }
                        if self.eat(b',') {
                            self.skip_whitespace();
                            let next = self.key()?;
                            if let Some(Open::Object(object)) = self.open.last_mut() {
                                object.key = next;
                            }
                            break;
                        }
                        if !self.eat(b'}') {
                            return Err(self.syntax("expected `,` or `}`"));
                        }
                        let Some(Open::Object(object)) = self.open.pop() else {
                            return Err(self.syntax("internal error: lost an object"));
                        };
                        let start = object.start.min(self.members.len());
                        let members = self.members.drain(start..);
                        let members = self.arena.alloc_slice_fill_iter(members);
                        let source = self.source(object.opened_at);
                        value = Tree::Object(Members {
                            entries: members,
                            source,
                        });
                    }
                }
            }
        }
    }

    /// Hands the key of the innermost object, which just repeated, to `on_duplicate`.
    fn report_duplicate(&self, on_duplicate: &mut dyn FnMut(&[Step<'_>], &str)) {
        if let Some(Open::Object(object)) = self.open.last() {
            let parents = self.steps(self.open.len().saturating_sub(1));
            on_duplicate(&parents, object.key);
        }
    }

    /// The path steps of the first `count` open containers: an array's is the index of the
    /// element being parsed (its elements so far), an object's the key of its member.
    fn steps(&self, count: usize) -> Vec<Step<'t>> {
        let mut steps = Vec::with_capacity(count);
        // From the innermost array out: an array's elements end where the next inner one's
        // start, or at the top of the element stack.
        let mut end = self.elements.len();
        for container in self.open.iter().rev() {
            match container {
                Open::Object(object) => steps.push(Step::Key(object.key)),
                Open::Array(start) => {
                    steps.push(Step::Index(end.saturating_sub(*start)));
                    end = *start;
                }
            }
        }
        steps.reverse();
        steps.truncate(count);
        steps
    }

    /// The text from `from` to the current position.
    fn source(&self, from: usize) -> &'t str {
        self.text.get(from..self.pos).unwrap_or_default()
    }

    fn check_depth(&self) -> Result<(), Failure> {
        // The container about to open is at level `open.len() + 1`.
        if self.open.len() >= self.max_depth {
            return Err(Failure::TooDeep(path_of(&self.steps(self.open.len()))));
        }
        Ok(())
    }

    fn syntax(&self, what: &'static str) -> Failure {
        Failure::Syntax(what, self.pos)
    }

    // Inlined in the wasm build, this and the next two: the parse calls them per byte and per
    // token, and the size-tuned build (`opt-level = "z"`) otherwise keeps each a call (an
    // eighth of a 1,000-flag load's time in Node went to these three calls).
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes `byte` if it is next.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        if next {
            self.pos += 1;
        }
        next
    }

    #[cfg_attr(target_arch = "wasm32", inline(always))]
    fn skip_whitespace(&mut self) {
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        self.pos += rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r'))
            .count();
    }

    /// An object key and the `:` after it.
    fn key(&mut self) -> Result<&'t str, Failure> {
        if self.peek() != Some(b'"') {
            return Err(self.syntax("expected a string key"));
        }
        let key = self.string()?;
        self.skip_whitespace();
        if !self.eat(b':') {
            return Err(self.syntax("expected `:`"));
        }
        Ok(key)
    }

    /// A string, starting at its opening quote: borrowed from the text unless it has escapes.
    fn string(&mut self) -> Result<&'t str, Failure> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match bytes.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    // The escaped byte is checked by `unescape` below; skipping it here only
                    // keeps `\"` from ending the string.
                    i += 2;
                }
                Some(0..=0x1f) => {
                    self.pos = i;
                    return Err(self.syntax("control character in a string"));
                }
                Some(_) => i += 1,
                None => {
                    self.pos = bytes.len();
                    return Err(self.syntax("EOF while parsing a string"));
                }
            }
        }
        self.pos = i + 1;
        let token = self.text.get(start..=i).unwrap_or_default();
        if escaped {
            let inner = token
                .get(1..token.len().saturating_sub(1))
                .unwrap_or_default();
            let decoded = unescape(inner).ok_or(Failure::Syntax("invalid escape", start))?;
            Ok(self.arena.alloc_str(&decoded))
        } else {
            // No escape: the text between the quotes is the string.
            Ok(token
                .get(1..token.len().saturating_sub(1))
                .unwrap_or_default())
        }
    }

    fn literal(&mut self, word: &'static str, value: Tree<'t>) -> Result<Tree<'t>, Failure> {
        if self
            .text
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.syntax("expected value"))
        }
    }

    /// A number, checked against JSON's grammar, with serde_json's types: an integer is a `u64`
    /// (non-negative) or an `i64` (negative) when it fits and an `f64` otherwise (`-0` too);
    /// anything with a fraction or an exponent is the correctly rounded `f64`.
    fn number(&mut self) -> Result<Tree<'t>, Failure> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |from: usize| {
            bytes.get(from..).map_or(0, |rest| {
                rest.iter().take_while(|b| b.is_ascii_digit()).count()
            })
        };
        let mut i = start + usize::from(bytes.get(start) == Some(&b'-'));
        let int_digits = digits(i);
        if int_digits == 0 || (int_digits > 1 && bytes.get(i) == Some(&b'0')) {
            self.pos = i;
            return Err(self.syntax("invalid number"));
        }
        i += int_digits;
        let mut integer = true;
        if bytes.get(i) == Some(&b'.') {
            integer = false;
            let fraction = digits(i + 1);
            if fraction == 0 {
                self.pos = i + 1;
                return Err(self.syntax("invalid number"));
            }
            i += 1 + fraction;
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let exponent = digits(i);
            if exponent == 0 {
                self.pos = i;
                return Err(self.syntax("invalid number"));
            }
            i += exponent;
        }
        self.pos = i;
        let token = self.text.get(start..i).unwrap_or_default();
        if integer {
            if let Ok(n) = token.parse::<u64>() {
                return Ok(Tree::Number(n.into()));
            }
            if let Ok(n) = token.parse::<i64>() {
                // serde_json reads `-0` as the float -0.0.
                if n != 0 {
                    return Ok(Tree::Number(n.into()));
                }
            }
        }
        match number(token) {
            Some(n) => Ok(Tree::Number(n)),
            None => Err(Failure::Syntax("number out of range", start)),
        }
    }
}

/// A JSON number literal (the whole of `token`) as serde_json reads it: a `u64`, an `i64` or
/// the correctly rounded, finite `f64` (`None` past the `f64` range). serde_json's reader
/// rather than `str::parse::<f64>`, which rounds the same but is a second float parser in the
/// wasm builds (about 4 KB of code and its power-of-five tables).
pub(crate) fn number(token: &str) -> Option<Number> {
    match serde_json::from_str::<Value>(token) {
        Ok(Value::Number(n)) => Some(n),
        _ => None,
    }
}

/// The text of a JSON string's contents (between the quotes, control characters already
/// rejected) with its escapes decoded; `None` for an escape serde_json rejects: an unknown one,
/// a `\u` without four hex digits, or a UTF-16 surrogate that is not a leading one followed by
/// a trailing one. Decoded here rather than by `serde_json::from_str::<String>`: that path
/// also links serde's type-mismatch errors, whose float text pulls std's float formatter (about
/// 14 KB) into the wasm builds.
fn unescape(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at)?);
        let mut bytes = rest.get(at + 1..)?.bytes();
        let decoded = match bytes.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(rest.get(at + 2..)?)?;
                match unit {
                    0xD800..=0xDBFF => {
                        // A leading surrogate: a `\u` trailing one must follow.
                        let trail = rest.get(at + 6..)?.strip_prefix("\\u")?;
                        let low = hex4(trail)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        rest = rest.get(at + 12..)?;
                        out.push(char::from_u32(
                            0x1_0000
                                + ((u32::from(unit) - 0xD800) << 10)
                                + (u32::from(low) - 0xDC00),
                        )?);
                        continue;
                    }
                    // Any other code unit is a character of its own (a trailing surrogate
                    // alone is not one).
                    _ => {
                        rest = rest.get(at + 6..)?;
                        out.push(char::from_u32(u32::from(unit))?);
                        continue;
                    }
                }
            }
            _ => return None,
        };
        out.push(decoded);
        rest = rest.get(at + 2..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// The UTF-16 code unit written as the first four bytes of `text`, four hex digits of either
/// case.
fn hex4(text: &str) -> Option<u16> {
    let digits = text.as_bytes().get(..4)?;
    digits.iter().try_fold(0u16, |unit, &byte| {
        let digit = char::from(byte).to_digit(16)?;
        Some((unit << 4) | u16::try_from(digit).ok()?)
    })
}

#[cfg(test)]
mod tests;
