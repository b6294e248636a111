//! The reducer's rules on small hand-written logs, with expected sums worked out by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use tandem_eval::{ErrorKind, Reducer, Spec, Stats};

const SPEC: &str = r#"{
  "experiment": "e", "allocation": [["control", 1], ["treatment", 1]], "lateness_ms": 100,
  "metrics": [
    {"name": "buy", "event": "purchase", "aggregation": "any", "window": {"start_ms": 0, "end_ms": 1000},
     "cuped": {"lookback_ms": 500}, "direction": "higher", "kind": "success"},
    {"name": "revenue", "event": "purchase", "aggregation": "sum", "window": {"start_ms": 0, "end_ms": 1000},
     "direction": "higher", "kind": "success"},
    {"name": "orders", "event": "purchase", "aggregation": "count", "window": {"start_ms": 0, "end_ms": 1000},
     "direction": "higher", "kind": "monitor"},
    {"name": "aov", "numerator": "revenue", "denominator": "orders", "direction": "higher", "kind": "monitor"},
    {"name": "latency", "event": "latency", "aggregation": "mean", "direction": "lower", "kind": "monitor"}
  ]}"#;

fn exposure(unit: &str, variant: &str, t: i64) -> String {
    format!(
        r#"{{"type":"exposure","flag":"f","variant":"{variant}","experiment":"e","unit":"{unit}","reason":"SPLIT","timestamp":{t}}}"#
    )
}

fn track(unit: &str, name: &str, value: f64, t: i64) -> String {
    format!(r#"{{"type":"track","name":"{name}","unit":"{unit}","value":{value},"timestamp":{t}}}"#)
}

fn run(lines: &[String]) -> Result<Stats, tandem_eval::Error> {
    let spec = Spec::from_json(SPEC).unwrap();
    let mut reducer = Reducer::new(&spec, &[])?;
    for line in lines {
        reducer.line(line)?;
    }
    reducer.finish()
}

#[test]
fn windows_lookback_and_several_arms() {
    let stats = run(&[
        // u1: a pre-period purchase inside the lookback (at -400), one older (at -600).
        track("u1", "purchase", 5.0, 400),
        track("u1", "purchase", 7.0, 600),
        exposure("u1", "control", 1000),
        // u2 in two arms: dropped.
        exposure("u2", "control", 1000),
        exposure("u2", "treatment", 1001),
        track("u1", "purchase", 10.0, 1500),
        track("u1", "purchase", 20.0, 1999),
        // After the window (t0 + 1000): not counted.
        track("u1", "purchase", 40.0, 2000),
        exposure("u3", "treatment", 2000),
        track("u3", "latency", 10.0, 2100),
        track("u3", "latency", 20.0, 2200),
        // A unit never exposed.
        track("v", "purchase", 1.0, 2300),
    ])
    .unwrap();
    assert_eq!(stats.counts.units_in_several_arms, 1);
    assert_eq!((stats.arms[0].units, stats.arms[1].units), (1, 1));
    let buy = stats.metric("buy", "control").unwrap();
    // y = 1 (converted in the window), x = 1 (a purchase in the lookback).
    assert_eq!(
        (buy.n, buy.sum_y, buy.sum_x, buy.sum_xy),
        (1, 1.0, 1.0, 1.0)
    );
    assert_eq!(stats.metric("revenue", "control").unwrap().sum_y, 30.0);
    assert_eq!(stats.metric("orders", "control").unwrap().sum_y, 2.0);
    let aov = stats.metric("aov", "control").unwrap();
    assert_eq!((aov.sum_y, aov.sum_x, aov.sum_xy), (30.0, 2.0, 60.0));
    // `mean` leaves out the units without events.
    assert_eq!(stats.metric("latency", "control").unwrap().n, 0);
    let latency = stats.metric("latency", "treatment").unwrap();
    assert_eq!((latency.n, latency.sum_y), (1, 15.0));
}

#[test]
fn out_of_order_within_lateness_is_exact_and_beyond_it_an_error() {
    // The purchase arrives before the exposure it follows, 50 ms out of order: counted.
    let stats = run(&[
        track("u1", "purchase", 3.0, 1020),
        exposure("u1", "control", 1000),
        track("x", "other", 0.0, 5000),
    ])
    .unwrap();
    assert_eq!(stats.metric("revenue", "control").unwrap().sum_y, 3.0);
    // An exposure 200 ms behind the newest event (lateness 100): an error naming the line.
    let error = run(&[
        track("x", "other", 0.0, 5000),
        exposure("u1", "control", 4800),
    ])
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidEvents);
    assert!(error.message().starts_with("line 2:"), "{error}");
    assert!(!error.message().contains("u1"), "messages never echo units");
}

#[test]
fn statistics_round_trip_through_json_and_csv() {
    let stats = run(&[
        exposure("a,b", "control", 1),
        track("a,b", "purchase", 2.5, 2),
        exposure("c", "treatment", 3),
    ])
    .unwrap();
    assert_eq!(Stats::from_json(&stats.to_json()).unwrap(), stats);
    let mut from_csv = tandem_eval::csv::from_csv(&tandem_eval::csv::to_csv(&stats)).unwrap();
    from_csv.align(&Spec::from_json(SPEC).unwrap()).unwrap();
    assert_eq!(from_csv, stats);
    let mut doubled = stats.clone();
    doubled.merge(&stats).unwrap();
    assert_eq!(doubled.arms[0].units, 2);
}

#[test]
fn spec_errors_name_their_path() {
    let error = Spec::from_json(r#"{"experiment": "e", "allocation": [["a", 1], ["b", 1]],
        "metrics": [{"name": "m", "event": "x", "aggregation": "median", "direction": "higher", "kind": "success"}]}"#)
    .unwrap_err();
    assert_eq!(
        error.message(),
        "metrics[0].aggregation: expected one of any, count, sum, mean"
    );
}
