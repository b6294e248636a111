//! Policy bundles against docs/policy-bundles.md: every expected number here is computed from the
//! spec's formulas in the test itself, never copied from the core's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use tandem::policy::{canonical_digest, Bundle, DecisionError};
use tandem::Context;
use xxhash_rust::xxh3::xxh3_64;

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

/// A bundle whose scores are its biases: no features, `A` = `scores.len()`.
fn constant(scores: &[f64], exploration: Value) -> Bundle {
    let actions: Vec<Value> = (0..scores.len())
        .map(|i| json!({"key": format!("a{i}"), "value": i}))
        .collect();
    let weights: Vec<Value> = scores.iter().map(|_| json!([])).collect();
    Bundle::from_value(&json!({
        "id": "c", "version": "v1", "actions": actions, "features": [],
        "scorer": {"linear": {"weights": weights, "bias": scores}},
        "exploration": exploration, "vectors": []
    }))
    .unwrap()
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

fn close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{actual:?} vs {expected:?}");
    }
}

#[test]
fn each_transform_matches_its_formula() {
    let features = json!([
        {"name": "id", "source": "a", "kind": "numeric", "transform": "identity", "missing": 0},
        {"name": "std", "source": "b", "kind": "numeric",
         "transform": {"standardize": {"mean": 10, "std": 4}}, "missing": 10},
        {"name": "mm", "source": "c", "kind": "numeric",
         "transform": {"min_max": {"min": 0, "max": 200}}, "missing": 0},
        {"name": "log", "source": "d", "kind": "numeric", "transform": "log1p", "missing": 0},
        {"name": "clip", "source": "e", "kind": "numeric",
         "transform": {"clip": {"lo": 0, "hi": 1}}, "missing": 0.5},
        {"name": "bkt", "source": "f", "kind": "numeric",
         "transform": {"bucketize": {"edges": [0, 10, 20]}}, "missing": -5},
        {"name": "oh", "source": "g", "kind": "categorical",
         "transform": {"one_hot": {"categories": ["ios", "android", 7]}}, "missing": "none"},
        {"name": "ohb", "source": "h", "kind": "boolean",
         "transform": {"one_hot": {"categories": [true, false]}}, "missing": true},
        {"name": "hash", "source": "i", "kind": "categorical",
         "transform": {"hash": {"buckets": 8}}, "missing": "?"},
        {"name": "code", "source": "j", "kind": "categorical", "transform": "identity", "missing": -1},
        {"name": "bool", "source": "k", "kind": "boolean", "transform": "identity", "missing": false},
        {"name": "ind", "source": "user.age", "kind": "numeric", "transform": "identity",
         "missing": "indicator"}
    ]);
    let d = 5 + 4 + 3 + 2 + 8 + 2 + 2;
    let bundle = Bundle::from_value(&json!({
        "id": "t", "version": 0, "actions": [{"key": "only", "value": null}],
        "features": features,
        "scorer": {"linear": {"weights": [vec![0.0; d]], "bias": [0.0]}},
        "exploration": "greedy", "vectors": []
    }))
    .unwrap();
    assert_eq!(bundle.feature_width(), d);
    // One-hot of `n` columns with 1 at `at`.
    let hot = |n: usize, at: Option<usize>| -> Vec<f64> {
        (0..n).map(|j| f64::from(u8::from(Some(j) == at))).collect()
    };
    let hashed = |text: &str| Some((xxh3_64(text.as_bytes()) % 8) as usize);

    let present = ctx(
        json!({"a": 3.5, "b": 18, "c": "50", "d": 1.718281828459045, "e": 5,
        "f": 10, "g": 7, "h": false, "i": "SE", "j": "3", "k": true, "user": {"age": 41}}),
    );
    let scalars = vec![
        3.5,
        (18.0 - 10.0) / 4.0,
        50.0 / 200.0,
        1.718281828459045f64.ln_1p(),
        1.0,
    ];
    // 10 is not < 10, so the bucket is the one before edge 20; the integer 7 is category "7".
    let expected = [scalars, hot(4, Some(2)), hot(3, Some(2)), hot(2, Some(1))].concat();
    let expected = [expected, hot(8, hashed("SE")), vec![3.0, 1.0, 41.0, 0.0]].concat();
    close(&bundle.features(&present), &expected);

    // Past the last edge, clipped from below, an unknown category, and a top-level key
    // `user.age`, which the path `user.age` does not reach (JSON Logic `var` semantics, the one
    // path resolver of every context read): the feature is missing, its indicator is 1.
    let other = ctx(
        json!({"a": -2, "b": 10, "c": 200, "d": 0, "e": -3, "f": 25, "g": "web",
        "h": true, "i": "DE", "j": 12, "k": false, "user.age": 9}),
    );
    let expected = [
        vec![-2.0, 0.0, 1.0, 0.0, 0.0],
        hot(4, Some(3)),
        hot(3, None),
    ]
    .concat();
    let expected = [expected, hot(2, Some(0)), hot(8, hashed("DE"))].concat();
    close(
        &bundle.features(&other),
        &[expected, vec![12.0, 0.0, 0.0, 1.0]].concat(),
    );

    // Missing or unusable everywhere: each stand-in goes through its transform.
    let missing = ctx(
        json!({"a": "abc", "b": null, "c": true, "d": -1, "e": [], "f": "NaN",
        "g": 1.5, "h": "true", "i": "", "j": "x", "k": 1, "user": {"age": "old"}}),
    );
    let expected = [vec![0.0, 0.0, 0.0, 0.0, 0.5], hot(4, Some(0)), hot(3, None)].concat();
    let expected = [expected, hot(2, Some(0)), hot(8, hashed("?"))].concat();
    close(
        &bundle.features(&missing),
        &[expected, vec![-1.0, 0.0, 0.0, 1.0]].concat(),
    );

    // A transform that overflows is treated as missing.
    let overflow = Bundle::from_value(&with(
        base(),
        "/features/0/transform",
        json!({"standardize": {"mean": 0, "std": 1e-300}}),
    ))
    .unwrap();
    assert_eq!(overflow.features(&ctx(json!({"x": 1e300}))), vec![0.0]);
}

