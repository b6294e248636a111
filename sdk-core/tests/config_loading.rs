//! The config loader against DESIGN §2 "Loading rules": strict about structure, tolerant per
//! entity, cross-references checked at load, hard limits as clear errors, and a failed update
//! that keeps the last good config serving.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use tandem::{
    Client, Config, Context, Diagnostic, ErrorCode, ErrorKind, FixedClock, FlagType, Limits,
    Reason, Severity,
};

const NOW: i64 = 1_767_225_600;

fn clock() -> FixedClock {
    FixedClock::at_unix_seconds(NOW)
}

fn load(json: &str) -> Config {
    Config::parse(json, &Limits::default())
        .unwrap_or_else(|e| panic!("the document should load: {e}"))
}

fn load_value(doc: &Value) -> Config {
    load(&doc.to_string())
}

fn client(doc: &Value) -> Client {
    Client::from_json(&doc.to_string(), clock(), 7)
        .unwrap_or_else(|e| panic!("the document should load: {e}"))
}

/// The invalid (error or violation) diagnostics.
fn invalid(config: &Config) -> Vec<&Diagnostic> {
    config
        .diagnostics()
        .iter()
        .filter(|d| d.severity.is_invalid())
        .collect()
}

/// The error-severity diagnostic at exactly `path`, whose message contains `needle`.
#[track_caller]
fn error_at<'c>(config: &'c Config, path: &str, needle: &str) -> &'c Diagnostic {
    config
        .diagnostics()
        .iter()
        .find(|d| d.severity == Severity::Error && d.path == path && d.message.contains(needle))
        .unwrap_or_else(|| {
            panic!(
                "no error at {path} mentioning {needle:?}; diagnostics:\n{}",
                describe(config)
            )
        })
}

/// Whether an error-severity diagnostic sits at or under `prefix`.
fn has_error_under(config: &Config, prefix: &str) -> bool {
    config.diagnostics().iter().any(|d| {
        d.severity == Severity::Error
            && d.path.strip_prefix(prefix).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
            })
    })
}

fn describe(config: &Config) -> String {
    config
        .diagnostics()
        .iter()
        .map(|d| format!("  {} {d}", d.severity.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Evaluates `key` with a recognisable caller default and no type check.
fn eval(client: &Client, key: &str) -> tandem::EvaluationDetails<'static, Value> {
    client.evaluate(
        key,
        &Context::with_targeting_key("user-1"),
        &Value::Null,
        FlagType::Any,
    )
}

/// Asserts that `key` is served as broken: the caller's default with `PARSE_ERROR` and a message
/// that contains `needle`.
#[track_caller]
fn assert_broken(client: &Client, key: &str, needle: &str) {
    let fallback = json!("caller default");
    let details = client.evaluate(key, &Context::new(), &fallback, FlagType::Any);
    assert_eq!(details.reason, Reason::Error, "{key}: {details:?}");
    assert_eq!(details.error_code, Some(ErrorCode::ParseError), "{key}");
    assert_eq!(details.value, fallback, "{key}");
    assert_eq!(details.variant(), None, "{key}");
    let message = details.error_message().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{key}: message {message:?} should mention {needle:?}"
    );
}

#[track_caller]
fn assert_served(client: &Client, key: &str, value: Value) {
    let details = eval(client, key);
    assert_eq!(details.error_code, None, "{key}: {details:?}");
    assert_eq!(details.value, value, "{key}");
}

fn bool_flag() -> Value {
    json!({"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"})
}

fn ab_flag() -> Value {
    json!({
        "state": "ENABLED",
        "variants": {"control": "blue", "treatment": "green"},
        "defaultVariant": "control"
    })
}

/// The smallest valid policy bundle (docs/policy-bundles.md): one action, no features.
fn minimal_bundle(id: &str, version: u64) -> Value {
    json!({
        "id": id, "version": version,
        "actions": [{"key": "blue", "value": {"color": "blue"}}],
        "features": [],
        "scorer": {"linear": {"weights": [[]], "bias": [0.0]}},
        "exploration": {"greedy": {}},
        "vectors": []
    })
}

fn experiment(flag: &str) -> Value {
    json!({
        "flag": flag,
        "status": "running",
        "allocation": [["control", 50], ["treatment", 50]]
    })
}

// ---------------------------------------------------------------------------------------------
// Tolerant per entity.

#[test]
fn a_broken_flag_keeps_its_error_and_the_rest_of_the_config_works() {
    let doc = json!({"flags": {
        "good": bool_flag(),
        "bad-state": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"},
        "bad-default": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "b"},
        "mixed-types": {"state": "ENABLED", "variants": {"a": 1, "b": "x"}, "defaultVariant": "a"},
        "no-variants": {"state": "ENABLED", "defaultVariant": "a"},
        "null-variant": {"state": "ENABLED", "variants": {"a": null}},
        "not-an-object": 42,
        "also-good": {"state": "ENABLED", "variants": {"x": "y"}, "defaultVariant": "x"}
    }});
    let config = load_value(&doc);
    assert!(!config.is_valid());
    error_at(&config, "flags.bad-state.state", "ENABLED");
    error_at(&config, "flags.bad-default.defaultVariant", "\"b\"");
    error_at(&config, "flags.mixed-types.variants.b", "type");
    error_at(&config, "flags.no-variants.variants", "missing");
    error_at(&config, "flags.null-variant.variants.a", "null");
    error_at(&config, "flags.not-an-object", "object");
    // `validate` reports every problem with a JSON path.
    assert!(config
        .diagnostics()
        .iter()
        .all(|d| !d.path.is_empty() && !d.message.is_empty()));
    // Broken flags are still listed, in document order.
    assert_eq!(
        config.flag_keys().collect::<Vec<_>>(),
        [
            "good",
            "bad-state",
            "bad-default",
            "mixed-types",
            "no-variants",
            "null-variant",
            "not-an-object",
            "also-good"
        ]
    );

    let client = client(&doc);
    assert_eq!(client.snapshot().diagnostics(), config.diagnostics());
    assert_broken(&client, "bad-state", "flags.bad-state.state");
    assert_broken(&client, "bad-default", "flags.bad-default.defaultVariant");
    assert_broken(&client, "mixed-types", "flags.mixed-types.variants.b");
    assert_broken(&client, "no-variants", "flags.no-variants.variants");
    assert_broken(&client, "null-variant", "flags.null-variant.variants.a");
    assert_broken(&client, "not-an-object", "flags.not-an-object");
    assert_served(&client, "good", json!(true));
    assert_served(&client, "also-good", json!("y"));
    assert_eq!(eval(&client, "good").reason, Reason::Static);
}

