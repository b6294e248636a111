//! Arbitrary bytes as a JSON Logic rule and its data, straight into the targeting engine:
//! compiling and evaluating must never panic, hang or exhaust memory, whatever the rule (DESIGN
//! §2 limits, §3 "Evaluation never panics").
//!
//! Input: `rule ‖ 0x00 ‖ data [‖ 0x00 ‖ evaluators]`. Missing or unparsable data is `null`;
//! the optional third part is a `$evaluators` object for `$ref`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::targeting::{Budget, CompileOptions, Env, EvalError, EvalErrorKind, Rule};
use tandem::Limits;

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(3, |&b| b == 0);
    let Some(Ok(rule)) = parts.next().map(serde_json::from_slice::<Value>) else {
        return;
    };
    let data = parts
        .next()
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
        .unwrap_or(Value::Null);
    let evaluators = parts
        .next()
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok());
    let evaluators = match &evaluators {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };

    let limits = Limits::default();
    let options = CompileOptions {
        evaluators,
        max_depth: limits.max_rule_depth,
        max_nodes: limits.max_rule_nodes,
        max_total_elements: limits.max_total_rule_elements,
    };
    let Ok(compiled) = Rule::compile(&rule, &options) else {
        return;
    };
    let env = Env {
        flag_key: "fuzz-flag",
        timestamp: 1_795_000_000,
    };
    let budget = Budget::per_flag();
    let first = compiled.rule.evaluate_within(&data, &env, &budget);
    // Running out of budget empties it; nothing else does.
    if first
        .as_ref()
        .is_err_and(|e| e.kind() == EvalErrorKind::LimitExceeded)
    {
        assert_eq!(budget.remaining(), 0, "a limit error with units left");
    }
    // Rules are pure: the same rule on the same data gives the same result (and costs the
    // same).
    let again = Budget::per_flag();
    let second = compiled.rule.evaluate_within(&data, &env, &again);
    assert_eq!(first, second, "a rule evaluated twice gave two results");
    assert_eq!(
        budget.remaining(),
        again.remaining(),
        "two costs for one evaluation"
    );
    // As a condition, through the fast path: a result or an error as evaluating gives (the
    // two paths spend the budget a little differently, so a rule at the limit may differ).
    let tested = compiled.rule.matches(&data, &env);
    let limited = |e: &EvalError| e.kind() == EvalErrorKind::LimitExceeded;
    if !first.as_ref().is_err_and(limited) && !tested.as_ref().is_err_and(limited) {
        assert_eq!(
            first.is_ok(),
            tested.is_ok(),
            "evaluate and matches disagree"
        );
    }
    let mut paths = Vec::new();
    let _ = compiled.rule.root_paths(&mut paths);
});
