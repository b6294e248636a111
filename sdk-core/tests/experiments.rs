//! Experiments against DESIGN §3 step 5 and §4: schedules, statuses, audiences, units, holdouts,
//! layers, traffic, order, reasons and sticky assignments.
//!
//! Every expected variant is computed here from the §4 formulas with `xxh3_64` directly (not
//! through `tandem::bucketing`), so the tests pin the normative behaviour, not the implementation.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use serde_json::{json, Value};
use tandem::{
    Client, Context, ErrorCode, EvaluationDetails, Event, ExperimentDetails, Exposure, FixedClock,
    Reason, Timestamp,
};
use xxhash_rust::xxh3::xxh3_64;

// ---------------------------------------------------------------------------------------------
// The §4 formulas, written out independently of the crate.

/// `h(salt, unit) = XXH3_64(UTF-8(salt) ‖ 0x00 ‖ UTF-8(unit))`, seed 0.
fn h(salt: &str, unit: &str) -> u64 {
    let mut bytes = Vec::with_capacity(salt.len() + 1 + unit.len());
    bytes.extend_from_slice(salt.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(unit.as_bytes());
    xxh3_64(&bytes)
}

/// `(h × n) >> 64` with a 128-bit product.
fn scaled(hash: u64, n: u64) -> u64 {
    u64::try_from((u128::from(hash) * u128::from(n)) >> 64).unwrap()
}

/// `bucket(salt, unit)`, in `[0, 10000)`.
fn bucket(salt: &str, unit: &str) -> u64 {
    scaled(h(salt, unit), 10_000)
}

/// The allocation arm: the first `i` with `r < w_1 + … + w_i`, `r = (h × W) >> 64`.
fn arm(salt: &str, unit: &str, weights: &[u64]) -> usize {
    let r = scaled(h(salt, unit), weights.iter().sum());
    let mut running = 0;
    weights
        .iter()
        .position(|w| {
            running += w;
            r < running
        })
        .unwrap()
}

/// The variant name the allocation `[(name, weight)]` gives `unit` under `salt`.
fn expected_variant<'v>(salt: &str, unit: &str, allocation: &[(&'v str, u64)]) -> &'v str {
    let weights: Vec<u64> = allocation.iter().map(|&(_, w)| w).collect();
    allocation[arm(salt, unit, &weights)].0
}

/// The first unit `u<n>` with `pred(unit)`; the predicates used hold for ≥ 1/10000 of units.
fn find_unit(pred: impl Fn(&str) -> bool) -> String {
    (0..2_000_000)
        .map(|n| format!("u{n}"))
        .find(|u| pred(u))
        .expect("a unit with the property exists among the first 2M")
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// 2026-11-01T00:00:00Z and 2026-12-01T00:00:00Z in milliseconds (`date -u -d ... +%s`).
const START_MS: i64 = 1_793_491_200_000;
const END_MS: i64 = 1_796_083_200_000;
/// Mid-November 2026, inside the schedule.
const DURING_MS: i64 = 1_794_700_800_000;

const SPLIT_3: [(&str, u64); 3] = [("control", 34), ("cb-v1", 33), ("cb-v2", 33)];

fn clock_ms(ms: i64) -> FixedClock {
    FixedClock(Timestamp::from_unix_millis(ms))
}

fn client_at(doc: &Value, ms: i64) -> Client {
    let client = Client::from_json(&doc.to_string(), clock_ms(ms), 7)
        .unwrap_or_else(|e| panic!("the config should load: {e}"));
    assert!(
        client.snapshot().config().unwrap().is_valid(),
        "{:?}",
        client.snapshot().diagnostics()
    );
    client
}

fn client(doc: &Value) -> Client {
    client_at(doc, DURING_MS)
}

fn ctx(value: Value) -> Context {
    Context::from_value(value).unwrap()
}

fn unit(key: &str) -> Context {
    Context::with_targeting_key(key)
}

/// DESIGN §2's `checkout-button` with string values (policies are not what this tests).
fn button_flag() -> Value {
    json!({
        "state": "ENABLED",
        "variants": {"control": "blue", "cb-v1": "green", "cb-v2": "red"},
        "defaultVariant": "control"
    })
}

fn allocation(split: &[(&str, u64)]) -> Value {
    Value::Array(split.iter().map(|&(v, w)| json!([v, w])).collect())
}

/// One running experiment `exp` on flag `button` with `extra` fields merged in.
fn single(extra: Value) -> Value {
    let mut experiment = json!({
        "flag": "button",
        "status": "running",
        "allocation": allocation(&SPLIT_3),
    });
    for (k, v) in extra.as_object().unwrap() {
        experiment[k] = v.clone();
    }
    json!({
        "revision": "r1",
        "flags": {"button": button_flag()},
        "experiments": {"exp": experiment}
    })
}

/// The value of `variant` in `button_flag`.
fn value_of(variant: &str) -> &'static str {
    match variant {
        "control" => "blue",
        "cb-v1" => "green",
        "cb-v2" => "red",
        other => panic!("no variant {other}"),
    }
}

