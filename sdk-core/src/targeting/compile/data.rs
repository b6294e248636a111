//! Compiling `var`, `val` and `exists` paths.

use serde_json::Value;

use super::{index_path, Compiler};
use crate::targeting::node::{Node, Val, ValPath, Var, VarPath};
use crate::targeting::value::push_js_string;
use crate::targeting::RuleProblem;

impl Compiler<'_> {
    pub(super) fn compile_var(
        &mut self,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        let (path_arg, default) = match arg {
            Value::Array(items) => {
                let mut nodes = self.compile_items(items, path, depth + 1)?.into_iter();
                match (items.first(), nodes.next()) {
                    (Some(first), Some(node)) => (Some((first, node)), nodes.next()),
                    _ => (None, None),
                }
            }
            other => {
                let node = self.compile(other, path, depth + 1)?;
                (Some((other, node)), None)
            }
        };
        let path = match path_arg {
            None => VarPath::Whole,
            Some((raw, node)) => match (raw, node) {
                (Value::Null, _) => VarPath::Whole,
                (Value::String(s), _) if s.is_empty() => VarPath::Whole,
                (Value::String(_) | Value::Number(_) | Value::Bool(_), _) => {
                    let mut text = String::new();
                    push_js_string(&mut text, raw);
                    VarPath::Static(text.split('.').map(Box::from).collect())
                }
                (_, node) => VarPath::Dynamic(node),
            },
        };
        Ok(Node::Var(Box::new(Var { path, default })))
    }

    /// `val`/`exists` paths: a string is one key (no dot splitting), an array is segments and
    /// may start with `[n]` to climb `n` scope levels, anything else is computed.
    pub(super) fn compile_val(
        &mut self,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Val, RuleProblem> {
        let Value::Array(items) = arg else {
            let node = self.compile(arg, path, depth + 1)?;
            return Ok(match node {
                Node::Lit(Value::Null) => Val {
                    climb: None,
                    path: ValPath::Static(Box::new([])),
                },
                Node::Lit(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => Val {
                    climb: None,
                    path: ValPath::Static(Box::new([segment(&v)])),
                },
                other => Val {
                    climb: None,
                    path: ValPath::Expr(other),
                },
            });
        };
        let mut rest = items.as_slice();
        let mut climb = None;
        if let Some((Value::Array(levels), tail)) = rest.split_first() {
            let n = levels.first().and_then(Value::as_f64).unwrap_or(0.0).abs();
            // Saturating: a huge climb simply leaves the scope chain and finds nothing.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as usize;
            climb = Some(n);
            rest = tail;
            self.count(path, depth + 1)?;
        }
        let offset = usize::from(climb.is_some());
        let mut nodes = Vec::with_capacity(rest.len());
        for (i, item) in rest.iter().enumerate() {
            nodes.push(self.compile(item, &index_path(path, i + offset), depth + 1)?);
        }
        let literal = nodes.iter().all(|n| {
            matches!(
                n,
                Node::Lit(Value::String(_) | Value::Number(_) | Value::Bool(_))
            )
        });
        let path = if literal {
            ValPath::Static(
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
        Ok(Val { climb, path })
    }
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
