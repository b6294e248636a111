//! Evaluation latency on the paths DESIGN §8 budgets: a static flag (≤ 30 ns), a JSON Logic flag
//! (≤ 150 ns) and the error paths a caller hits by mistake (type mismatch, unknown flag), each
//! with a realistic 10-attribute context built once, as hosts do.
//!
//! `cargo bench -p tandem --bench evaluation`; `cargo test -p tandem --benches` runs each once.
#![allow(
    clippy::expect_used,
    reason = "a bench whose fixture does not load has nothing to measure: stopping is right"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use tandem::{Client, Context, ErrorCode, FixedClock, FlagType, Reason};

/// Two flags: a static one, and DESIGN §2's `checkout-button` with string variants (the policy
/// variants of the original are not what this measures).
const CONFIG: &str = r#"{
  "flags": {
    "banner": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "on"
    },
    "checkout-button": {
      "state": "ENABLED",
      "variants": {"control": "control", "cb-v1": "cb-v1", "cb-v2": "cb-v2"},
      "defaultVariant": "control",
      "targeting": {"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}
    }
  }
}"#;

/// A 10-attribute context of the kind a web or mobile host sends.
fn context(email: &str) -> Context {
    Context::from_json(&format!(
        r#"{{
          "targetingKey": "user-8c1f0e2a",
          "email": "{email}",
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

fn client() -> Client {
    Client::from_json(CONFIG, FixedClock::at_unix_seconds(1_795_000_000), 7)
        .expect("the bench config loads")
}

fn evaluation(c: &mut Criterion) {
    let client = client();
    let qa = context("qa@example.com");
    let shopper = context("ann@example.org");

    // Check the paths measure what they claim before timing them.
    assert_eq!(client.get_bool("banner", &qa, false).reason, Reason::Static);
    let matched = client.get_string("checkout-button", &qa, "fallback");
    assert_eq!(
        (matched.value.as_ref(), matched.reason),
        ("cb-v2", Reason::TargetingMatch)
    );
    let unmatched = client.get_string("checkout-button", &shopper, "fallback");
    assert_eq!(
        (unmatched.value.as_ref(), unmatched.reason),
        ("control", Reason::Default)
    );
    assert_eq!(
        client.get_int("checkout-button", &shopper, 0).error_code,
        Some(ErrorCode::TypeMismatch)
    );
    assert_eq!(
        client.get_bool("no-such-flag", &qa, false).error_code,
        Some(ErrorCode::FlagNotFound)
    );

    let mut group = c.benchmark_group("evaluation");
    group.bench_function("static_flag/get_bool", |b| {
        b.iter(|| {
            client
                .get_bool(black_box("banner"), black_box(&qa), false)
                .value
        })
    });
    group.bench_function("json_logic_flag/match", |b| {
        b.iter(|| {
            client
                .get_string(black_box("checkout-button"), black_box(&qa), "fallback")
                .value
        })
    });
    group.bench_function("json_logic_flag/no_match", |b| {
        b.iter(|| {
            client
                .get_string(
                    black_box("checkout-button"),
                    black_box(&shopper),
                    "fallback",
                )
                .value
        })
    });
    let default = Value::Null;
    group.bench_function("json_logic_flag/evaluate_any", |b| {
        b.iter(|| {
            client
                .evaluate(
                    black_box("checkout-button"),
                    black_box(&qa),
                    &default,
                    FlagType::Any,
                )
                .reason
        })
    });
    // The same paths through a `Reader`, which holds the snapshot for a run of evaluations:
    // no pointer load or reference count per call, and string values borrowed, not shared.
    let reader = client.reader();
    group.bench_function("reader/static_flag/get_bool", |b| {
        b.iter(|| {
            reader
                .get_bool(black_box("banner"), black_box(&qa), false)
                .value
        })
    });
    group.bench_function("reader/json_logic_flag/match", |b| {
        b.iter(|| {
            reader
                .get_string(black_box("checkout-button"), black_box(&qa), "fallback")
                .value
                .len()
        })
    });
    group.bench_function("reader/json_logic_flag/no_match", |b| {
        b.iter(|| {
            reader
                .get_string(
                    black_box("checkout-button"),
                    black_box(&shopper),
                    "fallback",
                )
                .value
                .len()
        })
    });
    group.bench_function("error/type_mismatch", |b| {
        b.iter(|| {
            client
                .get_int(black_box("checkout-button"), black_box(&shopper), 0)
                .error_code
        })
    });
    group.bench_function("error/flag_not_found", |b| {
        b.iter(|| {
            client
                .get_bool(black_box("no-such-flag"), black_box(&qa), false)
                .error_code
        })
    });
    group.finish();

    // What an edge worker pays per request before evaluating: parsing a fresh context.
    let text = r#"{"targetingKey": "user-8c1f0e2a", "email": "qa@example.com", "country": "SE",
        "locale": "sv-SE", "plan": "pro", "age": 34, "appVersion": "4.12.0", "platform": "ios",
        "beta": false, "account": {"id": "acct-1234", "seats": 12}}"#;
    c.bench_function("context/from_json_10_attributes", |b| {
        b.iter(|| Context::from_json(black_box(text)).is_ok())
    });
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