#[test]
fn linear_and_mlp_scores_match_hand_computation() {
    let two = |scorer: Value, actions: usize| {
        let actions: Vec<Value> = (0..actions)
            .map(|i| json!({"key": format!("k{i}"), "value": i}))
            .collect();
        Bundle::from_value(&json!({
            "id": "s", "version": 3, "actions": actions,
            "features": [
                {"name": "u", "source": "u", "kind": "numeric", "transform": "identity", "missing": 0},
                {"name": "v", "source": "v", "kind": "numeric", "transform": "identity", "missing": 0}],
            "scorer": scorer, "exploration": "greedy", "vectors": []
        }))
        .unwrap()
    };
    let c = ctx(json!({"u": 3, "v": -4}));
    let linear = two(
        json!({"linear": {"weights": [[1, 2], [-1, 0.5], [0, 0]], "bias": [0.5, -1, 2]}}),
        3,
    );
    close(
        &linear.raw_scores(&c).unwrap(),
        &[0.5 + 3.0 - 8.0, -1.0 - 3.0 - 2.0, 2.0],
    );

    let layers = |first: &str, second: &str| {
        json!({"mlp": {"layers": [
        {"weights": [[1, 1], [0.5, -1], [-1, 0]], "bias": [0, 1, -2], "activation": first},
        {"weights": [[1, -1, 2], [0, 1, 1]], "bias": [0.25, 0], "activation": second}]}})
    };
    // Hidden pre-activations: [3 − 4, 1.5 + 4 + 1, −3 − 2] = [−1, 6.5, −5].
    let hidden = [-1.0f64, 6.5, -5.0];
    let output = |h: [f64; 3]| [0.25 + h[0] - h[1] + 2.0 * h[2], h[1] + h[2]];
    let relu = hidden.map(|v| v.max(0.0));
    close(
        &two(layers("relu", "identity"), 2).raw_scores(&c).unwrap(),
        &output(relu),
    );
    let tanh = hidden.map(f64::tanh);
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    close(
        &two(layers("tanh", "sigmoid"), 2).raw_scores(&c).unwrap(),
        &output(tanh).map(sigmoid),
    );
    close(
        &two(layers("identity", "relu"), 2).raw_scores(&c).unwrap(),
        &output(hidden).map(|v| v.max(0.0)),
    );
}

