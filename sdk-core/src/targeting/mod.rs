//! Targeting: JSON Logic rules compiled once at load, evaluated without re-parsing.
//!
//! A rule is compiled into a tree of nodes: operators are resolved to an enum, `var` paths are
//! split, literal arrays are folded into constants (a literal list in `in` into a hash set)
//! and `$ref`s to flagd's `$evaluators` become links to evaluators compiled once per document
//! and shared ([`RuleSet`]). Evaluation walks that tree and returns a [`Cow`] that borrows
//! from the rule's literals or from the data whenever it can, so the common targeting shapes
//! (`var` look-ups, comparisons, `in` against a literal list, `if`, `and`/`or`,
//! `starts_with`) do not allocate.
//!
//! Bounds, so that no loadable config can make loading or evaluating expensive:
//! - compiling is linear in the document: each evaluator is compiled once, `$ref` chains and
//!   cycles are resolved without recursion, and every rule's depth (a `$ref` hop counts as a
//!   level), expanded size and the document's total compiled size are limited
//!   ([`crate::Limits`]);
//! - compiling does not recurse (an explicit stack); every recursion over a compiled rule
//!   (evaluating, dropping, listing its reads) is bounded by the depth limit, and the values an
//!   evaluation builds are bounded in depth too, so a rule at the limit compiles and runs on a
//!   512 KiB thread stack, in unoptimised builds as well;
//! - evaluation spends from a [`Budget`] of work units (nodes visited, values copied and
//!   compared, string bytes scanned) shared by every rule of one flag evaluation: 250,000
//!   units, about a millisecond of the slowest work the engine does per unit, and far above
//!   what realistic targeting needs. See the `budget` module for the cost model.
//!
//! Semantics:
//! - every operator of the JSON Logic reference (jsonlogic.com) with its JavaScript-like
//!   coercions, following the cross-engine compat tables (`json-logic/compat-tables`) where the
//!   reference is silent: comparing incompatible types raises `NaN`, arithmetic that yields NaN
//!   raises `NaN`, operators given the wrong argument shape raise `Invalid Arguments`;
//! - the modern extensions `val` (with scope climbing), `exists`, `??`, `try`, `throw`,
//!   `preserve`, and operators that take a dynamic argument list;
//! - flagd's `fractional`, `sem_ver`, `starts_with`, `ends_with`, `$ref` and the `$flagd`
//!   properties, exactly as flagd evaluates them;
//! - flagd's answers where they differ from the compat tables: `null` equals only `null`
//!   (JavaScript's `==`, which flagd's engines and Go's jsonlogic share:
//!   `{"!=": [{"var": "email"}, ""]}` is the "is set" test), and an empty object is falsy (as
//!   flagd's daemon has it).
//!
//! The divergences from the compat tables are listed, with reasons, in
//! `sdk-core/tests/JSONLOGIC_DIVERGENCES.md`.
//!
//! ```
//! use serde_json::json;
//! use tandem::targeting::{CompileOptions, Env, Rule};
//!
//! let rule = json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]});
//! let compiled = Rule::compile(&rule, &CompileOptions::default())?;
//! assert!(compiled.warnings.is_empty());
//! let env = Env { flag_key: "checkout-button", timestamp: 1_700_000_000 };
//! let data = json!({"email": "qa@example.com"});
//! assert_eq!(*compiled.rule.evaluate(&data, &env)?, json!("cb-v2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

mod budget;
mod compile;
mod eval;
mod murmur3;
mod node;
mod ops;
mod path;
mod reads;
pub(crate) use reads::PathSink;
mod schema;
mod semver;
mod split;
pub(crate) use split::Split;
mod value;

/// A JSON number as JavaScript's `String(n)` spells it (`2`, `2.5`, `1e+21`): how flagd names
/// the variant a numeric targeting result selects.
pub(crate) fn js_number_text(n: &serde_json::Number) -> String {
    let mut text = String::new();
    value::push_js_number(&mut text, n);
    text
}
pub use budget::Budget;
pub use compile::evaluators::{EvaluatorReport, RuleSet};

