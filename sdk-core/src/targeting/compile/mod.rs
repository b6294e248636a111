//! From JSON to the node tree: operator resolution, `$ref` linking, limits, warnings.
//!
//! The compiler does not recurse. Each expression is *entered* (counted against the limits,
//! checked against flagd's schema, and planned: which of its arguments are expressions, and
//! how to build its node from them); an expression with arguments waits on an explicit stack
//! while they compile, then is *built*. So compiling needs the same few frames of machine
//! stack however deep the rule, in optimised and unoptimised builds alike, and `$ref`s never
//! recurse into `$evaluators`: they link to the evaluator's shared node (see [`evaluators`]).

use serde_json::{Map, Value};

use super::node::{HashedItems, InSet, Node, SetItems};
use super::schema::{self, Op};
use super::value::number_key;
use super::RuleProblem;
use crate::json_checked::{Members, Tree};
use crate::json_path;

mod data;
pub(crate) mod evaluators;
mod flagd;
mod plan;

use evaluators::{Index, RefSite};
use plan::Build;

/// Literal lists at least this long are hashed for `in`.
const HASH_SET_MIN: usize = 8;

pub(crate) fn index_path(base: &str, index: usize) -> String {
    json_path::index(base, index)
}

/// Whether a compilation writes the JSON path of every expression (for its problems and
/// warnings), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paths {
    Written,
    /// No paths: the first pass over a rule, which is all a valid rule without warnings needs.
    /// Building a path per expression was a seventh of loading a config; a rule that has a
    /// problem or a warning (or a `$ref`, whose site's path is kept) is compiled again with
    /// paths, so every message still names its place.
    Skipped,
}

/// The limits one compilation works within.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) max_depth: usize,
    pub(crate) max_nodes: usize,
    /// Elements the document may still compile (its total bound minus what compiled before).
    pub(crate) elements_left: usize,
    pub(crate) max_total: usize,
}

/// What one rule (or one evaluator body) came to.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Operator nodes, with the expanded size of every evaluator reached by `$ref` when they
    /// are known (rules), without it when they are not yet (evaluator bodies).
    pub(crate) nodes: usize,
    /// The deepest level reached, with the same rule for `$ref`s as `nodes`.
    pub(crate) height: usize,
    /// Compiled elements held by this rule: nodes and literal values (shared evaluators are
    /// counted once, in their own entry).
    pub(crate) elements: usize,
}

/// An expression in argument position, still to compile.
#[derive(Debug)]
pub(crate) struct Child<'v> {
    value: &'v Tree<'v>,
    path: String,
    depth: usize,
}

/// An expression waiting for its arguments.
#[derive(Debug)]
struct Pending<'v> {
    build: Build<'v>,
    /// Arguments not compiled yet, the next one last.
    todo: Vec<Child<'v>>,
    done: Vec<Node>,
}

/// What entering an expression gives: its node, or what it waits for.
enum Entered<'v> {
    Node(Node),
    Pending(Build<'v>, Vec<Child<'v>>),
}

pub(crate) struct Compiler<'o> {
    bounds: Bounds,
    index: &'o Index,
    stats: Stats,
    warnings: Vec<RuleProblem>,
    /// Every `$ref` met, in order.
    sites: Vec<RefSite>,
    paths: Paths,
    /// Set when a pass without paths met something whose path matters.
    needs_paths: std::cell::Cell<bool>,
}

impl<'o> Compiler<'o> {
    pub(crate) fn new(bounds: Bounds, index: &'o Index, paths: Paths) -> Self {
        Self {
            bounds,
            index,
            stats: Stats::default(),
            warnings: Vec::new(),
            sites: Vec::new(),
            paths,
            needs_paths: std::cell::Cell::new(false),
        }
    }

    /// Whether this pass, compiled without paths, met a problem, a warning or a `$ref`: its
    /// results are incomplete, and the rule must be compiled again with paths.
    pub(crate) fn needs_paths(&self) -> bool {
        self.needs_paths.get()
    }

    /// `base` followed by `key`, when paths are written.
    fn key_path(&self, base: &str, key: &str) -> String {
        match self.paths {
            Paths::Written => json_path::key(base, key),
            Paths::Skipped => String::new(),
        }
    }

    /// `base` followed by `[index]`, when paths are written.
    pub(super) fn index_path(&self, base: &str, index: usize) -> String {
        match self.paths {
            Paths::Written => index_path(base, index),
            Paths::Skipped => String::new(),
        }
    }

