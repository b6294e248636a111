//! Tandem's importers and tree scorer against the real libraries: models trained and predicted
//! by XGBoost and LightGBM (`tools/reference-models/train.py`, run by `.ci/reference-models`),
//! imported with `tandem_cli::import`, scored with `TreeEnsemble` on every row, and every row
//! again through a whole loaded `Bundle` (context → features → scorer).
//!
//! Set `TANDEM_REFERENCE_MODELS` to the folder train.py wrote (relative to the repository root,
//! or absolute); without it the test prints
//! `SKIPPED: ...` and passes, since the libraries are Python wheels that a plain
//! `cargo test` cannot assume.
//!
//! What must hold (DESIGN §5): XGBoost numeric models bit-exact in f32 on every row and output,
//! XGBoost categorical models within one f32 ulp, LightGBM exactly equal in f64.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use serde_json::{json, Value};
use tandem::policy::trees::TreeEnsemble;
use tandem::policy::Bundle;
use tandem::Context;

fn read(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// f32 bits on a line where adjacent floats differ by 1, so ulp distance is a subtraction (in
/// the library's own precision: f32 for XGBoost, f64 for LightGBM).
fn ordered(bits: u32) -> i64 {
    let magnitude = i64::from(bits & 0x7fff_ffff);
    if bits & 0x8000_0000 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// The same for f64 bits.
fn ordered64(bits: u64) -> i128 {
    let magnitude = i128::from(bits & 0x7fff_ffff_ffff_ffff);
    if bits >> 63 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

struct Tally {
    rows: usize,
    /// Rows also scored through a whole loaded bundle.
    through_bundle: usize,
    exact_rows: usize,
    max_ulp: i64,
    first_miss: Option<String>,
}

/// The model imported into a bundle whose features are the row's columns `f0`, `f1`, … read
/// as they are (numeric identity, absent → NaN), loaded as the SDK loads bundles.
fn whole_bundle(name: &str, scorer: &Value, inputs: usize, outputs: usize) -> Bundle {
    let features: Vec<Value> = (0..inputs)
        .map(|j| {
            json!({"name": format!("f{j}"), "source": format!("f{j}"), "kind": "numeric",
                "transform": "identity", "missing": null})
        })
        .collect();
    let actions: Vec<Value> = (0..outputs)
        .map(|a| json!({"key": format!("a{a}"), "value": a}))
        .collect();
    let spec = json!({"id": name, "version": 1, "actions": actions, "features": features,
        "exploration": {"greedy": {}}});
    let bundle = tandem_cli::import::bundle(&spec, std::slice::from_ref(scorer))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    Bundle::from_value(&bundle).unwrap_or_else(|e| panic!("{name}: the bundle does not load: {e}"))
}

/// A context with the row's values as `f0`, `f1`, … (NaN left out); `None` when a value is
/// infinite, which JSON cannot carry.
fn context(row: &Value) -> Option<Context> {
    let mut map = serde_json::Map::new();
    map.insert("targetingKey".into(), json!("unit"));
    for (j, v) in row.as_array().unwrap().iter().enumerate() {
        match v {
            Value::Number(_) => {
                map.insert(format!("f{j}"), v.clone());
            }
            Value::String(_) => return None,
            _ => {}
        }
    }
    Some(Context::from_json(&Value::Object(map).to_string()).unwrap())
}

fn check_model(dir: &Path, entry: &Value) -> (Tally, bool) {
    let name = entry["name"].as_str().unwrap();
    let library = entry["library"].as_str().unwrap();
    let kind = entry["kind"].as_str().unwrap();
    let inputs = entry["features"].as_u64().unwrap() as usize;
    let outputs = entry["outputs"].as_u64().unwrap() as usize;
    let model = read(dir, &format!("{name}.model.json"));
    let scorer = match library {
        "xgboost" => tandem_cli::import::xgboost(&model),
        "lightgbm" => tandem_cli::import::lightgbm(&model),
        other => panic!("{name}: unknown library {other}"),
    }
    .unwrap_or_else(|e| panic!("{name}: import failed: {e}"));
    let ensemble = TreeEnsemble::from_json(&scorer["trees"], inputs, outputs)
        .unwrap_or_else(|p| panic!("{name}: {p}"));
    let bundle = whole_bundle(name, &scorer, inputs, outputs);
    let data = read(dir, &format!("{name}.data.json"));
    let rows = data["rows"].as_array().unwrap();
    let margins = data["margins"].as_array().unwrap();
    assert_eq!(rows.len(), margins.len(), "{name}");

    let mut tally = Tally {
        rows: rows.len(),
        through_bundle: 0,
        exact_rows: 0,
        max_ulp: 0,
        first_miss: None,
    };
    let mut x = vec![0.0; inputs];
    let mut ours = vec![0.0; outputs];
    for (r, (row, expected)) in rows.iter().zip(margins).enumerate() {
        for (slot, v) in x.iter_mut().zip(row.as_array().unwrap()) {
            *slot = match v.as_str() {
                Some("inf") => f64::INFINITY,
                Some("-inf") => f64::NEG_INFINITY,
                _ => v.as_f64().unwrap_or(f64::NAN),
            };
        }
        ensemble.margins(&x, &mut ours);
        let expected = expected.as_array().unwrap();
        assert_eq!(expected.len(), outputs, "{name} row {r}");
        let mut exact = true;
        for (o, (want, got)) in expected.iter().zip(&ours).enumerate() {
            let (same, ulp, want_text) = if library == "xgboost" {
                let want = u32::try_from(want.as_u64().unwrap()).unwrap();
                let got = (*got as f32).to_bits();
                let ulp = (ordered(want) - ordered(got)).abs();
                (want == got, ulp, format!("{:e}", f32::from_bits(want)))
            } else {
                let want = want.as_f64().unwrap();
                let ulp = ordered64(want.to_bits()).abs_diff(ordered64(got.to_bits()));
                let ulp = i64::try_from(ulp).unwrap_or(i64::MAX);
                (want.to_bits() == got.to_bits(), ulp, format!("{want:e}"))
            };
            if !same {
                exact = false;
                tally.max_ulp = tally.max_ulp.max(ulp);
                tally.first_miss.get_or_insert_with(|| {
                    format!("row {r} output {o}: library {want_text}, Tandem {got:e} ({ulp} ulp)")
                });
            }
        }
        tally.exact_rows += usize::from(exact);
        // The same row through the whole bundle (context → features → scorer), as the SDK
        // decides: the margins must be the ensemble's, bit for bit. JSON has no infinity, so
        // those rows stay out.
        if let Some(ctx) = context(row) {
            let through_bundle = bundle.raw_scores(&ctx).unwrap();
            let same = through_bundle
                .iter()
                .zip(&ours)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{name} row {r}: bundle {through_bundle:?}, ensemble {ours:?}"
            );
            tally.through_bundle += 1;
        }
    }
    let pass = match (library, kind) {
        ("xgboost", "categorical") => tally.max_ulp <= 1,
        _ => tally.exact_rows == tally.rows,
    };
    (tally, pass)
}

#[test]
fn imported_models_match_the_libraries() {
    let Some(dir) = std::env::var_os("TANDEM_REFERENCE_MODELS") else {
        println!(
            "SKIPPED: TANDEM_REFERENCE_MODELS is not set; run .ci/reference-models to train \
             the reference models with XGBoost and LightGBM and check against them"
        );
        return;
    };
    // Cargo runs tests from cli/: a relative folder is taken from the repository root, where
    // .ci/reference-models and people run from.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let dir = dir.as_path();
    let manifest = read(dir, "manifest.json");
    println!(
        "reference models from xgboost {}, lightgbm {}",
        manifest["xgboost"], manifest["lightgbm"]
    );
    let mut failures = Vec::new();
    let models = manifest["models"].as_array().unwrap();
    assert!(!models.is_empty(), "the manifest lists no model");
    for entry in models {
        let name = entry["name"].as_str().unwrap();
        let (tally, pass) = check_model(dir, entry);
        println!(
            "{name:<40} {:>5} rows, {:>5} exact, max {} ulp, {:>5} via bundle{}{}",
            tally.rows,
            tally.exact_rows,
            tally.max_ulp,
            tally.through_bundle,
            if pass { "" } else { "  FAILED" },
            tally
                .first_miss
                .map(|m| format!("  first: {m}"))
                .unwrap_or_default(),
        );
        assert!(tally.rows >= 2_000, "{name}: only {} rows", tally.rows);
        if !pass {
            failures.push(name.to_owned());
        }
    }
    assert!(
        failures.is_empty(),
        "not matching the library: {failures:?}"
    );
}

/// `tandem import` end to end on a tiny LightGBM dump (no Python needed): the bundle on stdout
/// carries the spec's fields, the scorer, and the spec's link.
#[test]
fn import_command_prints_a_bundle() {
    let dir = std::env::temp_dir().join(format!("tandem-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = serde_json::json!({"num_tree_per_iteration": 1, "objective": "binary sigmoid:1",
        "tree_info": [{"tree_structure": {"split_feature": 0, "threshold": 0.5,
            "decision_type": "<=", "default_left": true, "missing_type": "NaN",
            "left_child": {"leaf_value": -1.0}, "right_child": {"leaf_value": 1.0}}}]});
    let spec = serde_json::json!({"id": "p", "version": 1, "actions": [{"key": "a", "value": 1}],
        "features": [{"name": "x", "source": "x", "kind": "numeric", "transform": "identity",
            "missing": null}],
        "exploration": {"greedy": {}}, "link": "identity"});
    let (dump_path, spec_path) = (dir.join("dump.json"), dir.join("spec.json"));
    std::fs::write(&dump_path, dump.to_string()).unwrap();
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .arg("import")
        .arg("lightgbm")
        .arg(&dump_path)
        .arg("--spec")
        .arg(&spec_path)
        .output()
        .unwrap();
    // Without the feature the model reads, the bundle would not load: the import refuses it.
    let mut featureless = spec.clone();
    featureless["features"] = serde_json::json!([]);
    std::fs::write(&spec_path, featureless.to_string()).unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["import", "lightgbm"])
        .arg(&dump_path)
        .arg("--spec")
        .arg(&spec_path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("does not load"), "{message}");
    let bundle: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trees = &bundle["scorer"]["trees"];
    assert_eq!(
        (&bundle["id"], &trees["source"], &trees["link"]),
        (
            &serde_json::json!("p"),
            &serde_json::json!("lightgbm"),
            &serde_json::json!("identity")
        )
    );
    assert_eq!(trees["trees"][0]["nodes"][0]["missing"], "nan");
    assert!(bundle.get("link").is_none());
}