fn exposures(client: &Client) -> Vec<Exposure> {
    client
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Exposure(x) => Some(x),
            _ => None,
        })
        .collect()
}

fn experiment(key: &str) -> Option<ExperimentDetails<'_>> {
    Some(ExperimentDetails {
        key,
        layer: None,
        holdout: None,
        skipped: None,
    })
}

/// Asserts an experiment split `unit` into the variant the §4 formula gives.
#[track_caller]
fn assert_split(details: &EvaluationDetails<'_, Arc<str>>, salt: &str, unit: &str, exp: &str) {
    let variant = expected_variant(salt, unit, &SPLIT_3);
    assert_eq!(details.reason, Reason::Split, "{details:?}");
    assert_eq!(details.variant(), Some(variant), "{details:?}");
    assert_eq!(details.value, value_of(variant).into(), "{details:?}");
    assert_eq!(details.error_code, None, "{details:?}");
    assert_eq!(
        details.experiment().map(|e| e.key),
        Some(exp),
        "{details:?}"
    );
}

/// Asserts the flag's default variant came back with `DEFAULT` and no experiment applied.
#[track_caller]
fn assert_not_in_experiment(details: &EvaluationDetails<'_, Arc<str>>) {
    assert_eq!(details.reason, Reason::Default, "{details:?}");
    assert_eq!(details.variant(), Some("control"), "{details:?}");
    assert_eq!(details.value, "blue".into(), "{details:?}");
    assert_eq!(details.error_code, None, "{details:?}");
    assert_eq!(details.experiment(), None, "{details:?}");
}

// ---------------------------------------------------------------------------------------------
// Status and schedule.

#[test]
fn schedule_is_start_inclusive_end_exclusive_on_the_host_clock() {
    let doc = single(json!({"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}));
    let cases = [
        (START_MS - 1, false),
        (START_MS, true),
        (DURING_MS, true),
        (END_MS - 1, true),
        (END_MS, false),
        (END_MS + 86_400_000, false),
    ];
    for (ms, live) in cases {
        let client = client_at(&doc, ms);
        for n in 0..20 {
            let u = format!("user-{n}");
            let details = client.get_string("button", &unit(&u), "fallback");
            if live {
                assert_split(&details, "experiment/exp", &u, "exp");
            } else {
                assert_not_in_experiment(&details);
            }
        }
        assert_eq!(
            exposures(&client).len(),
            if live { 20 } else { 0 },
            "at {ms}: one exposure per unit only while live"
        );
    }
    // An open-ended schedule: only a start, or only an end.
    let from = single(json!({"start": "2026-11-01T00:00:00Z"}));
    assert_eq!(
        client_at(&from, START_MS - 1)
            .get_string("button", &unit("a"), "")
            .reason,
        Reason::Default
    );
    assert_eq!(
        client_at(&from, END_MS * 2)
            .get_string("button", &unit("a"), "")
            .reason,
        Reason::Split
    );
    let until = single(json!({"end": "2026-12-01T00:00:00Z"}));
    assert_eq!(
        client_at(&until, 0)
            .get_string("button", &unit("a"), "")
            .reason,
        Reason::Split
    );
    assert_eq!(
        client_at(&until, END_MS)
            .get_string("button", &unit("a"), "")
            .reason,
        Reason::Default
    );
}

#[test]
fn draft_and_stopped_experiments_never_apply() {
    for status in ["draft", "stopped"] {
        let client = client(&single(json!({"status": status})));
        for n in 0..50 {
            let details = client.get_string("button", &unit(&format!("u{n}")), "fallback");
            // The flag has an experiment, so its default is DEFAULT, not STATIC (§3 step 6).
            assert_not_in_experiment(&details);
        }
        assert!(exposures(&client).is_empty(), "{status}: no exposures");
    }
}

#[test]
fn an_audience_miss_skips_the_experiment() {
    let doc = single(json!({"audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]}}));
    let client = client(&doc);
    let fr = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "u1", "country": "FR"})),
        "",
    );
    assert_not_in_experiment(&fr);
    let no_country = client.get_string("button", &unit("u1"), "");
    assert_not_in_experiment(&no_country);
    let se = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "u1", "country": "SE"})),
        "",
    );
    assert_split(&se, "experiment/exp", "u1", "exp");
    let logged = exposures(&client);
    assert_eq!(logged.len(), 1, "only the audience member is exposed");
    assert_eq!(logged[0].unit, "u1");
}

