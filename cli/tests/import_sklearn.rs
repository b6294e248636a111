//! `tandem import sklearn` end to end, through the built binary, on the checked-in exports in
//! `tests/data/` (see its README): the printed bundle loads, and its scores are the
//! `decision_function` scikit-learn computed for the same contexts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use tandem::policy::Bundle;
use tandem::Context;

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(file)
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `tandem import sklearn MODELS... --spec SPEC`, with `spec` written to a fresh file.
fn import(models: &[&str], spec: &Value) -> Output {
    let dir = std::env::temp_dir().join(format!(
        "tandem-import-sklearn-{}-{}",
        std::process::id(),
        SPECS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["import", "sklearn"])
        .args(models.iter().map(|m| data(m)))
        .arg("--spec")
        .arg(&spec_path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    output
}

/// Tests run in parallel: each import gets its own folder.
static SPECS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn bundle_of(output: &Output) -> (Value, Bundle) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let bundle = Bundle::from_value(&json).unwrap();
    (json, bundle)
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "the import should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each context's raw scores against `expected` (one row per context), within 1e-12 relative:
/// the same f64 sum as sklearn's, perhaps in another order.
fn assert_scores(bundle: &Bundle, expected: impl Fn(usize) -> Vec<f64>) {
    let want = read(&data("sklearn_expected.json"));
    for (i, ctx) in want["contexts"].as_array().unwrap().iter().enumerate() {
        let got = bundle
            .raw_scores(&Context::from_json(&ctx.to_string()).unwrap())
            .unwrap();
        let expected = expected(i);
        assert_eq!(got.len(), expected.len());
        for (g, w) in got.iter().zip(&expected) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs(),
                "context {i}: Tandem {got:?}, sklearn {expected:?}"
            );
        }
    }
}

#[test]
fn a_multinomial_model_scores_one_action_per_class() {
    let spec = read(&data("sklearn_spec.json"));
    let (json, bundle) = bundle_of(&import(&["sklearn_multinomial.json"], &spec));
    let export = read(&data("sklearn_multinomial.json"));
    // The weights are sklearn's numbers exactly, in classes_ order (= the spec's actions).
    assert_eq!(json["scorer"]["linear"]["weights"], export["coef"]);
    assert_eq!(json["scorer"]["linear"]["bias"], export["intercept"]);
    assert_eq!(json["id"], "plans");
    let want = read(&data("sklearn_expected.json"));
    let keys: Vec<&Value> = json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["key"])
        .collect();
    let classes: Vec<&Value> = want["multinomial_classes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(keys, classes);
    assert_scores(&bundle, |i| {
        want["multinomial"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    });
}

#[test]
fn a_binary_classifier_scores_two_actions_zero_and_margin() {
    let mut spec = read(&data("sklearn_spec.json"));
    spec["actions"] = json!([{"key": "no", "value": false}, {"key": "yes", "value": true}]);
    let (_, bundle) = bundle_of(&import(&["sklearn_binary.json"], &spec));
    let want = read(&data("sklearn_expected.json"));
    assert_scores(&bundle, |i| vec![0.0, want["binary"][i].as_f64().unwrap()]);

    // Or one single-output model per action: here the same margin twice.
    let (_, twice) = bundle_of(&import(
        &["sklearn_binary.json", "sklearn_binary.json"],
        &spec,
    ));
    assert_scores(&twice, |i| vec![want["binary"][i].as_f64().unwrap(); 2]);
}

#[test]
fn mismatches_are_refused_with_a_reason() {
    let spec = read(&data("sklearn_spec.json"));
    // One margin for three actions.
    let message = stderr(&import(&["sklearn_binary.json"], &spec));
    assert!(
        message.contains("1 outputs but the spec has 3 actions"),
        "{message}"
    );

    // Features that make 3 columns for a model fitted on 4.
    let mut short = spec.clone();
    short["features"].as_array_mut().unwrap().pop();
    short["features"].as_array_mut().unwrap().push(
        json!({"name": "pro", "source": "pro", "kind": "boolean", "transform": "identity",
            "missing": false}),
    );
    let message = stderr(&import(&["sklearn_multinomial.json"], &short));
    assert!(
        message.contains("reads 4 features but spec.features make 3 columns"),
        "{message}"
    );

    // The linear scorer has no link to set.
    let mut linked = spec;
    linked["link"] = json!("softmax");
    let message = stderr(&import(&["sklearn_multinomial.json"], &linked));
    assert!(message.contains("spec.link"), "{message}");
}
