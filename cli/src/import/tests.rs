//! Importers on small hand-written models in each library's format.

use serde_json::{json, Value};
use tandem::policy::trees::TreeEnsemble;

use super::{bundle, lightgbm, sklearn, xgboost, xgboost::f32_value};

/// An XGBoost 3.x model with one tree: node 0 splits feature 0 at 0.5 (default left), node 1
/// is a categorical split of feature 1 on {1, 3}, node 5 was deleted by pruning.
fn xgb_model(objective: &str, base_score: &str) -> Value {
    json!({"learner": {
        "objective": {"name": objective},
        "learner_model_param": {"base_score": base_score, "num_class": "0", "num_target": "1",
            "num_feature": "2", "boost_from_average": "1"},
        "gradient_booster": {"name": "gbtree", "model": {
            "tree_info": [0],
            "trees": [{
                "tree_param": {"num_nodes": "6", "size_leaf_vector": "1", "num_deleted": "1"},
                "left_children": [1, 3, -1, -1, -1, -1],
                "right_children": [2, 4, -1, -1, -1, -1],
                "split_indices": [0, 1, 0, 0, 0, 0],
                "split_conditions": [0.5, 1e-45, 0.25, -0.5, 0.75, 9.0],
                "default_left": [1, 0, 0, 0, 0, 0],
                "split_type": [0, 1, 0, 0, 0, 0],
                "categories_nodes": [1],
                "categories_segments": [0],
                "categories_sizes": [2],
                "categories": [1, 3]
            }]
        }}
    }})
}

fn margin(scorer: &Value, inputs: usize, x: &[f64]) -> f64 {
    let model = TreeEnsemble::from_json(&scorer["trees"], inputs, 1).unwrap();
    let mut out = [0.0];
    model.margins(x, &mut out);
    out[0]
}

#[test]
fn f32_values_survive_double_rounding() {
    // XGBoost writes this f32 as its shortest decimal 7.038531e-26; the nearest f64 to that
    // rounds to the neighbouring f32. One of only two such f32 values (with its negation).
    let original = f32::from_bits(0x15ae_43fd);
    let parsed: f64 = "7.038531e-26".parse().unwrap();
    assert_ne!((parsed as f32).to_bits(), original.to_bits());
    assert_eq!(f32_value(parsed).to_bits(), original.to_bits());
    assert_eq!(f32_value(-parsed).to_bits(), (-original).to_bits());
    for v in [0.1f32, 0.203_100_73, 1e-45, -3.5, f32::MAX] {
        let text = format!("{v:e}");
        assert_eq!(f32_value(text.parse().unwrap()), v, "{text}");
    }
}

