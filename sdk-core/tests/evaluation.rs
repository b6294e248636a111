//! Flag evaluation against DESIGN §3, step by step, with each expected result written from the
//! spec (and OpenFeature's evaluation-details contract, which §3 adopts).
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tandem::{
    Client, Context, ErrorCode, EvaluationDetails, FixedClock, FlagType, Reason, Timestamp,
};

const NOW: i64 = 1_767_225_600;

fn client(doc: &Value) -> Client {
    Client::from_json(&doc.to_string(), FixedClock::at_unix_seconds(NOW), 7)
        .unwrap_or_else(|e| panic!("the config should load: {e}"))
}

fn ctx(value: Value) -> Context {
    Context::from_value(value).unwrap()
}

/// A flag of `variants` with `default` as its default variant (omitted when `None`).
fn flag(variants: Value, default: Option<&str>) -> Value {
    let mut flag = json!({"state": "ENABLED", "variants": variants});
    if let Some(default) = default {
        flag["defaultVariant"] = json!(default);
    }
    flag
}

fn with_targeting(mut flag: Value, rule: Value) -> Value {
    flag["targeting"] = rule;
    flag
}

/// Asserts the caller's default came back with `ERROR` and `code`.
#[track_caller]
fn assert_error<T: std::fmt::Debug + PartialEq>(
    details: &EvaluationDetails<'_, T>,
    default: &T,
    code: ErrorCode,
) {
    assert_eq!(details.reason, Reason::Error, "{details:?}");
    assert_eq!(details.error_code, Some(code), "{details:?}");
    assert_eq!(&details.value, default, "{details:?}");
    assert_eq!(details.variant(), None, "{details:?}");
    assert!(
        details.error_message().is_some_and(|m| !m.is_empty()),
        "an error comes with a message: {details:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Steps 1-3.

#[test]
fn step1_no_config_yet_is_provider_not_ready() {
    let client = Client::new(FixedClock::at_unix_seconds(NOW), 7);
    let default = json!({"fallback": true});
    let details = client.evaluate("any", &Context::new(), &default, FlagType::Any);
    assert_error(&details, &default, ErrorCode::ProviderNotReady);
    assert_eq!(details.flag_metadata(), None);
    assert_eq!(details.flag_key(), "any");
    let typed = client.get_bool("any", &Context::new(), true);
    assert_error(&typed, &true, ErrorCode::ProviderNotReady);
    assert!(client.snapshot().diagnostics().is_empty());
}

#[test]
fn step2_unknown_flag_is_flag_not_found() {
    let client = client(&json!({"flags": {"known": flag(json!({"on": true}), Some("on"))}}));
    let details = client.get_string("unknown", &Context::new(), "fallback");
    assert_error(
        &details,
        &Arc::<str>::from("fallback"),
        ErrorCode::FlagNotFound,
    );
    assert_eq!(details.flag_metadata(), None);
    // Keys are exact: no case folding or trimming.
    for key in ["Known", "known ", "", "known\0"] {
        let details = client.get_bool(key, &Context::new(), false);
        assert_eq!(details.error_code, Some(ErrorCode::FlagNotFound), "{key:?}");
    }
}

#[test]
fn step2_broken_flag_is_parse_error_with_its_message() {
    let client = client(&json!({"flags": {
        "broken": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "missing"},
        "fine": flag(json!({"on": true}), Some("on"))
    }}));
    let details = client.get_bool("broken", &Context::new(), false);
    assert_error(&details, &false, ErrorCode::ParseError);
    let message = details.error_message().unwrap();
    assert!(
        message.contains("flags.broken.defaultVariant") && message.contains("missing"),
        "{message}"
    );
    assert!(client.get_bool("fine", &Context::new(), false).value);
}

#[test]
fn step3_disabled_flag_is_the_caller_default_with_reason_disabled() {
    let client = client(&json!({
        "metadata": {"team": "checkout"},
        "flags": {"off": {
            "state": "DISABLED",
            "variants": {"a": "served-a", "b": "served-b"},
            "defaultVariant": "a",
            "targeting": {"if": [true, "b", null]}
        }}
    }));
    let details = client.get_string("off", &Context::new(), "caller");
    assert_eq!(details.value, "caller".into());
    assert_eq!(details.reason, Reason::Disabled);
    assert_eq!(details.error_code, None);
    assert_eq!(details.error_message(), None);
    assert_eq!(details.variant(), None);
    // A disabled flag is still a known flag: its metadata comes back.
    assert_eq!(
        details.flag_metadata(),
        Some(&json_map(json!({"team": "checkout"})))
    );
    // Disabled wins over a type mismatch: the flag is not evaluated at all.
    let details = client.get_int("off", &Context::new(), 7);
    assert_eq!((details.value, details.reason), (7, Reason::Disabled));
}

// ---------------------------------------------------------------------------------------------
// Step 4: targeting.

fn targeted_client() -> Client {
    let variants = json!({"red": "#f00", "green": "#0f0", "blue": "#00f"});
    client(&json!({"flags": {
        "color": with_targeting(
            flag(variants.clone(), Some("blue")),
            json!({"if": [{"==": [{"var": "tier"}, "gold"]}, "red",
                          {"==": [{"var": "tier"}, "silver"]}, "green", null]})
        ),
        "to-unknown": with_targeting(
            flag(variants.clone(), Some("blue")),
            json!({"if": [{"var": "oops"}, "purple", null]})
        ),
        "from-context": with_targeting(flag(variants, Some("blue")), json!({"var": "choice"})),
        "boolean-names": with_targeting(
            flag(json!({"true": 1, "false": 0}), Some("false")),
            json!({"==": [{"var": "n"}, 1]})
        ),
        "number-result": with_targeting(
            flag(json!({"1": "one"}), None),
            json!({"+": [1, 0]})
        ),
        "number-no-variant": with_targeting(
            flag(json!({"1": "one"}), None),
            json!({"+": [2, 0]})
        )
    }}))
}

#[test]
fn step4_targeting_returning_a_variant_is_targeting_match() {
    let client = targeted_client();
    let details = client.get_string("color", &ctx(json!({"tier": "gold"})), "caller");
    assert_eq!(
        (
            details.value.as_ref(),
            details.variant(),
            details.reason,
            details.error_code
        ),
        ("#f00", Some("red"), Reason::TargetingMatch, None)
    );
    let details = client.get_string("color", &ctx(json!({"tier": "silver"})), "caller");
    assert_eq!(
        (details.value.as_ref(), details.variant(), details.reason),
        ("#0f0", Some("green"), Reason::TargetingMatch)
    );
    // A name from the context works the same way.
    let details = client.get_string("from-context", &ctx(json!({"choice": "red"})), "caller");
    assert_eq!(
        (details.value.as_ref(), details.reason),
        ("#f00", Reason::TargetingMatch)
    );
    // flagd takes a boolean result as the variant named "true" / "false".
    let details = client.get_int("boolean-names", &ctx(json!({"n": 1})), -1);
    assert_eq!(
        (details.value, details.variant(), details.reason),
        (1, Some("true"), Reason::TargetingMatch)
    );
    let details = client.get_int("boolean-names", &ctx(json!({"n": 2})), -1);
    assert_eq!(
        (details.value, details.variant(), details.reason),
        (0, Some("false"), Reason::TargetingMatch)
    );
}

#[test]
fn step4_targeting_returning_null_goes_on_to_the_default_variant() {
    let client = targeted_client();
    for context in [json!({"tier": "bronze"}), json!({}), json!({"tier": null})] {
        let details = client.get_string("color", &ctx(context.clone()), "caller");
        assert_eq!(
            (
                details.value.as_ref(),
                details.variant(),
                details.reason,
                details.error_code
            ),
            ("#00f", Some("blue"), Reason::Default, None),
            "{context}"
        );
    }
    // `{"var": "choice"}` with no `choice` is null too.
    let details = client.get_string("from-context", &Context::new(), "caller");
    assert_eq!(
        (details.value.as_ref(), details.reason),
        ("#00f", Reason::Default)
    );
}

#[test]
fn step4_targeting_naming_no_variant_is_general_error() {
    let client = targeted_client();
    let details = client.get_string("to-unknown", &ctx(json!({"oops": true})), "caller");
    assert_error(&details, &Arc::<str>::from("caller"), ErrorCode::General);
    // The name may come from the context, so the message must not echo it.
    let details = client.get_string(
        "from-context",
        &ctx(json!({"choice": "secret-token-123"})),
        "caller",
    );
    assert_error(&details, &Arc::<str>::from("caller"), ErrorCode::General);
    let message = details.error_message().unwrap();
    assert!(!message.contains("secret-token-123"), "{message}");
    // A number names the variant spelled as that number (DESIGN §3 step 5, as flagd does);
    // when there is no such variant, it is the same error.
    let details = client.get_string("number-result", &Context::new(), "caller");
    assert_eq!(
        (details.value.as_ref(), details.variant(), details.reason),
        ("one", Some("1"), Reason::TargetingMatch)
    );
    let details = client.get_string("number-no-variant", &Context::new(), "caller");
    assert_error(&details, &Arc::<str>::from("caller"), ErrorCode::General);
    // Context values of other types are no variant names either.
    for choice in [json!(1), json!([1]), json!({"a": 1})] {
        let details = client.get_string("from-context", &ctx(json!({"choice": choice})), "caller");
        assert_error(&details, &Arc::<str>::from("caller"), ErrorCode::General);
    }
}

// ---------------------------------------------------------------------------------------------
// Step 6: the default variant; STATIC vs DEFAULT.

#[test]
fn step6_static_without_targeting_or_experiments_default_otherwise() {
    let variants = json!({"a": "A", "b": "B"});
    let client = client(&json!({
        "flags": {
            "plain": flag(variants.clone(), Some("a")),
            // flagd treats an empty targeting object as no targeting.
            "empty-targeting": with_targeting(flag(variants.clone(), Some("a")), json!({})),
            "null-targeting": with_targeting(flag(variants.clone(), Some("a")), Value::Null),
            "experimented": flag(variants, Some("a"))
        },
        // A draft experiment never applies, but the flag has one: its default is not STATIC.
        "experiments": {"e": {"flag": "experimented", "status": "draft",
                              "allocation": [["a", 1], ["b", 1]]}}
    }));
    let user = Context::with_targeting_key("user-1");
    for (key, reason) in [
        ("plain", Reason::Static),
        ("empty-targeting", Reason::Static),
        ("null-targeting", Reason::Static),
        ("experimented", Reason::Default),
    ] {
        let details = client.get_string(key, &user, "caller");
        assert_eq!(
            (
                details.value.as_ref(),
                details.variant(),
                details.reason,
                details.error_code
            ),
            ("A", Some("a"), reason, None),
            "{key}"
        );
    }
}

#[test]
fn step6_missing_or_null_default_variant_is_the_caller_default() {
    let variants = json!({"small": 10, "big": 1000});
    let client = client(&json!({"flags": {
        "undefined-default": flag(variants.clone(), None),
        "null-default": {"state": "ENABLED", "variants": variants, "defaultVariant": null},
    }}));
    for key in ["undefined-default", "null-default"] {
        let details = client.get_int(key, &Context::new(), 42);
        assert_eq!(
            (
                details.value,
                details.variant(),
                details.reason,
                details.error_code
            ),
            (42, None, Reason::Default, None),
            "{key}"
        );
        assert_eq!(details.error_message(), None);
        // No variant is served, so there is nothing to mismatch: any type gets its default.
        let details = client.get_string(key, &Context::new(), "s");
        assert_eq!(
            (details.value.as_ref(), details.reason),
            ("s", Reason::Default)
        );
    }
}

#[test]
fn step6_no_default_variant_with_targeting() {
    let client = client(&json!({"flags": {"f": with_targeting(
        flag(json!({"normal": "CFO", "special": "CEO"}), None),
        json!({"if": [{"==": ["jobs@orange.com", {"var": "email"}]}, "special", null]})
    )}}));
    let details = client.get_string("f", &ctx(json!({"email": "jobs@orange.com"})), "x");
    assert_eq!(
        (details.value.as_ref(), details.reason),
        ("CEO", Reason::TargetingMatch)
    );
    let details = client.get_string("f", &ctx(json!({"email": "woz@orange.com"})), "x");
    assert_eq!(
        (details.value.as_ref(), details.variant(), details.reason),
        ("x", None, Reason::Default)
    );
}

// ---------------------------------------------------------------------------------------------
// Step 8: types.

fn typed_client() -> Client {
    client(&json!({"flags": {
        "bool": flag(json!({"on": true, "off": false}), Some("on")),
        "string": flag(json!({"a": "text"}), Some("a")),
        "int": flag(json!({"ten": 10}), Some("ten")),
        "int-as-float": flag(json!({"ten": 10.0}), Some("ten")),
        "half": flag(json!({"half": 0.5}), Some("half")),
        "huge": flag(json!({"huge": 1e20}), Some("huge")),
        "object": flag(json!({"o": {"k": [1, 2]}}), Some("o")),
    }}))
}

#[test]
fn step8_each_typed_getter_accepts_its_type() {
    let client = typed_client();
    let c = Context::new();
    let details = client.get_bool("bool", &c, false);
    assert_eq!((details.value, details.reason), (true, Reason::Static));
    assert_eq!(client.get_string("string", &c, "").value, "text".into());
    assert_eq!(client.get_int("int", &c, 0).value, 10);
    // An integer-valued number is an integer however it is written.
    assert_eq!(client.get_int("int-as-float", &c, 0).value, 10);
    // A float getter takes any number, integers included.
    let details = client.get_float("int", &c, 0.0);
    assert_eq!((details.value, details.error_code), (10.0, None));
    assert_eq!(client.get_float("half", &c, 0.0).value, 0.5);
    assert_eq!(client.get_float("huge", &c, 0.0).value, 1e20);
    let empty = Map::new();
    let object = client.get_object("object", &c, &empty);
    assert_eq!(object.value, json_map(json!({"k": [1, 2]})));
    // `Any` checks nothing.
    for key in ["bool", "string", "int", "half", "object"] {
        let details = client.evaluate(key, &c, &Value::Null, FlagType::Any);
        assert_eq!(details.error_code, None, "{key}");
    }
}

#[test]
fn step8_a_value_of_another_type_is_type_mismatch_with_the_caller_default() {
    let client = typed_client();
    let c = Context::new();
    let empty = Map::new();
    for key in ["string", "int", "half", "object"] {
        let details = client.get_bool(key, &c, true);
        assert_error(&details, &true, ErrorCode::TypeMismatch);
    }
    for key in ["bool", "int", "half", "object"] {
        let details = client.get_string(key, &c, "caller");
        assert_error(
            &details,
            &Arc::<str>::from("caller"),
            ErrorCode::TypeMismatch,
        );
    }
    // 0.5 is not an integer, and 1e20 does not fit i64.
    for key in ["bool", "string", "half", "huge", "object"] {
        let details = client.get_int(key, &c, -1);
        assert_error(&details, &-1, ErrorCode::TypeMismatch);
    }
    for key in ["bool", "string", "object"] {
        let details = client.get_float(key, &c, -1.5);
        assert_error(&details, &-1.5, ErrorCode::TypeMismatch);
    }
    for key in ["bool", "string", "int", "half"] {
        let details = client.get_object(key, &c, &empty);
        assert_error(&details, &empty, ErrorCode::TypeMismatch);
    }
    // Through `evaluate` with a default of the caller's choosing.
    let default = json!("mine");
    let details = client.evaluate("bool", &c, &default, FlagType::String);
    assert_error(&details, &default, ErrorCode::TypeMismatch);
}

#[test]
fn step8_type_mismatch_applies_to_a_targeting_match_too() {
    let client = client(&json!({"flags": {"f": with_targeting(
        flag(json!({"on": true, "off": false}), Some("off")),
        json!({"if": [{"var": "beta"}, "on", null]})
    )}}));
    let details = client.get_string("f", &ctx(json!({"beta": true})), "caller");
    assert_error(
        &details,
        &Arc::<str>::from("caller"),
        ErrorCode::TypeMismatch,
    );
}

// ---------------------------------------------------------------------------------------------
// Metadata.

fn json_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn flag_metadata_is_merged_over_flag_set_metadata() {
    let client = client(&json!({
        "metadata": {"owner": "platform", "version": 1, "shared": "set"},
        "flags": {
            "own": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                    "metadata": {"shared": "flag", "expires": false, "ratio": 0.5}},
            "inherits": flag(json!({"on": true}), Some("on"))
        }
    }));
    let details = client.get_bool("own", &Context::new(), false);
    assert_eq!(
        details.flag_metadata(),
        Some(&json_map(json!({
            "owner": "platform", "version": 1, "shared": "flag", "expires": false, "ratio": 0.5
        })))
    );
    let details = client.get_bool("inherits", &Context::new(), false);
    assert_eq!(
        details.flag_metadata(),
        Some(&json_map(
            json!({"owner": "platform", "version": 1, "shared": "set"})
        ))
    );
    // Metadata describes the flag, so an evaluation error of a known flag still carries it.
    let details = client.get_string("own", &Context::new(), "x");
    assert_eq!(details.error_code, Some(ErrorCode::TypeMismatch));
    assert_eq!(
        details.flag_metadata().map(|m| m["shared"].clone()),
        Some(json!("flag"))
    );
    // No metadata anywhere: none.
    let plain = client_of_one(flag(json!({"on": true}), Some("on")));
    assert_eq!(
        plain.get_bool("f", &Context::new(), false).flag_metadata(),
        None
    );
}

