//! flagd-testbed's evaluator features (`../shared/suites/flagd-testbed/evaluator/gherkin`), run
//! with the `cucumber` crate against [`tandem::Client`] and the testbed's own flag file.
//!
//! Tags pick flagd's `fractional` generation: Tandem implements the current one
//! (`@fractional-v2`), so `@fractional-v1` (legacy) and `@fractional-v3` (the CBOR proposal) are
//! skipped by tag. Every other scenario runs, tagged or not. The binary exits non-zero when any
//! scenario that ran failed, or when a feature file could not be parsed.
//!
//! Output is a `FAIL` line per failing scenario, followed by the failing step and why, then a
//! closing count line; passing scenarios print nothing. Set `TANDEM_TESTBED_VERBOSE=1` to list every scenario.
//!
//! Values in the feature tables are read the way flagd's Java and Go testkits read them: by the
//! flag's type (`Integer` "13" is 13, `Object` "{}" is an empty object, an empty cell is the empty
//! string), with `\"` in a quoted step argument standing for `"`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use cucumber::event::{self, Cucumber as CucumberEvent, Scenario as ScenarioEvent};
use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use cucumber::{cli, parser, runner, step, Event, Parser, World, Writer};
use futures::future::LocalBoxFuture;
use regex::Regex;
use serde_json::{Map, Value};
use tandem::{Client, Context, EvaluationDetails, FixedClock};

/// Tags of flagd `fractional` generations Tandem does not implement.
const SKIPPED_TAGS: [&str; 2] = ["fractional-v1", "fractional-v3"];

/// The clock every scenario evaluates with (no testbed scenario depends on the time).
const NOW_UNIX_SECONDS: i64 = 1_767_225_600;

fn main() {
    // Test listers (`cargo test -- --list`, nextest) ask a harness-less binary for its tests.
    if std::env::args().any(|arg| arg == "--list") {
        println!("flagd_testbed: test");
        return;
    }
    let evaluator = Path::new(common::SUITES).join("flagd-testbed/evaluator");
    let features = evaluator.join("gherkin");
    let flags = evaluator.join("flags/testkit-flags.json");
    if !features.is_dir() || !flags.is_file() {
        println!(
            "SKIPPED flagd-testbed: {} not found (the external suites are checked out beside the \
             repository in CI; see DESIGN.md §9)",
            features.display()
        );
        return;
    }
    let flags_json = std::fs::read_to_string(&flags)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", flags.display()));
    FLAGS_JSON.set(flags_json).expect("set once");

    let skipped_by_tag = Arc::new(AtomicUsize::new(0));
    let skipped_counter = Arc::clone(&skipped_by_tag);
    let filter = move |feature: &gherkin::Feature,
                       rule: Option<&gherkin::Rule>,
                       scenario: &gherkin::Scenario| {
        let skip = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|r| &r.tags))
            .chain(&scenario.tags)
            .any(|tag| SKIPPED_TAGS.contains(&tag.as_str()));
        if skip {
            skipped_counter.fetch_add(1, Ordering::Relaxed);
        }
        !skip
    };

    let report = Report {
        verbose: std::env::var_os("TANDEM_TESTBED_VERBOSE").is_some_and(|v| v != "0"),
        ..Report::default()
    };
    let runner = steps(runner::Basic::default());
    // Step assertions panic; cucumber catches the panics and reports them as failed steps, so
    // the default hook's message (printed at the panic site) would only duplicate them.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let report = futures::executor::block_on(
        cucumber::Cucumber::<_, _, _, _, _, cli::Empty>::custom(FeatureFiles, runner, report)
            // Arguments given to `cargo test` are meant for the other test binaries: don't parse
            // them here.
            .with_default_cli()
            .filter_run(features, filter),
    );
    std::panic::set_hook(default_hook);

    let skipped = skipped_by_tag.load(Ordering::Relaxed);
    let mut failures = report.failures.clone();
    failures.sort();
    for (_, _, failure) in &failures {
        println!("{failure}");
    }
    for error in &report.parse_errors {
        println!("PARSE ERROR {error}");
    }
    println!(
        "flagd-testbed: skipped by tag: {}",
        SKIPPED_TAGS.map(|t| format!("@{t}")).join(", ")
    );
    // The closing line in the plain `N passed, N failed, N skipped` form CI reads.
    println!(
        "flagd-testbed: {} passed, {} failed, {} skipped",
        report.passed,
        report.failures.len(),
        skipped,
    );
    if !report.failures.is_empty() || !report.parse_errors.is_empty() {
        std::process::exit(1);
    }
    if report.passed == 0 {
        println!("flagd-testbed: no scenario ran");
        std::process::exit(1);
    }
}

