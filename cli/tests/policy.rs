//! `tandem seal` and `tandem decide`, end to end. Expected values come from docs/policy-bundles.md
//! (the digest's definition, the linear scorer and greedy exploration), computed here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Map, Value};

fn tandem(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .output()
        .unwrap()
}

fn write(name: &str, value: &Value) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

fn bundle() -> Value {
    json!({
        "id": "shoes", "version": 1,
        "actions": [{"key": "young", "value": "sneakers"}, {"key": "senior", "value": "loafers"}],
        "features": [{"name": "age", "source": "age", "kind": "numeric", "transform": "identity", "missing": 30.0}],
        "scorer": {"linear": {"weights": [[-1.0], [1.0]], "bias": [30.0, -30.0]}},
        "exploration": {"greedy": {}},
        "vectors": []
    })
}

/// The canonical JSON of the docs: keys sorted at every level, no whitespace.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

#[test]
fn seal_writes_the_digest_of_the_canonical_bundle() {
    let path = write("seal.json", &bundle());
    let out = tandem(&["seal", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!(
        "xxh3-128:{:032x}",
        xxhash_rust::xxh3::xxh3_128(canonical(&bundle()).as_bytes())
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), expected);
    let sealed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(sealed["digest"], json!(expected));
    assert!(tandem(&["seal", "--check", path.to_str().unwrap()])
        .status
        .success());

    // Any change after sealing is caught.
    let mut tampered = sealed;
    tampered["scorer"]["linear"]["bias"] = json!([31.0, -30.0]);
    let path = write("tampered.json", &tampered);
    assert_eq!(
        tandem(&["seal", "--check", path.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn decide_prints_the_decision() {
    let mut policies = Map::new();
    policies.insert("shoes@1".into(), bundle());
    let config = json!({"flags": {}, "policies": policies});
    let path = write("decide.json", &config);
    let path = path.to_str().unwrap();
    let out = tandem(&[
        "decide",
        path,
        "shoes@1",
        "--context",
        r#"{"targetingKey": "u1", "age": 50}"#,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decision: Value = serde_json::from_slice(&out.stdout).unwrap();
    // young = -50 + 30 = -20, senior = 50 - 30 = 20: greedy picks senior with probability 1.
    assert_eq!(decision["action"], json!("senior"));
    assert_eq!(decision["value"], json!("loafers"));
    assert_eq!(decision["propensity"], json!(1.0));
    assert_eq!(decision["scores"], json!([-20.0, 20.0]));
    let only_young = tandem(&[
        "decide",
        path,
        "shoes@1",
        "--context",
        r#"{"targetingKey": "u1", "age": 50}"#,
        "--eligible",
        "young",
    ]);
    let decision: Value = serde_json::from_slice(&only_young.stdout).unwrap();
    assert_eq!(decision["action"], json!("young"));
    let missing = tandem(&["decide", path, "nope@1"]);
    assert_eq!(missing.status.code(), Some(2));
}
