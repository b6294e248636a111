//! Compiling `var`, `val` and `exists` paths.

use serde_json::Value;

use super::plan::Build;
use super::{Child, Compiler, Entered};
use crate::hashing::key_hash;
use crate::json_checked::Tree;
use crate::targeting::node::{Node, Val, ValPath, Var, VarPath};
use crate::targeting::path::lookup_cost;
use crate::targeting::value::push_js_string;
use crate::targeting::RuleProblem;

/// A `var` waiting for its path expression (and default).
#[derive(Debug)]
pub(super) struct VarPlan<'v> {
    /// The path as written, when there is one.
    raw: Option<&'v Tree<'v>>,
}

/// A `val` or `exists` waiting for its segments.
#[derive(Debug)]
pub(super) struct ValPlan {
    exists: bool,
    climb: Option<usize>,
    /// The argument was one expression (a segment, or the segments), not a list.
    single: bool,
}

impl Compiler<'_> {
    /// `var`: `[path, default]` or `path`; every part is an expression.
    pub(super) fn plan_var<'v>(
        &mut self,
        arg: &'v Tree<'v>,
        path: String,
        depth: usize,
    ) -> Entered<'v> {
        let (raw, children) = match arg {
            Tree::Array(items) => (items.first(), self.items_of(items, &path, depth + 1, 0)),
            other => (
                Some(other),
                vec![Child {
                    value: other,
                    path,
                    depth: depth + 1,
                }],
            ),
        };
        Entered::Pending(Build::Var(VarPlan { raw }), children)
    }

    /// `val`/`exists` paths: a string is one key (no dot splitting), an array is segments and
    /// may start with `[n]` to climb `n` scope levels, anything else is computed.
    pub(super) fn plan_val<'v>(
        &mut self,
        arg: &'v Tree<'v>,
        path: String,
        depth: usize,
        exists: bool,
    ) -> Result<Entered<'v>, RuleProblem> {
        let Tree::Array(items) = arg else {
            let plan = ValPlan {
                exists,
                climb: None,
                single: true,
            };
            let child = Child {
                value: arg,
                path,
                depth: depth + 1,
            };
            return Ok(Entered::Pending(Build::Val(plan), vec![child]));
        };
        let mut rest: &[Tree<'_>] = items;
        let mut climb = None;
        if let Some((Tree::Array(levels), tail)) = rest.split_first() {
            let n = levels.first().and_then(Tree::as_f64).unwrap_or(0.0).abs();
            // Saturating: a huge climb simply leaves the scope chain and finds nothing.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as usize;
            climb = Some(n);
            rest = tail;
            self.count(&path, depth + 1)?;
        }
        let offset = usize::from(climb.is_some());
        let plan = ValPlan {
            exists,
            climb,
            single: false,
        };
        Ok(Entered::Pending(
            Build::Val(plan),
            self.items_of(rest, &path, depth + 1, offset),
        ))
    }
}

pub(super) fn build_var(plan: VarPlan<'_>, done: Vec<Node>) -> Node {
    let mut nodes = done.into_iter();
    let (path_arg, default) = match (plan.raw, nodes.next()) {
        (Some(raw), Some(node)) => (Some((raw, node)), nodes.next()),
        _ => (None, None),
    };
    let path = match path_arg {
        None => VarPath::Whole,
        Some((raw, node)) => match (raw, node) {
            (Tree::Null, _) => VarPath::Whole,
            (Tree::String(""), _) => VarPath::Whole,
            (Tree::String(_) | Tree::Number(_) | Tree::Bool(_), _) => {
                let mut text = String::new();
                push_js_string(&mut text, &raw.to_value());
                let segments: Box<[Box<str>]> = text.split('.').map(Box::from).collect();
                let cost = lookup_cost(segments.iter().map(|s| &**s));
                let first = segments.first().map_or("", |s| &**s);
                let (first_hash, flagd) = (key_hash(first.as_bytes()), first == "$flagd");
                VarPath::Static {
                    segments,
                    cost,
                    first_hash,
                    flagd,
                }
            }
            (_, node) => VarPath::Dynamic(node),
        },
    };
    Node::Var(Box::new(Var { path, default }))
}

pub(super) fn build_val(plan: ValPlan, nodes: Vec<Node>) -> Node {
    let val = if plan.single {
        let node = nodes.into_iter().next().unwrap_or(Node::Lit(Value::Null));
        match node {
            Node::Lit(Value::Null) => Val {
                climb: None,
                path: static_path(Box::new([])),
            },
            Node::Lit(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Val {
                climb: None,
                path: static_path(Box::new([segment(&v)])),
            },
            other => Val {
                climb: None,
                path: ValPath::Expr(other),
            },
        }
    } else {
        let literal = nodes.iter().all(|n| {
            matches!(
                n,
                Node::Lit(Value::String(_) | Value::Number(_) | Value::Bool(_))
            )
        });
        let path = if literal {
            static_path(
                nodes
                    .iter()
                    .filter_map(|n| match n {
                        Node::Lit(v) => Some(segment(v)),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            ValPath::Parts(nodes.into_boxed_slice())
        };
        Val {
            climb: plan.climb,
            path,
        }
    };
    if plan.exists {
        Node::Exists(Box::new(val))
    } else {
        Node::Val(Box::new(val))
    }
}

fn static_path(segments: Box<[Box<str>]>) -> ValPath {
    let cost = lookup_cost(segments.iter().map(|s| &**s));
    ValPath::Static { segments, cost }
}

/// A literal `val` segment: numbers and booleans as JavaScript prints them.
fn segment(value: &Value) -> Box<str> {
    let mut text = String::new();
    match value {
        Value::String(s) => text.push_str(s),
        other => push_js_string(&mut text, other),
    }
    text.into_boxed_str()
}
