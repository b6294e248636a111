//! The loader items of issue 8, each repro as a test: long lists from the document are checked
//! in linear time or refused at a limit (item 3), duplicate keys are reported with a path and
//! break what they are in (item 5), and deep nesting loads up to the JSON limit (item 7).
//!
//! Every repro runs on a thread with a 512 KiB stack, so stack use stays bounded by
//! construction. No test measures time: work is bounded by limits and counts (the number of
//! diagnostics a million bad items produce, for instance); timings are in docs/validation.md.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Map, Value};
use tandem::{
    bucketing, Client, Config, Context, ErrorCode, ErrorKind, FixedClock, FlagType, Limits, Reason,
    Severity,
};

const SMALL_STACK: usize = 512 * 1024;

/// Runs `f` on a thread with a 512 KiB stack (a stack overflow aborts the test binary).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Loads `doc` on a small stack, with `limits`.
fn load_small(doc: String, limits: Limits) -> Result<Config, tandem::Error> {
    on_small_stack(move || Config::parse(&doc, &limits))
}

fn load(doc: String) -> Config {
    load_small(doc, Limits::default()).unwrap_or_else(|e| panic!("should load: {e}"))
}

fn client(doc: &str) -> Client {
    Client::from_json(doc, FixedClock::at_unix_seconds(1_767_225_600), 7)
        .unwrap_or_else(|e| panic!("should load: {e}"))
}

fn describe(config: &Config) -> String {
    let shown: Vec<String> = config
        .diagnostics()
        .iter()
        .take(20)
        .map(|d| format!("  {} {d}", d.severity.as_str()))
        .collect();
    format!(
        "{} diagnostics:\n{}",
        config.diagnostics().len(),
        shown.join("\n")
    )
}

#[track_caller]
fn error_at(config: &Config, path: &str, needle: &str) {
    assert!(
        config
            .diagnostics()
            .iter()
            .any(|d| d.severity == Severity::Error && d.path == path && d.message.contains(needle)),
        "no error at {path} mentioning {needle:?}; {}",
        describe(config)
    );
}

#[track_caller]
fn assert_broken(client: &Client, key: &str, needle: &str) {
    let details = client.evaluate(key, &Context::new(), &Value::Null, FlagType::Any);
    assert_eq!(details.error_code, Some(ErrorCode::ParseError), "{key}");
    let message = details.error_message().unwrap_or_default();
    assert!(
        message.contains(needle),
        "{key}: {message:?} lacks {needle:?}"
    );
}

#[track_caller]
fn assert_served(client: &Client, key: &str, value: Value) {
    let ctx = Context::with_targeting_key("user-1");
    let details = client.evaluate(key, &ctx, &Value::Null, FlagType::Any);
    assert_eq!(details.error_code, None, "{key}: {details:?}");
    assert_eq!(details.value, value, "{key}");
}

/// Evaluates `key` for `ctx`: value, reason, experiment key, holdout key.
fn eval(
    client: &Client,
    key: &str,
    ctx: &Context,
) -> (Value, Reason, Option<String>, Option<String>) {
    let details = client.evaluate(key, ctx, &Value::Null, FlagType::Any);
    let experiment = details.experiment();
    (
        details.value.clone(),
        details.reason,
        experiment.map(|e| e.key.to_owned()),
        experiment.and_then(|e| e.holdout).map(str::to_owned),
    )
}

fn unit(key: &str) -> Context {
    Context::with_targeting_key(key)
}

const FLAG_AB: &str = r#"{"state":"ENABLED","variants":{"a":"A","b":"B"},"defaultVariant":"a"}"#;

/// Diagnostics stay few whatever the number of bad items: a million of them are counted, not
/// kept (the loader keeps the first 1,000 and one that counts the rest).
const MAX_KEPT: usize = 1_001;

// ---- Item 3: lists from the document ----------------------------------------------------------

fn allocation_doc(names: usize) -> String {
    let arms: Vec<String> = (0..names).map(|i| format!(r#"["v{i}",1]"#)).collect();
    format!(
        r#"{{"flags":{{"f":{FLAG_AB},"g":{FLAG_AB}}},
            "experiments":{{"e":{{"flag":"f","status":"running","allocation":[{}]}}}}}}"#,
        arms.join(",")
    )
}