fn client_of_one(f: Value) -> Client {
    client(&json!({"flags": {"f": f}}))
}

// ---------------------------------------------------------------------------------------------
// $flagd properties.

#[test]
fn flagd_timestamp_comes_from_the_host_clock_in_seconds() {
    let doc = json!({"flags": {"f": with_targeting(
        flag(json!({"before": "before", "after": "after"}), Some("before")),
        json!({"if": [{">=": [{"var": "$flagd.timestamp"}, 1_800_000_000]}, "after", "before"]})
    ), "exact": with_targeting(
        flag(json!({"yes": true, "no": false}), Some("no")),
        json!({"if": [{"==": [{"var": "$flagd.timestamp"}, 1_800_000_000]}, "yes", "no"]})
    )}});
    let at = |millis: i64| {
        Client::from_json(
            &doc.to_string(),
            FixedClock(Timestamp::from_unix_millis(millis)),
            7,
        )
        .unwrap()
    };
    let early = at(1_799_999_999_999);
    assert_eq!(
        early.get_string("f", &Context::new(), "").value,
        "before".into()
    );
    let late = at(1_800_000_000_000);
    assert_eq!(
        late.get_string("f", &Context::new(), "").value,
        "after".into()
    );
    // Unix seconds, rounded down: 999 ms past the second is still that second.
    assert!(
        at(1_800_000_000_999)
            .get_bool("exact", &Context::new(), false)
            .value
    );
    assert!(
        !at(1_800_000_001_000)
            .get_bool("exact", &Context::new(), true)
            .value
    );
    // Any `Fn() -> Timestamp` is a clock; it is read at evaluation time, not at load.
    let ticking = std::sync::atomic::AtomicI64::new(1_700_000_000);
    let ticking = Arc::new(ticking);
    let reader = Arc::clone(&ticking);
    let client = Client::from_json(
        &doc.to_string(),
        move || Timestamp::from_unix_seconds(reader.load(std::sync::atomic::Ordering::SeqCst)),
        7,
    )
    .unwrap();
    assert_eq!(
        client.get_string("f", &Context::new(), "").value,
        "before".into()
    );
    ticking.store(1_900_000_000, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        client.get_string("f", &Context::new(), "").value,
        "after".into()
    );
}