#[test]
fn unknown_fields_in_flags_are_warnings_but_elsewhere_errors_with_a_path() {
    // flagd's schema lets flags (and documents) carry extra fields: a warning, still served.
    let mut flag = bool_flag();
    flag["description"] = json!("extra");
    let doc = json!({"flags": {"f": flag}, "owner": "team-a"});
    let config = load_value(&doc);
    assert!(config.is_valid(), "{}", describe(&config));
    let warnings: Vec<_> = config
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.path.as_str())
        .collect();
    assert!(warnings.contains(&"flags.f.description"), "{warnings:?}");
    assert!(warnings.contains(&"owner"), "{warnings:?}");
    assert_served(&client(&doc), "f", json!(true));

    // Tandem's own sections are strict: an unknown field is an error at its path.
    let cases = [
        (
            json!({"flags": {"f": ab_flag()},
                   "experiments": {"e": {"flag": "f", "status": "running", "colour": "red",
                                         "allocation": [["control", 1]]}}}),
            "experiments.e.colour",
        ),
        (
            json!({"flags": {"f": ab_flag()},
                   "experiments": {"e": {"flag": "f", "status": "running", "layer": "l",
                                         "allocation": [["control", 1]]}},
                   "layers": {"l": {"ranges": {"e": [[0, 100]]}, "owner": "x"}}}),
            "layers.l.owner",
        ),
        (
            json!({"flags": {"f": ab_flag()},
                   "holdouts": {"h": {"percent": 1, "experiments": ["*"], "colour": 1}}}),
            "holdouts.h.colour",
        ),
        (
            json!({"flags": {"f": ab_flag()},
                   "policies": {"p": {"id": "p", "version": 1, "colour": []}}}),
            "policies.p.colour",
        ),
        (
            json!({"flags": {"f": ab_flag()},
                   "experiments": {"e": {"flag": "f", "status": "running",
                                         "allocation": [["control", 1]],
                                         "metrics": {"primary": "buy", "tertiary": []}}}}),
            "experiments.e.metrics.tertiary",
        ),
    ];
    for (doc, path) in cases {
        let config = load_value(&doc);
        error_at(&config, path, "unknown field");
        assert!(!config.is_valid());
    }
}

#[test]
fn a_broken_experiment_breaks_its_flag_only() {
    // An experiment that does not compile: its flag cannot serve what its owner meant, so it is
    // broken too (PARSE_ERROR rather than silently serving the default to everyone).
    let doc = json!({
        "flags": {"f": ab_flag(), "other": bool_flag()},
        "experiments": {"e": {"flag": "f", "status": "maybe",
                              "allocation": [["control", 50], ["treatment", 50]]}}
    });
    let config = load_value(&doc);
    error_at(&config, "experiments.e.status", "running");
    let client = client(&doc);
    assert_broken(&client, "f", "experiments.e");
    assert_served(&client, "other", json!(true));
}

