//! Compiling a document's rules (flag targeting, experiment audiences), each distinct rule once.
//!
//! Flags of one config often share a rule, written out again in each flag: the same segment
//! ("country in the Nordics"), the same percentage split. A rule written exactly as one compiled
//! before (the same text, so the same JSON) shares its compiled node instead of being compiled
//! again: the result is the same, its warnings are reported again at the new place, and it
//! counts against `max_total_rule_elements` as if it were compiled again, so the limits mean
//! what they meant. A rule that has a problem is compiled at each place, so each reports it in
//! full. Keyed by text, not by value: finding equal values would cost a walk of every rule, and
//! a config repeats a rule by copying it.

use std::cell::RefCell;

use super::diagnostics::Diagnostics;
use super::flags::rule_path;
use crate::hashing::{fast_map, FastMap};
use crate::json_checked::Tree;
use crate::targeting::{Rule, RuleProblem, RuleSet};

/// A compiled rule and what it takes to report it again.
#[derive(Debug)]
struct Compiled {
    rule: Rule,
    warnings: Vec<RuleProblem>,
    /// What it counted against `max_total_rule_elements`.
    elements: usize,
}

/// The document's [`RuleSet`] (its `$evaluators`) and the rules it compiled, by their text.
#[derive(Debug)]
pub(crate) struct DocumentRules<'t> {
    set: RuleSet,
    compiled: RefCell<FastMap<&'t str, Compiled>>,
}

impl<'t> DocumentRules<'t> {
    pub(crate) fn new(set: RuleSet) -> Self {
        Self {
            set,
            compiled: RefCell::new(fast_map(0)),
        }
    }

    /// Compiles the rule found at `path()`, turning its problems and warnings into
    /// diagnostics. The path is built only for a diagnostic.
    pub(crate) fn compile(
        &self,
        rule: &Tree<'t>,
        path: &dyn Fn() -> String,
        diags: &mut Diagnostics,
    ) -> Option<Rule> {
        let text = rule.as_object().map_or("", |members| members.source());
        if let Some(shared) = self.shared(text, path, diags) {
            return Some(shared);
        }
        let before = self.set.elements_counted();
        match self.set.compile_tree(rule) {
            Ok(compiled) => {
                report_warnings(&compiled.warnings, path, diags);
                if !text.is_empty() {
                    let elements = self.set.elements_counted().saturating_sub(before);
                    let shared = Compiled {
                        rule: compiled.rule.clone(),
                        warnings: compiled.warnings,
                        elements,
                    };
                    self.compiled.borrow_mut().insert(text, shared);
                }
                Some(compiled.rule)
            }
            Err(problem) => {
                diags.error(&rule_path(&path(), &problem.path), problem.message);
                None
            }
        }
    }

    /// The rule compiled before from the same text, if any and if it still fits the
    /// document's element total (if it does not, compiling it again reports where it stops).
    fn shared(
        &self,
        text: &str,
        path: &dyn Fn() -> String,
        diags: &mut Diagnostics,
    ) -> Option<Rule> {
        let compiled = self.compiled.borrow();
        let earlier = compiled.get(text)?;
        if !self.set.count_shared(earlier.elements) {
            return None;
        }
        report_warnings(&earlier.warnings, path, diags);
        Some(earlier.rule.clone())
    }
}

fn report_warnings(warnings: &[RuleProblem], path: &dyn Fn() -> String, diags: &mut Diagnostics) {
    for warning in warnings {
        diags.violation(&rule_path(&path(), &warning.path), warning.message.clone());
    }
}