#[test]
fn an_allocation_of_a_million_names_is_refused_at_its_path() {
    // Issue 8: 100,000 names took 48 s (a duplicate check per name over all earlier names) and
    // 1,000,000 (13.9 MB) hung `tandem validate`.
    for names in [100_000, 1_000_000] {
        let doc = allocation_doc(names);
        let config = load(doc.clone());
        error_at(
            &config,
            "experiments.e.allocation",
            &format!("{names} arms, more than the limit of 1000"),
        );
        assert!(
            config.diagnostics().len() <= MAX_KEPT,
            "{}",
            describe(&config)
        );
        let client = on_small_stack(move || client(&doc));
        assert_broken(&client, "f", "experiments.e");
        assert_served(&client, "g", json!("A"));
    }
}

#[test]
fn an_allocation_at_the_variant_limit_resolves_every_arm() {
    // 1,000 arms over a 1,000-variant flag: each arm is resolved by a lookup, and units spread.
    let variants: Map<String, Value> = (0..1000).map(|i| (format!("v{i}"), json!(i))).collect();
    let arms: Vec<Value> = (0..1000).map(|i| json!([format!("v{i}"), 1])).collect();
    let doc = json!({
        "flags": {"f": {"state": "ENABLED", "variants": variants, "defaultVariant": "v0"}},
        "experiments": {"e": {"flag": "f", "status": "running", "allocation": arms}}
    })
    .to_string();
    let config = load(doc.clone());
    assert!(config.is_valid(), "{}", describe(&config));
    let client = client(&doc);
    let mut seen = std::collections::HashSet::new();
    for unit in 0..2000 {
        let ctx = Context::with_targeting_key(&format!("u{unit}"));
        let details = client.evaluate("f", &ctx, &Value::Null, FlagType::Any);
        assert_eq!(details.reason, Reason::Split);
        seen.insert(details.value.as_u64().unwrap());
    }
    assert!(seen.len() > 500, "only {} arms reached", seen.len());
}

#[test]
fn a_holdout_list_of_a_million_names_is_refused_at_its_path() {
    // Issue 8: a 1,000,000-name holdout list took 6.8 s; each unknown name was also one
    // diagnostic (a million lines from `tandem validate`, 390 MB).
    for repeated in [false, true] {
        let names: Vec<String> = (0..1_000_000)
            .map(|i| format!(r#""e{}""#, if repeated { 0 } else { i }))
            .collect();
        let doc = format!(
            r#"{{"flags":{{"f":{FLAG_AB},"g":{FLAG_AB}}},
                "experiments":{{"e0":{{"flag":"f","status":"running","allocation":[["a",1],["b",1]]}}}},
                "holdouts":{{"h":{{"percent":5,"experiments":[{}]}}}}}}"#,
            names.join(",")
        );
        let config = load(doc.clone());
        error_at(
            &config,
            "holdouts.h.experiments",
            "1000000 entries, more than the limit of 5000",
        );
        assert!(
            config.diagnostics().len() <= MAX_KEPT,
            "{}",
            describe(&config)
        );
        // The broken holdout covers nothing; the experiment still runs.
        let client = client(&doc);
        let (_, reason, _, holdout) = eval(&client, "f", &unit("u"));
        assert_eq!((reason, holdout), (Reason::Split, None));
        assert_served(&client, "g", json!("A"));
    }
}

#[test]
fn a_holdout_naming_experiments_twice_warns_and_covers_each_once() {
    let doc = json!({
        "flags": {"f": serde_json::from_str::<Value>(FLAG_AB).unwrap()},
        "experiments": {"e": {"flag": "f", "status": "running", "allocation": [["b", 1]]}},
        "holdouts": {"h": {"percent": 100, "experiments": ["e", "e", "e"]}}
    })
    .to_string();
    let config = load(doc.clone());
    assert!(config.is_valid(), "{}", describe(&config));
    let warnings: Vec<_> = config
        .diagnostics()
        .iter()
        .filter(|d| d.message.contains("listed twice"))
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        warnings,
        ["holdouts.h.experiments[1]", "holdouts.h.experiments[2]"]
    );
    // A 100% holdout: every unit gets the default variant, as the holdout's control group.
    let (value, _, experiment, holdout) = eval(&client(&doc), "f", &unit("u"));
    assert_eq!(value, json!("A"));
    assert_eq!(
        (experiment.as_deref(), holdout.as_deref()),
        (Some("e"), Some("h"))
    );
}

