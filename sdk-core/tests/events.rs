//! Events against DESIGN §6: exposure fields, deduplication per (unit, flag, experiment,
//! variant) in a bounded LRU, `track`, the bounded queue that drops the oldest, the drained JSON,
//! and memory that stays bounded however many units the client sees.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Map, Value};
use tandem::{
    Capacities, Client, Context, ErrorCode, Event, Exposure, FixedClock, Reason, Stats, Timestamp,
};
use xxhash_rust::xxh3::xxh3_64;

/// The host clock: 2026-11-17T01:46:40.123Z.
const NOW_MS: i64 = 1_795_312_000_123;
const REVISION: &str = "2026-11-25.42";

fn clock() -> FixedClock {
    FixedClock(Timestamp::from_unix_millis(NOW_MS))
}

/// The variant the §4 allocation gives `unit` for weights 1/1 over `[a, b]`.
fn half(salt: &str, unit: &str, a: &'static str, b: &'static str) -> &'static str {
    let hash = xxh3_64(format!("{salt}\0{unit}").as_bytes());
    if (u128::from(hash) * 2) >> 64 == 0 {
        a
    } else {
        b
    }
}

/// DESIGN §2's experiment on a string flag, in layer `checkout` `[0, 10000)`, plus a static flag,
/// a targeted flag and a second experiment flag. `holdout` is the percent of the global holdout.
fn doc(split: [u32; 2], holdout: f64) -> Value {
    json!({
        "revision": REVISION,
        "flags": {
            "checkout-button": {
                "state": "ENABLED",
                "variants": {"control": "blue", "treatment": "green"},
                "defaultVariant": "control",
                "targeting": {"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "treatment", null]}
            },
            "banner": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
            "limit": {"state": "ENABLED", "variants": {"low": 1, "high": 9}, "defaultVariant": "low"}
        },
        "experiments": {
            "checkout-personalization": {
                "flag": "checkout-button", "status": "running", "layer": "checkout",
                "allocation": [["control", split[0]], ["treatment", split[1]]]
            },
            "limit-test": {"flag": "limit", "status": "running",
                           "allocation": [["low", 1], ["high", 1]]}
        },
        "layers": {"checkout": {"ranges": {"checkout-personalization": [[0, 10000]]}}},
        "holdouts": {"q4-global": {"percent": holdout, "experiments": ["checkout-personalization"]}}
    })
}

fn client(doc: &Value) -> Client {
    Client::from_json(&doc.to_string(), clock(), 7).unwrap()
}

fn unit(key: &str) -> Context {
    Context::with_targeting_key(key)
}

fn exposures(events: Vec<Event>) -> Vec<Exposure> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Exposure(x) => x,
            other => panic!("expected an exposure, got {other:?}"),
        })
        .collect()
}

#[test]
fn an_exposure_carries_every_field_of_the_spec() {
    let client = client(&doc([1, 1], 0.0));
    let details = client.get_string("checkout-button", &unit("user-1"), "fallback");
    let variant = half(
        "experiment/checkout-personalization",
        "user-1",
        "control",
        "treatment",
    );
    assert_eq!(details.variant(), Some(variant));
    assert_eq!(client.stats().queued, 1);
    let logged = exposures(client.drain_events());
    assert_eq!(logged.len(), 1);
    assert_eq!(
        serde_json::to_value(&logged[0]).unwrap(),
        json!({
            "flag": "checkout-button",
            "variant": variant,
            "experiment": "checkout-personalization",
            "layer": "checkout",
            "unit": "user-1",
            "reason": "SPLIT",
            "revision": REVISION,
            "timestamp": NOW_MS,
        })
    );
    // An implicit layer is no layer; a config without a revision logs none.
    let mut no_revision = doc([1, 1], 0.0);
    no_revision.as_object_mut().unwrap().remove("revision");
    let client = self::client(&no_revision);
    client.get_int("limit", &unit("user-1"), 0);
    let logged = exposures(client.drain_events());
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].layer, None);
    assert_eq!(logged[0].revision, None);
    assert_eq!(&*logged[0].experiment, "limit-test");
    assert_eq!(
        logged[0].variant.as_deref(),
        Some(half("experiment/limit-test", "user-1", "low", "high"))
    );
}

#[test]
fn a_held_out_exposure_names_its_holdout_and_the_default_variant() {
    let client = client(&doc([1, 1], 100.0));
    let details = client.get_string("checkout-button", &unit("user-1"), "fallback");
    assert_eq!(details.variant(), Some("control"));
    let logged = exposures(client.drain_events());
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].holdout.as_deref(), Some("q4-global"));
    assert_eq!(logged[0].reason, "DEFAULT");
    assert_eq!(logged[0].variant.as_deref(), Some("control"));
    assert_eq!(&*logged[0].experiment, "checkout-personalization");
}

#[test]
fn only_experiment_assignments_are_exposures() {
    let client = client(&doc([1, 1], 0.0));
    // Static flag, targeting match, missing unit, unknown flag: none is an exposure.
    client.get_bool("banner", &unit("u1"), true);
    client.get_string(
        "checkout-button",
        &Context::from_value(json!({"targetingKey": "u1", "email": "qa@example.com"})).unwrap(),
        "",
    );
    client.get_string("checkout-button", &Context::new(), "");
    client.get_string("nope", &unit("u1"), "");
    assert_eq!(client.stats().queued, 0);
    assert!(client.drain_events().is_empty());
}