#[test]
fn exploration_rules_follow_their_formulas() {
    let s = [1.0, 3.0, 2.0, 3.0];
    let n = s.len() as f64;
    let probabilities = |exploration: Value| {
        constant(&s, exploration)
            .decide(&Context::with_targeting_key("u"), "", None)
            .unwrap()
            .probabilities
            .into_owned()
    };
    // Greedy: the first of the tied best (index 1).
    assert_eq!(probabilities(json!("greedy")), vec![0.0, 1.0, 0.0, 0.0]);
    let eps = 0.2;
    close(
        &probabilities(json!({"epsilon_greedy": {"epsilon": eps}})),
        &[eps / n, eps / n + 1.0 - eps, eps / n, eps / n],
    );
    let (t, floor) = (0.7, 0.1);
    let z: f64 = s.iter().map(|v| (v / t).exp()).sum();
    let softmax: Vec<f64> = s
        .iter()
        .map(|v| floor / n + (1.0 - floor) * (v / t).exp() / z)
        .collect();
    close(
        &probabilities(json!({"softmax": {"temperature": t, "floor": floor}})),
        &softmax,
    );
    close(
        &probabilities(json!({"softmax": {"temperature": t}})),
        &s.map(|v| (v / t).exp() / z),
    );
}

#[test]
fn igw_is_the_design_formula() {
    let s = [0.5, 2.0, 1.0, 1.9, -3.0];
    let n = s.len() as f64;
    for (gamma, floor) in [
        (10.0, 0.0),
        (10.0, 0.5),
        (0.0, 0.0),
        (1000.0, 0.05),
        (3.0, 1.0),
    ] {
        let best = 1;
        let mut expected: Vec<f64> = s
            .iter()
            .map(|v| (1.0 / (n + gamma * (s[best] - v))).max(floor / n))
            .collect();
        expected[best] = 1.0
            - expected
                .iter()
                .enumerate()
                .filter(|(a, _)| *a != best)
                .map(|(_, p)| p)
                .sum::<f64>();
        let bundle = constant(&s, json!({"igw": {"gamma": gamma, "floor": floor}}));
        let unit = Context::with_targeting_key("u");
        let decision = bundle.decide(&unit, "", None).unwrap();
        close(&decision.probabilities, &expected);
        assert!(decision.probabilities.iter().all(|p| *p > 0.0));
    }
}

#[test]
fn eligible_actions_run_the_rule_over_themselves() {
    let s = [5.0, 1.0, 3.0, 2.0];
    let bundle = constant(&s, json!({"igw": {"gamma": 4.0, "floor": 0.0}}));
    let c = Context::with_targeting_key("u");
    // Best eligible is a2; A = 2.
    let d = bundle.decide(&c, "", Some(&["a3", "a2", "a3"])).unwrap();
    let p3 = 1.0 / (2.0 + 4.0 * (3.0 - 2.0));
    close(&d.probabilities, &[0.0, 0.0, 1.0 - p3, p3]);
    assert!(d.action == "a2" || d.action == "a3");
    assert_eq!(d.optimality_gap, 3.0 - s[d.action_index]);
    let greedy = constant(&s, json!("greedy"));
    let d = greedy.decide(&c, "", Some(&["a1", "a3"])).unwrap();
    assert_eq!(
        (d.probabilities.to_vec(), d.action, d.optimality_gap),
        (vec![0.0, 0.0, 0.0, 1.0], "a3", 0.0)
    );
    let softmax = constant(&s, json!({"softmax": {"temperature": 1.0, "floor": 0.2}}));
    let d = softmax.decide(&c, "", Some(&["a0", "a1"])).unwrap();
    let z = 5f64.exp() + 1f64.exp();
    close(
        &d.probabilities,
        &[
            0.1 + 0.8 * 5f64.exp() / z,
            0.1 + 0.8 * 1f64.exp() / z,
            0.0,
            0.0,
        ],
    );
    assert_eq!(
        bundle.decide(&c, "", Some(&["a1", "zz"])).unwrap_err(),
        DecisionError::UnknownAction { index: 1 }
    );
    assert_eq!(
        bundle.decide(&c, "", Some(&[])).unwrap_err(),
        DecisionError::NoEligibleAction
    );
}