static FLAGS_JSON: OnceLock<String> = OnceLock::new();

// ---------------------------------------------------------------------------------------------
// The world: one per scenario.

/// The type named by "a <Type>-flag ...": which typed getter evaluates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    Boolean,
    String,
    Integer,
    Float,
    Object,
}

impl FlagKind {
    fn parse(name: &str) -> Self {
        match name {
            "Boolean" => Self::Boolean,
            "String" => Self::String,
            "Integer" => Self::Integer,
            "Float" => Self::Float,
            "Object" => Self::Object,
            other => panic!("unknown flag type {other:?}"),
        }
    }
}

#[derive(Debug)]
struct FlagRequest {
    kind: FlagKind,
    key: String,
    /// The fallback, already converted to the flag's type.
    fallback: Value,
}

/// The evaluation details of one evaluation, owned, with the value as JSON.
#[derive(Debug)]
struct Resolved {
    value: Value,
    variant: Option<String>,
    reason: &'static str,
    error_code: Option<&'static str>,
    error_message: Option<String>,
    metadata: Option<Map<String, Value>>,
}

impl Resolved {
    fn from_details<T>(
        details: EvaluationDetails<'_, T>,
        to_json: impl FnOnce(T) -> Value,
    ) -> Self {
        Self {
            variant: details.variant().map(str::to_owned),
            reason: details.reason.as_str(),
            error_code: details.error_code.map(|code| code.as_str()),
            error_message: details.error_message().map(str::to_owned),
            metadata: details.flag_metadata().cloned(),
            value: to_json(details.value),
        }
    }

    /// A one-line summary for assertion messages.
    fn describe(&self) -> String {
        format!(
            "value {} variant {:?} reason {} error {:?} {:?}",
            self.value, self.variant, self.reason, self.error_code, self.error_message
        )
    }
}

#[derive(Debug, Default)]
struct Testbed {
    client: Option<Client>,
    flag: Option<FlagRequest>,
    context: Map<String, Value>,
    resolved: Option<Resolved>,
}

impl World for Testbed {
    type Error = Infallible;

    async fn new() -> Result<Self, Infallible> {
        Ok(Self::default())
    }
}

impl Testbed {
    fn flag(&self) -> &FlagRequest {
        self.flag
            .as_ref()
            .expect("no \"a <Type>-flag with key ...\" step before this one")
    }

    fn resolved(&self) -> &Resolved {
        self.resolved
            .as_ref()
            .expect("no \"the flag was evaluated with details\" step before this one")
    }
}

// ---------------------------------------------------------------------------------------------
// Value conversion, as flagd's testkits do it.

/// Undoes the escapes of a quoted step argument: `\"` is `"`, `\\` is `\`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\')) => out.push(next),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A table or step value of a declared type, as JSON.
fn convert(text: &str, type_name: &str) -> Value {
    match type_name {
        "String" => Value::String(text.to_owned()),
        "Boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => panic!("not a Boolean: {other:?}"),
        },
        "Integer" => Value::from(
            text.parse::<i64>()
                .unwrap_or_else(|e| panic!("not an Integer: {text:?} ({e})")),
        ),
        "Float" => {
            let x = text
                .parse::<f64>()
                .unwrap_or_else(|e| panic!("not a Float: {text:?} ({e})"));
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .unwrap_or_else(|| panic!("not a finite Float: {text:?}"))
        }
        "Object" => {
            let value: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("not a JSON object: {text:?} ({e})"));
            assert!(value.is_object(), "not a JSON object: {text:?}");
            value
        }
        other => panic!("unknown value type {other:?}"),
    }
}

fn type_name(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::Boolean => "Boolean",
        FlagKind::String => "String",
        FlagKind::Integer => "Integer",
        FlagKind::Float => "Float",
        FlagKind::Object => "Object",
    }
}

/// Whether an evaluated value equals an expected one of the flag's type (numbers by value, so
/// `0.0` equals `0`).
fn same_value(kind: FlagKind, actual: &Value, expected: &Value) -> bool {
    match kind {
        FlagKind::Integer => actual.as_i64().is_some() && actual.as_i64() == expected.as_i64(),
        FlagKind::Float => actual.as_f64().is_some() && actual.as_f64() == expected.as_f64(),
        _ => actual == expected,
    }
}

