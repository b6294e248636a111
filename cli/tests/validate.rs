//! `tandem validate` on flagd-testbed's flag files and on the issue 8 repros: what flagd serves
//! is a warning (stderr, exit 0), what it refuses is an error (stdout, exit 1), and a document
//! that repeats a key or lists a million names gets a few lines, each with a JSON path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn validate(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap()
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn testbed() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/suites/flagd-testbed");
    if path.exists() {
        Some(path)
    } else {
        println!("SKIPPED: {} not found", path.display());
        None
    }
}

/// The testbed files that are meant to fail, and the only flags whose errors fail them: each
/// is a flag the testbed's own scenarios expect to answer PARSE_ERROR, or (zero-flags.json) a
/// `$ref` to an evaluator that only another file of the testbed defines.
const MEANT_TO_FAIL: [(&str, &[&str]); 4] = [
    // gherkin/targeting.feature: `{"invalid": ...}` is not an operator → PARSE_ERROR.
    ("flags/edge-case-flags.json", &["error-targeting-flag"]),
    // evaluator/gherkin/evaluator-refs.feature: "Ref to nonexistent evaluator yields parse error".
    (
        "flags/evaluator-refs.json",
        &["ref-to-nonexistent-evaluator-flag"],
    ),
    (
        "evaluator/flags/testkit-flags.json",
        &["ref-to-nonexistent-evaluator-flag"],
    ),
    // The testbed's flagd loads every file of flags/ at once; `is_ballmer` is defined in
    // evaluator-refs.json only, so alone this file `$ref`s a missing evaluator.
    (
        "flags/zero-flags.json",
        &[
            "boolean-targeted-zero-flag",
            "string-targeted-zero-flag",
            "integer-targeted-zero-flag",
            "float-targeted-zero-flag",
        ],
    ),
];

#[test]
fn testbed_flag_files_validate_and_only_deliberate_flags_fail() {
    let Some(testbed) = testbed() else { return };
    let mut files = Vec::new();
    for folder in ["flags", "evaluator/flags"] {
        for entry in std::fs::read_dir(testbed.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(format!(
                    "{folder}/{}",
                    path.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 11, "testbed files: {files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let out = validate(&testbed.join(file));
        let errors = lines(&out.stdout);
        let warnings = lines(&out.stderr);
        // Warnings are allowed and each says so.
        for warning in &warnings {
            if !warning.starts_with("warning") {
                failures.push(format!("{file}: stderr line is not a warning: {warning}"));
            }
        }
        let expected = MEANT_TO_FAIL
            .iter()
            .find(|(f, _)| f == file)
            .map_or(&[][..], |(_, flags)| *flags);
        let failing_flags: Vec<&str> = errors
            .iter()
            .map(|e| {
                let rest = e.strip_prefix("flags.").unwrap_or(e);
                rest.split(['.', ':']).next().unwrap_or(rest)
            })
            .collect();
        let code = out.status.code();
        if expected.is_empty() {
            if code != Some(0) {
                failures.push(format!("{file}: exit {code:?}, errors: {errors:?}"));
            }
        } else if code != Some(1) || failing_flags != expected {
            failures.push(format!(
                "{file}: exit {code:?}, failing flags {failing_flags:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn testkit_flags_fail_only_on_the_missing_evaluator() {
    // Issue 8, item 18: ten lines, nine of them about things flagd serves ("flagd still accepts
    // a `v` prefix"), failed validation.
    let Some(testbed) = testbed() else { return };
    let out = validate(&testbed.join("evaluator/flags/testkit-flags.json"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        lines(&out.stdout),
        [
            "flags.ref-to-nonexistent-evaluator-flag.targeting.if[0]: $ref to \
          `nonexistent_evaluator`, which is not in $evaluators"
        ]
    );
    let warnings = lines(&out.stderr);
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "warning (flagd schema): flags.semver-v-prefix-flag.targeting.if[0].sem_ver[2]: "
        )),
        "{warnings:?}"
    );
    // custom-ops.json has only such warnings: valid.
    let out = validate(&testbed.join("flags/custom-ops.json"));
    assert_eq!(out.status.code(), Some(0), "{:?}", lines(&out.stdout));
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.is_empty());
}

#[test]
fn duplicate_keys_fail_validation_with_their_path() {
    // Issue 8, item 5: each of these validated with exit 0.
    let cases = [
        (
            r#"{"flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
                          "f": {"state": "ENABLED", "variants": {"off": false}, "defaultVariant": "off"}}}"#,
            "flags.f: defined twice",
        ),
        (
            r#"{"flags": {"f": {"state": "ENABLED", "state": "DISABLED", "variants": {"on": true}}}}"#,
            "flags.f.state: duplicate key",
        ),
        (
            r#"{"flags": {"f": {"state": "ENABLED", "variants": {"on": true}}}, "flags": {}}"#,
            "flags: duplicate key",
        ),
    ];
    for (i, (doc, first_line)) in cases.into_iter().enumerate() {
        let out = validate(&write(&format!("duplicate-{i}.json"), doc));
        assert_eq!(out.status.code(), Some(1), "{doc}");
        let errors = lines(&out.stdout);
        assert!(errors[0].starts_with(first_line), "{errors:?}");
    }
}

#[test]
fn a_long_allocation_is_one_line() {
    // Issue 8, item 3: 100,000 names took 48 s and printed 100,000 lines.
    let arms: Vec<String> = (0..100_000).map(|i| format!(r#"["v{i}",1]"#)).collect();
    let doc = format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"a":1}},"defaultVariant":"a"}}}},
            "experiments":{{"e":{{"flag":"f","status":"running","allocation":[{}]}}}}}}"#,
        arms.join(",")
    );
    let out = validate(&write("allocation-100k.json", &doc));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        lines(&out.stdout),
        [
            "experiments.e.allocation: 100000 arms, more than the limit of 1000 (each arm is a \
          different variant of the flag)"
        ]
    );
}

#[test]
fn a_30_deep_if_chain_validates() {
    // Issue 8, item 7: refused as "JSON nesting is deeper than the limit of 64 levels".
    let mut rule = "null".to_owned();
    for i in (0..30).rev() {
        rule = format!(
            r#"{{"if":[{{"==":[{{"var":"n"}},{i}]}},"v{}",{rule}]}}"#,
            i % 2
        );
    }
    let doc = format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v0":0,"v1":1}},"defaultVariant":"v0","targeting":{rule}}}}}}}"#
    );
    let out = validate(&write("if-chain-30.json", &doc));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:?} {:?}",
        lines(&out.stdout),
        lines(&out.stderr)
    );
}
