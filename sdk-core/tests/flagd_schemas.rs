//! flagd's schema fixtures (`../shared/suites/flagd-schemas`) and the testbed's flag files, run
//! through the config loader: a flagd flag-definition file is a Tandem config as it is
//! (DESIGN §2), so every valid fixture loads with no invalid diagnostic and every invalid one is
//! reported with a message that says where: as an error when flagd refuses it too (the flag is
//! not served), as a schema violation (a warning: `tandem validate` exits 0) when flagd only
//! logs a warning and serves the flag (docs/validation.md).
//!
//! Each test prints a SKIPPED line and passes when the suites folder is absent (it is present in
//! CI).
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use tandem::{Client, Config, Context, ErrorCode, FixedClock, FlagType, Limits, Severity};

/// The `*.json` files of a folder, in name order (none when the folder is missing).
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn client(config: &str) -> Result<Client, tandem::Error> {
    Client::from_json(config, FixedClock::at_unix_seconds(1_767_225_600), 7)
}

/// Problems with a document that must load cleanly: the load error, or each invalid diagnostic.
fn problems_loading_cleanly(json: &str) -> Vec<String> {
    let config = match Config::parse(json, &Limits::default()) {
        Ok(config) => config,
        Err(e) => return vec![format!("rejected: {} ({})", e, e.kind().as_str())],
    };
    let mut problems: Vec<String> = config
        .diagnostics()
        .iter()
        .filter(|d| d.severity.is_invalid())
        .map(|d| format!("{}: {d}", d.severity.as_str()))
        .collect();
    // Every flag of a valid document is served: none answers PARSE_ERROR.
    let client = client(json).expect("it loaded once");
    let ctx = Context::new();
    for key in config.flag_keys() {
        let details = client.evaluate(key, &ctx, &Value::Null, FlagType::Any);
        if details.error_code == Some(ErrorCode::ParseError) {
            problems.push(format!(
                "flag {key:?} is broken: {:?}",
                details.error_message()
            ));
        }
    }
    problems
}

/// Whether `path` is `prefix` or lies under it (`flags.f` is under `flags`, `flags.ff` is not).
fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Checks that a document is rejected clearly. `Ok(what rejected it)` or `Err(problem)`.
///
/// Rejected means `Config::parse` fails, or the config has an invalid diagnostic. Clearly means
/// the error or every invalid diagnostic has a non-empty message and a JSON path, and (when
/// `expected_path` is given) one of them is at or under that path.
fn rejection(json: &str, expected_path: Option<&str>) -> Result<String, String> {
    match Config::parse(json, &Limits::default()) {
        Err(e) => {
            // Load errors read `json.path: message` (DESIGN §2: every problem with a JSON path).
            let Some((path, message)) = e.message().split_once(": ") else {
                return Err(format!("error without a path: {e:?}"));
            };
            if path.is_empty() || path.contains(' ') || message.trim().is_empty() {
                return Err(format!("error without a clear path and message: {e:?}"));
            }
            if let Some(expected) = expected_path {
                if !is_under(path, expected) && path != "$" {
                    return Err(format!("error at {path}, expected under {expected}: {e}"));
                }
            }
            Ok(format!("{} {e}", e.kind().as_str()))
        }
        Ok(config) => {
            let invalid: Vec<_> = config
                .diagnostics()
                .iter()
                .filter(|d| d.severity.is_invalid())
                .collect();
            if invalid.is_empty() {
                return Err(format!(
                    "accepted (diagnostics: {:?})",
                    config
                        .diagnostics()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                ));
            }
            if let Some(d) = invalid
                .iter()
                .find(|d| d.path.is_empty() || d.message.trim().is_empty())
            {
                return Err(format!("diagnostic without a path or message: {d:?}"));
            }
            if let Some(expected) = expected_path {
                if !invalid.iter().any(|d| is_under(&d.path, expected)) {
                    return Err(format!(
                        "no invalid diagnostic under {expected}: {:?}",
                        invalid.iter().map(ToString::to_string).collect::<Vec<_>>()
                    ));
                }
            }
            Ok(invalid
                .iter()
                .map(|d| format!("{} {d}", d.severity.as_str()))
                .collect::<Vec<_>>()
                .join("; "))
        }
    }
}

