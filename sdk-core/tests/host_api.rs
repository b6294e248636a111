//! The host API of the core (DESIGN §7) and the events it logs (DESIGN §6): snapshots swapped
//! under evaluating threads, compact outcomes and their tables, evaluate-all with log-on-read,
//! precompute into a reused buffer, contexts filled from attribute indexes, and an event log in
//! which every exposure and decision is accounted for.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Map, Value};
use tandem::{
    AttributeValue, Capacities, Client, Context, ErrorCode, EvalOptions, Event, FixedClock,
    FlagType, Reason, Timestamp,
};
use xxhash_rust::xxh3::xxh3_64;

const NOW_MS: i64 = 1_795_312_000_123;

fn clock() -> FixedClock {
    FixedClock(Timestamp::from_unix_millis(NOW_MS))
}

fn client(doc: &Value) -> Client {
    Client::from_json(&doc.to_string(), clock(), 0x5eed).unwrap()
}

fn ctx(value: Value) -> Context {
    Context::from_value(value).unwrap()
}

/// The arm DESIGN §4 gives `unit` for equal weights over `arms`, computed from the formula.
fn arm<'a>(salt: &str, unit: &str, arms: &[&'a str]) -> &'a str {
    let h = xxh3_64(format!("{salt}\0{unit}").as_bytes());
    let r = (u128::from(h) * arms.len() as u128) >> 64;
    arms[r as usize]
}

/// A policy that always picks by the given scores (greedy over constant scores), reading its
/// unit from `unit`.
fn policy(unit: &str, exploration: Value, features: Value, weights: Value) -> Value {
    json!({
        "id": "offer", "version": 2, "unit": unit,
        "actions": [{"key": "a", "value": "offer-a"}, {"key": "b", "value": "offer-b"},
                    {"key": "c", "value": "offer-c"}],
        "features": features,
        "scorer": {"linear": {"weights": weights, "bias": [0.0, 0.0, 0.0]}},
        "exploration": exploration, "vectors": []
    })
}

fn softmax_policy(unit: &str) -> Value {
    policy(
        unit,
        json!({"softmax": {"temperature": 1.0, "floor": 0.0}}),
        json!([{"name": "x", "source": "x", "kind": "numeric", "transform": "identity",
                "missing": 0.0}]),
        json!([[1.0], [0.0], [-1.0]]),
    )
}

/// Flags of every kind, an experiment whose arms are a static offer and a policy, a holdout.
fn shop(holdout_percent: f64, policy_unit: &str) -> Value {
    json!({
        "revision": "r1",
        "metadata": {"flagSetId": "shop"},
        "flags": {
            "static": {"state": "ENABLED", "variants": {"on": true, "off": false},
                       "defaultVariant": "on"},
            "targeted": {"state": "ENABLED", "variants": {"on": true, "off": false},
                         "defaultVariant": "off",
                         "targeting": {"if": [{"in": [{"var": "country"}, ["SE", "NO"]]},
                                              "on", null]}},
            "split": {"state": "ENABLED", "variants": {"a": "A", "b": "B"},
                      "defaultVariant": "a",
                      "targeting": {"fractional": [["a", 50], ["b", 50]]}},
            "offer": {"state": "ENABLED",
                      "variants": {"static": "offer-static", "personal": {"$policy": "offer@2"}},
                      "defaultVariant": "static"},
            "disabled": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}
        },
        "experiments": {
            "offer-test": {"flag": "offer", "status": "running",
                           "allocation": [["static", 1], ["personal", 1]]}
        },
        "holdouts": {"global": {"percent": holdout_percent, "experiments": ["*"]}},
        "policies": {"offer@2": softmax_policy(policy_unit)}
    })
}

/// A unit of each arm of `offer-test`, from the formula.
fn unit_in(wanted: &str) -> String {
    (0..)
        .map(|n| format!("u{n}"))
        .find(|u| arm("experiment/offer-test", u, &["static", "personal"]) == wanted)
        .unwrap()
}

