//! Typed readers for bundle fields. Paths are a borrowed chain rendered only when an error is
//! reported, so loading a large model builds no path strings on the way.

use serde_json::{Map, Value};

use super::error::BundleError;
use crate::context::json_type_name;
use crate::float_text::Plain;
use crate::json_path;

/// Where a value sits in the bundle: a chain of keys and indexes from the root.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// The path as text: `scorer.linear.weights[2][7]`.
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        self.render_into(&mut text);
        text
    }

    fn render_into(&self, text: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render_into(text);
                json_path::push_key(text, key);
            }
            Path::Index(parent, index) => {
                parent.render_into(text);
                json_path::push_index(text, *index);
            }
        }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> BundleError {
        self.error_text(message.into())
    }

    /// The one non-generic body behind [`Path::error`].
    #[inline(never)]
    fn error_text(&self, message: String) -> BundleError {
        BundleError::new(self.render(), message)
    }
}

pub(crate) type Res<T> = Result<T, BundleError>;

#[inline(never)]
pub(crate) fn object<'v>(
    value: &'v Value,
    path: Path<'_>,
    what: &str,
) -> Res<&'v Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        path.error(format!(
            "{what} must be an object, not {}",
            json_type_name(value)
        ))
    })
}

#[inline(never)]
pub(crate) fn array<'v>(value: &'v Value, path: Path<'_>, what: &str) -> Res<&'v [Value]> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(path.error(format!(
            "{what} must be an array, not {}",
            json_type_name(other)
        ))),
    }
}

/// An object whose fields are all in `allowed` ([`object`] then [`reject_unknown`]).
#[inline(never)]
pub(crate) fn fields<'v>(
    value: &'v Value,
    path: Path<'_>,
    what: &str,
    allowed: &[&str],
) -> Res<&'v Map<String, Value>> {
    let map = object(value, path, what)?;
    reject_unknown(map, path, allowed)?;
    Ok(map)
}

/// "must be {expected}, not {the JSON type of value}" at `path`.
#[inline(never)]
pub(crate) fn wrong_type(path: Path<'_>, expected: &str, value: &Value) -> BundleError {
    path.error(format!("must be {expected}, not {}", json_type_name(value)))
}

/// Rejects fields outside `allowed`: a misspelt optional field must not pass silently.
#[inline(never)]
pub(crate) fn reject_unknown(
    map: &Map<String, Value>,
    path: Path<'_>,
    allowed: &[&str],
) -> Res<()> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(key) => Err(path.key(key).error(format!(
            "unknown field (expected one of: {})",
            allowed.join(", ")
        ))),
    }
}

#[inline(never)]
pub(crate) fn required<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    path: Path<'_>,
    what: &str,
) -> Res<&'v Value> {
    map.get(key)
        .ok_or_else(|| path.key(key).error(format!("missing (required: {what})")))
}

/// Required field `key` of `map` as a non-empty string ([`required`] then [`text`]).
#[inline(never)]
pub(crate) fn required_text<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    path: Path<'_>,
    what: &str,
) -> Res<&'v str> {
    text(required(map, key, path, what)?, path.key(key))
}

/// A non-empty string.
#[inline(never)]
pub(crate) fn text<'v>(value: &'v Value, path: Path<'_>) -> Res<&'v str> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s),
        Value::String(_) => Err(path.error("must be a non-empty string")),
        other => Err(wrong_type(path, "a non-empty string", other)),
    }
}

/// A finite number.
#[inline(never)]
pub(crate) fn number(value: &Value, path: Path<'_>) -> Res<f64> {
    match value.as_number().and_then(serde_json::Number::as_f64) {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(path.error("must be a finite number")),
        None => Err(wrong_type(path, "a number", value)),
    }
}

/// A finite number within `[min, max]`.
#[inline(never)]
pub(crate) fn number_in(value: &Value, path: Path<'_>, min: f64, max: f64) -> Res<f64> {
    let x = number(value, path)?;
    if (min..=max).contains(&x) {
        Ok(x)
    } else {
        Err(path.error(format!(
            "must be from {} to {}, not {}",
            Plain(min),
            Plain(max),
            Plain(x)
        )))
    }
}

