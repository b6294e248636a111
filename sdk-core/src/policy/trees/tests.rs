//! Semantics of both libraries on hand-built trees, and hostile node graphs.

use serde_json::{json, Value};

use super::{Link, Source, TreeEnsemble, TreeProblem};

/// One stump: `split` at the root, leaf -1 on the left and +1 on the right.
fn stump(source: &str, split: Value) -> TreeEnsemble {
    let mut split = split;
    if let Some(map) = split.as_object_mut() {
        map.insert("left".into(), json!(1));
        map.insert("right".into(), json!(2));
        map.entry("default_left").or_insert(json!(false));
    }
    let spec = json!({"source": source, "base_score": [0.0], "link": "identity",
        "trees": [{"output": 0, "nodes": [split, {"leaf": -1.0}, {"leaf": 1.0}]}]});
    TreeEnsemble::from_json(&spec, 2, 1).unwrap()
}

/// -1 when `x` goes left at the stump's root, +1 when it goes right.
fn side(model: &TreeEnsemble, x: f64) -> f64 {
    let mut out = [f64::NAN];
    model.margins(&[x, 0.0], &mut out);
    out[0]
}

fn problem(spec: Value, inputs: usize, outputs: usize) -> TreeProblem {
    TreeEnsemble::from_json(&spec, inputs, outputs).unwrap_err()
}

fn one_tree(nodes: Value) -> Value {
    json!({"source": "lightgbm", "base_score": [0.0], "link": "identity",
        "trees": [{"output": 0, "nodes": nodes}]})
}

#[test]
fn xgboost_splits_strictly_and_lightgbm_inclusively() {
    let xgb = stump("xgboost", json!({"feature": 0, "threshold": 0.5}));
    let lgb = stump("lightgbm", json!({"feature": 0, "threshold": 0.5}));
    assert_eq!(side(&xgb, 0.5), 1.0, "xgboost: left iff x < threshold");
    assert_eq!(side(&lgb, 0.5), -1.0, "lightgbm: left iff x <= threshold");
    assert_eq!(side(&xgb, 0.25), -1.0);
    assert_eq!(side(&lgb, 0.75), 1.0);
}

#[test]
fn xgboost_compares_in_f32() {
    // 0.1 as f32 is 0.100000001490116…; an f64 comparison would send x = 0.1 left, but XGBoost
    // casts x to f32 first, where it equals the threshold and so is not less than it.
    let t = f64::from(0.1f32);
    assert!(0.1 < t);
    let xgb = stump("xgboost", json!({"feature": 0, "threshold": t}));
    assert_eq!(side(&xgb, 0.1), 1.0);
    // Thresholds are used as f32 too: 0.1 (f64) rounds to the same f32.
    let rounded = stump("xgboost", json!({"feature": 0, "threshold": 0.1}));
    assert_eq!(side(&rounded, f64::from(0.1f32)), 1.0);
}

#[test]
fn xgboost_sums_in_f32_from_the_base_margin() {
    let spec = json!({"source": "xgboost", "base_score": [1.0], "link": "identity", "trees": [
        {"output": 0, "nodes": [{"leaf": 1e-8}]},
        {"output": 0, "nodes": [{"leaf": 0.1}]}]});
    let model = TreeEnsemble::from_json(&spec, 1, 1).unwrap();
    let mut out = [0.0];
    model.margins(&[0.0], &mut out);
    // In f32, 1 + 1e-8 is 1; then + 0.1f32.
    assert_eq!(out[0], f64::from(1.0f32 + 0.1f32));
    let lgb = TreeEnsemble::from_json(
        &json!({"source": "lightgbm", "base_score": [1.0],
        "link": "identity", "trees": spec["trees"]}),
        1,
        1,
    )
    .unwrap();
    lgb.margins(&[0.0], &mut out);
    assert_eq!(out[0], 1.0 + 1e-8 + 0.1);
}

