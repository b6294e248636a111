//! The evaluator: walks the compiled tree with a scope chain.
//!
//! Results are [`Out<'s>`], where `'s` covers both the rule and the data: literals and `var`
//! look-ups come back borrowed, and only computed values are owned. Iterators run their
//! body in a child scope whose data may be a temporary (an element of a computed array), which
//! is why the scope chain has its own, shorter lifetime.

use std::borrow::Cow;

use serde_json::Value;

use crate::context::Context;

use super::budget::{Budget, ALLOC, CAUGHT, ELEMENT, NODE};
use super::node::{Args, CmpOp, Evaluator, InSet, Node};
use super::value::{compare, js_string, loose_eq, strict_eq, truthy};
use super::{ops, path, Env, EvalError};

pub(crate) type Res<'s> = Result<Out<'s>, EvalError>;

/// An evaluation result: a borrow of the rule or the data, or a computed value. Two words, so
/// results travel in registers (a `Cow<Value>` is 72 bytes, and moving it dominated the cost
/// of small rules).
#[derive(Debug)]
pub(crate) enum Out<'s> {
    Ref(&'s Value),
    Owned(Box<Value>),
}

impl<'s> Out<'s> {
    pub(crate) fn new(value: Value) -> Self {
        Out::Owned(Box::new(value))
    }

    pub(crate) fn into_cow(self) -> Cow<'s, Value> {
        match self {
            Out::Ref(v) => Cow::Borrowed(v),
            Out::Owned(v) => Cow::Owned(*v),
        }
    }
}

impl std::ops::Deref for Out<'_> {
    type Target = Value;

    fn deref(&self) -> &Value {
        match self {
            Out::Ref(v) => v,
            Out::Owned(v) => v,
        }
    }
}

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);
static NULL: Value = Value::Null;

/// The data an expression sees as `{"var": ""}`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'s> {
    Value(&'s Value),
    /// The root of an evaluation of a [`Context`]: its attributes read in place, the whole
    /// object built only when a rule reads it whole.
    Context(&'s Context),
    /// Inside `reduce`: `{"current": ..., "accumulator": ...}` without building the object.
    Reduce {
        current: &'s Value,
        acc: &'s Value,
    },
}

/// What every scope of one evaluation shares.
#[derive(Debug)]
pub(crate) struct Shared<'c> {
    pub(crate) env: Env<'c>,
}

/// One level of the scope chain.
#[derive(Debug)]
pub(crate) struct Ctx<'s, 'c> {
    pub(crate) scope: Scope<'s>,
    /// The iteration index of an iterator's scope, visible to `val` one level up.
    pub(crate) index: Option<usize>,
    pub(crate) parent: Option<&'c Ctx<'s, 'c>>,
    pub(crate) shared: &'c Shared<'c>,
    /// `shared.budget`, one load closer: every node evaluated charges it.
    budget: &'c Budget,
}

impl<'s, 'c> Ctx<'s, 'c> {
    pub(crate) fn child<'x>(&'x self, scope: Scope<'x>, index: Option<usize>) -> Ctx<'x, 'x>
    where
        's: 'x,
        'c: 'x,
    {
        Ctx {
            scope,
            index,
            parent: Some(self),
            shared: self.shared,
            budget: self.budget,
        }
    }

    pub(crate) fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// A top-level field of the evaluation's data (where `targetingKey` lives), with the name's
    /// [`crate::hashing::key_hash`].
    pub(crate) fn root_field(&self, name: &str, hash: u64) -> Option<&'s Value> {
        let mut ctx = self;
        while let Some(parent) = ctx.parent {
            ctx = parent;
        }
        match ctx.scope {
            Scope::Value(v) => v.get(name),
            Scope::Context(c) => c.get_hashed(name, hash),
            Scope::Reduce { .. } => None,
        }
    }

    /// The budget of this evaluation.
    #[inline]
    pub(crate) fn budget(&self) -> &Budget {
        self.budget
    }

    /// Spends `units` of the evaluation budget.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    pub(crate) fn charge(&self, units: u64) -> Result<(), EvalError> {
        self.budget.charge(units)
    }

    /// Turns a result into an owned value, paying for the copy when it is a borrow.
    pub(crate) fn own(&self, value: Out<'_>) -> Result<Value, EvalError> {
        match value {
            Out::Ref(v) => {
                self.budget.charge_value(v)?;
                Ok(v.clone())
            }
            Out::Owned(v) => Ok(*v),
        }
    }

    /// A copy of `value`, paid for.
    pub(crate) fn copy(&self, value: &Value) -> Result<Value, EvalError> {
        self.budget.charge_value(value)?;
        Ok(value.clone())
    }

    /// JavaScript's `String(value)`, paying for the conversion (a string is borrowed for
    /// free; the caller pays for what it does with the bytes).
    pub(crate) fn text<'v>(&self, value: &'v Value) -> Result<Cow<'v, str>, EvalError> {
        if !value.is_string() {
            self.budget.charge_text(value)?;
        }
        Ok(js_string(value))
    }
}