/// DESIGN §6: an assigned unit is always exposed, also when its arm then fails — here the
/// value has another type than the one requested. The exposure names the assigned arm, with
/// the error code; a missing exposure would bias the comparison toward the failing arm.
#[test]
fn a_failing_arm_is_still_exposed_with_its_error_code() {
    let client = client(&doc([1, 1], 0.0));
    let details = client.get_bool("checkout-button", &unit("u1"), false);
    assert_eq!(
        (details.value, details.reason, details.error_code),
        (false, Reason::Error, Some(ErrorCode::TypeMismatch))
    );
    let arm = half(
        "experiment/checkout-personalization",
        "u1",
        "control",
        "treatment",
    );
    let logged = exposures(client.drain_events());
    assert_eq!(logged.len(), 1);
    assert_eq!(
        serde_json::to_value(&logged[0]).unwrap(),
        json!({
            "flag": "checkout-button", "variant": arm,
            "experiment": "checkout-personalization", "layer": "checkout",
            "unit": "u1", "reason": "ERROR", "errorCode": "TYPE_MISMATCH",
            "revision": REVISION, "timestamp": NOW_MS,
        })
    );
}

#[test]
fn exposures_are_deduplicated_per_unit_flag_experiment_and_variant() {
    let client = client(&doc([1, 1], 0.0));
    // One unit of each arm, from the §4 formula.
    let salt = "experiment/checkout-personalization";
    let control = (0..)
        .map(|n| format!("u{n}"))
        .find(|u| half(salt, u, "control", "treatment") == "control")
        .unwrap();
    let treated = (0..)
        .map(|n| format!("u{n}"))
        .find(|u| half(salt, u, "control", "treatment") == "treatment")
        .unwrap();

    for _ in 0..3 {
        client.get_string("checkout-button", &unit(&control), "");
    }
    assert_eq!(
        client.stats().queued,
        1,
        "same unit three times: one exposure"
    );
    assert_eq!(client.stats().deduplicated, 2);
    // Another flag (another experiment) for the same unit is another exposure.
    client.get_int("limit", &unit(&control), 0);
    assert_eq!(client.stats().queued, 2);
    client.get_string("checkout-button", &unit(&treated), "");
    assert_eq!(client.stats().queued, 3);
    // Draining does not forget what was logged.
    client.drain_events();
    client.get_string("checkout-button", &unit(&control), "");
    client.get_string("checkout-button", &unit(&treated), "");
    assert_eq!(client.stats().queued, 0);

    // A new config that moves the control unit to treatment: a new variant, a new exposure.
    client.update(&doc([0, 1], 0.0).to_string()).unwrap();
    let moved = client.get_string("checkout-button", &unit(&control), "");
    assert_eq!(moved.variant(), Some("treatment"));
    // The treated unit keeps its variant (and a new revision alone changes nothing): still
    // deduplicated.
    let kept = client.get_string("checkout-button", &unit(&treated), "");
    assert_eq!(kept.variant(), Some("treatment"));
    let logged = exposures(client.drain_events());
    let seen: Vec<(&str, Option<&str>)> = logged
        .iter()
        .map(|x| (x.unit.as_str(), x.variant.as_deref()))
        .collect();
    assert_eq!(seen, [(control.as_str(), Some("treatment"))]);
    // Back to the old variant: it is still in the window, so not logged again.
    client.update(&doc([1, 1], 0.0).to_string()).unwrap();
    client.get_string("checkout-button", &unit(&control), "");
    assert_eq!(client.stats().queued, 0);
}

#[test]
fn the_dedup_window_is_a_bounded_lru() {
    let client = client(&doc([1, 1], 0.0)).with_capacities(Capacities {
        exposure_dedup: 2,
        ..Capacities::default()
    });
    let read = |u: &str| {
        client.get_string("checkout-button", &unit(u), "");
    };
    read("a");
    read("b");
    read("a"); // a is the most recent now, b the least
    read("c"); // forgets b
    read("a"); // still remembered
    read("b"); // forgotten: logged again (forgets c)
    let units: Vec<String> = exposures(client.drain_events())
        .into_iter()
        .map(|x| x.unit)
        .collect();
    assert_eq!(units, ["a", "b", "c", "b"]);
    assert_eq!(client.stats().deduplicated, 2);
}

