//! From JSON to the node tree: operator resolution, `$ref` expansion, limits, warnings.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::node::{Args, ArithOp, CmpOp, Extremum, InSet, IterOp, Node, StrMatch};
use super::schema::{self, Op};
use super::{CompileOptions, RuleProblem};
use crate::json_path;

mod data;
mod flagd;

/// Literal lists at least this long are hashed for `in`.
const HASH_SET_MIN: usize = 8;

pub(crate) fn index_path(base: &str, index: usize) -> String {
    json_path::index(base, index)
}

/// An evaluator being expanded: its name and the path of the outermost `$ref` that led here.
struct RefFrame {
    name: String,
    site: String,
}

pub(crate) struct Compiler<'o> {
    evaluators: Option<&'o Map<String, Value>>,
    max_depth: usize,
    max_nodes: usize,
    nodes: usize,
    warnings: Vec<RuleProblem>,
    refs: Vec<RefFrame>,
}

impl<'o> Compiler<'o> {
    pub(crate) fn new(options: &CompileOptions<'o>) -> Self {
        Self {
            evaluators: options.evaluators,
            max_depth: options.max_depth,
            max_nodes: options.max_nodes,
            nodes: 0,
            warnings: Vec::new(),
            refs: Vec::new(),
        }
    }

    pub(crate) fn compile_root(&mut self, rule: &Value) -> Result<Node, RuleProblem> {
        self.compile(rule, "", 1)
    }

    pub(crate) fn into_warnings(self) -> Vec<RuleProblem> {
        self.warnings
    }

    /// A problem at `path`; inside an evaluator, reported at the `$ref` that expanded it.
    fn problem(&self, path: &str, message: impl Into<String>) -> RuleProblem {
        let message = message.into();
        match (self.refs.first(), self.refs.last()) {
            (Some(outer), Some(inner)) => RuleProblem {
                path: outer.site.clone(),
                message: if path.is_empty() {
                    format!("in $evaluators.{}: {message}", inner.name)
                } else {
                    format!("in $evaluators.{} at `{path}`: {message}", inner.name)
                },
            },
            _ => RuleProblem {
                path: path.to_owned(),
                message,
            },
        }
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) {
        let problem = self.problem(path, message);
        self.warnings.push(problem);
    }

