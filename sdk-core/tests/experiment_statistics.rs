//! Statistical properties of experiment assignment (DESIGN §4) over the deterministic units
//! `u0 … u999999`, end to end through `Client`:
//! - allocation shares match the weights (chi-square goodness of fit, p > 0.001);
//! - no unit is in two experiments of one layer, and layer occupancy matches the ranges;
//! - assignments in two different layers are independent (chi-square on the cross table);
//! - the variant does not depend on the layer slice (layer and allocation salts differ);
//! - a 2.5 % holdout holds 2.5 % ± 0.1 % of units.
//!
//! The units are fixed, so each test is deterministic: a failure means the hash or the way it is
//! scaled is biased, not bad luck (the chance a fair hash fails a p > 0.001 test is 0.1 %).
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use serde_json::{json, Value};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use tandem::{Capacities, Client, Context, Event, FixedClock, Reason};

const UNITS: usize = 1_000_000;
/// Reject at p < 0.001.
const ALPHA: f64 = 0.001;

/// The upper tail `P(X ≥ statistic)` of a chi-square distribution with `df` degrees of freedom.
fn p_value(statistic: f64, df: usize) -> f64 {
    ChiSquared::new(df as f64).unwrap().sf(statistic)
}

/// Pearson's goodness of fit of `observed` counts to `weights`: (statistic, df, p).
fn goodness_of_fit(observed: &[u64], weights: &[u64]) -> (f64, usize, f64) {
    let n: u64 = observed.iter().sum();
    let w: u64 = weights.iter().sum();
    let statistic: f64 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &wi)| {
            let expected = n as f64 * wi as f64 / w as f64;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let df = observed.len() - 1;
    (statistic, df, p_value(statistic, df))
}

/// Pearson's test of independence on a contingency table: (statistic, df, p). Empty rows and
/// columns (a category that cannot occur, e.g. "outside" of a 100 % experiment) are dropped.
fn independence(table: &[Vec<u64>]) -> (f64, usize, f64) {
    let keep_cols: Vec<usize> = (0..table[0].len())
        .filter(|&j| table.iter().any(|r| r[j] > 0))
        .collect();
    let table: Vec<Vec<u64>> = table
        .iter()
        .filter(|r| r.iter().any(|&o| o > 0))
        .map(|r| keep_cols.iter().map(|&j| r[j]).collect())
        .collect();
    let rows: Vec<u64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..table[0].len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let n: u64 = rows.iter().sum();
    let mut statistic = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &o) in row.iter().enumerate() {
            let expected = rows[i] as f64 * cols[j] as f64 / n as f64;
            statistic += (o as f64 - expected).powi(2) / expected;
        }
    }
    let df = (rows.len() - 1) * (cols.len() - 1);
    (statistic, df, p_value(statistic, df))
}

fn variant_values(names: &[&str]) -> Value {
    Value::Object(names.iter().map(|n| ((*n).to_owned(), json!(n))).collect())
}

fn flag(names: &[&str]) -> Value {
    json!({"state": "ENABLED", "variants": variant_values(names), "defaultVariant": names[0]})
}

/// Four experiments:
/// - `checkout` (DESIGN §2): layer `checkout` `[0, 5000)`, 34/33/33, under a 2.5 % holdout;
/// - `banner` in the same layer, `[5000, 9000)`, 1/1;
/// - `search` in layer `search` `[2000, 8000)`, 1/2/1;
/// - `onboarding` with no layer and traffic 100, 3/1, under the same holdout.
fn config() -> String {
    json!({
        "revision": "stats",
        "flags": {
            "checkout": flag(&["control", "cb-v1", "cb-v2"]),
            "banner": flag(&["off", "on"]),
            "search": flag(&["classic", "semantic", "hybrid"]),
            "onboarding": flag(&["short", "long"])
        },
        "experiments": {
            "checkout-personalization": {"flag": "checkout", "status": "running",
                "layer": "checkout",
                "allocation": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]]},
            "banner-test": {"flag": "banner", "status": "running", "layer": "checkout",
                "allocation": [["off", 1], ["on", 1]]},
            "search-test": {"flag": "search", "status": "running", "layer": "search",
                "allocation": [["classic", 1], ["semantic", 2], ["hybrid", 1]]},
            "onboarding-test": {"flag": "onboarding", "status": "running",
                "allocation": [["short", 3], ["long", 1]]}
        },
        "layers": {
            "checkout": {"ranges": {"checkout-personalization": [[0, 5000]],
                                    "banner-test": [[5000, 9000]]}},
            "search": {"ranges": {"search-test": [[2000, 8000]]}}
        },
        "holdouts": {"q4-global": {"percent": 2.5,
                                   "experiments": ["checkout-personalization", "onboarding-test"]}}
    })
    .to_string()
}

/// What one flag gave one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Outcome {
    /// No experiment applied (the flag's default, reason DEFAULT).
    Outside,
    /// Held out by a holdout (default variant, reason DEFAULT, still an exposure).
    HeldOut,
    /// Split into the variant with this index of the flag's allocation.
    Arm(usize),
}