// ---------------------------------------------------------------------------------------------
// Units.

#[test]
fn a_missing_unit_skips_the_experiment_with_targeting_key_missing() {
    let client = client(&single(json!({})));
    for context in [
        json!({}),
        json!({"targetingKey": null}),
        json!({"other": "x"}),
    ] {
        let details = client.get_string("button", &ctx(context.clone()), "fallback");
        assert_eq!(details.reason, Reason::Default, "{context}");
        assert_eq!(details.variant(), Some("control"));
        assert_eq!(details.value, "blue".into());
        // Evaluation goes on: the skip is reported in the experiment details, not as an error.
        assert_eq!(details.error_code, None);
        assert_eq!(
            details.experiment(),
            Some(ExperimentDetails {
                key: "exp",
                layer: None,
                holdout: None,
                skipped: Some(ErrorCode::TargetingKeyMissing),
            }),
            "{context}"
        );
    }
    assert!(
        exposures(&client).is_empty(),
        "a skipped experiment logs nothing"
    );
}

#[test]
fn an_invalid_unit_skips_the_experiment_with_invalid_context() {
    let client = client(&single(json!({})));
    for key in [
        json!(true),
        json!(false),
        json!(4.5),
        json!(""),
        json!([1]),
        json!({"id": 1}),
    ] {
        let details = client.get_string("button", &ctx(json!({ "targetingKey": key })), "x");
        assert_eq!(details.reason, Reason::Default, "{key}");
        assert_eq!(details.variant(), Some("control"), "{key}");
        assert_eq!(details.error_code, None, "{key}");
        assert_eq!(
            details.experiment().and_then(|e| e.skipped),
            Some(ErrorCode::InvalidContext),
            "{key}"
        );
        assert_eq!(details.experiment().map(|e| e.key), Some("exp"));
    }
    assert!(exposures(&client).is_empty());
}

#[test]
fn an_integer_unit_is_its_decimal_digits() {
    let client = client(&single(json!({})));
    let as_string = client.get_string("button", &ctx(json!({"targetingKey": "42"})), "");
    assert_split(&as_string, "experiment/exp", "42", "exp");
    for key in [json!(42), json!(42.0)] {
        let details = client.get_string("button", &ctx(json!({ "targetingKey": key })), "");
        assert_split(&details, "experiment/exp", "42", "exp");
    }
    let negative = client.get_string("button", &ctx(json!({"targetingKey": -7})), "");
    assert_split(&negative, "experiment/exp", "-7", "exp");
    // "42", 42 and 42.0 are one unit: one exposure, unit "42".
    let logged = exposures(&client);
    let units: Vec<&str> = logged.iter().map(|x| x.unit.as_str()).collect();
    assert_eq!(units, ["42", "-7"]);
}

#[test]
fn a_custom_unit_path_reads_nested_context() {
    // A targeting key and a user id that the allocation splits apart, so the test tells them
    // apart.
    let weights = [1, 1, 1];
    let id = find_unit(|u| {
        arm("experiment/exp", u, &weights) != arm("experiment/exp", "tk-1", &weights)
    });
    let client = client(&single(json!({"unit": "user.id"})));
    let details = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "tk-1", "user": {"id": id}})),
        "",
    );
    assert_split(&details, "experiment/exp", &id, "exp");
    // The targeting key is not the unit: without user.id the experiment is skipped.
    let missing = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "tk-1", "user": {}})),
        "",
    );
    assert_eq!(
        missing.experiment().and_then(|e| e.skipped),
        Some(ErrorCode::TargetingKeyMissing)
    );
    let invalid = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "tk-1", "user": {"id": false}})),
        "",
    );
    assert_eq!(
        invalid.experiment().and_then(|e| e.skipped),
        Some(ErrorCode::InvalidContext)
    );
    // An integer id is a unit too.
    let numeric = client.get_string("button", &ctx(json!({"user": {"id": 1234}})), "");
    assert_split(&numeric, "experiment/exp", "1234", "exp");
    let logged = exposures(&client);
    let units: Vec<&str> = logged.iter().map(|x| x.unit.as_str()).collect();
    assert_eq!(units, [id.as_str(), "1234"]);
}

