//! flagd's custom operators: the `fractional` and `sem_ver` vectors of datalogic-rs (mirroring
//! flagd's Go conformance tests), and the operator scenarios of the flagd-testbed evaluator
//! suite run against its flag file. The suites live outside the repository, in
//! `../shared/suites`; each test skips with a message when they are absent.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tandem::targeting::{CompileOptions, Env, Rule};

/// The vectors pass `$flagd.flagKey` inside the data, the way flagd's enriched context holds
/// it; Tandem takes it from [`Env`], which overrides the data, so the harness moves it there.
fn env_of(data: &Value) -> Env<'_> {
    let flagd = data.get("$flagd");
    Env {
        flag_key: flagd
            .and_then(|f| f.get("flagKey"))
            .and_then(Value::as_str)
            .unwrap_or(""),
        timestamp: flagd
            .and_then(|f| f.get("timestamp"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
    }
}

#[test]
fn datalogic_flagd_vectors() {
    let Some(dir) = common::suite("") else { return };
    let mut total = 0;
    let mut failures = Vec::new();
    for file in ["fractional.json", "sem_ver.json"] {
        for case in common::read_json(&dir.join("datalogic-flagd-ops").join(file))
            .as_array()
            .unwrap()
        {
            let Some(case) = case.as_object() else {
                continue;
            }; // a comment
            total += 1;
            let data = case.get("data").unwrap_or(&Value::Null);
            let compiled = Rule::compile(&case["rule"], &CompileOptions::default()).unwrap();
            let actual = compiled
                .rule
                .evaluate(data, &env_of(data))
                .map(|v| v.into_owned());
            if actual.as_ref().ok() != case.get("result") {
                failures.push(format!("{file}: {}: got {actual:?}", case["description"]));
            }
        }
    }
    println!(
        "datalogic flagd vectors: {}/{total} pass",
        total - failures.len()
    );
    assert_eq!(total, 90);
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// A scenario of the flagd-testbed evaluator features: a flag, a context, the expected value.
#[derive(Debug)]
struct Scenario {
    feature: String,
    flag: String,
    fallback: String,
    context: Map<String, Value>,
    expected: String,
}

fn typed(kind: &str, text: &str) -> Value {
    match kind {
        "Integer" => json!(text.parse::<i64>().unwrap()),
        "Float" => json!(text.parse::<f64>().unwrap()),
        "Boolean" => json!(text == "true"),
        _ => json!(text),
    }
}

/// The quoted values of a step line.
fn quoted(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Expands the scenario outlines of one feature file, skipping the examples tagged for other
/// `fractional` generations (Tandem implements `@fractional-v2`).
fn scenarios(feature: &str, text: &str) -> Vec<Scenario> {
    let mut out = Vec::new();
    let mut steps: Vec<String> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut skip_examples = false;
    let mut pending_tags = String::new();
    let flush_plain = |steps: &[String], out: &mut Vec<Scenario>| {
        if !steps.iter().any(|s| s.contains('<'))
            && steps.iter().any(|s| s.contains("resolved details value"))
        {
            out.extend(build(feature, steps, &BTreeMap::new()));
        }
    };
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('@') {
            pending_tags = line.to_owned();
        } else if line.starts_with("Scenario") {
            flush_plain(&steps, &mut out);
            steps.clear();
            header = None;
        } else if line.starts_with("Examples") {
            skip_examples =
                pending_tags.contains("@fractional-v1") || pending_tags.contains("@fractional-v3");
            header = None;
            pending_tags.clear();
        } else if let Some(row) = line.strip_prefix('|') {
            let cells: Vec<String> = row
                .trim_end_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            match &header {
                None => header = Some(cells),
                Some(names) if !skip_examples => {
                    let values = names.iter().cloned().zip(cells).collect();
                    out.extend(build(feature, &steps, &values));
                }
                Some(_) => {}
            }
        } else if line.starts_with("Given")
            || line.starts_with("And")
            || line.starts_with("When")
            || line.starts_with("Then")
        {
            steps.push(line.to_owned());
        }
    }
    flush_plain(&steps, &mut out);
    out
}

fn build(feature: &str, steps: &[String], values: &BTreeMap<String, String>) -> Option<Scenario> {
    let fill = |s: &str| {
        values.iter().fold(s.to_owned(), |acc, (k, v)| {
            acc.replace(&format!("<{k}>"), v)
        })
    };
    let mut flag = None;
    let mut fallback = None;
    let mut context = Map::new();
    let mut expected = None;
    for step in steps.iter().map(|s| fill(s)) {
        let q = quoted(&step);
        if step.contains("-flag with key") {
            flag = q.first().cloned();
            fallback = q.get(1).cloned();
        } else if step.contains("nested property with outer key") {
            context.insert(q[0].clone(), json!({ q[1].clone(): q[2].clone() }));
        } else if step.contains("a targeting key with value") {
            context.insert("targetingKey".into(), json!(q[0]));
        } else if step.contains("a context containing a key") {
            context.insert(q[0].clone(), typed(&q[1], &q[2]));
        } else if step.contains("resolved details value should be") {
            expected = q.first().cloned();
        }
    }
    Some(Scenario {
        feature: feature.to_owned(),
        flag: flag?,
        fallback: fallback?,
        context,
        expected: expected?,
    })
}

/// The operator scenarios of the testbed's `fractional`, `semver` and `string` features,
/// resolved the way flagd does around the rule: null means the default variant, a name
/// that is not a variant means the caller's fallback.
#[test]
fn flagd_testbed_operator_scenarios() {
    let Some(dir) = common::suite("") else { return };
    let root = dir.join("flagd-testbed/evaluator");
    let flags = common::read_json(&root.join("flags/testkit-flags.json"));
    let evaluators = flags["$evaluators"].as_object();
    let mut total = 0;
    let mut failures = Vec::new();
    for feature in ["fractional", "semver", "string"] {
        let text =
            std::fs::read_to_string(root.join(format!("gherkin/{feature}.feature"))).unwrap();
        for scenario in scenarios(feature, &text) {
            total += 1;
            let flag = &flags["flags"][&scenario.flag];
            let options = CompileOptions {
                evaluators,
                ..CompileOptions::default()
            };
            let rule = Rule::compile(&flag["targeting"], &options).unwrap().rule;
            let data = Value::Object(scenario.context.clone());
            let env = Env {
                flag_key: &scenario.flag,
                timestamp: 1_700_000_000,
            };
            let variant = match rule.evaluate(&data, &env).map(|v| v.into_owned()) {
                Ok(Value::Null) => flag["defaultVariant"].as_str().map(str::to_owned),
                Ok(Value::String(name)) => Some(name),
                Ok(Value::Bool(b)) => Some(b.to_string()),
                other => panic!("{scenario:?}: {other:?}"),
            };
            let value = variant
                .and_then(|name| flag["variants"].get(&name).cloned())
                .unwrap_or_else(|| json!(scenario.fallback));
            if value != json!(scenario.expected) {
                failures.push(format!("{}: {scenario:?}: got {value}", scenario.feature));
            }
        }
    }
    println!(
        "flagd-testbed operator scenarios: {}/{total} pass",
        total - failures.len()
    );
    assert!(total >= 60, "only {total} scenarios found");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