#[test]
fn flagd_flag_key_is_the_evaluated_flag() {
    let rule = json!({"if": [{"==": [{"var": "$flagd.flagKey"}, "first"]}, "yes", "no"]});
    let f = with_targeting(flag(json!({"yes": true, "no": false}), Some("no")), rule);
    let client = client(&json!({"flags": {"first": f.clone(), "second": f}}));
    assert!(client.get_bool("first", &Context::new(), false).value);
    assert!(!client.get_bool("second", &Context::new(), true).value);
    // The enrichment is the evaluator's: a context cannot override it.
    let spoof = ctx(json!({"$flagd": {"flagKey": "first", "timestamp": 0}}));
    assert!(!client.get_bool("second", &spoof, true).value);
    assert!(client.get_bool("first", &spoof, false).value);
}

// ---------------------------------------------------------------------------------------------
// Serialization.

#[test]
fn details_serialize_to_camel_case_json_without_absent_fields() {
    let client = client(&json!({
        "metadata": {"team": "growth"},
        "flags": {
            "f": flag(json!({"on": true, "off": false}), Some("on")),
            "off": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}
        }
    }));
    let c = Context::new();
    let ok = serde_json::to_value(client.get_bool("f", &c, false)).unwrap();
    assert_eq!(
        ok,
        json!({"key": "f", "value": true, "variant": "on", "reason": "STATIC",
               "flagMetadata": {"team": "growth"}})
    );
    let error = serde_json::to_value(client.get_int("f", &c, 3)).unwrap();
    let message = client
        .get_int("f", &c, 3)
        .error_message()
        .unwrap()
        .to_owned();
    assert_eq!(
        error,
        json!({"key": "f", "value": 3, "reason": "ERROR", "errorCode": "TYPE_MISMATCH",
               "errorMessage": message, "flagMetadata": {"team": "growth"}})
    );
    // A flag that is not found carries the flag set's metadata, as flagd's results do.
    let missing = serde_json::to_value(client.get_string("nope", &c, "d")).unwrap();
    assert_eq!(missing["errorCode"], json!("FLAG_NOT_FOUND"));
    assert_eq!(
        missing.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "key",
            "value",
            "reason",
            "errorCode",
            "errorMessage",
            "flagMetadata"
        ]
    );
    let disabled = serde_json::to_value(client.get_bool("off", &c, false)).unwrap();
    assert_eq!(
        disabled,
        json!({"key": "off", "value": false, "reason": "DISABLED",
               "flagMetadata": {"team": "growth"}})
    );
    // Object values and the untyped path serialize the JSON value itself.
    let object_client = client_of_one(flag(json!({"o": {"n": [1, 2.5, null]}}), Some("o")));
    let value =
        serde_json::to_value(object_client.evaluate("f", &c, &Value::Null, FlagType::Any)).unwrap();
    assert_eq!(value["value"], json!({"n": [1, 2.5, null]}));
    let value = serde_json::to_value(object_client.get_object("f", &c, &Map::new())).unwrap();
    assert_eq!(value["value"], json!({"n": [1, 2.5, null]}));
}