/// A finite number `> 0`.
#[inline(never)]
pub(crate) fn positive(value: &Value, path: Path<'_>) -> Res<f64> {
    let x = number(value, path)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err(path.error(format!("must be greater than 0, not {}", Plain(x))))
    }
}

/// An integer within `[min, max]` (an integral float such as `8.0` counts).
#[inline(never)]
pub(crate) fn count(value: &Value, path: Path<'_>, min: usize, max: usize) -> Res<usize> {
    let n = value.as_number().and_then(|n| {
        n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15)
                // Integral and below 2^53: the conversion is exact.
                .map(|f| f as u64)
        })
    });
    match n.and_then(|n| usize::try_from(n).ok()) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(path.error(format!("must be an integer from {min} to {max}"))),
    }
}

/// An array of exactly `len` finite numbers, appended to `out` (so matrices fill one buffer).
#[inline(never)]
pub(crate) fn numbers_into(
    value: &Value,
    path: Path<'_>,
    len: usize,
    what: &str,
    out: &mut Vec<f64>,
) -> Res<()> {
    let items = array(value, path, what)?;
    if items.len() != len {
        return Err(path.error(format!(
            "{what} must have {len} numbers, not {}",
            items.len()
        )));
    }
    out.reserve(len);
    for (i, item) in items.iter().enumerate() {
        out.push(number(item, path.index(i))?);
    }
    Ok(())
}

/// A matrix of `rows` × `columns` finite numbers, row-major.
#[inline(never)]
pub(crate) fn matrix(
    value: &Value,
    path: Path<'_>,
    rows: usize,
    columns: usize,
    what: &str,
) -> Res<Vec<f64>> {
    let items = array(value, path, what)?;
    if items.len() != rows {
        return Err(path.error(format!("{what} must have {rows} rows, not {}", items.len())));
    }
    let mut out = Vec::with_capacity(rows.saturating_mul(columns));
    for (i, row) in items.iter().enumerate() {
        numbers_into(row, path.index(i), columns, "a row", &mut out)?;
    }
    Ok(out)
}

/// A rule written as an object with exactly one key (`{"standardize": {...}}`), or as its bare
/// name when it takes no parameters (`"identity"`). Returns the name and its parameters (`None`
/// for the bare name).
#[inline(never)]
pub(crate) fn one_key<'v>(
    value: &'v Value,
    path: Path<'_>,
    what: &str,
) -> Res<(&'v str, Option<&'v Value>)> {
    match value {
        Value::String(name) => Ok((name, None)),
        Value::Object(map) if map.len() == 1 => match map.iter().next() {
            Some((name, params)) => Ok((name, Some(params))),
            None => Err(path.error(format!("{what} must have exactly one key"))),
        },
        Value::Object(map) => Err(path.error(format!(
            "{what} must have exactly one key, not {}",
            map.len()
        ))),
        other => Err(path.error(format!(
            "{what} must be an object with one key, not {}",
            json_type_name(other)
        ))),
    }
}

/// The parameter object of a rule: `{}` when written as a bare name.
#[inline(never)]
pub(crate) fn params<'v>(
    params: Option<&'v Value>,
    path: Path<'_>,
    allowed: &[&str],
) -> Res<Option<&'v Map<String, Value>>> {
    match params {
        None => Ok(None),
        Some(value) => {
            let map = object(value, path, "the parameters")?;
            reject_unknown(map, path, allowed)?;
            Ok(Some(map))
        }
    }
}

/// A required parameter of a rule as a finite number ([`param`] then [`number`]).
#[inline(never)]
pub(crate) fn number_param(
    map: Option<&Map<String, Value>>,
    key: &str,
    path: Path<'_>,
    what: &str,
) -> Res<f64> {
    number(param(map, key, path, what)?, path.key(key))
}

/// A required parameter of a rule written as an object.
#[inline(never)]
pub(crate) fn param<'v>(
    map: Option<&'v Map<String, Value>>,
    key: &str,
    path: Path<'_>,
    what: &str,
) -> Res<&'v Value> {
    match map {
        Some(map) => required(map, key, path, what),
        None => Err(path.key(key).error(format!("missing (required: {what})"))),
    }
}
