//! Writes `testdata/evaluation.json`, the cross-binding vectors of the host API (DESIGN §3, §6,
//! §7): configs, contexts and requests with the evaluation details and the events each request
//! queues, as the core produces them.
//!
//! ```text
//! cargo run -p tandem --example generate_evaluation_vectors > testdata/evaluation.json
//! ```
//!
//! The configs, contexts and requests are written out below; every expected value comes from
//! the core (`Client::evaluate_with`, `Client::drain_events`). The file *pins the core's
//! behaviour for the bindings*: every binding replays it and must match. It is not an
//! independent check of the core itself; those are the conformance suites (JSON Logic, flagd)
//! and the Python re-implementation of the bucketing. No RNG, a fixed clock: running it again
//! reproduces the file byte for byte. `sdk-core/tests/evaluation_vectors.rs` includes this file
//! as a module and fails when the checked-in file differs from [`render`].

// `value["key"] = ...` on the JSON objects built here: serde_json indexes objects by inserting,
// and every value indexed this way is an object written in this file.
#![allow(clippy::indexing_slicing)]

use std::io::Write;
use std::process::ExitCode;

use serde_json::{json, Map, Value};
use tandem::{Client, Context, EvalOptions, FixedClock, FlagType, Timestamp};

/// The command that regenerates the file, recorded in it.
const GENERATOR: &str =
    "cargo run -p tandem --example generate_evaluation_vectors > testdata/evaluation.json";

/// The host time of every case: 2026-12-01T00:00:00Z.
const NOW: &str = "2026-12-01T00:00:00Z";