pub(crate) fn evaluate<'a>(
    root: &'a Node,
    data: Scope<'a>,
    env: &Env<'a>,
    budget: &Budget,
) -> Res<'a> {
    let shared = Shared { env: *env };
    let ctx = Ctx {
        scope: data,
        index: None,
        parent: None,
        shared: &shared,
        budget,
    };
    // The result borrows only from the rule and the data, never from `ctx`.
    root.eval(&ctx)
}

pub(crate) fn test(
    root: &Node,
    data: Scope<'_>,
    env: &Env<'_>,
    budget: &Budget,
) -> Result<bool, EvalError> {
    let shared = Shared { env: *env };
    let ctx = Ctx {
        scope: data,
        index: None,
        parent: None,
        shared: &shared,
        budget,
    };
    root.test(&ctx)
}

pub(crate) fn boolean<'s>(b: bool) -> Out<'s> {
    Out::Ref(if b { &TRUE } else { &FALSE })
}

pub(crate) fn null<'s>() -> Out<'s> {
    Out::Ref(&NULL)
}

// Every arm below is a single call: in unoptimised builds a `match` keeps each arm's
// temporaries in its own stack slots, and these two functions are on the recursion path of
// every rule, so they must stay small for deep rules to fit a small stack. (Optimised builds
// inline the helpers.)
impl Node {
    /// A literal (the most common node: every `if` branch and `fractional` variant) is read
    /// here, inlined at the call site; every other node goes through [`Node::eval_node`].
    #[inline]
    pub(crate) fn eval<'s>(&'s self, ctx: &Ctx<'s, '_>) -> Res<'s> {
        match self {
            Node::Lit(v) => {
                ctx.charge(NODE)?;
                Ok(Out::Ref(v))
            }
            other => other.eval_node(ctx),
        }
    }

    fn eval_node<'s>(&'s self, ctx: &Ctx<'s, '_>) -> Res<'s> {
        ctx.charge(NODE)?;
        match self {
            Node::Lit(v) => Ok(Out::Ref(v)),
            Node::Array(items) => eval_array(items, ctx),
            Node::Var(var) => path::eval_var(var, ctx),
            Node::Val(val) => path::eval_val(val, ctx),
            Node::Exists(val) => path::eval_exists(val, ctx),
            Node::Missing(args) => ops::collections::missing(args, ctx),
            Node::MissingSome(args) => ops::collections::missing_some(args, ctx),
            Node::If(args) => eval_if(args, ctx),
            Node::And(args) => eval_and_or(args, ctx, false),
            Node::Or(args) => eval_and_or(args, ctx, true),
            Node::Coalesce(args) => eval_coalesce(args, ctx),
            Node::Not(arg) => eval_not(arg, ctx),
            Node::Truthy(arg) => eval_truthy(arg, ctx),
            Node::Compare(op, args) => eval_compare_value(*op, args, ctx),
            Node::Arith(op, args) => ops::arith::arith(*op, args, ctx),
            Node::Extremum(which, args) => ops::arith::extremum(*which, args, ctx),
            Node::In(args) => ops::strings::contains(args, ctx),
            Node::InSet(set) => eval_in_set(set, ctx),
            Node::Cat(args) => ops::strings::cat(args, ctx),
            Node::Substr(args) => ops::strings::substr(args, ctx),
            Node::Merge(args) => ops::collections::merge(args, ctx),
            Node::Iter(op, args) => ops::collections::iterate(*op, args, ctx),
            Node::Reduce(args) => ops::collections::reduce(args, ctx),
            Node::Try(args) => eval_try(args, ctx),
            Node::Throw(arg) => eval_throw(arg, ctx),
            Node::StrMatch(which, args) => ops::flagd::str_match(*which, args, ctx),
            Node::SemVer(args) => ops::flagd::sem_ver(args, ctx),
            Node::Fractional(frac) => ops::flagd::fractional(frac, ctx),
            Node::Fail => fail(),
            Node::Ref(evaluator) => eval_ref(evaluator, ctx),
        }
    }

    /// The truthiness of this node's value, without building the value when the node is a
    /// test (comparisons, `in`, `!`, `and`/`or` of tests): conditions are the hot path.
    pub(crate) fn test(&self, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
        match self {
            Node::Lit(v) => test_lit(v, ctx),
            Node::Compare(op, args) => test_compare(*op, args, ctx),
            Node::InSet(set) => test_in_set(set, ctx),
            Node::Not(arg) => test_not(arg, ctx),
            Node::Truthy(arg) => test_truthy(arg, ctx),
            Node::And(args) => test_and(args, ctx),
            Node::Or(args) => test_or(args, ctx),
            Node::Ref(evaluator) => test_ref(evaluator, ctx),
            other => test_value(other, ctx),
        }
    }
}

