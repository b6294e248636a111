//! Precomputed payloads (DESIGN §7): an edge worker evaluates every flag for one user and the
//! browser serves only that user's results. A client built with `Client::from_precomputed` must
//! answer exactly as the config client would, for every flag and every typed getter, log each
//! exposure when the app reads the flag (not when the payload was made), and the payload must
//! carry no targeting rules and no values the user was not served.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Debug;

use serde_json::{json, Map, Value};
use tandem::{
    Client, Context, ErrorCode, ErrorKind, EvaluationDetails, Event, FixedClock, FlagType, Reason,
    Timestamp,
};

/// When the edge worker precomputes, and (later) when the browser reads.
const EDGE_MS: i64 = 1_795_000_000_000;
const BROWSER_MS: i64 = 1_795_000_360_500;

fn at(ms: i64) -> FixedClock {
    FixedClock(Timestamp::from_unix_millis(ms))
}

/// Literals that appear only in rules, allocations or unserved variants: none may reach a
/// payload for a user who was not served them.
const RULE_EMAIL: &str = "qa-only@example.com";
const AUDIENCE_COUNTRY: &str = "country-zz";
const SECRET_VALUE: &str = "secret-unreleased-copy";

fn config() -> String {
    json!({
        "revision": "rev-7",
        "metadata": {"team": "growth"},
        "flags": {
            "banner": {"state": "ENABLED", "variants": {"on": true, "off": false},
                       "defaultVariant": "on"},
            "headline": {
                "state": "ENABLED",
                "variants": {"plain": "Welcome", "secret": SECRET_VALUE},
                "defaultVariant": "plain",
                "targeting": {"if": [{"in": [{"var": "email"}, [RULE_EMAIL]]}, "secret", null]},
                "metadata": {"owner": "web"}
            },
            "limit": {"state": "ENABLED", "variants": {"low": 10, "mid": 20, "high": 30},
                      "defaultVariant": "low"},
            "ratio": {"state": "ENABLED", "variants": {"a": 0.25, "b": 0.75},
                      "defaultVariant": "a"},
            "theme": {"state": "ENABLED",
                      "variants": {"light": {"bg": "#fff"}, "dark": {"bg": "#000"}},
                      "defaultVariant": "light"},
            "by-user": {"state": "ENABLED", "variants": {"x": "x", "y": "y"},
                        "defaultVariant": "x"},
            "no-default": {"state": "ENABLED", "variants": {"p": "p", "q": "q"}},
            "off": {"state": "DISABLED", "variants": {"on": true, "off": false},
                    "defaultVariant": "off"},
            "bad-target": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
                           "targeting": {"var": "pick"}},
            "broken": {"state": "ENABLED", "variants": "not an object"}
        },
        "experiments": {
            "limit-test": {"flag": "limit", "status": "running", "layer": "main",
                           "audience": {"!=": [{"var": "country"}, AUDIENCE_COUNTRY]},
                           "allocation": [["low", 1], ["mid", 1], ["high", 1]]},
            "ratio-test": {"flag": "ratio", "status": "running", "traffic": 50,
                           "allocation": [["a", 1], ["b", 1]]},
            "theme-test": {"flag": "theme", "status": "running", "sticky": true,
                           "allocation": [["light", 1], ["dark", 1]]},
            "user-test": {"flag": "by-user", "status": "running", "unit": "user.id",
                          "allocation": [["x", 1], ["y", 1]]},
            "no-default-test": {"flag": "no-default", "status": "running",
                                "allocation": [["p", 1], ["q", 1]]}
        },
        "layers": {"main": {"ranges": {"limit-test": [[0, 10000]]}}},
        "holdouts": {"theme-holdout": {"percent": 30, "experiments": ["theme-test", "no-default-test"]}}
    })
    .to_string()
}

fn config_client(ms: i64) -> Client {
    let client = Client::from_json(&config(), at(ms), 7).unwrap();
    // `broken` is broken on purpose; everything else loads.
    assert_eq!(
        client.snapshot().diagnostics().len(),
        1,
        "{:?}",
        client.snapshot().diagnostics()
    );
    client
}

