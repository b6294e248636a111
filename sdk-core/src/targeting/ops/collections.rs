//! `map`, `filter`, `reduce`, `all`, `some`, `none`, `merge`, `missing`, `missing_some`.

use serde_json::Value;

use crate::targeting::eval::{boolean, for_each_arg, Ctx, Out, Res, Scope};
use crate::targeting::node::{Args, IterOp, Node};
use crate::targeting::path::is_missing;
use crate::targeting::value::{to_number, weight};
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
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        ctx.charge(1)?;
        let child = ctx.child(Scope::Value(item), Some(i));
        if op == IterOp::Map {
            let result = body.eval(&child)?;
            out.push(child.own(result)?);
            continue;
        }
        let pass = body.test(&child)?;
        match op {
            IterOp::Filter if pass => {
                child.charge(weight(item))?;
                out.push(item.clone());
            }
            IterOp::All if !pass => return Ok(boolean(false)),
            IterOp::Some | IterOp::None if pass => return Ok(boolean(op == IterOp::Some)),
            _ => {}
        }
    }
    Ok(match op {
        IterOp::Map | IterOp::Filter => Out::new(Value::Array(out)),
        IterOp::All => boolean(!items.is_empty()),
        IterOp::Some => boolean(false),
        IterOp::None => boolean(true),
    })
}

/// `reduce`: the body sees `{"current", "accumulator"}`; the initial value defaults to null
/// and is the result when there is no array.
pub(crate) fn reduce<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(source), Some(body)) = (args.first(), args.get(1)) else {
        return Err(EvalError::invalid_args());
    };
    let source = source.eval(ctx)?;
    let mut acc = match args.get(2) {
        Some(initial) => {
            let v = initial.eval(ctx)?;
            ctx.own(v)?
        }
        None => Value::Null,
    };
    let Value::Array(items) = &*source else {
        return Ok(Out::new(acc));
    };
    for (i, item) in items.iter().enumerate() {
        ctx.charge(1)?;
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
    Ok(Out::new(acc))
}

/// `merge`: arrays are flattened one level, other values are appended.
pub(crate) fn merge<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let mut out = Vec::new();
    for_each_arg(args, ctx, |value| {
        ctx.charge(weight(value))?;
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
                        ctx.charge(weight(&v))?;
                        return Ok(items.clone());
                    }
                }
                keys.push(ctx.own(v)?);
            }
        }
        Args::Single(_) => for_each_arg(args, ctx, |v| {
            ctx.charge(weight(v))?;
            keys.push(v.clone());
            Ok(())
        })?,
    }
    Ok(keys)
}

/// The keys whose `var` look-up is missing, null or the empty string.
pub(crate) fn missing<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let keys = missing_keys(args, ctx)?;
    let absent: Vec<Value> = keys.into_iter().filter(|k| is_missing(ctx, k)).collect();
    Ok(Out::new(Value::Array(absent)))
}

/// `[need, keys]`: `[]` when at least `need` keys are present, else the missing ones.
pub(crate) fn missing_some<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let (Some(need), Some(keys)) = (args.first(), args.get(1)) else {
        return Err(EvalError::invalid_args());
    };
    let need = to_number(&*need.eval(ctx)?);
    let keys = keys.eval(ctx)?;
    let keys: &[Value] = match &*keys {
        Value::Array(items) => items,
        _ => &[],
    };
    let absent: Vec<Value> = keys
        .iter()
        .filter(|k| is_missing(ctx, k))
        .cloned()
        .collect();
    let present = (keys.len() - absent.len()) as f64;
    Ok(Out::new(Value::Array(if present >= need {
        Vec::new()
    } else {
        absent
    })))
}
