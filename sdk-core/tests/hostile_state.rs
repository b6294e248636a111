//! Issue "a core that cannot be made to hang, crash or lose data": the state items (bytes as
//! well as counts, sticky assignments that survive a broken update, checked precomputed
//! payloads) and the flagd behaviours of the evaluation order. Each test is a repro from the
//! issue; it failed before the fix.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use tandem::{
    Capacities, Client, Context, ErrorCode, ErrorKind, FixedClock, Reason, Severity, Timestamp,
};

fn clock() -> FixedClock {
    FixedClock::at_unix_seconds(1_795_000_000)
}

fn client(doc: &Value) -> Client {
    Client::from_json(&doc.to_string(), clock(), 11).unwrap()
}

fn sticky_doc(allocation: Value) -> Value {
    json!({"flags": {"f": {"state": "ENABLED", "variants": {"a": "A", "b": "B"},
                           "defaultVariant": "a"},
                     "other": {"state": "ENABLED", "variants": {"on": true},
                               "defaultVariant": "on"}},
           "experiments": {"e": {"flag": "f", "status": "running", "sticky": true,
                                 "allocation": allocation}}})
}

/// Item 9: an update whose allocation names a missing variant broke only that experiment, and
/// wiped its sticky assignments (1,000 → 0; after the fix only 456 of 1,000 kept their
/// variant). A broken experiment keeps its assignments.
#[test]
fn a_broken_update_keeps_the_sticky_assignments() {
    let client = client(&sticky_doc(json!([["a", 1], ["b", 1]])));
    let units: Vec<String> = (0..1000).map(|n| format!("u{n}")).collect();
    let before: Vec<Arc<str>> = units
        .iter()
        .map(|u| {
            client
                .get_string("f", &Context::with_targeting_key(u), "")
                .value
        })
        .collect();
    assert_eq!(client.stats().sticky_assignments, 1000);
    // A typo: the experiment is broken, the rest of the update loads.
    let broken = client
        .update(&sticky_doc(json!([["a", 1], ["bb", 1]])).to_string())
        .unwrap();
    assert!(broken
        .diagnostics()
        .iter()
        .any(|d| d.severity == Severity::Error && d.path.starts_with("experiments.e")));
    assert_eq!(client.stats().sticky_assignments, 1000);
    // The typo is fixed, with new weights that would move a quarter of the units.
    client
        .update(&sticky_doc(json!([["a", 1], ["b", 3]])).to_string())
        .unwrap();
    let after: Vec<Arc<str>> = units
        .iter()
        .map(|u| {
            client
                .get_string("f", &Context::with_targeting_key(u), "")
                .value
        })
        .collect();
    assert_eq!(before, after, "every unit keeps its variant");
    // Stopping the experiment forgets them.
    let mut stopped = sticky_doc(json!([["a", 1], ["b", 3]]));
    stopped["experiments"]["e"]["status"] = json!("stopped");
    client.update(&stopped.to_string()).unwrap();
    assert_eq!(client.stats().sticky_assignments, 0);
}

#[test]
fn a_missing_experiment_keeps_its_assignments_for_a_day() {
    let with = sticky_doc(json!([["a", 1], ["b", 1]])).to_string();
    let mut without = sticky_doc(json!([["a", 1], ["b", 1]]));
    without["experiments"] = json!({});
    let without = without.to_string();
    // The host clock moves through the test.
    let now = Arc::new(AtomicI64::new(0));
    let read = now.clone();
    let client = Client::from_json(
        &with,
        move || Timestamp::from_unix_seconds(read.load(Ordering::SeqCst)),
        5,
    )
    .unwrap();
    client.get_string("f", &Context::with_targeting_key("u1"), "");
    assert_eq!(client.stats().sticky_assignments, 1);
    let set = |s: i64| now.store(s, Ordering::SeqCst);
    set(10);
    client.update(&without).unwrap();
    set(10 + 23 * 3600);
    client.update(&without).unwrap();
    assert_eq!(
        client.stats().sticky_assignments,
        1,
        "missing for 23 hours: kept"
    );
    client.update(&with).unwrap();
    set(10 + 48 * 3600);
    client.update(&without).unwrap();
    assert_eq!(
        client.stats().sticky_assignments,
        1,
        "back meanwhile: the clock restarts"
    );
    set(10 + 73 * 3600);
    client.update(&without).unwrap();
    assert_eq!(
        client.stats().sticky_assignments,
        0,
        "gone for more than a day"
    );
}