fn track_names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Track(t) => t.name.clone(),
            Event::Exposure(x) => format!("exposure:{}", x.unit),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts_the_drops() {
    let client = client(&doc([1, 1], 0.0)).with_capacities(Capacities {
        events: 3,
        ..Capacities::default()
    });
    for n in 0..5 {
        client
            .track(&format!("e{n}"), "u1", None, Map::new())
            .unwrap();
    }
    assert_eq!(
        client.stats(),
        Stats {
            queued: 3,
            dropped: 2,
            deduplicated: 0,
            decisions: 0,
            sticky_assignments: 0
        }
    );
    assert_eq!(track_names(&client.drain_events()), ["e2", "e3", "e4"]);
    // Exposures share the queue.
    client.get_string("checkout-button", &unit("x1"), "");
    client.track("e5", "u1", None, Map::new()).unwrap();
    client.get_string("checkout-button", &unit("x2"), "");
    client.get_string("checkout-button", &unit("x3"), "");
    assert_eq!(
        track_names(&client.drain_events()),
        ["e5", "exposure:x2", "exposure:x3"]
    );
    let stats = client.stats();
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.dropped, 3, "the drop counter is cumulative");
}

#[test]
fn the_default_queue_holds_1000_events() {
    let client = client(&doc([1, 1], 0.0));
    for n in 0..1_005 {
        client
            .track("t", &format!("u{n}"), Some(1.0), Map::new())
            .unwrap();
    }
    assert_eq!(client.stats().queued, 1_000);
    assert_eq!(client.stats().dropped, 5);
    let drained = client.drain_events();
    match &drained[0] {
        Event::Track(t) => assert_eq!(t.unit, "u5"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn track_events_carry_name_unit_value_properties_and_host_time() {
    let client = client(&doc([1, 1], 0.0));
    let mut properties = Map::new();
    properties.insert("sku".into(), json!("A-1"));
    properties.insert("items".into(), json!(2));
    client
        .track("purchase", "user-1", Some(12.5), properties.clone())
        .unwrap();
    client.track("refund", "user-2", None, Map::new()).unwrap();
    // A non-finite value cannot be serialized as JSON: it is dropped, the event is kept.
    client
        .track("latency_ms", "user-3", Some(f64::NAN), Map::new())
        .unwrap();
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(
        events,
        json!([
            {"type": "track", "name": "purchase", "unit": "user-1", "value": 12.5,
             "properties": properties, "timestamp": NOW_MS},
            {"type": "track", "name": "refund", "unit": "user-2", "timestamp": NOW_MS},
            {"type": "track", "name": "latency_ms", "unit": "user-3", "timestamp": NOW_MS},
        ])
    );
}

#[test]
fn drained_json_is_an_array_of_typed_events_oldest_first() {
    let client = client(&doc([1, 1], 100.0));
    client.get_string("checkout-button", &unit("user-1"), "");
    client
        .track("purchase", "user-1", Some(12.5), {
            let mut p = Map::new();
            p.insert("sku".into(), json!("A-1"));
            p
        })
        .unwrap();
    client.track("refund", "user-1", None, Map::new()).unwrap();
    let text = client.drain_events_json();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed,
        json!([
            {"type": "exposure", "flag": "checkout-button", "variant": "control",
             "experiment": "checkout-personalization", "layer": "checkout",
             "holdout": "q4-global", "unit": "user-1", "reason": "DEFAULT",
             "revision": REVISION, "timestamp": NOW_MS},
            {"type": "track", "name": "purchase", "unit": "user-1", "value": 12.5,
             "properties": {"sku": "A-1"}, "timestamp": NOW_MS},
            {"type": "track", "name": "refund", "unit": "user-1", "timestamp": NOW_MS}
        ])
    );
    // The type tag comes first, so streaming consumers can dispatch early.
    assert!(text.starts_with(r#"[{"type":"exposure""#), "{text}");
    assert_eq!(client.drain_events_json(), "[]");
    assert_eq!(client.stats().queued, 0);
}

#[test]
fn memory_stays_bounded_over_200k_distinct_units() {
    // A sticky experiment too, so all three bounded structures fill up.
    let mut doc = doc([1, 1], 2.5);
    doc["experiments"]["checkout-personalization"]["sticky"] = json!(true);
    let client = client(&doc).with_capacities(Capacities {
        events: 100,
        exposure_dedup: 1_000,
        sticky: 500,
    });
    let mut ctx = Context::new();
    let units = 200_000u64;
    for n in 0..units {
        ctx.set_str("targetingKey", &format!("u{n}"));
        client.get_string("checkout-button", &ctx, "");
        client.get_int("limit", &ctx, 0);
        let stats = client.stats();
        assert!(stats.queued <= 100);
        assert!(stats.sticky_assignments <= 500);
    }
    let stats = client.stats();
    assert_eq!(stats.queued, 100);
    assert_eq!(stats.dropped, 2 * units - 100);
    assert_eq!(stats.deduplicated, 0, "every unit is new");
    assert_eq!(stats.sticky_assignments, 500);
    // The snapshot is bounded too.
    let snapshot: Value = serde_json::from_str(&client.export_sticky()).unwrap();
    assert_eq!(snapshot["assignments"].as_array().unwrap().len(), 500);
    // The first unit fell out of the window long ago: it is logged again.
    client.drain_events();
    ctx.set_str("targetingKey", "u0");
    client.get_int("limit", &ctx, 0);
    assert_eq!(client.stats().queued, 1);
    // The most recent one is still remembered.
    ctx.set_str("targetingKey", &format!("u{}", units - 1));
    client.get_int("limit", &ctx, 0);
    assert_eq!(client.stats().queued, 1);
}
