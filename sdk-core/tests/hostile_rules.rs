//! Hostile and oversized targeting (issue 8): `$ref` chains and fan-out, rules that multiply
//! work over long strings, realistic files at the limits. Each repro runs on a thread with a
//! 512 KiB stack, so stack use is bounded by construction, and the bounds are asserted as
//! counts (nodes, budget units, heap bytes), never as wall-clock times. The timings are in the
//! issue's report, measured with the release CLI.
// These tests load configs: they need the `config` feature (on by default).
#![cfg(feature = "config")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use serde_json::{json, Map, Value};
use tandem::targeting::{Budget, CompileOptions, Env, EvalErrorKind, Rule, RuleSet};
use tandem::{Client, Config, Context, ErrorCode, FixedClock, FlagType, Limits, Reason, Severity};

// ---------------------------------------------------------------------------------------------
// Heap accounting: the bytes one thread holds at most while it runs a closure.

struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    // `try_with`: a thread that is shutting down has no counters; its bytes do not matter.
    let _ = HELD.try_with(|held| {
        let now = held.get() + delta;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every method forwards to the system allocator unchanged; the counters are
// thread-local `Cell`s, which neither allocate nor lock.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most heap bytes this thread held above what it
/// held before, while `f` ran.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = HELD.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get) - base;
    (out, usize::try_from(peak).unwrap_or(0))
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Runs `f` on a thread with a 512 KiB stack: a recursion the document controls would
/// overflow it (and abort the test binary).
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

const NOW: i64 = 1_767_225_600;

fn client(doc: &str) -> Client {
    Client::from_json(doc, FixedClock::at_unix_seconds(NOW), 1).expect("the document loads")
}

fn flag(targeting: Value) -> Value {
    json!({
        "state": "ENABLED",
        "variants": {"on": true, "off": false},
        "defaultVariant": "off",
        "targeting": targeting
    })
}

/// `e0 -> e1 -> ... -> e(n-1)`, the last `{"==": [1, 1]}`, and one flag `{"$ref": "e0"}`.
fn chain_document(n: usize) -> String {
    let mut evaluators = Map::new();
    for i in 0..n - 1 {
        evaluators.insert(format!("e{i}"), json!({"$ref": format!("e{}", i + 1)}));
    }
    evaluators.insert(format!("e{}", n - 1), json!({"==": [1, 1]}));
    json!({
        "flags": {"f": flag(json!({"if": [{"$ref": "e0"}, "on", "off"]}))},
        "$evaluators": evaluators
    })
    .to_string()
}

/// `"E": {"or": [0, 0, ... 9,990 zeros]}` and `flags` flags `{"$ref": "E"}`.
fn fan_out_document(flags: usize) -> String {
    let flags: Map<String, Value> = (0..flags)
        .map(|i| (format!("f{i}"), flag(json!({"$ref": "E"}))))
        .collect();
    json!({"flags": flags, "$evaluators": {"E": {"or": vec![0; 9_990]}}}).to_string()
}

fn errors(config: &Config) -> Vec<String> {
    config
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

fn env() -> Env<'static> {
    Env {
        flag_key: "f",
        timestamp: NOW,
    }
}

// ---------------------------------------------------------------------------------------------
// Item 1: `$ref` chains.

#[test]
fn a_ref_chain_longer_than_the_depth_limit_is_an_error_at_its_ref() {
    let config = on_small_stack(|| Config::parse(&chain_document(9_990), &Limits::default()))
        .expect("loads; the flag is broken");
    let errors = errors(&config);
    // Nearly every evaluator of the chain is too deep: the document lists the first thousand
    // problems and counts the rest (the loader's cap), each message short.
    assert_eq!(errors.len(), 1_001, "{:?}", &errors[..3]);
    assert!(errors[..1_000]
        .iter()
        .all(|e| e.starts_with("$evaluators.")));
    assert!(
        errors[1_000].contains("more problems not listed"),
        "{}",
        errors[1_000]
    );
    assert!(errors.iter().all(|e| e.len() < 300), "messages stay short");
    // The flag itself is broken at its `$ref`, and says why.
    let client = on_small_stack(|| client(&chain_document(9_990)));
    let details = client.evaluate("f", &Context::new(), &Value::Null, FlagType::Any);
    assert_eq!(details.error_code, Some(ErrorCode::ParseError));
    let message = details.error_message().unwrap_or_default();
    assert!(
        message.starts_with("flags.f.targeting.if[0]: ")
            && message.contains("max_rule_depth")
            && message.contains("128"),
        "{message}"
    );
}

#[test]
fn a_ref_chain_within_the_limit_is_served_on_a_small_stack() {
    // 120 hops: the flag's `if` (1), its `$ref` (2), then 120 levels of evaluators and `==`.
    let served = on_small_stack(|| {
        let client = client(&chain_document(120));
        client.get_bool("f", &Context::new(), false).value
    });
    assert!(served);
}

#[test]
fn ref_cycles_of_any_length_are_named_briefly() {
    for n in [1, 2, 3, 5_000] {
        let mut evaluators = Map::new();
        for i in 0..n {
            evaluators.insert(
                format!("c{i}"),
                json!({"!": {"$ref": format!("c{}", (i + 1) % n)}}),
            );
        }
        evaluators.insert("into".into(), json!({"and": [true, {"$ref": "c0"}]}));
        let doc = json!({
            "flags": {"f": flag(json!({"$ref": "into"})), "plain": flag(json!(null))},
            "$evaluators": evaluators
        })
        .to_string();
        let config = {
            let doc = doc.clone();
            on_small_stack(move || Config::parse(&doc, &Limits::default()).unwrap())
        };
        let errors = errors(&config);
        // Each evaluator and the flag once, up to the loader's cap of 1,000 listed problems
        // (then one line counts the rest).
        assert_eq!(
            errors.len(),
            (n + 2).min(1_001),
            "{:?}",
            &errors[..errors.len().min(5)]
        );
        let client = on_small_stack(move || client(&doc));
        let details = client.evaluate("f", &Context::new(), &Value::Null, FlagType::Any);
        let flag_error = details.error_message().unwrap_or_default().to_owned();
        assert!(
            flag_error.starts_with("flags.f.targeting: ")
                && flag_error.contains("$ref cycle in $evaluators: c"),
            "{flag_error}"
        );
        assert!(flag_error.len() < 400, "{flag_error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Item 2: one evaluator, many flags.

#[test]
fn a_shared_evaluator_is_compiled_and_held_once() {
    on_small_stack(|| {
        let doc = fan_out_document(1_000);
        let (config, peak) = peak_heap(|| Config::parse(&doc, &Limits::default()).unwrap());
        assert!(config.is_valid(), "{:?}", errors(&config));
        assert_eq!(config.flag_keys().count(), 1_000);
        // DESIGN §8's load budget is 5 MB for a realistic 1,000-flag document; this one, with a
        // 9,991-node evaluator behind every flag, stays well inside it (it took 694 MB when each
        // flag held its own expansion).
        assert!(peak < 5_000_000, "loading held {peak} bytes at most");
        let client = client(&doc);
        for key in ["f0", "f999"] {
            let details = client.evaluate(key, &Context::new(), &Value::Null, FlagType::Any);
            // `or` of zeros is 0: not a variant name, so flagd's rules make it an error.
            assert_eq!(details.error_code, Some(ErrorCode::General), "{details:?}");
        }
    });
}

#[test]
fn the_compiled_size_of_a_whole_document_is_bounded() {
    on_small_stack(|| {
        // Ten flags with rules of their own (9,000 nodes each) under a 50,000-element bound: the
        // first five fit, the rest are broken with a message naming the limit.
        let limits = Limits {
            max_total_rule_elements: 50_000,
            ..Limits::default()
        };
        let flags: Map<String, Value> = (0..10)
            .map(|i| (format!("f{i}"), flag(json!({"or": vec![0; 9_000]}))))
            .collect();
        let doc = json!({ "flags": flags }).to_string();
        let config = Config::parse(&doc, &limits).unwrap();
        let errors = errors(&config);
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors
            .iter()
            .all(|e| e.contains("max_total_rule_elements") && e.contains("50000")));
        // Shared evaluators count once: a thousand flags using one 9,991-node evaluator fit.
        let config = Config::parse(&fan_out_document(1_000), &limits).unwrap();
        assert!(config.is_valid());
    });
}

// ---------------------------------------------------------------------------------------------
// Item 4: the budget counts work.

/// `some` over 100 elements, three deep, around `inner`: a million evaluations of `inner`.
fn some3(inner: Value) -> Value {
    let list: Vec<u32> = (0..100).collect();
    json!({"some": [list, {"some": [list, {"some": [list, inner]}]}]})
}

fn exhausts_the_budget(rule: Value, data: Value) {
    let kind = on_small_stack(move || {
        let rule = Rule::compile(&rule, &CompileOptions::default())
            .unwrap()
            .rule;
        let budget = Budget::per_flag();
        let error = rule.evaluate_within(&data, &env(), &budget).unwrap_err();
        assert_eq!(budget.remaining(), 0);
        error.kind()
    });
    assert_eq!(kind, EvalErrorKind::LimitExceeded);
}

#[test]
fn scanning_a_long_literal_string_is_paid_for() {
    exhausts_the_budget(some3(json!({"in": ["zq", "a".repeat(1 << 20)]})), json!({}));
}

#[test]
fn scanning_a_long_context_string_is_paid_for() {
    let data = json!({"s": "a".repeat(1_000_000)});
    exhausts_the_budget(
        some3(json!({"in": ["zq", {"val": [[6], "s"]}]})),
        data.clone(),
    );
    exhausts_the_budget(
        some3(json!({"substr": [{"val": [[6], "s"]}, 1_000_000]})),
        data.clone(),
    );
    let affix = format!("{}b", "a".repeat(499_999));
    exhausts_the_budget(
        some3(json!({"starts_with": [{"val": [[6], "s"]}, affix]})),
        data.clone(),
    );
    exhausts_the_budget(
        some3(json!({"<": [{"val": [[6], "s"]}, {"val": [[6], "s"]}]})),
        data.clone(),
    );
    exhausts_the_budget(
        some3(json!({"sem_ver": [{"val": [[6], "s"]}, "=", "1.0.0"]})),
        data.clone(),
    );
    exhausts_the_budget(some3(json!({"==": [{"val": [[6], "s"]}, 1]})), data.clone());
    exhausts_the_budget(
        some3(json!({"!": {"cat": [{"val": [[6], "s"]}, "x"]}})),
        data,
    );
}

#[test]
fn the_through_client_repros_end_in_a_limit_error() {
    let big = "a".repeat(1 << 20);
    let doc = json!({"flags": {"f": flag(json!({"if": [some3(json!({"in": ["zq", big]})), "on", "off"]}))}})
        .to_string();
    let details = on_small_stack(move || {
        let client = client(&doc);
        let details = client.evaluate("f", &Context::new(), &Value::Null, FlagType::Any);
        (details.reason, details.error_code)
    });
    assert_eq!(details, (Reason::Error, Some(ErrorCode::General)));
}

#[test]
fn audiences_of_one_flag_share_one_budget() {
    on_small_stack(|| {
        // 500 audiences, each a `$ref` to a rule that spends most of a budget on its own: with the
        // flag's one budget passed to each, the evaluation stops early instead of paying 500 times.
        let near: Vec<u32> = (0..200).collect();
        let evaluators = json!({"R": {"some": [near, {"some": [near, false]}]}});
        let options = CompileOptions {
            evaluators: evaluators.as_object(),
            ..CompileOptions::default()
        };
        let rules = RuleSet::new(&options);
        let audiences: Vec<Rule> = (0..500)
            .map(|_| rules.compile(&json!({"$ref": "R"})).unwrap().rule)
            .collect();
        let data = json!({});
        let alone = Budget::per_flag();
        assert!(!audiences[0].matches_within(&data, &env(), &alone).unwrap());
        let one_audience = Budget::PER_FLAG - alone.remaining();
        assert!(one_audience > Budget::PER_FLAG / 3, "{one_audience}");
        let budget = Budget::per_flag();
        let evaluated = audiences
            .iter()
            .take_while(|a| a.matches_within(&data, &env(), &budget).is_ok())
            .count();
        assert!(evaluated < 3, "{evaluated} audiences ran on one budget");
        assert_eq!(budget.remaining(), 0);
    });
}

/// The repro through the client: 500 experiments on one flag, each audience a `$ref` to
/// a rule that spends most of a budget, took 4 s per evaluation. The evaluation layer passes
/// the flag's one budget to every audience: it stops at the second or third, with an error.
#[test]
fn a_flag_with_500_heavy_audiences_stops_on_its_one_budget() {
    on_small_stack(|| {
        let near: Vec<u32> = (0..200).collect();
        let mut experiments = Map::new();
        for i in 0..500 {
            experiments.insert(
                format!("x{i}"),
                json!({"flag": "f", "status": "running", "audience": {"$ref": "R"},
                       "allocation": [["on", 1], ["off", 1]]}),
            );
        }
        let doc = json!({
            "flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false},
                            "defaultVariant": "off"}},
            "$evaluators": {"R": {"some": [near, {"some": [near, false]}]}},
            "experiments": experiments
        })
        .to_string();
        let client = client(&doc);
        let details = client.evaluate(
            "f",
            &Context::with_targeting_key("u1"),
            &Value::Null,
            FlagType::Any,
        );
        assert_eq!(details.error_code, Some(ErrorCode::General), "{details:?}");
        assert!(
            details
                .error_message()
                .unwrap_or_default()
                .contains("budget"),
            "{details:?}"
        );
    });
}

#[test]
fn shared_evaluators_are_paid_for_at_every_visit() {
    on_small_stack(|| {
        // Each evaluator uses the previous one twice: 2^30 visits through 31 compiled nodes.
        let mut evaluators = Map::new();
        evaluators.insert("e0".into(), json!({"==": [{"var": "x"}, 1]}));
        for i in 1..=30 {
            let prev = format!("e{}", i - 1);
            evaluators.insert(
                format!("e{i}"),
                json!({"and": [{"$ref": prev}, {"$ref": prev}]}),
            );
        }
        let options = CompileOptions {
            evaluators: Some(&evaluators),
            max_nodes: usize::MAX,
            ..CompileOptions::default()
        };
        let rule = Rule::compile(&json!({"$ref": "e30"}), &options)
            .unwrap()
            .rule;
        let error = rule.evaluate(&json!({"x": 1}), &env()).unwrap_err();
        assert_eq!(error.kind(), EvalErrorKind::LimitExceeded);
        // With the default node limit, the expansion is refused at load.
        let default = CompileOptions {
            evaluators: Some(&evaluators),
            ..CompileOptions::default()
        };
        let problem = Rule::compile(&json!({"$ref": "e30"}), &default).unwrap_err();
        assert!(problem.message.contains("max_rule_nodes"), "{problem}");
    });
}

#[test]
fn values_built_by_a_rule_stay_shallow() {
    // Wrapping the accumulator once per element would build a 100,000-deep value, and
    // recursion over it (copy, compare, drop) would overflow the stack.
    let rule = json!({"reduce": [{"var": "a"}, [{"var": "accumulator"}], 0]});
    let data = json!({"a": (0..100_000).collect::<Vec<_>>()});
    exhausts_the_budget(rule, data);
}

// ---------------------------------------------------------------------------------------------
// Item 7: realistic files.

#[test]
fn long_allow_lists_load_and_are_hashed() {
    on_small_stack(|| {
        for n in [9_997, 100_000] {
            let ids: Vec<String> = (0..n).map(|i| format!("user-{i}")).collect();
            let doc = json!({"flags": {"f": flag(json!({"if": [{"in": [{"var": "id"}, ids]}, "on", "off"]}))}})
                .to_string();
            let config = Config::parse(&doc, &Limits::default()).unwrap();
            assert!(config.is_valid(), "{:?}", errors(&config));
            let client = client(&doc);
            for (id, expected) in [
                ("user-0", true),
                (&*format!("user-{}", n - 1), true),
                ("user-x", false),
            ] {
                let ctx = Context::new().with("id", id).unwrap();
                let details = client.get_bool("f", &ctx, false);
                assert_eq!(details.value, expected, "{id}");
            }
            // One look-up costs the same whatever the list's length.
            let rule = Rule::compile(&json!({"in": [{"var": "id"}, (0..n).map(|i| format!("user-{i}")).collect::<Vec<_>>()]}), &CompileOptions::default())
                .unwrap()
                .rule;
            let budget = Budget::per_flag();
            assert!(rule
                .matches_within(&json!({"id": "user-5"}), &env(), &budget)
                .unwrap());
            assert!(Budget::PER_FLAG - budget.remaining() < 40);
        }
    });
}

/// `{"if": [{"==": [{"var": "n"}, 0]}, "b0", {"if": [... , "fallback"]}]}`, `depth` ifs deep.
fn if_chain(depth: usize) -> Value {
    let mut rule = json!("fallback");
    for i in (0..depth).rev() {
        rule = json!({"if": [{"==": [{"var": "n"}, i]}, format!("b{i}"), rule]});
    }
    rule
}

#[test]
fn a_hundred_nested_ifs_compile_and_run_on_a_small_stack() {
    let results = on_small_stack(|| {
        let rule = Rule::compile(&if_chain(100), &CompileOptions::default())
            .unwrap()
            .rule;
        [0, 57, 99, 100].map(|n| {
            rule.evaluate(&json!({"n": n}), &env())
                .unwrap()
                .into_owned()
        })
    });
    assert_eq!(
        results,
        [json!("b0"), json!("b57"), json!("b99"), json!("fallback")]
    );
    // Past the limit: a clear error at the level that is too deep.
    let problem = Rule::compile(&if_chain(130), &CompileOptions::default()).unwrap_err();
    assert!(problem.message.contains("max_rule_depth"), "{problem}");
}

/// `{"!": {"!": ... true}}` and `[[[... 1]]]`, `depth` levels each (serde_json's own drop of
/// them recurses: the test builds and drops them on a thread with room for that).
fn deep_values(depth: usize) -> [Value; 2] {
    let mut not = json!(true);
    let mut array = json!(1);
    for _ in 0..depth {
        // Moved in, not through `json!`, which would serialize a copy of the whole value.
        not = Value::Object(Map::from_iter([("!".to_owned(), not)]));
        array = Value::Array(vec![array]);
    }
    [not, array]
}

#[test]
fn a_value_far_deeper_than_the_limit_is_a_problem_on_a_small_stack() {
    // A caller's value can nest deeper than any parsed document; the public compiler reads
    // it without recursing into the part past its limit.
    let messages = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            deep_values(3_000).map(|value| {
                let (value, problem) = on_small_stack(move || {
                    let problem = Rule::compile(&value, &CompileOptions::default());
                    (value, problem.map(|_| ()).unwrap_err().message)
                });
                drop(value);
                problem
            })
        })
        .unwrap()
        .join()
        .unwrap();
    for message in messages {
        assert!(message.contains("max_rule_depth"), "{message}");
    }
}