// ---------------------------------------------------------------------------------------------
// Holdouts.

fn with_holdouts(mut doc: Value, holdouts: Value) -> Value {
    doc["holdouts"] = holdouts;
    doc
}

#[test]
fn a_global_holdout_serves_the_default_variant_and_is_still_an_exposure() {
    let doc = with_holdouts(
        single(json!({})),
        json!({"half": {"percent": 50, "experiments": ["*"]}}),
    );
    let client = client(&doc);
    let held = find_unit(|u| bucket("holdout/half", u) < 5000);
    let not_held = find_unit(|u| bucket("holdout/half", u) >= 5000);

    let details = client.get_string("button", &unit(&held), "fallback");
    assert_eq!(details.reason, Reason::Default);
    assert_eq!(details.variant(), Some("control"));
    assert_eq!(details.value, "blue".into());
    assert_eq!(
        details.experiment(),
        Some(ExperimentDetails {
            key: "exp",
            layer: None,
            holdout: Some("half"),
            skipped: None,
        })
    );
    let details = client.get_string("button", &unit(&not_held), "fallback");
    assert_split(&details, "experiment/exp", &not_held, "exp");
    assert_eq!(details.experiment().and_then(|e| e.holdout), None);

    let logged = exposures(&client);
    assert_eq!(
        logged.len(),
        2,
        "the held-out unit is the holdout's control group"
    );
    assert_eq!(logged[0].unit, held);
    assert_eq!(logged[0].holdout.as_deref(), Some("half"));
    assert_eq!(logged[0].reason, "DEFAULT");
    assert_eq!(logged[0].variant.as_deref(), Some("control"));
    assert_eq!(&*logged[0].experiment, "exp");
    assert_eq!(logged[1].holdout, None);
    assert_eq!(logged[1].reason, "SPLIT");
}

#[test]
fn holdout_threshold_is_round_percent_times_100_over_the_holdout_salt() {
    // 2.5 % → buckets [0, 250): find units on each side of the edge.
    let doc = with_holdouts(
        single(json!({})),
        json!({"q4": {"percent": 2.5, "experiments": ["*"]}}),
    );
    let client = client(&doc);
    let edge_in = find_unit(|u| bucket("holdout/q4", u) == 249);
    let edge_out = find_unit(|u| bucket("holdout/q4", u) == 250);
    let inside = client.get_string("button", &unit(&edge_in), "");
    assert_eq!(inside.experiment().and_then(|e| e.holdout), Some("q4"));
    assert_eq!(inside.reason, Reason::Default);
    let outside = client.get_string("button", &unit(&edge_out), "");
    assert_split(&outside, "experiment/exp", &edge_out, "exp");

    // A custom holdout salt replaces `holdout/<key>`.
    let salted = with_holdouts(
        single(json!({})),
        json!({"q4": {"percent": 50, "experiments": ["*"], "salt": "hs"}}),
    );
    let client = client_at(&salted, DURING_MS);
    let u = find_unit(|u| (bucket("hs", u) < 5000) != (bucket("holdout/q4", u) < 5000));
    let details = client.get_string("button", &unit(&u), "");
    assert_eq!(
        details.experiment().and_then(|e| e.holdout).is_some(),
        bucket("hs", &u) < 5000
    );
}

#[test]
fn a_named_holdout_covers_only_its_experiments() {
    let doc = json!({
        "flags": {"button": button_flag(), "other": button_flag()},
        "experiments": {
            "exp": {"flag": "button", "status": "running", "allocation": allocation(&SPLIT_3)},
            "exp2": {"flag": "other", "status": "running", "allocation": allocation(&SPLIT_3)}
        },
        "holdouts": {"all": {"percent": 100, "experiments": ["exp2"]}}
    });
    let client = client(&doc);
    for n in 0..30 {
        let u = format!("u{n}");
        let covered = client.get_string("other", &unit(&u), "");
        assert_eq!(covered.reason, Reason::Default);
        assert_eq!(covered.variant(), Some("control"));
        assert_eq!(covered.experiment().and_then(|e| e.holdout), Some("all"));
        let uncovered = client.get_string("button", &unit(&u), "");
        assert_split(&uncovered, "experiment/exp", &u, "exp");
    }
}

