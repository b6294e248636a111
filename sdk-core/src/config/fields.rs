//! Small typed readers for object fields, each reporting a path on failure.

use serde_json::{Map, Value};

use super::diagnostics::{Diagnostics, Severity};
use crate::context::json_type_name;
use crate::float_text::Plain;
use crate::json_path;

/// The object at `path`, or an error diagnostic.
pub(crate) fn object<'v>(
    value: &'v Value,
    path: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<&'v Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        other => {
            diags.error(
                path,
                format!("{what} must be an object, not {}", json_type_name(other)),
            );
            None
        }
    }
}

/// Reports every field of `map` that is not in `allowed` as an error. Returns `false` if any.
pub(crate) fn reject_unknown(
    map: &Map<String, Value>,
    path: &str,
    allowed: &[&str],
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            // Built only when kept: an object may have a million unknown fields.
            diags.push_with(Severity::Error, || {
                (
                    json_path::key(path, key),
                    format!("unknown field (expected one of: {})", allowed.join(", ")),
                )
            });
            ok = false;
        }
    }
    ok
}

/// An optional string field. `Err(())` after reporting a wrongly typed value.
pub(crate) fn opt_str<'v>(
    map: &'v Map<String, Value>,
    key: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<&'v str>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(other) => {
            diags.error(
                &json_path::key(path, key),
                format!("must be a non-empty string, not {}", describe(other)),
            );
            Err(())
        }
    }
}

/// An optional number field within `[min, max]`. `Err(())` after reporting a bad value.
pub(crate) fn opt_number_in(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    (min, max): (f64, f64),
    diags: &mut Diagnostics,
) -> Result<Option<f64>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if (min..=max).contains(&x) => Ok(Some(x)),
            _ => {
                diags.error(
                    &json_path::key(path, key),
                    format!("must be a number from {} to {}", Plain(min), Plain(max)),
                );
                Err(())
            }
        },
        Some(other) => {
            diags.error(
                &json_path::key(path, key),
                format!("must be a number, not {}", json_type_name(other)),
            );
            Err(())
        }
    }
}

/// An optional boolean field. `Err(())` after reporting a wrongly typed value.
pub(crate) fn opt_bool(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<bool>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => {
            diags.error(
                &json_path::key(path, key),
                format!("must be true or false, not {}", json_type_name(other)),
            );
            Err(())
        }
    }
}

/// A non-negative integer that fits `u32`, as JSON writes it (`5000`, or `5000.0`).
pub(crate) fn as_u32(value: &Value) -> Option<u32> {
    let n = value.as_number()?;
    if let Some(u) = n.as_u64() {
        return u32::try_from(u).ok();
    }
    let f = n.as_f64()?;
    // Integral floats within range convert exactly; anything else is not an integer.
    (f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f)).then_some(f as u32)
}

/// "an empty string" or the JSON type name, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "an empty string",
        other => json_type_name(other),
    }
}