/// Every unit's outcome on each flag, evaluated through the client, plus the exposures logged.
struct Run {
    /// `outcomes[flag][unit]`.
    outcomes: HashMap<&'static str, Vec<Outcome>>,
    exposures: u64,
}

const FLAGS: [(&str, &str, &[&str]); 4] = [
    (
        "checkout",
        "checkout-personalization",
        &["control", "cb-v1", "cb-v2"],
    ),
    ("banner", "banner-test", &["off", "on"]),
    ("search", "search-test", &["classic", "semantic", "hybrid"]),
    ("onboarding", "onboarding-test", &["short", "long"]),
];

/// Evaluates every flag for `u0 … u{n-1}` through one client, draining events as a host would.
fn run(n: usize) -> Run {
    let client = Client::from_json(&config(), FixedClock::at_unix_seconds(1_795_000_000), 7)
        .unwrap()
        .with_capacities(Capacities {
            events: 10_000,
            exposure_dedup: 1_000,
            sticky: 1,
        });
    assert!(
        client.snapshot().config().unwrap().is_valid(),
        "{:?}",
        client.snapshot().diagnostics()
    );
    let mut outcomes: HashMap<&'static str, Vec<Outcome>> = FLAGS
        .iter()
        .map(|&(flag, _, _)| (flag, Vec::with_capacity(n)))
        .collect();
    let mut exposures = 0;
    let mut ctx = Context::new();
    for i in 0..n {
        ctx.set_str("targetingKey", &format!("u{i}"));
        for &(flag, experiment, arms) in &FLAGS {
            let details = client.get_string(flag, &ctx, "fallback");
            assert_eq!(details.error_code, None, "{details:?}");
            let outcome = match (&details.reason, details.experiment()) {
                (Reason::Split, Some(e)) => {
                    assert_eq!(e.key, experiment);
                    assert_eq!(e.holdout, None);
                    Outcome::Arm(
                        arms.iter()
                            .position(|a| Some(*a) == details.variant())
                            .unwrap(),
                    )
                }
                (Reason::Default, Some(e)) => {
                    assert_eq!(e.key, experiment);
                    assert_eq!(e.holdout, Some("q4-global"));
                    assert_eq!(
                        details.variant(),
                        Some(arms[0]),
                        "held out: the default variant"
                    );
                    Outcome::HeldOut
                }
                (Reason::Default, None) => {
                    assert_eq!(details.variant(), Some(arms[0]));
                    Outcome::Outside
                }
                other => panic!("unexpected {other:?}"),
            };
            outcomes.get_mut(flag).unwrap().push(outcome);
        }
        if i % 1_000 == 999 {
            exposures += count_exposures(&client);
        }
    }
    exposures += count_exposures(&client);
    assert_eq!(client.stats().dropped, 0);
    Run {
        outcomes,
        exposures,
    }
}

fn count_exposures(client: &Client) -> u64 {
    client
        .drain_events()
        .iter()
        .filter(|e| matches!(e, Event::Exposure(_)))
        .count() as u64
}

fn arm_counts(outcomes: &[Outcome], arms: usize) -> Vec<u64> {
    let mut counts = vec![0; arms];
    for o in outcomes {
        if let Outcome::Arm(a) = o {
            counts[*a] += 1;
        }
    }
    counts
}

fn count(outcomes: &[Outcome], which: Outcome) -> u64 {
    outcomes.iter().filter(|&&o| o == which).count() as u64
}

/// One run shared by the tests (1M units × 4 flags through the client).
fn shared() -> &'static Run {
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run(UNITS))
}

#[test]
fn allocation_shares_match_the_weights() {
    let run = shared();
    for (flag, weights) in [
        ("checkout", vec![34, 33, 33]),
        ("banner", vec![1, 1]),
        ("search", vec![1, 2, 1]),
        ("onboarding", vec![3, 1]),
    ] {
        let counts = arm_counts(&run.outcomes[flag], weights.len());
        let (statistic, df, p) = goodness_of_fit(&counts, &weights);
        println!("allocation {flag}: counts {counts:?} vs weights {weights:?}: chi2 = {statistic:.3}, df = {df}, p = {p:.4}");
        assert!(p > ALPHA, "{flag}: {counts:?} vs {weights:?}: p = {p}");
    }
}

#[test]
fn layer_occupancy_matches_the_ranges_and_no_unit_is_in_two_experiments_of_a_layer() {
    let run = shared();
    let checkout = &run.outcomes["checkout"];
    let banner = &run.outcomes["banner"];
    let mut table = [0u64; 3]; // checkout, banner, neither
    for (c, b) in checkout.iter().zip(banner) {
        match (*c != Outcome::Outside, *b != Outcome::Outside) {
            (true, true) => panic!("a unit is in two experiments of layer checkout"),
            (true, false) => table[0] += 1,
            (false, true) => table[1] += 1,
            (false, false) => table[2] += 1,
        }
    }
    let (statistic, df, p) = goodness_of_fit(&table, &[5000, 4000, 1000]);
    println!("layer checkout occupancy {table:?} vs [5000, 4000, 1000]: chi2 = {statistic:.3}, df = {df}, p = {p:.4}");
    assert!(p > ALPHA, "{table:?}: p = {p}");

    let search = &run.outcomes["search"];
    let inside = UNITS as u64 - count(search, Outcome::Outside);
    let (statistic, df, p) = goodness_of_fit(&[inside, UNITS as u64 - inside], &[6000, 4000]);
    println!("layer search occupancy {inside} of {UNITS} vs 60 %: chi2 = {statistic:.3}, df = {df}, p = {p:.4}");
    assert!(p > ALPHA);
    // Every unit of an implicit layer with traffic 100 is in its experiment.
    assert_eq!(count(&run.outcomes["onboarding"], Outcome::Outside), 0);
}