    fn count(&mut self, path: &str, depth: usize) -> Result<(), RuleProblem> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(self.problem(
                path,
                format!(
                    "the rule has more than {} nodes after $ref expansion (max_rule_nodes)",
                    self.max_nodes
                ),
            ));
        }
        if depth > self.max_depth {
            return Err(self.problem(
                path,
                format!(
                    "the rule is nested deeper than {} levels (max_rule_depth)",
                    self.max_depth
                ),
            ));
        }
        Ok(())
    }

    /// Counts a literal taken as it is (`preserve`), so it is bounded like the rest.
    fn count_literal(
        &mut self,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), RuleProblem> {
        self.count(path, depth)?;
        match value {
            Value::Array(items) => items
                .iter()
                .try_for_each(|item| self.count_literal(item, path, depth + 1)),
            Value::Object(map) => map
                .values()
                .try_for_each(|item| self.count_literal(item, path, depth + 1)),
            _ => Ok(()),
        }
    }

    /// Compiles any JSON value in expression position. `depth` is this value's nesting level.
    pub(crate) fn compile(
        &mut self,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        self.count(path, depth)?;
        match value {
            Value::Array(items) => {
                let nodes = self.compile_items(items, path, depth + 1)?;
                Ok(fold_array(nodes))
            }
            Value::Object(map) => self.compile_object(map, path, depth),
            scalar => Ok(Node::Lit(scalar.clone())),
        }
    }

    fn compile_items(
        &mut self,
        items: &[Value],
        path: &str,
        depth: usize,
    ) -> Result<Vec<Node>, RuleProblem> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.compile(item, &index_path(path, i), depth))
            .collect()
    }

    fn compile_object(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        let mut entries = map.iter();
        let (Some((name, arg)), None) = (entries.next(), entries.next()) else {
            if map.is_empty() {
                return Ok(Node::Lit(Value::Object(Map::new())));
            }
            return Err(self.problem(
                path,
                "an operation must be an object with exactly one key, the operator (wrap literal objects in `preserve`)",
            ));
        };
        if name == "$ref" {
            return self.expand_ref(arg, path, depth);
        }
        let Some(op) = Op::from_name(name) else {
            return Err(self.problem(path, format!("unknown operator `{}`", shorten(name))));
        };
        let op_path = json_path::key(path, name);
        for (at, message) in schema::check(op, name, arg, &op_path) {
            self.warn(&at, message);
        }
        self.compile_op(op, name, arg, &op_path, depth)
    }

    fn expand_ref(&mut self, arg: &Value, path: &str, depth: usize) -> Result<Node, RuleProblem> {
        let Value::String(name) = arg else {
            return Err(self.problem(path, "`$ref` must be the name of an evaluator (a string)"));
        };
        if let Some(start) = self.refs.iter().position(|f| f.name == *name) {
            let chain: Vec<&str> = self
                .refs
                .iter()
                .skip(start)
                .map(|f| f.name.as_str())
                .collect();
            return Err(self.problem(
                path,
                format!(
                    "$ref cycle in $evaluators: {} -> {name}",
                    chain.join(" -> ")
                ),
            ));
        }
        let Some(body) = self.evaluators.and_then(|e| e.get(name)) else {
            return Err(self.problem(
                path,
                format!("$ref to `{}`, which is not in $evaluators", shorten(name)),
            ));
        };
        let site = match self.refs.first() {
            Some(outer) => outer.site.clone(),
            None => path.to_owned(),
        };
        self.refs.push(RefFrame {
            name: name.clone(),
            site,
        });
        let result = self.compile(body, "", depth);
        self.refs.pop();
        result
    }

    /// The argument list when `arg` is an array; each argument is one level deeper.
    fn list(
        &mut self,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Option<Vec<Node>>, RuleProblem> {
        match arg {
            Value::Array(items) => self.compile_items(items, path, depth + 1).map(Some),
            _ => Ok(None),
        }
    }

    fn args(&mut self, arg: &Value, path: &str, depth: usize) -> Result<Args, RuleProblem> {
        Ok(match self.list(arg, path, depth)? {
            Some(nodes) => Args::List(nodes.into_boxed_slice()),
            None => Args::Single(Box::new(self.compile(arg, path, depth + 1)?)),
        })
    }

    /// Operators that only take an argument array: anything else (including an expression
    /// producing an array at run time) always raises `Invalid Arguments`.
    fn list_only(
        &mut self,
        name: &str,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Result<Box<[Node]>, Node>, RuleProblem> {
        match self.list(arg, path, depth)? {
            Some(nodes) => Ok(Ok(nodes.into_boxed_slice())),
            None => {
                // Still compiled, so unknown operators and bad $refs inside are reported.
                self.compile(arg, path, depth + 1)?;
                self.warn(
                    path,
                    format!(
                        "`{name}` needs an array of arguments: it always raises Invalid Arguments"
                    ),
                );
                Ok(Err(Node::Fail))
            }
        }
    }

    /// `!`, `!!`, `log`, `throw`: the first element of an array, or the value itself.
    fn unary(&mut self, arg: &Value, path: &str, depth: usize) -> Result<Node, RuleProblem> {
        Ok(match self.list(arg, path, depth)? {
            Some(nodes) => nodes.into_iter().next().unwrap_or(Node::Lit(Value::Null)),
            None => self.compile(arg, path, depth + 1)?,
        })
    }

    fn compile_op(
        &mut self,
        op: Op,
        name: &str,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        let list_node =
            |c: &mut Self, make: fn(Box<[Node]>) -> Node| -> Result<Node, RuleProblem> {
                Ok(match c.list_only(name, arg, path, depth)? {
                    Ok(nodes) => make(nodes),
                    Err(fail) => fail,
                })
            };
        Ok(match op {
            Op::Var => self.compile_var(arg, path, depth)?,
            Op::Val => Node::Val(Box::new(self.compile_val(arg, path, depth)?)),
            Op::Exists => Node::Exists(Box::new(self.compile_val(arg, path, depth)?)),
            Op::Missing => Node::Missing(self.args(arg, path, depth)?),
            Op::MissingSome => list_node(self, Node::MissingSome)?,
            Op::If | Op::Ternary => list_node(self, Node::If)?,
            Op::And => list_node(self, Node::And)?,
            Op::Or => list_node(self, Node::Or)?,
            Op::Coalesce => Node::Coalesce(self.args(arg, path, depth)?),
            Op::Not => Node::Not(Box::new(self.unary(arg, path, depth)?)),
            Op::NotNot => Node::Truthy(Box::new(self.unary(arg, path, depth)?)),
            Op::Log => self.unary(arg, path, depth)?,
            Op::Throw => Node::Throw(Box::new(self.unary(arg, path, depth)?)),
            Op::Eq => self.compare(CmpOp::Eq, name, arg, path, depth)?,
            Op::Ne => self.compare(CmpOp::Ne, name, arg, path, depth)?,
            Op::StrictEq => self.compare(CmpOp::StrictEq, name, arg, path, depth)?,
            Op::StrictNe => self.compare(CmpOp::StrictNe, name, arg, path, depth)?,
            Op::Lt => self.compare(CmpOp::Lt, name, arg, path, depth)?,
            Op::Le => self.compare(CmpOp::Le, name, arg, path, depth)?,
            Op::Gt => self.compare(CmpOp::Gt, name, arg, path, depth)?,
            Op::Ge => self.compare(CmpOp::Ge, name, arg, path, depth)?,
            Op::Add => Node::Arith(ArithOp::Add, self.args(arg, path, depth)?),
            Op::Sub => Node::Arith(ArithOp::Sub, self.args(arg, path, depth)?),
            Op::Mul => Node::Arith(ArithOp::Mul, self.args(arg, path, depth)?),
            Op::Div => Node::Arith(ArithOp::Div, self.args(arg, path, depth)?),
            Op::Mod => Node::Arith(ArithOp::Mod, self.args(arg, path, depth)?),
            Op::Max => Node::Extremum(Extremum::Max, self.args(arg, path, depth)?),
            Op::Min => Node::Extremum(Extremum::Min, self.args(arg, path, depth)?),
            Op::Cat => Node::Cat(self.args(arg, path, depth)?),
            Op::Merge => Node::Merge(self.args(arg, path, depth)?),
            Op::Substr => list_node(self, Node::Substr)?,
            Op::In => match self.list_only(name, arg, path, depth)? {
                Ok(nodes) => in_node(nodes),
                Err(fail) => fail,
            },
            Op::Map => self.iterator(Some(IterOp::Map), name, arg, path, depth)?,
            Op::Filter => self.iterator(Some(IterOp::Filter), name, arg, path, depth)?,
            Op::All => self.iterator(Some(IterOp::All), name, arg, path, depth)?,
            Op::Some => self.iterator(Some(IterOp::Some), name, arg, path, depth)?,
            Op::None => self.iterator(Some(IterOp::None), name, arg, path, depth)?,
            Op::Reduce => self.iterator(None, name, arg, path, depth)?,
            Op::Try => Node::Try(self.args(arg, path, depth)?),
            Op::Preserve => {
                self.count_literal(arg, path, depth + 1)?;
                Node::Lit(arg.clone())
            }
            Op::StartsWith => Node::StrMatch(StrMatch::StartsWith, self.args(arg, path, depth)?),
            Op::EndsWith => Node::StrMatch(StrMatch::EndsWith, self.args(arg, path, depth)?),
            Op::SemVer => Node::SemVer(self.args(arg, path, depth)?),
            Op::Fractional => self.compile_fractional(arg, path, depth)?,
        })
    }

    fn compare(
        &mut self,
        op: CmpOp,
        name: &str,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        Ok(match self.list_only(name, arg, path, depth)? {
            Ok(nodes) if nodes.len() < 2 => {
                self.warn(
                    path,
                    format!(
                        "`{name}` needs at least 2 arguments: it always raises Invalid Arguments"
                    ),
                );
                Node::Fail
            }
            Ok(nodes) => Node::Compare(op, nodes),
            Err(fail) => fail,
        })
    }

    /// `map`/`filter`/`all`/`some`/`none` (`op`) and `reduce` (`None`). A literal `null` in
    /// place of the array, or of the body of `map`, `filter` or `reduce`, can never work and
    /// raises `Invalid Arguments`, as in the compat tables.
    fn iterator(
        &mut self,
        op: Option<IterOp>,
        name: &str,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        let nodes = match self.list_only(name, arg, path, depth)? {
            Ok(nodes) => nodes,
            Err(fail) => return Ok(fail),
        };
        let items = arg.as_array().map(Vec::as_slice).unwrap_or_default();
        let null_source = items.first().is_some_and(Value::is_null);
        let body_required = !matches!(op, Some(IterOp::All | IterOp::Some | IterOp::None));
        let null_body = body_required && items.get(1).is_none_or(Value::is_null);
        if null_source || null_body {
            self.warn(
                path,
                format!("`{name}` needs an array and a rule: it always raises Invalid Arguments"),
            );
            return Ok(Node::Fail);
        }
        Ok(match op {
            Some(op) => Node::Iter(op, nodes),
            None => Node::Reduce(nodes),
        })
    }
}

/// A literal array folds into a constant, so evaluating it borrows instead of building.
fn fold_array(nodes: Vec<Node>) -> Node {
    if nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
        let values = nodes
            .into_iter()
            .filter_map(|n| match n {
                Node::Lit(v) => Some(v),
                _ => None,
            })
            .collect();
        Node::Lit(Value::Array(values))
    } else {
        Node::Array(nodes.into_boxed_slice())
    }
}

/// `in` against a literal array gets a node of its own (hashed when long).
fn in_node(nodes: Box<[Node]>) -> Node {
    let mut nodes = nodes.into_vec();
    if nodes.len() == 2 && matches!(nodes.get(1), Some(Node::Lit(Value::Array(_)))) {
        if let (Some(Node::Lit(Value::Array(items))), Some(needle)) = (nodes.pop(), nodes.pop()) {
            let strings = (items.len() >= HASH_SET_MIN).then(|| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(Box::from)
                    .collect::<HashSet<Box<str>>>()
            });
            return Node::InSet(Box::new(InSet {
                needle,
                items: items.into_boxed_slice(),
                strings,
            }));
        }
    }
    Node::In(nodes.into_boxed_slice())
}

/// Operator names and evaluator names in messages, cut to a readable length.
fn shorten(name: &str) -> String {
    const MAX: usize = 64;
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", name.get(..cut).unwrap_or(name)),
        None => name.to_owned(),
    }
}
