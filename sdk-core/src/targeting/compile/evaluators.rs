//! flagd's `$evaluators`, compiled once per document and shared by every `$ref`.
//!
//! Expanding a `$ref` in place (what flagd does) copies the evaluator into every rule that
//! uses it, which is quadratic for chains and multiplies memory for fan-out. Instead:
//!
//! 1. every evaluator body is compiled once, on its own; a `$ref` inside it becomes a link to
//!    the target's slot (an `Arc`, filled in later) and the site's depth is recorded;
//! 2. the evaluators are resolved in dependency order (Kahn's algorithm, no recursion): an
//!    evaluator whose targets are all resolved gets its height (a `$ref` counts as a level),
//!    its expanded node count, and its body, unless a limit or a broken target stops it;
//! 3. what is left over is in a `$ref` cycle or depends on one: following any unresolved
//!    target from it must come back around, which names the cycle.
//!
//! Each step is linear in the evaluators and their `$ref` sites. A broken evaluator's problem
//! names the evaluator where it started, so a chain of ten thousand broken links still gets
//! one short message.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::{Bounds, Compiler, Paths, Stats};
use crate::hashing::{fast_map, FastMap};
use crate::json_checked::{Bump, Members, Tree};
use crate::targeting::node::{Evaluator, Node};
use crate::targeting::{CompiledRule, RuleProblem};

/// Where a rule links to an evaluator.
#[derive(Debug)]
pub(crate) struct RefSite {
    pub(crate) target: usize,
    /// The path of the `$ref` object, relative to the rule (or evaluator) root.
    pub(crate) path: String,
    /// The `$ref` object's own level.
    pub(crate) depth: usize,
}

/// Why an evaluator cannot be used: the evaluator where the problem is, and the problem at
/// its path inside that evaluator.
#[derive(Debug)]
pub(crate) struct Cause {
    origin: Box<str>,
    path: String,
    message: String,
}

impl Cause {
    /// The problem as reported at a `$ref` (at `site`) that reaches the broken evaluator.
    pub(crate) fn at(&self, site: &str) -> RuleProblem {
        let origin = super::shorten(&self.origin);
        RuleProblem {
            path: site.to_owned(),
            message: if self.path.is_empty() {
                format!("in $evaluators.{origin}: {}", self.message)
            } else {
                format!(
                    "in $evaluators.{origin} at `{}`: {}",
                    self.path, self.message
                )
            },
        }
    }
}

#[derive(Debug)]
enum State {
    /// Not resolved yet (only while the set is being built).
    Pending,
    /// Compiled within the limits: its expanded node count and height.
    Ready { nodes: usize, height: usize },
    /// Unusable: the site inside this evaluator where the problem shows (the problem itself
    /// when the evaluator is where it started), and the cause.
    Broken { site: String, cause: Arc<Cause> },
}

/// The names and shared slots of a document's evaluators, and how far they are resolved.
#[derive(Debug, Default)]
pub(crate) struct Index {
    names: FastMap<Box<str>, usize>,
    slots: Vec<Arc<Evaluator>>,
    states: Vec<State>,
}

impl Index {
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    pub(crate) fn slot(&self, target: usize) -> Arc<Evaluator> {
        // `target` comes from `position`, so the slot exists; an empty slot is harmless (a
        // `$ref` to it raises `Invalid Arguments`) and keeps this panic-free.
        self.slots.get(target).cloned().unwrap_or_else(|| {
            Arc::new(Evaluator {
                name: Box::from(""),
                body: OnceLock::new(),
            })
        })
    }

    /// `None` while evaluator bodies are being compiled; then the target's expanded node
    /// count and height, or why it is broken.
    pub(crate) fn resolved(&self, target: usize) -> Option<Result<(usize, usize), &Cause>> {
        match self.states.get(target)? {
            State::Pending => None,
            State::Ready { nodes, height } => Some(Ok((*nodes, *height))),
            State::Broken { cause, .. } => Some(Err(cause)),
        }
    }
}

/// One evaluator's outcome, for reporting at its own path.
#[derive(Debug)]
pub struct EvaluatorReport<'a> {
    /// The evaluator's name in `$evaluators`.
    pub name: &'a str,
    /// Why it cannot be used (path relative to the evaluator), if it cannot.
    pub problem: Option<RuleProblem>,
    /// Schema warnings inside it (paths relative to the evaluator).
    pub warnings: &'a [RuleProblem],
}