/// Item 8: `import_sticky` returned Ok(1000000) for a 1,000,000-entry snapshot while 10,000
/// were kept, counted entries of unknown experiments as kept, and had no size limit.
#[test]
fn import_sticky_is_bounded_and_counts_what_it_keeps() {
    let client = client(&sticky_doc(json!([["a", 1], ["b", 1]]))).with_capacities(Capacities {
        sticky: 10_000,
        ..Capacities::default()
    });
    let entries: Vec<Value> = (0..100_000)
        .map(|n| json!(["e", format!("u{n}"), "a"]))
        .collect();
    let snapshot = json!({"v": 1, "assignments": entries}).to_string();
    assert_eq!(client.import_sticky(&snapshot).unwrap(), 10_000);
    assert_eq!(client.stats().sticky_assignments, 10_000);
    // Over the byte limit: refused whole.
    let huge = json!({"v": 1, "assignments": [["e", "u".repeat(17 * 1024 * 1024), "a"]]});
    let error = client.import_sticky(&huge.to_string()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    // Units over the unit limit are not kept, nor are assignments of a stopped experiment.
    let mut stopped = sticky_doc(json!([["a", 1], ["b", 1]]));
    stopped["experiments"]["e"]["status"] = json!("stopped");
    let client = self::client(&stopped);
    let snapshot = json!({"v": 1, "assignments": [
        ["e", "u1", "a"], ["e", "x".repeat(2000), "a"], ["elsewhere", "u1", "b"]]});
    assert_eq!(client.import_sticky(&snapshot.to_string()).unwrap(), 1);
}

fn payload(flags: Value) -> String {
    json!({"v": 1, "flags": flags}).to_string()
}

fn decision(overrides: Value) -> Value {
    let mut d = json!({"policyId": "p", "version": "1", "digest": "xxh3-128:00",
                       "decisionKey": "", "unit": "u1", "draw": 0.5, "action": "b",
                       "actionIndex": 1, "propensity": 0.75,
                       "probabilities": [0.25, 0.75], "scores": [0.0, 1.0],
                       "optimalityGap": 0.0});
    for (k, v) in overrides.as_object().unwrap() {
        d[k] = v.clone();
    }
    d
}

/// Item 10: a payload had no entry limit (344,658 entries loaded at 466 MB) and its decisions
/// were served unchecked (`actionIndex: 99`, `probabilities: [0.1]`, `propensity: 7.5`).
#[test]
fn precomputed_payloads_are_checked() {
    let load = |text: &str| Client::from_precomputed(text, clock(), 0);
    let entry = |d: Value| {
        json!([{"key": "f", "value": "B", "variant": "p", "reason": "STATIC",
                                   "decision": d}])
    };
    assert!(load(&payload(entry(decision(json!({}))))).is_ok());
    for (bad, path) in [
        (json!({"actionIndex": 99}), "actionIndex"),
        (
            json!({"probabilities": [0.1], "scores": [1.0]}),
            "probabilities",
        ),
        (json!({"propensity": 7.5}), "propensity"),
        (json!({"propensity": 0.25}), "propensity"),
        (json!({"probabilities": [0.5, 0.75]}), "probabilities"),
        (json!({"probabilities": [-0.25, 1.25]}), "probabilities[0]"),
        (json!({"scores": [1.0]}), "scores"),
        (json!({"draw": 1.0}), "draw"),
        (json!({"unit": "u".repeat(1025)}), "unit"),
    ] {
        let error = load(&payload(entry(decision(bad.clone())))).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidConfig, "{bad}");
        assert!(
            error
                .message()
                .starts_with(&format!("flags[0].decision.{path}")),
            "{bad}: {}",
            error.message()
        );
    }
    // Counts: more entries than max_flags, or more bytes than max_payload_bytes.
    let many: Vec<Value> = (0..20_001)
        .map(|n| json!({"key": format!("f{n}"), "reason": "DEFAULT"}))
        .collect();
    let error = load(&payload(Value::Array(many))).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(error.message().contains("max_flags"), "{}", error.message());
    let big = payload(
        json!([{"key": "f", "value": "x".repeat(9 << 20), "variant": "v",
                              "reason": "STATIC"}]),
    );
    let error = load(&big).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(
        error.message().contains("max_payload_bytes"),
        "{}",
        error.message()
    );
    // Duplicate flag keys, and an exposure without an experiment.
    let dup = json!([{"key": "f", "reason": "DEFAULT"}, {"key": "f", "reason": "DEFAULT"}]);
    assert!(load(&payload(dup))
        .unwrap_err()
        .message()
        .contains("flags[1].key"));
    let orphan = json!([{"key": "f", "reason": "SPLIT", "unit": "u1"}]);
    assert!(load(&payload(orphan)).is_err());
}