/// A row index per outcome: outside, then each arm; `None` for a held-out unit.
fn category(outcome: Outcome) -> Option<usize> {
    match outcome {
        Outcome::Outside => Some(0),
        Outcome::Arm(a) => Some(a + 1),
        Outcome::HeldOut => None,
    }
}

/// The cross table of two flags' outcomes. Units held out of either are left out: one holdout
/// holds the same units out of every experiment it covers, by design, so it ties them.
fn cross_table(a: &[Outcome], a_arms: usize, b: &[Outcome], b_arms: usize) -> Vec<Vec<u64>> {
    let mut table = vec![vec![0u64; b_arms + 1]; a_arms + 1];
    for (x, y) in a.iter().zip(b) {
        if let (Some(i), Some(j)) = (category(*x), category(*y)) {
            table[i][j] += 1;
        }
    }
    table
}

#[test]
fn assignments_in_different_layers_are_independent() {
    let run = shared();
    let pairs = [
        ("checkout", 3, "search", 3),
        ("banner", 2, "search", 3),
        ("checkout", 3, "onboarding", 2),
        ("search", 3, "onboarding", 2),
    ];
    for (a, a_arms, b, b_arms) in pairs {
        let table = cross_table(&run.outcomes[a], a_arms, &run.outcomes[b], b_arms);
        let (statistic, df, p) = independence(&table);
        println!("independence {a} x {b}: {table:?}: chi2 = {statistic:.3}, df = {df}, p = {p:.4}");
        assert!(p > ALPHA, "{a} x {b}: {table:?}: p = {p}");
    }
}

#[test]
fn the_variant_does_not_depend_on_where_in_the_layer_the_unit_is() {
    // Layer and allocation salts differ (§4), so within `checkout-personalization` the arm must
    // be independent of which half of its range `[0, 2500)` / `[2500, 5000)` the unit hashed to.
    // The half is recomputed here from the §4 formula (XXH3 of "layer/checkout" 0x00 unit).
    let run = shared();
    let mut table = vec![vec![0u64; 3]; 2];
    for (i, outcome) in run.outcomes["checkout"].iter().enumerate() {
        if let Outcome::Arm(a) = outcome {
            let unit = format!("u{i}");
            let h = xxhash_rust::xxh3::xxh3_64(format!("layer/checkout\0{unit}").as_bytes());
            let bucket = (u128::from(h) * 10_000) >> 64;
            assert!(
                bucket < 5000,
                "a split unit is inside the experiment's range"
            );
            table[usize::from(bucket >= 2500)][*a] += 1;
        }
    }
    let (statistic, df, p) = independence(&table);
    println!("arm x layer half: {table:?}: chi2 = {statistic:.3}, df = {df}, p = {p:.4}");
    assert!(p > ALPHA, "{table:?}: p = {p}");
}

#[test]
fn a_two_and_a_half_percent_holdout_holds_two_and_a_half_percent() {
    let run = shared();
    for flag in ["onboarding", "checkout"] {
        let outcomes = &run.outcomes[flag];
        let held = count(outcomes, Outcome::HeldOut);
        let eligible = UNITS as u64 - count(outcomes, Outcome::Outside);
        let share = held as f64 / eligible as f64;
        println!(
            "holdout q4-global on {flag}: {held} of {eligible} eligible units = {:.4} %",
            share * 100.0
        );
        assert!((share - 0.025).abs() <= 0.001, "{flag}: {share}");
    }
    // One holdout holds the same units out of every experiment it covers.
    let onboarding = &run.outcomes["onboarding"];
    for (c, o) in run.outcomes["checkout"].iter().zip(onboarding) {
        if *c != Outcome::Outside {
            assert_eq!(*c == Outcome::HeldOut, *o == Outcome::HeldOut);
        }
    }
    // It covers only the experiments it names.
    for flag in ["banner", "search"] {
        assert_eq!(count(&run.outcomes[flag], Outcome::HeldOut), 0, "{flag}");
    }
}

#[test]
fn every_unit_in_an_experiment_is_exposed_exactly_once_per_experiment() {
    let run = shared();
    let expected: u64 = FLAGS
        .iter()
        .map(|(flag, _, _)| UNITS as u64 - count(&run.outcomes[flag], Outcome::Outside))
        .sum();
    assert_eq!(run.exposures, expected);
}