// ---------------------------------------------------------------------------------------------
// Steps.

/// The captured groups of a step (after the whole match), unescaped.
fn args(ctx: &step::Context) -> Vec<String> {
    ctx.matches
        .iter()
        .skip(1)
        .map(|(_, text)| unescape(text))
        .collect()
}

fn an_evaluator(world: &mut Testbed, _: &step::Context) {
    let json = FLAGS_JSON.get().expect("flags loaded in main");
    let client = Client::from_json(json, FixedClock::at_unix_seconds(NOW_UNIX_SECONDS), 7)
        .unwrap_or_else(|e| panic!("testkit-flags.json did not load: {e}"));
    world.client = Some(client);
}

fn a_flag(world: &mut Testbed, ctx: &step::Context) {
    let [kind, key, fallback] = <[String; 3]>::try_from(args(ctx)).expect("3 captures");
    let kind = FlagKind::parse(&kind);
    let fallback = convert(&fallback, type_name(kind));
    world.flag = Some(FlagRequest {
        kind,
        key,
        fallback,
    });
}

fn a_context_key(world: &mut Testbed, ctx: &step::Context) {
    let [key, type_name, value] = <[String; 3]>::try_from(args(ctx)).expect("3 captures");
    world.context.insert(key, convert(&value, &type_name));
}

fn a_context_nested(world: &mut Testbed, ctx: &step::Context) {
    let [outer, inner, value] = <[String; 3]>::try_from(args(ctx)).expect("3 captures");
    let entry = world
        .context
        .entry(outer)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(map) = entry {
        map.insert(inner, Value::String(value));
    }
}

fn a_targeting_key(world: &mut Testbed, ctx: &step::Context) {
    let [key] = <[String; 1]>::try_from(args(ctx)).expect("1 capture");
    world
        .context
        .insert("targetingKey".to_owned(), Value::String(key));
}

fn evaluated_with_details(world: &mut Testbed, _: &step::Context) {
    let client = world
        .client
        .as_ref()
        .expect("no \"an evaluator\" step before this one");
    let flag = world.flag();
    let ctx = Context::from_value(Value::Object(world.context.clone())).expect("an object");
    let key = flag.key.as_str();
    let resolved = match flag.kind {
        FlagKind::Boolean => {
            let fallback = flag.fallback.as_bool().expect("converted");
            Resolved::from_details(client.get_bool(key, &ctx, fallback), Value::Bool)
        }
        FlagKind::String => {
            let fallback = flag.fallback.as_str().expect("converted");
            Resolved::from_details(client.get_string(key, &ctx, fallback), |s| {
                Value::String(s.to_owned().to_string())
            })
        }
        FlagKind::Integer => {
            let fallback = flag.fallback.as_i64().expect("converted");
            Resolved::from_details(client.get_int(key, &ctx, fallback), Value::from)
        }
        FlagKind::Float => {
            let fallback = flag.fallback.as_f64().expect("converted");
            Resolved::from_details(client.get_float(key, &ctx, fallback), |x| {
                serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
            })
        }
        FlagKind::Object => {
            let fallback = flag.fallback.as_object().expect("converted");
            Resolved::from_details(client.get_object(key, &ctx, fallback), |m| {
                Value::Object(m.clone())
            })
        }
    };
    world.resolved = Some(resolved);
}

fn value_should_be(world: &mut Testbed, ctx: &step::Context) {
    let [expected] = <[String; 1]>::try_from(args(ctx)).expect("1 capture");
    let kind = world.flag().kind;
    let expected = convert(&expected, type_name(kind));
    let resolved = world.resolved();
    assert!(
        same_value(kind, &resolved.value, &expected),
        "expected value {expected}, got {}",
        resolved.describe()
    );
}

fn reason_should_be(world: &mut Testbed, ctx: &step::Context) {
    let [expected] = <[String; 1]>::try_from(args(ctx)).expect("1 capture");
    let resolved = world.resolved();
    assert!(
        resolved.reason == expected,
        "expected reason {expected}, got {}",
        resolved.describe()
    );
}

fn error_code_should_be(world: &mut Testbed, ctx: &step::Context) {
    let [expected] = <[String; 1]>::try_from(args(ctx)).expect("1 capture");
    let resolved = world.resolved();
    // An empty expectation (a blank table cell) means "no error".
    let expected = (!expected.is_empty()).then_some(expected.as_str());
    assert!(
        resolved.error_code == expected,
        "expected error code {expected:?}, got {}",
        resolved.describe()
    );
}

