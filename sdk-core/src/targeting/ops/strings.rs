//! `in`, `cat`, `substr`.

use serde_json::Value;

use crate::hashing::same_bytes;
use crate::targeting::budget::{Budget, ALLOC, ELEMENT, NODE};
use crate::targeting::eval::{boolean, for_each_arg, Ctx, Out, Res};
use crate::targeting::node::{Args, InSet, Node, SetItems};
use crate::targeting::value::{number_key, push_js_string, strict_eq, to_number};
use crate::targeting::EvalError;

/// Whether `needle` is in `haystack`: an element of an array (strict equality) or a substring
/// of a string (the needle converted to a string). Anything else contains nothing.
fn contains_value(needle: &Value, haystack: &Value, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    match haystack {
        Value::Array(items) => any_equal(needle, items, ctx.budget()),
        Value::String(s) => {
            let needle = ctx.text(needle)?;
            // Two-Way search is linear in both, but only short needles get a vectorised
            // path (and only on some targets): pay the character-at-a-time rate.
            ctx.budget().charge_slow(s.len() + needle.len())?;
            Ok(s.contains(&*needle))
        }
        _ => Ok(false),
    }
}

/// Whether any of `items` is `===` to `needle`, paying for each comparison.
fn any_equal(needle: &Value, items: &[Value], budget: &Budget) -> Result<bool, EvalError> {
    for item in items {
        budget.charge(ELEMENT)?;
        if strict_eq(needle, item, budget)? {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(crate) fn contains<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(needle), Some(haystack)) = (args.first(), args.get(1)) else {
        return Ok(boolean(false));
    };
    let needle = needle.eval(ctx)?;
    let haystack = haystack.eval(ctx)?;
    Ok(boolean(contains_value(&needle, &haystack, ctx)?))
}

/// `in` against a literal list: a hash look-up for long lists, a scan of short ones.
pub(crate) fn in_set<'s>(set: &'s InSet, ctx: &Ctx<'s, '_>) -> Result<bool, EvalError> {
    let needle = match &set.needle {
        // The common needle, an attribute: read in place, paying what evaluating its node pays.
        Node::Var(var) => {
            ctx.charge(NODE)?;
            crate::targeting::path::eval_var(var, ctx)?
        }
        other => other.eval(ctx)?,
    };
    let budget = ctx.budget();
    match &set.items {
        SetItems::Few(items) => match &*needle {
            // The common case, a string among a few literals: compared in place, paid for as
            // one scan of every item.
            Value::String(s) => {
                let n = items.len();
                budget.charge(ELEMENT.saturating_mul(n as u64))?;
                budget.charge_fast(s.len().saturating_mul(n))?;
                Ok(items.iter().any(
                    |item| matches!(item, Value::String(t) if same_bytes(t.as_bytes(), s.as_bytes())),
                ))
            }
            other => any_equal(other, items, budget),
        },
        SetItems::Hashed(items) => Ok(match &*needle {
            // A hash and a probe.
            Value::String(s) => {
                budget.charge(2 * ELEMENT)?;
                budget.charge_fast(s.len())?;
                items.strings.contains(s.as_str())
            }
            Value::Number(n) => {
                budget.charge(2 * ELEMENT)?;
                items.numbers.contains(&number_key(n))
            }
            Value::Bool(true) => items.has_true,
            Value::Bool(false) => items.has_false,
            Value::Null => items.null,
            compound => any_equal(compound, &items.compound, budget)?,
        }),
    }
}

/// Concatenation with JavaScript's string conversion; `null` adds nothing.
pub(crate) fn cat<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut out = String::new();
    for_each_arg(args, ctx, |value| {
        match value {
            Value::Null => {}
            Value::String(s) => {
                ctx.budget().charge_fast(s.len())?;
                out.push_str(s);
            }
            other => {
                ctx.budget().charge_text(other)?;
                push_js_string(&mut out, other);
            }
        }
        Ok(())
    })?;
    Ok(Out::new(Value::String(out)))
}

/// An index argument as JavaScript's `ToIntegerOrInfinity`, clamped to what can matter for a
/// string of `len` characters (so huge or infinite indices cost nothing).
fn clamp_index(value: &Value, len: usize, budget: &Budget) -> Result<i64, EvalError> {
    if let Value::String(s) = value {
        budget.charge_slow(s.len())?;
    }
    let x = to_number(value);
    let bound = i64::try_from(len).unwrap_or(i64::MAX);
    Ok(if x.is_nan() {
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
    })
}

/// JavaScript's `substr(start, length)`: a negative start counts from the end, a negative
/// length leaves that many characters off the end. Counts characters (Unicode scalar values).
pub(crate) fn substr<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let Some(source) = args.first() else {
        return Ok(Out::new(Value::String(String::new())));
    };
    let source = source.eval(ctx)?;
    let start = args.get(1).map(|node| node.eval(ctx)).transpose()?;
    let length = args.get(2).map(|node| node.eval(ctx)).transpose()?;
    cut(&source, start.as_deref(), length.as_deref(), ctx).map(|s| Out::new(Value::String(s)))
}

fn cut(
    source: &Value,
    start: Option<&Value>,
    length: Option<&Value>,
    ctx: &Ctx<'_, '_>,
) -> Result<String, EvalError> {
    let text = ctx.text(source)?;
    // Counting the characters, then walking to the cut: character by character.
    ctx.budget().charge_slow(text.len())?;
    let len = text.chars().count();
    let bound = i64::try_from(len).unwrap_or(i64::MAX);
    let start = match start {
        Some(value) => clamp_index(value, len, ctx.budget())?,
        None => 0,
    };
    let start = if start < 0 {
        (bound + start).max(0)
    } else {
        start.min(bound)
    };
    let available = bound - start;
    let take = match length {
        Some(value) => {
            let length = clamp_index(value, len, ctx.budget())?;
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
    let from = text
        .char_indices()
        .nth(start)
        .map_or(text.len(), |(i, _)| i);
    let rest = text.get(from..).unwrap_or("");
    let to = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
    let out = rest.get(..to).unwrap_or("");
    ctx.budget().charge_fast(out.len())?;
    Ok(out.to_owned())
}