#[test]
fn a_layer_with_a_million_ranges_is_refused_at_its_path() {
    // A million ranges cannot all be disjoint in 10,000 buckets; before, each overlap was one
    // diagnostic (a million of them, 720 MB).
    let ranges = vec!["[0,1]"; 1_000_000].join(",");
    let doc = format!(
        r#"{{"flags":{{"f":{FLAG_AB}}},
            "experiments":{{"e":{{"flag":"f","status":"running","layer":"L","allocation":[["a",1],["b",1]]}}}},
            "layers":{{"L":{{"ranges":{{"e":[{ranges}]}}}}}}}}"#
    );
    let config = load(doc);
    error_at(
        &config,
        "layers.L.ranges",
        "1000000 ranges, more than the 10000 buckets",
    );
    assert!(
        config.diagnostics().len() <= MAX_KEPT,
        "{}",
        describe(&config)
    );
}

#[test]
fn a_layer_of_five_thousand_experiments_places_each_unit_by_its_ranges() {
    // 5,000 experiments (the limit) share one layer, two one-bucket ranges each, not adjacent:
    // every layer range check, salt check and placement is a lookup, not a scan.
    let mut experiments = Map::new();
    let mut ranges = Map::new();
    for i in 0..5000u32 {
        let key = format!("e{i}");
        experiments.insert(
            key.clone(),
            json!({"flag": "f", "status": "running", "layer": "L", "allocation": [["b", 1]]}),
        );
        ranges.insert(key, json!([[i, i + 1], [5000 + i, 5001 + i]]));
    }
    let doc = json!({
        "flags": {"f": serde_json::from_str::<Value>(FLAG_AB).unwrap()},
        "experiments": experiments,
        "layers": {"L": {"ranges": ranges}}
    })
    .to_string();
    let config = load(doc.clone());
    assert!(config.is_valid(), "{}", describe(&config));
    let client = on_small_stack(move || client(&doc));
    for unit in 0..200 {
        let unit = format!("user-{unit}");
        let bucket = bucketing::bucket("layer/L", &unit);
        let (_, _, experiment, _) = eval(&client, "f", &Context::with_targeting_key(&unit));
        assert_eq!(experiment, Some(format!("e{}", bucket % 5000)), "{unit}");
    }
}

#[test]
fn holdouts_are_limited_and_five_thousand_experiments_check_a_hundred() {
    // Each experiment keeps the holdouts that cover it: 5,000 experiments and 5,000 holdouts
    // were 25 million checks (2.5 GB). Holdouts are limited to 100 (Limits::max_holdouts).
    let doc = |holdouts: usize| {
        let experiments: Map<String, Value> = (0..5000)
            .map(|i| {
                let e = json!({"flag": "f", "status": "running", "allocation": [["b", 1]]});
                (format!("e{i}"), e)
            })
            .collect();
        let holdouts: Map<String, Value> = (0..holdouts)
            .map(|i| {
                (
                    format!("h{i}"),
                    json!({"percent": 0.01, "experiments": ["*"]}),
                )
            })
            .collect();
        json!({
            "flags": {"f": serde_json::from_str::<Value>(FLAG_AB).unwrap()},
            "experiments": experiments,
            "holdouts": holdouts
        })
        .to_string()
    };
    let error = load_small(doc(5000), Limits::default()).expect_err("over the limit");
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert!(
        error.message().starts_with("holdouts: ") && error.message().contains("limit of 100"),
        "{error}"
    );
    let config = load(doc(100));
    assert!(config.is_valid(), "{}", describe(&config));
}

#[test]
fn a_flood_of_problems_keeps_a_thousand_diagnostics_and_counts_the_rest() {
    // 200,000 unknown fields in a flag were 200,000 warnings (a million: 7.5 s, 300 MB in
    // `tandem validate`), and 200,000 unknown fields in a layer as many errors.
    let fields: Vec<String> = (0..200_000).map(|i| format!(r#""x{i}":1"#)).collect();
    let doc = format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"a":1}},"defaultVariant":"a",{}}},
             "g":{FLAG_AB}}},
            "layers":{{"L":{{"ranges":{{}},{}}}}}}}"#,
        fields.join(","),
        fields.join(",")
    );
    let config = load(doc.clone());
    let diagnostics = config.diagnostics();
    assert_eq!(diagnostics.len(), MAX_KEPT, "{}", describe(&config));
    let last = diagnostics.last().unwrap();
    // The 200,000 layer errors come after the flag's warnings: counted, and invalid.
    assert_eq!(
        (last.severity, last.to_string()),
        (
            Severity::Error,
            "$: 399000 more problems not listed (only the first 1000 are kept)".to_owned()
        )
    );
    // The flag with unknown fields is served (flagd ignores them); the layer is broken.
    let client = client(&doc);
    assert_served(&client, "f", json!(1));
    assert!(!config.is_valid());
}

