//! Loading a realistic config: 1,000 flags (60% static, 40% with targeting rules, a few of them
//! `fractional`) and 100 experiments in 10 layers with two holdouts, against DESIGN §8's load
//! budget (≤ 10 ms, ≤ 5 MB for 1,000 flags + 100 experiments + 10 bundles; policy bundles are
//! not compiled yet, so they are not in the document).
//!
//! Time is measured by criterion. Memory is measured once, before it, by a counting global
//! allocator: the bytes the loaded config keeps and the peak during the load, both excluding the
//! document text itself.
//!
//! `cargo bench -p tandem --bench config_load`; `cargo test -p tandem --benches` runs it once.
#![allow(
    clippy::expect_used,
    reason = "a bench whose fixture does not load has nothing to measure: stopping is right"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use tandem::{Config, Limits};

const FLAGS: usize = 1_000;
const EXPERIMENTS: usize = 100;
const LAYERS: usize = 10;
/// Policy bundles in the document, each a linear scorer over 20 features and 10 actions.
const BUNDLES: usize = 10;

/// The system allocator, counting live bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the counters
// only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and the caller guarantees `new_size` is valid for `layout`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The targeting rule of the `n`th targeted flag, in rotation: the operators real configs lean
/// on, with every 10th targeted flag a flagd `fractional` rollout.
fn targeting(n: usize) -> Value {
    match n % 10 {
        0 => json!({"fractional": [["on", 10], ["off", 90]]}),
        1 | 5 => json!({"if": [{"in": [{"var": "email"}, [
            format!("qa{n}@example.com"), "staff@example.com", "beta@example.com"
        ]]}, "on", null]}),
        2 | 6 => json!({"if": [{"and": [
            {"in": [{"var": "country"}, ["SE", "DE", "US", "JP", "BR"]]},
            {">=": [{"var": "age"}, 18]}
        ]}, "on", "off"]}),
        3 | 7 => json!({"if": [{"or": [
            {"ends_with": [{"var": "email"}, "@example.com"]},
            {"starts_with": [{"var": "targetingKey"}, format!("internal-{n}-")]}
        ]}, "on", null]}),
        4 => json!({"if": [{"sem_ver": [{"var": "appVersion"}, ">=", format!("4.{}.0", n % 20)]},
            "on", "off"]}),
        _ => json!({"if": [
            {"==": [{"var": "plan"}, "enterprise"]}, "on",
            {"<": [{"var": "account.seats"}, 5]}, "off",
            null
        ]}),
    }
}

/// Variants of a static flag, of the four value types in rotation.
fn static_variants(i: usize) -> Value {
    match i % 4 {
        0 => json!({"on": true, "off": false}),
        1 => json!({"on": format!("copy-{i}-a"), "off": format!("copy-{i}-b")}),
        2 => json!({"on": i, "off": 0}),
        _ => json!({
            "on": {"color": "blue", "limit": i, "tags": ["a", "b"]},
            "off": {"color": "grey", "limit": 0, "tags": []}
        }),
    }
}

/// A linear bundle over 20 standardized features and 10 actions with IGW exploration, the
/// shape of DESIGN §8's decision benchmark; weights vary deterministically with `n`.
fn bundle(n: usize) -> Value {
    let features: Vec<Value> = (0..20)
        .map(|j| {
            json!({"name": format!("f{j}"), "source": format!("f{j}"), "kind": "numeric",
                   "transform": {"standardize": {"mean": j as f64, "std": 1.0 + j as f64 / 10.0}},
                   "missing": 0.0})
        })
        .collect();
    let weights: Vec<Vec<f64>> = (0..10)
        .map(|a| {
            (0..20)
                .map(|j| ((n * 31 + a * 7 + j * 3) % 17) as f64 / 17.0 - 0.5)
                .collect()
        })
        .collect();
    json!({
        "id": format!("bundle-{n}"), "version": 1,
        "actions": (0..10).map(|a| json!({"key": format!("a{a}"), "value": format!("offer-{a}")})).collect::<Vec<_>>(),
        "features": features,
        "scorer": {"linear": {"weights": weights, "bias": vec![0.0; 10]}},
        "exploration": {"igw": {"gamma": 10.0, "floor": 0.05}},
        "vectors": []
    })
}

fn flag(i: usize, variants: Value, default: &str, targeting: Option<Value>) -> Value {
    let mut flag = Map::new();
    flag.insert("state".into(), json!("ENABLED"));
    flag.insert("variants".into(), variants);
    flag.insert("defaultVariant".into(), json!(default));
    flag.insert(
        "metadata".into(),
        json!({"team": format!("team-{}", i % 12), "ticket": i}),
    );
    if let Some(rule) = targeting {
        flag.insert("targeting".into(), rule);
    }
    Value::Object(flag)
}

