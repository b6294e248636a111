//! Arbitrary bytes as the evaluation context against fixed configs that use every kind of rule
//! (DESIGN §2 example with experiments, flagd's `fractional`/`sem_ver`/`starts_with`/`$ref`,
//! nested `if`/`and`/`or`/`in`/`var`, arithmetic, strings, arrays): every flag must evaluate to a
//! value and a reason, never a panic (DESIGN §3). Through every entry point of the host API
//! (DESIGN §7), which must agree:
//! - the typed getters and `evaluate` give the outcome `evaluate_all` gives for each flag;
//! - a context filled from the snapshot's attribute table (typed values, no JSON) evaluates as
//!   the parsed context does;
//! - `record_read` of each outcome logs without panicking;
//! - a client serving the context's precomputed payload answers as the config client does.
//!
//! The clients are shared across inputs; the fixtures have no sticky experiments, so what one
//! input leaves behind (queued events, deduplication) cannot change what the next one is served.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::{AttributeValue, Client, Context, EvalOptions, FixedClock, FlagType, Severity};

/// Inside the schedules of `configs/design.json`, after `launch-window` opens.
const NOW: i64 = 1_795_000_000;

const CONFIGS: [(&str, &str); 3] = [
    ("design", include_str!("../configs/design.json")),
    ("flagd", include_str!("../configs/flagd.json")),
    ("operators", include_str!("../configs/operators.json")),
];

/// The clients and their flag keys, loaded once per process. A fixture that fails to load, or
/// has a flag that cannot be served, is a bug in the fixture (or a change in the loader): it stops
/// the fuzzer at once rather than fuzzing less than it claims.
static CLIENTS: LazyLock<Vec<(Client, Vec<String>)>> = LazyLock::new(|| {
    CONFIGS
        .iter()
        .map(|(name, json)| {
            let client = Client::from_json(json, FixedClock::at_unix_seconds(NOW), 1)
                .unwrap_or_else(|e| panic!("fixture config {name} does not load: {e}"));
            let snapshot = client.snapshot();
            if let Some(error) = snapshot
                .diagnostics()
                .iter()
                .find(|d| d.severity == Severity::Error)
            {
                panic!("fixture config {name} has a broken entity: {error}");
            }
            let keys = snapshot
                .config()
                .map(|c| c.flag_keys().map(str::to_owned).collect())
                .unwrap_or_default();
            (client, keys)
        })
        .collect()
});

/// The context rebuilt from the attribute table: each listed path's value in `ctx`, as a typed
/// value. Exact when the snapshot names every path its rules read.
fn filled(ctx: &Context, client: &Client) -> Option<Context> {
    let snapshot = client.snapshot();
    let attributes = snapshot.attributes();
    if attributes.reads_whole_context() {
        return None;
    }
    let whole = ctx.as_value();
    let mut pairs = Vec::new();
    for (index, path) in attributes.iter().enumerate() {
        let mut at = Some(whole);
        for segment in path.segments() {
            at = at.and_then(|v| match v {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            });
        }
        let value = match at {
            None => continue,
            Some(Value::String(s)) => AttributeValue::Str(s),
            Some(Value::Bool(b)) => AttributeValue::Bool(*b),
            Some(other) => AttributeValue::Json(other.clone()),
        };
        pairs.push((index, value));
    }
    let mut rebuilt = Context::new();
    rebuilt.fill(attributes, pairs).ok()?;
    Some(rebuilt)
}

fuzz_target!(|data: &[u8]| {
    let clients = &*CLIENTS;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ctx) = Context::from_json(text) else {
        return;
    };
    let default = Value::Null;
    let empty = serde_json::Map::new();
    let mut outcomes = Vec::new();
    for (client, keys) in clients {
        let snapshot = client.evaluate_all(&ctx, &mut outcomes);
        for (key, outcome) in keys.iter().zip(&outcomes) {
            let details = client.evaluate(key, &ctx, &default, FlagType::Any);
            assert_eq!(
                details.outcome(),
                outcome,
                "flag {key}: evaluate_all disagrees"
            );
            let _ = serde_json::to_string(&details);
            let _ = client.get_bool(key, &ctx, false);
            let _ = client.get_string(key, &ctx, "");
            let _ = client.get_int(key, &ctx, 0);
            let _ = client.get_float(key, &ctx, 0.0);
            let _ = client.get_object(key, &ctx, &empty);
            let _ = client.record_read(&snapshot, &ctx, outcome, FlagType::Boolean);
        }
        if let Some(rebuilt) = filled(&ctx, client) {
            let mut again = Vec::new();
            client.evaluate_all(&rebuilt, &mut again);
            assert_eq!(
                outcomes, again,
                "a context filled from attributes evaluates otherwise"
            );
        }
        let _ = client.drain_events_json();

        // The precomputed path serves what the config path serves.
        let mut buffer = Vec::new();
        client
            .precompute_into(&ctx, &EvalOptions::default(), &mut buffer)
            .unwrap_or_else(|e| panic!("a client with a config cannot precompute: {e}"));
        let payload = String::from_utf8(buffer).unwrap_or_default();
        let precomputed = Client::from_precomputed(&payload, FixedClock::at_unix_seconds(NOW), 2)
            .unwrap_or_else(|e| panic!("a payload from precompute does not load: {e}\n{payload}"));
        for key in keys {
            for expected in [FlagType::Any, FlagType::Boolean, FlagType::String] {
                let direct = serde_json::to_value(client.evaluate(key, &ctx, &default, expected));
                let served =
                    serde_json::to_value(precomputed.evaluate(key, &ctx, &default, expected));
                assert_eq!(
                    direct.ok(),
                    served.ok(),
                    "flag {key} as {expected:?}: the precomputed client answers otherwise"
                );
            }
        }
        let _ = client.drain_events_json();
        let _ = precomputed.drain_events_json();
    }
});
