//! Targeting: JSON Logic rules compiled once at load, evaluated without re-parsing.
//!
//! CONTRACT FOR THE IMPLEMENTER (to be replaced by real docs): see the task description.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// Options for [`Rule::compile`].
#[derive(Debug, Clone, Copy)]
pub struct CompileOptions<'a> {
    /// flagd's `$evaluators`: named rules that `{"$ref": "name"}` expands to.
    pub evaluators: Option<&'a Map<String, Value>>,
    /// Deepest operator nesting accepted.
    pub max_depth: usize,
    /// Most nodes in one rule after `$ref` expansion.
    pub max_nodes: usize,
}

/// A problem found while compiling a rule, with a JSON path relative to the rule's root
/// (`""` for the root itself, `if[0].in[1]`, `fractional[2][1]`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where, relative to the rule root.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A compiled rule and the schema problems that do not stop it from running.
#[derive(Debug)]
pub struct CompiledRule {
    /// The rule, ready to evaluate.
    pub rule: Rule,
    /// Violations of flagd's targeting schema that flagd tolerates at run time.
    pub warnings: Vec<RuleProblem>,
}

/// The per-evaluation environment: flagd's `$flagd` properties.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// `$flagd.flagKey`.
    pub flag_key: &'a str,
    /// `$flagd.timestamp`, unix seconds.
    pub timestamp: i64,
}

/// A compiled JSON Logic rule.
#[derive(Debug, Clone)]
pub struct Rule {
    _private: (),
}

/// A run-time error raised by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    _private: (),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("rule error")
    }
}

impl Rule {
    /// Compiles a rule.
    ///
    /// # Errors
    /// A [`RuleProblem`] when the rule cannot run.
    pub fn compile(
        _rule: &Value,
        _options: &CompileOptions<'_>,
    ) -> Result<CompiledRule, RuleProblem> {
        todo!()
    }

    /// Evaluates against `data`.
    ///
    /// # Errors
    /// An [`EvalError`] when the rule raises one.
    pub fn evaluate<'a>(
        &'a self,
        _data: &'a Value,
        _env: &Env<'a>,
    ) -> Result<Cow<'a, Value>, EvalError> {
        todo!()
    }
}