/// Item 12: `defaultVariant: ""` means "no default" (the flag broke with PARSE_ERROR for every
/// context before).
#[test]
fn an_empty_default_variant_means_no_default() {
    let client = client(&json!({"flags": {"f": {
        "state": "ENABLED", "defaultVariant": "",
        "variants": {"on": true, "off": false},
        "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", null]}}}}));
    let pro = Context::from_json(r#"{"plan": "pro"}"#).unwrap();
    let details = client.get_bool("f", &pro, false);
    assert_eq!(
        (details.value, details.variant(), details.reason),
        (true, Some("on"), Reason::TargetingMatch)
    );
    let details = client.get_bool("f", &Context::new(), true);
    assert_eq!(
        (
            details.value,
            details.variant(),
            details.reason,
            details.error_code
        ),
        (true, None, Reason::Default, None)
    );
}

/// Item 13: a disabled flag is DISABLED even when its targeting is broken; `validate` still
/// reports the rule.
#[test]
fn a_disabled_broken_flag_is_disabled() {
    let client = client(&json!({"flags": {"f": {
        "state": "DISABLED", "defaultVariant": "on", "variants": {"on": true},
        "targeting": {"invalid_op": [1]}}}}));
    let details = client.get_bool("f", &Context::new(), false);
    assert_eq!(
        (details.value, details.reason, details.error_code),
        (false, Reason::Disabled, None)
    );
    let snapshot = client.snapshot();
    assert!(snapshot
        .diagnostics()
        .iter()
        .any(|d| d.path.starts_with("flags.f.targeting") && d.severity == Severity::Error));
}

/// Item 17: FLAG_NOT_FOUND and PARSE_ERROR results carry the flag set's metadata, as flagd's
/// do.
#[test]
fn errors_carry_the_flag_sets_metadata() {
    let client = client(&json!({"metadata": {"flagSetId": "shop", "version": 3},
        "flags": {"broken": {"state": "ENABLED", "variants": {"on": true},
                             "defaultVariant": "missing",
                             "metadata": {"owner": "growth"}}}}));
    for key in ["broken", "nope"] {
        let details = client.get_bool(key, &Context::new(), false);
        assert!(matches!(
            details.error_code,
            Some(ErrorCode::ParseError | ErrorCode::FlagNotFound)
        ));
        assert_eq!(
            Value::Object(details.flag_metadata().unwrap().clone()),
            json!({"flagSetId": "shop", "version": 3}),
            "{key}"
        );
    }
}

/// Item 5, for payloads and snapshots: a repeated key is refused with its path, not read
/// last-wins.
#[test]
fn payloads_and_sticky_snapshots_refuse_repeated_keys() {
    let payload = r#"{"v": 1, "flags": [{"key": "f", "value": true, "variant": "on",
        "reason": "STATIC", "reason": "SPLIT"}]}"#;
    let error = Client::from_precomputed(payload, clock(), 0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    assert!(
        error.message().starts_with("flags[0].reason"),
        "{}",
        error.message()
    );
    let client = client(&sticky_doc(json!([["a", 1], ["b", 1]])));
    let error = client
        .import_sticky(r#"{"v": 1, "assignments": [], "assignments": [["e", "u", "a"]]}"#)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    assert!(
        error.message().contains("assignments"),
        "{}",
        error.message()
    );
}