// ---- Item 5: duplicate keys -------------------------------------------------------------------

#[test]
fn a_flag_defined_twice_is_broken_at_its_path() {
    let doc = r#"{"flags": {
        "f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
        "g": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"},
        "f": {"state": "ENABLED", "variants": {"off": false}, "defaultVariant": "off"}}}"#;
    let config = load(doc.to_owned());
    error_at(&config, "flags.f", "defined twice");
    assert!(!config.is_valid());
    let client = client(doc);
    assert_broken(&client, "f", "flags.f: defined twice");
    assert_served(&client, "g", json!(true));
}

#[test]
fn a_field_repeated_inside_a_flag_breaks_only_that_flag() {
    let doc = r#"{"flags": {
        "f": {"state": "ENABLED", "state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"},
        "g": {"state": "ENABLED", "variants": {"on": true, "on": false}, "defaultVariant": "on"},
        "h": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
              "targeting": {"if": [{"==": [1, 1], "==": [1, 2]}, "on", null]}},
        "ok": {"state": "ENABLED", "variants": {"on": "yes"}, "defaultVariant": "on"}}}"#;
    let config = load(doc.to_owned());
    error_at(&config, "flags.f.state", "duplicate key");
    error_at(&config, "flags.g.variants.on", "duplicate key");
    error_at(&config, "flags.h.targeting.if[0][\"==\"]", "duplicate key");
    let client = client(doc);
    for key in ["f", "g", "h"] {
        assert_broken(&client, key, "duplicate key");
    }
    assert_served(&client, "ok", json!("yes"));
}

