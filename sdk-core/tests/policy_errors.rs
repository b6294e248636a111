//! Everything a policy refuses, against docs/policy-bundles.md: each invalid bundle is an error
//! whose JSON path names the offending value, hostile input is an error and never a crash, and
//! a decision fails only on what the caller passes (the unit, an overflowing score).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use tandem::policy::{Bundle, BundleError, DecisionError};
use tandem::{Context, ErrorKind};

/// Two actions, one numeric feature `x`, a linear scorer, greedy exploration.
fn base() -> Value {
    json!({
        "id": "p", "version": 1,
        "actions": [{"key": "a", "value": "A"}, {"key": "b", "value": {"n": 2}}],
        "features": [{"name": "x", "source": "x", "kind": "numeric",
                      "transform": "identity", "missing": 0}],
        "scorer": {"linear": {"weights": [[1.0], [-1.0]], "bias": [0.0, 0.0]}},
        "exploration": {"greedy": {}},
        "vectors": []
    })
}

fn ctx(value: Value) -> Context {
    Context::from_value(value).unwrap()
}

/// `bundle` with the value at a JSON pointer replaced (or, in an object, added).
fn with(mut bundle: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match bundle
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("{pointer}"))
    {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
        _ => panic!("{pointer}"),
    }
    bundle
}

