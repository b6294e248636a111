//! Policy latency (DESIGN §8: a linear 20 features × 10 actions + IGW decision ≤ 300 ns): the
//! whole decision through `Bundle::decide` — 20 features read from a realistic 24-attribute
//! context built once (as hosts do), a 10 × 20 linear scorer, IGW probabilities, the policy draw
//! and the walk — and loading that bundle (parse, validate, digest, three self-check vectors).
//!
//! - `decide/linear20x10_igw`: 1,024 units in turn, no decision key;
//! - `decide/linear20x10_igw_restricted`: the same with 5 eligible actions;
//! - `features/linear20x10`: the feature vector alone (the share of the decision spent
//!   reading the context);
//! - `load/linear20x10_igw`: `Bundle::from_json` of the sealed bundle text.
//!
//! `cargo bench -p tandem --bench policy`; `cargo test -p tandem --benches` runs each once.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a bench whose fixture does not load has nothing to measure: stopping is right; \
              indices are masked to the power-of-two length of the context pool"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use tandem::policy::{canonical_digest, Bundle};
use tandem::Context;

const FEATURES: usize = 20;
const ACTIONS: usize = 10;
const UNITS: usize = 1 << 10;

/// Feature `i`: a mix of the transforms a tabular model uses (mostly standardised numbers).
fn feature(i: usize) -> Value {
    let name = format!("f{i:02}");
    let transform = match i % 5 {
        0 => json!("identity"),
        1 => json!({"min_max": {"min": 0, "max": 100}}),
        2 => json!({"clip": {"lo": -3, "hi": 3}}),
        _ => json!({"standardize": {"mean": 10.0 + i as f64, "std": 2.5}}),
    };
    json!({"name": name, "source": name, "kind": "numeric", "transform": transform, "missing": 0})
}

/// The sealed bundle: weights in a fixed pattern, three self-check vectors, a digest.
fn bundle_json() -> String {
    let weights: Vec<Vec<f64>> = (0..ACTIONS)
        .map(|a| {
            (0..FEATURES)
                .map(|j| ((a * 7 + j * 3) % 13) as f64 / 10.0 - 0.6)
                .collect()
        })
        .collect();
    let bias: Vec<f64> = (0..ACTIONS).map(|a| a as f64 / 20.0).collect();
    let mut bundle = json!({
        "id": "bench-linear", "version": 1,
        "actions": (0..ACTIONS).map(|a| json!({"key": format!("a{a}"), "value": a})).collect::<Vec<_>>(),
        "features": (0..FEATURES).map(feature).collect::<Vec<_>>(),
        "scorer": {"linear": {"weights": weights, "bias": bias}},
        "exploration": {"igw": {"gamma": 40, "floor": 0.05}},
        "vectors": []
    });
    let unsealed = Bundle::from_value(&bundle).expect("the bench bundle loads");
    let vectors: Vec<Value> = (0..3)
        .map(|k| {
            let ctx = context(k, &format!("vector-{k}"));
            let probabilities = unsealed
                .decide(&ctx, "", None)
                .expect("decides")
                .probabilities;
            let mut attributes = ctx.as_value().clone();
            attributes
                .as_object_mut()
                .expect("an object")
                .remove("targetingKey");
            json!({"context": attributes, "probabilities": probabilities})
        })
        .collect();
    bundle["vectors"] = Value::Array(vectors);
    bundle["digest"] = json!(canonical_digest(&bundle));
    bundle.to_string()
}

/// 20 numeric features (one left out, so one missing value) and four attributes the bundle does
/// not read, as a host would send them.
fn context(k: usize, unit: &str) -> Context {
    let mut attributes = serde_json::Map::new();
    attributes.insert("targetingKey".into(), json!(unit));
    for i in 0..FEATURES {
        if i != (k % FEATURES) {
            attributes.insert(
                format!("f{i:02}"),
                json!(((i * 31 + k * 17) % 97) as f64 / 3.0),
            );
        }
    }
    for (key, value) in [
        ("country", "SE"),
        ("locale", "sv-SE"),
        ("platform", "ios"),
        ("appVersion", "4.12.0"),
    ] {
        attributes.insert(key.into(), json!(value));
    }
    Context::from_value(Value::Object(attributes)).expect("an object")
}

fn policy(c: &mut Criterion) {
    let text = bundle_json();
    let bundle = Bundle::from_json(&text).expect("the sealed bench bundle loads");
    let contexts: Vec<Context> = (0..UNITS)
        .map(|k| context(k, &format!("user-{k:08x}")))
        .collect();
    let mut group = c.benchmark_group("policy");

    let mut i = 0;
    group.bench_function("decide/linear20x10_igw", |b| {
        b.iter(|| {
            i = (i + 1) & (UNITS - 1);
            bundle
                .decide(black_box(&contexts[i]), "", None)
                .expect("decides")
                .propensity
        })
    });
    let eligible = ["a1", "a3", "a5", "a7", "a9"];
    group.bench_function("decide/linear20x10_igw_restricted", |b| {
        b.iter(|| {
            i = (i + 1) & (UNITS - 1);
            bundle
                .decide(black_box(&contexts[i]), "", Some(black_box(&eligible)))
                .expect("decides")
                .propensity
        })
    });
    group.bench_function("features/linear20x10", |b| {
        b.iter(|| {
            i = (i + 1) & (UNITS - 1);
            bundle.features(black_box(&contexts[i]))
        })
    });
    group.bench_function("load/linear20x10_igw", |b| {
        b.iter(|| Bundle::from_json(black_box(&text)).expect("loads"))
    });
    group.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);
