//! The bench's correctness check as tests: every engine against Tandem on the shared
//! workloads, and proof that the check catches an engine that serves other values or splits in
//! other proportions.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "the bench's modules are shared whole and the tests use part of them; a test \
              helper stops at the first failure"
)]

#[path = "../benches/check.rs"]
mod check;
#[path = "../benches/engines/mod.rs"]
mod engines;

use serde_json::Value;
use tandem_bench_peers::flagd::Document;
use tandem_bench_peers::workloads::Workloads;

use engines::datalogic::{Datalogic, TandemRule};
use engines::eppo::Eppo;
use engines::growthbook::GrowthBook;
use engines::tandem::{Tandem, TandemExperiment};
use engines::unleash::Unleash;
use engines::{build, Engine};

fn workloads() -> (Workloads, Value) {
    let w = Workloads::load().expect("../shared/bench beside the repository");
    let static_json = serde_json::from_str(&w.static_context).unwrap();
    (w, static_json)
}

fn single_flags<E: Engine>(name: &str) {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w1_w3).unwrap();
    let tandem: Tandem = build(&w.w1_w3).unwrap();
    check::tandem_by_hand(&tandem, &static_json).unwrap();
    let engine: E = build(&w.w1_w3).unwrap();
    check::single_flags(name, &engine, &tandem, &doc, &static_json).unwrap();
}

fn all_flags<E: Engine>(name: &str) {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w4).unwrap();
    let tandem: Tandem = build(&w.w4).unwrap();
    let engine: E = build(&w.w4).unwrap();
    check::all_flags(name, &engine, &tandem, &doc, &static_json, 50).unwrap();
}

fn thousand_flags<E: Engine>(name: &str) {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w5).unwrap();
    assert_eq!(doc.flags.len(), 1000);
    let tandem: Tandem = build(&w.w5).unwrap();
    let engine: E = build(&w.w5).unwrap();
    check::loaded(name, &engine, &tandem, &doc, &static_json).unwrap();
}

#[test]
fn unleash_agrees_with_tandem() {
    single_flags::<Unleash>("unleash");
    all_flags::<Unleash>("unleash");
    thousand_flags::<Unleash>("unleash");
}

#[test]
fn eppo_agrees_with_tandem() {
    single_flags::<Eppo>("eppo");
    all_flags::<Eppo>("eppo");
    thousand_flags::<Eppo>("eppo");
}

#[test]
fn growthbook_agrees_with_tandem() {
    single_flags::<GrowthBook>("growthbook");
    all_flags::<GrowthBook>("growthbook");
    thousand_flags::<GrowthBook>("growthbook");
}

#[test]
fn tandem_experiment_splits_like_the_fractional_flag() {
    single_flags::<TandemExperiment>("tandem-experiment");
}

#[test]
fn the_rule_alone_agrees_with_the_flag() {
    let (w, static_json) = workloads();
    let doc: Value = serde_json::from_str(&w.w1_w3).unwrap();
    let rule = &doc["flags"]["w2-targeted"]["targeting"];
    let tandem: Tandem = build(&w.w1_w3).unwrap();
    check::rule_alone(
        &Datalogic::compile(rule).unwrap(),
        &TandemRule::compile(rule, "w2-targeted").unwrap(),
        &tandem,
        &w.static_context,
        &static_json,
    )
    .unwrap();
}

#[test]
fn the_check_catches_a_different_threshold() {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w1_w3).unwrap();
    let tandem: Tandem = build(&w.w1_w3).unwrap();
    // W2 at 19 instead of 18: fresh context 8 (age 18, SE) tells them apart.
    let shifted = w.w1_w3.replacen("18\n", "19\n", 1);
    assert_ne!(shifted, w.w1_w3);
    let engine: Eppo = build(&shifted).unwrap();
    let error = check::single_flags("eppo", &engine, &tandem, &doc, &static_json).unwrap_err();
    assert!(error.contains("w2-targeted"), "{error}");
}

#[test]
fn the_check_catches_skewed_proportions() {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w1_w3).unwrap();
    let tandem: Tandem = build(&w.w1_w3).unwrap();
    let text: Value = serde_json::from_str(&w.w1_w3).unwrap();
    let mut skewed = text.clone();
    skewed["flags"]["w3-split"]["targeting"]["fractional"] =
        serde_json::json!([["a", 38], ["b", 31], ["c", 31]]);
    let engine: GrowthBook = build(&skewed.to_string()).unwrap();
    let error =
        check::single_flags("growthbook", &engine, &tandem, &doc, &static_json).unwrap_err();
    assert!(error.contains("w3-split arm a"), "{error}");
}

#[test]
fn the_check_catches_a_wrong_value_in_evaluate_all() {
    let (w, static_json) = workloads();
    let doc = Document::parse(&w.w4).unwrap();
    let tandem: Tandem = build(&w.w4).unwrap();
    let mut text: Value = serde_json::from_str(&w.w4).unwrap();
    // A static flag served off instead of on.
    text["flags"]["w4-f000"]["defaultVariant"] = "off".into();
    let engine: Unleash = build(&text.to_string()).unwrap();
    let error = check::all_flags("unleash", &engine, &tandem, &doc, &static_json, 5).unwrap_err();
    assert!(error.contains("w4-f000"), "{error}");
}