fn contexts() -> Vec<Value> {
    let mut contexts = vec![
        json!({"targetingKey": "u1", "email": RULE_EMAIL, "country": "SE"}),
        json!({"targetingKey": "u2", "country": AUDIENCE_COUNTRY, "user": {"id": "p-9"}}),
        json!({"targetingKey": 42, "user": {"id": 7}, "pick": "b"}),
        json!({"targetingKey": true, "pick": "nope"}),
        json!({"pick": 3}),
        json!({}),
    ];
    contexts
        .extend((0..30).map(|n| json!({"targetingKey": format!("user-{n}"), "user": {"id": n}})));
    contexts
}

const FLAGS: [&str; 11] = [
    "banner",
    "headline",
    "limit",
    "ratio",
    "theme",
    "by-user",
    "no-default",
    "off",
    "bad-target",
    "broken",
    "missing",
];

#[track_caller]
fn same<T: Debug + PartialEq + serde::Serialize>(
    what: &str,
    from_config: &EvaluationDetails<'_, T>,
    from_payload: &EvaluationDetails<'_, T>,
) {
    assert_eq!(from_config.value, from_payload.value, "{what}");
    assert_eq!(
        serde_json::to_value(from_config).unwrap(),
        serde_json::to_value(from_payload).unwrap(),
        "{what}"
    );
}

/// Every getter of every flag, on both clients.
fn compare_all(config: &Client, payload: &Client, ctx: &Context, label: &str) {
    let empty = Context::new();
    let object_default: Map<String, Value> =
        [("fallback".to_owned(), json!(true))].into_iter().collect();
    let any_default = json!("any-fallback");
    for flag in FLAGS {
        let what = format!("{label} / {flag}");
        // The payload client ignores the context it is given: pass it an empty one.
        same(
            &format!("{what} bool"),
            &config.get_bool(flag, ctx, true),
            &payload.get_bool(flag, &empty, true),
        );
        same(
            &format!("{what} string"),
            &config.get_string(flag, ctx, "dflt"),
            &payload.get_string(flag, &empty, "dflt"),
        );
        same(
            &format!("{what} int"),
            &config.get_int(flag, ctx, -1),
            &payload.get_int(flag, &empty, -1),
        );
        same(
            &format!("{what} float"),
            &config.get_float(flag, ctx, -1.5),
            &payload.get_float(flag, &empty, -1.5),
        );
        same(
            &format!("{what} object"),
            &config.get_object(flag, ctx, &object_default),
            &payload.get_object(flag, &empty, &object_default),
        );
        same(
            &format!("{what} any"),
            &config.evaluate(flag, ctx, &any_default, FlagType::Any),
            &payload.evaluate(flag, &empty, &any_default, FlagType::Any),
        );
    }
}

#[test]
fn a_payload_client_answers_as_the_config_client_for_every_flag_and_getter() {
    for value in contexts() {
        let ctx = Context::from_value(value.clone()).unwrap();
        let edge = config_client(EDGE_MS);
        let payload_text = edge.precompute(&ctx).unwrap();
        let reference = config_client(BROWSER_MS);
        let browser = Client::from_precomputed(&payload_text, at(BROWSER_MS), 7).unwrap();
        compare_all(&reference, &browser, &ctx, &value.to_string());
        // And the events both logged while reading are the same.
        assert_eq!(
            reference.drain_events(),
            browser.drain_events(),
            "{value}: exposures"
        );
    }
}

#[test]
fn the_round_trip_covers_every_kind_of_result() {
    // The comparison above is only as good as the cases it meets: check they include each
    // reason, the error codes, holdouts and skipped units.
    let mut reasons = std::collections::HashSet::new();
    let mut codes = std::collections::HashSet::new();
    let mut held_out = false;
    let mut skipped = std::collections::HashSet::new();
    let client = config_client(EDGE_MS);
    for value in contexts() {
        let ctx = Context::from_value(value).unwrap();
        for flag in FLAGS {
            let d = client.evaluate(flag, &ctx, &Value::Null, FlagType::Any);
            reasons.insert(d.reason);
            codes.extend(d.error_code);
            if let Some(e) = d.experiment() {
                held_out |= e.holdout.is_some();
                skipped.extend(e.skipped);
            }
        }
    }
    for reason in [
        Reason::Static,
        Reason::Default,
        Reason::TargetingMatch,
        Reason::Split,
        Reason::Disabled,
        Reason::Error,
    ] {
        assert!(reasons.contains(&reason), "{reason:?} not covered");
    }
    for code in [
        ErrorCode::FlagNotFound,
        ErrorCode::ParseError,
        ErrorCode::General,
    ] {
        assert!(codes.contains(&code), "{code:?} not covered");
    }
    assert!(held_out);
    assert!(skipped.contains(&ErrorCode::TargetingKeyMissing));
    assert!(skipped.contains(&ErrorCode::InvalidContext));
}

