//! Arbitrary bytes as a JSON Logic rule and its data, straight into the targeting engine:
//! compiling and evaluating must never panic, hang or exhaust memory, whatever the rule (DESIGN
//! §2 limits, §3 "Evaluation never panics").
//!
//! Input: `rule ‖ 0x00 ‖ data [‖ 0x00 ‖ evaluators]`. Missing or unparsable data is `null`;
//! the optional third part is a `$evaluators` object for `$ref`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::targeting::{CompileOptions, Env, Rule};
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
    };
    let Ok(compiled) = Rule::compile(&rule, &options) else {
        return;
    };
    let env = Env {
        flag_key: "fuzz-flag",
        timestamp: 1_795_000_000,
    };
    let first = compiled.rule.evaluate(&data, &env);
    // Rules are pure: the same rule on the same data gives the same result.
    let second = compiled.rule.evaluate(&data, &env);
    assert_eq!(first, second, "a rule evaluated twice gave two results");
});
