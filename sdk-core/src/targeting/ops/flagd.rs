//! flagd's custom operators: `fractional`, `sem_ver`, `starts_with`, `ends_with`.
//!
//! They follow flagd (core `pkg/evaluator`, testbed 3.9): invalid input never raises, the
//! operator returns null, which makes flagd serve the default variant.

use std::borrow::Cow;

use serde_json::Value;

use crate::hashing::key_hash_const;
use crate::targeting::budget::{Budget, ELEMENT};
use crate::targeting::eval::{boolean, null, Ctx, Out, Res};
use crate::targeting::murmur3::{hash32, hash32_concat, Hasher};
use crate::targeting::node::{Args, Bucket, CatPart, FracKey, Fractional, Node, StrMatch, Weight};
use crate::targeting::semver::{SemVerOp, Version};
use crate::targeting::value::{number_f64, push_js_number, push_js_string};
use crate::targeting::EvalError;

/// The largest total weight flagd accepts (`math.MaxInt32`).
pub(crate) const MAX_TOTAL_WEIGHT: u64 = i32::MAX as u64;

/// Evaluates an operator's arguments into values (a single argument that evaluates to an
/// array is the argument list), for the operators that look at all of them at once.
fn arg_values<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Result<Vec<Out<'s>>, EvalError> {
    match args {
        Args::List(nodes) => nodes.iter().map(|n| n.eval(ctx)).collect(),
        Args::Single(node) => match node.eval(ctx)? {
            Out::Ref(Value::Array(items)) => {
                ctx.charge(ELEMENT.saturating_mul(items.len() as u64))?;
                Ok(items.iter().map(Out::Ref).collect())
            }
            Out::Owned(value) => match *value {
                Value::Array(items) => {
                    ctx.charge(ELEMENT.saturating_mul(items.len() as u64))?;
                    Ok(items.into_iter().map(Out::new).collect())
                }
                other => Ok(vec![Out::new(other)]),
            },
            other => Ok(vec![other]),
        },
    }
}

/// `starts_with` / `ends_with`: two strings, else null (not false, so that flagd serves the
/// default variant instead of looking up a variant named "false").
pub(crate) fn str_match<'s>(which: StrMatch, args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let budget = ctx.budget();
    let result = match args {
        Args::List(nodes) => match &**nodes {
            [a, b] => affix_test(which, &*a.eval(ctx)?, &*b.eval(ctx)?, budget)?,
            _ => None,
        },
        Args::Single(_) => match arg_values(args, ctx)?.as_slice() {
            [a, b] => affix_test(which, a, b, budget)?,
            _ => None,
        },
    };
    Ok(result.map_or_else(null, boolean))
}

fn affix_test(
    which: StrMatch,
    subject: &Value,
    affix: &Value,
    budget: &Budget,
) -> Result<Option<bool>, EvalError> {
    let (Value::String(subject), Value::String(affix)) = (subject, affix) else {
        return Ok(None);
    };
    budget.charge_fast(affix.len().min(subject.len()))?;
    Ok(Some(match which {
        StrMatch::StartsWith => subject.starts_with(affix.as_str()),
        StrMatch::EndsWith => subject.ends_with(affix.as_str()),
    }))
}

/// A `sem_ver` operand: a string, or a number written as JavaScript prints it (`1.2`, `1`),
/// paid for as the parse that follows reads it.
fn version_text<'v>(value: &'v Value, budget: &Budget) -> Result<Option<Cow<'v, str>>, EvalError> {
    let text = match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Number(n) => {
            budget.charge_text(value)?;
            let mut out = String::new();
            push_js_number(&mut out, n);
            Cow::Owned(out)
        }
        _ => return Ok(None),
    };
    budget.charge_slow(text.len())?;
    Ok(Some(text))
}

/// `sem_ver`: `[version, operator, version]`; null for a wrong count, an unknown operator or
/// an invalid version.
pub(crate) fn sem_ver<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let budget = ctx.budget();
    let result = match args {
        Args::List(nodes) => match &**nodes {
            [left, op, right] => compare_versions(
                &*left.eval(ctx)?,
                &*op.eval(ctx)?,
                &*right.eval(ctx)?,
                budget,
            )?,
            _ => None,
        },
        Args::Single(_) => match arg_values(args, ctx)?.as_slice() {
            [left, op, right] => compare_versions(left, op, right, budget)?,
            _ => None,
        },
    };
    Ok(result.map_or_else(null, boolean))
}