fn exposures(client: &Client) -> Vec<tandem::Exposure> {
    client
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Exposure(x) => Some(x),
            _ => None,
        })
        .collect()
}

#[test]
fn exposures_are_logged_when_the_app_reads_the_flag_not_when_the_payload_is_made() {
    let ctx = Context::from_value(json!({"targetingKey": "u1", "country": "SE"})).unwrap();
    let edge = config_client(EDGE_MS);
    let payload = edge.precompute(&ctx).unwrap();
    assert_eq!(edge.stats().queued, 0, "precomputing logs nothing");
    assert!(edge.drain_events().is_empty());

    let browser = Client::from_precomputed(&payload, at(BROWSER_MS), 7).unwrap();
    assert_eq!(browser.stats().queued, 0, "loading a payload logs nothing");
    // A non-experiment flag: no exposure.
    browser.get_bool("banner", &Context::new(), false);
    assert_eq!(browser.stats().queued, 0);

    let first = browser.get_int("limit", &Context::new(), 0);
    assert_eq!(first.reason, Reason::Split);
    let logged = exposures(&browser);
    assert_eq!(logged.len(), 1);
    let x = &logged[0];
    assert_eq!(&*x.flag, "limit");
    assert_eq!(&*x.experiment, "limit-test");
    assert_eq!(x.layer.as_deref(), Some("main"));
    assert_eq!(x.unit, "u1");
    assert_eq!(x.variant.as_deref(), first.variant());
    assert_eq!(x.reason, "SPLIT");
    assert_eq!(x.revision.as_deref(), Some("rev-7"));
    assert_eq!(
        x.timestamp, BROWSER_MS,
        "the reading client's clock, at read time"
    );

    // A second read is deduplicated.
    browser.get_int("limit", &Context::new(), 0);
    assert_eq!(browser.stats().queued, 0);
    assert_eq!(browser.stats().deduplicated, 1);

    // The exposure equals the one the config client logs for the same read.
    let reference = config_client(BROWSER_MS);
    reference.get_int("limit", &ctx, 0);
    assert_eq!(exposures(&reference), logged);
}

#[test]
fn the_payload_holds_only_this_users_results() {
    let ctx =
        Context::from_value(json!({"targetingKey": "u2", "email": "ann@example.org"})).unwrap();
    let payload = config_client(EDGE_MS).precompute(&ctx).unwrap();
    for secret in [
        RULE_EMAIL,
        AUDIENCE_COUNTRY,
        SECRET_VALUE,
        "targeting",
        "allocation",
        "audience",
        "ranges",
        "\"if\"",
        "\"var\"",
        "percent",
        "salt",
    ] {
        assert!(
            !payload.contains(secret),
            "payload leaks {secret}: {payload}"
        );
    }
    // Exactly one entry per flag of the config, with only details fields.
    let parsed: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(parsed["v"], json!(1));
    assert_eq!(parsed["revision"], json!("rev-7"));
    let entries = parsed["flags"].as_array().unwrap();
    let keys: Vec<&str> = entries.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(keys, FLAGS[..FLAGS.len() - 1]);
    for entry in entries {
        for field in entry.as_object().unwrap().keys() {
            assert!(
                [
                    "key",
                    "value",
                    "variant",
                    "reason",
                    "errorCode",
                    "errorMessage",
                    "flagMetadata",
                    "experiment",
                    "unit"
                ]
                .contains(&field.as_str()),
                "unexpected field {field} in {entry}"
            );
        }
    }
    // Of the experiment flag, only the served variant's value is there.
    let theme = entries.iter().find(|e| e["key"] == "theme").unwrap();
    let (served, unserved) = match theme["variant"].as_str() {
        Some("light") => ("#fff", "#000"),
        Some("dark") => ("#000", "#fff"),
        other => panic!("theme: {other:?}"),
    };
    assert!(
        payload.contains(served) && !payload.contains(unserved),
        "{payload}"
    );
    // The targeted user gets the secret value, and only then.
    let qa = Context::from_value(json!({"targetingKey": "u1", "email": RULE_EMAIL})).unwrap();
    let payload = config_client(EDGE_MS).precompute(&qa).unwrap();
    assert!(payload.contains(SECRET_VALUE));
    assert!(
        !payload.contains(RULE_EMAIL),
        "the rule's literal is not the value"
    );
}

