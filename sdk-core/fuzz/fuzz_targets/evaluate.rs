//! Arbitrary bytes as the evaluation context against fixed configs that use every kind of rule
//! (DESIGN §2 example with experiments, flagd's `fractional`/`sem_ver`/`starts_with`/`$ref`,
//! nested `if`/`and`/`or`/`in`/`var`, arithmetic, strings, arrays): every flag must evaluate to a
//! value and a reason, never a panic (DESIGN §3).
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
    for (client, keys) in clients {
        for key in keys {
            let details = client.evaluate(key, &ctx, &default, FlagType::Any);
            let _ = serde_json::to_string(&details);
            let _ = client.get_bool(key, &ctx, false);
            let _ = client.get_string(key, &ctx, "");
            let _ = client.get_int(key, &ctx, 0);
            let _ = client.get_float(key, &ctx, 0.0);
            let _ = client.get_object(key, &ctx, &serde_json::Map::new());
        }
    }
});