#[test]
fn evaluate_all_agrees_with_evaluate_for_every_flag() {
    let client = client(&shop(0.0, "targetingKey"));
    for unit in ["u1", "u2", "u3", "u4", "u5"] {
        let c = ctx(json!({"targetingKey": unit, "country": "SE", "x": 0.5}));
        let mut outcomes = Vec::new();
        let snapshot = client.evaluate_all(&c, &mut outcomes);
        assert_eq!(outcomes.len(), snapshot.flag_count());
        assert!(
            client.drain_events().is_empty(),
            "evaluate_all logs nothing"
        );
        for (i, outcome) in outcomes.iter().enumerate() {
            let key = snapshot.flag_key(i as u32).unwrap();
            assert_eq!(outcome.flag, Some(i as u32));
            let details = client.evaluate(key, &c, &json!("caller"), FlagType::Any);
            assert_eq!(details.outcome(), outcome, "{key}");
            let value = snapshot.value(outcome).cloned().unwrap_or(json!("caller"));
            assert_eq!(details.value, value, "{key}");
            if let Some(json) = snapshot.value_json(outcome) {
                assert_eq!(serde_json::from_str::<Value>(json).unwrap(), value, "{key}");
            }
            let variant = outcome
                .variant
                .map(|v| snapshot.variant_name(i as u32, v).unwrap());
            assert_eq!(details.variant(), variant, "{key}");
        }
        client.drain_events();
    }
}

#[test]
fn evaluate_index_serves_and_logs_the_flag_at_that_index() {
    let client = client(&shop(0.0, "targetingKey"));
    let reader = client.reader();
    let snapshot = reader.snapshot().clone();
    let unit = unit_in("static");
    let c = ctx(json!({"targetingKey": unit, "country": "NO"}));
    let options = EvalOptions::default();
    let at = |key: &str, expected| {
        reader.evaluate_index(snapshot.flag_index(key).unwrap(), &c, expected, &options)
    };
    // `country` NO is in the rule's list: the `on` variant.
    let targeted = at("targeted", FlagType::Boolean);
    assert_eq!(targeted.reason, Reason::TargetingMatch);
    assert_eq!(snapshot.value(&targeted), Some(&json!(true)));
    assert!(client.drain_events().is_empty(), "no experiment, no event");
    // The experiment's arm is the one DESIGN §4's formula gives the unit, and it is exposed.
    let offer = at("offer", FlagType::String);
    assert_eq!(offer.reason, Reason::Split);
    assert_eq!(snapshot.value(&offer), Some(&json!("offer-static")));
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["type"], "exposure");
    assert_eq!(events[0]["variant"], "static");
    assert_eq!(events[0]["unit"], json!(unit));
    // The type is checked: the caller's default with TYPE_MISMATCH.
    let mismatch = at("static", FlagType::String);
    assert_eq!(
        (mismatch.reason, mismatch.error_code),
        (Reason::Error, Some(ErrorCode::TypeMismatch))
    );
    // An index past the last flag, and a client with nothing loaded.
    let past = u32::try_from(snapshot.flag_count()).unwrap();
    let missing = reader.evaluate_index(past, &c, FlagType::Any, &options);
    assert_eq!(missing.error_code, Some(ErrorCode::FlagNotFound));
    let empty = Client::new(clock(), 0);
    let not_ready = empty
        .reader()
        .evaluate_index(0, &c, FlagType::Any, &options);
    assert_eq!(not_ready.error_code, Some(ErrorCode::ProviderNotReady));
}

