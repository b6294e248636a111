//! The slowest evaluations the targeting budget allows: each case is a rule built to spend
//! one kind of work (nodes, allocations, string scans, character decoding, copies, structural
//! comparisons, shared `$ref`s) until the budget of one flag evaluation runs out. Criterion's
//! time per iteration is the time of one exhausted budget, which the budget's calibration
//! (`src/targeting/budget.rs`) keeps at about a millisecond.
//!
//! Run with `cargo bench -p tandem --bench targeting_worst_cases -- --warm-up-time 1
//! --measurement-time 3`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use tandem::targeting::{Budget, CompileOptions, Env, RuleSet};

/// `some` over 100 elements, three deep, around `inner`, whose data climbs back to the root.
fn some3(inner: Value) -> Value {
    let list: Vec<u32> = (0..100).collect();
    json!({"some": [list, {"some": [list, {"some": [list, inner]}]}]})
}

fn cases() -> Vec<(&'static str, Value)> {
    let needle = format!("{}b", "a".repeat(100));
    vec![
        ("nodes", some3(json!({"==": [1, 2]}))),
        ("allocating_nodes", some3(json!({"<": [{"+": [1, 2]}, 0]}))),
        (
            "number_to_text",
            some3(json!({"==": [{"cat": [1.5]}, "x"]})),
        ),
        (
            "in_long_needle",
            some3(json!({"in": [needle, {"val": [[6], "m"]}]})),
        ),
        (
            "in_short_needle",
            some3(json!({"in": ["zq", {"val": [[6], "m"]}]})),
        ),
        (
            "substr",
            some3(json!({"substr": [{"val": [[6], "m"]}, 2_000_000]})),
        ),
        (
            "utf16_order",
            some3(json!({"<": [{"val": [[6], "s"]}, {"val": [[6], "t"]}]})),
        ),
        (
            "parse_number",
            some3(json!({"==": [{"val": [[6], "digits"]}, 5]})),
        ),
        (
            "strict_eq_arrays",
            some3(json!({"!==": [{"val": [[6], "a"]}, {"val": [[6], "b"]}]})),
        ),
        ("cat_floats", json!({"cat": {"var": "floats"}})),
        (
            "map_copies",
            json!({"map": [{"var": "words"}, {"var": ""}]}),
        ),
        (
            "missing_some",
            json!({"missing_some": [1, {"var": "words"}]}),
        ),
        (
            "reduce_objects",
            json!({"reduce": [{"var": "a"}, {"var": ""}, 0]}),
        ),
        ("try_errors", some3(json!({"try": [{"/": [1, 0]}, false]}))),
        (
            "fractional_key",
            some3(
                json!({"==": [{"fractional": [{"cat": [{"val": [[6], "m"]}]}, ["a", 1], ["b", 1]]}, "c"]}),
            ),
        ),
        ("ref_dag", json!({"$ref": "d30"})),
        // A realistic rule, for scale: it spends a few dozen units.
        (
            "realistic",
            json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let big = "a".repeat(1 << 20);
    let data = json!({
        "m": "a".repeat(1 << 16), "s": big.clone(), "t": big, "digits": "1".repeat(1 << 16),
        "a": (0..100_000).collect::<Vec<_>>(), "b": (0..100_000).collect::<Vec<_>>(),
        "floats": (0..200_000).map(|i| f64::from(i) + 0.5).collect::<Vec<_>>(),
        "words": (0..100_000).map(|i| format!("w{i}")).collect::<Vec<_>>(),
        "x": 1, "email": "qa@example.com"
    });
    let mut evaluators = Map::new();
    evaluators.insert("d0".into(), json!({"==": [{"var": "x"}, 1]}));
    for i in 1..=30 {
        let prev = format!("d{}", i - 1);
        evaluators.insert(
            format!("d{i}"),
            json!({"and": [{"$ref": prev}, {"$ref": prev}]}),
        );
    }
    let options = CompileOptions {
        evaluators: Some(&evaluators),
        max_nodes: usize::MAX,
        ..CompileOptions::default()
    };
    let rules = RuleSet::new(&options);
    let env = Env {
        flag_key: "worst-case",
        timestamp: 1_764_000_000,
    };
    let mut group = c.benchmark_group("targeting_worst_cases");
    for (name, rule) in cases() {
        let rule = rules.compile(&rule).unwrap().rule;
        group.bench_function(name, |b| {
            b.iter(|| {
                let budget = Budget::per_flag();
                let result = rule.evaluate_within(black_box(&data), &env, &budget);
                black_box((result.is_ok(), budget.remaining()))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