// ---------------------------------------------------------------------------------------------
// Cross-references.

#[test]
fn an_allocation_naming_an_unknown_variant_is_an_error() {
    let doc = json!({
        "flags": {"f": ab_flag()},
        "experiments": {"e": {"flag": "f", "status": "running",
                              "allocation": [["control", 50], ["treatmnet", 50]]}}
    });
    let config = load_value(&doc);
    error_at(&config, "experiments.e.allocation[1]", "\"treatmnet\"");
    assert_broken(&client(&doc), "f", "experiments.e");
}

#[test]
fn an_experiment_of_an_unknown_flag_is_an_error() {
    let doc = json!({
        "flags": {"f": ab_flag()},
        "experiments": {"e": experiment("no-such-flag")}
    });
    let config = load_value(&doc);
    error_at(&config, "experiments.e.flag", "\"no-such-flag\"");
    assert_served(&client(&doc), "f", json!("blue"));
}

#[test]
fn overlapping_ranges_inside_a_layer_are_an_error() {
    let layered = |ranges: Value| {
        json!({
            "flags": {"f": ab_flag(), "g": ab_flag()},
            "experiments": {
                "e1": {"flag": "f", "status": "running", "layer": "l",
                       "allocation": [["control", 1], ["treatment", 1]]},
                "e2": {"flag": "g", "status": "running", "layer": "l",
                       "allocation": [["control", 1], ["treatment", 1]]}
            },
            "layers": {"l": {"ranges": ranges}}
        })
    };
    let doc = layered(json!({"e1": [[0, 5000]], "e2": [[4999, 6000]]}));
    let config = load_value(&doc);
    error_at(&config, "layers.l.ranges", "overlap");
    let client = client(&doc);
    // The layer cannot keep its experiments apart: they and their flags are broken.
    assert_broken(&client, "f", "");
    assert_broken(&client, "g", "");

    // Ranges are half-open: [0, 5000) and [5000, 10000) only touch.
    let config = load_value(&layered(json!({"e1": [[0, 5000]], "e2": [[5000, 10000]]})));
    assert!(invalid(&config).is_empty(), "{}", describe(&config));

    // Two ranges of one experiment overlap too.
    let config = load_value(&layered(
        json!({"e1": [[0, 100], [50, 150]], "e2": [[200, 300]]}),
    ));
    error_at(&config, "layers.l.ranges", "overlap");
}

#[test]
fn an_experiment_in_an_unknown_layer_is_an_error() {
    let mut e = experiment("f");
    e["layer"] = json!("no-such-layer");
    let doc = json!({"flags": {"f": ab_flag()}, "experiments": {"e": e}});
    let config = load_value(&doc);
    error_at(&config, "experiments.e.layer", "\"no-such-layer\"");
    assert_broken(&client(&doc), "f", "experiments.e");
}

#[test]
fn a_layer_range_for_an_unknown_experiment_is_an_error() {
    let doc = json!({
        "flags": {"f": ab_flag()},
        "layers": {"l": {"ranges": {"ghost": [[0, 100]]}}}
    });
    let config = load_value(&doc);
    error_at(&config, "layers.l.ranges.ghost", "\"ghost\"");
}

#[test]
fn a_variant_naming_an_unknown_policy_is_an_error() {
    let doc = json!({
        "flags": {
            "f": {"state": "ENABLED",
                  "variants": {"static": {"color": "blue"}, "bandit": {"$policy": "cb@1"}},
                  "defaultVariant": "static"},
            "other": bool_flag()
        },
        "policies": {"cb@2": minimal_bundle("cb", 2)}
    });
    let config = load_value(&doc);
    error_at(&config, "flags.f.variants.bandit", "\"cb@1\"");
    let client = client(&doc);
    assert_broken(&client, "f", "cb@1");
    assert_served(&client, "other", json!(true));

    // Naming a policy that exists is fine.
    let mut doc = doc;
    doc["policies"] = json!({"cb@1": minimal_bundle("cb", 1)});
    let config = load_value(&doc);
    assert!(invalid(&config).is_empty(), "{}", describe(&config));

    // A malformed reference is an error of its own.
    let doc = json!({"flags": {"f": {"state": "ENABLED",
        "variants": {"a": {"$policy": "cb@1", "extra": 1}, "b": {"$policy": ""}}}}});
    let config = load_value(&doc);
    error_at(&config, "flags.f.variants.a", "$policy");
    error_at(&config, "flags.f.variants.b", "$policy");
}