/// The rules of one document: its `$evaluators`, each compiled once and shared by every
/// `$ref` to it, and a bound on the compiled size of all its rules together.
///
/// Build it once per document with [`RuleSet::new`], then compile every rule of the document
/// (flag targeting, experiment audiences) with [`RuleSet::compile`].
///
/// ```
/// use serde_json::json;
/// use tandem::targeting::{CompileOptions, Env, RuleSet};
///
/// let evaluators = json!({"is_qa": {"in": [{"var": "email"}, ["qa@example.com"]]}});
/// let options = CompileOptions { evaluators: evaluators.as_object(), ..CompileOptions::default() };
/// let rules = RuleSet::new(&options);
/// assert!(rules.evaluator_reports().iter().all(|r| r.problem.is_none()));
/// let a = rules.compile(&json!({"if": [{"$ref": "is_qa"}, "qa", null]}))?.rule;
/// let b = rules.compile(&json!({"!": {"$ref": "is_qa"}}))?.rule;
/// let env = Env { flag_key: "f", timestamp: 0 };
/// let data = json!({"email": "qa@example.com"});
/// assert_eq!(*a.evaluate(&data, &env)?, json!("qa"));
/// assert_eq!(*b.evaluate(&data, &env)?, json!(false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RuleSet {
    index: Index,
    /// Per evaluator: warnings, and the evaluators it links to (for reporting warnings of
    /// what a rule reaches).
    warnings: Vec<Vec<RuleProblem>>,
    targets: Vec<Vec<usize>>,
    max_depth: usize,
    max_nodes: usize,
    max_total: usize,
    /// Elements compiled so far, evaluators included.
    total: std::cell::Cell<usize>,
}

impl RuleSet {
    /// Compiles `options.evaluators`, each once.
    pub fn new(options: &crate::targeting::CompileOptions<'_>) -> Self {
        let arena = Bump::new();
        let levels = value_levels(options.max_depth);
        let evaluators = options
            .evaluators
            .map(|map| Members::borrowed(map, levels, &arena));
        Self::with_evaluators(evaluators, options)
    }