fn compare_versions(
    left: &Value,
    op: &Value,
    right: &Value,
    budget: &Budget,
) -> Result<Option<bool>, EvalError> {
    let Some(op) = op.as_str().and_then(SemVerOp::parse) else {
        return Ok(None);
    };
    let (Some(left), Some(right)) = (version_text(left, budget)?, version_text(right, budget)?)
    else {
        return Ok(None);
    };
    // Comparing parsed versions reads each part once more, at most.
    Ok(match (Version::parse(&left), Version::parse(&right)) {
        (Some(a), Some(b)) => Some(op.apply(&a, &b)),
        _ => None,
    })
}

/// A weight as flagd reads it: an integer (negative clamps to 0), or null for the default 1.
/// Fractions, non-numbers and values above `i32::MAX` are invalid.
pub(crate) fn weight_of(value: &Value) -> Option<u64> {
    match value {
        Value::Null => Some(1),
        Value::Number(n) => {
            let w = number_f64(n);
            if w.fract() != 0.0 || w > MAX_TOTAL_WEIGHT as f64 {
                None
            } else if w <= 0.0 {
                Some(0)
            } else {
                // Integral and within u32 range.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(w as u64)
            }
        }
        _ => None,
    }
}

/// A chosen variant must be a string, boolean, number or null.
fn variant_ok(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

pub(crate) enum KeyHash {
    Hash(u32),
    /// No usable bucketing value: the operator returns null.
    Unavailable,
}

/// [`crate::hashing::key_hash`] of `targetingKey`, computed once at compile time.
pub(crate) const TARGETING_KEY_HASH: u64 = key_hash_const(b"targetingKey");

/// The implicit bucketing value `flagKey ‖ targetingKey`, hashed without building it; null
/// when the context has no non-empty string `targetingKey`.
fn implicit_hash(ctx: &Ctx<'_, '_>) -> Result<KeyHash, EvalError> {
    implicit_key_hash(
        ctx.root_field("targetingKey", TARGETING_KEY_HASH),
        ctx.shared.env.flag_key,
        ctx.budget(),
    )
}

/// [`implicit_hash`] from the context's `targetingKey` (`key`), paid for from `budget`.
pub(crate) fn implicit_key_hash(
    key: Option<&Value>,
    flag_key: &str,
    budget: &Budget,
) -> Result<KeyHash, EvalError> {
    let key = key.and_then(Value::as_str).filter(|k| !k.is_empty());
    Ok(match key {
        Some(key) => {
            budget.charge_slow(flag_key.len() + key.len())?;
            KeyHash::Hash(hash32_concat(flag_key.as_bytes(), key.as_bytes(), 0))
        }
        None => KeyHash::Unavailable,
    })
}

/// MurmurHash3 of `bytes`, paid for.
fn hash_charged(bytes: &[u8], budget: &Budget) -> Result<u32, EvalError> {
    budget.charge_slow(bytes.len())?;
    Ok(hash32(bytes, 0))
}

/// The hash of what `cat` would build from `parts`, without building it.
fn cat_hash<'s>(parts: &'s [CatPart], ctx: &Ctx<'s, '_>) -> Result<u32, EvalError> {
    let mut hasher = Hasher::new(0);
    let budget = ctx.budget();
    for part in parts {
        let node = match part {
            CatPart::FlagKey(_) if ctx.is_root() => {
                let flag_key = ctx.shared.env.flag_key;
                budget.charge_slow(flag_key.len())?;
                hasher.write(flag_key.as_bytes());
                continue;
            }
            CatPart::FlagKey(node) | CatPart::Other(node) => node,
        };
        match &*node.eval(ctx)? {
            Value::Null => {}
            Value::String(s) => {
                budget.charge_slow(s.len())?;
                hasher.write(s.as_bytes());
            }
            other => {
                budget.charge_text(other)?;
                let mut text = String::new();
                push_js_string(&mut text, other);
                budget.charge_slow(text.len())?;
                hasher.write(text.as_bytes());
            }
        }
    }
    Ok(hasher.finish())
}