#[test]
fn thirty_nested_ifs_load_from_a_document() {
    on_small_stack(|| {
        // The document's own JSON depth limit is the loader's; with room for it, the rule fits.
        let limits = Limits {
            max_json_depth: 127,
            ..Limits::default()
        };
        let doc = json!({"flags": {"f": {
            "state": "ENABLED",
            "variants": {"b7": "seven", "fallback": "none"},
            "defaultVariant": "fallback",
            "targeting": if_chain(30)
        }}})
        .to_string();
        let config = Config::parse(&doc, &limits).unwrap();
        assert!(
            !config
                .diagnostics()
                .iter()
                .any(|d| d.severity == Severity::Error),
            "{:?}",
            errors(&config)
        );
    });
}

/// One rule of every recursive shape, nested to the depth limit: compiling, evaluating,
/// listing its reads and dropping it must fit a 512 KiB stack.
#[test]
fn every_operator_nested_to_the_limit_fits_a_small_stack() {
    type Wrap = fn(Value) -> Value;
    let shapes: [(&str, Wrap); 24] = [
        ("if", |r| json!({"if": [r, 1, 2]})),
        ("!", |r| json!({"!": r})),
        ("!!", |r| json!({"!!": [r]})),
        ("and", |r| json!({"and": [true, r]})),
        ("or", |r| json!({"or": [false, r]})),
        ("==", |r| json!({"==": [r, 1]})),
        ("<", |r| json!({"<": [0, r, 9]})),
        ("+", |r| json!({"+": [r, 1]})),
        ("max", |r| json!({"max": [r, 1]})),
        ("cat", |r| json!({"cat": [r, "x"]})),
        ("substr", |r| json!({"substr": [r, 0, 3]})),
        ("in", |r| json!({"in": ["a", r]})),
        ("merge", |r| json!({"merge": [r, [1]]})),
        ("map", |r| json!({"map": [[1], r]})),
        ("reduce", |r| json!({"reduce": [[1], r, 0]})),
        ("try", |r| json!({"try": [{"throw": "e"}, r]})),
        ("??", |r| json!({"??": [null, r]})),
        ("var", |r| json!({"var": [{"cat": ["x", r]}, 0]})),
        ("val", |r| json!({"val": [[2], r]})),
        ("missing", |r| json!({"missing": [r]})),
        ("array", |r| json!([r, {"var": "x"}])),
        ("sem_ver", |r| json!({"sem_ver": [r, ">", "1.0.0"]})),
        ("starts_with", |r| json!({"starts_with": [r, "a"]})),
        (
            "fractional",
            |r| json!({"fractional": [{"cat": [r]}, ["a", 1], ["b", 1]]}),
        ),
    ];
    for (name, wrap) in shapes {
        // Deep enough to reach the limit whatever the shape's levels per wrap.
        let mut rule = json!({"var": "x"});
        let mut depth = 0;
        while Rule::compile(&wrap(rule.clone()), &CompileOptions::default()).is_ok() {
            rule = wrap(rule);
            depth += 1;
        }
        assert!(depth >= 40, "{name}: only {depth} levels");
        let outcome = on_small_stack(move || {
            let compiled = Rule::compile(&rule, &CompileOptions::default())
                .unwrap()
                .rule;
            let result = compiled
                .evaluate(&json!({"x": "abc"}), &env())
                .map(|v| v.into_owned());
            let mut paths = Vec::new();
            compiled.root_paths(&mut paths);
            drop(compiled);
            drop(rule);
            result.map(|_| ()).map_err(|e| e.kind())
        });
        // Errors are fine (a deep `+` of strings is NaN); a crash or an exhausted budget
        // (a 128-level rule is tiny work) is not.
        assert_ne!(outcome, Err(EvalErrorKind::LimitExceeded), "{name}");
    }
    // `$ref` hops count as levels too: a chain to the limit, from a rule.
    let served = on_small_stack(|| {
        client(&chain_document(125))
            .get_bool("f", &Context::new(), false)
            .value
    });
    assert!(served);
}

