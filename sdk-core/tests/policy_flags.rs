//! Policies as flag variants (DESIGN §3 step 7, §5, §6): a variant `{"$policy": "id"}` serves
//! the action its bundle picks, with the decision in the details and a `decision` event queued;
//! a bundle that cannot decide fails only the variants that use it.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use tandem::{Client, Context, ErrorCode, EvalOptions, Event, FixedClock, FlagType, Reason};

/// Two actions scored by `score = w · age + b`: "young" wins below age 30, "senior" above.
fn bundle(exploration: Value) -> Value {
    json!({
        "id": "banner-cb", "version": 3,
        "actions": [{"key": "young", "value": "sneakers"}, {"key": "senior", "value": "loafers"}],
        "features": [{"name": "age", "source": "age", "kind": "numeric",
                      "transform": "identity", "missing": 30.0}],
        "scorer": {"linear": {"weights": [[-1.0], [1.0]], "bias": [30.0, -30.0]}},
        "exploration": exploration,
        "vectors": []
    })
}

fn config(policy: Value) -> Value {
    json!({
        "revision": "r7",
        "flags": {
            "banner": {
                "state": "ENABLED",
                "variants": {"static": "sandals", "bandit": {"$policy": "banner-cb@3"}},
                "defaultVariant": "static",
                "targeting": {"if": [{"==": [{"var": "segment"}, "bandit"]}, "bandit", null]}
            },
            "other": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}
        },
        "policies": {"banner-cb@3": policy}
    })
}

fn client(policy: Value) -> Client {
    Client::from_json(
        &config(policy).to_string(),
        FixedClock::at_unix_seconds(1_800_000_000),
        7,
    )
    .unwrap()
}

fn ctx(value: Value) -> Context {
    Context::from_value(value).unwrap()
}

#[test]
fn a_policy_variant_serves_the_chosen_action_with_its_decision() {
    let client = client(bundle(json!({"greedy": {}})));
    let young = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let details = client.get_string("banner", &young, "none");
    // Scores: young = -20 + 30 = 10, senior = 20 - 30 = -10: greedy picks "young".
    assert_eq!(details.value, "sneakers".into());
    assert_eq!(details.variant(), Some("bandit"));
    assert_eq!(details.reason, Reason::TargetingMatch);
    let decision = details.decision().unwrap();
    assert_eq!(decision.action, "young");
    assert_eq!(decision.propensity, 1.0);
    assert_eq!(decision.probabilities, vec![1.0, 0.0]);
    assert_eq!(decision.scores, vec![10.0, -10.0]);
    assert_eq!(decision.policy_id, "banner-cb");
    assert_eq!(decision.version, "3");

    let senior = ctx(json!({"targetingKey": "u2", "segment": "bandit", "age": 50}));
    assert_eq!(
        client.get_string("banner", &senior, "none").value,
        "loafers".into()
    );
    // Outside the targeted segment the static default is served and no policy runs.
    let other = ctx(json!({"targetingKey": "u3", "age": 50}));
    let details = client.get_string("banner", &other, "none");
    assert_eq!(
        (details.value.as_ref(), details.decision().is_none()),
        ("sandals", true)
    );
}

#[test]
fn every_decision_queues_a_decision_event() {
    let client = client(bundle(json!({"epsilon_greedy": {"epsilon": 0.2}})));
    let user = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let first = client.evaluate("banner", &user, &Value::Null, FlagType::Any);
    let action = first.decision().unwrap().action.to_owned();
    client.evaluate("banner", &user, &Value::Null, FlagType::Any);
    let events = client.drain_events();
    // DESIGN §6: every decision is logged, never deduplicated — each carries its propensity,
    // and off-policy estimates need every one.
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], events[1]);
    assert_eq!(client.stats().decisions, 2);
    assert_eq!(client.stats().deduplicated, 0);
    let Event::Decision(event) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(&*event.flag, "banner");
    assert_eq!(&*event.variant, "bandit");
    assert_eq!(event.unit, "u1");
    assert_eq!(&*event.policy, "banner-cb@3");
    assert_eq!(&*event.action, action);
    assert_eq!(event.revision.as_deref(), Some("r7"));
    assert_eq!(event.timestamp, 1_800_000_000_000);
    assert!(event.digest.starts_with("xxh3-128:"));
    // epsilon-greedy over 2 actions: the greedy one has 0.9, the other 0.1.
    assert_eq!(event.probabilities, vec![0.9, 0.1]);
    let expected = if action == "young" { 0.9 } else { 0.1 };
    assert_eq!(event.propensity, expected);

    // A decision key randomises per request: a new key is a new decision event.
    let options = EvalOptions {
        decision_key: "request-2",
        eligible_actions: None,
        ..EvalOptions::default()
    };
    client.evaluate_with("banner", &user, &Value::Null, FlagType::Any, &options);
    let events = client.drain_events();
    let Event::Decision(event) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(event.decision_key, "request-2");
}