#[test]
fn every_validation_error_names_its_path() {
    let feature = |spec: Value| with(base(), "/features/0", spec);
    let numeric = |transform: Value, missing: Value| {
        feature(json!({"name": "x", "source": "x", "kind": "numeric",
                       "transform": transform, "missing": missing}))
    };
    let categorical = |transform: Value| {
        feature(json!({"name": "x", "source": "x", "kind": "categorical",
                       "transform": transform, "missing": "indicator"}))
    };
    let two = |extra: Value| {
        let mut b = base();
        b["features"].as_array_mut().unwrap().push(extra);
        b
    };
    let many_actions: Vec<Value> = (0..257)
        .map(|i| json!({"key": i.to_string(), "value": i}))
        .collect();
    let many_features: Vec<Value> = (0..1025)
        .map(|i| json!({"name": i.to_string(), "source": "x", "kind": "numeric", "transform": "identity", "missing": 0}))
        .collect();
    let mlp = |layers: Value| with(base(), "/scorer", json!({"mlp": {"layers": layers}}));
    let layer = |weights: Value, bias: Value, activation: &str| json!({"weights": weights, "bias": bias, "activation": activation});
    let mut without_missing = base();
    without_missing["features"][0]
        .as_object_mut()
        .unwrap()
        .remove("missing");
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([1]), "", "must be an object"),
        (with(base(), "/id", json!("")), "id", "non-empty"),
        (with(base(), "/version", json!(-1)), "version", "integer"),
        (with(base(), "/version", json!(1.5)), "version", "integer"),
        (with(base(), "/actions", json!([])), "actions", "1 to 256"),
        (
            with(base(), "/actions", json!(many_actions)),
            "actions",
            "1 to 256",
        ),
        (
            with(base(), "/actions/1/key", json!("a")),
            "actions[1].key",
            "duplicate",
        ),
        (
            with(base(), "/actions/1", json!({"key": "b"})),
            "actions[1].value",
            "missing",
        ),
        (with(base(), "/unit", json!("")), "unit", "non-empty"),
        (with(base(), "/salt", json!(5)), "salt", "string"),
        (
            with(base(), "/description", json!(5)),
            "description",
            "string",
        ),
        (with(base(), "/features", json!({})), "features", "array"),
        (
            with(base(), "/features", json!(many_features)),
            "features",
            "limit of 1024",
        ),
        (
            with(base(), "/features/0/kind", json!("ordinal")),
            "features[0].kind",
            "numeric, boolean or categorical",
        ),
        (
            with(base(), "/features/0/colour", json!(1)),
            "features[0].colour",
            "unknown field",
        ),
        (
            numeric(json!({"sqrt": {}}), json!(0)),
            "features[0].transform",
            "unknown transform",
        ),
        (
            numeric(json!({"standardize": {"mean": 0}}), json!(0)),
            "features[0].transform.standardize.std",
            "missing",
        ),
        (
            numeric(json!({"standardize": {"mean": 0, "std": 0}}), json!(0)),
            "features[0].transform.standardize.std",
            "greater than 0",
        ),
        (
            numeric(json!({"standardize": {"mean": 0, "std": -2}}), json!(0)),
            "features[0].transform.standardize.std",
            "greater than 0",
        ),
        (
            numeric(json!({"standardize": {"mean": "0", "std": 1}}), json!(0)),
            "features[0].transform.standardize.mean",
            "number",
        ),
        (
            numeric(json!({"min_max": {"min": 1, "max": 1}}), json!(0)),
            "features[0].transform.min_max.max",
            "greater than `min`",
        ),
        (
            numeric(json!({"clip": {"lo": 1, "hi": 0}}), json!(0)),
            "features[0].transform.clip.hi",
            "at least `lo`",
        ),
        (
            numeric(json!({"bucketize": {"edges": [1, 1]}}), json!(0)),
            "features[0].transform.bucketize.edges[1]",
            "strictly increasing",
        ),
        (
            numeric(json!({"one_hot": {"categories": ["a"]}}), json!(0)),
            "features[0].transform.one_hot",
            "categorical and boolean",
        ),
        (
            numeric("log1p".into(), json!(-2)),
            "features[0].missing",
            "cannot take",
        ),
        (
            numeric("identity".into(), Value::Null),
            "features[0].missing",
            "only for trees",
        ),
        (
            numeric(json!({"bucketize": {"edges": [1]}}), Value::Null),
            "features[0].missing",
            "single column",
        ),
        (without_missing, "features[0].missing", "missing (required"),
        (
            categorical(json!({"one_hot": {"categories": ["a", "a"]}})),
            "features[0].transform.one_hot.categories[1]",
            "duplicate",
        ),
        (
            categorical(json!({"one_hot": {"categories": [1.5]}})),
            "features[0].transform.one_hot.categories[0]",
            "category",
        ),
        (
            categorical(json!({"hash": {"buckets": 0}})),
            "features[0].transform.hash.buckets",
            "integer from 1",
        ),
        (
            categorical(json!({"standardize": {"mean": 0, "std": 1}})),
            "features[0].transform.standardize",
            "numeric features only",
        ),
        (
            two(
                json!({"name": "x", "source": "y", "kind": "numeric", "transform": "identity", "missing": 0}),
            ),
            "features[1].name",
            "duplicate",
        ),
        (
            two(
                json!({"name": "h", "source": "h", "kind": "categorical", "transform": {"hash": {"buckets": 4096}}, "missing": "indicator"}),
            ),
            "features[1]",
            "4096 columns",
        ),
        (
            with(base(), "/scorer", json!({"forest": {}})),
            "scorer",
            "unknown scorer",
        ),
        (
            with(base(), "/scorer", json!({"linear": {}, "mlp": {}})),
            "scorer",
            "exactly one key",
        ),
        (
            with(base(), "/scorer/linear/weights", json!([[1.0]])),
            "scorer.linear.weights",
            "2 rows",
        ),
        (
            with(base(), "/scorer/linear/weights", json!([[1.0], [1.0, 2.0]])),
            "scorer.linear.weights[1]",
            "1 numbers",
        ),
        (
            with(base(), "/scorer/linear/weights/1/0", json!("1")),
            "scorer.linear.weights[1][0]",
            "number",
        ),
        (
            with(base(), "/scorer/linear/weights/0/0", Value::Null),
            "scorer.linear.weights[0][0]",
            "number",
        ),
        (
            with(base(), "/scorer/linear/bias", json!([0.0])),
            "scorer.linear.bias",
            "2 numbers",
        ),
        (mlp(json!([])), "scorer.mlp.layers", "1 to 8"),
        (
            mlp(json!(vec![layer(json!([[1.0]]), json!([0.0]), "relu"); 9])),
            "scorer.mlp.layers",
            "1 to 8",
        ),
        (
            mlp(json!([layer(json!([[1.0]]), json!([0.0]), "gelu")])),
            "scorer.mlp.layers[0].activation",
            "relu",
        ),
        (
            mlp(json!([
                layer(json!([[1.0]]), json!([0.0]), "relu"),
                layer(
                    json!([[1.0, 1.0], [1.0, 1.0]]),
                    json!([0.0, 0.0]),
                    "identity"
                )
            ])),
            "scorer.mlp.layers[1].weights[0]",
            "1 numbers",
        ),
        (
            mlp(json!([
                layer(json!([[1.0]]), json!([0.0]), "relu"),
                layer(json!([[1.0]]), json!([0.0]), "identity")
            ])),
            "scorer.mlp.layers[1].weights",
            "2 rows",
        ),
        (
            mlp(json!([
                layer(
                    json!(vec![json!([1.0]); 1025]),
                    json!(vec![0.0; 1025]),
                    "relu"
                ),
                layer(json!([[1.0], [1.0]]), json!([0.0, 0.0]), "identity")
            ])),
            "scorer.mlp.layers[0].weights",
            "1024 units",
        ),
        (
            with(
                base(),
                "/scorer",
                json!({"trees": {"source": "lightgbm", "base_score": [0.0, 0.0], "link": "identity",
            "trees": [{"output": 5, "nodes": [{"leaf": 1.0}]}]}}),
            ),
            "scorer.trees.trees[0].output",
            "",
        ),
        (
            with(base(), "/exploration", json!({"thompson": {}})),
            "exploration",
            "unknown exploration rule",
        ),
        (
            with(base(), "/exploration", json!({"epsilon_greedy": {}})),
            "exploration.epsilon_greedy.epsilon",
            "missing",
        ),
        (
            with(
                base(),
                "/exploration",
                json!({"epsilon_greedy": {"epsilon": 1.5}}),
            ),
            "exploration.epsilon_greedy.epsilon",
            "from 0 to 1",
        ),
        (
            with(
                base(),
                "/exploration",
                json!({"softmax": {"temperature": 0}}),
            ),
            "exploration.softmax.temperature",
            "greater than 0",
        ),
        (
            with(base(), "/exploration", json!({"igw": {"gamma": -1}})),
            "exploration.igw.gamma",
            "0 or more",
        ),
        (
            with(
                base(),
                "/exploration",
                json!({"igw": {"gamma": 1, "floor": 2}}),
            ),
            "exploration.igw.floor",
            "from 0 to 1",
        ),
        (
            with(
                base(),
                "/exploration",
                json!({"igw": {"gamma": 1, "tau": 2}}),
            ),
            "exploration.igw.tau",
            "unknown field",
        ),
        (
            with(
                base(),
                "/vectors",
                json!([{"context": {}, "probabilities": [1.0]}]),
            ),
            "vectors[0].probabilities",
            "2 numbers",
        ),
        (
            with(
                base(),
                "/vectors",
                json!([{"context": [], "probabilities": [1.0, 0.0]}]),
            ),
            "vectors[0].context",
            "object",
        ),
        (
            with(
                base(),
                "/vectors",
                json!([{"context": {"x": -1}, "probabilities": [1.0, 0.0]}]),
            ),
            "vectors[0].probabilities[0]",
            "vector 0",
        ),
        (
            with(
                base(),
                "/vectors",
                json!(vec![
                    json!({"context": {}, "probabilities": [1.0, 0.0]});
                    101
                ]),
            ),
            "vectors",
            "limit of 100",
        ),
        (
            with(base(), "/digest", json!("xxh3-128:00")),
            "digest",
            "32 lower-case hex",
        ),
        (
            with(
                base(),
                "/digest",
                json!(format!("xxh3-128:{}", "0".repeat(32))),
            ),
            "digest",
            "does not match",
        ),
    ];
    for (bundle, path, message) in cases {
        let err = Bundle::from_value(&bundle).expect_err(path);
        assert_eq!(err.path, path, "{err}");
        assert!(err.message.contains(message), "{path}: {err}");
        let display = if path.is_empty() {
            err.message.clone()
        } else {
            format!("{path}: {}", err.message)
        };
        assert_eq!(err.to_string(), display);
        let public: tandem::Error = err.into();
        assert_eq!(public.kind(), ErrorKind::InvalidConfig);
    }
    let not_json = Bundle::from_json("{").unwrap_err();
    assert_eq!(
        (
            not_json.path.as_str(),
            not_json.message.starts_with("not JSON")
        ),
        ("", true)
    );
}

