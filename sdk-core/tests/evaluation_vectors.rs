//! The core against `testdata/evaluation.json` (the host API vectors every binding replays):
//! every request, the file's coverage (so a thinned file fails), and the file against its
//! generator (so the core's behaviour cannot drift from what the bindings assert).
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

/// The generator, compiled in: the test replays with the same helpers the bindings mirror.
#[allow(dead_code, reason = "the example's `main` is not used here")]
#[path = "../examples/generate_evaluation_vectors.rs"]
mod generator;

const REGENERATE: &str =
    "cargo run -p tandem --example generate_evaluation_vectors > testdata/evaluation.json";

fn text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/evaluation.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn vectors() -> Value {
    serde_json::from_str(&text()).unwrap()
}

#[test]
fn the_core_replays_every_request() {
    let vectors = vectors();
    let mut requests = 0;
    for case in vectors["cases"].as_array().unwrap() {
        let client = generator::client_for(&case["config"]).unwrap();
        for (i, request) in case["requests"].as_array().unwrap().iter().enumerate() {
            let (details, events) = generator::replay(&client, request).unwrap();
            let name = format!("{} request {i} ({})", case["name"], request["flag"]);
            assert_eq!(details, request["expected"], "{name}");
            assert_eq!(events, request["events"], "{name}");
            requests += 1;
        }
    }
    assert!(requests >= 90, "{requests} requests");
}

#[test]
fn the_file_covers_every_reason_error_and_event() {
    let vectors = vectors();
    let requests: Vec<&Value> = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["requests"].as_array().unwrap())
        .collect();
    let seen = |f: &dyn Fn(&Value) -> Option<String>| -> HashSet<String> {
        requests.iter().filter_map(|r| f(r)).collect()
    };
    let reasons = seen(&|r| r["expected"]["reason"].as_str().map(str::to_owned));
    for reason in [
        "STATIC",
        "DEFAULT",
        "TARGETING_MATCH",
        "SPLIT",
        "DISABLED",
        "ERROR",
    ] {
        assert!(reasons.contains(reason), "no {reason}");
    }
    let codes = seen(&|r| r["expected"]["errorCode"].as_str().map(str::to_owned));
    for code in [
        "PROVIDER_NOT_READY",
        "FLAG_NOT_FOUND",
        "PARSE_ERROR",
        "TYPE_MISMATCH",
        "TARGETING_KEY_MISSING",
        "GENERAL",
    ] {
        assert!(codes.contains(code), "no {code}");
    }
    let skipped = seen(&|r| {
        r["expected"]["experiment"]["skipped"]
            .as_str()
            .map(str::to_owned)
    });
    assert_eq!(
        skipped,
        HashSet::from(["TARGETING_KEY_MISSING".into(), "INVALID_CONTEXT".into()])
    );
    assert!(!seen(&|r| r["expected"]["experiment"]["holdout"]
        .as_str()
        .map(str::to_owned))
    .is_empty());
    let events: Vec<&Value> = requests
        .iter()
        .flat_map(|r| r["events"].as_array().unwrap())
        .collect();
    let kinds: HashSet<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, HashSet::from(["exposure", "decision"]));
    // A failing arm's exposure, and a decision with options.
    assert!(events.iter().any(|e| e["errorCode"] == "TYPE_MISMATCH"));
    assert!(events.iter().any(|e| e["decisionKey"] == "request-7"));
    // A repeated unit's exposure is deduplicated: some SPLIT request queues nothing.
    assert!(requests
        .iter()
        .any(|r| r["expected"]["reason"] == "SPLIT" && r["events"] == Value::Array(vec![])));
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
        panic!("testdata/evaluation.json is out of date ({first}); regenerate it with `{REGENERATE}` and review the diff");
    }
}