#[test]
fn eligible_actions_restrict_the_choice() {
    let client = client(bundle(json!({"greedy": {}})));
    let young = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let only_senior = ["senior"];
    let options = EvalOptions {
        decision_key: "",
        eligible_actions: Some(&only_senior),
        ..EvalOptions::default()
    };
    let details = client.evaluate_with("banner", &young, &Value::Null, FlagType::Any, &options);
    assert_eq!(details.value, json!("loafers"));
    assert_eq!(details.decision().unwrap().probabilities[..], [0.0, 1.0]);
}

#[test]
fn a_missing_unit_is_an_error_that_serves_the_static_default() {
    let client = client(bundle(json!({"greedy": {}})));
    let anonymous = ctx(json!({"segment": "bandit", "age": 20}));
    let details = client.get_string("banner", &anonymous, "none");
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error_code, Some(ErrorCode::TargetingKeyMissing));
    assert_eq!(
        (details.value.as_ref(), details.variant()),
        ("sandals", Some("static"))
    );
    let invalid = ctx(json!({"targetingKey": true, "segment": "bandit"}));
    let details = client.get_string("banner", &invalid, "none");
    assert_eq!(details.error_code, Some(ErrorCode::InvalidContext));
    assert!(client.drain_events().is_empty());
}

#[test]
fn a_broken_bundle_fails_only_the_variants_that_use_it() {
    let mut broken = bundle(json!({"greedy": {}}));
    broken["scorer"]["linear"]["weights"] = json!([[1.0, 2.0], [1.0]]);
    let client = client(broken);
    let diagnostics: Vec<String> = client
        .snapshot()
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.starts_with("policies.banner-cb@3.scorer")),
        "{diagnostics:?}"
    );
    let user = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let details = client.get_string("banner", &user, "none");
    assert_eq!(details.reason, Reason::Error);
    assert_eq!(details.error_code, Some(ErrorCode::ParseError));
    assert_eq!(details.value, "sandals".into());
    // The same flag outside the policy variant, and other flags, are unaffected.
    let plain = ctx(json!({"targetingKey": "u1"}));
    assert_eq!(
        client.get_string("banner", &plain, "none").reason,
        Reason::Default
    );
    assert!(client.get_bool("other", &plain, false).value);
}

#[test]
fn a_failed_self_check_rejects_the_bundle() {
    let mut checked = bundle(json!({"greedy": {}}));
    checked["vectors"] =
        json!([{"context": {"targetingKey": "u", "age": 20}, "probabilities": [0.0, 1.0]}]);
    let client = client(checked);
    assert!(client
        .snapshot()
        .diagnostics()
        .iter()
        .any(|d| d.path.contains("vectors")));
    let user = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    assert_eq!(
        client.get_string("banner", &user, "none").error_code,
        Some(ErrorCode::ParseError)
    );
}

#[test]
fn the_decision_serializes_with_the_details() {
    let client = client(bundle(json!({"greedy": {}})));
    let user = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let json = serde_json::to_value(client.evaluate("banner", &user, &Value::Null, FlagType::Any))
        .unwrap();
    assert_eq!(json["value"], json!("sneakers"));
    assert_eq!(json["decision"]["action"], json!("young"));
    assert_eq!(json["decision"]["propensity"], json!(1.0));
    assert_eq!(json["decision"]["policyId"], json!("banner-cb"));
}

#[test]
fn a_precomputed_payload_serves_the_decision_and_logs_it_when_read() {
    let server = client(bundle(json!({"epsilon_greedy": {"epsilon": 0.2}})));
    let user = ctx(json!({"targetingKey": "u1", "segment": "bandit", "age": 20}));
    let payload = server.precompute(&user).unwrap();
    assert!(
        server.drain_events().is_empty(),
        "precomputing logs nothing"
    );
    let browser =
        Client::from_precomputed(&payload, FixedClock::at_unix_seconds(1_800_000_100), 7).unwrap();
    let served = browser.evaluate("banner", &Context::new(), &Value::Null, FlagType::Any);
    let direct = server.evaluate("banner", &user, &Value::Null, FlagType::Any);
    assert_eq!(served.value, direct.value);
    assert_eq!(served.decision(), direct.decision());
    let events = browser.drain_events();
    assert_eq!(events.len(), 1);
    let Event::Decision(event) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        event.timestamp, 1_800_000_100_000,
        "logged when read, with the reader's clock"
    );
    assert_eq!(
        Some(&*event.action),
        direct.decision().as_ref().map(|d| d.action)
    );

    // A failed policy serves the static default with an error, in both clients alike.
    let anonymous = ctx(json!({"segment": "bandit"}));
    let payload = server.precompute(&anonymous).unwrap();
    let browser = Client::from_precomputed(&payload, FixedClock::at_unix_seconds(0), 7).unwrap();
    let served = browser.get_string("banner", &Context::new(), "none");
    let direct = server.get_string("banner", &anonymous, "none");
    assert_eq!(
        (served.value.as_ref(), served.error_code),
        (direct.value.as_ref(), direct.error_code)
    );
    assert_eq!(served.value, "sandals".into());
}