fn fail<'s>() -> Res<'s> {
    Err(EvalError::invalid_args())
}

fn eval_array<'s>(items: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let v = item.eval(ctx)?;
        out.push(ctx.own(v)?);
    }
    Ok(Out::new(Value::Array(out)))
}

fn eval_not<'s>(arg: &'s Node, ctx: &Ctx<'s, '_>) -> Res<'s> {
    arg.test(ctx).map(|b| boolean(!b))
}

fn eval_truthy<'s>(arg: &'s Node, ctx: &Ctx<'s, '_>) -> Res<'s> {
    arg.test(ctx).map(boolean)
}

fn eval_compare_value<'s>(op: CmpOp, args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    eval_compare(op, args, ctx).map(boolean)
}

fn eval_in_set<'s>(set: &'s InSet, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ops::strings::in_set(set, ctx).map(boolean)
}

fn eval_throw<'s>(arg: &'s Node, ctx: &Ctx<'s, '_>) -> Res<'s> {
    ctx.charge(ALLOC)?;
    let v = arg.eval(ctx)?;
    Err(EvalError::thrown(ctx.own(v)?))
}

fn eval_ref<'s>(evaluator: &'s Evaluator, ctx: &Ctx<'s, '_>) -> Res<'s> {
    match evaluator.body.get() {
        Some(body) => body.eval(ctx),
        None => fail(),
    }
}

fn test_lit(value: &Value, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    Ok(truthy(value))
}

fn test_compare<'s>(op: CmpOp, args: &'s [Node], ctx: &Ctx<'s, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    eval_compare(op, args, ctx)
}

fn test_in_set<'s>(set: &'s InSet, ctx: &Ctx<'s, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    ops::strings::in_set(set, ctx)
}

fn test_not(arg: &Node, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    arg.test(ctx).map(|b| !b)
}

fn test_truthy(arg: &Node, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    arg.test(ctx)
}

/// The deciding value of `and`/`or` has the truthiness of the whole.
fn test_and(args: &[Node], ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    for arg in args {
        if !arg.test(ctx)? {
            return Ok(false);
        }
    }
    Ok(!args.is_empty())
}