#[test]
fn xgboost_nan_follows_default_left() {
    let left = stump(
        "xgboost",
        json!({"feature": 0, "threshold": 0.5, "default_left": true}),
    );
    let right = stump("xgboost", json!({"feature": 0, "threshold": 0.5}));
    assert_eq!(side(&left, f64::NAN), -1.0);
    assert_eq!(side(&right, f64::NAN), 1.0);
    // A feature past the end of x is missing too.
    let mut out = [0.0];
    left.margins(&[], &mut out);
    assert_eq!(out[0], -1.0);
}

#[test]
fn lightgbm_missing_types() {
    let split = |missing: &str, default_left: bool| {
        stump(
            "lightgbm",
            json!({"feature": 0, "threshold": -0.5, "missing": missing,
                "default_left": default_left}),
        )
    };
    // none: NaN becomes 0, which is compared (0 <= -0.5 is false: right), default_left unused.
    assert_eq!(side(&split("none", true), f64::NAN), 1.0);
    assert_eq!(side(&split("none", true), 0.0), 1.0);
    // nan: NaN takes the default; 0 is compared.
    assert_eq!(side(&split("nan", true), f64::NAN), -1.0);
    assert_eq!(side(&split("nan", true), 0.0), 1.0);
    // zero: 0, tiny values and NaN (which becomes 0) take the default.
    let zero = split("zero", true);
    for x in [0.0, -0.0, 1e-36, -1e-35, f64::from(1e-35f32), f64::NAN] {
        assert_eq!(side(&zero, x), -1.0, "{x:e}");
    }
    // Just above the f32 1e-35 that LightGBM uses, a value is a value again.
    assert_eq!(side(&zero, 1.000_000_02e-35), 1.0);
    assert_eq!(side(&zero, -1.0), -1.0);
}

#[test]
fn lightgbm_reads_tiny_inputs_as_zero() {
    // Its predictor drops |x| <= 1e-35f as zeros: with a threshold of 0, 5e-36 goes left
    // (0 <= 0) although 5e-36 <= 0 is false.
    let model = stump("lightgbm", json!({"feature": 0, "threshold": 0.0}));
    assert_eq!(side(&model, 5e-36), -1.0);
    assert_eq!(side(&model, 2e-35), 1.0);
}

#[test]
fn lightgbm_thresholds_of_1e300_are_infinite() {
    // The dump writes LightGBM's +inf bin edge (a NaN-against-the-rest split) as 1e300.
    let up = stump(
        "lightgbm",
        json!({"feature": 0, "threshold": 1e300, "missing": "nan"}),
    );
    assert_eq!(side(&up, 1e301), -1.0);
    assert_eq!(side(&up, f64::INFINITY), -1.0);
    assert_eq!(side(&up, f64::NAN), 1.0);
    let down = stump("lightgbm", json!({"feature": 0, "threshold": -1e300}));
    assert_eq!(side(&down, -1e301), 1.0);
    assert_eq!(side(&down, f64::NEG_INFINITY), -1.0);
    // XGBoost has no such convention.
    let xgb = stump("xgboost", json!({"feature": 0, "threshold": 1e300}));
    assert_eq!(
        side(&xgb, 1e301),
        1.0,
        "both are +inf in f32, and inf < inf is false"
    );
}

#[test]
fn xgboost_categories_in_the_set_go_right() {
    let model = stump(
        "xgboost",
        json!({"feature": 0, "categories": [0, 2, 7], "default_left": true}),
    );
    for (x, expected) in [
        (0.0, 1.0),
        (-0.0, 1.0),
        (2.0, 1.0),
        (7.0, 1.0),
        (1.0, -1.0),
        (8.0, -1.0),
        // Valid values are truncated: 2.5 is category 2, 7.9 is 7.
        (2.5, 1.0),
        (7.9, 1.0),
        // Negative values (even -0.5, which would truncate to 0) are invalid: left.
        (-0.5, -1.0),
        (-2.0, -1.0),
        (16_777_216.0, -1.0),
        (1e30, -1.0),
        // NaN takes default_left like any missing value.
        (f64::NAN, -1.0),
    ] {
        assert_eq!(side(&model, x), expected, "x = {x}");
    }
}

