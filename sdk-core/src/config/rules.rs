//! Compiling a document's rules (flag targeting, experiment audiences), each distinct rule once.
//!
//! Flags of one config often share a rule, written out again in each flag: the same segment
//! ("country in the Nordics"), the same percentage split. A rule equal to one compiled before
//! (same JSON, numbers to the bit) shares its compiled node instead of being compiled again:
//! the result is the same, its warnings are reported again at the new place, and it counts
//! against `max_total_rule_elements` as if it were compiled again, so the limits mean what they
//! meant. A rule that has a problem is compiled at each place, so each reports it in full.

use std::cell::RefCell;
use std::hash::Hasher;

use super::diagnostics::Diagnostics;
use super::flags::rule_path;
use crate::hashing::{fast_map, FastMap, KeyHasher};
use crate::json_checked::Tree;
use crate::targeting::{Rule, RuleProblem, RuleSet};

/// A compiled rule and what it takes to report it again.
#[derive(Debug)]
struct Compiled<'t> {
    source: &'t Tree<'t>,
    rule: Rule,
    warnings: Vec<RuleProblem>,
    /// What it counted against `max_total_rule_elements`.
    elements: usize,
}

/// The document's [`RuleSet`] (its `$evaluators`) and the rules it compiled, by content.
#[derive(Debug)]
pub(crate) struct DocumentRules<'t> {
    set: RuleSet,
    /// Compiled rules by [`fingerprint`]; a list, for fingerprints that collide.
    compiled: RefCell<FastMap<u64, Vec<Compiled<'t>>>>,
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
        rule: &'t Tree<'t>,
        path: &dyn Fn() -> String,
        diags: &mut Diagnostics,
    ) -> Option<Rule> {
        let key = fingerprint(rule);
        if let Some(shared) = self.shared(key, rule, path, diags) {
            return Some(shared);
        }
        let before = self.set.elements_counted();
        match self.set.compile_tree(rule) {
            Ok(compiled) => {
                report_warnings(&compiled.warnings, path, diags);
                let elements = self.set.elements_counted().saturating_sub(before);
                self.compiled
                    .borrow_mut()
                    .entry(key)
                    .or_default()
                    .push(Compiled {
                        source: rule,
                        rule: compiled.rule.clone(),
                        warnings: compiled.warnings,
                        elements,
                    });
                Some(compiled.rule)
            }
            Err(problem) => {
                diags.error(&rule_path(&path(), &problem.path), problem.message);
                None
            }
        }
    }

    /// The rule compiled before that `rule` equals, if any and if it still fits the
    /// document's element total (if it does not, compiling it again reports where it stops).
    fn shared(
        &self,
        key: u64,
        rule: &Tree<'_>,
        path: &dyn Fn() -> String,
        diags: &mut Diagnostics,
    ) -> Option<Rule> {
        let compiled = self.compiled.borrow();
        let earlier = compiled.get(&key)?.iter().find(|c| same(c.source, rule))?;
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

/// A hash of the rule's JSON, equal for [`same`] rules. Recursive: a parsed tree is at most
/// `json_checked::MAX_DEPTH` deep.
fn fingerprint(rule: &Tree<'_>) -> u64 {
    fn add(hasher: &mut KeyHasher, tree: &Tree<'_>) {
        match tree {
            Tree::Null => hasher.write_u8(0),
            Tree::Bool(b) => hasher.write_u8(1 + u8::from(*b)),
            Tree::Number(n) => {
                hasher.write_u8(3);
                hasher.write_u64(number_bits(n).1);
            }
            Tree::String(text) => {
                hasher.write_u8(4);
                hasher.write(text.as_bytes());
            }
            Tree::Array(items) => {
                hasher.write_u8(5);
                hasher.write_usize(items.len());
                for item in *items {
                    add(hasher, item);
                }
            }
            Tree::Object(members) => {
                hasher.write_u8(6);
                hasher.write_usize(members.len());
                for (key, value) in members {
                    hasher.write(key.as_bytes());
                    add(hasher, value);
                }
            }
        }
    }
    let mut hasher = KeyHasher::default();
    add(&mut hasher, rule);
    hasher.finish()
}

/// Whether two rules are the same JSON: same members in the same order, and numbers of the
/// same kind and bits (`0.0` and `-0.0` divide differently).
fn same(a: &Tree<'_>, b: &Tree<'_>) -> bool {
    match (a, b) {
        (Tree::Null, Tree::Null) => true,
        (Tree::Bool(x), Tree::Bool(y)) => x == y,
        (Tree::Number(x), Tree::Number(y)) => number_bits(x) == number_bits(y),
        (Tree::String(x), Tree::String(y)) => x == y,
        (Tree::Array(x), Tree::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| same(x, y))
        }
        (Tree::Object(x), Tree::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => false,
    }
}

/// A number's kind (unsigned, negative, float) and bits.
fn number_bits(n: &serde_json::Number) -> (u8, u64) {
    if let Some(u) = n.as_u64() {
        (0, u)
    } else if let Some(i) = n.as_i64() {
        (1, i.cast_unsigned())
    } else {
        (2, n.as_f64().map_or(0, f64::to_bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_checked::{parse_reporting, Bump, MAX_DEPTH};

    fn both(a: &str, b: &str) -> (bool, bool) {
        let arena = Bump::new();
        let parse = |text| parse_reporting(text, &arena, MAX_DEPTH, &mut |_, _| {}).unwrap();
        let (a, b) = (parse(a), parse(b));
        (same(&a, &b), fingerprint(&a) == fingerprint(&b))
    }

    #[test]
    fn equal_rules_are_the_same_with_the_same_fingerprint() {
        let rule = r#"{"if": [{"in": [{"var": "country"}, ["SE", "NO"]]}, "on", null, 1.5, -2]}"#;
        assert_eq!(both(rule, &format!(" {rule} ")), (true, true));
    }

    #[test]
    fn rules_differ_by_member_order_and_by_number_kind_and_bits() {
        for (a, b) in [
            (r#"{"a": 1, "b": 2}"#, r#"{"b": 2, "a": 1}"#),
            ("[0.0]", "[-0.0]"),
            ("[1]", "[1.0]"),
            ("[-1]", "[18446744073709551615]"),
            (r#"["1"]"#, "[1]"),
            ("[[1], 2]", "[[1, 2]]"),
            (r#"{"ab": "c"}"#, r#"{"a": "bc"}"#),
            ("[true]", "[false]"),
            ("[null]", "[[]]"),
        ] {
            assert!(!both(a, b).0, "{a} and {b}");
        }
    }
}