#[test]
fn every_reason_and_error_code_has_its_openfeature_name() {
    let reasons = [
        (Reason::Static, "STATIC"),
        (Reason::Default, "DEFAULT"),
        (Reason::TargetingMatch, "TARGETING_MATCH"),
        (Reason::Split, "SPLIT"),
        (Reason::Disabled, "DISABLED"),
        (Reason::Error, "ERROR"),
    ];
    for (reason, name) in reasons {
        assert_eq!(reason.as_str(), name);
    }
    let codes = [
        (ErrorCode::ProviderNotReady, "PROVIDER_NOT_READY"),
        (ErrorCode::FlagNotFound, "FLAG_NOT_FOUND"),
        (ErrorCode::ParseError, "PARSE_ERROR"),
        (ErrorCode::TypeMismatch, "TYPE_MISMATCH"),
        (ErrorCode::TargetingKeyMissing, "TARGETING_KEY_MISSING"),
        (ErrorCode::InvalidContext, "INVALID_CONTEXT"),
        (ErrorCode::General, "GENERAL"),
    ];
    for (code, name) in codes {
        assert_eq!(code.as_str(), name);
    }
}

// ---------------------------------------------------------------------------------------------
// Odd contexts.

/// Contexts a host might send: every shape and type where an attribute is expected.
fn odd_contexts() -> Vec<Value> {
    // As deep as a context may be (MAX_CONTEXT_DEPTH counts the context object itself).
    let deep =
        (0..tandem::MAX_CONTEXT_DEPTH - 2).fold(json!("bottom"), |acc, _| json!({ "a": acc }));
    vec![
        json!({}),
        json!({"targetingKey": null}),
        json!({"targetingKey": 42}),
        json!({"targetingKey": -7.5}),
        json!({"targetingKey": ""}),
        json!({"targetingKey": true}),
        json!({"targetingKey": ["a"]}),
        json!({"targetingKey": {"id": "a"}}),
        json!({"targetingKey": "x".repeat(100_000)}),
        json!({"targetingKey": "ユーザー\u{1F600}\u{0}"}),
        json!({"email": 5, "tier": ["gold"], "n": "1", "version": {"major": 1}}),
        json!({"email": null, "tier": {"gold": true}, "n": 1e308, "version": -1}),
        json!({"email": "", "tier": "", "n": -0.0, "version": "1.2.3.4.5"}),
        json!({"user": deep}),
        json!({"$flagd": "not an object", "": "empty key", "a.b": {"c": 1}}),
        json!({"user": {"name": 12}, "choice": {"$ref": "x"}}),
    ]
}