/// DESIGN §7: the clock is read at most once per evaluation, and only when something needs
/// the time; a rule that never reads `$flagd` needs none.
#[test]
fn the_clock_is_read_only_for_rules_that_may_read_the_time() {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reads);
    let clock = move || {
        counter.fetch_add(1, Ordering::Relaxed);
        Timestamp::from_unix_millis(NOW_MS)
    };
    let rule_flag = |rule: Value| {
        json!({"state": "ENABLED", "variants": {"on": true, "off": false},
               "defaultVariant": "off", "targeting": rule})
    };
    let doc = json!({"flags": {
        "plain": rule_flag(json!({"if": [{"in": [{"var": "country"}, ["SE"]]}, "on", "off"]})),
        "split": rule_flag(json!({"fractional": [["on", 1], ["off", 1]]})),
        "timed": rule_flag(json!({"if": [{">": [{"var": "$flagd.timestamp"}, 1000]}, "on", "off"]})),
        "computed": rule_flag(json!({"if": [{">": [{"var": {"cat": ["$flagd.", "timestamp"]}}, 1000]},
                                           "on", "off"]})),
        "via-ref": rule_flag(json!({"if": [{"$ref": "late"}, "on", "off"]}))
    }, "$evaluators": {"late": {">": [{"var": "$flagd.timestamp"}, 1000]}}});
    let client = Client::from_json(&doc.to_string(), clock, 0).unwrap();
    let c = ctx(json!({"targetingKey": "u1", "country": "SE"}));
    for (flag, clock_reads, value) in [
        ("plain", 0, true),
        ("split", 0, true),
        ("timed", 1, true),
        ("computed", 1, true),
        ("via-ref", 1, true),
    ] {
        let before = reads.load(Ordering::Relaxed);
        let details = client.get_bool(flag, &c, false);
        assert_eq!(
            reads.load(Ordering::Relaxed) - before,
            clock_reads,
            "{flag}"
        );
        if flag != "split" {
            assert_eq!(details.value, value, "{flag}");
        }
    }
}

#[test]
fn record_read_logs_the_exposure_and_decision_of_what_the_app_reads() {
    let client = client(&shop(0.0, "targetingKey"));
    let unit = unit_in("personal");
    let c = ctx(json!({"targetingKey": unit, "x": 1.0}));
    let mut outcomes = Vec::new();
    let snapshot = client.evaluate_all(&c, &mut outcomes);
    let offer = &outcomes[snapshot.flag_index("offer").unwrap() as usize];
    assert_eq!(offer.reason, Reason::Split);
    assert!(offer.exposed && offer.decision.is_some());
    assert!(client.drain_events().is_empty());
    // Reading a flag without an experiment or a policy logs nothing.
    let static_flag = &outcomes[snapshot.flag_index("static").unwrap() as usize];
    client.record_read(&snapshot, &c, static_flag, FlagType::Boolean);
    assert!(client.drain_events().is_empty());
    let read = client.record_read(&snapshot, &c, offer, FlagType::String);
    assert_eq!(&read, offer);
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(events[0]["type"], "exposure");
    assert_eq!(events[0]["variant"], "personal");
    assert_eq!(events[0]["unit"], json!(unit));
    assert_eq!(events[1]["type"], "decision");
    assert_eq!(events[1]["experiment"], "offer-test");
    assert_eq!(events[1]["policy"], "offer@2");
    let d = offer.decision.as_ref().unwrap();
    assert_eq!(events[1]["propensity"], json!(d.propensity));
    assert_eq!(
        events[1]["action"],
        json!(snapshot.action_key(d.policy, d.action).unwrap())
    );
    assert_eq!(events.as_array().unwrap().len(), 2);
    // A second read of the same outcome: the exposure is deduplicated, the decision is not
    // (the host calls record_read on the first read only; if it calls again, nothing is lost).
    client.record_read(&snapshot, &c, offer, FlagType::String);
    let events = client.drain_events();
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], Event::Decision(_)));
    // Read as the wrong type: the caller's default with TYPE_MISMATCH, and the arm is still
    // exposed (a fresh unit, so not deduplicated) with the error code, and no decision logged.
    let other = unit_in("static");
    let c = ctx(json!({"targetingKey": other}));
    let snapshot = client.evaluate_all(&c, &mut outcomes);
    let offer = &outcomes[snapshot.flag_index("offer").unwrap() as usize];
    let read = client.record_read(&snapshot, &c, offer, FlagType::Boolean);
    assert_eq!(
        (read.reason, read.error_code, read.variant),
        (Reason::Error, Some(ErrorCode::TypeMismatch), None)
    );
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 1);
    assert_eq!(events[0]["errorCode"], "TYPE_MISMATCH");
    assert_eq!(events[0]["variant"], "static");
}

