//! Targeting evaluation cost (DESIGN §8: a JSON Logic flag in at most 150 ns in total).
//!
//! Run with `cargo bench -p tandem --bench targeting`; criterion prints the median time per
//! evaluation and keeps its reports under `target/criterion`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use tandem::targeting::{CompileOptions, Env, Rule};

/// A realistic evaluation context: ten attributes.
fn context(email: &str) -> Value {
    json!({
        "targetingKey": "user-4711",
        "email": email,
        "country": "SE",
        "plan": "pro",
        "app_version": "4.12.1",
        "device": "ios",
        "age": 37,
        "beta": false,
        "signup_ts": 1_700_000_000,
        "locale": "sv-SE"
    })
}

fn compile(rule: Value) -> Rule {
    Rule::compile(&rule, &CompileOptions::default())
        .unwrap()
        .rule
}

fn bench(c: &mut Criterion) {
    let env = Env {
        flag_key: "checkout-button",
        timestamp: 1_764_000_000,
    };
    let cases = [
        (
            "design_rule_match",
            json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}),
            context("qa@example.com"),
        ),
        (
            "design_rule_miss",
            json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}),
            context("someone@example.org"),
        ),
        (
            "fractional_implicit_key",
            json!({"fractional": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]]}),
            context("someone@example.org"),
        ),
        (
            "fractional_cat_key",
            json!({"fractional": [
                {"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]},
                ["control", 34], ["cb-v1", 33], ["cb-v2", 33]
            ]}),
            context("someone@example.org"),
        ),
        (
            "sem_ver_and_starts_with",
            json!({"if": [{"and": [
                {"sem_ver": [{"var": "app_version"}, ">=", "4.10.0"]},
                {"starts_with": [{"var": "locale"}, "sv"]}
            ]}, "on", "off"]}),
            context("someone@example.org"),
        ),
    ];
    let mut group = c.benchmark_group("targeting");
    for (name, rule, data) in cases {
        let rule = compile(rule);
        group.bench_function(name, |b| {
            b.iter(|| {
                let result = rule.evaluate(black_box(&data), black_box(&env)).unwrap();
                black_box(result.is_null())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