#[test]
fn a_holdout_naming_an_unknown_experiment_is_an_error() {
    let doc = json!({
        "flags": {"f": ab_flag()},
        "experiments": {"e": experiment("f")},
        "holdouts": {
            "h": {"percent": 5, "experiments": ["e", "ghost"]},
            "all": {"percent": 2.5, "experiments": ["*"]}
        }
    });
    let config = load_value(&doc);
    error_at(&config, "holdouts.h.experiments[1]", "\"ghost\"");
    assert!(
        !has_error_under(&config, "holdouts.all"),
        "{}",
        describe(&config)
    );
    assert!(
        !has_error_under(&config, "experiments.e"),
        "{}",
        describe(&config)
    );
}

fn targeted(rule: Value) -> Value {
    json!({"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
           "targeting": rule})
}

#[test]
fn a_ref_to_a_missing_evaluator_is_an_error() {
    let rule = json!({"if": [{"$ref": "is_staff"}, "on", null]});
    let doc = json!({"flags": {"f": targeted(rule.clone()), "other": bool_flag()}});
    let config = load_value(&doc);
    assert!(
        has_error_under(&config, "flags.f.targeting"),
        "{}",
        describe(&config)
    );
    let client = client(&doc);
    assert_broken(&client, "f", "is_staff");
    assert_served(&client, "other", json!(true));

    // With the evaluator defined, the same flag is served.
    let doc = json!({
        "flags": {"f": targeted(rule)},
        "$evaluators": {"is_staff": {"==": [{"var": "email"}, "a@example.com"]}}
    });
    let config = load_value(&doc);
    assert!(invalid(&config).is_empty(), "{}", describe(&config));
    let ctx = Context::new().with("email", "a@example.com").unwrap();
    let served = Client::from_json(&doc.to_string(), clock(), 7).unwrap();
    let details = served.get_bool("f", &ctx, false);
    assert_eq!(
        (details.value, details.reason),
        (true, Reason::TargetingMatch)
    );
}

#[test]
fn a_ref_cycle_is_an_error_not_a_hang() {
    for evaluators in [
        json!({"a": {"!": {"$ref": "a"}}}),
        json!({"a": {"and": [true, {"$ref": "b"}]}, "b": {"or": [false, {"$ref": "a"}]}}),
        json!({"a": {"$ref": "b"}, "b": {"$ref": "c"}, "c": {"$ref": "a"}}),
    ] {
        let doc = json!({
            "flags": {"f": targeted(json!({"if": [{"$ref": "a"}, "on", "off"]})),
                      "other": bool_flag()},
            "$evaluators": evaluators
        });
        let config = load_value(&doc);
        assert!(
            has_error_under(&config, "flags.f.targeting")
                || has_error_under(&config, "$evaluators"),
            "{}",
            describe(&config)
        );
        let client = client(&doc);
        let details = client.evaluate("f", &Context::new(), &Value::Null, FlagType::Any);
        assert_eq!(
            details.error_code,
            Some(ErrorCode::ParseError),
            "{details:?}"
        );
        assert!(
            details
                .error_message()
                .is_some_and(|m| m.contains("cycl") || m.contains("recurs")),
            "the message should name the cycle: {details:?}"
        );
        assert_served(&client, "other", json!(true));
    }
}

// ---------------------------------------------------------------------------------------------
// Hard limits.

#[track_caller]
fn assert_limit(result: Result<Config, tandem::Error>, needles: &[&str]) {
    let error = result.expect_err("over a limit");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error:?}");
    let message = error.message();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle:?}"
        );
    }
}

fn limits() -> Limits {
    Limits::default()
}

#[test]
fn the_document_size_limit_is_a_clear_error() {
    let small = Limits {
        max_document_bytes: 200,
        ..limits()
    };
    let doc = json!({"flags": {"f": bool_flag()}}).to_string();
    assert!(doc.len() < 200);
    Config::parse(&doc, &small).expect("under the limit");
    let mut big = json!({"flags": {"f": bool_flag()}});
    big["revision"] = json!("x".repeat(200));
    assert_limit(
        Config::parse(&big.to_string(), &small),
        &["bytes", "limit", "200"],
    );
    // The size is checked before parsing: not even JSON is looked at.
    assert_limit(Config::parse(&"[".repeat(10_000), &small), &["200"]);
}

