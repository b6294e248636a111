//! The worked example end to end: the SDK serves and logs a population whose best policy is
//! known, and `tandem-eval` must recover the truth — the greedy bundle's value, the best static
//! offer's value and the value of personalization — within four standard errors (a band a
//! correct estimator leaves once in 16,000 runs), and the A/B test must find the
//! personalized arm's higher click rate. The README's report is this run's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use tandem::policy::Bundle;
use tandem_eval::{analyze, Reducer, Spec};
use tandem_evaluate_example::{best_personalized_value, simulate, static_value};

#[test]
fn recovers_the_known_truth() {
    let log = simulate(20_000, 2026).unwrap();
    let spec = Spec::from_json(include_str!("../spec.json")).unwrap();
    let greedy = Bundle::from_json(include_str!("../greedy.json")).unwrap();
    let targets = vec![("greedy".to_owned(), greedy)];
    let mut reducer = Reducer::new(&spec, &targets).unwrap();
    reducer.read(log.as_bytes(), |_, _| {}).unwrap();
    let stats = reducer.finish().unwrap();
    let analysis = analyze(&spec, &stats).unwrap();
    let ope = analysis.ope.as_ref().unwrap();
    let dr = |target: &str| {
        ope.estimates
            .iter()
            .find(|e| e.target == target && e.estimator == "dr")
            .unwrap()
    };
    let within = |what: &str, value: f64, se: f64, truth: f64| {
        assert!(
            (value - truth).abs() < 4.0 * se,
            "{what}: estimate {value} ± {se}, truth {truth}"
        );
    };
    let greedy = dr("greedy");
    within("greedy", greedy.value, greedy.se, best_personalized_value());
    let bundle = dr("bundle");
    within("bundle", bundle.value, bundle.se, static_value(2));
    let p = &ope.personalization[0];
    assert_eq!(
        p.chosen_per_fold,
        vec!["bundle"; 5],
        "the best static offer, on every fold"
    );
    within(
        "value of personalization",
        p.cross_fitted.value,
        p.cross_fitted.se,
        best_personalized_value() - static_value(2),
    );
    let click = analysis
        .metrics
        .iter()
        .find(|m| m.metric == "click")
        .unwrap();
    assert!(click.passed, "the personalized arm clicks more");
}