#[test]
fn a_held_out_unit_of_a_flag_without_default_variant_gets_the_callers_default() {
    let mut doc = with_holdouts(
        single(json!({})),
        json!({"all": {"percent": 100, "experiments": ["*"]}}),
    );
    doc["flags"]["button"]
        .as_object_mut()
        .unwrap()
        .remove("defaultVariant");
    let client = client(&doc);
    let details = client.get_string("button", &unit("u1"), "fallback");
    assert_eq!(details.value, "fallback".into());
    assert_eq!(details.variant(), None);
    assert_eq!(details.reason, Reason::Default);
    assert_eq!(details.experiment().and_then(|e| e.holdout), Some("all"));
    let logged = exposures(&client);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].variant, None);
}

// ---------------------------------------------------------------------------------------------
// Order of evaluation.

#[test]
fn targeting_wins_over_experiments() {
    let mut doc = single(json!({}));
    doc["flags"]["button"]["targeting"] =
        json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]});
    let client = client(&doc);
    let qa = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "u1", "email": "qa@example.com"})),
        "",
    );
    assert_eq!(qa.reason, Reason::TargetingMatch);
    assert_eq!(qa.variant(), Some("cb-v2"));
    assert_eq!(qa.experiment(), None);
    assert!(
        exposures(&client).is_empty(),
        "a targeting match is no exposure"
    );
    // A null targeting result goes on to the experiment.
    let other = client.get_string(
        "button",
        &ctx(json!({"targetingKey": "u1", "email": "ann@example.org"})),
        "",
    );
    assert_split(&other, "experiment/exp", "u1", "exp");
}

#[test]
fn the_first_matching_experiment_in_config_order_wins() {
    // `first` takes Swedes and 30 % traffic; `second` takes everyone.
    let experiments = |first_is_first: bool| {
        let first = json!({"flag": "button", "status": "running", "traffic": 30,
                           "audience": {"==": [{"var": "country"}, "SE"]},
                           "allocation": allocation(&SPLIT_3)});
        let second =
            json!({"flag": "button", "status": "running", "allocation": allocation(&SPLIT_3)});
        let mut map = serde_json::Map::new();
        if first_is_first {
            map.insert("first".into(), first);
            map.insert("second".into(), second);
        } else {
            map.insert("second".into(), second);
            map.insert("first".into(), first);
        }
        json!({"flags": {"button": button_flag()}, "experiments": map})
    };
    let client = client(&experiments(true));
    let in_first = find_unit(|u| bucket("layer/first", u) < 3000);
    let outside_first = find_unit(|u| bucket("layer/first", u) >= 3000);
    let se = |u: &str| ctx(json!({"targetingKey": u, "country": "SE"}));
    let us = |u: &str| ctx(json!({"targetingKey": u, "country": "US"}));

    // Both match: the first in config order.
    let d = client.get_string("button", &se(&in_first), "");
    assert_split(&d, "experiment/first", &in_first, "first");
    // Audience miss, or outside the first's traffic: the second.
    let d = client.get_string("button", &us(&in_first), "");
    assert_split(&d, "experiment/second", &in_first, "second");
    let d = client.get_string("button", &se(&outside_first), "");
    assert_split(&d, "experiment/second", &outside_first, "second");

    // Reversed in the document, the catch-all comes first and takes everyone.
    let client = client_at(&experiments(false), DURING_MS);
    let d = client.get_string("button", &se(&in_first), "");
    assert_split(&d, "experiment/second", &in_first, "second");
}

#[test]
fn a_unit_skipped_by_one_experiment_can_be_split_by_the_next() {
    let doc = json!({
        "flags": {"button": button_flag()},
        "experiments": {
            "by-user": {"flag": "button", "status": "running", "unit": "userId",
                        "allocation": allocation(&SPLIT_3)},
            "by-key": {"flag": "button", "status": "running", "allocation": allocation(&SPLIT_3)}
        }
    });
    let client = client(&doc);
    let d = client.get_string("button", &unit("k1"), "");
    assert_split(&d, "experiment/by-key", "k1", "by-key");
    assert_eq!(d.experiment().and_then(|e| e.skipped), None);
}

#[test]
fn reasons_are_static_default_and_split() {
    let doc = json!({
        "flags": {"plain": button_flag(), "button": button_flag()},
        "experiments": {"exp": {"flag": "button", "status": "running", "traffic": 50,
                                "allocation": allocation(&SPLIT_3)}}
    });
    let client = client(&doc);
    assert_eq!(
        client.get_string("plain", &unit("u1"), "").reason,
        Reason::Static
    );
    let inside = find_unit(|u| bucket("layer/exp", u) < 5000);
    let outside = find_unit(|u| bucket("layer/exp", u) >= 5000);
    assert_eq!(
        client.get_string("button", &unit(&inside), "").reason,
        Reason::Split
    );
    assert_not_in_experiment(&client.get_string("button", &unit(&outside), ""));
}