#[test]
fn a_repeated_top_level_section_refuses_the_document() {
    // A second `"flags": {}` emptied the config, and `validate` exited 0.
    for (doc, path) in [
        (
            r#"{"flags": {"f": {"state": "ENABLED", "variants": {"on": true}}}, "flags": {}}"#,
            "flags",
        ),
        (
            r#"{"revision": "1", "flags": {}, "revision": "2"}"#,
            "revision",
        ),
        (
            r#"{"flags": {}, "metadata": {"team": "a", "team": "b"}}"#,
            "metadata.team",
        ),
        (r#"{"flags": {}, "layers": {}, "layers": {}}"#, "layers"),
    ] {
        let error = load_small(doc.to_owned(), Limits::default()).expect_err(doc);
        assert_eq!(error.kind(), ErrorKind::InvalidConfig, "{doc}");
        assert!(
            error
                .message()
                .starts_with(&format!("{path}: duplicate key")),
            "{doc}: {error}"
        );
    }
}

#[test]
fn repeated_keys_in_other_entities_break_that_entity() {
    let doc = json!({
        "flags": {
            "f": serde_json::from_str::<Value>(FLAG_AB).unwrap(),
            "p": {"state": "ENABLED", "variants": {"x": "plain", "y": {"$policy": "pol"}},
                  "defaultVariant": "y"}
        },
        "experiments": {"e": {"flag": "f", "status": "running", "allocation": [["b", 1]],
                              "layer": "L", "REPEAT": 1}},
        "layers": {"L": {"ranges": {"e": [[0, 10000]]}, "REPEAT": 1}},
        "holdouts": {"h": {"percent": 1, "experiments": ["*"], "REPEAT": 1}},
        "policies": {"pol": {"id": "pol", "version": 1, "REPEAT": 1}}
    })
    .to_string();
    // serde_json writes each key once; repeat a field in each entity by hand.
    let doc = doc
        .replace(r#""REPEAT":1"#, r#""salt":"s1","salt":"s2""#)
        .replace(r#""pol":{"id":"pol","#, r#""pol":{"id":"pol","id":"pol","#);
    let config = load(doc.clone());
    for path in [
        "experiments.e.salt",
        "layers.L.salt",
        "holdouts.h.salt",
        "policies.pol.id",
    ] {
        error_at(&config, path, "duplicate key");
    }
    let client = client(&doc);
    // The experiment is broken, so its flag is (DESIGN §2); the policy variant fails alone.
    assert_broken(&client, "f", "experiments.e");
    let (_, reason, _, _) = eval(&client, "p", &unit("u"));
    assert_eq!(reason, Reason::Error);
}

#[test]
fn a_repeated_key_in_an_evaluator_breaks_the_rules_that_use_it() {
    let doc = r#"{
        "$evaluators": {
            "dup": {"in": [{"var": "email"}, ["a"]], "in": [{"var": "email"}, ["b"]]},
            "uses_dup": {"and": [{"$ref": "dup"}, true]},
            "fine": {"==": [1, 1]}
        },
        "flags": {
            "direct": {"state": "ENABLED", "variants": {"on": true, "off": false},
                       "defaultVariant": "off", "targeting": {"if": [{"$ref": "dup"}, "on", null]}},
            "indirect": {"state": "ENABLED", "variants": {"on": true, "off": false},
                         "defaultVariant": "off", "targeting": {"if": [{"$ref": "uses_dup"}, "on", null]}},
            "clean": {"state": "ENABLED", "variants": {"on": true, "off": false},
                      "defaultVariant": "off", "targeting": {"if": [{"$ref": "fine"}, "on", null]}}
        },
        "experiments": {"e": {"flag": "clean", "status": "running", "allocation": [["on", 1]],
                              "audience": {"$ref": "dup"}}}
    }"#;
    let config = load(doc.to_owned());
    error_at(&config, "$evaluators.dup.in", "duplicate key");
    error_at(&config, "flags.direct.targeting", "$evaluators.dup");
    error_at(&config, "flags.indirect.targeting", "$evaluators.uses_dup");
    error_at(&config, "experiments.e.audience", "$evaluators.dup");
    let client = client(doc);
    assert_broken(&client, "direct", "duplicate key");
    assert_broken(&client, "indirect", "duplicate key");
    // `clean` is broken only because its experiment is.
    assert_broken(&client, "clean", "experiments.e");
}

#[test]
fn repeated_keys_in_the_array_form_and_in_ignored_fields() {
    let doc = r#"{"$schema": "https://flagd.dev/schema/v0/flagd.json",
        "flags": [
            {"key": "a", "state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on", "defaultVariant": "on"},
            {"key": "b", "state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}
        ],
        "x-notes": {"owner": "a", "owner": "b"}}"#;
    let config = load(doc.to_owned());
    error_at(&config, "flags[0].defaultVariant", "duplicate key");
    let warning = config
        .diagnostics()
        .iter()
        .find(|d| d.path == "x-notes.owner")
        .expect("a warning for the ignored field");
    assert_eq!(warning.severity, Severity::Warning);
    let client = client(doc);
    assert_broken(&client, "a", "duplicate key");
    assert_served(&client, "b", json!(true));
}

#[test]
fn a_million_repeated_keys_break_one_flag_with_one_diagnostic() {
    let members = vec![r#""k":1"#; 1_000_000].join(",");
    let doc = format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"on":true}},"defaultVariant":"on",
             "metadata":{{{members}}}}},"g":{FLAG_AB}}}}}"#
    );
    let config = load(doc.clone());
    error_at(&config, "flags.f.metadata.k", "duplicate key");
    assert_eq!(config.diagnostics().len(), 1, "{}", describe(&config));
    let client = client(&doc);
    assert_broken(&client, "f", "duplicate key");
    assert_served(&client, "g", json!("A"));
}

// ---- Item 7: nesting ---------------------------------------------------------------------------

/// `{"if": [{"==": [{"var": "n"}, i]}, "v<i % 2>", <next>]}`, `depth` deep, `null` at the end.
fn if_chain(depth: usize) -> String {
    let mut rule = "null".to_owned();
    for i in (0..depth).rev() {
        rule = format!(
            r#"{{"if":[{{"==":[{{"var":"n"}},{i}]}},"v{}",{rule}]}}"#,
            i % 2
        );
    }
    format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v0":0,"v1":1}},"defaultVariant":"v0",
             "targeting":{rule}}},"g":{FLAG_AB}}}}}"#
    )
}