/// A flag whose one variant value is `depth` nested arrays.
fn deep_doc(depth: usize) -> String {
    format!(
        r#"{{"flags": {{"f": {{"state": "ENABLED", "variants": {{"v": {{"x": {}1{}}}}}}}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn the_nesting_limit_is_a_clear_error() {
    // Depth counts objects and arrays: root, flags, f, variants, v = 5, then the arrays.
    let tight = Limits {
        max_json_depth: 8,
        ..limits()
    };
    Config::parse(&deep_doc(3), &tight).expect("8 levels are allowed");
    assert_limit(Config::parse(&deep_doc(4), &tight), &["nesting", "8"]);

    // The default (256) is past serde_json's own recursion limit (128): a flagd file nests that
    // deep (issue 8, item 7). Past it, the limit error, never InvalidJson, never a stack overflow.
    for depth in [60, 100, 127, 128, 129, 251] {
        Config::parse(&deep_doc(depth), &limits())
            .unwrap_or_else(|e| panic!("{} levels are allowed: {e}", depth + 5));
    }
    for depth in [252, 500, 100_000] {
        let error = Config::parse(&deep_doc(depth), &limits()).expect_err("too deep");
        assert_limit(Err(error.clone()), &["nesting", "256"]);
        // The path of the first array past the limit.
        assert!(
            error.message().starts_with("flags.f.variants.v.x[0][0]"),
            "{error}"
        );
    }
    // Unbalanced, hostile text nested deep is the limit error too, not a crash.
    let hostile = "[".repeat(1_000_000);
    let error = Config::parse(&hostile, &limits()).expect_err("not a config");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn a_raised_nesting_limit_is_reported_truthfully() {
    // The parser stops at 256 levels whatever the limit says (the stack bound of
    // DESIGN §2): a document within a raised limit either loads or is rejected with a message
    // that names the limit really applied.
    let raised = Limits {
        max_json_depth: 500,
        ..limits()
    };
    Config::parse(&deep_doc(200), &raised).expect("205 levels load");
    let error = Config::parse(&deep_doc(300), &raised).expect_err("305 levels are over the cap");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(
        error.message().contains("256") && !error.message().contains("500"),
        "{error}"
    );
}

#[test]
fn the_flag_count_limit_is_a_clear_error() {
    let two = Limits {
        max_flags: 2,
        ..limits()
    };
    let doc = |n: usize| {
        let flags: serde_json::Map<String, Value> =
            (0..n).map(|i| (format!("f{i}"), bool_flag())).collect();
        json!({ "flags": flags }).to_string()
    };
    Config::parse(&doc(2), &two).expect("at the limit");
    assert_limit(Config::parse(&doc(3), &two), &["flags", "limit", "2"]);
}

#[test]
fn the_variant_count_limit_breaks_the_flag_with_a_clear_error() {
    // Per entity (DESIGN §2): the flag over the limit is broken with a message naming the
    // limit; the other flags are served.
    let two = Limits {
        max_variants: 2,
        ..limits()
    };
    let doc = json!({"flags": {
        "many": {"state": "ENABLED", "variants": {"a": 1, "b": 2, "c": 3}, "defaultVariant": "a"},
        "ok": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "b"}
    }})
    .to_string();
    let config = Config::parse(&doc, &two).expect("loads; one flag broken");
    error_at(&config, "flags.many.variants", "limit of 2");
    let client = Client::new(clock(), 7).with_limits(two);
    client.update(&doc).expect("loads");
    assert_broken(&client, "many", "limit of 2");
    assert_served(&client, "ok", json!(2));
}

#[test]
fn the_experiment_and_policy_count_limits_are_clear_errors() {
    let one = Limits {
        max_experiments: 1,
        max_policies: 1,
        ..limits()
    };
    let doc = json!({
        "flags": {"f": ab_flag(), "g": ab_flag()},
        "experiments": {"e1": experiment("f"), "e2": experiment("g")}
    });
    assert_limit(
        Config::parse(&doc.to_string(), &one),
        &["experiments", "limit", "1"],
    );
    let doc = json!({
        "flags": {"f": ab_flag()},
        "policies": {"p1": {"id": "p1", "version": 1}, "p2": {"id": "p2", "version": 1}}
    });
    assert_limit(
        Config::parse(&doc.to_string(), &one),
        &["policies", "limit", "1"],
    );
}

/// `{"!": {"!": ... {"var": "x"} ...}}`, `depth` operators deep.
fn deep_rule(depth: usize) -> Value {
    let mut rule = json!({"var": "x"});
    for _ in 0..depth {
        rule = json!({ "!": rule });
    }
    rule
}

#[test]
fn the_rule_depth_limit_breaks_the_flag_with_a_clear_error() {
    let shallow = Limits {
        max_rule_depth: 4,
        ..limits()
    };
    let doc = |depth| {
        json!({"flags": {
            "deep": targeted(json!({"if": [deep_rule(depth), "on", "off"]})),
            "plain": bool_flag()
        }})
        .to_string()
    };
    let config = Config::parse(&doc(1), &shallow).expect("loads");
    assert!(invalid(&config).is_empty(), "{}", describe(&config));
    let config = Config::parse(&doc(10), &shallow).expect("loads; one flag broken");
    assert!(
        has_error_under(&config, "flags.deep.targeting"),
        "{}",
        describe(&config)
    );
    let message = invalid(&config)[0].message.clone();
    assert!(
        message.contains("depth") || message.contains("deep"),
        "{message}"
    );
    assert!(message.contains('4'), "{message} should name the limit");
    let client = Client::new(clock(), 7).with_limits(shallow);
    client.update(&doc(10)).expect("loads");
    assert_broken(&client, "deep", "flags.deep.targeting");
    assert_served(&client, "plain", json!(true));
}

#[test]
fn the_rule_node_limit_breaks_the_flag_with_a_clear_error() {
    let few = Limits {
        max_rule_nodes: 20,
        ..limits()
    };
    let wide: Vec<Value> = (0..50).map(|i| json!({"==": [{"var": "x"}, i]})).collect();
    let doc = json!({"flags": {
        "wide": targeted(json!({"if": [{"or": wide}, "on", "off"]})),
        "plain": bool_flag()
    }})
    .to_string();
    let config = Config::parse(&doc, &few).expect("loads; one flag broken");
    assert!(
        has_error_under(&config, "flags.wide.targeting"),
        "{}",
        describe(&config)
    );
    let message = invalid(&config)[0].message.clone();
    assert!(message.contains("20"), "{message} should name the limit");
}

#[test]
fn ref_expansion_counts_against_the_node_limit() {
    // Each evaluator uses the previous one twice: fully expanded, e30 has over 2^30 nodes. The
    // node limit must stop the expansion early (not build it, not hang).
    let mut evaluators = serde_json::Map::new();
    evaluators.insert("e0".into(), json!({"==": [{"var": "x"}, 1]}));
    for i in 1..=30 {
        let prev = format!("e{}", i - 1);
        evaluators.insert(
            format!("e{i}"),
            json!({"and": [{"$ref": prev}, {"$ref": prev}]}),
        );
    }
    let doc = json!({
        "flags": {"bomb": targeted(json!({"if": [{"$ref": "e30"}, "on", "off"]})),
                  "plain": bool_flag()},
        "$evaluators": evaluators
    });
    let start = std::time::Instant::now();
    let config = load_value(&doc);
    assert!(
        has_error_under(&config, "flags.bomb.targeting"),
        "{}",
        describe(&config)
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_served(&client(&doc), "plain", json!(true));
}

#[test]
fn client_with_limits_applies_them_to_updates() {
    let client = Client::new(clock(), 7).with_limits(Limits {
        max_flags: 1,
        ..limits()
    });
    let error = client
        .update(&json!({"flags": {"a": bool_flag(), "b": bool_flag()}}).to_string())
        .expect_err("over the flag limit");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(client.snapshot().config().is_none());
    let details = eval(&client, "a");
    assert_eq!(details.error_code, Some(ErrorCode::ProviderNotReady));
}

// ---------------------------------------------------------------------------------------------
// Structure, bad JSON and updates.

#[test]
fn text_that_is_not_json_is_invalid_json() {
    for text in [
        "",
        "   ",
        "not json",
        "{",
        r#"{"flags": {}} trailing"#,
        "{'flags': {}}",
        r#"{"flags": {},}"#,
        "\u{feff}{\"flags\": {}}",
    ] {
        let error = Config::parse(text, &limits()).expect_err(text);
        assert_eq!(error.kind(), ErrorKind::InvalidJson, "{text:?}: {error}");
        assert!(error.message().contains("JSON"), "{error}");
    }
}

#[test]
fn a_document_of_the_wrong_shape_is_invalid_config_with_a_path() {
    let cases: [(&str, &str); 9] = [
        ("null", "$"),
        ("[]", "$"),
        (r#""flags""#, "$"),
        ("{}", "flags"),
        (r#"{"flags": null}"#, "flags"),
        (r#"{"flags": []}"#, "flags"),
        (r#"{"flags": {}, "schema": 2}"#, "schema"),
        (r#"{"flags": {}, "revision": 7}"#, "revision"),
        (r#"{"flags": {}, "experiments": []}"#, "experiments"),
    ];
    for (text, path) in cases {
        let error = Config::parse(text, &limits()).expect_err(text);
        assert_eq!(error.kind(), ErrorKind::InvalidConfig, "{text}: {error}");
        assert!(
            error.message().starts_with(&format!("{path}:")),
            "{text}: {:?} should start with {path:?}",
            error.message()
        );
    }
    // The optional header fields.
    let config = load(r#"{"schema": 1, "revision": "r-1", "flags": {}}"#);
    assert_eq!(config.revision(), Some("r-1"));
    assert_eq!(load(r#"{"flags": {}}"#).revision(), None);
}

#[test]
fn the_array_form_of_flags_needs_flagd_daemon_schema() {
    let items = json!([{"key": "a", "state": "ENABLED", "variants": {"on": true},
                        "defaultVariant": "on"},
                       {"key": "a", "state": "ENABLED", "variants": {"on": true},
                        "defaultVariant": "on"}]);
    let doc = json!({"$schema": "https://flagd.dev/schema/v0/flagd.json", "flags": items});
    let config = load_value(&doc);
    assert_eq!(config.flag_keys().collect::<Vec<_>>(), ["a"]);
    error_at(&config, "flags[1]", "duplicate");
    let doc = json!({"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": items});
    let error = Config::parse(&doc.to_string(), &limits()).expect_err("map form only");
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    let doc = json!({"$schema": "https://flagd.dev/schema/v0/flagd.json",
                     "flags": [{"state": "ENABLED", "variants": {"on": true}}]});
    let error = Config::parse(&doc.to_string(), &limits()).expect_err("no key");
    assert!(error.message().starts_with("flags[0].key:"), "{error}");
}

#[test]
fn a_failed_update_keeps_the_last_good_config_serving() {
    let good = json!({"revision": "r1", "flags": {"f": bool_flag()}}).to_string();
    let client = Client::from_json(&good, clock(), 7).unwrap();
    let serving = |client: &Client| {
        assert_eq!(
            client.snapshot().config().and_then(Config::revision),
            Some("r1")
        );
        let details = client.get_bool("f", &Context::new(), false);
        assert_eq!((details.value, details.reason), (true, Reason::Static));
    };
    serving(&client);

    let error = client.update("{\"flags\": ").expect_err("not JSON");
    assert_eq!(error.kind(), ErrorKind::InvalidJson);
    serving(&client);

    let error = client.update(r#"{"flags": []}"#).expect_err("wrong shape");
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    serving(&client);

    let error = client.update(&deep_doc(1000)).expect_err("too deep");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    serving(&client);

    // A document with a broken flag is not a failed update: it loads, tolerant per entity.
    let partly = json!({"revision": "r2", "flags": {
        "f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "nope"},
        "g": bool_flag()
    }});
    client.update(&partly.to_string()).expect("loads");
    assert_eq!(
        client.snapshot().config().and_then(Config::revision),
        Some("r2")
    );
    assert_broken(&client, "f", "flags.f.defaultVariant");
    assert_served(&client, "g", json!(true));

    // A good update replaces the whole config.
    client
        .update(&json!({"flags": {"h": bool_flag()}}).to_string())
        .unwrap();
    assert_eq!(client.snapshot().config().and_then(Config::revision), None);
    assert!(client.snapshot().diagnostics().is_empty());
    assert_eq!(eval(&client, "g").error_code, Some(ErrorCode::FlagNotFound));
    assert_served(&client, "h", json!(true));
}

// ---------------------------------------------------------------------------------------------
// DESIGN §2's example.

/// The JSON block of DESIGN §2, with its `policies` placeholder (`{"...": "see section 5"}`)
/// replaced by minimal bundles. The example's `cb-v2` names `checkout-cb@2`, which the example
/// leaves out of `policies`; it is added here.
const DESIGN_EXAMPLE: &str = r#"{
  "schema": 1,
  "revision": "2026-11-25.42",
  "flags": {
    "checkout-button": {
      "state": "ENABLED",
      "variants": {
        "control":  {"color": "blue", "text": "Buy now"},
        "cb-v1":    {"$policy": "checkout-cb@1"},
        "cb-v2":    {"$policy": "checkout-cb@2"}
      },
      "defaultVariant": "control",
      "targeting": {"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}
    }
  },
  "experiments": {
    "checkout-personalization": {
      "flag": "checkout-button",
      "status": "running",
      "layer": "checkout",
      "unit": "targetingKey",
      "audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]},
      "allocation": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]],
      "start": "2026-11-01T00:00:00Z", "end": "2026-12-31T00:00:00Z",
      "metrics": {"primary": "purchase", "guardrails": ["refund", "latency_ms"]}
    }
  },
  "layers":   {"checkout": {"ranges": {"checkout-personalization": [[0, 5000]]}}},
  "holdouts": {"q4-global": {"percent": 2.5, "experiments": ["*"]}},
  "policies": {
    "checkout-cb@1": {"id": "checkout-cb", "version": 1,
                      "actions": [{"key": "blue", "value": {"color": "blue", "text": "Buy now"}}],
                      "features": [], "scorer": {"linear": {"weights": [[]], "bias": [0.0]}},
                      "exploration": {"greedy": {}}, "vectors": []},
    "checkout-cb@2": {"id": "checkout-cb", "version": 2,
                      "actions": [{"key": "blue", "value": {"color": "blue", "text": "Buy now"}}],
                      "features": [], "scorer": {"linear": {"weights": [[]], "bias": [0.0]}},
                      "exploration": {"greedy": {}}, "vectors": []}
  }
}"#;

#[test]
fn the_design_example_loads() {
    let config = load(DESIGN_EXAMPLE);
    assert!(config.diagnostics().is_empty(), "{}", describe(&config));
    assert_eq!(config.revision(), Some("2026-11-25.42"));
    assert_eq!(config.flag_keys().collect::<Vec<_>>(), ["checkout-button"]);
    let client = Client::from_json(DESIGN_EXAMPLE, clock(), 7).unwrap();
    let details = eval(&client, "checkout-button");
    assert_ne!(
        details.error_code,
        Some(ErrorCode::ParseError),
        "{details:?}"
    );

    // As printed in DESIGN §2, `checkout-cb@2` is missing from `policies`: the loader says so.
    let mut doc: Value = serde_json::from_str(DESIGN_EXAMPLE).unwrap();
    doc["policies"]
        .as_object_mut()
        .unwrap()
        .remove("checkout-cb@2");
    let config = load_value(&doc);
    error_at(
        &config,
        "flags.checkout-button.variants.cb-v2",
        "\"checkout-cb@2\"",
    );
}

/// DESIGN §4: "Layer and allocation hashes must never share a salt".
#[test]
fn an_allocation_salt_shared_with_a_layer_is_an_error() {
    let mut exp = experiment("ab");
    exp["layer"] = json!("main");
    exp["salt"] = json!("layer/main");
    let doc = json!({
        "flags": {"ab": ab_flag()},
        "experiments": {"e": exp},
        "layers": {"main": {"ranges": {"e": [[0, 10000]]}}}
    });
    let config = load_value(&doc);
    error_at(&config, "experiments.e.salt", "\"layer/main\"");
    assert_broken(&client(&doc), "ab", "experiments.e");
}

/// An experiment `checkout` without a layer has the implicit layer salt `layer/checkout`, which
/// a layer named `checkout` also has: not independent, so the loader warns.
#[test]
fn an_implicit_layer_sharing_a_layer_salt_is_a_warning() {
    let mut explicit = experiment("ab");
    explicit["layer"] = json!("checkout");
    let doc = json!({
        "flags": {"ab": ab_flag(), "other": ab_flag()},
        "experiments": {"e": explicit, "checkout": experiment("other")},
        "layers": {"checkout": {"ranges": {"e": [[0, 5000]]}}}
    });
    let config = load_value(&doc);
    assert!(config.is_valid(), "{}", describe(&config));
    assert!(config
        .diagnostics()
        .iter()
        .any(|d| d.severity == Severity::Warning
            && d.path == "experiments.checkout"
            && d.message.contains("layer/checkout")));
}

/// Two flags with the same targeting rule (the loader compiles it once and shares it).
fn two_flags_with(rule_f: Value, rule_g: Value, variants: Value) -> Value {
    let flag = |rule: Value| {
        json!({"state": "ENABLED", "variants": variants.clone(), "defaultVariant": null,
               "targeting": rule})
    };
    json!({"flags": {"f": flag(rule_f), "g": flag(rule_g)}})
}

#[test]
fn a_rule_repeated_in_two_flags_reports_its_warnings_in_each() {
    let rule = json!({"fractional": ["same-bucket", ["a", 50], ["b", 50]]});
    let config = load_value(&two_flags_with(
        rule.clone(),
        rule,
        json!({"a": "a", "b": "b"}),
    ));
    for flag in ["f", "g"] {
        let path = format!("flags.{flag}.targeting.fractional[0]");
        assert!(
            config
                .diagnostics()
                .iter()
                .any(|d| d.path == path && d.message.contains("literal string")),
            "no warning at {path}:\n{}",
            describe(&config)
        );
    }
}

#[test]
fn rules_that_differ_only_in_a_constant_stay_apart() {
    let rule = |age: u32| json!({"if": [{">=": [{"var": "age"}, age]}, "on", "off"]});
    let client = client(&two_flags_with(
        rule(16),
        rule(18),
        json!({"on": true, "off": false}),
    ));
    let mut ctx = Context::new();
    ctx.set_int("age", 17);
    let served: Vec<Value> = ["f", "g"]
        .iter()
        .map(|flag| {
            client
                .evaluate(flag, &ctx, &Value::Null, FlagType::Any)
                .value
        })
        .collect();
    assert_eq!(served, [json!(true), json!(false)]);
}
