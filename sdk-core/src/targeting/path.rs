//! Data access: `var`, `val`, `exists`, and the `$flagd` properties.
//!
//! At the root of the data, a path whose first segment is `$flagd` resolves from [`Env`]
//! instead of the data, as if flagd had injected `{"$flagd": {"flagKey", "timestamp"}}` into the
//! context (flagd overwrites any `$flagd` the caller sent, and so does this).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::budget::{bytes_units, ALLOC, SLOW_BYTES, STEP};
use super::eval::{boolean, null, Ctx, Out, Res, Scope};
use super::node::{Val, ValPath, Var, VarPath};
use super::{Env, EvalError};
use crate::context::path::{dotted, walk};

/// The whole data of a scope.
fn whole<'s>(ctx: &Ctx<'s, '_>) -> Res<'s> {
    match ctx.scope {
        Scope::Value(v) => Ok(Out::Ref(v)),
        // Built once per context, and only for rules that read the whole of it.
        Scope::Context(c) => Ok(Out::Ref(c.as_value())),
        Scope::Reduce { current, acc } => {
            ctx.charge(ALLOC)?;
            let mut map = Map::new();
            map.insert("current".to_owned(), ctx.copy(current)?);
            map.insert("accumulator".to_owned(), ctx.copy(acc)?);
            Ok(Out::new(Value::Object(map)))
        }
    }
}

/// What looking up a path of these segments costs: a step per segment, each comparing or
/// hashing the segment's bytes.
pub(crate) fn lookup_cost<'p>(segments: impl Iterator<Item = &'p str>) -> u64 {
    segments
        .map(|s| STEP + bytes_units(s.len(), SLOW_BYTES))
        .sum()
}

/// Looks `segments` up in the data of `ctx`; `None` when something on the way is missing.
/// The caller pays for the steps ([`lookup_cost`]).
pub(crate) fn lookup<'s, 'p>(
    ctx: &Ctx<'s, '_>,
    segments: impl Iterator<Item = &'p str> + Clone,
) -> Result<Option<Out<'s>>, EvalError> {
    let mut rest = segments.clone();
    let Some(first) = rest.next() else {
        return whole(ctx).map(Some);
    };
    if ctx.is_root() && first == "$flagd" {
        return flagd(ctx, rest);
    }
    Ok(match ctx.scope {
        Scope::Value(v) => walk(v, segments).map(Out::Ref),
        Scope::Context(c) => c.get(first).and_then(|v| walk(v, rest)).map(Out::Ref),
        Scope::Reduce { current, acc } => {
            let start = match first {
                "current" => current,
                "accumulator" => acc,
                _ => return Ok(None),
            };
            walk(start, rest).map(Out::Ref)
        }
    })
}

/// `$flagd`, `$flagd.flagKey`, `$flagd.timestamp`; anything deeper or other is missing.
fn flagd<'s, 'p>(
    ctx: &Ctx<'s, '_>,
    mut rest: impl Iterator<Item = &'p str>,
) -> Result<Option<Out<'s>>, EvalError> {
    let env: &Env<'_> = &ctx.shared.env;
    let segment = rest.next();
    if rest.next().is_some() {
        return Ok(None);
    }
    ctx.charge(ALLOC)?;
    let flag_key = |ctx: &Ctx<'s, '_>| {
        ctx.budget().charge_fast(env.flag_key.len())?;
        Ok::<_, EvalError>(Value::String(env.flag_key.to_owned()))
    };
    let value = match segment {
        None => {
            let mut map = Map::new();
            map.insert("flagKey".to_owned(), flag_key(ctx)?);
            map.insert("timestamp".to_owned(), Value::from(env.timestamp));
            Value::Object(map)
        }
        Some("flagKey") => flag_key(ctx)?,
        Some("timestamp") => Value::from(env.timestamp),
        Some(_) => return Ok(None),
    };
    Ok(Some(Out::new(value)))
}

/// Pays for looking up a path computed at run time: splitting it and a step per segment
/// (a walk ends at the data's depth, so the steps are bounded by the text and the data).
fn charge_dynamic(ctx: &Ctx<'_, '_>, path: &str) -> Result<(), EvalError> {
    ctx.charge(STEP)?;
    ctx.budget().charge_slow(path.len())
}

/// `var`. The common case — one attribute of the context, at the root — is inlined into the
/// operators that read attributes in place; the rest goes through [`eval_var_general`].
#[inline]
pub(crate) fn eval_var<'s>(var: &'s Var, ctx: &Ctx<'s, '_>) -> Res<'s> {
    if let (
        VarPath::Static {
            segments,
            cost,
            first_hash,
            flagd: false,
        },
        Scope::Context(c),
    ) = (&var.path, ctx.scope)
    {
        if let [name] = &**segments {
            ctx.charge(*cost)?;
            return match (c.get_hashed(name, *first_hash), &var.default) {
                (Some(v), _) => Ok(Out::Ref(v)),
                (None, Some(default)) => default.eval(ctx),
                (None, None) => Ok(null()),
            };
        }
    }
    eval_var_general(var, ctx)
}