/// `fractional`: hashes the bucketing value with MurmurHash3 (x86_32, seed 0) and maps it onto
/// the cumulative weights with flagd's v2 rule, `bucket = (hash × total) >> 32`.
pub(crate) fn fractional<'s>(frac: &'s Fractional, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let mut dynamic_first: Option<Out<'s>> = None;
    let budget = ctx.budget();
    let hash = match &frac.key {
        FracKey::Implicit => implicit_hash(ctx)?,
        FracKey::Literal(key) => KeyHash::Hash(hash_charged(key.as_bytes(), budget)?),
        FracKey::Cat(parts) => KeyHash::Hash(cat_hash(parts, ctx)?),
        FracKey::Expr(node) => {
            let value = node.eval(ctx)?;
            match &*value {
                Value::String(key) => KeyHash::Hash(hash_charged(key.as_bytes(), budget)?),
                Value::Null => implicit_hash(ctx)?,
                Value::Array(_) => {
                    dynamic_first = Some(value);
                    implicit_hash(ctx)?
                }
                _ => return Ok(null()),
            }
        }
    };
    let needs_values =
        dynamic_first.is_some() || frac.buckets.iter().any(|b| matches!(b, Bucket::Dynamic(_)));
    if let (Some(cumulative), false) = (&frac.cumulative, needs_values) {
        // All weights literal: nothing to evaluate but the chosen variant.
        return match literal_bucket(&hash, cumulative) {
            Some(i) => static_variant(frac.buckets.get(i), ctx),
            None => Ok(null()),
        };
    }
    // General path: evaluate the weights (and dynamic buckets), as flagd does before hashing.
    let mut variants: Vec<Option<Out<'s>>> = Vec::new();
    let mut weights: Vec<u64> = Vec::new();
    if let Some(first) = dynamic_first {
        let Some((variant, w)) = dynamic_bucket(first) else {
            return Ok(null());
        };
        variants.push(Some(variant));
        weights.push(w);
    }
    for bucket in frac.buckets.iter() {
        ctx.charge(ELEMENT)?;
        match bucket {
            Bucket::Static { weight, .. } => {
                let w = match weight {
                    Weight::Fixed(w) => Some(*w),
                    Weight::Expr(node) => weight_of(&*node.eval(ctx)?),
                };
                let Some(w) = w else { return Ok(null()) };
                variants.push(None);
                weights.push(w);
            }
            Bucket::Dynamic(node) => {
                let Some((variant, w)) = dynamic_bucket(node.eval(ctx)?) else {
                    return Ok(null());
                };
                variants.push(Some(variant));
                weights.push(w);
            }
        }
    }
    let KeyHash::Hash(hash) = hash else {
        return Ok(null());
    };
    let total: u64 = weights.iter().sum();
    let mut running = 0u64;
    let cumulative = weights.iter().map(|w| {
        running += w;
        running
    });
    let Some(i) = choose(hash, total, cumulative) else {
        return Ok(null());
    };
    // A dynamic first bucket shifts the static buckets by one.
    let offset = variants.len() - frac.buckets.len();
    match variants.get_mut(i) {
        Some(Some(variant)) => Ok(std::mem::replace(variant, null())),
        _ => static_variant(i.checked_sub(offset).and_then(|j| frac.buckets.get(j)), ctx),
    }
}

/// The bucket a hash falls in when every weight is a literal (`cumulative`, their running
/// sums); `None` (the operator returns null) without a hash or a usable total.
pub(crate) fn literal_bucket(hash: &KeyHash, cumulative: &[u64]) -> Option<usize> {
    let (KeyHash::Hash(hash), Some(&total)) = (hash, cumulative.last()) else {
        return None;
    };
    choose(*hash, total, cumulative.iter().copied())
}

/// The index of the bucket the hash falls in; `None` for a total of 0 or above `i32::MAX`.
fn choose(hash: u32, total: u64, cumulative: impl Iterator<Item = u64>) -> Option<usize> {
    if total == 0 || total > MAX_TOTAL_WEIGHT {
        return None;
    }
    let bucket = (u64::from(hash) * total) >> 32;
    cumulative.into_iter().position(|end| bucket < end)
}

fn static_variant<'s>(bucket: Option<&'s Bucket>, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let Some(Bucket::Static { variant, .. }) = bucket else {
        return Ok(null());
    };
    let value = variant.eval(ctx)?;
    Ok(if variant_ok(&value) { value } else { null() })
}

/// An evaluated `[variant, weight?]`.
fn dynamic_bucket(value: Out<'_>) -> Option<(Out<'_>, u64)> {
    let items = value.as_array()?;
    let variant = items.first()?;
    let weight = match items.get(1) {
        Some(w) => weight_of(w)?,
        None => 1,
    };
    if !variant_ok(variant) {
        return None;
    }
    match value {
        Out::Ref(Value::Array(items)) => Some((Out::Ref(items.first()?), weight)),
        // Moved out, not copied.
        Out::Owned(boxed) => match *boxed {
            Value::Array(items) => Some((Out::new(items.into_iter().next()?), weight)),
            _ => None,
        },
        Out::Ref(_) => None,
    }
}

/// Compile-time helper: the literal weight of a bucket, for [`Fractional::cumulative`].
pub(crate) fn fixed_weight(bucket: &Bucket) -> Option<u64> {
    match bucket {
        Bucket::Static {
            weight: Weight::Fixed(w),
            ..
        } => Some(*w),
        _ => None,
    }
}

/// Compile-time helper: whether a node is a literal bucket variant flagd cannot return.
pub(crate) fn literal_variant_invalid(node: &Node) -> bool {
    matches!(node, Node::Lit(v) if !variant_ok(v))
}