/// DESIGN §6: an arm whose policy fails is still exposed, with the error code, naming the
/// assigned arm (not the default served in its place).
#[test]
fn a_failing_policy_arm_is_exposed_with_its_error() {
    // The policy reads its unit from `accountId`, which the context lacks.
    let client = client(&shop(0.0, "accountId"));
    let unit = unit_in("personal");
    let details = client.get_string("offer", &ctx(json!({"targetingKey": unit})), "caller");
    assert_eq!(
        (
            details.value.as_ref(),
            details.variant(),
            details.reason,
            details.error_code
        ),
        (
            "offer-static",
            Some("static"),
            Reason::Error,
            Some(ErrorCode::TargetingKeyMissing)
        )
    );
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(
        events,
        json!([{"type": "exposure", "flag": "offer", "variant": "personal",
                "experiment": "offer-test", "unit": unit, "reason": "ERROR",
                "errorCode": "TARGETING_KEY_MISSING", "revision": "r1", "timestamp": NOW_MS}])
    );
}

/// The review found 100 softmax decisions for one unit over different contexts (84 distinct
/// (action, propensity) pairs) logged as 2 events. Every decision is one event now.
#[test]
fn every_decision_is_one_event_with_its_own_propensity() {
    let client = client(&shop(0.0, "targetingKey")).with_capacities(Capacities {
        events: 10_000,
        ..Capacities::default()
    });
    let unit = unit_in("personal");
    let mut served = Vec::new();
    for i in 0..100 {
        let c = ctx(json!({"targetingKey": unit, "x": f64::from(i) / 25.0 - 2.0}));
        let details = client.get_string("offer", &c, "caller");
        let d = details.decision().unwrap();
        served.push((d.action.to_owned(), d.propensity));
    }
    let decisions: Vec<(String, f64)> = client
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Decision(d) => Some((d.action.to_string(), d.propensity)),
            _ => None,
        })
        .collect();
    assert_eq!(decisions, served);
    assert_eq!(client.stats().decisions, 100);
    assert_eq!(
        client.stats().deduplicated,
        99,
        "the exposure alone is deduplicated"
    );
}

#[test]
fn a_held_out_decision_carries_the_holdout() {
    // Every unit is held out; the default variant is the policy, so the control group's
    // decisions are logged with the holdout.
    let mut doc = shop(100.0, "targetingKey");
    doc["flags"]["offer"]["defaultVariant"] = json!("personal");
    let client = client(&doc);
    let details = client.get_string("offer", &ctx(json!({"targetingKey": "u7"})), "");
    assert_eq!(details.reason, Reason::Default);
    assert_eq!(details.experiment().unwrap().holdout, Some("global"));
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(events[0]["type"], "exposure");
    assert_eq!(events[0]["holdout"], "global");
    assert_eq!(events[1]["type"], "decision");
    assert_eq!(events[1]["holdout"], "global");
    assert_eq!(events[1]["experiment"], "offer-test");
}

#[test]
fn a_decision_names_the_policy_unit_when_it_differs() {
    let client = client(&shop(0.0, "accountId"));
    let unit = unit_in("personal");
    let c = ctx(json!({"targetingKey": unit, "accountId": "acct-9"}));
    client.get_string("offer", &c, "");
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(events[1]["unit"], json!(unit));
    assert_eq!(events[1]["policyUnit"], "acct-9");
}

