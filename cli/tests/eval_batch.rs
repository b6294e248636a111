//! `tandem eval --events` and `tandem eval-batch`: the events an evaluation queues, as the SDK
//! emits them, and a batch that no single line can end, flood or make echo its content.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn tandem(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // The command may stop reading early on an error; a broken pipe is its answer then.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// A split flag (every unit exposed) and a policy flag (every read a decision), in a file of
/// the calling test's own (tests run in parallel: one shared file was read while another test
/// rewrote it).
fn config(test: &str) -> PathBuf {
    let bundle = json!({
        "id": "offer", "version": 1,
        "actions": [{"key": "a", "value": "A"}, {"key": "b", "value": "B"}],
        "features": [], "scorer": {"linear": {"weights": [[], []], "bias": [1.0, 0.0]}},
        "exploration": {"epsilon_greedy": {"epsilon": 0.5}}, "vectors": []
    });
    let doc = json!({
        "revision": "r9",
        "flags": {
            "split": {"state": "ENABLED", "variants": {"x": 1, "y": 2}, "defaultVariant": "x"},
            "offer": {"state": "ENABLED", "variants": {"p": {"$policy": "offer@1"}},
                      "defaultVariant": "p"}
        },
        "experiments": {"split-test": {"flag": "split", "status": "running",
                                       "allocation": [["x", 1], ["y", 1]]}},
        "policies": {"offer@1": bundle}
    });
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("eval-batch-{test}.json"));
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn eval_events_lists_what_the_evaluation_queued() {
    let path = config("eval_events_lists_what_the_evaluation_queued");
    let path = path.to_str().unwrap();
    let out = tandem(
        &[
            "eval",
            path,
            "split",
            "--context",
            r#"{"targetingKey": "u1"}"#,
            "--events",
            "--now",
            "2026-12-01T00:00:00Z",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["reason"], "SPLIT");
    assert_eq!(
        result["events"],
        json!([{"type": "exposure", "flag": "split", "variant": result["variant"],
                "experiment": "split-test", "unit": "u1", "reason": "SPLIT", "revision": "r9",
                "timestamp": 1_796_083_200_000_i64}])
    );
    // Without --events, no such field.
    let out = tandem(
        &[
            "eval",
            path,
            "split",
            "--context",
            r#"{"targetingKey": "u1"}"#,
        ],
        b"",
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(result.get("events").is_none());
}

#[test]
fn eval_batch_events_follow_the_sdk_deduplication() {
    let path = config("eval_batch_events_follow_the_sdk_deduplication");
    let input = [
        r#"{"flag": "split", "context": {"targetingKey": "u1"}}"#,
        r#"{"flag": "split", "context": {"targetingKey": "u1"}}"#,
        r#"{"flag": "offer", "context": {"targetingKey": "u1"}}"#,
        r#"{"flag": "offer", "context": {"targetingKey": "u1"}, "decisionKey": "req-2"}"#,
        r#"{"flag": "offer", "context": {"targetingKey": "u1"}, "eligible": ["b"]}"#,
        r#"{"flag": "offer", "context": {"targetingKey": "u1"}, "eligible": ["zz"]}"#,
    ]
    .join("\n");
    let out = tandem(
        &["eval-batch", path.to_str().unwrap(), "--events"],
        input.as_bytes(),
    );
    let results = lines(&out);
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["events"].as_array().unwrap().len(), 1);
    // The same exposure again is deduplicated; every decision is an event of its own.
    assert_eq!(results[1]["events"], json!([]));
    assert_eq!(results[2]["events"][0]["type"], "decision");
    assert_eq!(results[2]["events"][0]["decisionKey"], "");
    assert_eq!(results[3]["events"][0]["decisionKey"], "req-2");
    assert_eq!(results[4]["value"], "B");
    assert_eq!(results[4]["decision"]["probabilities"], json!([0.0, 1.0]));
    assert_eq!(results[4]["events"][0]["propensity"], json!(1.0));
    // An unknown action is the flag's error, not the batch's.
    assert_eq!(results[5]["reason"], "ERROR");
}

/// Issue "a core that cannot be made to hang, crash or lose data", item 11: one line with
/// invalid UTF-8 ended the whole batch (exit 2), a 100 MiB line was evaluated, and errors
/// echoed unknown field names.
#[test]
fn no_line_can_end_the_batch_or_echo_its_content() {
    let path = config("no_line_can_end_the_batch_or_echo_its_content");
    let mut input = Vec::new();
    input.extend_from_slice(br#"{"flag": "split", "context": {"targetingKey": "u1"}}"#);
    input.extend_from_slice(b"\n{\"flag\": \"split\", \"context\": {\"k\": \"\xff\xfe\"}}\n");
    // A context over the 1 MiB context limit, in a line under the document limit.
    let big = "x".repeat(1_100_000);
    input.extend_from_slice(
        format!(r#"{{"flag": "split", "context": {{"targetingKey": "{big}"}}}}"#).as_bytes(),
    );
    input.push(b'\n');
    // A line over the 16 MiB document limit: skipped without being kept whole.
    input.extend_from_slice(b"{\"flag\": \"");
    input.extend(std::iter::repeat_n(b'y', 17 << 20));
    input.extend_from_slice(b"\"}\n");
    input.extend_from_slice(br#"{"flag": "split", "secret-user-field": "alice@example.com"}"#);
    input.extend_from_slice(b"\n[\"not an object\"]\n");
    input.extend_from_slice(br#"{"flag": "split", "context": {"targetingKey": "u2"}}"#);
    let out = tandem(&["eval-batch", path.to_str().unwrap()], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        !text.contains("secret-user-field") && !text.contains("alice"),
        "{text}"
    );
    let results = lines(&out);
    assert_eq!(results.len(), 7);
    assert_eq!(results[0]["reason"], "SPLIT");
    assert_eq!(
        results[1],
        json!({"line": 2, "error": "the line is not valid UTF-8"})
    );
    assert_eq!(results[2]["line"], 3);
    assert!(results[2]["error"].as_str().unwrap().contains("limit"));
    assert_eq!(results[3]["line"], 4);
    assert!(results[3]["error"]
        .as_str()
        .unwrap()
        .contains("longer than the limit"));
    assert_eq!(results[4]["line"], 5);
    assert_eq!(results[5]["line"], 6);
    assert_eq!(
        results[6]["reason"], "SPLIT",
        "the batch goes on after every bad line"
    );
}