#[test]
fn xgboost_trees_and_base_margin() {
    let scorer = xgboost(&xgb_model("binary:logistic", "[5E-1]")).unwrap();
    let trees = &scorer["trees"];
    assert_eq!(trees["source"], "xgboost");
    assert_eq!(trees["link"], "sigmoid");
    // logit(0.5) = 0; the deleted node 5 is gone.
    assert_eq!(trees["base_score"], json!([0.0]));
    assert_eq!(trees["trees"][0]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(trees["trees"][0]["nodes"][0]["default_left"], true);
    // Category 3 is in the set: right (0.75); 2 is not: left (-0.5); NaN: default right.
    assert_eq!(margin(&scorer, 2, &[0.0, 3.0]), 0.75);
    assert_eq!(margin(&scorer, 2, &[0.0, 2.0]), -0.5);
    assert_eq!(margin(&scorer, 2, &[0.0, f64::NAN]), 0.75);
    assert_eq!(margin(&scorer, 2, &[f64::NAN, 2.0]), -0.5);
    assert_eq!(margin(&scorer, 2, &[0.5, 0.0]), 0.25);

    let logit = xgboost(&xgb_model("binary:logistic", "2.5E-1")).unwrap();
    let want = -(1.0f32 / 0.25f32 - 1.0).ln();
    assert_eq!(logit["trees"]["base_score"], json!([f64::from(want)]));
    let log = xgboost(&xgb_model("count:poisson", "[2E0]")).unwrap();
    assert_eq!(log["trees"]["base_score"], json!([f64::from(2.0f32.ln())]));
    let same = xgboost(&xgb_model("reg:squarederror", "[1.5E0]")).unwrap();
    assert_eq!(
        (&same["trees"]["base_score"], &same["trees"]["link"]),
        (&json!([1.5]), &json!("identity"))
    );
}

#[test]
fn xgboost_refusals() {
    let mut dart = xgb_model("binary:logistic", "[5E-1]");
    dart["learner"]["gradient_booster"]["name"] = json!("dart");
    assert!(xgboost(&dart).unwrap_err().contains("only gbtree"));
    let odd = xgboost(&xgb_model("survival:aft", "[5E-1]")).unwrap_err();
    assert!(odd.contains("not supported"), "{odd}");
    let mut vector = xgb_model("binary:logistic", "[5E-1]");
    vector["learner"]["gradient_booster"]["model"]["trees"][0]["tree_param"]["size_leaf_vector"] =
        json!("3");
    assert!(xgboost(&vector).unwrap_err().contains("vector leaves"));
    // Arrays that loop back to the root end in an error, not a hang.
    let mut cycle = xgb_model("binary:logistic", "[5E-1]");
    cycle["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][1] = json!(0);
    assert!(xgboost(&cycle).unwrap_err().contains("not a tree"));
    let mut short = xgb_model("binary:logistic", "[5E-1]");
    short["learner"]["gradient_booster"]["model"]["trees"][0]["default_left"] = json!([1]);
    assert!(xgboost(&short).unwrap_err().contains("default_left"));
}

/// A LightGBM dump with `trees` tree structures and 2 trees per iteration.
fn lgb_dump(objective: &str, trees: Vec<Value>) -> Value {
    let info: Vec<Value> = trees
        .into_iter()
        .enumerate()
        .map(
            |(i, t)| json!({"tree_index": i, "num_leaves": 2, "shrinkage": 1, "tree_structure": t}),
        )
        .collect();
    json!({"name": "tree", "version": "v4", "num_class": 2, "num_tree_per_iteration": 2,
        "objective": objective, "average_output": false, "tree_info": info})
}

#[test]
fn lightgbm_trees_and_classes() {
    let numeric = json!({"split_index": 0, "split_feature": 1, "threshold": 0.5,
        "decision_type": "<=", "default_left": true, "missing_type": "Zero",
        "left_child": {"leaf_index": 0, "leaf_value": -1.0},
        "right_child": {"split_index": 1, "split_feature": 0, "threshold": "0||4",
            "decision_type": "==", "default_left": false, "missing_type": "NaN",
            "left_child": {"leaf_index": 1, "leaf_value": 2.0},
            "right_child": {"leaf_index": 2, "leaf_value": 3.0}}});
    let (quarter, half) = (json!({"leaf_value": 0.25}), json!({"leaf_value": 0.5}));
    let dump = lgb_dump(
        "multiclass num_class:2",
        vec![numeric.clone(), quarter, half, numeric],
    );
    let scorer = lightgbm(&dump).unwrap();
    let trees = &scorer["trees"];
    assert_eq!(
        (&trees["link"], &trees["base_score"]),
        (&json!("softmax"), &json!([0.0, 0.0]))
    );
    let outputs: Vec<&Value> = trees["trees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["output"])
        .collect();
    assert_eq!(outputs, [0, 1, 0, 1]);
    let model = TreeEnsemble::from_json(trees, 2, 2).unwrap();
    let mut out = [0.0; 2];
    for (x, want) in [
        ([4.0, 1.0], [2.5, 2.25]),        // right, category 4 in the set: left
        ([1.0, 1.0], [3.5, 3.25]),        // category 1 not in the set: right
        ([0.0, 0.0], [-0.5, -0.75]),      // zero is missing: default left
        ([0.0, f64::NAN], [-0.5, -0.75]), // NaN becomes 0, also missing
    ] {
        model.margins(&x, &mut out);
        assert_eq!(out, want, "{x:?}");
    }
    assert_eq!(
        lightgbm(&lgb_dump("binary sigmoid:1", vec![])).unwrap()["trees"]["link"],
        "sigmoid"
    );
    assert_eq!(
        lightgbm(&lgb_dump("regression", vec![])).unwrap()["trees"]["link"],
        "identity"
    );
}

#[test]
fn lightgbm_refusals() {
    let linear =
        json!({"leaf_value": 1.0, "leaf_const": 1.0, "leaf_coeff": [0.5], "leaf_features": [0]});
    assert!(lightgbm(&lgb_dump("regression", vec![linear]))
        .unwrap_err()
        .contains("linear"));
    let mut rf = lgb_dump("regression", vec![]);
    rf["average_output"] = json!(true);
    assert!(lightgbm(&rf).unwrap_err().contains("average_output"));
    assert!(lightgbm(&lgb_dump("binary sigmoid:2", vec![]))
        .unwrap_err()
        .contains("sigmoid:1"));
    let mut pandas = lgb_dump("regression", vec![]);
    pandas["pandas_categorical"] = json!([[0, 1, 2]]);
    assert!(lightgbm(&pandas).is_ok());
    pandas["pandas_categorical"] = json!([["red", "blue"]]);
    assert!(lightgbm(&pandas)
        .unwrap_err()
        .starts_with("pandas_categorical[0]"));
    let bad = json!({"split_feature": 0, "threshold": 1.0, "decision_type": "<", "default_left": true,
        "missing_type": "None", "left_child": {"leaf_value": 1.0}, "right_child": {"leaf_value": 2.0}});
    let err = lightgbm(&lgb_dump("regression", vec![bad])).unwrap_err();
    assert!(
        err.starts_with("tree_info[0].tree_structure.decision_type"),
        "{err}"
    );
}

#[test]
fn bundles_join_the_spec_and_the_scorers() {
    let spec = json!({"id": "p", "version": 1, "actions": [{"key": "a", "value": 1}],
        "features": [], "exploration": {"greedy": {}}});
    let scorer = xgboost(&xgb_model("binary:logistic", "[5E-1]")).unwrap();
    let one = bundle(&spec, std::slice::from_ref(&scorer)).unwrap();
    let keys: Vec<&String> = one.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "version",
            "actions",
            "features",
            "scorer",
            "exploration",
            "vectors"
        ]
    );
    assert_eq!(one["scorer"]["trees"]["link"], "sigmoid");

    let mut two_actions = spec.clone();
    two_actions["actions"] = json!([{"key": "a", "value": 1}, {"key": "b", "value": 2}]);
    two_actions["link"] = json!("identity");
    let joined = bundle(&two_actions, &[scorer.clone(), scorer.clone()]).unwrap();
    let trees = &joined["scorer"]["trees"];
    assert_eq!(
        (&trees["link"], &trees["base_score"]),
        (&json!("identity"), &json!([0.0, 0.0]))
    );
    let outputs: Vec<&Value> = trees["trees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["output"])
        .collect();
    assert_eq!(outputs, [0, 1]);
    assert!(joined.get("link").is_none());

    assert!(bundle(&two_actions, std::slice::from_ref(&scorer))
        .unwrap_err()
        .contains("1 outputs"));
    let mut sealed = spec.clone();
    sealed["digest"] = json!("xxh3-128:00");
    assert!(bundle(&sealed, std::slice::from_ref(&scorer))
        .unwrap_err()
        .starts_with("spec.digest"));
    let mut bad_link = spec;
    bad_link["link"] = json!("probit");
    assert!(bundle(&bad_link, &[scorer]).unwrap_err().contains("link"));
}

/// A hand-written export: LogisticRegression over 3 features, 3 classes.
fn sk_export() -> Value {
    json!({"format": "tandem-sklearn-linear", "version": 1, "estimator": "LogisticRegression",
        "sklearn": "1.9.1", "n_features": 3, "feature_names": ["a", "b", "c"],
        "coef": [[1.5, -2.0, 0.25], [0.0, 1, -0.125], [-1.5, 1.0, -0.375]],
        "intercept": [0.5, -0.25, -0.25], "classes": ["x", "y", "z"], "link": "softmax"})
}

fn sk_spec(actions: usize, columns: usize) -> Value {
    let actions: Vec<Value> = (0..actions)
        .map(|a| json!({"key": format!("a{a}"), "value": a}))
        .collect();
    let features: Vec<Value> = (0..columns)
        .map(|j| {
            json!({"name": format!("f{j}"), "source": format!("f{j}"), "kind": "numeric",
                "transform": "identity", "missing": 0.0})
        })
        .collect();
    json!({"id": "p", "version": 1, "actions": actions, "features": features,
        "exploration": {"greedy": {}}})
}

#[test]
fn sklearn_weights_are_the_exports_rows() {
    let scorer = sklearn(&sk_export()).unwrap();
    assert_eq!(
        scorer,
        json!({"linear": {
            "weights": [[1.5, -2.0, 0.25], [0.0, 1.0, -0.125], [-1.5, 1.0, -0.375]],
            "bias": [0.5, -0.25, -0.25]},
            "link": "softmax", "binary": false})
    );
    let one = bundle(&sk_spec(3, 3), std::slice::from_ref(&scorer)).unwrap();
    assert_eq!(
        one["scorer"],
        json!({"linear": {
            "weights": [[1.5, -2.0, 0.25], [0.0, 1.0, -0.125], [-1.5, 1.0, -0.375]],
            "bias": [0.5, -0.25, -0.25]}})
    );
    assert!(one.get("link").is_none() && one.get("binary").is_none());
    let loaded = tandem::policy::Bundle::from_value(&one).unwrap();
    let ctx = tandem::Context::from_json(r#"{"f0": 2, "f1": 1, "f2": 4}"#).unwrap();
    // 0.5 + 3 - 2 + 1, -0.25 + 0 + 1 - 0.5, -0.25 - 3 + 1 - 1.5: every partial sum is exact
    // in binary, so any summation order gives these numbers.
    assert_eq!(loaded.raw_scores(&ctx).unwrap(), [2.5, 0.25, -3.75]);
}

#[test]
fn sklearn_binary_and_per_action_models() {
    let mut binary = sk_export();
    binary["coef"] = json!([[1.5, -2.0, 0.25]]);
    binary["intercept"] = json!([0.5]);
    binary["classes"] = json!([0, 1]);
    binary["link"] = json!("sigmoid");
    let scorer = sklearn(&binary).unwrap();
    assert_eq!(scorer["binary"], true);
    // Alone for two actions: class 0 scores 0, class 1 the margin.
    let two = bundle(&sk_spec(2, 3), std::slice::from_ref(&scorer)).unwrap();
    assert_eq!(
        two["scorer"]["linear"],
        json!({"weights": [[0.0, 0.0, 0.0], [1.5, -2.0, 0.25]], "bias": [0.0, 0.5]})
    );
    // Alone for one action: the margin.
    let one = bundle(&sk_spec(1, 3), std::slice::from_ref(&scorer)).unwrap();
    assert_eq!(
        one["scorer"]["linear"],
        json!({"weights": [[1.5, -2.0, 0.25]], "bias": [0.5]})
    );
    // One per action: rows stacked in action order.
    let mut other = binary.clone();
    other["coef"] = json!([[-1.0, 0.5, 2.0]]);
    other["intercept"] = json!([-3.0]);
    let joined = bundle(&sk_spec(2, 3), &[scorer.clone(), sklearn(&other).unwrap()]).unwrap();
    assert_eq!(
        joined["scorer"]["linear"],
        json!({"weights": [[1.5, -2.0, 0.25], [-1.0, 0.5, 2.0]], "bias": [0.5, -3.0]})
    );
    // A regressor's scores are on another scale than log-odds.
    let mut regressor = other;
    regressor["estimator"] = json!("Ridge");
    regressor["classes"] = Value::Null;
    regressor["link"] = json!("identity");
    let mixed = bundle(
        &sk_spec(2, 3),
        &[scorer.clone(), sklearn(&regressor).unwrap()],
    );
    assert!(mixed.unwrap_err().contains("different scales"));
    // A binary classifier for three actions.
    assert!(bundle(&sk_spec(3, 3), &[scorer])
        .unwrap_err()
        .contains("1 outputs but the spec has 3 actions"));
}

#[test]
fn sklearn_refusals() {
    let cases: [(&str, Value, &str); 10] = [
        ("format", json!("other"), "format"),
        ("version", json!(2), "version"),
        ("estimator", json!("Lasso"), "estimator"),
        ("n_features", json!(4), "coef[0]: has 3 numbers"),
        ("coef", json!([]), "coef: has 0 rows"),
        (
            "coef",
            json!([[1, 2, null], [0, 0, 0], [0, 0, 0]]),
            "coef[0][2]",
        ),
        ("intercept", json!([1, 2]), "intercept: has 2 numbers"),
        (
            "classes",
            json!(["x", "y"]),
            "classes: 2 labels for 3 coef rows",
        ),
        ("link", json!("probit"), "link"),
        ("extra", json!(1), "extra: not a field"),
    ];
    for (key, value, message) in cases {
        let mut export = sk_export();
        export[key] = value;
        let err = sklearn(&export).unwrap_err();
        assert!(err.starts_with(message), "{key}: {err}");
    }
    let mut regressor = sk_export();
    regressor["estimator"] = json!("LinearRegression");
    assert!(sklearn(&regressor).unwrap_err().starts_with("classes"));

    let scorer = sklearn(&sk_export()).unwrap();
    let err = bundle(&sk_spec(3, 4), std::slice::from_ref(&scorer)).unwrap_err();
    assert!(
        err.contains("reads 3 features but spec.features make 4 columns"),
        "{err}"
    );
    let mut linked = sk_spec(3, 3);
    linked["link"] = json!("softmax");
    assert!(bundle(&linked, std::slice::from_ref(&scorer))
        .unwrap_err()
        .starts_with("spec.link"));
    // Trees and linear models do not mix.
    let trees = xgboost(&xgb_model("binary:logistic", "[5E-1]")).unwrap();
    assert!(bundle(&sk_spec(2, 3), &[scorer, trees]).is_err());
}

#[test]
fn columns_count_every_transform() {
    let features = json!([
        {"transform": "identity", "missing": "indicator"},
        {"transform": {"bucketize": {"edges": [1, 2]}}, "missing": 0},
        {"transform": {"one_hot": {"categories": ["a", "b"]}}, "missing": "a"},
        {"transform": {"hash": {"buckets": 5}}, "missing": "indicator"},
        {"transform": {"standardize": {"mean": 0, "std": 1}}, "missing": 0}
    ]);
    assert_eq!(super::columns(&features), Some(2 + 3 + 2 + 6 + 1));
    assert_eq!(super::columns(&json!([{"transform": 3}])), None);
}