    /// Compiles `evaluators` (a parsed document's, not `options.evaluators`), each once, with
    /// the limits of `options`.
    pub(crate) fn with_evaluators(
        evaluators: Option<Members<'_>>,
        options: &crate::targeting::CompileOptions<'_>,
    ) -> Self {
        let map = evaluators.unwrap_or_default();
        let mut index = Index {
            names: fast_map(map.len()),
            slots: Vec::with_capacity(map.len()),
            states: Vec::with_capacity(map.len()),
        };
        for name in map.keys() {
            // A repeated name cannot happen in a parsed map; the first position wins anyway.
            index.names.entry(name.into()).or_insert(index.slots.len());
            index.slots.push(Arc::new(Evaluator {
                name: name.into(),
                body: OnceLock::new(),
            }));
            index.states.push(State::Pending);
        }
        let mut set = Self {
            index,
            warnings: Vec::with_capacity(map.len()),
            targets: Vec::with_capacity(map.len()),
            max_depth: options.max_depth,
            max_nodes: options.max_nodes,
            max_total: options.max_total_elements,
            total: std::cell::Cell::new(0),
        };
        let mut bodies = Vec::with_capacity(map.len());
        let mut compiled = Vec::with_capacity(map.len());
        for body in map.values() {
            let mut compiler = Compiler::new(set.bounds(), &set.index, Paths::Written);
            let result = compiler.compile_root(body);
            set.total
                .set(set.total.get().saturating_add(compiler.elements()));
            let (stats, warnings, sites) = compiler.finish();
            let targets: Vec<usize> = sites.iter().map(|s| s.target).collect();
            let mut targets = crate::sort::sort_by(targets, usize::cmp);
            targets.dedup();
            set.targets.push(targets);
            set.warnings.push(warnings);
            bodies.push(result);
            compiled.push((stats, sites));
        }
        set.resolve(bodies, compiled);
        set
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            max_depth: self.max_depth,
            max_nodes: self.max_nodes,
            elements_left: self.max_total.saturating_sub(self.total.get()),
            max_total: self.max_total,
        }
    }

    /// Steps 2 and 3 of the module documentation.
    fn resolve(
        &mut self,
        bodies: Vec<Result<Node, RuleProblem>>,
        compiled: Vec<(Stats, Vec<RefSite>)>,
    ) {
        let n = bodies.len();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut waiting: Vec<usize> = vec![0; n];
        let mut queue = VecDeque::new();
        for (i, ((_, sites), body)) in compiled.iter().zip(&bodies).enumerate() {
            if body.is_err() {
                // Broken on its own: nothing to wait for.
                queue.push_back(i);
                continue;
            }
            for site in sites {
                if let Some(list) = dependents.get_mut(site.target) {
                    list.push(i);
                }
            }
            if let Some(w) = waiting.get_mut(i) {
                *w = sites.len();
            }
            if sites.is_empty() {
                queue.push_back(i);
            }
        }
        let mut bodies: Vec<Option<Result<Node, RuleProblem>>> =
            bodies.into_iter().map(Some).collect();
        while let Some(i) = queue.pop_front() {
            let body = bodies.get_mut(i).and_then(Option::take);
            let state = match (body, compiled.get(i)) {
                (Some(Ok(node)), Some((stats, sites))) => self.settle(i, node, stats, sites),
                (Some(Err(problem)), _) => self.own_problem(i, problem.path, problem.message),
                _ => continue,
            };
            if let Some(slot) = self.index.states.get_mut(i) {
                *slot = state;
            }
            for &d in dependents.get(i).map(Vec::as_slice).unwrap_or_default() {
                if let Some(w) = waiting.get_mut(d) {
                    *w -= 1;
                    if *w == 0 {
                        queue.push_back(d);
                    }
                }
            }
        }
        self.break_cycles(&compiled);
    }

    /// An evaluator whose targets are all resolved: ready within the limits, or broken.
    fn settle(&self, i: usize, node: Node, stats: &Stats, sites: &[RefSite]) -> State {
        let mut nodes = stats.nodes;
        let mut height = stats.height;
        let mut deepest: Option<(&RefSite, usize)> = None;
        for site in sites {
            match self.index.states.get(site.target) {
                Some(State::Ready {
                    nodes: n,
                    height: h,
                }) => {
                    nodes = nodes.saturating_add(*n);
                    let reach = site.depth.saturating_add(*h);
                    if reach > height {
                        height = reach;
                        deepest = Some((site, *h));
                    }
                }
                Some(State::Broken { cause, .. }) => {
                    return State::Broken {
                        site: site.path.clone(),
                        cause: Arc::clone(cause),
                    }
                }
                // Resolved before this one by construction; treat anything else as broken.
                _ => return self.own_problem(i, site.path.clone(), "unresolved $ref".to_owned()),
            }
        }
        if height > self.max_depth {
            let (path, message) = match deepest {
                Some((site, h)) => (
                    site.path.clone(),
                    ref_depth_message(self.max_depth, self.name(site.target), h),
                ),
                None => (String::new(), depth_message(self.max_depth)),
            };
            return self.own_problem(i, path, message);
        }
        if nodes > self.max_nodes {
            return self.own_problem(
                i,
                String::new(),
                format!(
                    "the rule has more than {} nodes after $ref expansion (max_rule_nodes)",
                    self.max_nodes
                ),
            );
        }
        if let Some(slot) = self.index.slots.get(i) {
            // Each slot is filled once, here, when its evaluator settles.
            let _ = slot.body.set(node);
        }
        State::Ready { nodes, height }
    }

    fn own_problem(&self, i: usize, path: String, message: String) -> State {
        State::Broken {
            site: path.clone(),
            cause: Arc::new(Cause {
                origin: self.name(i).into(),
                path,
                message,
            }),
        }
    }

    fn name(&self, i: usize) -> &str {
        self.index.slots.get(i).map_or("", |slot| &slot.name)
    }

    /// Step 3: every evaluator still pending reaches a cycle through its pending targets.
    fn break_cycles(&mut self, compiled: &[(Stats, Vec<RefSite>)]) {
        let n = self.index.states.len();
        let mut on_walk = vec![false; n];
        for start in 0..n {
            if !matches!(self.index.states.get(start), Some(State::Pending)) {
                continue;
            }
            // Follow the first target that is not ready until the walk meets itself (a new
            // cycle) or reaches an evaluator broken earlier.
            let mut walk: Vec<(usize, String)> = Vec::new();
            let mut at = start;
            let cycle_start = loop {
                if on_walk.get(at).copied().unwrap_or(false) {
                    break walk.iter().position(|(i, _)| *i == at);
                }
                let Some(site) = compiled.get(at).and_then(|(_, sites)| {
                    sites.iter().find(|site| {
                        !matches!(
                            self.index.states.get(site.target),
                            Some(State::Ready { .. })
                        )
                    })
                }) else {
                    break None;
                };
                if let Some(flag) = on_walk.get_mut(at) {
                    *flag = true;
                }
                walk.push((at, site.path.clone()));
                if !matches!(self.index.states.get(site.target), Some(State::Pending)) {
                    break None;
                }
                at = site.target;
            };
            for (i, _) in &walk {
                if let Some(flag) = on_walk.get_mut(*i) {
                    *flag = false;
                }
            }
            if let Some(from) = cycle_start {
                let members: Vec<usize> = walk.iter().skip(from).map(|(i, _)| *i).collect();
                for (k, (i, site)) in walk.iter().enumerate().skip(from) {
                    let message = cycle_message(&members, k - from, |j| self.name(j));
                    let state = self.own_problem(*i, site.clone(), message);
                    if let Some(slot) = self.index.states.get_mut(*i) {
                        *slot = state;
                    }
                }
                walk.truncate(from);
            }
            // The rest of the walk inherits from what it points to, back to front.
            for (i, site) in walk.into_iter().rev() {
                let inherited = compiled
                    .get(i)
                    .and_then(|(_, sites)| sites.iter().find(|s| s.path == site))
                    .and_then(|s| match self.index.states.get(s.target) {
                        Some(State::Broken { cause, .. }) => Some(Arc::clone(cause)),
                        _ => None,
                    });
                let state = match inherited {
                    Some(cause) => State::Broken { site, cause },
                    None => self.own_problem(i, site, "unresolved $ref".to_owned()),
                };
                if let Some(slot) = self.index.states.get_mut(i) {
                    *slot = state;
                }
            }
            if matches!(self.index.states.get(start), Some(State::Pending)) {
                // Unreachable by construction (a pending evaluator has a target that is not
                // ready); keep the invariant that nothing stays pending.
                let state = self.own_problem(start, String::new(), "unresolved $ref".to_owned());
                if let Some(slot) = self.index.states.get_mut(start) {
                    *slot = state;
                }
            }
        }
    }

    /// Each evaluator's outcome, in document order, with paths relative to the evaluator.
    #[must_use]
    pub fn evaluator_reports(&self) -> Vec<EvaluatorReport<'_>> {
        self.index
            .states
            .iter()
            .enumerate()
            .map(|(i, state)| EvaluatorReport {
                name: self.name(i),
                problem: match state {
                    State::Broken { site, cause } if &*cause.origin == self.name(i) => {
                        Some(RuleProblem {
                            path: site.clone(),
                            message: cause.message.clone(),
                        })
                    }
                    State::Broken { site, cause } => Some(cause.at(site)),
                    State::Pending => Some(RuleProblem {
                        path: String::new(),
                        message: "unresolved $ref".to_owned(),
                    }),
                    State::Ready { .. } => None,
                },
                warnings: self.warnings.get(i).map(Vec::as_slice).unwrap_or_default(),
            })
            .collect()
    }

    /// Compiles one rule of the document: `$ref`s link to the shared evaluators, and the
    /// rule's elements count toward the document's total.
    ///
    /// The warnings are the rule's own; those inside evaluators are in
    /// [`RuleSet::evaluator_reports`] (reported once, not at every `$ref`).
    ///
    /// # Errors
    /// A [`RuleProblem`] when the rule cannot run (see [`crate::targeting::Rule::compile`]),
    /// including a `$ref` to a broken evaluator, and when the document's rules together
    /// exceed `max_total_elements`.
    pub fn compile(&self, rule: &Value) -> Result<CompiledRule, RuleProblem> {
        let arena = Bump::new();
        self.compile_tree(&Tree::borrowed(rule, value_levels(self.max_depth), &arena))
    }

    /// Compiled elements counted so far against `max_total_elements`, evaluators included.
    pub(crate) fn elements_counted(&self) -> usize {
        self.total.get()
    }

    /// Counts `elements` more against `max_total_elements`, for a rule shared with one compiled
    /// before (see `config::rules`), as if it were compiled again: `false`, and nothing
    /// counted, when that would exceed the total.
    pub(crate) fn count_shared(&self, elements: usize) -> bool {
        let total = self.total.get().saturating_add(elements);
        let fits = total <= self.max_total;
        if fits {
            self.total.set(total);
        }
        fits
    }

    /// [`RuleSet::compile`] of a parsed document's rule.
    pub(crate) fn compile_tree(&self, rule: &Tree<'_>) -> Result<CompiledRule, RuleProblem> {
        self.compile_with_sites(rule).map(|(compiled, _)| compiled)
    }

    pub(crate) fn compile_with_sites(
        &self,
        rule: &Tree<'_>,
    ) -> Result<(CompiledRule, Vec<RefSite>), RuleProblem> {
        let mut compiler = Compiler::new(self.bounds(), &self.index, Paths::Skipped);
        let mut result = compiler.compile_root(rule);
        if compiler.needs_paths() {
            compiler = Compiler::new(self.bounds(), &self.index, Paths::Written);
            result = compiler.compile_root(rule);
        }
        self.total
            .set(self.total.get().saturating_add(compiler.elements()));
        let root = result?;
        let (_, warnings, sites) = compiler.finish();
        Ok((
            CompiledRule {
                rule: crate::targeting::Rule::from_root(root),
                warnings,
            },
            sites,
        ))
    }

    /// The warnings inside the evaluators that `sites` reach (directly or through other
    /// evaluators), each reported once, at the first site that reaches it, the way a rule
    /// with its `$ref`s expanded in place would report them.
    pub(crate) fn reached_warnings(&self, sites: &[RefSite]) -> Vec<RuleProblem> {
        let mut seen = vec![false; self.index.slots.len()];
        let mut out = Vec::new();
        for site in sites {
            let mut stack = vec![site.target];
            while let Some(i) = stack.pop() {
                match seen.get_mut(i) {
                    Some(flag) if !*flag => *flag = true,
                    _ => continue,
                }
                for warning in self.warnings.get(i).map(Vec::as_slice).unwrap_or_default() {
                    let cause = Cause {
                        origin: self.name(i).into(),
                        path: warning.path.clone(),
                        message: warning.message.clone(),
                    };
                    out.push(cause.at(&site.path));
                }
                stack.extend(self.targets.get(i).map(Vec::as_slice).unwrap_or_default());
            }
        }
        out
    }
}

