//! Statistical properties of policy decisions (DESIGN §4, §5) over the deterministic units
//! `u0 … u199999`: for one fixed context, the empirical frequency of each action matches the
//! probabilities the decision logged (chi-square goodness of fit, p > 0.001), and every logged
//! propensity is exactly the probability of the chosen action.
//!
//! The units are fixed, so each test is deterministic: a failure means the draw or the walk is
//! biased, not bad luck (a fair draw fails a p > 0.001 test with probability 0.1 %).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use tandem::policy::Bundle;
use tandem::Context;

const UNITS: usize = 200_000;
/// Reject at p < 0.001.
const ALPHA: f64 = 0.001;

/// Five actions scored by a linear model of two features; `exploration` varies.
fn bundle(exploration: Value) -> Bundle {
    let actions: Vec<Value> = ["red", "green", "blue", "cyan", "plum"]
        .iter()
        .map(|k| json!({"key": k, "value": k}))
        .collect();
    Bundle::from_value(&json!({
        "id": "stats", "version": 1, "actions": actions,
        "features": [
            {"name": "age", "source": "age", "kind": "numeric",
             "transform": {"standardize": {"mean": 40, "std": 10}}, "missing": 40},
            {"name": "platform", "source": "platform", "kind": "categorical",
             "transform": {"one_hot": {"categories": ["ios", "android"]}}, "missing": "indicator"}],
        "scorer": {"linear": {
            "weights": [[0.5, 0.2, 0.0, 0.0], [0.1, 0.0, 0.3, 0.0], [-0.2, 0.1, 0.1, 0.2],
                        [0.0, 0.0, 0.0, 0.0], [0.3, -0.4, 0.2, 0.1]],
            "bias": [0.1, 0.2, 0.15, 0.25, 0.0]}},
        "exploration": exploration, "vectors": []
    }))
    .unwrap()
}

/// Decides for every unit with one context; returns the action counts and the probabilities,
/// after checking that every decision logged the same probabilities and its own propensity.
fn run(bundle: &Bundle, eligible: Option<&[&str]>) -> (Vec<u64>, Vec<f64>) {
    let mut ctx = Context::from_value(json!({"age": 31, "platform": "android"})).unwrap();
    let mut counts = vec![0u64; bundle.actions().len()];
    let mut logged: Option<Vec<f64>> = None;
    for i in 0..UNITS {
        ctx.set_str("targetingKey", &format!("u{i}"));
        let decision = bundle.decide(&ctx, "", eligible).unwrap();
        counts[decision.action_index] += 1;
        assert_eq!(
            decision.propensity.to_bits(),
            decision.probabilities[decision.action_index].to_bits(),
            "unit u{i}: the propensity is not the chosen action's probability"
        );
        assert!(
            decision.propensity > 0.0,
            "unit u{i}: chose an action of probability 0"
        );
        match &logged {
            None => logged = Some(decision.probabilities.to_vec()),
            Some(p) => assert_eq!(
                p[..],
                decision.probabilities[..],
                "unit u{i}: probabilities vary"
            ),
        }
    }
    (counts, logged.unwrap())
}

/// Pearson's goodness of fit of `observed` to `probabilities`, over the actions of positive
/// probability: (statistic, degrees of freedom, p).
fn goodness_of_fit(observed: &[u64], probabilities: &[f64]) -> (f64, usize, f64) {
    let n: u64 = observed.iter().sum();
    let mut statistic = 0.0;
    let mut cells = 0;
    for (&o, &p) in observed.iter().zip(probabilities) {
        if p == 0.0 {
            assert_eq!(o, 0, "an action of probability 0 was chosen");
            continue;
        }
        let expected = n as f64 * p;
        statistic += (o as f64 - expected).powi(2) / expected;
        cells += 1;
    }
    let df = cells - 1;
    let p = ChiSquared::new(df as f64).unwrap().sf(statistic);
    (statistic, df, p)
}

fn check(name: &str, exploration: Value, eligible: Option<&[&str]>) {
    let bundle = bundle(exploration);
    let (counts, probabilities) = run(&bundle, eligible);
    let (statistic, df, p) = goodness_of_fit(&counts, &probabilities);
    // Shown with --nocapture: the numbers behind the verdict.
    println!(
        "{name}: chi2 = {statistic:.3}, df = {df}, p = {p:.4}; counts {counts:?}; \
         probabilities {probabilities:.4?}"
    );
    assert!(
        p > ALPHA,
        "{name}: frequencies {counts:?} do not fit {probabilities:?} (p = {p})"
    );
}

#[test]
fn greedy_always_chooses_the_best_action() {
    let bundle = bundle(json!("greedy"));
    let (counts, probabilities) = run(&bundle, None);
    let best = probabilities.iter().position(|&p| p == 1.0).unwrap();
    assert_eq!(counts[best], UNITS as u64);
    assert_eq!(probabilities.iter().sum::<f64>(), 1.0);
}

#[test]
fn epsilon_greedy_frequencies_match_the_logged_probabilities() {
    check(
        "epsilon_greedy",
        json!({"epsilon_greedy": {"epsilon": 0.3}}),
        None,
    );
}

#[test]
fn softmax_frequencies_match_the_logged_probabilities() {
    check(
        "softmax",
        json!({"softmax": {"temperature": 0.1, "floor": 0.05}}),
        None,
    );
}

#[test]
fn igw_frequencies_match_the_logged_probabilities() {
    check("igw", json!({"igw": {"gamma": 20, "floor": 0.1}}), None);
}

#[test]
fn restricted_frequencies_match_the_renormalised_probabilities() {
    check(
        "igw, eligible green/cyan/plum",
        json!({"igw": {"gamma": 20, "floor": 0.0}}),
        Some(&["green", "cyan", "plum"]),
    );
    check(
        "softmax, eligible red/blue",
        json!({"softmax": {"temperature": 0.2}}),
        Some(&["red", "blue"]),
    );
}
