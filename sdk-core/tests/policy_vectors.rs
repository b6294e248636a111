//! The core against `testdata/policies.json` (DESIGN §5): every case, the file's coverage (so a
//! thinned file fails), and the file against its generator (so behaviour cannot drift from the
//! checked-in vectors that every binding asserts).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;
use tandem::policy::{canonical_digest, Bundle, DecisionError};
use tandem::Context;

/// The generator, compiled in: the drift test calls the same `render` as the example.
#[allow(dead_code, reason = "the example's `main` is not used here")]
#[path = "../examples/generate_policy_vectors.rs"]
mod generator;

const REGENERATE: &str =
    "cargo run -p tandem --example generate_policy_vectors > testdata/policies.json";

fn text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/policies.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn vectors() -> Value {
    // The workspace enables serde_json's `float_roundtrip`: every double reads back exactly.
    serde_json::from_str(&text()).expect("testdata/policies.json is JSON")
}

fn array<'a>(value: &'a Value, field: &str) -> &'a Vec<Value> {
    value[field]
        .as_array()
        .unwrap_or_else(|| panic!("`{field}` is an array"))
}

/// Doubles of a case field; `null` stands for NaN.
fn floats(case: &Value, field: &str) -> Vec<f64> {
    array(case, field)
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// Bit equality (NaN equal to NaN): the core reproduces its own numbers exactly.
fn same(actual: &[f64], expected: &[f64]) -> bool {
    actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|(a, e)| a.to_bits() == e.to_bits() || (a.is_nan() && e.is_nan()))
}

fn bundles(vectors: &Value) -> Vec<(String, Bundle)> {
    vectors["bundles"]
        .as_object()
        .expect("`bundles` is an object")
        .iter()
        .map(|(name, bundle)| {
            let loaded = Bundle::from_value(bundle).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name.clone(), loaded)
        })
        .collect()
}