/// How many JSON levels of a caller's `Value` a compilation that allows `max_depth` operator
/// levels can look at: an operator is two (its object and its argument list), and a few more
/// cover `fractional` buckets and `val` paths. Deeper parts are past the limit whatever they hold.
pub(crate) fn value_levels(max_depth: usize) -> usize {
    max_depth.saturating_mul(2).saturating_add(8)
}

pub(crate) fn depth_message(max: usize) -> String {
    format!("the rule is nested deeper than {max} levels (max_rule_depth)")
}

/// A `$ref` whose evaluator (`height` levels, below the `$ref`'s own) makes the rule too deep.
pub(crate) fn ref_depth_message(max: usize, name: &str, height: usize) -> String {
    format!(
        "the rule is nested deeper than {max} levels (max_rule_depth): $ref `{}` adds {height} \
         levels here",
        super::shorten(name)
    )
}

/// `$ref cycle in $evaluators: a -> b -> a`, starting at member `first` of `members`; a long
/// cycle is shortened, so the message stays short whatever the document.
fn cycle_message<'n>(members: &[usize], first: usize, name: impl Fn(usize) -> &'n str) -> String {
    const SHOWN: usize = 8;
    let len = members.len();
    let mut names: Vec<String> = (0..len.min(SHOWN))
        .filter_map(|k| members.get((first + k) % len))
        .map(|&i| super::shorten(name(i)))
        .collect();
    if len > SHOWN {
        names.push(format!("… ({len} evaluators in the cycle)"));
    }
    if let Some(&start) = members.get(first) {
        names.push(super::shorten(name(start)));
    }
    format!("$ref cycle in $evaluators: {}", names.join(" -> "))
}