// ---------------------------------------------------------------------------------------------
// Layers, traffic, salts.

fn layered() -> Value {
    json!({
        "flags": {"fa": button_flag(), "fb": button_flag(), "fc": button_flag()},
        "experiments": {
            "ea": {"flag": "fa", "status": "running", "layer": "L", "allocation": allocation(&SPLIT_3)},
            "eb": {"flag": "fb", "status": "running", "layer": "L", "allocation": allocation(&SPLIT_3)},
            "ec": {"flag": "fc", "status": "running", "layer": "L", "allocation": allocation(&SPLIT_3)}
        },
        "layers": {"L": {"ranges": {"ea": [[0, 5000]], "eb": [[5000, 9000]], "ec": [[9500, 9600], [9900, 10000]]}}}
    })
}

#[test]
fn layer_ranges_are_start_inclusive_end_exclusive_and_exclusive_between_experiments() {
    let client = client(&layered());
    // (layer bucket, the experiment that owns it)
    let cases = [
        (0, Some("ea")),
        (4999, Some("ea")),
        (5000, Some("eb")),
        (8999, Some("eb")),
        (9000, None),
        (9499, None),
        (9500, Some("ec")),
        (9599, Some("ec")),
        (9600, None),
        (9899, None),
        (9900, Some("ec")),
        (9999, Some("ec")),
    ];
    for (b, owner) in cases {
        let u = find_unit(|u| bucket("layer/L", u) == b);
        for (flag, exp) in [("fa", "ea"), ("fb", "eb"), ("fc", "ec")] {
            let details = client.get_string(flag, &unit(&u), "");
            if owner == Some(exp) {
                assert_split(&details, &format!("experiment/{exp}"), &u, exp);
                assert_eq!(details.experiment().and_then(|e| e.layer), Some("L"));
            } else {
                assert_not_in_experiment(&details);
            }
        }
    }
    let logged = exposures(&client);
    assert!(logged.iter().all(|x| x.layer.as_deref() == Some("L")));
}

#[test]
fn overlapping_layer_ranges_are_rejected_at_load() {
    let mut doc = layered();
    doc["layers"]["L"]["ranges"]["eb"] = json!([[4999, 9000]]);
    let client = Client::from_json(&doc.to_string(), clock_ms(DURING_MS), 7).unwrap();
    let snapshot = client.snapshot();
    let diagnostics = snapshot.diagnostics();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.to_string().starts_with("layers.L.ranges")
                && d.to_string().contains("overlap")),
        "{diagnostics:?}"
    );
    assert!(!client.snapshot().config().unwrap().is_valid());
    // The layer's experiments cannot be placed, so their flags fail loudly instead of silently
    // serving the default to everyone.
    let details = client.get_string("fa", &unit("u1"), "fallback");
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error_code, Some(ErrorCode::ParseError));
    assert_eq!(details.value, "fallback".into());
}

#[test]
fn an_experiment_without_a_layer_takes_traffic_percent_of_its_implicit_layer() {
    let client = client(&single(json!({"traffic": 20})));
    for (b, inside) in [(0, true), (1999, true), (2000, false), (9999, false)] {
        let u = find_unit(|u| bucket("layer/exp", u) == b);
        let details = client.get_string("button", &unit(&u), "");
        if inside {
            assert_split(&details, "experiment/exp", &u, "exp");
            assert_eq!(
                details.experiment().and_then(|e| e.layer),
                None,
                "implicit layer"
            );
        } else {
            assert_not_in_experiment(&details);
        }
    }
    // Fractional percent: 0.05 % is bucket 0..5.
    let client = client_at(&single(json!({"traffic": 0.05})), DURING_MS);
    for (b, inside) in [(4, true), (5, false)] {
        let u = find_unit(|u| bucket("layer/exp", u) == b);
        let reason = client.get_string("button", &unit(&u), "").reason;
        assert_eq!(reason == Reason::Split, inside, "bucket {b}");
    }
    // Traffic 0: nobody.
    let client = client_at(&single(json!({"traffic": 0})), DURING_MS);
    for n in 0..100 {
        assert_not_in_experiment(&client.get_string("button", &unit(&format!("u{n}")), ""));
    }
}