// ---------------------------------------------------------------------------------------------
// Items 15 and 16: flagd's answers where its two engines agree.

#[test]
fn a_missing_attribute_equals_only_null() {
    on_small_stack(|| {
        let doc = json!({"flags": {
            "set": flag(json!({"if": [{"!=": [{"var": "email"}, ""]}, "on", "off"]})),
            "zero": flag(json!({"if": [{"==": [{"var": "count"}, 0]}, "on", "off"]})),
            "false": flag(json!({"if": [{"==": [{"var": "beta"}, false]}, "on", "off"]})),
            "empty": flag(json!({"if": [{"==": [{"var": "email"}, ""]}, "on", "off"]}))
        }})
        .to_string();
        let client = client(&doc);
        let empty = Context::new();
        for (key, expected) in [
            ("set", true),
            ("zero", false),
            ("false", false),
            ("empty", false),
        ] {
            assert_eq!(client.get_bool(key, &empty, false).value, expected, "{key}");
        }
        let mut set = Context::new();
        set.set_str("email", "");
        set.set_int("count", 0);
        set.set_bool("beta", false);
        for (key, expected) in [
            ("set", false),
            ("zero", true),
            ("false", true),
            ("empty", true),
        ] {
            assert_eq!(client.get_bool(key, &set, false).value, expected, "{key}");
        }
    });
}

#[test]
fn an_empty_object_is_falsy() {
    on_small_stack(|| {
        let doc = json!({"flags": {"f": flag(json!({"if": [{"var": "prefs"}, "on", "off"]}))}})
            .to_string();
        let client = client(&doc);
        let value = |prefs: Value| {
            client
                .get_bool("f", &Context::new().with("prefs", prefs).unwrap(), false)
                .value
        };
        assert!(!value(json!({})));
        assert!(value(json!({"dark": true})));
    });
}