/// Where each negative flag-file fixture is wrong, read from the fixture itself.
fn expected_negative_path(fixture: &str) -> Option<&'static str> {
    Some(match fixture {
        "empty-variants.json" => "flags.myBoolFlag.variants",
        "malformed-flag.json" => "flags.not-a-flag",
        "missing-variants.json" => "flags.myBoolFlag.variants",
        "mixed-variant-types.ffconfig.json" => "flags.myBoolFlag.variants",
        "state-set-incorrectly.json" => "flags.myBoolFlag.state",
        // The array form of `flags` belongs to flagd's daemon schema, not to flags.json.
        "with-array-flags.json" => "flags",
        "with-invalid-flag-metadata.json" => "flags.myBoolFlag.metadata",
        "with-invalid-flag-set-metadata.json" => "metadata",
        "with-invalid-targeting.json" => "flags.targetedFlag.targeting",
        _ => return None,
    })
}

fn report(title: &str, passed: usize, failures: &[String]) {
    println!("{title}: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{title}: {} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn positive_flag_files_load_cleanly() {
    let Some(root) = common::suite("flagd-schemas/test") else {
        return;
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for folder in ["flags/positive", "flagd/positive"] {
        for file in json_files(&root.join(folder)) {
            let problems = problems_loading_cleanly(&read(&file));
            if problems.is_empty() {
                passed += 1;
            } else {
                failures.push(format!("{folder}/{}: {}", name(&file), problems.join("; ")));
            }
        }
    }
    assert!(passed + failures.len() > 0, "no positive fixture found");
    report("positive flag files", passed, &failures);
}

#[test]
fn negative_flag_files_are_rejected_with_a_path() {
    let Some(root) = common::suite("flagd-schemas/test") else {
        return;
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for folder in ["flags/negative", "flagd/negative"] {
        for file in json_files(&root.join(folder)) {
            let fixture = name(&file);
            match rejection(&read(&file), expected_negative_path(&fixture)) {
                Ok(why) => {
                    println!("  {folder}/{fixture}: {why}");
                    passed += 1;
                }
                Err(problem) => failures.push(format!("{folder}/{fixture}: {problem}")),
            }
        }
    }
    assert!(passed + failures.len() > 0, "no negative fixture found");
    report("negative flag files", passed, &failures);
}

/// Collects the names of every `{"$ref": name}` in a rule.
fn refs(rule: &Value, names: &mut BTreeSet<String>) {
    match rule {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("$ref") {
                names.insert(name.clone());
            }
            map.values().for_each(|v| refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, names)),
        _ => {}
    }
}

/// A config with one flag `f` whose targeting is `rule`. Evaluators that the rule `$ref`s are
/// defined (as a trivial rule), since the fixtures check the rule, not cross-references.
fn wrap_rule(rule: Value) -> String {
    let mut names = BTreeSet::new();
    refs(&rule, &mut names);
    let mut doc = json!({
        "flags": {"f": {
            "state": "ENABLED",
            "variants": {"on": "on", "off": "off"},
            "defaultVariant": "off",
            "targeting": rule,
        }}
    });
    if !names.is_empty() {
        let evaluators: Map<String, Value> = names
            .into_iter()
            .map(|n| (n, json!({"==": [1, 1]})))
            .collect();
        doc["$evaluators"] = Value::Object(evaluators);
    }
    doc.to_string()
}

fn read_rule(path: &Path) -> Value {
    serde_json::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

#[test]
fn positive_targeting_rules_load_cleanly_in_a_flag() {
    let Some(dir) = common::suite("flagd-schemas/test/targeting/positive") else {
        return;
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for file in json_files(&dir) {
        let problems = problems_loading_cleanly(&wrap_rule(read_rule(&file)));
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("{}: {}", name(&file), problems.join("; ")));
        }
    }
    assert!(passed + failures.len() > 0, "no fixture found");
    report("positive targeting rules", passed, &failures);
}

/// Checks that a document whose flag `f` breaks flagd's targeting schema is reported at
/// `flags.f.targeting`: by an error (flag not served) or, where flagd serves the rule anyway, by
/// a schema violation, which is not invalid, and the flag is served. `Ok(what reported it)`.
fn reported_at_targeting(json: &str) -> Result<String, String> {
    let config = Config::parse(json, &Limits::default()).map_err(|e| format!("rejected: {e}"))?;
    let at_targeting: Vec<_> = config
        .diagnostics()
        .iter()
        .filter(|d| is_under(&d.path, "flags.f.targeting") && !d.message.trim().is_empty())
        .collect();
    let Some(first) = at_targeting.first() else {
        return Err(format!(
            "not reported at flags.f.targeting: {:?}",
            config
                .diagnostics()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ));
    };
    let client = client(json).expect("loaded once");
    let ctx = Context::new();
    let details = client.evaluate("f", &ctx, &Value::Null, FlagType::Any);
    let served = details.error_code != Some(ErrorCode::ParseError);
    let error = at_targeting.iter().any(|d| d.severity == Severity::Error);
    match (error, served) {
        (true, false) => {}
        (false, true)
            if at_targeting
                .iter()
                .any(|d| d.severity == Severity::Violation) =>
        {
            if !config.is_valid() {
                return Err(format!("a violation made the document invalid: {first}"));
            }
        }
        _ => {
            return Err(format!(
                "error: {error}, served: {served} ({:?}): {first}",
                details.error_code
            ))
        }
    }
    Ok(at_targeting
        .iter()
        .map(|d| format!("{} {d}", d.severity.as_str()))
        .collect::<Vec<_>>()
        .join("; "))
}

#[test]
fn negative_targeting_rules_are_reported_in_a_flag() {
    let Some(dir) = common::suite("flagd-schemas/test/targeting/negative") else {
        return;
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for file in json_files(&dir) {
        match reported_at_targeting(&wrap_rule(read_rule(&file))) {
            Ok(why) => {
                println!("  {}: {why}", name(&file));
                passed += 1;
            }
            Err(problem) => failures.push(format!("{}: {problem}", name(&file))),
        }
    }
    assert!(passed + failures.len() > 0, "no fixture found");
    report("negative targeting rules", passed, &failures);
}

#[test]
fn schema_examples_load_and_serve_every_flag() {
    // The examples are documentation, not validated fixtures: full.json deliberately shows
    // operators failing (`ends_with` with a number, `sem_ver` with "2.0.0.0"), which flagd's own
    // negative fixtures call schema-invalid. So: every example loads, every flag is served (no
    // error-severity diagnostic, no PARSE_ERROR), and schema violations are only reported.
    let Some(dir) = common::suite("flagd-schemas/examples") else {
        return;
    };
    let mut failures = Vec::new();
    let mut passed = 0;
    for file in json_files(&dir) {
        let json = read(&file);
        let config = match Config::parse(&json, &Limits::default()) {
            Ok(config) => config,
            Err(e) => {
                failures.push(format!("{}: rejected: {e}", name(&file)));
                continue;
            }
        };
        for d in config.diagnostics() {
            println!("  {} {}: {d}", name(&file), d.severity.as_str());
        }
        let mut problems: Vec<String> = config
            .diagnostics()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        let client = client(&json).expect("loaded once");
        for key in config.flag_keys() {
            let details = client.evaluate(key, &Context::new(), &Value::Null, FlagType::Any);
            if details.error_code == Some(ErrorCode::ParseError) {
                problems.push(format!(
                    "flag {key:?} is broken: {:?}",
                    details.error_message()
                ));
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!("{}: {}", name(&file), problems.join("; ")));
        }
    }
    assert!(passed + failures.len() > 0, "no example found");
    report("flagd-schemas examples", passed, &failures);
}

/// Flags of the testbed's files that are broken on purpose, or because the file leans on
/// another one, each with why. Every other flag of those files must be served.
const TESTBED_BROKEN: [(&str, &str, &str); 7] = [
    (
        "flags/edge-case-flags.json",
        "error-targeting-flag",
        "targeting uses an operator that does not exist (`invalid`); the testbed expects \
         PARSE_ERROR (gherkin/targeting.feature)",
    ),
    (
        "flags/evaluator-refs.json",
        "ref-to-nonexistent-evaluator-flag",
        "`$ref` to an evaluator that is not defined; the testbed expects PARSE_ERROR \
         (evaluator/gherkin/evaluator-refs.feature)",
    ),
    (
        "evaluator/flags/testkit-flags.json",
        "ref-to-nonexistent-evaluator-flag",
        "`$ref` to an evaluator that is not defined; the testbed expects PARSE_ERROR \
         (evaluator/gherkin/evaluator-refs.feature)",
    ),
    // zero-flags.json `$ref`s `is_ballmer` without defining it: the testbed's flagd loads every
    // file together and the definition is in evaluator-refs.json. Alone, the file has a `$ref` to
    // a missing evaluator, which DESIGN §2 makes a load error of the flag.
    (
        "flags/zero-flags.json",
        "boolean-targeted-zero-flag",
        "`$ref` to `is_ballmer`, defined only in evaluator-refs.json",
    ),
    (
        "flags/zero-flags.json",
        "string-targeted-zero-flag",
        "`$ref` to `is_ballmer`, defined only in evaluator-refs.json",
    ),
    (
        "flags/zero-flags.json",
        "integer-targeted-zero-flag",
        "`$ref` to `is_ballmer`, defined only in evaluator-refs.json",
    ),
    (
        "flags/zero-flags.json",
        "float-targeted-zero-flag",
        "`$ref` to `is_ballmer`, defined only in evaluator-refs.json",
    ),
];

/// The flag a diagnostic path belongs to (`flags.x.targeting` → `x`, `flags["a.b"]` → `a.b`).
fn flag_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("flags")?;
    if let Some(rest) = rest.strip_prefix('.') {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        return Some(rest[..end].to_owned());
    }
    // `flags["odd key"]...`: a JSON string inside brackets.
    let rest = rest.strip_prefix('[')?;
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    de.next()?.ok()
}

#[test]
fn testbed_flag_files_load_and_only_the_deliberate_flags_are_broken() {
    let Some(testbed) = common::suite("flagd-testbed") else {
        return;
    };
    let mut files = json_files(&testbed.join("flags"));
    files.extend(json_files(&testbed.join("evaluator/flags")));
    assert!(!files.is_empty(), "no testbed flag file found");

    let mut failures = Vec::new();
    let mut passed = 0;
    for file in &files {
        let relative = file
            .strip_prefix(&testbed)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let json = read(file);
        let config = match Config::parse(&json, &Limits::default()) {
            Ok(config) => config,
            Err(e) => {
                failures.push(format!("{relative}: rejected: {e}"));
                continue;
            }
        };
        // Print every diagnostic: the report of what the testbed's files trip over.
        let mut by_flag: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in config.diagnostics() {
            println!("  {relative} {}: {d}", d.severity.as_str());
            if d.severity == Severity::Error {
                let flag = flag_of(&d.path).unwrap_or_else(|| format!("(not a flag) {}", d.path));
                by_flag.entry(flag).or_default().push(d.to_string());
            }
        }
        let expected: BTreeSet<&str> = TESTBED_BROKEN
            .iter()
            .filter(|(f, _, _)| *f == relative)
            .map(|(_, flag, _)| *flag)
            .collect();
        let client = client(&json).expect("loaded once");
        let ctx = Context::new();
        let mut ok = true;
        for key in config.flag_keys() {
            let details = client.evaluate(key, &ctx, &Value::Null, FlagType::Any);
            let broken = details.error_code == Some(ErrorCode::ParseError);
            let errors = by_flag.remove(key).unwrap_or_default();
            match (expected.contains(key), broken) {
                (true, true) => {}
                (true, false) => {
                    ok = false;
                    failures.push(format!(
                        "{relative}: flag {key:?} should be broken but is served ({:?}, {:?})",
                        details.reason, details.error_code
                    ));
                }
                (false, true) => {
                    ok = false;
                    failures.push(format!(
                        "{relative}: flag {key:?} is broken: {:?} {errors:?}",
                        details.error_message()
                    ));
                }
                (false, false) if !errors.is_empty() => {
                    ok = false;
                    failures.push(format!(
                        "{relative}: flag {key:?} is served but has errors: {errors:?}"
                    ));
                }
                (false, false) => {}
            }
        }
        for (what, errors) in by_flag {
            ok = false;
            failures.push(format!(
                "{relative}: errors outside flags ({what}): {errors:?}"
            ));
        }
        if ok {
            passed += 1;
        }
    }
    report("flagd-testbed flag files", passed, &failures);
}

#[test]
fn testbed_flag_files_loaded_together_break_only_the_deliberate_flags() {
    // The testbed's flagd serves every file of flags/ at once; merged the same way (flags and
    // $evaluators side by side, first definition wins), the `$ref`s of zero-flags.json resolve.
    let Some(dir) = common::suite("flagd-testbed/flags") else {
        return;
    };
    let mut flags = Map::new();
    let mut evaluators = Map::new();
    for file in json_files(&dir) {
        let doc: Value = serde_json::from_str(&read(&file)).unwrap();
        for (section, into) in [("flags", &mut flags), ("$evaluators", &mut evaluators)] {
            if let Some(Value::Object(map)) = doc.get(section) {
                for (k, v) in map {
                    into.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    let json = json!({"flags": flags, "$evaluators": evaluators}).to_string();
    let config = Config::parse(&json, &Limits::default()).expect("the merged files load");
    let broken: BTreeSet<String> = config
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter_map(|d| flag_of(&d.path))
        .collect();
    let expected: BTreeSet<String> = ["error-targeting-flag", "ref-to-nonexistent-evaluator-flag"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(broken, expected, "{:#?}", config.diagnostics());
}

#[test]
fn path_helper_reads_flag_keys() {
    assert_eq!(flag_of("flags.a-b.targeting").as_deref(), Some("a-b"));
    assert_eq!(flag_of("flags.a[0]").as_deref(), Some("a"));
    assert_eq!(flag_of(r#"flags["a.b"].state"#).as_deref(), Some("a.b"));
    assert_eq!(flag_of("metadata.x"), None);
    assert!(is_under("flags.f.targeting.if[0]", "flags.f.targeting"));
    assert!(is_under("flags.f", "flags.f"));
    assert!(!is_under("flags.ff", "flags.f"));
}