#[test]
fn lightgbm_categories_in_the_set_go_left() {
    let model = stump(
        "lightgbm",
        json!({"feature": 0, "categories": [0, 2], "default_left": true, "missing": "nan"}),
    );
    for (x, expected) in [
        (0.0, -1.0),
        (2.0, -1.0),
        (1.0, 1.0),
        (3.0, 1.0),
        (2.5, -1.0),
        // LightGBM truncates first: -0.5 becomes category 0, -1 is negative and goes right.
        (-0.5, -1.0),
        (-1.0, 1.0),
        (1e10, 1.0),
        (f64::INFINITY, 1.0),
        // NaN goes right whatever default_left says.
        (f64::NAN, 1.0),
    ] {
        assert_eq!(side(&model, x), expected, "x = {x}");
    }
}

#[test]
fn links() {
    let spec = |link: &str| {
        json!({"source": "lightgbm", "base_score": [0.0, 2.0_f64.ln(), 1000.0], "link": link,
            "trees": []})
    };
    let mut out = [0.0; 3];
    let identity = TreeEnsemble::from_json(&spec("identity"), 1, 3).unwrap();
    identity.scores(&[0.0], &mut out);
    assert_eq!(out, [0.0, 2.0_f64.ln(), 1000.0]);
    let sigmoid = TreeEnsemble::from_json(&spec("sigmoid"), 1, 3).unwrap();
    sigmoid.scores(&[0.0], &mut out);
    assert_eq!(out[0], 0.5);
    assert!((out[1] - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(out[2], 1.0);
    let softmax = TreeEnsemble::from_json(&spec("softmax"), 1, 3).unwrap();
    assert_eq!(softmax.link(), Link::Softmax);
    // A huge margin does not overflow: the maximum is subtracted first.
    softmax.scores(&[0.0], &mut out);
    assert_eq!(out, [0.0, 0.0, 1.0]);
    let two = json!({"source": "lightgbm", "base_score": [0.0, 2.0_f64.ln()],
        "link": "softmax", "trees": []});
    let mut pair = [0.0; 2];
    TreeEnsemble::from_json(&two, 1, 2)
        .unwrap()
        .scores(&[0.0], &mut pair);
    assert!((pair[0] - 1.0 / 3.0).abs() < 1e-15 && (pair[1] - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn trees_add_to_their_output_and_deep_nodes_are_reached() {
    // Two outputs, children stored in reverse order and out of breadth-first order.
    let nodes = json!([
        {"feature": 1, "threshold": 0.0, "left": 4, "right": 1, "default_left": false},
        {"feature": 0, "threshold": 5.0, "left": 3, "right": 2, "default_left": false},
        {"leaf": 30.0},
        {"leaf": 20.0},
        {"leaf": 10.0}
    ]);
    let spec = json!({"source": "lightgbm", "base_score": [0.5, 100.0], "link": "identity",
        "trees": [{"output": 1, "nodes": nodes}, {"output": 1, "nodes": [{"leaf": 1.0}]},
                  {"output": 0, "nodes": [{"leaf": 2.0}]}]});
    let model = TreeEnsemble::from_json(&spec, 2, 2).unwrap();
    assert_eq!(
        (model.tree_count(), model.node_count(), model.outputs()),
        (3, 7, 2)
    );
    assert_eq!(model.source(), Source::Lightgbm);
    let mut out = [0.0; 2];
    for (x, expected) in [
        ([0.0, -1.0], 111.0),
        ([5.0, 1.0], 121.0),
        ([6.0, 1.0], 131.0),
    ] {
        model.margins(&x, &mut out);
        assert_eq!(out, [2.5, expected], "x = {x:?}");
    }
    // Extra output slots are untouched, missing ones skipped.
    let mut wide = [7.0; 3];
    model.margins(&[0.0, -1.0], &mut wide);
    assert_eq!(wide, [2.5, 111.0, 7.0]);
    let mut narrow = [0.0; 1];
    model.margins(&[0.0, -1.0], &mut narrow);
    assert_eq!(narrow, [2.5]);
}

#[test]
fn a_deep_chain_parses_and_evaluates() {
    // 100,000 nested splits: no recursion in parsing or evaluation.
    let depth = 100_000;
    let mut nodes = Vec::with_capacity(2 * depth + 1);
    for i in 0..depth {
        nodes.push(
            json!({"feature": 0, "threshold": i as f64, "left": 2 * i + 1,
            "right": 2 * i + 2, "default_left": false}),
        );
        nodes.push(json!({"leaf": i as f64}));
    }
    nodes.push(json!({"leaf": -1.0}));
    let model = TreeEnsemble::from_json(&one_tree(Value::Array(nodes)), 1, 1).unwrap();
    let mut out = [0.0];
    model.margins(&[1e9], &mut out);
    assert_eq!(out[0], -1.0);
    model.margins(&[77_777.5], &mut out);
    assert_eq!(out[0], 77_778.0);
}

#[test]
fn hostile_graphs_are_rejected() {
    let split = |left: u64, right: u64| {
        json!({"feature": 0, "threshold": 0.0, "left": left, "right": right,
            "default_left": false})
    };
    let cases = [
        // A cycle back to the root, a self-loop, a shared child, both children the same.
        (
            json!([split(1, 2), split(0, 2), {"leaf": 1}]),
            "trees[0].nodes[1].left",
            "twice",
        ),
        (
            json!([split(0, 1), {"leaf": 1}]),
            "trees[0].nodes[0].left",
            "twice",
        ),
        (
            json!([split(1, 2), split(3, 4), split(3, 4), {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[2].left",
            "twice",
        ),
        (
            json!([split(1, 1), {"leaf": 1}]),
            "trees[0].nodes[0].right",
            "twice",
        ),
        // Children out of range, unreachable nodes, an empty tree.
        (
            json!([split(1, 9), {"leaf": 1}]),
            "trees[0].nodes[0].right",
            "out of range",
        ),
        (
            json!([{"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[1]",
            "not reachable",
        ),
        (json!([]), "trees[0].nodes", "at least one node"),
        // Field problems.
        (
            json!([split(1, 2), {"leaf": 1}, {"lef": 2}]),
            "trees[0].nodes[2].lef",
            "unknown field",
        ),
        (
            json!([{"feature": 0, "threshold": 0.0, "left": 1, "right": 2, "default_left": true,
                "treshold": 1.0}, {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0].treshold",
            "unknown field",
        ),
        (
            json!([{"feature": 0, "left": 1, "right": 2, "default_left": true},
                {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0]",
            "needs either",
        ),
        (
            json!([{"leaf": 1, "left": 2}]),
            "trees[0].nodes[0].left",
            "unknown field",
        ),
        (
            json!([{"leaf": "1"}]),
            "trees[0].nodes[0].leaf",
            "finite number",
        ),
        (
            json!([{"feature": 3, "threshold": 0.0, "left": 1, "right": 2, "default_left": true},
            {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0].feature",
            "out of range",
        ),
        (
            json!([{"feature": 0, "threshold": 0.0, "left": -1, "right": 2,
            "default_left": true}, {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0].left",
            "non-negative integer",
        ),
        (
            json!([{"feature": 0, "threshold": 0.0, "left": 1, "right": 2}, {"leaf": 1},
            {"leaf": 2}]),
            "trees[0].nodes[0].default_left",
            "missing required field",
        ),
        (
            json!([{"feature": 0, "categories": [1, -2], "left": 1, "right": 2,
            "default_left": true}, {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0].categories[1]",
            "integer from 0",
        ),
        (
            json!([{"feature": 0, "threshold": 0.0, "left": 1, "right": 2, "default_left": true,
            "missing": "NaN"}, {"leaf": 1}, {"leaf": 2}]),
            "trees[0].nodes[0].missing",
            "must be",
        ),
    ];
    for (nodes, path, message) in cases {
        let p = problem(one_tree(nodes.clone()), 1, 1);
        assert_eq!(p.path, path, "{nodes}: {p}");
        assert!(p.message.contains(message), "{nodes}: {p}");
    }
}

#[test]
fn ensemble_fields_are_checked() {
    let ok = one_tree(json!([{"leaf": 1.0}]));
    let with = |key: &str, value: Value| {
        let mut spec = ok.clone();
        spec[key] = value;
        spec
    };
    let cases = [
        (with("source", json!("catboost")), "source"),
        (with("link", json!("probit")), "link"),
        (with("base_score", json!([0.0, 1.0])), "base_score"),
        (with("base_score", json!([null])), "base_score[0]"),
        (with("trees", json!({})), "trees"),
        (with("extra", json!(1)), "extra"),
        (
            with("trees", json!([{"output": 1, "nodes": [{"leaf": 1.0}]}])),
            "trees[0].output",
        ),
        (
            with("trees", json!([{"nodes": [{"leaf": 1.0}]}])),
            "trees[0].output",
        ),
    ];
    for (spec, path) in cases {
        assert_eq!(problem(spec.clone(), 1, 1).path, path, "{spec}");
    }
    let mut no_link = ok.clone();
    no_link.as_object_mut().unwrap().remove("link");
    assert_eq!(problem(no_link, 1, 1).path, "link");
    assert_eq!(problem(json!([]), 1, 1).path, "");
    // Only lightgbm splits carry a missing type.
    let xgb = json!({"source": "xgboost", "base_score": [0.0], "link": "identity", "trees": [
        {"output": 0, "nodes": [{"feature": 0, "threshold": 0.0, "left": 1, "right": 2,
            "default_left": true, "missing": "nan"}, {"leaf": 1}, {"leaf": 2}]}]});
    assert_eq!(problem(xgb, 1, 1).path, "trees[0].nodes[0].missing");
}

#[test]
fn margins_that_could_overflow_are_rejected() {
    let spec = |source: &str, base: f64, leaf: f64| {
        json!({"source": source, "base_score": [base], "link": "identity", "trees": [
            {"output": 0, "nodes": [{"leaf": leaf}]}, {"output": 0, "nodes": [{"leaf": leaf}]}]})
    };
    assert!(TreeEnsemble::from_json(&spec("lightgbm", 0.0, 1e300), 1, 1).is_ok());
    let p = problem(spec("lightgbm", 0.0, 1e308), 1, 1);
    assert!(p.message.contains("infinity"), "{p}");
    // In f32, 1e38 + 1e38 is near the top of the range and 1e39 is already infinite.
    assert!(problem(spec("xgboost", 0.0, 1e38), 1, 1)
        .message
        .contains("infinity"));
    assert!(problem(spec("xgboost", 1e39, 0.0), 1, 1)
        .message
        .contains("infinity"));
    assert!(TreeEnsemble::from_json(&spec("xgboost", 1.0, 1e30), 1, 1).is_ok());
}

#[test]
fn size_limits() {
    let tree = json!({"output": 0, "nodes": [{"leaf": 1.0}]});
    let mut spec = one_tree(json!([]));
    spec["trees"] = Value::Array(vec![tree; super::MAX_TREES + 1]);
    let p = problem(spec.clone(), 1, 1);
    assert_eq!(
        (p.path.as_str(), p.message.contains("at most 2000")),
        ("trees", true)
    );
    // The node cap counts all trees together; a tree past it is refused before it is walked.
    let caps = super::parse::Caps {
        trees: 3,
        nodes: 10,
    };
    let stump = json!({"output": 0, "nodes": [
        {"feature": 0, "threshold": 0.0, "left": 1, "right": 2, "default_left": false},
        {"leaf": 0.0}, {"leaf": 1.0}]});
    spec["trees"] = json!([stump, stump, stump]);
    let parse = |spec: &Value| super::parse::ensemble(spec, 1, 1, caps);
    assert_eq!(parse(&spec).unwrap().node_count(), 9);
    spec["trees"][2]["nodes"]
        .as_array_mut()
        .unwrap()
        .extend([json!({"leaf": 2.0}), json!(0)]);
    let p = parse(&spec).unwrap_err();
    assert_eq!(
        (p.path.as_str(), p.message.contains("more than 10 nodes")),
        ("trees[2].nodes", true)
    );
    spec["trees"] = json!([stump, stump, stump, stump]);
    assert_eq!(parse(&spec).unwrap_err().path, "trees");
}