/// Options for [`Rule::compile`].
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions<'a> {
    /// flagd's `$evaluators`: named rules that `{"$ref": "name"}` links to.
    pub evaluators: Option<&'a Map<String, Value>>,
    /// Deepest operator nesting accepted: each operator object and each array in expression
    /// position is one level (an operator's own argument list is not), and a `$ref` is one
    /// level above its evaluator's root.
    pub max_depth: usize,
    /// Most operator nodes in one rule, counting an evaluator at its full size at every `$ref`
    /// that reaches it; a literal array or `preserve`d literal is one node whatever its size.
    pub max_nodes: usize,
    /// Most compiled elements (nodes and literal values) in all the rules compiled by one
    /// [`RuleSet`] together, each evaluator counted once.
    pub max_total_elements: usize,
}

impl Default for CompileOptions<'_> {
    /// No evaluators; the limits of [`crate::Limits::default`].
    fn default() -> Self {
        let limits = crate::Limits::default();
        Self {
            evaluators: None,
            max_depth: limits.max_rule_depth,
            max_nodes: limits.max_rule_nodes,
            max_total_elements: limits.max_total_rule_elements,
        }
    }
}

/// A problem found while compiling a rule, with a JSON path relative to the rule's root
/// (`""` for the root itself, `if[0].in[1]`, `fractional[2][1]`, ...).
///
/// A problem inside an `$evaluators` entry is reported at the `$ref` that expanded it, and its
/// message names the evaluator and the path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where, relative to the rule root.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for RuleProblem {}

/// A compiled rule and the schema problems that do not stop it from running.
#[derive(Debug)]
pub struct CompiledRule {
    /// The rule, ready to evaluate.
    pub rule: Rule,
    /// Violations of flagd's targeting schema that flagd tolerates at run time (the rule runs
    /// as flagd would run it), and uses of JSON Logic extensions that flagd does not know.
    pub warnings: Vec<RuleProblem>,
}

/// The per-evaluation environment: flagd's `$flagd` properties.
///
/// At the root of the data, `{"var": "$flagd.flagKey"}`, `{"var": "$flagd.timestamp"}` and
/// `{"var": "$flagd"}` resolve from here, overriding any `$flagd` key of the data, as flagd's
/// context enrichment does; `fractional` reads the flag key from here too.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// `$flagd.flagKey`.
    pub flag_key: &'a str,
    /// `$flagd.timestamp`, unix seconds.
    pub timestamp: i64,
}

/// A compiled JSON Logic rule. Cheap to clone and to share across threads; evaluation takes
/// `&self`.
#[derive(Debug, Clone)]
pub struct Rule {
    root: Arc<node::Node>,
}

/// What kind of run-time error a rule raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// A value could not be used as a number, a division by zero, or an incomparable pair
    /// (error type `"NaN"`).
    NotANumber,
    /// An operator received arguments of the wrong shape (error type `"Invalid Arguments"`).
    InvalidArguments,
    /// The rule raised an error itself with `throw`.
    Thrown,
    /// The evaluation exceeded its work budget (hostile rule or data); `try` does not catch it.
    LimitExceeded,
}

/// A run-time error raised by a rule.
///
/// Errors are values, as in the JSON Logic extensions: [`EvalError::value`] is an object with a
/// `type` (`{"type": "NaN"}`, `{"type": "Invalid Arguments"}`, or whatever `throw` raised).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    /// Boxed so that results stay two words wide on the success path.
    inner: Box<ErrorInner>,
}

#[derive(Debug, Clone, PartialEq)]
struct ErrorInner {
    kind: EvalErrorKind,
    value: Value,
}

impl EvalError {
    /// The kind of error.
    #[must_use]
    pub fn kind(&self) -> EvalErrorKind {
        self.inner.kind
    }

    /// The error value: `{"type": "NaN"}`, `{"type": "Invalid Arguments"}`, or what `throw`
    /// raised (a thrown string `s` becomes `{"type": s}`).
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.inner.value
    }

    /// The error's `type` when it is a string: `"NaN"`, `"Invalid Arguments"`, a thrown name.
    #[must_use]
    pub fn error_type(&self) -> Option<&str> {
        self.inner.value.get("type").and_then(Value::as_str)
    }
}

