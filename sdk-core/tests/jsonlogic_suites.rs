//! JSON Logic conformance: jsonlogic.com's `tests.json`, the cross-engine compat tables, and
//! flagd's targeting-schema fixtures. The suites live outside the repository, in
//! `../shared/suites` next to the workspace; each test skips with a message when they are
//! absent.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use tandem::targeting::{CompileOptions, Env, EvalError, Rule};

const ENV: Env<'static> = Env {
    flag_key: "suite-flag",
    timestamp: 1_700_000_000,
};

/// Generous limits: the suites test semantics, not limits.
const OPTIONS: CompileOptions<'static> = CompileOptions {
    evaluators: None,
    max_depth: 128,
    max_nodes: 100_000,
    max_total_elements: 1_000_000,
};

/// Structural equality where numbers compare by value (2 == 2.0), with a relative tolerance
/// for cases the compat tables mark `decimal`.
fn same(a: &Value, b: &Value, decimal: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (decimal && (x - y).abs() <= 1e-12 * x.abs().max(y.abs()))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, decimal))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, decimal)))
        }
        _ => a == b,
    }
}

fn run(rule: &Value, data: &Value) -> Result<Result<Value, EvalError>, String> {
    let compiled = Rule::compile(rule, &OPTIONS).map_err(|p| format!("compile: {p}"))?;
    Ok(compiled.rule.evaluate(data, &ENV).map(|v| v.into_owned()))
}

#[test]
fn jsonlogic_reference_tests_json() {
    let Some(dir) = common::suite("") else { return };
    let cases = common::read_json(&dir.join("jsonlogic-tests-json/tests.json"));
    let mut total = 0;
    let mut failures = Vec::new();
    for case in cases.as_array().unwrap() {
        let Some([rule, data, expected]) = case.as_array().map(Vec::as_slice) else {
            continue; // a comment
        };
        total += 1;
        match run(rule, data) {
            Ok(Ok(actual)) if same(&actual, expected, false) => {}
            other => failures.push(format!("{case}: got {other:?}")),
        }
    }
    println!("tests.json: {}/{total} pass", total - failures.len());
    assert_eq!(total, 275, "tests.json should hold 275 cases");
    assert!(
        failures.is_empty(),
        "tests.json failures:\n{}",
        failures.join("\n")
    );
}

/// Runs one compat case; `Ok` when it passes, else what happened.
fn compat_case(case: &Map<String, Value>) -> Result<(), String> {
    let rule = &case["rule"];
    let data = case.get("data").unwrap_or(&Value::Null);
    let decimal = case
        .get("decimal")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let outcome = run(rule, data)?;
    match (case.get("result"), case.get("error"), outcome) {
        (Some(expected), _, Ok(actual)) if same(&actual, expected, decimal) => Ok(()),
        (_, Some(expected), Err(error))
            if expected.get("type").and_then(Value::as_str) == error.error_type() =>
        {
            Ok(())
        }
        (_, _, outcome) => Err(format!("got {outcome:?}")),
    }
}

/// The cases `JSONLOGIC_DIVERGENCES.md` lists: rows `| file | description | reason |`.
fn listed_divergences() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/JSONLOGIC_DIVERGENCES.md"
    ))
    .unwrap();
    let mut listed = BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .replace("\\|", "\u{0}")
            .split('|')
            .map(|c| c.trim().replace('\u{0}', "|"))
            .collect();
        let (Some(file), Some(description)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let file = file.trim_matches('`');
        if file.ends_with(".json") {
            listed.insert((file.to_owned(), description.trim_matches('`').to_owned()));
        }
    }
    listed
}

#[test]
fn jsonlogic_compat_tables() {
    let Some(dir) = common::suite("") else { return };
    let root = dir.join("jsonlogic-compat-tables/suites");
    let index = common::read_json(&root.join("index.json"));
    let mut total = 0;
    let mut failing = BTreeMap::new();
    for file in index.as_array().unwrap() {
        let file = file.as_str().unwrap();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for case in common::read_json(&root.join(file)).as_array().unwrap() {
            let Some(case) = case.as_object() else {
                continue;
            }; // a comment
            total += 1;
            // Descriptions repeat within a few files; later repeats get " (#n)".
            let description = case["description"].as_str().unwrap_or_default().to_owned();
            let n = seen.entry(description.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 {
                description
            } else {
                format!("{description} (#{n})")
            };
            if let Err(why) = compat_case(case) {
                failing.insert((file.to_owned(), key), why);
            }
        }
    }
    let passed = total - failing.len();
    println!("compat tables: {passed}/{total} pass");
    assert_eq!(total, 1138, "the compat tables should hold 1138 cases");
    let listed = listed_divergences();
    let actual: BTreeSet<_> = failing.keys().cloned().collect();
    let unexpected: Vec<_> = failing
        .iter()
        .filter(|(k, _)| !listed.contains(*k))
        .collect();
    let now_passing: Vec<_> = listed.difference(&actual).collect();
    assert!(
        unexpected.is_empty() && now_passing.is_empty(),
        "JSONLOGIC_DIVERGENCES.md is out of date.\nFailing but not listed:\n{unexpected:#?}\nListed but passing:\n{now_passing:#?}"
    );
    assert!(passed >= 1100, "only {passed} compat cases pass");
}

#[test]
fn flagd_targeting_schema_fixtures() {
    let Some(dir) = common::suite("") else { return };
    let root = dir.join("flagd-schemas/test/targeting");
    // `if-shorthand.json` refers to an evaluator "some-ref" that the fixture does not define.
    let evaluators = json!({"some-ref": true});
    let options = CompileOptions {
        evaluators: evaluators.as_object(),
        ..CompileOptions::default()
    };
    let mut checked = 0;
    for (folder, positive) in [("positive", true), ("negative", false)] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let rule = common::read_json(&file);
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let outcome = Rule::compile(&rule, &options);
            match (positive, &outcome) {
                (true, Ok(compiled)) => {
                    assert!(
                        compiled.warnings.is_empty(),
                        "{folder}/{name} warned: {:?}",
                        compiled.warnings
                    );
                }
                (true, Err(problem)) => panic!("{folder}/{name} failed to compile: {problem}"),
                (false, Ok(compiled)) => {
                    assert!(
                        !compiled.warnings.is_empty(),
                        "{folder}/{name} compiled without a warning"
                    );
                    println!("{folder}/{name}: {:?}", compiled.warnings);
                }
                (false, Err(problem)) => println!("{folder}/{name}: error {problem}"),
            }
            checked += 1;
        }
    }
    println!("flagd targeting schema fixtures: {checked} checked");
    assert_eq!(checked, 16);
}
