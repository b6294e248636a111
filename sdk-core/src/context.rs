//! The evaluation context: who is asking, as one JSON object.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;

/// The attributes of one evaluation: a JSON object whose `targetingKey` is the default unit of
/// randomisation. Built once and reused across evaluations (the WebAssembly and C surfaces keep it
/// behind a handle), so no evaluation re-parses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    // Always a `Value::Object`: rules read it as a JSON Logic data value without copying.
    attributes: Value,
}

impl Context {
    /// An empty context (no targeting key).
    pub fn new() -> Self {
        Self {
            attributes: Value::Object(Map::new()),
        }
    }

    /// Parses a context from a JSON object text, within [`Limits::max_context_bytes`].
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] for an oversized text, [`ErrorKind::InvalidJson`] for text that
    /// is not JSON, [`ErrorKind::InvalidContext`] for JSON that is not an object.
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
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::new(ErrorKind::InvalidJson, format!("context: {e}")))?;
        Self::from_value(value)
    }

    /// Wraps a JSON value that must be an object.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidContext`] when `value` is not an object.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(_) => Ok(Self { attributes: value }),
            other => Err(Error::new(
                ErrorKind::InvalidContext,
                format!(
                    "context must be a JSON object, not {}",
                    json_type_name(&other)
                ),
            )),
        }
    }

    /// A context with only a targeting key.
    pub fn with_targeting_key(key: impl Into<String>) -> Self {
        Self::new().with("targetingKey", Value::String(key.into()))
    }

    /// Sets one attribute (replacing any previous value) and returns the context.
    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.set(key, value);
        self
    }

    /// Sets one attribute, replacing any previous value.
    pub fn set(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Object(map) = &mut self.attributes {
            map.insert(key.into(), value);
        }
    }

    /// One attribute by its top-level key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// The targeting key, when present and a string.
    pub fn targeting_key(&self) -> Option<&str> {
        self.get("targetingKey").and_then(Value::as_str)
    }

    /// The whole context as a JSON object value (the data that rules read).
    pub fn as_value(&self) -> &Value {
        &self.attributes
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
mod tests {
    use super::*;

    #[test]
    fn accepts_objects_only() {
        let ctx = Context::from_json(r#"{"targetingKey": "u1", "n": 3}"#).unwrap();
        assert_eq!(ctx.targeting_key(), Some("u1"));
        assert_eq!(ctx.get("n"), Some(&Value::from(3)));
        let err = Context::from_json("[1]").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidContext);
        assert_eq!(
            Context::from_json("{").unwrap_err().kind(),
            ErrorKind::InvalidJson
        );
    }

    #[test]
    fn rejects_oversized_text() {
        let big = format!(
            r#"{{"k": "{}"}}"#,
            "x".repeat(Limits::default().max_context_bytes)
        );
        assert_eq!(
            Context::from_json(&big).unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn non_string_targeting_key_is_not_a_key() {
        let ctx = Context::new().with("targetingKey", Value::from(42));
        assert_eq!(ctx.targeting_key(), None);
    }
}
