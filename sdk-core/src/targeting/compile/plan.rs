//! Each operator's plan (which of its arguments are expressions, at which levels) and how its
//! node is built once they are compiled.

use serde_json::Value;

use super::{data, flagd, fold_array, in_node, Child, Compiler, Entered};
use crate::json_checked::Tree;
use crate::targeting::node::{Args, ArithOp, CmpOp, Extremum, IterOp, Node, StrMatch};
use crate::targeting::schema::Op;
use crate::targeting::RuleProblem;

/// How to build an expression's node from its compiled arguments.
#[derive(Debug)]
pub(super) enum Build<'v> {
    /// An array with operators inside.
    Array,
    /// An operator over its argument list.
    List(fn(Box<[Node]>) -> Node),
    /// An operator that only takes an argument list, given something else: compiled so the
    /// problems inside are reported, then it always fails.
    NotList {
        name: &'v str,
        path: String,
    },
    Compare {
        op: CmpOp,
        name: &'v str,
        path: String,
    },
    Iter {
        op: Option<IterOp>,
        name: &'v str,
        arg: &'v Tree<'v>,
        path: String,
    },
    /// Arguments as written: a list, or one expression.
    Args {
        make: fn(Args) -> Node,
        single: bool,
    },
    /// The first argument, or the only one.
    Unary(fn(Node) -> Node),
    Var(data::VarPlan<'v>),
    Val(data::ValPlan),
    Fractional(Box<flagd::Plan>),
}