fn metadata_should_contain(world: &mut Testbed, ctx: &step::Context) {
    let table = ctx
        .step
        .table
        .as_ref()
        .expect("the step has a table of key | metadata_type | value");
    let resolved = world.resolved();
    let empty = Map::new();
    let metadata = resolved.metadata.as_ref().unwrap_or(&empty);
    let mut rows = table.rows.iter();
    let header = rows.next().expect("a header row");
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
    };
    let (key_col, type_col, value_col) = (column("key"), column("metadata_type"), column("value"));
    for row in rows {
        let (key, type_name, text) = (&row[key_col], &row[type_col], &row[value_col]);
        let expected = convert(text, type_name);
        let actual = metadata
            .get(key.as_str())
            .unwrap_or_else(|| panic!("metadata has no {key:?}: {metadata:?}"));
        let equal = match type_name.as_str() {
            "Integer" => actual.as_i64().is_some() && actual.as_i64() == expected.as_i64(),
            "Float" => actual.as_f64().is_some() && actual.as_f64() == expected.as_f64(),
            _ => *actual == expected,
        };
        assert!(
            equal,
            "metadata {key:?}: expected {expected} ({type_name}), got {actual}"
        );
    }
}

fn metadata_is_empty(world: &mut Testbed, _: &step::Context) {
    let resolved = world.resolved();
    assert!(
        resolved.metadata.as_ref().is_none_or(Map::is_empty),
        "expected no metadata, got {:?}",
        resolved.metadata
    );
}

/// A quoted step argument: any characters but an unescaped `"`.
const Q: &str = r#""((?:[^"\\]|\\.)*)""#;

type SyncStep = fn(&mut Testbed, &step::Context);

/// Wraps a synchronous step for cucumber. The step runs inside the future, where cucumber
/// catches its panics.
macro_rules! wrap {
    ($f:ident) => {{
        fn wrapped(world: &mut Testbed, ctx: step::Context) -> LocalBoxFuture<'_, ()> {
            Box::pin(async move {
                let f: SyncStep = $f;
                f(world, &ctx)
            })
        }
        wrapped as step::Step<Testbed>
    }};
}

fn regex(pattern: &str) -> Regex {
    Regex::new(&format!("^{}$", pattern.replace("{Q}", Q)))
        .unwrap_or_else(|e| panic!("bad step pattern {pattern:?}: {e}"))
}

fn steps(runner: runner::Basic<Testbed>) -> runner::Basic<Testbed> {
    runner
        .given(regex("an evaluator"), wrap!(an_evaluator))
        .given(
            regex(r#"a (Boolean|String|Integer|Float|Object)-flag with key {Q} and a fallback value {Q}"#),
            wrap!(a_flag),
        )
        .given(
            regex("a context containing a key {Q}, with type {Q} and with value {Q}"),
            wrap!(a_context_key),
        )
        .given(
            regex("a context containing a nested property with outer key {Q} and inner key {Q}, with value {Q}"),
            wrap!(a_context_nested),
        )
        .given(
            regex("a context containing a targeting key with value {Q}"),
            wrap!(a_targeting_key),
        )
        .when(
            regex("the flag was evaluated with details"),
            wrap!(evaluated_with_details),
        )
        .then(
            regex("the resolved details value should be {Q}"),
            wrap!(value_should_be),
        )
        .then(regex("the reason should be {Q}"), wrap!(reason_should_be))
        .then(
            regex("the error-code should be {Q}"),
            wrap!(error_code_should_be),
        )
        .then(
            regex("the resolved metadata should contain"),
            wrap!(metadata_should_contain),
        )
        .then(
            regex("the resolved metadata is empty"),
            wrap!(metadata_is_empty),
        )
}

// ---------------------------------------------------------------------------------------------
// Reading the feature files.

/// Reads every `*.feature` file of a folder, in name order.
///
/// Table cells are read the way the reference Gherkin parsers read them: `\\`, `\|` and `\n`
/// are escapes, and a backslash before any other character stays a backslash. The `gherkin`
/// crate rejects the latter (the testbed writes `{\"a\": 1}` in cells), so such a backslash is
/// written as the escape `\\` before parsing, which gives each cell the same text.
#[derive(Debug, Clone, Copy)]
struct FeatureFiles;

impl Parser<PathBuf> for FeatureFiles {
    type Cli = cli::Empty;
    type Output = futures::stream::Iter<std::vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, folder: PathBuf, _: cli::Empty) -> Self::Output {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()))
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "feature"))
            .collect();
        paths.sort();
        let features: Vec<_> = paths.into_iter().map(|path| parse_feature(&path)).collect();
        futures::stream::iter(features)
    }
}