/// The generated document, as text.
fn document() -> String {
    let mut flags = Map::new();
    let mut experiment_flags = Vec::new();
    let mut targeted = 0;
    for i in 0..FLAGS {
        let key = format!("flag-{i:04}");
        // 60% static (i % 5 in 0..3), 40% targeted; every 6th static flag, up to 100, is split
        // by an experiment.
        let value = if i % 5 >= 3 {
            let variants = json!({"on": true, "off": false});
            targeted += 1;
            flag(i, variants, "off", Some(targeting(targeted)))
        } else if experiment_flags.len() < EXPERIMENTS && i % 6 == 0 {
            experiment_flags.push(key.clone());
            let variants =
                json!({"control": "control", "treatment": "treatment", "holdback": "holdback"});
            flag(i, variants, "control", None)
        } else if i % 4 == 1 && i / 4 < BUNDLES {
            // A string flag whose second variant runs a policy bundle.
            let bundle = format!("bundle-{}@1", i / 4);
            let variants = json!({"off": format!("copy-{i}"), "on": {"$policy": bundle}});
            flag(i, variants, "off", None)
        } else {
            flag(i, static_variants(i), "off", None)
        };
        flags.insert(key, value);
    }
    assert_eq!(experiment_flags.len(), EXPERIMENTS, "generator arithmetic");

    // 10 layers of 10 experiments, each owning a tenth of its layer.
    let per_layer = EXPERIMENTS / LAYERS;
    let width = 10_000 / per_layer;
    let mut experiments = Map::new();
    let mut layer_ranges: Vec<Map<String, Value>> = vec![Map::new(); LAYERS];
    for (n, flag) in experiment_flags.iter().enumerate() {
        let key = format!("exp-{n:03}");
        let audience =
            (n % 2 == 0).then(|| json!({"in": [{"var": "country"}, ["SE", "DE", "US"]]}));
        experiments.insert(
            key.clone(),
            json!({
                "flag": flag,
                "status": if n % 10 == 9 { "stopped" } else { "running" },
                "layer": format!("layer-{}", n / per_layer),
                "audience": audience,
                "allocation": [["control", 50], ["treatment", 45], ["holdback", 5]],
                "start": "2026-11-01T00:00:00Z",
                "end": "2027-01-31T00:00:00Z",
                "metrics": {"primary": "purchase", "guardrails": ["refund", "latency_ms"]}
            }),
        );
        let slot = n % per_layer;
        if let Some(ranges) = layer_ranges.get_mut(n / per_layer) {
            ranges.insert(key, json!([[slot * width, (slot + 1) * width]]));
        }
    }
    let layers: Map<String, Value> = layer_ranges
        .into_iter()
        .enumerate()
        .map(|(l, ranges)| (format!("layer-{l}"), json!({"ranges": ranges})))
        .collect();
    let listed: Vec<String> = (0..10).map(|n| format!("exp-{n:03}")).collect();
    let policies: Map<String, Value> = (0..BUNDLES)
        .map(|n| (format!("bundle-{n}@1"), bundle(n)))
        .collect();
    json!({
        "schema": 1,
        "revision": "bench",
        "flags": flags,
        "experiments": experiments,
        "layers": layers,
        "holdouts": {
            "global": {"percent": 2.5, "experiments": ["*"]},
            "checkout": {"percent": 10, "experiments": listed}
        },
        "policies": policies
    })
    .to_string()
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Runs `f` and returns its result, the bytes still allocated after it (held by the result) and
/// the highest number of bytes allocated at once while it ran, both relative to before it.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    let retained = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    (result, retained, peak)
}

fn config_load(c: &mut Criterion) {
    let json = document();
    let limits = Limits::default();

    let (config, retained, peak) = measure(|| Config::parse(&json, &limits));
    let config = config.expect("the generated config loads");
    assert_eq!(config.flag_keys().len(), FLAGS);
    assert!(
        config.is_valid(),
        "the generated config has problems: {:?}",
        config.diagnostics().first()
    );
    // For scale: how much of the peak is serde_json's tree of the document alone.
    let (tree, _, tree_peak) = measure(|| serde_json::from_str::<Value>(&json));
    drop(tree);
    println!(
        "config_load memory: {FLAGS} flags + {EXPERIMENTS} experiments + {BUNDLES} bundles ({:.2} MB of JSON): \
         loaded config {:.2} MB, peak during load {:.2} MB (DESIGN §8 budget: 5 MB); \
         the document's serde_json tree alone peaks at {:.2} MB",
        megabytes(json.len()),
        megabytes(retained),
        megabytes(peak),
        megabytes(tree_peak),
    );
    drop(config);

    let mut group = c.benchmark_group("config_load");
    group.sample_size(30);
    group.bench_function("1000_flags_100_experiments_10_bundles", |b| {
        b.iter_with_large_drop(|| Config::parse(black_box(&json), &limits))
    });
    group.finish();
}

criterion_group!(benches, config_load);
criterion_main!(benches);