fn test_or(args: &[Node], ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    for arg in args {
        if arg.test(ctx)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn test_ref(evaluator: &Evaluator, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    ctx.charge(NODE)?;
    match evaluator.body.get() {
        Some(body) => body.test(ctx),
        None => Err(EvalError::invalid_args()),
    }
}

fn test_value(node: &Node, ctx: &Ctx<'_, '_>) -> Result<bool, EvalError> {
    node.eval(ctx).map(|v| truthy(&v))
}

/// Calls `f` with each argument value: the list's values, or the elements of a single
/// argument that evaluates to an array, or that single value.
pub(crate) fn for_each_arg<'s>(
    args: &'s Args,
    ctx: &Ctx<'s, '_>,
    mut f: impl FnMut(&Value) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    match args {
        Args::List(nodes) => {
            for node in nodes.iter() {
                f(&*node.eval(ctx)?)?;
            }
        }
        Args::Single(node) => match &*node.eval(ctx)? {
            Value::Array(items) => {
                for item in items {
                    ctx.charge(ELEMENT)?;
                    f(item)?;
                }
            }
            other => f(other)?,
        },
    }
    Ok(())
}

fn eval_if<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>) -> Res<'s> {
    let mut rest = args;
    loop {
        match rest {
            [] => return Ok(null()),
            [otherwise] => return otherwise.eval(ctx),
            [cond, then, tail @ ..] => {
                if cond.test(ctx)? {
                    return then.eval(ctx);
                }
                rest = tail;
            }
        }
    }
}

/// `and` returns the first falsy value or the last one; `or` the first truthy value or the
/// last one; both return `false` without arguments.
fn eval_and_or<'s>(args: &'s [Node], ctx: &Ctx<'s, '_>, is_or: bool) -> Res<'s> {
    let mut last = boolean(false);
    for arg in args {
        let v = arg.eval(ctx)?;
        if truthy(&v) == is_or {
            return Ok(v);
        }
        last = v;
    }
    Ok(last)
}

fn eval_coalesce<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    match args {
        Args::List(nodes) => {
            for node in nodes.iter() {
                let v = node.eval(ctx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(null())
        }
        Args::Single(node) => node.eval(ctx),
    }
}

/// Chained: every adjacent pair must satisfy the relation; evaluation stops at the first pair
/// that does not (so `{"<": [1, x, 3]}` is "between").
fn eval_compare<'s>(op: CmpOp, args: &'s [Node], ctx: &Ctx<'s, '_>) -> Result<bool, EvalError> {
    // The common shape, an attribute against a literal: both read in place, paying what
    // evaluating the two nodes pays.
    if let [Node::Var(var), Node::Lit(literal)] = args {
        ctx.charge(2 * NODE)?;
        let value = path::eval_var(var, ctx)?;
        return holds(op, &value, literal, ctx.budget());
    }
    let [first, rest @ ..] = args else {
        return Err(EvalError::invalid_args());
    };
    if rest.is_empty() {
        return Err(EvalError::invalid_args());
    }
    let mut prev = first.eval(ctx)?;
    for node in rest {
        let next = node.eval(ctx)?;
        if !holds(op, &prev, &next, ctx.budget())? {
            return Ok(false);
        }
        prev = next;
    }
    Ok(true)
}

fn holds(op: CmpOp, a: &Value, b: &Value, budget: &Budget) -> Result<bool, EvalError> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    Ok(match op {
        CmpOp::Eq => loose_eq(a, b, budget)?,
        CmpOp::Ne => !loose_eq(a, b, budget)?,
        CmpOp::StrictEq => strict_eq(a, b, budget)?,
        CmpOp::StrictNe => !strict_eq(a, b, budget)?,
        CmpOp::Lt => compare(a, b, budget)? == Some(Less),
        CmpOp::Le => matches!(compare(a, b, budget)?, Some(Less | Equal)),
        CmpOp::Gt => compare(a, b, budget)? == Some(Greater),
        CmpOp::Ge => matches!(compare(a, b, budget)?, Some(Greater | Equal)),
    })
}

/// `try`: the first argument that does not raise; each later argument sees the previous error
/// as its data (one scope level down, like an iterator's element). When all raise, the last
/// error propagates.
fn eval_try<'s>(args: &'s Args, ctx: &Ctx<'s, '_>) -> Res<'s> {
    let nodes = match args {
        Args::List(nodes) => nodes,
        Args::Single(node) => return node.eval(ctx),
    };
    let mut error: Option<EvalError> = None;
    for node in nodes.iter() {
        let result = match &error {
            None => node.eval(ctx),
            Some(previous) => {
                let child = ctx.child(Scope::Value(previous.value()), None);
                match node.eval(&child) {
                    Ok(v) => child.own(v).map(Out::new),
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(v) => return Ok(v),
            Err(e) if e.catchable() => {
                ctx.charge(CAUGHT)?;
                error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(null()),
    }
}