fn parse_feature(path: &Path) -> parser::Result<gherkin::Feature> {
    let text =
        std::fs::read_to_string(path).map_err(|source| gherkin::ParseFileError::Reading {
            path: path.to_path_buf(),
            source,
        })?;
    let text = escape_table_backslashes(&text);
    let mut feature = gherkin::Feature::parse(&text, GherkinEnv::default()).map_err(|source| {
        gherkin::ParseFileError::Parsing {
            path: path.to_path_buf(),
            error: None,
            source,
        }
    })?;
    feature.path = Some(path.to_path_buf());
    Ok(feature.expand_examples()?)
}

/// In table rows, doubles each backslash that does not start an escape Gherkin knows.
fn escape_table_backslashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.trim_start().starts_with('|') {
            out.push_str(line);
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\\' {
                match chars.peek() {
                    Some(&next @ ('\\' | '|' | 'n')) => {
                        out.push(next);
                        chars.next();
                    }
                    _ => out.push('\\'),
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A concise writer: failures and counts only.

/// Identifies one (expanded) scenario while events of concurrent scenarios interleave.
type ScenarioId = (Option<PathBuf>, usize, usize);

#[derive(Debug, Default)]
struct Report {
    verbose: bool,
    passed: usize,
    /// `(file, line, report)` of each failed scenario.
    failures: Vec<(String, usize, String)>,
    parse_errors: Vec<String>,
    /// Problems of scenarios still running.
    running: HashMap<ScenarioId, Vec<String>>,
}

impl Report {
    fn on_scenario(
        &mut self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        ev: ScenarioEvent<Testbed>,
    ) {
        let id = (
            feature.path.clone(),
            scenario.position.line,
            scenario.position.col,
        );
        let step_problem = |step: &gherkin::Step, why: String| {
            format!("      at step `{}{}`: {why}", step.keyword, step.value)
        };
        let problem = match ev {
            ScenarioEvent::Started => {
                self.running.entry(id).or_default();
                return;
            }
            ScenarioEvent::Step(step, event::Step::Failed(_, _, _, error))
            | ScenarioEvent::Background(step, event::Step::Failed(_, _, _, error)) => {
                step_problem(&step, error.to_string())
            }
            ScenarioEvent::Step(step, event::Step::Skipped)
            | ScenarioEvent::Background(step, event::Step::Skipped) => {
                step_problem(&step, "no step definition matches it".to_owned())
            }
            ScenarioEvent::Hook(kind, event::Hook::Failed(_, _)) => {
                format!("      {kind:?} hook failed")
            }
            ScenarioEvent::Finished => {
                let problems = self.running.remove(&id).unwrap_or_default();
                let file = feature
                    .path
                    .as_deref()
                    .and_then(Path::file_name)
                    .map_or_else(|| feature.name.clone(), |f| f.to_string_lossy().into());
                let tags = if scenario.tags.is_empty() {
                    String::new()
                } else {
                    format!(
                        " [{}]",
                        scenario
                            .tags
                            .iter()
                            .map(|t| format!("@{t}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                };
                let title = format!("{file}:{} {}{tags}", scenario.position.line, scenario.name);
                if problems.is_empty() {
                    self.passed += 1;
                    if self.verbose {
                        println!("ok   {title}");
                    }
                } else {
                    self.failures.push((
                        file,
                        scenario.position.line,
                        format!("FAIL {title}\n{}", problems.join("\n")),
                    ));
                }
                return;
            }
            _ => return,
        };
        self.running.entry(id).or_default().push(problem);
    }
}

impl Writer<Testbed> for Report {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<Event<CucumberEvent<Testbed>>>,
        _: &Self::Cli,
    ) {
        match ev {
            Err(error) => self.parse_errors.push(format!("{error:?}")),
            Ok(ev) => match ev.value {
                CucumberEvent::Feature(feature, event::Feature::Scenario(scenario, ev))
                | CucumberEvent::Feature(
                    feature,
                    event::Feature::Rule(_, event::Rule::Scenario(scenario, ev)),
                ) => self.on_scenario(&feature, &scenario, ev.event),
                _ => {}
            },
        }
    }
}

impl cucumber::writer::Normalized for Report {}
