//! Targeting: JSON Logic rules compiled once at load, evaluated without re-parsing.
//!
//! A rule is compiled into a tree of nodes: operators are resolved to an enum, `var` paths are
//! split, literal arrays are folded into constants and `$ref`s to flagd's `$evaluators` are
//! expanded. Evaluation walks that tree and returns a [`Cow`] that borrows from the rule's
//! literals or from the data whenever it can, so the common targeting shapes (`var` look-ups,
//! comparisons, `in` against a literal list, `if`, `and`/`or`, `starts_with`) do not allocate.
//!
//! Semantics:
//! - every operator of the JSON Logic reference (jsonlogic.com) with its JavaScript-like
//!   coercions, following the cross-engine compat tables (`json-logic/compat-tables`) where the
//!   reference is silent: comparing incompatible types raises `NaN`, arithmetic that yields NaN
//!   raises `NaN`, operators given the wrong argument shape raise `Invalid Arguments`;
//! - the modern extensions `val` (with scope climbing), `exists`, `??`, `try`, `throw`,
//!   `preserve`, and operators that take a dynamic argument list;
//! - flagd's `fractional`, `sem_ver`, `starts_with`, `ends_with`, `$ref` and the `$flagd`
//!   properties, exactly as flagd evaluates them.
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

use serde_json::{Map, Value};

mod compile;
mod eval;
mod murmur3;
mod node;
mod ops;
mod path;
mod paths;
mod schema;
mod semver;
mod value;

/// A JSON number as JavaScript's `String(n)` spells it (`2`, `2.5`, `1e+21`): how flagd names
/// the variant a numeric targeting result selects.
pub(crate) fn js_number_text(n: &serde_json::Number) -> String {
    let mut text = String::new();
    value::push_js_number(&mut text, n);
    text
}

/// Options for [`Rule::compile`].
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions<'a> {
    /// flagd's `$evaluators`: named rules that `{"$ref": "name"}` expands to.
    pub evaluators: Option<&'a Map<String, Value>>,
    /// Deepest operator nesting accepted: each operator object and each array in expression
    /// position is one level (an operator's own argument list is not).
    pub max_depth: usize,
    /// Most nodes in one rule after `$ref` expansion; every JSON value of the expanded rule,
    /// literal list elements included, is one node.
    pub max_nodes: usize,
}

impl Default for CompileOptions<'_> {
    /// No evaluators; the limits of [`crate::Limits::default`].
    fn default() -> Self {
        Self {
            evaluators: None,
            max_depth: 48,
            max_nodes: 10_000,
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

/// A compiled JSON Logic rule. Cheap to share across threads; evaluation takes `&self`.
#[derive(Debug, Clone)]
pub struct Rule {
    root: node::Node,
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
    /// Compiles a rule: resolves operators, expands `$ref`s, checks the limits and collects
    /// flagd schema warnings.
    ///
    /// An empty object `{}` compiles to the literal `{}`; flagd treats an empty `targeting` as
    /// no targeting at all, which the caller decides before compiling.
    ///
    /// # Errors
    /// A [`RuleProblem`] when the rule cannot run: an unknown operator, an object with more
    /// than one key, a `$ref` to a missing evaluator or a `$ref` cycle, or a rule deeper than
    /// `max_depth` or larger than `max_nodes`.
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
        let mut compiler = compile::Compiler::new(options);
        let root = compiler.compile_root(rule)?;
        Ok(CompiledRule {
            rule: Rule { root },
            warnings: compiler.into_warnings(),
        })
    }

    /// Evaluates against `data` (the evaluation context).
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
        eval::evaluate(&self.root, data, env).map(eval::Out::into_cow)
    }

    /// Evaluates the rule as a condition: whether its result is truthy by JSON Logic's rules
    /// (`0`, `""`, `[]`, `null` and `false` are falsy). Audiences use this.
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one.
    pub fn matches(&self, data: &Value, env: &Env<'_>) -> Result<bool, EvalError> {
        eval::evaluate(&self.root, data, env).map(|out| value::truthy(&out))
    }
}

#[cfg(test)]
mod tests;
