//! The evaluation context: who is asking (DESIGN §7, "Context").
//!
//! The core's own type rather than a `serde_json::Value`: a list of top-level attributes, built
//! from JSON or attribute by attribute with typed setters, or filled from the
//! (attribute index, typed value) pairs of a snapshot's [`Attributes`] table without any JSON
//! text. Every read goes through the one path resolver of [`path`] (JSON Logic `var`
//! semantics), whether a targeting rule, an experiment's unit or a policy's feature reads it.

mod attributes;
mod depth;
mod entries;
pub(crate) mod path;
mod pool;

use std::sync::OnceLock;

use serde_json::{Map, Value};

pub(crate) use attributes::AttributesBuilder;
pub use attributes::{AttributePath, Attributes};
pub(crate) use depth::{drop_deep, json_depth};

use crate::error::{Error, ErrorKind};
use crate::hashing::key_hash;
use crate::limits::Limits;
use entries::{write_str, write_value, Entries};

/// The deepest nesting of arrays and objects a context accepts, the context object itself
/// being level 1, however the context is built ([`Context::from_json`], [`Context::set_value`],
/// [`Context::set_attribute`]). Rules, units and features read a few levels at most; the bound
/// keeps every recursive walk over context values (clone, drop, comparison) shallow.
pub const MAX_CONTEXT_DEPTH: usize = 64;

/// Contexts with more attributes than this are searched through a sorted index instead of a
/// scan: a scan wins for the handful of attributes real contexts carry.
const SCAN_MAX: usize = 16;

/// One typed attribute value, as a host passes it without JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number; a non-finite one becomes `null` (JSON has no NaN or infinity).
    Number(f64),
    /// A string.
    Str(&'a str),
    /// Any JSON value (objects, arrays), within [`MAX_CONTEXT_DEPTH`].
    Json(Value),
}

impl From<bool> for AttributeValue<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<i64> for AttributeValue<'_> {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<f64> for AttributeValue<'_> {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl<'a> From<&'a str> for AttributeValue<'a> {
    fn from(value: &'a str) -> Self {
        Self::Str(value)
    }
}

impl From<Value> for AttributeValue<'_> {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

impl AttributeValue<'_> {
    /// The JSON value, checked against the depth limit (`extra` levels of path above it).
    fn into_value(self, extra: usize) -> Result<Value, Error> {
        Ok(match self {
            AttributeValue::Null => Value::Null,
            AttributeValue::Bool(b) => Value::Bool(b),
            AttributeValue::Int(i) => Value::from(i),
            AttributeValue::Number(n) => Value::from(n),
            AttributeValue::Str(s) => Value::String(s.to_owned()),
            AttributeValue::Json(value) => {
                // The context object is level 1, the attribute's value level 2 and below.
                if json_depth(&value) + 1 + extra > MAX_CONTEXT_DEPTH {
                    drop_deep(value);
                    return Err(too_deep());
                }
                value
            }
        })
    }
}

fn too_deep() -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!("context: nested deeper than the limit of {MAX_CONTEXT_DEPTH} levels"),
    )
}

/// The attributes of one evaluation: a JSON object whose `targetingKey` is the default unit of
/// randomisation. Built once and reused across evaluations (the WebAssembly and C surfaces keep
/// it behind a handle), so no evaluation re-parses it. `Send + Sync`: one context may serve
/// evaluations on many threads.
#[derive(Debug, Default)]
pub struct Context {
    /// Top-level attributes in insertion order, names unique.
    entries: Entries,
    /// Positions of `entries` sorted by name, built on the first look-up of a large context.
    sorted: OnceLock<Box<[u32]>>,
    /// The whole context as one JSON object, built only when a rule reads it whole.
    whole: OnceLock<Value>,
}

impl Clone for Context {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            sorted: OnceLock::new(),
            whole: OnceLock::new(),
        }
    }
}

impl PartialEq for Context {
    /// Two contexts are equal when they hold the same attributes, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .all(|(name, value)| other.get(name) == Some(value))
    }
}

impl Context {
    /// An empty context (no targeting key).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty context with room for `attributes` top-level attributes.
    pub fn with_capacity(attributes: usize) -> Self {
        Self {
            entries: Entries::with_capacity(attributes),
            sorted: OnceLock::new(),
            whole: OnceLock::new(),
        }
    }