#[test]
fn digest_round_trips_and_catches_changes() {
    let mut bundle = base();
    let digest = canonical_digest(&bundle);
    assert_eq!(Bundle::from_value(&bundle).unwrap().digest(), digest);
    bundle["digest"] = json!(digest);
    let loaded = Bundle::from_value(&bundle).unwrap();
    assert_eq!(loaded.digest(), digest);
    // Key order and whitespace are not content.
    let pretty = serde_json::to_string_pretty(&json!({"vectors": [], "digest": digest, "scorer": bundle["scorer"],
        "version": 1, "id": "p", "exploration": bundle["exploration"], "features": bundle["features"], "actions": bundle["actions"]})).unwrap();
    assert_eq!(Bundle::from_json(&pretty).unwrap().digest(), digest);
    bundle["scorer"]["linear"]["weights"][1][0] = json!(-1.5);
    let err = Bundle::from_value(&bundle).unwrap_err();
    assert_eq!(err.path, "digest");
    assert!(err.message.contains(&canonical_digest(&bundle)), "{err}");
}

#[test]
fn self_check_vectors_accept_and_reject() {
    let vectors = |p: f64| json!([{"context": {"x": 2}, "probabilities": [1.0, 0.0]}, {"context": {"x": -2}, "probabilities": [p, 1.0 - p]}]);
    let eps = with(
        base(),
        "/exploration",
        json!({"epsilon_greedy": {"epsilon": 0.5}}),
    );
    assert!(Bundle::from_value(&with(eps.clone(), "/vectors", vectors(0.25))).is_err());
    let ok = with(
        with(
            base(),
            "/exploration",
            json!({"epsilon_greedy": {"epsilon": 0.5}}),
        ),
        "/vectors",
        json!([{"context": {"x": 2}, "probabilities": [0.75, 0.25]}, {"context": {"x": -2}, "probabilities": [0.25 + 5e-10, 0.75]}]),
    );
    assert!(Bundle::from_value(&ok).is_ok());
    let err = Bundle::from_value(&with(
        eps,
        "/vectors",
        json!([{"context": {}, "probabilities": [0.75, 0.25]},
        {"context": {"x": -2}, "probabilities": [0.25 + 1e-6, 0.75]}]),
    ))
    .unwrap_err();
    assert_eq!(err.path, "vectors[1].probabilities[0]");
    assert!(err.message.contains("self-check vector 1"), "{err}");
}

#[test]
fn the_draw_is_the_normative_policy_draw() {
    let bundle = constant(&[1.0, 1.2, 0.8], json!({"softmax": {"temperature": 0.5}}));
    let salted = {
        let mut b = with(base(), "/salt", json!("custom"));
        b["exploration"] = json!({"epsilon_greedy": {"epsilon": 1.0}});
        Bundle::from_value(&b).unwrap()
    };
    for i in 0..200 {
        let unit = format!("u{i}");
        let key = if i % 2 == 0 {
            String::new()
        } else {
            format!("req-{i}")
        };
        let c = Context::with_targeting_key(&unit);
        for (b, salt) in [(&bundle, "policy/c"), (&salted, "custom")] {
            let d = b.decide(&c, &key, None).unwrap();
            let h = xxh3_64(format!("{salt}\0{unit}\0{key}").as_bytes());
            let u = (h >> 11) as f64 / 2f64.powi(53);
            assert_eq!(d.draw, u);
            let mut cumulative = 0.0;
            let chosen = d
                .probabilities
                .iter()
                .position(|p| {
                    cumulative += p;
                    u < cumulative
                })
                .unwrap();
            assert_eq!(d.action_index, chosen);
            assert_eq!(d.propensity, d.probabilities[chosen]);
            assert_eq!(
                (d.unit.as_ref(), d.decision_key, d.policy_id),
                (unit.as_str(), key.as_str(), b.id())
            );
        }
    }
}

