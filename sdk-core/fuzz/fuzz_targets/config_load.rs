//! Arbitrary bytes as a config document: loading must never panic, hang or blow up memory, and
//! every flag of whatever loaded must evaluate without panicking (DESIGN §2 "Limits against
//! hostile input", §3 "Evaluation never panics").
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tandem::{Client, Config, Context, FixedClock, FlagType, Limits};

/// Inside the schedules the seeds use, so experiments are live.
const NOW: i64 = 1_795_000_000;

fuzz_target!(|data: &[u8]| {
    // Config documents are text; non-UTF-8 input is rejected before the loader sees it.
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };

    // The loader on its own, and what it reports.
    if let Ok(config) = Config::parse(json, &Limits::default()) {
        for diagnostic in config.diagnostics() {
            let _ = diagnostic.to_string();
        }
        let _ = config.is_valid();
        let _ = config.revision();
    }

    // The same document through the client, then every flag.
    let Ok(client) = Client::from_json(json, FixedClock::at_unix_seconds(NOW), 1) else {
        return;
    };
    let snapshot = client.snapshot();
    let Some(config) = snapshot.config() else {
        return;
    };
    let keys: Vec<&str> = config.flag_keys().collect();
    let empty = Context::new();
    let with_key = Context::with_targeting_key("user-1");
    let default = Value::Null;
    for key in keys {
        for ctx in [&empty, &with_key] {
            let details = client.evaluate(key, ctx, &default, FlagType::Any);
            let _ = serde_json::to_string(&details);
            let _ = client.get_bool(key, ctx, false);
            let _ = client.get_string(key, ctx, "");
            let _ = client.get_int(key, ctx, 0);
            let _ = client.get_float(key, ctx, 0.0);
        }
    }
    // An unknown flag, too; and every flag at once, with its payload.
    let _ = client.get_bool("\u{0}not-a-flag", &empty, false);
    let mut outcomes = Vec::new();
    client.evaluate_all(&with_key, &mut outcomes);
    let _ = client.precompute(&with_key);
});