/// Several threads evaluate while one swaps two configs hundreds of times: every result comes
/// whole from one config or the other, nothing panics, and no queued event is lost.
#[test]
fn updates_under_evaluating_threads_serve_one_whole_config() {
    let config = |tag: &str| {
        json!({"revision": tag, "flags": {
            "f": {"state": "ENABLED", "variants": {"v": format!("{tag}-f")}, "defaultVariant": "v"},
            "g": {"state": "ENABLED", "variants": {"v": format!("{tag}-g")}, "defaultVariant": "v"},
            "x": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}
        }, "experiments": {"x-test": {"flag": "x", "status": "running",
                                       "allocation": [["a", 1], ["b", 1]]}}})
        .to_string()
    };
    let (a, b) = (config("A"), config("B"));
    let threads = 3;
    let per_thread = 2_000;
    let client = Arc::new(
        Client::from_json(&a, clock(), 1)
            .unwrap()
            .with_capacities(Capacities {
                events: 1_000_000,
                exposure_dedup: 1_000_000,
                sticky: 10,
            }),
    );
    client.update(&a).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let updates = Arc::new(AtomicUsize::new(0));
    let updater = {
        let (client, done, updates) = (client.clone(), done.clone(), updates.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !done.load(Ordering::Relaxed) || n < 300 {
                let next = if n % 2 == 0 { &b } else { &a };
                client.update(next).unwrap();
                n += 1;
            }
            updates.store(n, Ordering::Relaxed);
        })
    };
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                let mut outcomes = Vec::new();
                for i in 0..per_thread {
                    let c = Context::with_targeting_key(&format!("t{t}-u{i}"));
                    // One snapshot: f and g come from the same config.
                    let snapshot = client.evaluate_all(&c, &mut outcomes);
                    let tag = snapshot.revision().unwrap().to_owned();
                    for outcome in &outcomes[..2] {
                        let value = snapshot.value(outcome).unwrap().as_str().unwrap();
                        assert!(value.starts_with(&tag), "{value} from {tag}");
                    }
                    // Details hold their snapshot: their strings stay valid after updates.
                    let details = client.get_string("f", &c, "");
                    assert!(details.value == "A-f".into() || details.value == "B-f".into());
                    let exposed = client.get_int("x", &c, 0);
                    assert_eq!(exposed.reason, Reason::Split);
                    client
                        .track("t", &format!("t{t}-u{i}"), None, Map::new())
                        .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    updater.join().unwrap();
    assert!(updates.load(Ordering::Relaxed) >= 300);
    let events = client.drain_events();
    let count = |kind: &str| {
        events
            .iter()
            .filter(|e| match e {
                Event::Exposure(_) => kind == "exposure",
                Event::Track(_) => kind == "track",
                _ => false,
            })
            .count()
    };
    // Every unit is new, so every evaluation of `x` is one exposure; every track is kept.
    assert_eq!(count("exposure"), threads * per_thread);
    assert_eq!(count("track"), threads * per_thread);
    assert_eq!(client.stats().dropped, 0);
}