#[test]
fn custom_salts_replace_the_namespaced_defaults() {
    // Experiment salt: the allocation hashes it instead of `experiment/<key>`.
    let client = client(&single(json!({"salt": "custom"})));
    let weights = [34, 33, 33];
    let u = find_unit(|u| arm("custom", u, &weights) != arm("experiment/exp", u, &weights));
    assert_split(
        &client.get_string("button", &unit(&u), ""),
        "custom",
        &u,
        "exp",
    );
    // Layer salt: membership hashes it instead of `layer/<key>`.
    let mut doc = layered();
    doc["layers"]["L"]["salt"] = json!("layer-salt");
    let client = client_at(&doc, DURING_MS);
    let u = find_unit(|u| bucket("layer-salt", u) < 5000 && bucket("layer/L", u) >= 5000);
    assert_split(
        &client.get_string("fa", &unit(&u), ""),
        "experiment/ea",
        &u,
        "ea",
    );
    assert_not_in_experiment(&client.get_string("fb", &unit(&u), ""));
}

// ---------------------------------------------------------------------------------------------
// Sticky assignments.

/// Two experiments, one sticky and one not, on two flags, with `split` weights.
fn sticky_doc(split: &[(&str, u64)], status: &str, traffic: u32) -> Value {
    json!({
        "flags": {"sticky": button_flag(), "loose": button_flag()},
        "experiments": {
            "s": {"flag": "sticky", "status": status, "sticky": true, "traffic": traffic,
                  "allocation": allocation(split)},
            "l": {"flag": "loose", "status": status, "traffic": traffic,
                  "allocation": allocation(split)}
        }
    })
}

const HALF: [(&str, u64); 2] = [("control", 50), ("cb-v1", 50)];
const ALL_V1: [(&str, u64); 2] = [("control", 0), ("cb-v1", 100)];
const ALL_CONTROL: [(&str, u64); 2] = [("control", 100), ("cb-v1", 0)];

fn units(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i}")).collect()
}

#[test]
fn a_sticky_unit_keeps_its_variant_when_weights_change() {
    let client = client(&sticky_doc(&HALF, "running", 100));
    let units = units(200);
    let before: Vec<(String, String)> = units
        .iter()
        .map(|u| {
            let s = client.get_string("sticky", &unit(u), "");
            let l = client.get_string("loose", &unit(u), "");
            let expected = expected_variant("experiment/s", u, &HALF);
            assert_eq!(s.variant(), Some(expected));
            assert_eq!(
                l.variant(),
                Some(expected_variant("experiment/l", u, &HALF))
            );
            (
                s.variant().unwrap().to_owned(),
                l.variant().unwrap().to_owned(),
            )
        })
        .collect();
    let controls = before.iter().filter(|(_, l)| l == "control").count();
    assert!(
        controls > 50 && controls < 150,
        "both arms are used: {controls}"
    );
    assert_eq!(client.stats().sticky_assignments, 200);

    client
        .update(&sticky_doc(&ALL_V1, "running", 100).to_string())
        .unwrap();
    for (u, (sticky, _)) in units.iter().zip(&before) {
        let s = client.get_string("sticky", &unit(u), "");
        assert_eq!(s.variant(), Some(sticky.as_str()), "{u} keeps its variant");
        assert_eq!(s.reason, Reason::Split);
        let l = client.get_string("loose", &unit(u), "");
        assert_eq!(l.variant(), Some("cb-v1"), "a non-sticky unit moves");
    }
    // A unit first seen after the change gets the new weights.
    let fresh = client.get_string("sticky", &unit("fresh-unit"), "");
    assert_eq!(fresh.variant(), Some("cb-v1"));
}

#[test]
fn a_sticky_unit_keeps_its_variant_when_its_range_changes() {
    let client = client(&sticky_doc(&HALF, "running", 100));
    let u = "u7";
    let variant = client
        .get_string("sticky", &unit(u), "")
        .variant()
        .unwrap()
        .to_owned();
    // Traffic 0: no new unit gets in, the sticky one stays.
    client
        .update(&sticky_doc(&HALF, "running", 0).to_string())
        .unwrap();
    assert_eq!(
        client.get_string("sticky", &unit(u), "").variant(),
        Some(variant.as_str())
    );
    assert_not_in_experiment(&client.get_string("sticky", &unit("u8"), ""));
    assert_not_in_experiment(&client.get_string("loose", &unit(u), ""));
}

