//! `map`, `filter`, `reduce`, `all`, `some`, `none`, `merge`, `missing`, `missing_some`.

use serde_json::Value;

use crate::targeting::budget::{ALLOC, ELEMENT};
use crate::targeting::eval::{boolean, for_each_arg, Ctx, Out, Res, Scope};
use crate::targeting::node::{Args, IterOp, Node};
use crate::targeting::path::is_missing;
use crate::targeting::value::to_number;
use crate::targeting::EvalError;

/// The iterators. The body runs once per element with the element as its data (and the index
/// one scope level up, for `val`). A value that is not an array iterates as an empty one: `map`
/// and `filter` give `[]`, `all` and `some` false, `none` true. (The compat tables make `all`,
/// `some` and `none` raise on a missing array; a missing context attribute must not turn a
/// targeting rule into an error, so they behave like `map` and `filter` here.)
pub(crate) fn iterate<'s>(op: IterOp, args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(source), Some(body)) = (args.first(), args.get(1)) else {
        return Err(EvalError::invalid_args());
    };
    let source = source.eval(ctx)?;
    let items: &[Value] = match &*source {
        Value::Array(items) => items,
        _ => &[],
    };
    // One function per kind of loop keeps the frames on deep rules' recursion path small.
    match op {
        IterOp::Map | IterOp::Filter => collect(op == IterOp::Map, items, body, ctx),
        IterOp::All | IterOp::Some | IterOp::None => quantify(op, items, body, ctx).map(boolean),
    }
}

/// `map` (the body's values) and `filter` (the elements that pass).
fn collect<'s>(map: bool, items: &[Value], body: &Node, ctx: &Ctx<'_, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        ctx.charge(ELEMENT)?;
        let child = ctx.child(Scope::Value(item), Some(i));
        if map {
            let result = body.eval(&child)?;
            out.push(child.own(result)?);
        } else if body.test(&child)? {
            out.push(child.copy(item)?);
        }
    }
    Ok(Out::new(Value::Array(out)))
}

/// `all`, `some`, `none`: stop at the first element that decides.
fn quantify(
    op: IterOp,
    items: &[Value],
    body: &Node,
    ctx: &Ctx<'_, '_>,
) -> Result<bool, EvalError> {
    for (i, item) in items.iter().enumerate() {
        ctx.charge(ELEMENT)?;
        let child = ctx.child(Scope::Value(item), Some(i));
        let pass = body.test(&child)?;
        match op {
            IterOp::All if !pass => return Ok(false),
            IterOp::Some | IterOp::None if pass => return Ok(op == IterOp::Some),
            _ => {}
        }
    }
    Ok(match op {
        IterOp::All => !items.is_empty(),
        IterOp::Some => false,
        _ => true,
    })
}

/// `reduce`: the body sees `{"current", "accumulator"}`; the initial value defaults to null
/// and is the result when there is no array.
pub(crate) fn reduce<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(source), Some(body)) = (args.first(), args.get(1)) else {
        return Err(EvalError::invalid_args());
    };
    ctx.charge(ALLOC)?;
    let source = source.eval(ctx)?;
    let acc = match args.get(2) {
        Some(initial) => {
            let v = initial.eval(ctx)?;
            ctx.own(v)?
        }
        None => Value::Null,
    };
    match &*source {
        Value::Array(items) => fold(items, body, acc, ctx).map(Out::new),
        _ => Ok(Out::new(acc)),
    }
}

fn fold(
    items: &[Value],
    body: &Node,
    mut acc: Value,
    ctx: &Ctx<'_, '_>,
) -> Result<Value, EvalError> {
    for (i, item) in items.iter().enumerate() {
        ctx.charge(ELEMENT)?;
        let child = ctx.child(
            Scope::Reduce {
                current: item,
                acc: &acc,
            },
            Some(i),
        );
        let next = body.eval(&child)?;
        let next = child.own(next)?;
        acc = next;
    }
    Ok(acc)
}

/// `merge`: arrays are flattened one level, other values are appended.
pub(crate) fn merge<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut out = Vec::new();
    for_each_arg(args, ctx, |value| {
        ctx.budget().charge_value(value)?;
        match value {
            Value::Array(items) => out.extend(items.iter().cloned()),
            other => out.push(other.clone()),
        }
        Ok(())
    })?;
    Ok(Out::new(Value::Array(out)))
}

/// The keys of `missing`: when the first argument is an array it is the key list, otherwise
/// the arguments are.
fn missing_keys<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Result<Vec<Value>, EvalError> {
    let mut keys = Vec::new();
    match args {
        Args::List(nodes) => {
            for (i, node) in nodes.iter().enumerate() {
                let v = node.eval(ctx)?;
                if i == 0 {
                    if let Value::Array(items) = &*v {
                        ctx.budget().charge_value(&v)?;
                        return Ok(items.clone());
                    }
                }
                keys.push(ctx.own(v)?);
            }
        }
        Args::Single(_) => for_each_arg(args, ctx, |v| {
            keys.push(ctx.copy(v)?);
            Ok(())
        })?,
    }
    Ok(keys)
}

/// The keys whose `var` look-up is missing, null or the empty string.
pub(crate) fn missing<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let keys = missing_keys(args, ctx)?;
    let mut absent = Vec::new();
    for key in keys {
        if is_missing(ctx, &key)? {
            absent.push(key);
        }
    }
    Ok(Out::new(Value::Array(absent)))
}

/// `[need, keys]`: `[]` when at least `need` keys are present, else the missing ones.
pub(crate) fn missing_some<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(need), Some(keys)) = (args.first(), args.get(1)) else {
        return Err(EvalError::invalid_args());
    };
    ctx.charge(ALLOC)?;
    let need = need.eval(ctx)?;
    if let Value::String(s) = &*need {
        ctx.budget().charge_slow(s.len())?;
    }
    let need = to_number(&need);
    let keys = keys.eval(ctx)?;
    let keys: &[Value] = match &*keys {
        Value::Array(items) => items,
        _ => &[],
    };
    let mut absent = Vec::new();
    for key in keys {
        if is_missing(ctx, key)? {
            absent.push(ctx.copy(key)?);
        }
    }
    let present = (keys.len() - absent.len()) as f64;
    Ok(Out::new(Value::Array(if present >= need {
        Vec::new()
    } else {
        absent
    })))
}