#[test]
fn a_payload_client_serves_unknown_flags_as_not_found() {
    let payload = config_client(EDGE_MS)
        .precompute(&Context::with_targeting_key("u1"))
        .unwrap();
    let browser = Client::from_precomputed(&payload, at(BROWSER_MS), 7).unwrap();
    let d = browser.get_string("never-heard-of-it", &Context::new(), "dflt");
    assert_eq!(d.reason, Reason::Error);
    assert_eq!(d.error_code, Some(ErrorCode::FlagNotFound));
    assert_eq!(d.value, "dflt".into());
}

#[test]
fn precompute_needs_a_config() {
    let client = Client::new(at(EDGE_MS), 7);
    let err = client.precompute(&Context::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotReady);
}

#[test]
fn malformed_payloads_are_clear_errors() {
    let cases: [(&str, ErrorKind, &str); 11] = [
        ("{", ErrorKind::InvalidJson, "$"),
        ("[]", ErrorKind::InvalidConfig, "v"),
        (r#"{"flags": []}"#, ErrorKind::InvalidConfig, "v"),
        (r#"{"v": 2, "flags": []}"#, ErrorKind::InvalidConfig, "v"),
        (r#"{"v": 1}"#, ErrorKind::InvalidConfig, "flags"),
        (
            r#"{"v": 1, "flags": {}}"#,
            ErrorKind::InvalidConfig,
            "flags",
        ),
        (
            r#"{"v": 1, "revision": 3, "flags": []}"#,
            ErrorKind::InvalidConfig,
            "revision",
        ),
        (
            r#"{"v": 1, "flags": [1]}"#,
            ErrorKind::InvalidConfig,
            "flags[0]",
        ),
        (
            r#"{"v": 1, "flags": [{"key": "a", "reason": "STATIC"}, {"reason": "STATIC"}]}"#,
            ErrorKind::InvalidConfig,
            "flags[1].key",
        ),
        (
            r#"{"v": 1, "flags": [{"key": "a", "reason": "MAYBE"}]}"#,
            ErrorKind::InvalidConfig,
            "flags[0].reason",
        ),
        (
            r#"{"v": 1, "flags": [{"key": "a", "reason": "SPLIT", "experiment": {"layer": "l"}}]}"#,
            ErrorKind::InvalidConfig,
            "flags[0].experiment.key",
        ),
    ];
    for (text, kind, path) in cases {
        let err = Client::from_precomputed(text, at(BROWSER_MS), 7).unwrap_err();
        assert_eq!(err.kind(), kind, "{text}: {err}");
        assert!(err.message().starts_with(path), "{text}: {err}");
    }
    let bad_code = r#"{"v": 1, "flags": [{"key": "a", "reason": "ERROR", "errorCode": "OOPS"}]}"#;
    let err = Client::from_precomputed(bad_code, at(BROWSER_MS), 7).unwrap_err();
    assert!(err.message().starts_with("flags[0].errorCode"), "{err}");

    // A failed update keeps the last good payload serving.
    let good = config_client(EDGE_MS)
        .precompute(&Context::with_targeting_key("u1"))
        .unwrap();
    let browser = Client::from_precomputed(&good, at(BROWSER_MS), 7).unwrap();
    assert!(browser.update_precomputed("{").is_err());
    assert!(browser.get_bool("banner", &Context::new(), false).value);
}
