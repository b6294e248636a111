//! Experiment latency (DESIGN §8: an experiment split ≤ 200 ns): DESIGN §2's 3-way
//! `checkout-personalization` experiment, with its audience, its layer and a 2.5 % global holdout,
//! evaluated through the client with a realistic 10-attribute context built once, as hosts do.
//!
//! - `split/same_unit`: one unit again and again — the split plus an exposure deduplication hit;
//! - `split/varying_units_dedup_hit`: 512 units in turn, all within the deduplication window;
//! - `split_and_exposure/new_unit`: a unit the window has forgotten every iteration, so each
//!   evaluation builds and queues an exposure (the queue stays full and drops its oldest, the
//!   steady state of a host that drains on a timer);
//! - `outside_layer_range`: a unit the layer puts outside the experiment (no exposure).
//!
//! `cargo bench -p tandem --bench experiments`; `cargo test -p tandem --benches` runs each once.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a bench whose fixture does not load has nothing to measure: stopping is right; \
              indices are masked to the power-of-two length of the context pools"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tandem::{Capacities, Client, Context, FixedClock, Reason};

/// DESIGN §2's flag and experiment, with string variants (policies are not what this measures),
/// and a second experiment in the other half of the layer.
const CONFIG: &str = r#"{
  "revision": "2026-11-25.42",
  "flags": {
    "checkout-button": {
      "state": "ENABLED",
      "variants": {"control": "control", "cb-v1": "cb-v1", "cb-v2": "cb-v2"},
      "defaultVariant": "control",
      "targeting": {"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}
    }
  },
  "experiments": {
    "checkout-personalization": {
      "flag": "checkout-button",
      "status": "running",
      "layer": "checkout",
      "unit": "targetingKey",
      "audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]},
      "allocation": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]],
      "start": "2026-11-01T00:00:00Z", "end": "2026-12-31T00:00:00Z",
      "metrics": {"primary": "purchase", "guardrails": ["refund", "latency_ms"]}
    }
  },
  "layers":   {"checkout": {"ranges": {"checkout-personalization": [[0, 5000]]}}},
  "holdouts": {"q4-global": {"percent": 2.5, "experiments": ["*"]}}
}"#;

/// Mid-November 2026: inside the experiment's schedule.
const NOW: i64 = 1_794_700_800;

/// A 10-attribute context of the kind a web or mobile host sends.
fn context(unit: &str) -> Context {
    Context::from_json(&format!(
        r#"{{
          "targetingKey": "{unit}",
          "email": "ann@example.org",
          "country": "SE",
          "locale": "sv-SE",
          "plan": "pro",
          "age": 34,
          "appVersion": "4.12.0",
          "platform": "ios",
          "beta": false,
          "account": {{"id": "acct-1234", "seats": 12}}
        }}"#
    ))
    .expect("the bench context is valid JSON")
}

fn client(capacities: Capacities) -> Client {
    Client::from_json(CONFIG, FixedClock::at_unix_seconds(NOW), 7)
        .expect("the bench config loads")
        .with_capacities(capacities)
}

/// `n` contexts (a power of two) of units the experiment splits (`in_experiment`) or leaves
/// outside its layer range, found with a throwaway client.
fn contexts(n: usize, in_experiment: bool) -> Vec<Context> {
    assert!(n.is_power_of_two());
    let probe = client(Capacities::default());
    (0..)
        .map(|i| context(&format!("user-{i:08x}")))
        .filter(|ctx| {
            let details = probe.get_string("checkout-button", ctx, "");
            if in_experiment {
                details.reason == Reason::Split
            } else {
                details.reason == Reason::Default && details.experiment().is_none()
            }
        })
        .take(n)
        .collect()
}

fn experiments(c: &mut Criterion) {
    let split = contexts(1 << 16, true);
    let outside = contexts(1, false);
    let mut group = c.benchmark_group("experiment");

    let same = client(Capacities::default());
    let first = same.get_string("checkout-button", &split[0], "fallback");
    assert_eq!(first.reason, Reason::Split);
    assert_eq!(first.experiment().map(|e| e.layer), Some(Some("checkout")));
    assert_eq!(same.stats().queued, 1);
    group.bench_function("split/same_unit", |b| {
        b.iter(|| {
            same.get_string(
                black_box("checkout-button"),
                black_box(&split[0]),
                "fallback",
            )
            .value
        })
    });
    assert_eq!(same.stats().queued, 1, "every later read was a dedup hit");

    let warm = client(Capacities::default());
    const WARM: usize = 1 << 9;
    for ctx in &split[..WARM] {
        warm.get_string("checkout-button", ctx, "fallback");
    }
    let mut i = 0;
    group.bench_function("split/varying_units_dedup_hit", |b| {
        b.iter(|| {
            i = (i + 1) & (WARM - 1);
            warm.get_string(
                black_box("checkout-button"),
                black_box(&split[i]),
                "fallback",
            )
            .value
        })
    });
    assert_eq!(
        warm.stats().queued,
        WARM,
        "only the warm-up logged exposures"
    );

    // A window of 1,000 exposures cycled over 65,536 units: every read is a miss.
    let fresh = client(Capacities {
        exposure_dedup: 1_000,
        ..Capacities::default()
    });
    let mut i = 0;
    group.bench_function("split_and_exposure/new_unit", |b| {
        b.iter(|| {
            i = (i + 1) & (split.len() - 1);
            fresh
                .get_string(
                    black_box("checkout-button"),
                    black_box(&split[i]),
                    "fallback",
                )
                .value
        })
    });
    let stats = fresh.stats();
    assert_eq!(stats.deduplicated, 0, "no read was deduplicated: {stats:?}");

    let outside_client = client(Capacities::default());
    group.bench_function("outside_layer_range", |b| {
        b.iter(|| {
            outside_client
                .get_string(
                    black_box("checkout-button"),
                    black_box(&outside[0]),
                    "fallback",
                )
                .value
        })
    });
    assert_eq!(outside_client.stats().queued, 0);
    group.finish();
}

criterion_group!(benches, experiments);
criterion_main!(benches);
