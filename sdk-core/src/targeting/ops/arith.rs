//! `+`, `-`, `*`, `/`, `%`, `max`, `min`: numbers in, a number out, NaN is an error.

use crate::targeting::budget::{Budget, ALLOC};
use crate::targeting::eval::{for_each_arg, null, Ctx, Out, Res};
use crate::targeting::node::{Args, ArithOp, Extremum};
use crate::targeting::value::{number_value, to_number};
use crate::targeting::EvalError;

fn operand(value: &serde_json::Value, budget: &Budget) -> Result<f64, EvalError> {
    if let serde_json::Value::String(s) = value {
        budget.charge_slow(s.len())?;
    }
    let n = to_number(value);
    if n.is_nan() {
        Err(EvalError::nan())
    } else {
        Ok(n)
    }
}

/// Folds left over the arguments. With one argument `-` negates and `/` inverts (`1 / x`);
/// without any, `+` is 0 and `*` is 1 while the others raise `Invalid Arguments`; `%` needs
/// two. Division by zero is a `NaN` error, as is any result JSON cannot hold.
pub(crate) fn arith<'s>(op: ArithOp, args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut acc: Option<f64> = None;
    let mut count = 0usize;
    for_each_arg(args, ctx, |value| {
        let x = operand(value, ctx.budget())?;
        count += 1;
        acc = Some(match acc {
            None => x,
            Some(a) => match op {
                ArithOp::Add => a + x,
                ArithOp::Sub => a - x,
                ArithOp::Mul => a * x,
                ArithOp::Div | ArithOp::Mod if x == 0.0 => return Err(EvalError::nan()),
                ArithOp::Div => a / x,
                ArithOp::Mod => a % x,
            },
        });
        Ok(())
    })?;
    let result = match (op, acc, count) {
        (ArithOp::Add, None, _) => 0.0,
        (ArithOp::Mul, None, _) => 1.0,
        (ArithOp::Sub, Some(x), 1) => -x,
        (ArithOp::Div, Some(x), 1) => {
            if x == 0.0 {
                return Err(EvalError::nan());
            }
            1.0 / x
        }
        (ArithOp::Mod, _, 0 | 1) | (ArithOp::Sub | ArithOp::Div, None, _) => {
            return Err(EvalError::invalid_args())
        }
        (_, Some(x), _) => x,
        (_, None, _) => return Err(EvalError::invalid_args()),
    };
    Ok(Out::new(number_value(result)?))
}

/// `max`/`min` of the arguments as numbers; null without arguments.
pub(crate) fn extremum<'s>(which: Extremum, args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut best: Option<f64> = None;
    for_each_arg(args, ctx, |value| {
        let x = operand(value, ctx.budget())?;
        best = Some(match (best, which) {
            (None, _) => x,
            (Some(b), Extremum::Max) => b.max(x),
            (Some(b), Extremum::Min) => b.min(x),
        });
        Ok(())
    })?;
    match best {
        Some(x) => Ok(Out::new(number_value(x)?)),
        None => Ok(null()),
    }
}