#[test]
fn decisions_serialize_in_camel_case_with_the_bundle_identity() {
    let bundle = Bundle::from_value(&with(
        base(),
        "/exploration",
        json!({"epsilon_greedy": {"epsilon": 0.5}}),
    ))
    .unwrap();
    assert_eq!(
        (
            bundle.id(),
            bundle.version(),
            bundle.salt(),
            bundle.actions().len()
        ),
        ("p", "1", "policy/p", 2)
    );
    let c = ctx(json!({"targetingKey": "u1", "x": -3}));
    let d = bundle.decide(&c, "k", None).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["policyId"], "p");
    assert_eq!(json["version"], "1");
    assert_eq!(json["digest"], bundle.digest());
    assert_eq!(json["decisionKey"], "k");
    assert_eq!(json["scores"], json!([-3.0, 3.0]));
    assert_eq!(json["probabilities"], json!([0.25, 0.75]));
    assert_eq!(
        json["value"],
        bundle.actions()[d.action_index].value().clone()
    );
    assert_eq!(
        json["optimalityGap"],
        json!(if d.action_index == 1 { 0.0 } else { 6.0 })
    );
    for key in ["unit", "draw", "action", "actionIndex", "propensity"] {
        assert!(json.get(key).is_some(), "{key}");
    }
}

#[test]
fn trees_bundles_route_missing_values_and_apply_the_link() {
    let bundle = with(
        base(),
        "/scorer",
        json!({"trees": {"source": "lightgbm", "base_score": [0.5, 0.0], "link": "sigmoid",
        "trees": [{"output": 0, "nodes": [
            {"feature": 0, "threshold": 1.0, "left": 1, "right": 2, "default_left": false, "missing": "nan"},
            {"leaf": -1.0}, {"leaf": 2.0}]}]}}),
    );
    let bundle = Bundle::from_value(&with(bundle, "/features/0/missing", Value::Null)).unwrap();
    assert!(bundle.features(&ctx(json!({})))[0].is_nan());
    let margins = |c: Value| bundle.raw_scores(&ctx(c)).unwrap();
    assert_eq!(margins(json!({"x": 1.0})), vec![-0.5, 0.0]);
    assert_eq!(margins(json!({})), vec![2.5, 0.0]);
    let c = ctx(json!({"targetingKey": "u", "x": 0}));
    let d = bundle.decide(&c, "", None).unwrap();
    close(&d.scores, &[1.0 / (1.0 + 0.5f64.exp()), 0.5]);
    assert_eq!(d.action, "b");
}

#[test]
fn bundles_and_decisions_cross_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Bundle>();
    shared::<tandem::policy::Decision<'static>>();
    shared::<tandem::policy::BundleError>();
    shared::<DecisionError>();
}

/// docs/policy-bundles.md: restricting the eligible actions changes the probabilities (0 for
/// the ineligible ones), never the scores — an ineligible action keeps its real score.
#[test]
fn ineligible_actions_keep_their_real_scores() {
    let scores = [0.5, 2.0, -1.0, 3.0];
    let bundle = constant(&scores, json!("greedy"));
    let ctx = Context::with_targeting_key("u");
    let d = bundle.decide(&ctx, "", Some(&["a0", "a2"])).unwrap();
    assert_eq!(d.scores[..], scores);
    assert_eq!(d.probabilities[..], [1.0, 0.0, 0.0, 0.0]);
    assert_eq!(d.optimality_gap, 0.0);
}
