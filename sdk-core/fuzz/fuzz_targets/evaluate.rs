//! Arbitrary bytes as the evaluation context against fixed configs that use every kind of rule
//! (DESIGN §2 example with experiments, flagd's `fractional`/`sem_ver`/`starts_with`/`$ref`,
//! nested `if`/`and`/`or`/`in`/`var`, arithmetic, strings, arrays): every flag must evaluate to a
//! value and a reason, never a panic (DESIGN §3). And a client serving the context's precomputed
//! payload (DESIGN §7) must answer exactly as the config client does.
//!
//! The clients are shared across inputs; the fixtures have no sticky experiments, so what one
//! input leaves behind (queued events, deduplication) cannot change what the next one is served.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::{Client, Context, FixedClock, FlagType, Severity};

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
            let client = Client::from_json(json, FixedClock::at_unix_seconds(NOW))
                .unwrap_or_else(|e| panic!("fixture config {name} does not load: {e}"));
            if let Some(error) = client
                .diagnostics()
                .iter()
                .find(|d| d.severity == Severity::Error)
            {
                panic!("fixture config {name} has a broken entity: {error}");
            }
            let keys = client
                .config()
                .map(|c| c.flag_keys().map(str::to_owned).collect())
                .unwrap_or_default();
            (client, keys)
        })
        .collect()
});

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
    for (client, keys) in clients {
        for key in keys {
            let details = client.evaluate(key, &ctx, &default, FlagType::Any);
            let _ = serde_json::to_string(&details);
            let _ = client.get_bool(key, &ctx, false);
            let _ = client.get_string(key, &ctx, "");
            let _ = client.get_int(key, &ctx, 0);
            let _ = client.get_float(key, &ctx, 0.0);
            let _ = client.get_object(key, &ctx, &empty);
        }
        let _ = client.drain_events_json();

        // The precomputed path serves what the config path serves.
        let payload = client
            .precompute(&ctx)
            .unwrap_or_else(|e| panic!("a client with a config cannot precompute: {e}"));
        let precomputed = Client::from_precomputed(&payload, FixedClock::at_unix_seconds(NOW))
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