#[test]
fn the_unit_must_be_a_unit() {
    let bundle = Bundle::from_value(&base()).unwrap();
    assert_eq!(
        bundle.decide(&ctx(json!({"x": 1})), "", None).unwrap_err(),
        DecisionError::UnitMissing
    );
    assert_eq!(
        bundle
            .decide(&ctx(json!({"targetingKey": null})), "", None)
            .unwrap_err(),
        DecisionError::UnitMissing
    );
    for bad in [json!(true), json!(1.5), json!(""), json!([]), json!({})] {
        assert_eq!(
            bundle
                .decide(&ctx(json!({"targetingKey": bad})), "", None)
                .unwrap_err(),
            DecisionError::UnitInvalid
        );
    }
    assert_eq!(
        bundle
            .decide(&ctx(json!({"targetingKey": 42.0})), "", None)
            .unwrap()
            .unit,
        "42"
    );
    let nested = Bundle::from_value(&with(base(), "/unit", json!("user.id"))).unwrap();
    assert_eq!(nested.unit_path(), "user.id");
    assert_eq!(
        nested
            .decide(&ctx(json!({"user": {"id": 7}})), "", None)
            .unwrap()
            .unit,
        "7"
    );
    assert_eq!(
        nested
            .decide(&ctx(json!({"targetingKey": "t"})), "", None)
            .unwrap_err(),
        DecisionError::UnitMissing
    );
}

