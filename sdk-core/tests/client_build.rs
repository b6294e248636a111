//! What the core does without its `config` feature (the browser client build, DESIGN §7): serve
//! a precomputed payload with exposures and decisions logged on read, and run policy bundles.
//! Runs in both builds (`cargo test -p tandem` and `cargo test -p tandem --no-default-features`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Value};
use tandem::policy::Bundle;
use tandem::{Client, Context, ErrorCode, FixedClock, FlagType, Reason, Timestamp};

const NOW_MS: i64 = 1_796_000_000_000;

/// A payload as an edge worker sends it: written out here, so the expectations below come from
/// its text, not from the core.
fn payload() -> String {
    json!({
        "v": 1, "revision": "r3", "metadata": {"flagSetId": "web"},
        "flags": [
            {"key": "banner", "value": true, "variant": "on", "reason": "STATIC"},
            {"key": "checkout", "value": "green", "variant": "green", "reason": "SPLIT",
             "experiment": {"key": "colors", "layer": "checkout", "variant": "green"},
             "unit": "user-1"},
            {"key": "offer", "value": "free shipping", "variant": "personal", "reason": "SPLIT",
             "experiment": {"key": "offer-test", "variant": "personal"}, "unit": "user-1",
             "decision": {"policyId": "offers", "version": "3", "digest": "xxh3-128:ab",
                          "decisionKey": "", "unit": "user-1", "draw": 0.61, "action": "shipping",
                          "actionIndex": 1, "propensity": 0.7,
                          "probabilities": [0.3, 0.7], "scores": [0.1, 0.9],
                          "optimalityGap": 0.0}},
            {"key": "broken", "reason": "ERROR", "errorCode": "PARSE_ERROR",
             "errorMessage": "flags.broken.defaultVariant: missing"}
        ]
    })
    .to_string()
}

fn client() -> Client {
    Client::from_precomputed(
        &payload(),
        FixedClock(Timestamp::from_unix_millis(NOW_MS)),
        9,
    )
    .unwrap()
}

#[test]
fn a_payload_is_served_and_logged_on_read() {
    let client = client();
    let ctx = Context::new();
    assert!(client.get_bool("banner", &ctx, false).value);
    let broken = client.get_bool("broken", &ctx, false);
    assert_eq!(
        (broken.reason, broken.error_code, broken.error_message()),
        (
            Reason::Error,
            Some(ErrorCode::ParseError),
            Some("flags.broken.defaultVariant: missing")
        )
    );
    let missing = client.get_bool("nope", &ctx, true);
    assert_eq!(missing.error_code, Some(ErrorCode::FlagNotFound));
    assert_eq!(
        Value::Object(missing.flag_metadata().unwrap().clone()),
        json!({"flagSetId": "web"})
    );
    assert!(client.drain_events().is_empty());

    let mut outcomes = Vec::new();
    let snapshot = client.evaluate_all(&ctx, &mut outcomes);
    let keys: Vec<&str> = (0..snapshot.flag_count() as u32)
        .map(|f| snapshot.flag_key(f).unwrap())
        .collect();
    assert_eq!(keys, ["banner", "checkout", "offer", "broken"]);
    assert_eq!(snapshot.value_json(&outcomes[1]), Some("\"green\""));
    assert!(client.drain_events().is_empty());
    client.record_read(&snapshot, &ctx, &outcomes[2], FlagType::String);
    assert_eq!(
        serde_json::to_value(client.drain_events()).unwrap(),
        json!([
            {"type": "exposure", "flag": "offer", "variant": "personal",
             "experiment": "offer-test", "unit": "user-1", "reason": "SPLIT",
             "revision": "r3", "timestamp": NOW_MS},
            {"type": "decision", "flag": "offer", "variant": "personal",
             "experiment": "offer-test", "unit": "user-1", "reason": "SPLIT",
             "revision": "r3", "policy": "offers@3", "digest": "xxh3-128:ab",
             "action": "shipping", "propensity": 0.7, "probabilities": [0.3, 0.7],
             "optimalityGap": 0.0, "decisionKey": "", "timestamp": NOW_MS}
        ])
    );
    let checkout = client.get_string("checkout", &ctx, "");
    assert_eq!(checkout.value, "green".into());
    assert_eq!(checkout.experiment().unwrap().layer, Some("checkout"));
    assert_eq!(client.drain_events().len(), 1);
}

#[test]
fn policy_bundles_run_without_the_config_feature() {
    let bundle = Bundle::from_json(
        r#"{"id": "greeting", "version": 1,
            "actions": [{"key": "formal", "value": "Good day"}, {"key": "casual", "value": "Hi"}],
            "features": [{"name": "age", "source": "user.age", "kind": "numeric",
                          "transform": "identity", "missing": 40}],
            "scorer": {"linear": {"weights": [[1.0], [-1.0]], "bias": [-40.0, 40.0]}},
            "exploration": "greedy", "vectors": []}"#,
    )
    .unwrap();
    let mut ctx = Context::new();
    ctx.set_str("targetingKey", "u1");
    ctx.set_value("user", json!({"age": 60})).unwrap();
    let decision = bundle.decide(&ctx, "", None).unwrap();
    assert_eq!((decision.action, decision.propensity), ("formal", 1.0));
}