    /// `items` as arguments at `depth`, their paths indexed from `offset`.
    pub(super) fn items_of<'v>(
        &self,
        items: &'v [Tree<'v>],
        path: &str,
        depth: usize,
        offset: usize,
    ) -> Vec<Child<'v>> {
        items
            .iter()
            .enumerate()
            .map(|(i, value)| Child {
                value,
                path: self.index_path(path, i + offset),
                depth,
            })
            .collect()
    }

    pub(crate) fn finish(self) -> (Stats, Vec<RuleProblem>, Vec<RefSite>) {
        (self.stats, self.warnings, self.sites)
    }

    /// The elements counted so far, also when compiling stopped on a problem.
    pub(crate) fn elements(&self) -> usize {
        self.stats.elements
    }

    /// Compiles a rule: enters expressions depth first, keeping the ones that wait for their
    /// arguments on a stack (at most `max_depth` of them, since entering checks the depth).
    pub(crate) fn compile_root(&mut self, rule: &Tree<'_>) -> Result<Node, RuleProblem> {
        let mut stack: Vec<Pending<'_>> = Vec::new();
        let mut next = Child {
            value: rule,
            path: String::new(),
            depth: 1,
        };
        loop {
            let mut node = match self.enter(next.value, &next.path, next.depth)? {
                Entered::Node(node) => node,
                Entered::Pending(build, mut todo) => {
                    todo.reverse();
                    let done = Vec::with_capacity(todo.len());
                    stack.push(Pending { build, todo, done });
                    // Its first argument is entered next (below), or it builds at once.
                    match stack.last_mut().and_then(|top| top.todo.pop()) {
                        Some(child) => {
                            next = child;
                            continue;
                        }
                        None => self.build_top(&mut stack)?,
                    }
                }
            };
            // Hand the node to the expression waiting for it, building every expression whose
            // arguments are now all compiled.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(node);
                };
                top.done.push(node);
                match top.todo.pop() {
                    Some(child) => {
                        next = child;
                        break;
                    }
                    None => node = self.build_top(&mut stack)?,
                }
            }
        }
    }

    /// Builds the expression on top of the stack from its compiled arguments.
    fn build_top(&mut self, stack: &mut Vec<Pending<'_>>) -> Result<Node, RuleProblem> {
        match stack.pop() {
            Some(pending) => self.build(pending.build, pending.done),
            // The caller pushed before calling; an empty stack builds nothing useful.
            None => Ok(Node::Fail),
        }
    }

    fn problem(&self, path: &str, message: impl Into<String>) -> RuleProblem {
        if self.paths == Paths::Skipped {
            self.needs_paths.set(true);
        }
        RuleProblem {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    fn warn(&mut self, path: &str, message: impl Into<String>) {
        let problem = self.problem(path, message);
        self.warnings.push(problem);
    }

    /// One operator node at `depth`.
    fn count(&mut self, path: &str, depth: usize) -> Result<(), RuleProblem> {
        self.add_nodes(path, 1)?;
        self.reach(path, depth)?;
        self.add_elements(path, 1)
    }

    fn add_nodes(&mut self, path: &str, nodes: usize) -> Result<(), RuleProblem> {
        self.stats.nodes = self.stats.nodes.saturating_add(nodes);
        if self.stats.nodes > self.bounds.max_nodes {
            return Err(self.problem(
                path,
                format!(
                    "the rule has more than {} nodes after $ref expansion (max_rule_nodes)",
                    self.bounds.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// Records that the rule reaches `depth` levels.
    fn reach(&mut self, path: &str, depth: usize) -> Result<(), RuleProblem> {
        if depth > self.bounds.max_depth {
            return Err(self.problem(path, evaluators::depth_message(self.bounds.max_depth)));
        }
        self.stats.height = self.stats.height.max(depth);
        Ok(())
    }

    fn add_elements(&mut self, path: &str, elements: usize) -> Result<(), RuleProblem> {
        self.stats.elements = self.stats.elements.saturating_add(elements);
        if self.stats.elements > self.bounds.elements_left {
            return Err(self.problem(
                path,
                format!(
                    "the document's rules have more than {} compiled elements in all \
                     (max_total_rule_elements; each $evaluators entry counts once)",
                    self.bounds.max_total
                ),
            ));
        }
        Ok(())
    }

    /// A literal taken as it is (`preserve`, or an array without operators in it): one node,
    /// and every value in it an element of the document's total; nested arrays and objects
    /// are levels, so the depth limit bounds every later walk of the value.
    fn count_literal(
        &mut self,
        value: &Tree<'_>,
        path: &str,
        depth: usize,
    ) -> Result<(), RuleProblem> {
        self.count(path, depth)?;
        let mut stack = vec![(value, depth)];
        let mut elements = 0usize;
        while let Some((value, level)) = stack.pop() {
            elements += 1;
            match value {
                Tree::Array(items) if !items.is_empty() => {
                    self.reach(path, level + 1)?;
                    stack.extend(items.iter().map(|item| (item, level + 1)));
                }
                Tree::Object(map) if !map.is_empty() => {
                    self.reach(path, level + 1)?;
                    stack.extend(map.values().map(|item| (item, level + 1)));
                }
                _ => {}
            }
        }
        self.add_elements(path, elements.saturating_sub(1))
    }

    /// Enters a JSON value in expression position at level `depth`.
    fn enter<'v>(
        &mut self,
        value: &'v Tree<'v>,
        path: &str,
        depth: usize,
    ) -> Result<Entered<'v>, RuleProblem> {
        match value {
            Tree::Array(items) if is_literal(items) => {
                self.count_literal(value, path, depth)?;
                Ok(Entered::Node(Node::Lit(value.to_value())))
            }
            Tree::Array(items) => {
                self.count(path, depth)?;
                Ok(Entered::Pending(
                    Build::Array,
                    self.items_of(items, path, depth + 1, 0),
                ))
            }
            Tree::Object(map) => {
                self.count(path, depth)?;
                self.enter_object(*map, path, depth)
            }
            scalar => {
                self.count(path, depth)?;
                Ok(Entered::Node(Node::Lit(scalar.to_value())))
            }
        }
    }

    fn enter_object<'v>(
        &mut self,
        map: Members<'v>,
        path: &str,
        depth: usize,
    ) -> Result<Entered<'v>, RuleProblem> {
        let mut entries = map.iter();
        let (Some((name, arg)), None) = (entries.next(), entries.next()) else {
            if map.is_empty() {
                return Ok(Entered::Node(Node::Lit(Value::Object(Map::new()))));
            }
            return Err(self.problem(
                path,
                "an operation must be an object with exactly one key, the operator (wrap literal objects in `preserve`)",
            ));
        };
        if name == "$ref" {
            return self.link_ref(arg, path, depth).map(Entered::Node);
        }
        let Some(op) = Op::from_name(name) else {
            return Err(self.problem(path, format!("unknown operator `{}`", shorten(name))));
        };
        let op_path = self.key_path(path, name);
        for (at, message) in schema::check(op, name, arg, &op_path) {
            self.warn(&at, message);
        }
        self.plan(op, name, arg, op_path, depth)
    }

    /// `{"$ref": name}`: a link to the shared evaluator. When the evaluators are compiled
    /// already (a rule), its size and depth count here; while they are being compiled (an
    /// evaluator body), the site is recorded and checked once every body is compiled.
    fn link_ref(&mut self, arg: &Tree<'_>, path: &str, depth: usize) -> Result<Node, RuleProblem> {
        // A site keeps its path (for the evaluator's warnings and problems, reported at the
        // first site that reaches them).
        if self.paths == Paths::Skipped {
            self.needs_paths.set(true);
        }
        let Tree::String(name) = arg else {
            return Err(self.problem(path, "`$ref` must be the name of an evaluator (a string)"));
        };
        let Some(target) = self.index.position(name) else {
            return Err(self.problem(
                path,
                format!("$ref to `{}`, which is not in $evaluators", shorten(name)),
            ));
        };
        if let Some(resolved) = self.index.resolved(target) {
            let (nodes, height) = resolved.map_err(|cause| cause.at(path))?;
            // The evaluator's root sits one level below the `$ref`.
            if depth.saturating_add(height) > self.bounds.max_depth {
                return Err(self.problem(
                    path,
                    evaluators::ref_depth_message(self.bounds.max_depth, name, height),
                ));
            }
            self.add_nodes(path, nodes)?;
            self.stats.height = self.stats.height.max(depth + height);
        }
        self.sites.push(RefSite {
            target,
            path: path.to_owned(),
            depth,
        });
        Ok(Node::Ref(self.index.slot(target)))
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

/// An array without objects anywhere inside: a constant, whatever its size.
fn is_literal(items: &[Tree<'_>]) -> bool {
    let mut stack: Vec<&[Tree<'_>]> = vec![items];
    while let Some(items) = stack.pop() {
        for item in items {
            match item {
                Tree::Object(_) => return false,
                Tree::Array(inner) => stack.push(inner),
                _ => {}
            }
        }
    }
    true
}

/// `in` against a literal array gets a node of its own: hashed by type when long.
fn in_node(nodes: Box<[Node]>) -> Node {
    let mut nodes = nodes.into_vec();
    if nodes.len() == 2 && matches!(nodes.get(1), Some(Node::Lit(Value::Array(_)))) {
        if let (Some(Node::Lit(Value::Array(items))), Some(needle)) = (nodes.pop(), nodes.pop()) {
            let items = if items.len() < HASH_SET_MIN {
                SetItems::Few(items.into_boxed_slice())
            } else {
                SetItems::Hashed(Box::new(hash_items(items)))
            };
            return Node::InSet(Box::new(InSet { needle, items }));
        }
    }
    Node::In(nodes.into_boxed_slice())
}

fn hash_items(items: Vec<Value>) -> HashedItems {
    let mut set = HashedItems::default();
    let mut compound = Vec::new();
    for item in items {
        match item {
            Value::String(s) => {
                set.strings.insert(s.into_boxed_str());
            }
            Value::Number(n) => {
                set.numbers.insert(number_key(&n));
            }
            Value::Bool(true) => set.has_true = true,
            Value::Bool(false) => set.has_false = true,
            Value::Null => set.null = true,
            other => compound.push(other),
        }
    }
    set.strings.shrink_to_fit();
    set.numbers.shrink_to_fit();
    set.compound = compound.into_boxed_slice();
    set
}

/// Operator names and evaluator names in messages, cut to a readable length.
fn shorten(name: &str) -> String {
    const MAX: usize = 64;
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", name.get(..cut).unwrap_or(name)),
        None => name.to_owned(),
    }
}