fn eval_var_general<'s>(var: &'s Var, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let found = match &var.path {
        VarPath::Whole => Some(whole(ctx)?),
        VarPath::Static {
            segments,
            cost,
            first_hash,
            flagd,
        } => {
            ctx.charge(*cost)?;
            // The common case, a path from the root of a context: the first segment was hashed
            // when the rule compiled.
            match (ctx.scope, segments.split_first()) {
                (Scope::Context(c), Some((first, rest))) if !flagd => c
                    .get_hashed(first, *first_hash)
                    .and_then(|v| walk(v, rest.iter().map(|s| &**s)))
                    .map(Out::Ref),
                _ => lookup(ctx, segments.iter().map(|s| &**s))?,
            }
        }
        VarPath::Dynamic(node) => {
            let path = node.eval(ctx)?;
            match &*path {
                Value::Null => Some(whole(ctx)?),
                other => {
                    let text = ctx.text(other)?;
                    charge_dynamic(ctx, &text)?;
                    lookup(ctx, dotted(&text))?
                }
            }
        }
    };
    match (found, &var.default) {
        (Some(v), _) => Ok(v),
        (None, Some(default)) => default.eval(ctx),
        (None, None) => Ok(null()),
    }
}

/// A `val`/`exists` path resolved against the right scope level.
fn resolve_val<'s>(val: &'s Val, ctx: &Ctx<'s, '_>) -> Result<Option<Out<'s>>, EvalError> {
    let mut target = ctx;
    let mut index_level = false;
    if let Some(levels) = val.climb {
        // Each iterator scope is two levels: its element, then its iteration metadata.
        let mut n = levels;
        while n >= 2 {
            match target.parent {
                Some(parent) => target = parent,
                None => return Ok(None),
            }
            n -= 2;
        }
        index_level = n == 1;
    }
    let segments: Vec<Cow<'s, str>> = match &val.path {
        ValPath::Static { segments, cost } => {
            ctx.charge(*cost)?;
            if !index_level {
                return lookup(target, segments.iter().map(|s| &**s));
            }
            segments.iter().map(|s| Cow::Borrowed(&**s)).collect()
        }
        ValPath::Parts(nodes) => {
            let mut out = Vec::with_capacity(nodes.len());
            for node in nodes.iter() {
                out.push(owned_segment(ctx, &*node.eval(ctx)?)?);
            }
            out
        }
        ValPath::Expr(node) => match &*node.eval(ctx)? {
            Value::Null => Vec::new(),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(owned_segment(ctx, item)?);
                }
                out
            }
            other => vec![owned_segment(ctx, other)?],
        },
    };
    let segments = segments.iter().map(|s| &**s);
    if index_level {
        return Ok(iteration_metadata(target.index, segments));
    }
    lookup(target, segments)
}

/// A computed `val` segment as text, paid for (converting, copying and one step).
fn owned_segment<'s>(ctx: &Ctx<'_, '_>, value: &Value) -> Result<Cow<'s, str>, EvalError> {
    let text = ctx.text(value)?;
    charge_dynamic(ctx, &text)?;
    Ok(Cow::Owned(text.into_owned()))
}

/// The metadata level of an iterator's scope: `{"index": i}`.
fn iteration_metadata<'s, 'p>(
    index: Option<usize>,
    mut segments: impl Iterator<Item = &'p str>,
) -> Option<Out<'s>> {
    let index = index?;
    match segments.next() {
        None => {
            let mut map = Map::new();
            map.insert("index".to_owned(), Value::from(index));
            Some(Out::new(Value::Object(map)))
        }
        Some("index") if segments.next().is_none() => Some(Out::new(Value::from(index))),
        Some(_) => None,
    }
}

pub(crate) fn eval_val<'s>(val: &'s Val, ctx: &Ctx<'s, '_>) -> Res<'s> {
    Ok(resolve_val(val, ctx)?.unwrap_or_else(null))
}

pub(crate) fn eval_exists<'s>(val: &'s Val, ctx: &Ctx<'s, '_>) -> Res<'s> {
    Ok(boolean(resolve_val(val, ctx)?.is_some()))
}

/// A key of `missing`, as a `var` path.
pub(crate) fn is_missing(ctx: &Ctx<'_, '_>, key: &Value) -> Result<bool, EvalError> {
    let path = ctx.text(key)?;
    charge_dynamic(ctx, &path)?;
    Ok(match lookup(ctx, dotted(&path))? {
        None => true,
        Some(v) => match &*v {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        },
    })
}