    /// Parses a context from a JSON object text, within [`Limits::max_context_bytes`] and
    /// [`MAX_CONTEXT_DEPTH`].
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] for an oversized or too deeply nested text,
    /// [`ErrorKind::InvalidJson`] for text that is not JSON, [`ErrorKind::InvalidContext`] for
    /// JSON that is not an object.
    ///
    /// ```
    /// let ctx = tandem::Context::from_json(r#"{"targetingKey": "u1", "plan": "pro"}"#)?;
    /// assert_eq!(ctx.targeting_key(), Some("u1"));
    /// # Ok::<(), tandem::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let limit = Limits::default().max_context_bytes;
        if json.len() > limit {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "context is {} bytes, more than the limit of {limit}",
                    json.len()
                ),
            ));
        }
        let value: Value = serde_json::from_str(json).map_err(|e| {
            if e.to_string().starts_with("recursion limit exceeded") {
                too_deep()
            } else {
                Error::new(ErrorKind::InvalidJson, format!("context: {e}"))
            }
        })?;
        Self::from_value(value)
    }

    /// Takes the attributes of a JSON object.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidContext`] when `value` is not an object,
    /// [`ErrorKind::LimitExceeded`] when it is nested deeper than [`MAX_CONTEXT_DEPTH`].
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let map = match value {
            Value::Object(map) => map,
            other => {
                let error = Error::new(
                    ErrorKind::InvalidContext,
                    format!(
                        "context must be a JSON object, not {}",
                        json_type_name(&other)
                    ),
                );
                drop_deep(other);
                return Err(error);
            }
        };
        let map = Value::Object(map);
        if json_depth(&map) > MAX_CONTEXT_DEPTH {
            drop_deep(map);
            return Err(too_deep());
        }
        let Value::Object(map) = map else {
            return Ok(Self::new());
        };
        let mut ctx = Self::with_capacity(map.len());
        // Keys of a JSON object are unique already: no need to look each one up.
        for (name, value) in map {
            *ctx.entries.push(&name, key_hash(name.as_bytes())) = value;
        }
        Ok(ctx)
    }

    /// A context with only a targeting key.
    pub fn with_targeting_key(key: &str) -> Self {
        let mut ctx = Self::with_capacity(1);
        ctx.set_str("targetingKey", key);
        ctx
    }

    /// Sets one top-level attribute (replacing any previous value) and returns the context.
    ///
    /// # Errors
    /// As [`Context::set`].
    pub fn with<'v>(
        mut self,
        name: &str,
        value: impl Into<AttributeValue<'v>>,
    ) -> Result<Self, Error> {
        self.set(name, value)?;
        Ok(self)
    }

    /// Sets one top-level attribute, replacing any previous value.
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] when a JSON value is nested deeper than
    /// [`MAX_CONTEXT_DEPTH`]; the context is unchanged then.
    pub fn set<'v>(
        &mut self,
        name: &str,
        value: impl Into<AttributeValue<'v>>,
    ) -> Result<(), Error> {
        let value = value.into().into_value(0)?;
        write_value(self.slot(name), value);
        Ok(())
    }

    /// Sets a string attribute (into the storage of the attribute's previous string, or of a
    /// cleared one, when there is one).
    pub fn set_str(&mut self, name: &str, value: &str) {
        write_str(self.slot(name), value);
    }

    /// Sets a number attribute (a non-finite number becomes `null`).
    pub fn set_number(&mut self, name: &str, value: f64) {
        write_value(self.slot(name), Value::from(value));
    }

    /// Sets an integer attribute.
    pub fn set_int(&mut self, name: &str, value: i64) {
        write_value(self.slot(name), Value::from(value));
    }

    /// Sets a boolean attribute.
    pub fn set_bool(&mut self, name: &str, value: bool) {
        write_value(self.slot(name), Value::Bool(value));
    }

    /// Sets an attribute to any JSON value.
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] when `value` is nested deeper than [`MAX_CONTEXT_DEPTH`].
    pub fn set_value(&mut self, name: &str, value: Value) -> Result<(), Error> {
        self.set(name, value)
    }

    /// Sets the value at attribute `index` of a snapshot's [`Attributes`] table: the path's
    /// first segment is the top-level attribute (its name shared with the table, not copied),
    /// and a longer path creates the nested objects on the way (`user.id` sets `id` inside the
    /// object at `user`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an index the table does not have or a path that
    /// names the whole context; [`ErrorKind::LimitExceeded`] for a value nested too deeply.
    pub fn set_attribute(
        &mut self,
        attributes: &Attributes,
        index: usize,
        value: AttributeValue<'_>,
    ) -> Result<(), Error> {
        let Some(path) = attributes.get(index) else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "attribute index {index} is out of range (the snapshot reads {} attributes)",
                    attributes.len()
                ),
            ));
        };
        let segments = path.path().segments();
        let Some((first, rest)) = segments.split_first() else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "an attribute path must name at least one key",
            ));
        };
        let first_hash = path.first_hash();
        if let ([], AttributeValue::Str(text)) = (rest, &value) {
            write_str(self.slot_hashed(first, first_hash), text);
            return Ok(());
        }
        let value = value.into_value(rest.len())?;
        let mut at = self.slot_hashed(first, first_hash);
        for segment in rest {
            if !at.is_object() {
                *at = Value::Object(Map::new());
            }
            let Value::Object(map) = at else {
                return Ok(());
            };
            at = map.entry(segment.to_string()).or_insert(Value::Null);
        }
        *at = value;
        Ok(())
    }

    /// Clears the context, then sets every `(attribute index, value)` pair (see
    /// [`Context::set_attribute`]). The context's storage is kept for reuse.
    ///
    /// # Errors
    /// The first failing pair's error; the pairs before it are set.
    pub fn fill<'v>(
        &mut self,
        attributes: &Attributes,
        pairs: impl IntoIterator<Item = (usize, AttributeValue<'v>)>,
    ) -> Result<(), Error> {
        self.clear();
        for (index, value) in pairs {
            self.set_attribute(attributes, index, value)?;
        }
        Ok(())
    }

    /// Removes a top-level attribute; `true` when it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(position) = self.position(name) else {
            return false;
        };
        self.touch();
        self.entries.remove(position);
        true
    }

    /// Removes every attribute, keeping the storage for reuse: refilling the context with the
    /// same attributes writes string values into their old buffers.
    pub fn clear(&mut self) {
        self.touch();
        self.entries.clear();
    }

    /// The number of top-level attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the context has no attributes.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// One top-level attribute by name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).and_then(|i| self.entries.value(i))
    }

    /// One top-level attribute by name and [`crate::hashing::key_hash`] of the name, as compiled
    /// rules look attributes up.
    // Always inlined in the wasm build: see `context::entries`.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn get_hashed(&self, name: &str, hash: u64) -> Option<&Value> {
        self.position_hashed(name, hash)
            .and_then(|i| self.entries.value(i))
    }

    /// The targeting key, when present and a string.
    pub fn targeting_key(&self) -> Option<&str> {
        self.get("targetingKey").and_then(Value::as_str)
    }

    /// The top-level attributes, in the order they were first set.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.entries.iter()
    }

    /// The top-level attributes with each name's [`key_hash`], computed when it was set.
    pub(crate) fn iter_hashed(&self) -> impl Iterator<Item = (&[u8], u64, &Value)> + '_ {
        self.entries.iter_hashed()
    }

    /// The whole context as one JSON object (built once, on first use, and cached).
    pub fn as_value(&self) -> &Value {
        self.whole.get_or_init(|| {
            Value::Object(
                self.entries
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.clone()))
                    .collect(),
            )
        })
    }

    /// The value at a path (`var` semantics: see [`path`]); `None` for the whole context.
    pub(crate) fn resolve<'p>(
        &self,
        segments: impl IntoIterator<Item = &'p str>,
    ) -> Option<&Value> {
        let mut segments = segments.into_iter();
        let first = self.get(segments.next()?)?;
        path::walk(first, segments)
    }

    /// The value at a [`path::HashedPath`]: [`Context::resolve`] of its segments, with the
    /// first one's hash computed when the path was built.
    pub(crate) fn resolve_path(&self, path: &path::HashedPath) -> Option<&Value> {
        let ((first, hash), rest) = path.split_first()?;
        path::walk(self.get_hashed(first, hash)?, rest)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.position_hashed(name, key_hash(name.as_bytes()))
    }

    /// [`Context::position`] of a name whose [`key_hash`] is `hash` (used by the scan of a
    /// small context only).
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn position_hashed(&self, name: &str, hash: u64) -> Option<usize> {
        if self.entries.len() <= SCAN_MAX {
            self.entries.scan_hashed(name, hash)
        } else {
            self.position_sorted(name)
        }
    }

    /// The position of `name` in a large context, through the sorted index (built on first use).
    fn position_sorted(&self, name: &str) -> Option<usize> {
        let sorted = self.sorted.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.entries.len())
                .filter_map(|i| u32::try_from(i).ok())
                .collect();
            // Names are unique: no ties, so the unstable sort gives the one order. By bytes
            // (the order of `str`): reading names as text would check their UTF-8 at every
            // comparison, which the unstable sort makes more of than a stable one.
            crate::sort::sort_u32(&mut order, &|a, b| {
                self.name_bytes_at(a).cmp(self.name_bytes_at(b))
            });
            order.into()
        });
        let found = sorted
            .binary_search_by(|&i| self.name_bytes_at(i).cmp(name.as_bytes()))
            .ok()?;
        sorted.get(found).map(|&i| i as usize)
    }

    fn name_bytes_at(&self, index: u32) -> &[u8] {
        self.entries.name_bytes(index as usize)
    }

    /// Forgets the derived views (sorted index, whole object) after a change.
    #[inline]
    fn touch(&mut self) {
        // Checked first: the views are rarely built, and taking an empty one still runs a drop.
        if self.sorted.get_mut().is_some() {
            self.sorted.take();
        }
        if self.whole.get_mut().is_some() {
            if let Some(whole) = self.whole.take() {
                drop_deep(whole);
            }
        }
    }

    /// The value slot of attribute `name`, added (as `null`, or holding a cleared entry's old
    /// value for reuse) when the context does not have it.
    fn slot(&mut self, name: &str) -> &mut Value {
        self.slot_hashed(name, key_hash(name.as_bytes()))
    }

    /// [`Context::slot`] for a name whose [`key_hash`] the caller has.
    fn slot_hashed(&mut self, name: &str, hash: u64) -> &mut Value {
        self.touch();
        // A scan even of a large context: the sorted index would be rebuilt after every set.
        self.entries.slot_scanned(name, hash)
    }
}

/// The JSON type name of a value, for messages that must not echo user data.
pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