#[test]
fn sticky_snapshots_round_trip_into_a_new_client() {
    let old = client(&sticky_doc(&HALF, "running", 100));
    let units = units(100);
    let before: Vec<String> = units
        .iter()
        .map(|u| {
            old.get_string("sticky", &unit(u), "")
                .variant()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(before.iter().any(|v| v == "control") && before.iter().any(|v| v == "cb-v1"));
    let snapshot = old.export_sticky();
    // Only the sticky experiment's assignments are kept.
    assert!(!snapshot.contains("\"l\""), "{snapshot}");

    for split in [ALL_V1, ALL_CONTROL] {
        let new = client(&sticky_doc(&split, "running", 100));
        assert_eq!(new.import_sticky(&snapshot).unwrap(), 100);
        assert_eq!(new.stats().sticky_assignments, 100);
        for (u, v) in units.iter().zip(&before) {
            assert_eq!(
                new.get_string("sticky", &unit(u), "").variant(),
                Some(v.as_str())
            );
        }
        // The snapshot of the new client holds the same assignments.
        let again = new.export_sticky();
        let parsed: Value = serde_json::from_str(&again).unwrap();
        assert_eq!(parsed["assignments"].as_array().unwrap().len(), 100);
    }

    // A malformed snapshot is an error and imports nothing.
    let new = client(&sticky_doc(&ALL_V1, "running", 100));
    assert!(new.import_sticky("{\"v\": 1}").is_err());
    assert!(new.import_sticky("not json").is_err());
    assert_eq!(new.stats().sticky_assignments, 0);
}

#[test]
fn sticky_assignments_are_bounded() {
    let client = client(&sticky_doc(&HALF, "running", 100)).with_capacities(tandem::Capacities {
        sticky: 50,
        ..tandem::Capacities::default()
    });
    for n in 0..1_000 {
        client.get_string("sticky", &unit(&format!("u{n}")), "");
    }
    assert_eq!(client.stats().sticky_assignments, 50);
    let snapshot: Value = serde_json::from_str(&client.export_sticky()).unwrap();
    assert_eq!(snapshot["assignments"].as_array().unwrap().len(), 50);
}

#[test]
fn sticky_assignments_are_forgotten_once_the_experiment_stops() {
    let client = client(&sticky_doc(&HALF, "running", 100));
    let u = find_unit(|u| expected_variant("experiment/s", u, &HALF) == "control");
    assert_eq!(
        client.get_string("sticky", &unit(&u), "").variant(),
        Some("control")
    );
    let snapshot = client.export_sticky();

    client
        .update(&sticky_doc(&HALF, "stopped", 100).to_string())
        .unwrap();
    assert_not_in_experiment(&client.get_string("sticky", &unit(&u), ""));
    assert_eq!(client.stats().sticky_assignments, 0);
    // A snapshot of a stopped experiment is not imported either.
    client.import_sticky(&snapshot).unwrap();
    assert_eq!(client.stats().sticky_assignments, 0);

    // Restarted with new weights: the unit is assigned afresh.
    client
        .update(&sticky_doc(&ALL_V1, "running", 100).to_string())
        .unwrap();
    assert_eq!(
        client.get_string("sticky", &unit(&u), "").variant(),
        Some("cb-v1")
    );
}

#[test]
fn a_sticky_held_out_unit_stays_held_out() {
    let with = |percent: u32| {
        with_holdouts(
            sticky_doc(&HALF, "running", 100),
            json!({"h": {"percent": percent, "experiments": ["s"]}}),
        )
    };
    let client = client(&with(100));
    let held = client.get_string("sticky", &unit("u1"), "");
    assert_eq!(held.experiment().and_then(|e| e.holdout), Some("h"));
    client.update(&with(0).to_string()).unwrap();
    let again = client.get_string("sticky", &unit("u1"), "");
    assert_eq!(again.experiment().and_then(|e| e.holdout), Some("h"));
    assert_eq!(again.reason, Reason::Default);
    assert_eq!(again.variant(), Some("control"));
    // A fresh unit is not held out any more.
    assert_eq!(
        client
            .get_string("sticky", &unit("u2"), "")
            .experiment()
            .and_then(|e| e.holdout),
        None
    );
}

#[test]
fn experiment_details_name_the_experiment() {
    let client = client(&single(json!({})));
    let d = client.get_string("button", &unit("u1"), "");
    assert_eq!(d.experiment(), experiment("exp"));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["experiment"], json!({"key": "exp"}));
    assert_eq!(json["reason"], json!("SPLIT"));
}