#[test]
fn if_chains_as_deep_as_flagd_files_nest_load() {
    // Issue 8: 30 nested `if`s exceeded the 64-level JSON depth limit and the whole document
    // was refused. A 100-deep chain is about 206 levels, within the new limit of 256.
    for depth in [30, 100] {
        // On a small stack, with a rule depth limit that stops the rule compiler early (its own
        // stack use is the targeting engine's business): the document loads, and only the
        // rule's own limit can break the flag.
        let limits = Limits {
            max_rule_depth: 16,
            ..Limits::default()
        };
        let config = load_small(if_chain(depth), limits).unwrap();
        let problems: Vec<_> = config.diagnostics().iter().collect();
        assert!(
            problems
                .iter()
                .all(|d| d.path.starts_with("flags.f.targeting")
                    && d.message.contains("deeper than 16")),
            "{}",
            describe(&config)
        );
    }
    // With the default limits, the 30-deep chain is served as written.
    let client = client(&if_chain(30));
    let mut ctx = Context::with_targeting_key("u");
    ctx.set_int("n", 7);
    let details = client.evaluate("f", &ctx, &Value::Null, FlagType::Any);
    assert_eq!(
        (details.value, details.reason),
        (json!(1), Reason::TargetingMatch)
    );
    // The 100-deep chain loads too; its flag is served or broken by the rule depth limit alone.
    let config = Config::parse(&if_chain(100), &Limits::default()).unwrap();
    for d in config.diagnostics() {
        assert!(
            d.path.starts_with("flags.f.targeting") && d.message.contains("deeper than"),
            "{d}"
        );
    }
}

fn nested_value(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn json_nested_to_the_limit_loads_and_serves_on_a_small_stack() {
    // 5 levels to reach the value (root, flags, f, variants, v), 251 arrays: 256 in all.
    let doc = format!(
        r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v":{{"x":{}}}}},"defaultVariant":"v"}}}}}}"#,
        nested_value(250)
    );
    let served = on_small_stack(move || {
        let client = client(&doc);
        let config = client.snapshot().config().unwrap().clone();
        assert!(config.is_valid(), "{}", describe(&config));
        let details = client.evaluate("f", &Context::new(), &Value::Null, FlagType::Any);
        let text = serde_json::to_string(&details).unwrap();
        drop(config);
        text
    });
    assert!(served.contains(&nested_value(250)), "{served}");

    // Deep values everywhere else a document can hold them: reported, never a crash.
    let deep = nested_value(245);
    let docs = [
        format!(r#"{{"flags":{{}},"x-ignored":{deep}}}"#),
        format!(r#"{{"flags":{{}},"metadata":{{"m":{deep}}}}}"#),
        format!(
            r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v":true}},"metadata":{{"m":{deep}}}}}}}}}"#
        ),
        format!(
            r#"{{"flags":{{}},"experiments":{{"e":{{"flag":"f","status":"running","allocation":{deep}}}}}}}"#
        ),
        format!(r#"{{"flags":{{}},"layers":{{"L":{{"ranges":{{"e":{deep}}}}}}}}}"#),
        format!(r#"{{"flags":{{}},"holdouts":{{"h":{{"percent":1,"experiments":{deep}}}}}}}"#),
        format!(
            r#"{{"flags":{{}},"policies":{{"p":{{"id":"p","version":1,"actions":[{{"key":"a","value":{deep}}}]}}}}}}"#
        ),
        format!(r#"{{"flags":{{}},"$evaluators":{{"e":{deep}}}}}"#),
    ];
    for doc in docs {
        load_small(doc.clone(), Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", &doc[..60]));
    }
}

#[test]
fn json_nested_past_the_limit_is_refused_with_its_path() {
    for depth in [252, 10_000, 1_000_000] {
        let doc = format!(
            r#"{{"flags":{{"f":{{"state":"ENABLED","variants":{{"v":{{"x":{}}}}}}}}}}}"#,
            nested_value(depth)
        );
        let error = load_small(doc, Limits::default()).expect_err("too deep");
        assert_eq!(error.kind(), ErrorKind::LimitExceeded);
        assert!(
            error.message().starts_with("flags.f.variants.v.x[0]")
                && error
                    .message()
                    .ends_with("deeper than the limit of 256 levels"),
            "{}",
            &error.message()[..100.min(error.message().len())]
        );
    }
}