#[test]
fn a_failed_update_keeps_the_last_good_snapshot() {
    let client = client(&shop(0.0, "targetingKey"));
    let before = client.snapshot();
    assert!(client.update("{not json").is_err());
    assert!(client.update(r#"{"flags": []}"#).is_err());
    let after = client.snapshot();
    assert_eq!(before.generation(), after.generation());
    assert!(client.get_bool("static", &Context::new(), false).value);
    let next = client
        .update(&shop(0.0, "targetingKey").to_string())
        .unwrap();
    assert!(next.generation() > before.generation());
}

#[test]
fn precompute_into_reuses_one_buffer_and_matches_precompute() {
    let client = client(&shop(0.0, "targetingKey"));
    let mut buffer = Vec::new();
    for unit in ["u1", "u2", "u3"] {
        let c = ctx(json!({"targetingKey": unit, "country": "SE", "x": 0.5}));
        client
            .precompute_into(&c, &EvalOptions::default(), &mut buffer)
            .unwrap();
        let text = std::str::from_utf8(&buffer).unwrap();
        assert_eq!(text, client.precompute(&c).unwrap());
        let payload: Value = serde_json::from_str(text).unwrap();
        assert_eq!(payload["flags"].as_array().unwrap().len(), 5);
        assert_eq!(payload["metadata"], json!({"flagSetId": "shop"}));
        // The reader serves what the config client serves.
        let reader = Client::from_precomputed(text, clock(), 3).unwrap();
        for key in [
            "static", "targeted", "split", "offer", "disabled", "missing",
        ] {
            let from_config = client.evaluate(key, &c, &json!(null), FlagType::Any);
            let from_payload = reader.evaluate(key, &Context::new(), &json!(null), FlagType::Any);
            assert_eq!(
                serde_json::to_value(&from_config).unwrap(),
                serde_json::to_value(&from_payload).unwrap(),
                "{key}"
            );
        }
    }
    assert!(Client::new(clock(), 0)
        .precompute_into(&Context::new(), &EvalOptions::default(), &mut buffer)
        .is_err());
}

/// DESIGN §7 item 8: a precomputed decision was made with the options of the edge; a reader
/// asking for others gets a clear error, never a silently ignored option.
#[test]
fn a_precomputed_client_does_not_ignore_eval_options() {
    let client = client(&shop(0.0, "targetingKey"));
    let unit = unit_in("personal");
    let c = ctx(json!({"targetingKey": unit}));
    let reader = Client::from_precomputed(&client.precompute(&c).unwrap(), clock(), 0).unwrap();
    let plain = reader.get_string("offer", &Context::new(), "caller");
    assert_eq!(plain.reason, Reason::Split);
    for options in [
        EvalOptions {
            decision_key: "request-9",
            ..EvalOptions::default()
        },
        EvalOptions {
            eligible_actions: Some(&["a"]),
            ..EvalOptions::default()
        },
    ] {
        let details = reader.evaluate_with(
            "offer",
            &Context::new(),
            &json!("caller"),
            FlagType::String,
            &options,
        );
        assert_eq!(
            (details.value.clone(), details.reason, details.error_code),
            (json!("caller"), Reason::Error, Some(ErrorCode::General))
        );
        assert!(details
            .error_message()
            .unwrap()
            .contains("precomputed decision"));
    }
}

#[test]
fn a_context_filled_from_attribute_indexes_evaluates_like_json() {
    let client = client(&shop(0.0, "accountId"));
    let snapshot = client.snapshot();
    let attributes = snapshot.attributes();
    let listed: Vec<&str> = attributes.iter().map(|a| a.as_str()).collect();
    assert_eq!(listed, ["accountId", "country", "targetingKey", "x"]);
    assert!(!attributes.reads_whole_context());
    let json = ctx(json!({"targetingKey": "u5", "country": "NO", "x": 0.25, "accountId": "a1"}));
    let mut filled = Context::new();
    filled
        .fill(
            attributes,
            [
                (
                    attributes.index_of("targetingKey").unwrap(),
                    AttributeValue::Str("u5"),
                ),
                (
                    attributes.index_of("country").unwrap(),
                    AttributeValue::Str("NO"),
                ),
                (
                    attributes.index_of("x").unwrap(),
                    AttributeValue::Number(0.25),
                ),
                (
                    attributes.index_of("accountId").unwrap(),
                    AttributeValue::Str("a1"),
                ),
            ],
        )
        .unwrap();
    assert_eq!(filled, json);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    client.evaluate_all(&json, &mut a);
    client.evaluate_all(&filled, &mut b);
    assert_eq!(a, b);
}

/// DESIGN §6: a unit longer than `max_unit_bytes` (1,024) is not a unit: the experiment is
/// skipped with INVALID_CONTEXT, and nothing keyed by user input grows with it.
#[test]
fn units_over_the_byte_limit_are_invalid() {
    let mut doc = shop(0.0, "targetingKey");
    doc["experiments"]["offer-test"]["sticky"] = json!(true);
    let client = client(&doc);
    let at_limit = "k".repeat(1024);
    let details = client.get_string("offer", &Context::with_targeting_key(&at_limit), "");
    assert!(matches!(details.reason, Reason::Split | Reason::Error));
    assert_eq!(client.stats().sticky_assignments, 1);
    client.drain_events();
    for n in 0..50 {
        // A 1 MB key grew the sticky store by about 1.9 MB per unit before the limit.
        let huge = format!("{n}{}", "k".repeat(1_000_000));
        let details = client.get_string("offer", &Context::with_targeting_key(&huge), "");
        assert_eq!(details.reason, Reason::Default);
        assert_eq!(
            details.experiment().unwrap().skipped,
            Some(ErrorCode::InvalidContext)
        );
    }
    assert_eq!(client.stats().sticky_assignments, 1);
    assert!(client.drain_events().is_empty());
    // The policy's own unit obeys the same bound.
    let mut doc = shop(0.0, "accountId");
    doc["flags"]["offer"]["defaultVariant"] = json!("personal");
    doc["experiments"] = json!({});
    let client = self::client(&doc);
    let c = ctx(json!({"accountId": "a".repeat(1025)}));
    let details = client.get_string("offer", &c, "caller");
    assert_eq!(details.error_code, Some(ErrorCode::InvalidContext));
}

#[test]
fn track_bounds_its_name_unit_and_properties() {
    let client = client(&shop(0.0, "targetingKey"));
    let kind = |r: Result<(), tandem::Error>| r.unwrap_err().kind();
    assert_eq!(
        kind(client.track("", "u", None, Map::new())),
        tandem::ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(client.track(&"n".repeat(257), "u", None, Map::new())),
        tandem::ErrorKind::LimitExceeded
    );
    assert_eq!(
        kind(client.track("n", &"u".repeat(1025), None, Map::new())),
        tandem::ErrorKind::LimitExceeded
    );
    let mut big = Map::new();
    big.insert("blob".into(), json!("b".repeat(20_000)));
    assert_eq!(
        kind(client.track("n", "u", None, big)),
        tandem::ErrorKind::LimitExceeded
    );
    assert_eq!(client.stats().queued, 0);
    client
        .track(&"n".repeat(256), "u", Some(1.0), Map::new())
        .unwrap();
    assert_eq!(client.stats().queued, 1);
}

#[test]
fn entropy_changes_no_result() {
    let doc = shop(10.0, "targetingKey");
    let (one, two) = (
        Client::from_json(&doc.to_string(), clock(), 1).unwrap(),
        Client::from_json(&doc.to_string(), clock(), u64::MAX).unwrap(),
    );
    for n in 0..200 {
        let c = ctx(json!({"targetingKey": format!("u{n}"), "x": 0.1}));
        for _ in 0..2 {
            assert_eq!(
                serde_json::to_value(one.get_string("offer", &c, "")).unwrap(),
                serde_json::to_value(two.get_string("offer", &c, "")).unwrap()
            );
        }
    }
    assert_eq!(
        serde_json::to_value(one.drain_events()).unwrap(),
        serde_json::to_value(two.drain_events()).unwrap()
    );
}

#[test]
fn capacities_are_clamped() {
    let client = client(&shop(0.0, "targetingKey")).with_capacities(Capacities {
        events: 0,
        exposure_dedup: usize::MAX,
        sticky: usize::MAX,
    });
    client.track("a", "u", None, Map::new()).unwrap();
    client.track("b", "u", None, Map::new()).unwrap();
    // At least one event is held: a capacity of 0 is 1.
    assert_eq!(client.stats().queued, 1);
    assert_eq!(client.stats().dropped, 1);
    client.get_string("offer", &Context::with_targeting_key("u1"), "");
}

/// A bundle with `log_context` puts the context values it read in its decision events (for
/// off-policy evaluation of other bundles on the logged decisions), within
/// `max_decision_context_bytes`; without it, no context is logged.
#[test]
fn a_bundle_may_log_the_context_it_read() {
    let mut doc = shop(0.0, "targetingKey");
    doc["policies"]["offer@2"]["log_context"] = json!(true);
    let client = client(&doc);
    let unit = unit_in("personal");
    let c = ctx(json!({"targetingKey": unit, "x": 0.75, "email": "not-read@example.com"}));
    client.get_string("offer", &c, "");
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert_eq!(
        events[1]["context"],
        json!({"targetingKey": unit, "x": 0.75}),
        "the unit and the features' sources, nothing else"
    );
    assert!(events[1].get("contextOmitted").is_none());
    // The payload carries it to a reader, whose event carries it too.
    let reader = Client::from_precomputed(&client.precompute(&c).unwrap(), clock(), 1).unwrap();
    reader.get_string("offer", &Context::new(), "");
    let read = serde_json::to_value(reader.drain_events()).unwrap();
    assert_eq!(read[1]["context"], events[1]["context"]);
    // Over the limit: left out, and said so.
    let big = ctx(json!({"targetingKey": unit, "x": "9".repeat(5000)}));
    client.get_string("offer", &big, "");
    let events = serde_json::to_value(client.drain_events()).unwrap();
    let decision = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "decision")
        .unwrap();
    assert!(decision.get("context").is_none());
    assert_eq!(decision["contextOmitted"], true);
    // Off by default.
    let client = self::client(&shop(0.0, "targetingKey"));
    client.get_string("offer", &c, "");
    let events = serde_json::to_value(client.drain_events()).unwrap();
    assert!(events[1].get("context").is_none());
}