#[test]
fn every_case_matches_the_core() {
    let vectors = vectors();
    let bundles = bundles(&vectors);
    let find = |name: &str| &bundles.iter().find(|(n, _)| n == name).unwrap().1;
    let mut failures = Vec::new();
    for (index, case) in array(&vectors, "cases").iter().enumerate() {
        let bundle = find(case["bundle"].as_str().unwrap());
        let ctx = Context::from_value(case["context"].clone()).unwrap();
        let eligible: Option<Vec<&str>> = case["eligible"]
            .as_array()
            .map(|keys| keys.iter().map(|k| k.as_str().unwrap()).collect());
        let key = case["decision_key"].as_str().unwrap();
        let d = bundle.decide(&ctx, key, eligible.as_deref()).unwrap();
        let checks = [
            ("unit", d.unit == case["unit"].as_str().unwrap()),
            (
                "features",
                same(&bundle.features(&ctx), &floats(case, "features")),
            ),
            (
                "raw_scores",
                same(
                    &bundle.raw_scores(&ctx).unwrap(),
                    &floats(case, "raw_scores"),
                ),
            ),
            ("scores", same(&d.scores, &floats(case, "scores"))),
            (
                "probabilities",
                same(&d.probabilities, &floats(case, "probabilities")),
            ),
            ("draw", same(&[d.draw], &[case["draw"].as_f64().unwrap()])),
            ("action", d.action == case["action"].as_str().unwrap()),
            (
                "action_index",
                Some(d.action_index as u64) == case["action_index"].as_u64(),
            ),
            (
                "propensity",
                same(&[d.propensity], &[case["propensity"].as_f64().unwrap()]),
            ),
            (
                "optimality_gap",
                same(
                    &[d.optimality_gap],
                    &[case["optimality_gap"].as_f64().unwrap()],
                ),
            ),
        ];
        for (field, ok) in checks {
            if !ok {
                failures.push(format!(
                    "case {index} ({}): `{field}` differs",
                    case["bundle"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unit_errors_match_the_core() {
    let vectors = vectors();
    let bundles = bundles(&vectors);
    for entry in array(&vectors, "unit_errors") {
        let name = entry["bundle"].as_str().unwrap();
        let bundle = &bundles.iter().find(|(n, _)| n == name).unwrap().1;
        let ctx = Context::from_value(entry["context"].clone()).unwrap();
        let expected = match entry["error"].as_str() {
            Some("TARGETING_KEY_MISSING") => DecisionError::UnitMissing,
            Some("INVALID_CONTEXT") => DecisionError::UnitInvalid,
            other => panic!("unknown error {other:?}"),
        };
        assert_eq!(
            bundle.decide(&ctx, "", None).unwrap_err(),
            expected,
            "{entry}"
        );
    }
}

#[test]
fn the_file_covers_the_spec() {
    let vectors = vectors();
    for header in ["description", "generator", "note", "tolerance", "fields"] {
        assert!(
            vectors.get(header).is_some(),
            "the `{header}` section is missing"
        );
    }
    let raw = vectors["bundles"].as_object().unwrap();
    let text = serde_json::to_string(raw).unwrap();
    let mentions = |what: &str| text.contains(what);
    for what in [
        "\"linear\"",
        "\"mlp\"",
        "\"trees\"",
        "\"greedy\"",
        "\"epsilon_greedy\"",
        "\"softmax\"",
        "\"igw\"",
        "\"identity\"",
        "\"standardize\"",
        "\"min_max\"",
        "\"log1p\"",
        "\"clip\"",
        "\"bucketize\"",
        "\"one_hot\"",
        "\"hash\"",
        "\"indicator\"",
        "\"missing\":null",
        "\"relu\"",
        "\"tanh\"",
        "\"sigmoid\"",
        "\"boolean\"",
        "\"categorical\"",
    ] {
        assert!(mentions(what), "no bundle uses {what}");
    }
    for (name, bundle) in raw {
        // Sealed and self-checked: the digest is the canonical one, and vectors are present.
        assert_eq!(
            bundle["digest"].as_str(),
            Some(canonical_digest(bundle).as_str()),
            "{name}"
        );
        assert!(
            !array(bundle, "vectors").is_empty(),
            "{name} has no self-check vectors"
        );
    }
    assert!(raw
        .values()
        .any(|b| b.get("unit").is_some() && b.get("salt").is_some()));

    let cases = array(&vectors, "cases");
    assert!(cases.len() >= 100, "only {} cases", cases.len());
    let any = |what: &str, test: &dyn Fn(&Value) -> bool| {
        assert!(cases.iter().any(test), "no case with {what}");
    };
    any("an eligible restriction", &|c| c["eligible"].is_array());
    any("a decision key", &|c| c["decision_key"] != "");
    any("an integer unit", &|c| {
        c["context"]["targetingKey"].is_number()
    });
    any("a missing feature routed as NaN", &|c| {
        array(c, "features").iter().any(Value::is_null)
    });
    any("a chosen action that is not the best", &|c| {
        c["optimality_gap"].as_f64() > Some(0.0)
    });
    let chosen: HashSet<(&str, &str)> = cases
        .iter()
        .map(|c| (c["bundle"].as_str().unwrap(), c["action"].as_str().unwrap()))
        .collect();
    for (name, bundle) in raw {
        if bundle["exploration"] != "greedy" {
            let keys = array(bundle, "actions")
                .iter()
                .map(|a| a["key"].as_str().unwrap());
            let seen = keys
                .filter(|k| chosen.contains(&(name.as_str(), k)))
                .count();
            assert!(
                seen >= 2,
                "{name}: cases choose only {seen} distinct actions"
            );
        }
    }
    let errors: HashSet<&str> = array(&vectors, "unit_errors")
        .iter()
        .map(|e| e["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        HashSet::from(["TARGETING_KEY_MISSING", "INVALID_CONTEXT"])
    );
}

#[test]
fn the_checked_in_file_is_what_the_generator_writes() {
    let generated = generator::render().expect("the generator runs");
    let checked_in = text();
    if generated != checked_in {
        let first = generated
            .lines()
            .zip(checked_in.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "the files differ in length".to_owned(),
                |line| format!("first difference at line {}", line + 1),
            );
        panic!("testdata/policies.json is out of date ({first}); regenerate it with `{REGENERATE}` and review the diff");
    }
}
