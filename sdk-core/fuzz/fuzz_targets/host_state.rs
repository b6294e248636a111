//! Arbitrary bytes as the state a host hands back to the core: a precomputed payload (a browser
//! receives it over the network from an edge worker) and a sticky-assignment snapshot (an app
//! reads it back from its own storage). Either may be stale, truncated or tampered with: loading
//! must fail cleanly or serve, never panic (DESIGN §3, §7).
//!
//! Input: `payload ‖ 0x00 ‖ sticky snapshot`.
//! - The payload goes to `Client::from_precomputed`; every flag key it names (and one it does
//!   not) is read with every getter.
//! - The snapshot goes to `import_sticky` on a client of `configs/sticky.json`; then every flag is
//!   evaluated for the units of the snapshot, and the export of what was imported must import
//!   again into a fresh client and serve the same variants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tandem::{Client, Context, FixedClock, FlagType};

/// Inside the schedules of the fixture.
const NOW: i64 = 1_795_000_000;

const STICKY_CONFIG: &str = include_str!("../configs/sticky.json");

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(2, |&b| b == 0);
    if let Some(Ok(payload)) = parts.next().map(std::str::from_utf8) {
        precomputed(payload);
    }
    if let Some(Ok(snapshot)) = parts.next().map(std::str::from_utf8) {
        sticky(snapshot);
    }
});

fn precomputed(payload: &str) {
    let Ok(client) = Client::from_precomputed(payload, FixedClock::at_unix_seconds(NOW), 1) else {
        return;
    };
    // The payload's own keys, read from it as JSON where it is JSON.
    let mut keys: Vec<String> = vec!["\u{0}not-in-the-payload".to_owned()];
    if let Ok(value) = serde_json::from_str::<Value>(payload) {
        if let Some(flags) = value.get("flags").and_then(Value::as_array) {
            keys.extend(
                flags
                    .iter()
                    .filter_map(|f| f.get("key").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
    }
    // A precomputed client does not read the context.
    let ctx = Context::new();
    let default = Value::Null;
    let empty = Map::new();
    for key in &keys {
        let details = client.evaluate(key, &ctx, &default, FlagType::Any);
        let _ = serde_json::to_string(&details);
        let _ = client.get_bool(key, &ctx, false);
        let _ = client.get_string(key, &ctx, "");
        let _ = client.get_int(key, &ctx, 0);
        let _ = client.get_float(key, &ctx, 0.0);
        let _ = client.get_object(key, &ctx, &empty);
    }
    let mut outcomes = Vec::new();
    let snapshot = client.evaluate_all(&ctx, &mut outcomes);
    for outcome in &outcomes {
        let _ = snapshot.value_json(outcome);
        let _ = client.record_read(&snapshot, &ctx, outcome, FlagType::String);
    }
    let _ = client.drain_events_json();
    let _ = client.stats();
}

/// A fresh client of the sticky fixture (sticky state is per client, so each input starts clean
/// and a failure reproduces from its input alone).
fn sticky_client() -> Client {
    Client::from_json(STICKY_CONFIG, FixedClock::at_unix_seconds(NOW), 2)
        .unwrap_or_else(|e| panic!("fixture configs/sticky.json does not load: {e}"))
}

fn sticky(snapshot: &str) {
    let client = sticky_client();
    if client.import_sticky(snapshot).is_err() {
        return;
    }
    // The units the snapshot names, as `targetingKey` and as `account.id` (the fixture's units).
    let mut units: Vec<String> = vec!["u-17".to_owned()];
    if let Ok(value) = serde_json::from_str::<Value>(snapshot) {
        if let Some(items) = value.get("assignments").and_then(Value::as_array) {
            units.extend(
                items
                    .iter()
                    .filter_map(|i| i.get(1).and_then(Value::as_str))
                    .take(8)
                    .map(str::to_owned),
            );
        }
    }
    let contexts: Vec<Context> = units
        .iter()
        .map(|unit| {
            let mut ctx = Context::with_targeting_key(unit);
            // An object of one string: within every context limit.
            let _ = ctx.set_value("account", serde_json::json!({ "id": unit }));
            ctx
        })
        .collect();
    let keys: Vec<String> = client
        .snapshot()
        .config()
        .map(|c| c.flag_keys().map(str::to_owned).collect())
        .unwrap_or_default();
    let default = Value::Null;
    let served = |client: &Client| -> Vec<Option<String>> {
        let mut variants = Vec::new();
        for ctx in &contexts {
            for key in &keys {
                let details = client.evaluate(key, ctx, &default, FlagType::Any);
                variants.push(details.variant().map(str::to_owned));
            }
        }
        variants
    };
    let before = served(&client);
    let _ = client.drain_events_json();

    // What was imported (and assigned since) survives a round trip through export.
    let exported = client.export_sticky();
    let restored = sticky_client();
    if let Err(e) = restored.import_sticky(&exported) {
        panic!("an exported sticky snapshot does not import again: {e}\n{exported}");
    }
    assert_eq!(
        before,
        served(&restored),
        "a client restored from an exported snapshot serves other variants\n{exported}"
    );
}