impl fmt::Display for EvalError {
    /// Never echoes thrown values: they may come from the evaluation context.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.inner.kind {
            EvalErrorKind::NotANumber => "NaN: a value is not a number or cannot be compared",
            EvalErrorKind::InvalidArguments => {
                "Invalid Arguments: an operator got the wrong arguments"
            }
            EvalErrorKind::Thrown => "the rule raised an error with `throw`",
            EvalErrorKind::LimitExceeded => "the rule exceeded its evaluation budget",
        })
    }
}

impl std::error::Error for EvalError {}

impl Rule {
    pub(crate) fn from_root(root: node::Node) -> Self {
        Self {
            root: Arc::new(root),
        }
    }

    pub(crate) fn root(&self) -> &node::Node {
        &self.root
    }

    /// Compiles a rule: resolves operators, links `$ref`s, checks the limits and collects
    /// flagd schema warnings (those inside a referenced evaluator are reported at the `$ref`
    /// that reaches it, with the evaluator's name and the path inside it).
    ///
    /// The evaluators are compiled for this rule alone; a document with many rules compiles
    /// them once with a [`RuleSet`].
    ///
    /// An empty object `{}` compiles to the literal `{}`; flagd treats an empty `targeting` as
    /// no targeting at all, which the caller decides before compiling.
    ///
    /// # Errors
    /// A [`RuleProblem`] when the rule cannot run: an unknown operator, an object with more
    /// than one key, a `$ref` to a missing or broken evaluator or into a `$ref` cycle, or a
    /// rule deeper than `max_depth` or larger than `max_nodes`.
    ///
    /// ```
    /// use serde_json::json;
    /// use tandem::targeting::{CompileOptions, Rule};
    ///
    /// let problem = Rule::compile(&json!({"if": [{"nope": [1]}, "a"]}), &CompileOptions::default())
    ///     .unwrap_err();
    /// assert_eq!(problem.path, "if[0]");
    /// ```
    pub fn compile(
        rule: &Value,
        options: &CompileOptions<'_>,
    ) -> Result<CompiledRule, RuleProblem> {
        let set = RuleSet::new(options);
        let levels = compile::evaluators::value_levels(options.max_depth);
        let arena = crate::json_checked::Bump::new();
        let rule = crate::json_checked::Tree::borrowed(rule, levels, &arena);
        let (mut compiled, sites) = set.compile_with_sites(&rule)?;
        compiled.warnings.extend(set.reached_warnings(&sites));
        Ok(compiled)
    }