#[test]
fn odd_contexts_never_panic() {
    let rule_flag =
        |rule: Value| with_targeting(flag(json!({"a": "A", "b": "B"}), Some("a")), rule);
    let doc = json!({"flags": {
        "static": flag(json!({"a": "A"}), Some("a")),
        "eq": rule_flag(json!({"if": [{"==": [{"var": "email"}, "x@y.z"]}, "b", null]})),
        "in": rule_flag(json!({"if": [{"in": ["@y.z", {"var": "email"}]}, "b", null]})),
        "cmp": rule_flag(json!({"if": [{">": [{"var": "n"}, 3]}, "b", null]})),
        "arith": rule_flag(json!({"if": [{"<": [{"+": [{"var": "n"}, 1]}, 0]}, "b", null]})),
        "starts": rule_flag(json!({"if": [{"starts_with": [{"var": "email"}, "x"]}, "b", null]})),
        "semver": rule_flag(json!({"if": [{"sem_ver": [{"var": "version"}, ">=", "1.0.0"]},
                                          "b", null]})),
        "fractional": rule_flag(json!({"fractional": [["a", 50], ["b", 50]]})),
        "fractional-by": rule_flag(json!({"fractional": [{"var": "user.name"},
                                                         ["a", 50], ["b", 50]]})),
        "nested-var": rule_flag(json!({"if": [{"var": "user.a.a.a.a"}, "b", null]})),
        "from-context": rule_flag(json!({"var": "choice"})),
        "flagd": rule_flag(json!({"if": [{"var": "$flagd.flagKey"}, "b", null]}))
    }});
    let client = client(&doc);
    let keys: Vec<String> = client
        .snapshot()
        .config()
        .unwrap()
        .flag_keys()
        .map(str::to_owned)
        .collect();
    assert!(
        client.snapshot().config().unwrap().is_valid(),
        "{:?}",
        client.snapshot().diagnostics()
    );
    for context in odd_contexts() {
        let c = ctx(context);
        for key in &keys {
            let details = client.evaluate(key, &c, &Value::Null, FlagType::Any);
            // Whatever the context, the answer is a served variant or a reasoned error.
            match details.reason {
                Reason::Error => assert!(details.error_code.is_some(), "{key}: {details:?}"),
                _ => assert!(details.variant().is_some(), "{key}: {details:?}"),
            }
            let _ = client.get_bool(key, &c, false);
            let _ = client.get_int(key, &c, 0);
            let _ = client.get_float(key, &c, 0.0);
            let _ = client.get_object(key, &c, &Map::new());
            let _ = client.get_string(key, &c, "");
        }
    }
}

#[test]
fn contexts_that_are_not_objects_are_rejected_not_evaluated() {
    for text in ["[]", "null", "\"user\"", "1"] {
        let error = Context::from_json(text).expect_err(text);
        assert_eq!(error.kind(), tandem::ErrorKind::InvalidContext, "{text}");
    }
    assert_eq!(
        Context::from_json("{").unwrap_err().kind(),
        tandem::ErrorKind::InvalidJson
    );
    // Deeply nested context text is an error, not a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Context::from_json(&format!("{{\"a\": {deep}}}")).is_err());
}
