//! Tandem's sklearn importer and linear scorer against scikit-learn itself: linear models
//! fitted, exported (tools/reference-models/export_sklearn.py) and predicted by the library
//! (`tools/reference-models/train.py`, run by `.ci/reference-models`), imported with
//! `tandem_cli::import`, and every row scored through a whole loaded `Bundle` (context →
//! features → linear scorer) with `Bundle::raw_scores`.
//!
//! Set `TANDEM_REFERENCE_MODELS` to the folder train.py wrote (relative to the repository root,
//! or absolute); without it the test prints `SKIPPED: ...` and passes.
//!
//! What must hold: every score within 1e-12 relative of the library's `decision_function`
//! (regressors: `predict`). Both compute `intercept + coef · x` in f64 but BLAS may sum in
//! another order, so equality is up to rounding, not bit for bit (docs/policy-bundles.md).
//! Relative to what: a score near 0 that is the difference of terms near 1 carries their
//! rounding (~1e-16 absolute), however it is summed, so the error is taken relative to the
//! size of the sum's terms, `|intercept| + Σ|coef_j · x_j|` (which is at least |score|; the
//! error bound of any summation order is proportional to it). The plain `|Δ| / |score|` is
//! printed too. A binary classifier's first action scores exactly 0, and the first best action
//! of every row is the class sklearn's `predict` picks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use serde_json::{json, Value};
use tandem::policy::Bundle;
use tandem::Context;

/// The tolerance the issue sets for linear models.
const RELATIVE: f64 = 1e-12;

