//! Small typed readers for object fields, each reporting a path on failure.

use super::diagnostics::{Diagnostics, Severity};
use crate::float_text::Plain;
use crate::json_checked::{Members, Tree};
use crate::json_path;

/// The object at `path`, or an error diagnostic.
pub(crate) fn object<'t>(
    value: &Tree<'t>,
    path: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Members<'t>> {
    match value {
        Tree::Object(map) => Some(*map),
        other => {
            diags.error(
                path,
                format!("{what} must be an object, not {}", other.type_name()),
            );
            None
        }
    }
}

/// Reports every field of `map` that is not in `allowed` as an error. Returns `false` if any.
pub(crate) fn reject_unknown(
    map: Members<'_>,
    path: &str,
    allowed: &[&str],
    diags: &mut Diagnostics,
) -> bool {
    let mut ok = true;
    for key in map.keys() {
        if !allowed.contains(&key) {
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
    map: Members<'v>,
    key: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<&'v str>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Tree::String(s)) if !s.is_empty() => Ok(Some(s)),
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
    map: Members<'_>,
    key: &str,
    path: &str,
    (min, max): (f64, f64),
    diags: &mut Diagnostics,
) -> Result<Option<f64>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Tree::Number(n)) => match n.as_f64() {
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
                format!("must be a number, not {}", other.type_name()),
            );
            Err(())
        }
    }
}

/// An optional boolean field. `Err(())` after reporting a wrongly typed value.
pub(crate) fn opt_bool(
    map: Members<'_>,
    key: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<bool>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Tree::Bool(b)) => Ok(Some(*b)),
        Some(other) => {
            diags.error(
                &json_path::key(path, key),
                format!("must be true or false, not {}", other.type_name()),
            );
            Err(())
        }
    }
}

/// A non-negative integer that fits `u32`, as JSON writes it (`5000`, or `5000.0`).
pub(crate) fn as_u32(value: &Tree<'_>) -> Option<u32> {
    let n = value.as_number()?;
    if let Some(u) = n.as_u64() {
        return u32::try_from(u).ok();
    }
    let f = n.as_f64()?;
    // Integral floats within range convert exactly; anything else is not an integer.
    (f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f)).then_some(f as u32)
}

/// "an empty string" or the JSON type name, for messages.
fn describe(value: &Tree<'_>) -> &'static str {
    match value {
        Tree::String(_) => "an empty string",
        other => other.type_name(),
    }
}