#[test]
fn overflowing_scores_fail_the_decision_not_the_process() {
    let bundle = Bundle::from_value(&with(
        base(),
        "/scorer/linear/weights",
        json!([[1e300], [1.0]]),
    ))
    .unwrap();
    let c = ctx(json!({"targetingKey": "u", "x": 1e300}));
    assert_eq!(
        bundle.decide(&c, "", None).unwrap_err(),
        DecisionError::NonFiniteScore { action: 0 }
    );
    assert_eq!(bundle.raw_scores(&c).unwrap()[0], f64::INFINITY);
}

#[test]
fn hostile_bundles_are_errors() {
    for text in [
        "",
        "null",
        "[]",
        "\"x\"",
        "{\"id\": {}}",
        &"[".repeat(10_000),
        "{\"actions\": 1e999}",
    ] {
        assert!(Bundle::from_json(text).is_err(), "{text:.40}");
    }
    // Deeper than parsed JSON can be: only a value built in code gets here.
    let mut deep = json!(1);
    for _ in 0..500 {
        deep = json!([deep]);
    }
    let bundle = with(base(), "/actions/0/value", deep);
    assert!(Bundle::from_value(&bundle).is_ok());
    let err: BundleError = Bundle::from_value(&with(bundle, "/id", json!(7))).unwrap_err();
    assert_eq!(err.path, "id");
}

#[test]
fn hostile_contexts_decide_or_fail_cleanly() {
    // Every transform and missing rule, each fed every kind of JSON value.
    let bundle = Bundle::from_value(&json!({
        "id": "h", "version": 1, "unit": "u.id",
        "actions": [{"key": "a", "value": 1}, {"key": "b", "value": 2}],
        "features": [
            {"name": "s", "source": "v", "kind": "numeric",
             "transform": {"standardize": {"mean": 1, "std": 1e-300}}, "missing": 0},
            {"name": "l", "source": "v", "kind": "numeric", "transform": "log1p", "missing": "indicator"},
            {"name": "b", "source": "v", "kind": "numeric",
             "transform": {"bucketize": {"edges": [0]}}, "missing": 1},
            {"name": "o", "source": "v", "kind": "categorical",
             "transform": {"one_hot": {"categories": ["x"]}}, "missing": "indicator"},
            {"name": "h", "source": "v", "kind": "categorical",
             "transform": {"hash": {"buckets": 3}}, "missing": "y"},
            {"name": "c", "source": "v", "kind": "categorical", "transform": "identity", "missing": 0},
            {"name": "t", "source": "v", "kind": "boolean", "transform": "identity", "missing": true}],
        "scorer": {"linear": {"weights": [vec![1e300; 12], vec![-1.0; 12]], "bias": [0, 0]}},
        "exploration": {"softmax": {"temperature": 1e-300, "floor": 0.5}}, "vectors": []
    }))
    .unwrap();
    let values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(-1e308),
        json!(5e-324),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("1e400"),
        json!("-0"),
        json!("x"),
        json!("\u{0}"),
        json!([]),
        json!([1, [2]]),
        json!({}),
        json!({"v": 1}),
    ];
    for v in &values {
        for unit in &values {
            let c = Context::from_value(json!({"v": v, "u": {"id": unit}})).unwrap();
            match bundle.decide(&c, "k", None) {
                Ok(d) => {
                    assert!(
                        d.probabilities.iter().all(|p| p.is_finite() && *p >= 0.0),
                        "{v} {unit}"
                    );
                    assert!(d.propensity > 0.0);
                }
                Err(e) => assert!(
                    matches!(
                        e,
                        DecisionError::UnitMissing
                            | DecisionError::UnitInvalid
                            | DecisionError::NonFiniteScore { .. }
                    ),
                    "{v} {unit}: {e}"
                ),
            }
            assert_eq!(bundle.features(&c).len(), 12);
        }
    }
}
