//! `in`, `cat`, `substr`.

use serde_json::Value;

use crate::targeting::eval::{boolean, for_each_arg, Ctx, Out, Res};
use crate::targeting::node::{Args, InSet, Node};
use crate::targeting::value::{js_string, push_js_string, strict_eq, to_number};
use crate::targeting::EvalError;

/// Whether `needle` is in `haystack`: an element of an array (strict equality) or a substring
/// of a string (the needle converted to a string). Anything else contains nothing.
fn contains_value(needle: &Value, haystack: &Value) -> bool {
    match haystack {
        Value::Array(items) => items.iter().any(|item| strict_eq(needle, item)),
        Value::String(s) => s.contains(&*js_string(needle)),
        _ => false,
    }
}

pub(crate) fn contains<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(needle), Some(haystack)) = (args.first(), args.get(1)) else {
        return Ok(boolean(false));
    };
    let needle = needle.eval(ctx)?;
    let haystack = haystack.eval(ctx)?;
    Ok(boolean(contains_value(&needle, &haystack)))
}

/// `in` against a literal list: a hash look-up for long string lists, a scan otherwise.
pub(crate) fn in_set<'s>(set: &'s InSet, ctx: &Ctx<'s, '_>) -> Result<bool, EvalError> {
    let needle = set.needle.eval(ctx)?;
    let found = match (&*needle, &set.strings) {
        (Value::String(s), Some(strings)) => strings.contains(s.as_str()),
        (needle, _) => set.items.iter().any(|item| strict_eq(needle, item)),
    };
    Ok(found)
}

/// Concatenation with JavaScript's string conversion; `null` adds nothing.
pub(crate) fn cat<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let mut out = String::new();
    for_each_arg(args, ctx, |value| {
        let before = out.len();
        if !value.is_null() {
            push_js_string(&mut out, value);
        }
        ctx.charge(1 + (out.len() - before) / 16)
    })?;
    Ok(Out::new(Value::String(out)))
}

/// An index argument as JavaScript's `ToIntegerOrInfinity`, clamped to what can matter for a
/// string of `len` characters (so huge or infinite indices cost nothing).
fn clamp_index(value: &Value, len: usize) -> i64 {
    let x = to_number(value);
    let bound = i64::try_from(len).unwrap_or(i64::MAX);
    if x.is_nan() {
        0
    } else if x >= bound as f64 {
        bound
    } else if x <= -(bound as f64) {
        -bound
    } else {
        // In range, so the truncating conversion is exact enough.
        #[allow(clippy::cast_possible_truncation)]
        let i = x.trunc() as i64;
        i
    }
}

/// JavaScript's `substr(start, length)`: a negative start counts from the end, a negative
/// length leaves that many characters off the end. Counts characters (Unicode scalar values).
pub(crate) fn substr<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let Some(source) = args.first() else {
        return Ok(Out::new(Value::String(String::new())));
    };
    let source = source.eval(ctx)?;
    let text = js_string(&source);
    let len = text.chars().count();
    let bound = i64::try_from(len).unwrap_or(i64::MAX);
    let start = match args.get(1) {
        Some(node) => clamp_index(&*node.eval(ctx)?, len),
        None => 0,
    };
    let start = if start < 0 {
        (bound + start).max(0)
    } else {
        start.min(bound)
    };
    let available = bound - start;
    let take = match args.get(2) {
        Some(node) => {
            let length = clamp_index(&*node.eval(ctx)?, len);
            if length < 0 {
                (available + length).max(0)
            } else {
                length.min(available)
            }
        }
        None => available,
    };
    let start = usize::try_from(start).unwrap_or(0);
    let take = usize::try_from(take).unwrap_or(0);
    let out: String = text.chars().skip(start).take(take).collect();
    ctx.charge(1 + out.len() / 16)?;
    Ok(Out::new(Value::String(out)))
}
