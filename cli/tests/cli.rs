//! End-to-end tests of the `tandem` binary. Expected results are written from the CLI contract
//! (issue: validate/eval/eval-batch) and flagd's documented behaviour.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn tandem(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn write_config(name: &str, config: &Value) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, config.to_string()).unwrap();
    path
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

fn testbed_flags() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/suites/flagd-testbed/evaluator/flags/testkit-flags.json");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIP: ../shared/suites/flagd-testbed not found");
        None
    }
}

fn sample() -> Value {
    json!({
        "flags": {
            "banner": {
                "state": "ENABLED",
                "variants": {"on": true, "off": false},
                "defaultVariant": "off",
                "targeting": {"if": [{"==": [{"var": "country"}, "SE"]}, "on", null]},
                "metadata": {"owner": "web"}
            },
            "limit": {"state": "ENABLED", "variants": {"low": 10, "high": 100}, "defaultVariant": "low"},
            "late": {
                "state": "ENABLED",
                "variants": {"before": "before", "after": "after"},
                "defaultVariant": "before",
                "targeting": {"if": [{">=": [{"var": "$flagd.timestamp"}, 1793491200]}, "after", null]}
            }
        }
    })
}

#[test]
fn validate_accepts_a_valid_config() {
    let path = write_config("valid.json", &sample());
    let out = tandem(&["validate", path.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn validate_reports_each_problem_with_its_path() {
    let config = json!({
        "flags": {
            "a": {"state": "ON", "variants": {"x": 1}},
            "b": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "y"},
            "c": {"state": "ENABLED", "variants": {"x": 1}}
        }
    });
    let path = write_config("invalid.json", &config);
    let out = tandem(&["validate", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("flags.a.state: "), "{stdout}");
    assert!(lines[1].starts_with("flags.b.defaultVariant: "), "{stdout}");
}

#[test]
fn validate_reports_documents_that_do_not_load() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-json.json");
    std::fs::write(&path, "{\"flags\": ").unwrap();
    let out = tandem(&["validate", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("$: not valid JSON"));
}

#[test]
fn eval_prints_evaluation_details() {
    let path = write_config("eval.json", &sample());
    let out = tandem(
        &[
            "eval",
            path.to_str().unwrap(),
            "banner",
            "--context",
            r#"{"country": "SE"}"#,
            "--default",
            "false",
        ],
        None,
    );
    assert!(out.status.success());
    assert_eq!(
        stdout_json(&out),
        json!({"key": "banner", "value": true, "variant": "on", "reason": "TARGETING_MATCH",
               "flagMetadata": {"owner": "web"}})
    );
}

#[test]
fn eval_checks_the_type_of_the_default() {
    let path = write_config("types.json", &sample());
    let out = tandem(
        &[
            "eval",
            path.to_str().unwrap(),
            "limit",
            "--default",
            "\"text\"",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "an error reason is still an evaluation"
    );
    let result = stdout_json(&out);
    assert_eq!(result["value"], json!("text"));
    assert_eq!(result["reason"], json!("ERROR"));
    assert_eq!(result["errorCode"], json!("TYPE_MISMATCH"));
    let out = tandem(
        &["eval", path.to_str().unwrap(), "limit", "--default", "1"],
        None,
    );
    assert_eq!(
        stdout_json(&out),
        json!({"key": "limit", "value": 10, "variant": "low", "reason": "STATIC"})
    );
}

#[test]
fn eval_uses_now_for_the_flagd_timestamp() {
    let path = write_config("time.json", &sample());
    let path = path.to_str().unwrap();
    let before = tandem(
        &["eval", path, "late", "--now", "2026-10-31T23:59:59Z"],
        None,
    );
    let after = tandem(
        &["eval", path, "late", "--now", "2026-11-01T00:00:00Z"],
        None,
    );
    assert_eq!(stdout_json(&before)["value"], json!("before"));
    assert_eq!(stdout_json(&after)["value"], json!("after"));
    let bad = tandem(&["eval", path, "late", "--now", "yesterday"], None);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn eval_reports_unknown_flags_as_results() {
    let path = write_config("missing.json", &sample());
    let out = tandem(
        &["eval", path.to_str().unwrap(), "nope", "--default", "true"],
        None,
    );
    assert!(out.status.success());
    let result = stdout_json(&out);
    assert_eq!(result["value"], json!(true));
    assert_eq!(result["errorCode"], json!("FLAG_NOT_FOUND"));
}

#[test]
fn eval_batch_answers_each_line_in_order() {
    let path = write_config("batch.json", &sample());
    let input = [
        r#"{"flag": "banner", "context": {"country": "SE"}, "default": false}"#,
        r#"{"flag": "banner", "context": {"country": "NO"}, "default": false}"#,
        "not json",
        r#"{"flag": "limit", "default": 1}"#,
    ]
    .join("\n");
    let out = tandem(&["eval-batch", path.to_str().unwrap()], Some(&input));
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["variant"], json!("on"));
    assert_eq!(lines[1]["reason"], json!("DEFAULT"));
    assert_eq!(lines[2]["line"], json!(3));
    assert!(lines[2]["error"]
        .as_str()
        .unwrap()
        .starts_with("not a JSON object"));
    assert_eq!(lines[3]["value"], json!(10));
}

/// flagd resolves the testbed's flags this way (flagd-testbed evaluator features).
#[test]
fn testbed_flags_resolve_as_flagd_does() {
    let Some(path) = testbed_flags() else { return };
    let path = path.to_str().unwrap();
    let eval = |flag: &str, default: &str, context: &str| {
        stdout_json(&tandem(
            &[
                "eval",
                path,
                flag,
                "--default",
                default,
                "--context",
                context,
            ],
            None,
        ))
    };
    let string = eval("string-flag", "\"bye\"", "{}");
    assert_eq!(
        (&string["value"], &string["reason"]),
        (&json!("hi"), &json!("STATIC"))
    );
    let disabled = eval("disabled-integer-flag", "1", "{}");
    assert_eq!(
        (&disabled["value"], &disabled["reason"]),
        (&json!(1), &json!("DISABLED"))
    );
    assert_eq!(
        eval("wrong-flag", "13", "{}")["errorCode"],
        json!("TYPE_MISMATCH")
    );
    let shorthand = eval(
        "fractional-flag-shorthand",
        "\"x\"",
        r#"{"targetingKey": "jon@company.com"}"#,
    );
    assert_eq!(shorthand["value"], json!("heads"));
    let refd = eval("ref-to-nonexistent-evaluator-flag", "\"fallback\"", "{}");
    assert_eq!(
        (&refd["value"], &refd["errorCode"]),
        (&json!("fallback"), &json!("PARSE_ERROR"))
    );
}