fn main() -> ExitCode {
    let text = match render() {
        Ok(text) => text,
        Err(message) => {
            eprintln!("generate_evaluation_vectors: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("generate_evaluation_vectors: cannot write: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Flags of every evaluation step: static, targeting (including numeric and boolean variant
/// names, nested paths and flagd operators), disabled and broken flags, an empty default.
fn flags_config() -> Value {
    json!({
        "revision": "flags-1",
        "metadata": {"flagSetId": "vectors", "version": 1},
        "flags": {
            "static-bool": {"state": "ENABLED", "variants": {"on": true, "off": false},
                            "defaultVariant": "on"},
            "static-object": {"state": "ENABLED",
                              "variants": {"blue": {"color": "#00f", "size": 2}},
                              "defaultVariant": "blue", "metadata": {"owner": "web"}},
            "float-flag": {"state": "ENABLED", "variants": {"half": 0.5, "whole": 10.0},
                           "defaultVariant": "whole"},
            "targeted": {"state": "ENABLED", "variants": {"on": true, "off": false},
                         "defaultVariant": "off",
                         "targeting": {"if": [{"and": [
                             {">=": [{"var": "age"}, 18]},
                             {"in": [{"var": "country"}, ["SE", "NO", "DK", "FI"]]}]},
                             "on", null]}},
            "nested-path": {"state": "ENABLED", "variants": {"pro": "Pro", "free": "Free"},
                            "defaultVariant": "free",
                            "targeting": {"if": [{"==": [{"var": "user.plan"}, "pro"]},
                                                 "pro", null]}},
            "split": {"state": "ENABLED", "variants": {"a": "A", "b": "B", "c": "C"},
                      "defaultVariant": "a",
                      "targeting": {"fractional": [["a", 34], ["b", 33], ["c", 33]]}},
            "semver": {"state": "ENABLED", "variants": {"new": true, "old": false},
                       "defaultVariant": "old",
                       "targeting": {"if": [{"sem_ver": [{"var": "appVersion"}, ">=", "5.10.0"]},
                                            "new", null]}},
            "email-domain": {"state": "ENABLED", "variants": {"staff": true, "other": false},
                             "defaultVariant": "other",
                             "targeting": {"if": [{"ends_with": [{"var": "email"},
                                                                 "@example.com"]},
                                                  "staff", null]}},
            "numeric-name": {"state": "ENABLED", "variants": {"1": "one", "2": "two"},
                             "defaultVariant": "1",
                             "targeting": {"if": [{">": [{"var": "age"}, 18]}, 2, 1]}},
            "boolean-name": {"state": "ENABLED", "variants": {"true": "yes", "false": "no"},
                             "defaultVariant": "false",
                             "targeting": {"==": [{"var": "beta"}, true]}},
            "no-default": {"state": "ENABLED", "variants": {"on": true, "off": false},
                           "defaultVariant": "",
                           "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", null]}},
            "unknown-variant": {"state": "ENABLED", "variants": {"on": true},
                                "defaultVariant": "on", "targeting": {"var": "choice"}},
            "disabled": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"},
            "disabled-broken": {"state": "DISABLED", "variants": {"on": true},
                                "defaultVariant": "on", "targeting": {"invalid_op": [1]}},
            "broken": {"state": "ENABLED", "variants": {"on": true},
                       "defaultVariant": "missing"}
        }
    })
}

/// A three-arm experiment in a layer with a holdout and an audience, and a sticky one.
fn experiments_config() -> Value {
    json!({
        "revision": "exp-1",
        "flags": {
            "checkout": {"state": "ENABLED",
                         "variants": {"control": "blue", "green": "green", "bold": "bold"},
                         "defaultVariant": "control"},
            "limit": {"state": "ENABLED", "variants": {"low": 10, "high": 50},
                      "defaultVariant": "low"}
        },
        "experiments": {
            "checkout-colors": {"flag": "checkout", "status": "running", "layer": "checkout",
                                "audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]},
                                "allocation": [["control", 34], ["green", 33], ["bold", 33]],
                                "start": "2026-11-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
            "limit-test": {"flag": "limit", "status": "running", "sticky": true,
                           "unit": "account.id", "allocation": [["low", 1], ["high", 1]]}
        },
        "layers": {"checkout": {"ranges": {"checkout-colors": [[0, 8000]]}}},
        "holdouts": {"global": {"percent": 10, "experiments": ["checkout-colors"]}}
    })
}

/// A flag whose experiment's arms are a static treatment and a policy bundle.
fn policies_config() -> Value {
    let bundle = json!({
        "id": "offers", "version": 3,
        "actions": [{"key": "discount", "value": "10% off"},
                    {"key": "shipping", "value": "free shipping"},
                    {"key": "bundle", "value": "2 for 1"}],
        "features": [{"name": "visits", "source": "visits", "kind": "numeric",
                      "transform": {"standardize": {"mean": 5, "std": 2}}, "missing": 5},
                     {"name": "mobile", "source": "device.mobile", "kind": "boolean",
                      "transform": "identity", "missing": false}],
        "scorer": {"linear": {"weights": [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.5]],
                              "bias": [0.0, 0.0, 0.2]}},
        "exploration": {"softmax": {"temperature": 0.5, "floor": 0.05}},
        "vectors": []
    });
    let mut failing = bundle.clone();
    failing["id"] = json!("offers-by-account");
    failing["unit"] = json!("accountId");
    json!({
        "revision": "pol-1",
        "flags": {
            "offer": {"state": "ENABLED",
                      "variants": {"static": "free shipping", "personal": {"$policy": "offers@3"}},
                      "defaultVariant": "static"},
            "offer-by-account": {"state": "ENABLED",
                                 "variants": {"static": "free shipping",
                                              "personal": {"$policy": "offers-by-account@3"}},
                                 "defaultVariant": "static",
                                 "targeting": {"if": [{"==": [{"var": "segment"}, "personal"]},
                                                      "personal", null]}}
        },
        "experiments": {"offer-test": {"flag": "offer", "status": "running",
                                       "allocation": [["static", 1], ["personal", 1]]}},
        "policies": {"offers@3": bundle, "offers-by-account@3": failing}
    })
}

/// The first unit `user-100`, `user-101`, ... that `checkout-colors` assigns to an arm.
fn assigned_unit() -> String {
    let Ok(client) = client_for(&experiments_config()) else {
        return "user-100".to_owned();
    };
    (100..)
        .map(|n| format!("user-{n}"))
        .find(|unit| {
            let mut ctx = Context::new();
            ctx.set_str("targetingKey", unit);
            ctx.set_str("country", "US");
            client.get_string("checkout", &ctx, "").reason == tandem::Reason::Split
        })
        .unwrap_or_default()
}

/// One request: flag, requested type, caller default, context, options.
fn request(flag: &str, ty: &str, default: Value, context: Value) -> Value {
    json!({"flag": flag, "type": ty, "default": default, "context": context})
}

fn with_options(mut request: Value, options: Value) -> Value {
    request["options"] = options;
    request
}

/// The cases: a config (`null`: a client with none loaded yet) and the requests replayed, in
/// order, on one client built from it.
fn specs() -> Vec<(&'static str, Value, Vec<Value>)> {
    let se = json!({"targetingKey": "user-1", "age": 30, "country": "SE",
                    "user": {"plan": "pro"}, "appVersion": "5.12.0",
                    "email": "ann@example.com", "beta": true, "plan": "pro"});
    let us = json!({"targetingKey": "user-2", "age": 16, "country": "US",
                    "user": {"plan": "free"}, "appVersion": "4.9.9",
                    "email": "bob@example.org", "beta": false});
    let mut flag_requests = Vec::new();
    for ctx in [&se, &us, &json!({})] {
        for (flag, ty, default) in [
            ("static-bool", "boolean", json!(false)),
            ("static-object", "object", json!({})),
            ("float-flag", "integer", json!(0)),
            ("float-flag", "float", json!(0.0)),
            ("targeted", "boolean", json!(false)),
            ("nested-path", "string", json!("none")),
            ("split", "string", json!("none")),
            ("semver", "boolean", json!(false)),
            ("email-domain", "boolean", json!(false)),
            ("numeric-name", "string", json!("none")),
            ("boolean-name", "string", json!("none")),
            ("no-default", "boolean", json!(false)),
        ] {
            flag_requests.push(request(flag, ty, default, ctx.clone()));
        }
    }
    for (flag, ty, default, ctx) in [
        (
            "unknown-variant",
            "boolean",
            json!(false),
            json!({"choice": "nope"}),
        ),
        (
            "unknown-variant",
            "boolean",
            json!(false),
            json!({"choice": 7}),
        ),
        ("disabled", "boolean", json!(false), json!({})),
        ("disabled-broken", "boolean", json!(false), json!({})),
        ("broken", "boolean", json!(false), json!({})),
        ("missing-flag", "boolean", json!(true), json!({})),
        ("static-bool", "string", json!("caller"), json!({})),
        ("static-object", "any", json!(null), json!({})),
    ] {
        flag_requests.push(request(flag, ty, default, ctx));
    }

    let mut experiment_requests = Vec::new();
    for n in 0..24 {
        let ctx = json!({"targetingKey": format!("user-{n}"), "country": "SE",
                         "account": {"id": format!("acct-{n}")}});
        experiment_requests.push(request("checkout", "string", json!("none"), ctx.clone()));
        if n < 8 {
            experiment_requests.push(request("limit", "integer", json!(0), ctx));
        }
    }
    for ctx in [
        json!({"targetingKey": "user-1", "country": "FR"}),
        json!({"country": "SE"}),
        json!({"targetingKey": true, "country": "SE"}),
        json!({"targetingKey": 42, "country": "SE"}),
        json!({"targetingKey": "k".repeat(1025), "country": "SE"}),
    ] {
        experiment_requests.push(request("checkout", "string", json!("none"), ctx));
    }
    // A wrong type: the arm is still exposed, with the error code. The unit is one the
    // experiment assigns (found with a scratch client: it picks an input, not an expectation).
    let assigned = json!({"targetingKey": assigned_unit(), "country": "US"});
    experiment_requests.push(request(
        "checkout",
        "boolean",
        json!(false),
        assigned.clone(),
    ));
    // The same unit again, as the right type: the same arm, a deduplicated exposure.
    experiment_requests.push(request("checkout", "string", json!("none"), assigned));

    let mut policy_requests = Vec::new();
    for n in 0..8 {
        let ctx = json!({"targetingKey": format!("user-{n}"), "visits": n,
                         "device": {"mobile": n % 2 == 0}});
        policy_requests.push(request("offer", "string", json!("none"), ctx));
    }
    let personal = json!({"targetingKey": "user-1", "visits": 9, "device": {"mobile": true}});
    policy_requests.push(with_options(
        request("offer", "string", json!("none"), personal.clone()),
        json!({"decisionKey": "request-7"}),
    ));
    policy_requests.push(with_options(
        request("offer", "string", json!("none"), personal.clone()),
        json!({"eligible": ["bundle", "shipping"]}),
    ));
    policy_requests.push(with_options(
        request("offer", "string", json!("none"), personal.clone()),
        json!({"eligible": ["nope"]}),
    ));
    policy_requests.push(request("offer", "integer", json!(0), personal));
    policy_requests.push(request(
        "offer-by-account",
        "string",
        json!("none"),
        json!({"targetingKey": "user-1", "segment": "personal"}),
    ));
    policy_requests.push(request(
        "offer-by-account",
        "string",
        json!("none"),
        json!({"targetingKey": "user-1", "segment": "personal", "accountId": "acct-1"}),
    ));

    vec![
        ("flags", flags_config(), flag_requests),
        ("experiments", experiments_config(), experiment_requests),
        ("policies", policies_config(), policy_requests),
        (
            "not-ready",
            Value::Null,
            vec![request("static-bool", "boolean", json!(true), json!({}))],
        ),
    ]
}

/// The requested type of a request.
pub(crate) fn flag_type(name: &str) -> Result<FlagType, String> {
    Ok(match name {
        "boolean" => FlagType::Boolean,
        "string" => FlagType::String,
        "integer" => FlagType::Integer,
        "float" => FlagType::Float,
        "object" => FlagType::Object,
        "any" => FlagType::Any,
        other => return Err(format!("unknown type {other}")),
    })
}

/// A client for a case's config at the vectors' time (`null`: nothing loaded).
pub(crate) fn client_for(config: &Value) -> Result<Client, String> {
    let clock = FixedClock(Timestamp::parse_rfc3339(NOW)?);
    match config {
        Value::Null => Ok(Client::new(clock, 0)),
        config => Client::from_json(&config.to_string(), clock, 0).map_err(|e| e.to_string()),
    }
}

/// Runs one request on `client`: its details and the events it queued, as JSON.
pub(crate) fn replay(client: &Client, request: &Value) -> Result<(Value, Value), String> {
    let field = |name: &str| request.get(name).ok_or(format!("a request needs {name}"));
    let flag = field("flag")?.as_str().ok_or("flag must be a string")?;
    let ty = flag_type(field("type")?.as_str().ok_or("type must be a string")?)?;
    let ctx = Context::from_value(field("context")?.clone()).map_err(|e| e.to_string())?;
    let options = request.get("options").cloned().unwrap_or(json!({}));
    let eligible: Option<Vec<&str>> = options
        .get("eligible")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect());
    let options = EvalOptions {
        decision_key: options
            .get("decisionKey")
            .and_then(Value::as_str)
            .unwrap_or(""),
        eligible_actions: eligible.as_deref(),
        now: None,
    };
    let details = client.evaluate_with(flag, &ctx, field("default")?, ty, &options);
    let details = serde_json::to_value(&details).map_err(|e| e.to_string())?;
    let events = serde_json::to_value(client.drain_events()).map_err(|e| e.to_string())?;
    Ok((details, events))
}

/// The whole file, as the generator prints it.
pub fn render() -> Result<String, String> {
    let mut cases = Vec::new();
    for (name, config, requests) in specs() {
        let client = client_for(&config)?;
        let mut replayed = Vec::new();
        for mut request in requests {
            let (expected, events) = replay(&client, &request)?;
            request["expected"] = expected;
            request["events"] = events;
            replayed.push(request);
        }
        cases.push(json!({"name": name, "config": config, "requests": replayed}));
    }
    let mut file = Map::new();
    file.insert(
        "description".into(),
        json!(
            "The host API's behaviour, pinned for every binding (DESIGN §3, §6, §7): each case \
             loads its config (null: no config yet) into a new client whose clock reads `now` \
             (any entropy: results do not depend on it), then replays its requests in order on \
             that client; each request's evaluation details must equal `expected` and the \
             events the request queued (drained after it) must equal `events`. Generated by \
             the Rust core: it pins the core's behaviour for the bindings; the independent \
             checks of the core are the conformance suites and the bucketing re-implementation."
        ),
    );
    file.insert("generator".into(), json!(GENERATOR));
    file.insert("now".into(), json!(NOW));
    file.insert(
        "fields".into(),
        json!({
            "flag": "the flag key",
            "type": "the requested type: boolean, string, integer (an integer-valued number that fits i64), float, object, or any (no check)",
            "default": "the caller's default, of the requested type",
            "context": "the evaluation context",
            "options": "optional: decisionKey (string) and eligible (action keys) for policies",
            "expected": "the evaluation details as the CLI prints them: key, value, variant, reason, errorCode, errorMessage, flagMetadata, experiment {key, layer, holdout, skipped}, decision {...}; absent fields omitted",
            "events": "the events the request queued, in order, as drained JSON (DESIGN §6)"
        }),
    );
    file.insert("cases".into(), Value::Array(cases));
    let mut text = serde_json::to_string_pretty(&Value::Object(file)).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}