impl Compiler<'_> {
    /// An operator's arguments: the items of an argument list, one level down, or the single
    /// argument itself, one level down at the operator's own path.
    fn arguments<'v>(&self, arg: &'v Tree<'v>, path: &str, depth: usize) -> Vec<Child<'v>> {
        match arg {
            Tree::Array(items) => self.items_of(items, path, depth + 1, 0),
            single => vec![Child {
                value: single,
                path: path.to_owned(),
                depth: depth + 1,
            }],
        }
    }

    /// Plans operator `op` (already counted and checked against the schema) at `path`.
    pub(super) fn plan<'v>(
        &mut self,
        op: Op,
        name: &'v str,
        arg: &'v Tree<'v>,
        path: String,
        depth: usize,
    ) -> Result<Entered<'v>, RuleProblem> {
        let list = |make: fn(Box<[Node]>) -> Node| -> Build<'v> { Build::List(make) };
        let args = |make: fn(Args) -> Node| Build::Args {
            make,
            single: !arg.is_array(),
        };
        let build = match op {
            Op::Var => return Ok(self.plan_var(arg, path, depth)),
            Op::Val => return self.plan_val(arg, path, depth, false),
            Op::Exists => return self.plan_val(arg, path, depth, true),
            Op::Fractional => return self.plan_fractional(arg, path, depth),
            Op::Preserve => {
                self.count_literal(arg, &path, depth + 1)?;
                return Ok(Entered::Node(Node::Lit(arg.to_value())));
            }
            Op::Missing => args(Node::Missing),
            Op::Coalesce => args(Node::Coalesce),
            Op::Add => args(|a| Node::Arith(ArithOp::Add, a)),
            Op::Sub => args(|a| Node::Arith(ArithOp::Sub, a)),
            Op::Mul => args(|a| Node::Arith(ArithOp::Mul, a)),
            Op::Div => args(|a| Node::Arith(ArithOp::Div, a)),
            Op::Mod => args(|a| Node::Arith(ArithOp::Mod, a)),
            Op::Max => args(|a| Node::Extremum(Extremum::Max, a)),
            Op::Min => args(|a| Node::Extremum(Extremum::Min, a)),
            Op::Cat => args(Node::Cat),
            Op::Merge => args(Node::Merge),
            Op::Try => args(Node::Try),
            Op::StartsWith => args(|a| Node::StrMatch(StrMatch::StartsWith, a)),
            Op::EndsWith => args(|a| Node::StrMatch(StrMatch::EndsWith, a)),
            Op::SemVer => args(Node::SemVer),
            Op::Not => Build::Unary(|n| Node::Not(Box::new(n))),
            Op::NotNot => Build::Unary(|n| Node::Truthy(Box::new(n))),
            Op::Log => Build::Unary(|n| n),
            Op::Throw => Build::Unary(|n| Node::Throw(Box::new(n))),
            _ if !arg.is_array() => Build::NotList {
                name,
                path: path.clone(),
            },
            Op::MissingSome => list(Node::MissingSome),
            Op::If | Op::Ternary => list(Node::If),
            Op::And => list(Node::And),
            Op::Or => list(Node::Or),
            Op::Substr => list(Node::Substr),
            Op::In => list(in_node),
            Op::Eq | Op::Ne | Op::StrictEq | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                Build::Compare {
                    op: compare_op(op),
                    name,
                    path: path.clone(),
                }
            }
            Op::Map | Op::Filter | Op::All | Op::Some | Op::None | Op::Reduce => Build::Iter {
                op: iter_op(op),
                name,
                arg,
                path: path.clone(),
            },
        };
        Ok(Entered::Pending(build, self.arguments(arg, &path, depth)))
    }

    /// Builds a node from its plan and its compiled arguments, in order.
    pub(super) fn build(&mut self, build: Build<'_>, done: Vec<Node>) -> Result<Node, RuleProblem> {
        Ok(match build {
            Build::Array => fold_array(done),
            Build::List(make) => make(done.into_boxed_slice()),
            Build::NotList { name, path } => {
                self.warn(
                    &path,
                    format!(
                        "`{name}` needs an array of arguments: it always raises Invalid Arguments"
                    ),
                );
                Node::Fail
            }
            Build::Compare { op, name, path } => {
                if done.len() < 2 {
                    self.warn(
                        &path,
                        format!(
                            "`{name}` needs at least 2 arguments: it always raises Invalid Arguments"
                        ),
                    );
                    Node::Fail
                } else {
                    Node::Compare(op, done.into_boxed_slice())
                }
            }
            Build::Iter {
                op,
                name,
                arg,
                path,
            } => self.build_iterator(op, name, arg, &path, done),
            Build::Args { make, single } => make(if single {
                Args::Single(Box::new(first(done)))
            } else {
                Args::List(done.into_boxed_slice())
            }),
            Build::Unary(make) => make(first(done)),
            Build::Var(plan) => data::build_var(plan, done),
            Build::Val(plan) => data::build_val(plan, done),
            Build::Fractional(plan) => self.build_fractional(*plan, done),
        })
    }

    /// `map`/`filter`/`all`/`some`/`none` (`op`) and `reduce` (`None`). A literal `null` in
    /// place of the array, or of the body of `map`, `filter` or `reduce`, can never work and
    /// raises `Invalid Arguments`, as in the compat tables.
    fn build_iterator(
        &mut self,
        op: Option<IterOp>,
        name: &str,
        arg: &Tree<'_>,
        path: &str,
        nodes: Vec<Node>,
    ) -> Node {
        let items = arg.as_array().unwrap_or_default();
        let null_source = items.first().is_some_and(Tree::is_null);
        let body_required = !matches!(op, Some(IterOp::All | IterOp::Some | IterOp::None));
        let null_body = body_required && items.get(1).is_none_or(Tree::is_null);
        if null_source || null_body {
            self.warn(
                path,
                format!("`{name}` needs an array and a rule: it always raises Invalid Arguments"),
            );
            return Node::Fail;
        }
        let nodes = nodes.into_boxed_slice();
        match op {
            Some(op) => Node::Iter(op, nodes),
            None => Node::Reduce(nodes),
        }
    }
}

/// The first compiled argument; `null` when there is none.
fn first(done: Vec<Node>) -> Node {
    done.into_iter().next().unwrap_or(Node::Lit(Value::Null))
}

fn compare_op(op: Op) -> CmpOp {
    match op {
        Op::Ne => CmpOp::Ne,
        Op::StrictEq => CmpOp::StrictEq,
        Op::StrictNe => CmpOp::StrictNe,
        Op::Lt => CmpOp::Lt,
        Op::Le => CmpOp::Le,
        Op::Gt => CmpOp::Gt,
        Op::Ge => CmpOp::Ge,
        _ => CmpOp::Eq,
    }
}

fn iter_op(op: Op) -> Option<IterOp> {
    match op {
        Op::Map => Some(IterOp::Map),
        Op::Filter => Some(IterOp::Filter),
        Op::All => Some(IterOp::All),
        Op::Some => Some(IterOp::Some),
        Op::None => Some(IterOp::None),
        _ => None,
    }
}