    /// Evaluates against `data` (the evaluation context), with a budget of its own
    /// ([`Budget::per_flag`]).
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one and no `try` catches it.
    ///
    /// ```
    /// use serde_json::json;
    /// use tandem::targeting::{CompileOptions, Env, Rule};
    ///
    /// let rule = Rule::compile(&json!({"/": [1, {"var": "n"}]}), &CompileOptions::default())?.rule;
    /// let env = Env { flag_key: "f", timestamp: 0 };
    /// let error = rule.evaluate(&json!({"n": 0}), &env).unwrap_err();
    /// assert_eq!(error.error_type(), Some("NaN"));
    /// # Ok::<(), tandem::targeting::RuleProblem>(())
    /// ```
    pub fn evaluate<'a>(
        &'a self,
        data: &'a Value,
        env: &Env<'a>,
    ) -> Result<Cow<'a, Value>, EvalError> {
        self.evaluate_within(data, env, &Budget::per_flag())
    }

    /// Evaluates against `data`, spending from `budget`, which the caller shares between
    /// every rule it runs for one flag evaluation.
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one and no `try` catches it;
    /// [`EvalErrorKind::LimitExceeded`] when the budget runs out.
    pub fn evaluate_within<'a>(
        &'a self,
        data: &'a Value,
        env: &Env<'a>,
        budget: &Budget,
    ) -> Result<Cow<'a, Value>, EvalError> {
        eval::evaluate(&self.root, eval::Scope::Value(data), env, budget).map(eval::Out::into_cow)
    }

    /// [`Rule::evaluate_within`] on a [`crate::Context`], read in place: the core's own path for
    /// flag targeting.
    pub(crate) fn evaluate_context<'a>(
        &'a self,
        ctx: &'a crate::Context,
        env: &Env<'a>,
        budget: &Budget,
    ) -> Result<Cow<'a, Value>, EvalError> {
        eval::evaluate(&self.root, eval::Scope::Context(ctx), env, budget).map(eval::Out::into_cow)
    }

    /// [`Rule::matches_within`] on a [`crate::Context`], read in place: experiment audiences.
    pub(crate) fn matches_context(
        &self,
        ctx: &crate::Context,
        env: &Env<'_>,
        budget: &Budget,
    ) -> Result<bool, EvalError> {
        eval::test(&self.root, eval::Scope::Context(ctx), env, budget)
    }

    /// Evaluates the rule as a condition, with a budget of its own: whether its result is
    /// truthy by JSON Logic's rules (`0`, `""`, `[]`, `{}`, `null` and `false` are falsy).
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one.
    pub fn matches(&self, data: &Value, env: &Env<'_>) -> Result<bool, EvalError> {
        self.matches_within(data, env, &Budget::per_flag())
    }

    /// Evaluates the rule as a condition, spending from `budget` (shared, like
    /// [`Rule::evaluate_within`]'s). Experiment audiences use this.
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one; [`EvalErrorKind::LimitExceeded`] when the
    /// budget runs out.
    pub fn matches_within(
        &self,
        data: &Value,
        env: &Env<'_>,
        budget: &Budget,
    ) -> Result<bool, EvalError> {
        eval::test(&self.root, eval::Scope::Value(data), env, budget)
    }

    /// Appends the paths (as segments) that the rule reads at the root of its data, so a host
    /// knows which context attributes to pass: `var` paths split at dots, `val` and `exists`
    /// segments, the literal keys of `missing` and `missing_some`, and `targetingKey` for a
    /// `fractional` that buckets by it. `$flagd.*` paths are not listed (they come from
    /// [`Env`]), nor are paths read inside an iterator's body (they read the element).
    /// Paths already in `out` are not added again.
    ///
    /// Returns `true` when the rule may also read root data it cannot name: the whole data
    /// (`{"var": ""}`), a computed path, a `val` that climbs out of an iterator with a computed
    /// path, `missing` with computed keys.
    ///
    /// ```
    /// use serde_json::json;
    /// use tandem::targeting::{CompileOptions, Rule};
    ///
    /// let rule = Rule::compile(
    ///     &json!({"and": [{"==": [{"var": "user.plan"}, "pro"]}, {"fractional": [["a", 1], ["b", 1]]}]}),
    ///     &CompileOptions::default(),
    /// )?.rule;
    /// let mut paths = Vec::new();
    /// assert!(!rule.root_paths(&mut paths));
    /// let paths: Vec<Vec<&str>> = paths.iter().map(|p| p.iter().map(|s| &**s).collect()).collect();
    /// assert_eq!(paths, [vec!["user", "plan"], vec!["targetingKey"]]);
    /// # Ok::<(), tandem::targeting::RuleProblem>(())
    /// ```
    pub fn root_paths(&self, out: &mut Vec<Box<[Box<str>]>>) -> bool {
        reads::root_paths(&self.root, out)
    }

    /// Whether the rule may read `$flagd` (the flag key or the time): evaluations of rules that
    /// do not can skip reading the host clock.
    pub(crate) fn reads_environment(&self) -> bool {
        reads::reads_environment(&self.root)
    }

    /// [`Rule::root_paths`] into a sink, without building the paths.
    pub(crate) fn visit_root_paths<S: PathSink>(&self, sink: &mut S) -> bool {
        reads::visit_root_paths(&self.root, sink)
    }
}

#[cfg(test)]
mod tests;