fn read(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Features `f0`, `f1`, … read as they are, or standardised with a pipeline's StandardScaler
/// (`mean_`, `scale_`), which computes `(v − mean) / scale` as the `standardize` transform does.
fn features(entry: &Value) -> Vec<Value> {
    let inputs = entry["features"].as_u64().unwrap() as usize;
    (0..inputs)
        .map(|j| {
            let transform = match entry.get("standardize") {
                Some(s) => json!({"standardize": {"mean": s["mean"][j], "std": s["scale"][j]}}),
                None => json!("identity"),
            };
            json!({"name": format!("f{j}"), "source": format!("f{j}"), "kind": "numeric",
                "transform": transform, "missing": 0.0})
        })
        .collect()
}

/// A linear bundle loaded, with its weights, biases and the feature vector of a row (the
/// scorer's input, to size each score's terms).
struct Loaded {
    bundle: Bundle,
    weights: Vec<Vec<f64>>,
    bias: Vec<f64>,
    standardize: Option<(Vec<f64>, Vec<f64>)>,
}

impl Loaded {
    fn x(&self, row: &Value) -> Vec<f64> {
        let row = row.as_array().unwrap().iter().map(|v| v.as_f64().unwrap());
        match &self.standardize {
            Some((mean, std)) => row
                .zip(mean.iter().zip(std))
                .map(|(v, (m, s))| (v - m) / s)
                .collect(),
            None => row.collect(),
        }
    }

    /// `|bias[a]| + Σ_j |weights[a][j] · x[j]|` for each action.
    fn magnitudes(&self, x: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&self.bias)
            .map(|(w, b)| b.abs() + w.iter().zip(x).map(|(w, x)| (w * x).abs()).sum::<f64>())
            .collect()
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Imports `scorers` for `actions` actions into a loaded bundle.
fn load(name: &str, entry: &Value, scorers: &[Value], actions: usize) -> Loaded {
    let actions: Vec<Value> = (0..actions)
        .map(|a| json!({"key": format!("a{a}"), "value": a}))
        .collect();
    let spec = json!({"id": name, "version": 1, "actions": actions, "features": features(entry),
        "exploration": {"greedy": {}}});
    let json = tandem_cli::import::bundle(&spec, scorers).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bundle = Bundle::from_value(&json)
        .unwrap_or_else(|e| panic!("{name}: the bundle does not load: {e}"));
    let linear = &json["scorer"]["linear"];
    Loaded {
        bundle,
        weights: linear["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect(),
        bias: floats(&linear["bias"]),
        standardize: entry
            .get("standardize")
            .map(|s| (floats(&s["mean"]), floats(&s["scale"]))),
    }
}

fn context(row: &Value) -> Context {
    let mut map = serde_json::Map::new();
    map.insert("targetingKey".into(), json!("unit"));
    for (j, v) in row.as_array().unwrap().iter().enumerate() {
        map.insert(format!("f{j}"), v.clone());
    }
    Context::from_json(&Value::Object(map).to_string()).unwrap()
}

/// The largest errors over rows and outputs: relative to the size of the terms (what is
/// asserted) and to the score itself, and where the first was.
#[derive(Default)]
struct Worst {
    relative: f64,
    plain: f64,
    at: String,
}

impl Worst {
    fn add(&mut self, want: f64, got: f64, magnitude: f64, at: impl FnOnce() -> String) {
        let error = if want == got { 0.0 } else { (got - want).abs() };
        let relative = if error == 0.0 { 0.0 } else { error / magnitude };
        let plain = if error == 0.0 {
            0.0
        } else {
            error / want.abs()
        };
        // A NaN counts as the worst (and then stays: nothing compares above it).
        if relative.is_nan() || relative > self.relative {
            self.relative = relative;
            self.at = at();
        }
        if plain.is_nan() || plain > self.plain {
            self.plain = plain;
        }
    }
}

/// Scores every row through `bundle` and compares with `expected(row)`; `predicted` is the
/// first best action sklearn's `predict` implies, for classifiers.
fn check(
    name: &str,
    loaded: &Loaded,
    rows: &[Value],
    expected: impl Fn(usize) -> Vec<f64>,
    predicted: Option<&Vec<Value>>,
) -> Worst {
    let mut worst = Worst::default();
    for (r, row) in rows.iter().enumerate() {
        let got = loaded.bundle.raw_scores(&context(row)).unwrap();
        let want = expected(r);
        let magnitudes = loaded.magnitudes(&loaded.x(row));
        assert_eq!(got.len(), want.len(), "{name} row {r}");
        for (o, ((w, g), m)) in want.iter().zip(&got).zip(&magnitudes).enumerate() {
            worst.add(*w, *g, *m, || {
                format!("row {r} output {o}: sklearn {w:e}, Tandem {g:e}, terms {m:e}")
            });
        }
        if let Some(predicted) = predicted {
            let best = got
                .iter()
                .enumerate()
                .fold(0, |b, (a, s)| if *s > got[b] { a } else { b });
            assert_eq!(
                best as u64,
                predicted[r].as_u64().unwrap(),
                "{name} row {r}: the first best action is not sklearn's predict ({got:?})"
            );
        }
    }
    worst
}

fn report(name: &str, rows: usize, worst: &Worst, failures: &mut Vec<String>) {
    let pass = worst.relative <= RELATIVE;
    println!(
        "{name:<38} {rows:>5} rows, max error {:.2e} of the terms, {:.2e} of the score{}{}",
        worst.relative,
        worst.plain,
        if pass { "" } else { "  FAILED" },
        if worst.at.is_empty() {
            String::new()
        } else {
            format!("  at {}", worst.at)
        },
    );
    if !pass {
        failures.push(name.to_owned());
    }
}

#[test]
fn imported_linear_models_match_scikit_learn() {
    let Some(dir) = std::env::var_os("TANDEM_REFERENCE_MODELS") else {
        println!(
            "SKIPPED: TANDEM_REFERENCE_MODELS is not set; run .ci/reference-models to fit the \
             reference models with scikit-learn and check against them"
        );
        return;
    };
    // Cargo runs tests from cli/: a relative folder is taken from the repository root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let dir = dir.as_path();
    let manifest = read(dir, "manifest.json");
    println!(
        "reference linear models from scikit-learn {}",
        manifest["sklearn"]
    );
    let entries = manifest["linear_models"].as_array().unwrap();
    assert!(!entries.is_empty(), "the manifest lists no linear model");
    let mut failures = Vec::new();
    let mut imported = std::collections::HashMap::new();
    for entry in entries {
        let name = entry["name"].as_str().unwrap();
        let export = read(dir, &format!("{name}.sklearn.json"));
        let scorer = tandem_cli::import::sklearn(&export)
            .unwrap_or_else(|e| panic!("{name}: import failed: {e}"));
        let data = read(dir, &format!("{name}.data.json"));
        let rows = data["rows"].as_array().unwrap();
        let outputs = data["outputs"].as_array().unwrap();
        assert_eq!(rows.len(), outputs.len(), "{name}");
        assert!(rows.len() >= 2_000, "{name}: only {} rows", rows.len());
        let width = entry["outputs"].as_u64().unwrap() as usize;
        let binary = scorer["binary"] == json!(true);
        // A binary classifier alone is two actions scored [0, margin]; anything else has one
        // action per output.
        let actions = if binary { 2 } else { width };
        let bundle = load(name, entry, std::slice::from_ref(&scorer), actions);
        let expected = |r: usize| -> Vec<f64> {
            let out: Vec<f64> = outputs[r]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            if binary {
                vec![0.0, out[0]]
            } else {
                out
            }
        };
        let predicted = data.get("predicted").and_then(Value::as_array);
        let worst = check(name, &bundle, rows, expected, predicted);
        report(name, rows.len(), &worst, &mut failures);
        imported.insert(name.to_owned(), (entry.clone(), scorer, data));
    }

    // One single-output model per action: three regressors fitted on the same columns (and
    // scored on the same rows) joined into three actions, and a binary classifier alone as one
    // action scored by its margin.
    for (label, names) in [
        (
            "joined: one regressor per action",
            &["sk_linear_regression", "sk_ridge", "sk_ridge_no_intercept"][..],
        ),
        (
            "joined: binary margin as one action",
            &["sk_logistic_binary"][..],
        ),
    ] {
        let parts: Vec<&(Value, Value, Value)> = names.iter().map(|n| &imported[*n]).collect();
        let scorers: Vec<Value> = parts.iter().map(|p| p.1.clone()).collect();
        let bundle = load(label, &parts[0].0, &scorers, names.len());
        let rows = parts[0].2["rows"].as_array().unwrap();
        for part in &parts {
            assert_eq!(
                part.2["rows"].as_array().unwrap(),
                rows,
                "{label}: rows differ"
            );
        }
        let expected = |r: usize| -> Vec<f64> {
            parts
                .iter()
                .map(|p| p.2["outputs"][r][0].as_f64().unwrap())
                .collect()
        };
        let worst = check(label, &bundle, rows, expected, None);
        report(label, rows.len(), &worst, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "not within {RELATIVE:e} of scikit-learn: {failures:?}"
    );
}
