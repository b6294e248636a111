//! Tests of the tricky parts that the external suites do not pin: scopes, errors as values,
//! `$ref` expansion, limits, hostile input, the `$flagd` environment and `fractional`'s
//! fast paths.

use serde_json::{json, Value};

use super::node::Node;
use super::*;

const ENV: Env<'static> = Env {
    flag_key: "my-flag",
    timestamp: 1_700_000_000,
};

fn compile(rule: Value) -> CompiledRule {
    Rule::compile(&rule, &CompileOptions::default()).unwrap()
}

fn eval(rule: Value, data: Value) -> Result<Value, EvalError> {
    compile(rule)
        .rule
        .evaluate(&data, &ENV)
        .map(Cow::into_owned)
}

fn problem(rule: Value, options: &CompileOptions<'_>) -> RuleProblem {
    Rule::compile(&rule, options).unwrap_err()
}

#[test]
fn rules_are_shareable() {
    fn assert_traits<T: Send + Sync + Clone + fmt::Debug>() {}
    assert_traits::<Rule>();
    assert_traits::<EvalError>();
}

#[test]
fn results_borrow_from_the_rule_and_the_data() {
    let rule = compile(json!({"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", {"var": "fallback"}]})).rule;
    let data = json!({"email": "qa@example.com", "fallback": "control"});
    assert!(matches!(rule.evaluate(&data, &ENV), Ok(Cow::Borrowed(v)) if v == "cb-v2"));
    let data = json!({"email": "x@example.com", "fallback": "control"});
    assert!(matches!(rule.evaluate(&data, &ENV), Ok(Cow::Borrowed(v)) if v == "control"));
}

#[test]
fn flagd_properties_come_from_the_environment() {
    let data = json!({"$flagd": {"flagKey": "spoofed", "timestamp": 1, "extra": 2}});
    assert_eq!(
        eval(json!({"var": "$flagd.flagKey"}), data.clone()),
        Ok(json!("my-flag"))
    );
    assert_eq!(
        eval(json!({"var": "$flagd.timestamp"}), data.clone()),
        Ok(json!(1_700_000_000))
    );
    assert_eq!(
        eval(json!({"var": "$flagd"}), data.clone()),
        Ok(json!({"flagKey": "my-flag", "timestamp": 1_700_000_000}))
    );
    assert_eq!(
        eval(json!({"var": "$flagd.extra"}), data.clone()),
        Ok(json!(null))
    );
    assert_eq!(
        eval(json!({"val": ["$flagd", "flagKey"]}), data),
        Ok(json!("my-flag"))
    );
    // Inside an iterator the data is the element, where `$flagd` means nothing special.
    let rule = json!({"map": [{"preserve": [{"$flagd": {"flagKey": "element"}}]}, {"var": "$flagd.flagKey"}]});
    assert_eq!(eval(rule, json!({})), Ok(json!(["element"])));
}

#[test]
fn val_climbs_scopes() {
    let data = json!({"numbers": [1, 2], "offset": 10});
    let rule = json!({"map": [{"val": "numbers"}, {"+": [{"val": []}, {"val": [[1], "index"]}, {"val": [[2], "offset"]}]}]});
    assert_eq!(eval(rule, data.clone()), Ok(json!([11, 13])));
    // Beyond the root there is nothing.
    assert_eq!(
        eval(json!({"val": [[4], "offset"]}), data.clone()),
        Ok(json!(null))
    );
    // In `reduce`, the scope is {current, accumulator} and climbing reaches the data.
    let rule = json!({"reduce": [{"val": "numbers"}, {"+": [{"val": "accumulator"}, {"val": "current"}, {"val": [[2], "offset"]}]}, 0]});
    assert_eq!(eval(rule, data.clone()), Ok(json!(23)));
    assert_eq!(
        eval(json!({"reduce": [[5], {"var": ""}, 1]}), data),
        Ok(json!({"current": 5, "accumulator": 1}))
    );
}

#[test]
fn var_follows_javascript_lookups() {
    let data = json!({"a": {"b": null}, "list": ["x", "y"], "01": "zero-one"});
    assert_eq!(
        eval(json!({"var": ["a.b", 1]}), data.clone()),
        Ok(json!(null)),
        "present null is not missing"
    );
    assert_eq!(
        eval(json!({"var": ["a.b.c", 1]}), data.clone()),
        Ok(json!(1))
    );
    assert_eq!(eval(json!({"var": "list.1"}), data.clone()), Ok(json!("y")));
    assert_eq!(
        eval(json!({"var": "list.01"}), data.clone()),
        Ok(json!(null)),
        "not a canonical index"
    );
    assert_eq!(
        eval(json!({"var": "01"}), data.clone()),
        Ok(json!("zero-one"))
    );
    assert_eq!(
        eval(json!({"var": {"cat": ["li", "st.0"]}}), data),
        Ok(json!("x"))
    );
}

#[test]
fn missing_attributes_compare_without_errors() {
    let empty = json!({});
    assert_eq!(
        eval(json!({"==": [{"var": "country"}, "SE"]}), empty.clone()),
        Ok(json!(false))
    );
    assert_eq!(
        eval(json!({"!=": [{"var": "country"}, "SE"]}), empty.clone()),
        Ok(json!(true))
    );
    assert_eq!(
        eval(json!({"<": [{"var": "tier"}, "gold"]}), empty.clone()),
        Ok(json!(false))
    );
    assert_eq!(
        eval(json!({">=": [{"var": "tier"}, "gold"]}), empty.clone()),
        Ok(json!(false))
    );
    assert_eq!(
        eval(json!({"<": [{"var": "age"}, 18]}), empty.clone()),
        Ok(json!(true))
    );
    // A present value of the wrong kind does not match either (a listed divergence from the
    // compat tables, which raise NaN; JavaScript and flagd answer false).
    assert_eq!(
        eval(
            json!({"==": [{"var": "age"}, 18]}),
            json!({"age": "unknown"})
        ),
        Ok(json!(false))
    );
    assert_eq!(
        eval(
            json!({"<": [{"var": "age"}, 18]}),
            json!({"age": "unknown"})
        ),
        Ok(json!(false))
    );
}

#[test]
fn errors_are_values() {
    let error = eval(
        json!({"throw": {"var": "e"}}),
        json!({"e": {"type": "Custom", "detail": 1}}),
    )
    .unwrap_err();
    assert_eq!(error.kind(), EvalErrorKind::Thrown);
    assert_eq!(error.value(), &json!({"type": "Custom", "detail": 1}));
    // Display never echoes the thrown value (it may come from the context).
    assert!(!error.to_string().contains("Custom"));
    let rule = json!({"try": [{"throw": "first"}, {"cat": [{"val": "type"}, "!"]}]});
    assert_eq!(eval(rule, json!(null)), Ok(json!("first!")));
    assert_eq!(eval(json!({"try": []}), json!(null)), Ok(json!(null)));
    assert_eq!(
        eval(json!({"/": [1, 0]}), json!(null))
            .unwrap_err()
            .error_type(),
        Some("NaN")
    );
}

#[test]
fn tests_and_values_agree() {
    // `if` conditions take a fast path that never builds the value; it must agree with the
    // value's truthiness.
    for cond in [
        json!({"and": [1, 0]}),
        json!({"and": []}),
        json!({"or": [0, ""]}),
        json!({"or": [[], "x"]}),
        json!({"!": [[]]}),
        json!({"!!": [{"in": ["a", "abc"]}]}),
        json!({"<": [1, 2, 3]}),
    ] {
        let direct = eval(json!({"!!": [cond.clone()]}), json!(null)).unwrap();
        let via_if = eval(json!({"if": [cond.clone(), true, false]}), json!(null)).unwrap();
        assert_eq!(direct, via_if, "{cond}");
    }
}

#[test]
fn hashed_lists_compare_like_strict_equality() {
    let list = json!(["a", "b", 1, 2.5, -0.0, true, null, [1, 2], {"k": "v"}, "z"]);
    let rule = compile(json!({"in": [{"var": "x"}, {"preserve": list}]})).rule;
    assert!(
        matches!(&*rule.root, Node::InSet(set) if matches!(set.items, node::SetItems::Hashed(_)))
    );
    for (x, expected) in [
        (json!("a"), true),
        (json!("c"), false),
        (json!(1.0), true),
        (json!(2.5), true),
        (json!(0), true),
        (json!(3), false),
        (json!(true), true),
        (json!(false), false),
        (json!(null), true),
        (json!([1, 2]), true),
        (json!([2, 1]), false),
        (json!({"k": "v"}), true),
        (json!("1"), false),
    ] {
        let data = json!({ "x": x });
        assert_eq!(
            rule.evaluate(&data, &ENV).unwrap().into_owned(),
            json!(expected),
            "{x}"
        );
    }
    // Without `x`, the needle is null, which the list holds.
    assert_eq!(
        eval(
            json!({"in": [{"var": "x"}, ["a", "b", "c", "d", "e", "f", "g", "h"]]}),
            json!({})
        ),
        Ok(json!(false))
    );
}

#[test]
fn evaluators_are_compiled_once_and_shared() {
    let evaluators = json!({
        "big": {"or": vec![0; 500]},
        "uses_big": {"and": [{"$ref": "big"}, true]}
    });
    let options = CompileOptions {
        evaluators: evaluators.as_object(),
        ..CompileOptions::default()
    };
    let rules = RuleSet::new(&options);
    let a = rules.compile(&json!({"$ref": "big"})).unwrap().rule;
    let b = rules
        .compile(&json!({"!": {"$ref": "uses_big"}}))
        .unwrap()
        .rule;
    let (Node::Ref(first), Node::Not(not)) = (&*a.root, &*b.root) else {
        panic!("unexpected shapes");
    };
    let Node::Ref(uses_big) = &**not else {
        panic!("unexpected shape");
    };
    let Some(Node::And(args)) = uses_big.body.get() else {
        panic!("unexpected shape");
    };
    let Some(Node::Ref(second)) = args.first() else {
        panic!("unexpected shape");
    };
    assert!(Arc::ptr_eq(first, second));
    // Debug output names shared evaluators instead of printing them at every use.
    assert!(format!("{a:?}").len() < 100);
}

#[test]
fn broken_evaluators_are_reported_once_with_their_cause() {
    let evaluators = json!({
        "ok": {"==": [1, 1]},
        "bad": {"nope": 1},
        "uses_bad": {"or": [false, {"$ref": "bad"}]},
        "self": {"!": {"$ref": "self"}},
        "missing": {"$ref": "ghost"}
    });
    let options = CompileOptions {
        evaluators: evaluators.as_object(),
        ..CompileOptions::default()
    };
    let rules = RuleSet::new(&options);
    let reports: Vec<(String, Option<String>)> = rules
        .evaluator_reports()
        .iter()
        .map(|r| {
            (
                r.name.to_owned(),
                r.problem.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    assert_eq!(
        reports,
        [
            ("ok".to_owned(), None),
            ("bad".to_owned(), Some("unknown operator `nope`".to_owned())),
            (
                "uses_bad".to_owned(),
                Some("or[1]: in $evaluators.bad: unknown operator `nope`".to_owned())
            ),
            (
                "self".to_owned(),
                Some(r#"["!"]: $ref cycle in $evaluators: self -> self"#.to_owned())
            ),
            (
                "missing".to_owned(),
                Some("$ref to `ghost`, which is not in $evaluators".to_owned())
            ),
        ]
    );
    let p = rules
        .compile(&json!({"if": [{"$ref": "uses_bad"}, 1, 2]}))
        .unwrap_err();
    assert_eq!(
        p.to_string(),
        "if[0]: in $evaluators.bad: unknown operator `nope`"
    );
    assert!(rules.compile(&json!({"$ref": "ok"})).is_ok());
}

#[test]
fn one_budget_spans_rules() {
    let rule = compile(json!({"some": [{"var": "list"}, {"==": [{"var": ""}, -1]}]})).rule;
    let data = json!({"list": (0..1_000).collect::<Vec<_>>()});
    let alone = Budget::per_flag();
    assert!(!rule.matches_within(&data, &ENV, &alone).unwrap());
    let per_run = Budget::PER_FLAG - alone.remaining();
    let shared = Budget::per_flag();
    let runs = (0..1_000)
        .take_while(|_| rule.matches_within(&data, &ENV, &shared).is_ok())
        .count() as u64;
    assert_eq!(runs, Budget::PER_FLAG / per_run);
    // `matches` and `evaluate` start from a full budget each time.
    assert!(!rule.matches(&data, &ENV).unwrap());
}

#[test]
fn in_uses_a_hash_set_for_long_literal_lists() {
    let list: Vec<Value> = (0..100)
        .map(|i| json!(format!("user-{i}")))
        .chain([json!(7)])
        .collect();
    let rule = compile(json!({"in": [{"var": "id"}, list]})).rule;
    for (id, expected) in [
        (json!("user-42"), true),
        (json!("user-100"), false),
        (json!(7), true),
        (json!(7.0), true),
        (json!("7"), false),
    ] {
        assert_eq!(
            rule.evaluate(&json!({"id": id}), &ENV)
                .unwrap()
                .into_owned(),
            json!(expected),
            "{id}"
        );
    }
}

#[test]
fn refs_expand_and_report_at_the_ref() {
    let evaluators = json!({
        "is_qa": {"in": [{"var": "email"}, ["qa@example.com"]]},
        "uses_qa": {"and": [{"$ref": "is_qa"}, true]},
        "loop_a": {"!": {"$ref": "loop_b"}},
        "loop_b": {"!": {"$ref": "loop_a"}},
        "broken": {"if": [{"bogus": 1}]},
        "warns": {"fractional": [["a", -1], ["b", 1]]}
    });
    let options = CompileOptions {
        evaluators: evaluators.as_object(),
        ..CompileOptions::default()
    };
    let rule = Rule::compile(&json!({"if": [{"$ref": "uses_qa"}, "qa", null]}), &options)
        .unwrap()
        .rule;
    assert_eq!(
        rule.evaluate(&json!({"email": "qa@example.com"}), &ENV)
            .unwrap()
            .into_owned(),
        json!("qa")
    );

    let cycle = problem(json!({"if": [{"$ref": "loop_a"}, 1]}), &options);
    assert_eq!(cycle.path, "if[0]");
    assert!(
        cycle.message.contains("loop_a -> loop_b -> loop_a"),
        "{}",
        cycle.message
    );
    let missing = problem(json!({"or": [{"$ref": "nope"}]}), &options);
    assert_eq!(
        (missing.path.as_str(), missing.message.contains("nope")),
        ("or[0]", true)
    );
    let inner = problem(json!({"!": [{"$ref": "broken"}]}), &options);
    assert_eq!(inner.path, r#"["!"][0]"#);
    assert!(
        inner.message.contains("$evaluators.broken") && inner.message.contains("bogus"),
        "{}",
        inner.message
    );
    let warned = Rule::compile(&json!({"$ref": "warns"}), &options)
        .unwrap()
        .warnings;
    assert_eq!(warned.len(), 1);
    assert!(
        warned[0]
            .message
            .starts_with("in $evaluators.warns at `fractional[0][1]`"),
        "{:?}",
        warned
    );
    assert!(problem(json!({"$ref": 3}), &options)
        .message
        .contains("string"));
}

#[test]
fn compile_errors_name_the_problem_and_the_path() {
    let options = CompileOptions::default();
    assert_eq!(
        problem(json!({"if": [true, {"nope": 1}]}), &options).path,
        "if[1]"
    );
    assert!(problem(json!({"a": 1, "b": 2}), &options)
        .message
        .contains("exactly one key"));
    let deep = (0..200).fold(json!(1), |inner, _| json!({"!": [inner]}));
    let p = problem(deep, &options);
    assert!(p.message.contains("max_rule_depth"), "{}", p.message);
    let wide = json!({"or": vec![0; 20_000]});
    assert!(problem(wide, &options).message.contains("max_rule_nodes"));
    // A deep literal inside `preserve`, or in expression position, is bounded too.
    let literal = (0..200).fold(json!(1), |inner, _| json!([inner]));
    assert!(problem(json!({"preserve": literal.clone()}), &options)
        .message
        .contains("max_rule_depth"));
    assert!(problem(json!({"in": [1, literal]}), &options)
        .message
        .contains("max_rule_depth"));
}

#[test]
fn literal_lists_are_one_node_and_count_toward_the_total() {
    let options = CompileOptions {
        max_nodes: 10,
        max_total_elements: 30_000,
        ..CompileOptions::default()
    };
    let ids: Vec<Value> = (0..20_000).map(|i| json!(format!("id-{i}"))).collect();
    let rule = json!({"in": [{"var": "id"}, ids]});
    let compiled = Rule::compile(&rule, &options).unwrap().rule;
    assert_eq!(
        compiled
            .evaluate(&json!({"id": "id-19999"}), &ENV)
            .unwrap()
            .into_owned(),
        json!(true)
    );
    let tight = CompileOptions {
        max_total_elements: 10_000,
        ..options
    };
    let p = problem(rule, &tight);
    assert!(p.message.contains("max_total_rule_elements"), "{p}");
}

#[test]
fn schema_warnings_point_at_the_argument() {
    let warnings = compile(json!({"if": [{"sem_ver": [{"var": "v"}, "=>", "1.0"]}, {"starts_with": [{"var": "id"}, 1]}]})).warnings;
    let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "if[0].sem_ver[1]",
            "if[0].sem_ver[2]",
            "if[1].starts_with[1]"
        ]
    );
    assert!(compile(json!({"val": "x"})).warnings[0]
        .message
        .contains("extension"));
    assert!(compile(json!({"==": [1, 2, 3]})).warnings[0]
        .message
        .contains("exactly 2"));
    assert!(compile(json!({"and": true})).warnings[0]
        .message
        .contains("Invalid Arguments"));
}

#[test]
fn hostile_input_is_bounded() {
    let text = "ab".repeat(1000);
    assert_eq!(
        eval(json!({"substr": [text, 1e300, -1e300]}), json!(null)),
        Ok(json!(""))
    );
    assert_eq!(
        eval(json!({"substr": ["héllo", -1e300, 2]}), json!(null)),
        Ok(json!("hé"))
    );
    // Nested iterators multiply the data: 1000^3 steps stop at the budget.
    let data = json!({"a": (0..1000).collect::<Vec<_>>()});
    let rule = json!({"map": [{"var": "a"}, {"map": [{"val": [[2], "a"]}, {"map": [{"val": [[4], "a"]}, 1]}]}]});
    assert_eq!(
        eval(rule, data.clone()).unwrap_err().kind(),
        EvalErrorKind::LimitExceeded
    );
    // Quadratic string building stops too, and `try` cannot swallow the limit.
    let data = json!({"words": vec!["0123456789abcdef"; 20_000]});
    let rule = json!({"try": [{"reduce": [{"var": "words"}, {"cat": [{"var": "accumulator"}, {"var": "current"}]}, ""]}, "caught"]});
    assert_eq!(
        eval(rule, data).unwrap_err().kind(),
        EvalErrorKind::LimitExceeded
    );
    // Ordinary work over a large context is fine (the budget is about a millisecond of the
    // slowest work: this is well inside it).
    let data = json!({"a": (0..5_000).collect::<Vec<_>>()});
    assert_eq!(
        eval(
            json!({"reduce": [{"var": "a"}, {"+": [{"var": "accumulator"}, 1]}, 0]}),
            data
        ),
        Ok(json!(5_000))
    );
    // A value built deeper than the copy depth limit is refused, whatever the budget.
    let data = json!({"a": (0..1_000).collect::<Vec<_>>()});
    let rule = compile(json!({"reduce": [{"var": "a"}, [{"var": "accumulator"}], 0]})).rule;
    let budget = Budget::new(u64::MAX);
    let error = rule.evaluate_within(&data, &ENV, &budget).unwrap_err();
    assert_eq!(error.kind(), EvalErrorKind::LimitExceeded);
}

#[test]
fn fractional_fast_paths_agree_with_the_general_path() {
    let buckets = json!([["red", 25], ["blue", 25], ["green", 25], ["yellow", 25]]);
    let with_key = |key: Value| {
        let mut args = vec![key];
        args.extend(buckets.as_array().unwrap().iter().cloned());
        compile(json!({"fractional": args})).rule
    };
    // `cat` keys are hashed part by part; `??` hides the `cat` and takes the general path.
    let cat = json!({"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}, 7, null, true]});
    let fast = with_key(cat.clone());
    let general = with_key(json!({"??": [cat]}));
    // The implicit key is flagKey + targetingKey, hashed without building it.
    let implicit = compile(json!({"fractional": buckets.clone()})).rule;
    let explicit = with_key(json!({"cat": [{"var": "$flagd.flagKey"}, {"var": "targetingKey"}]}));
    // Dynamic weights take the general path.
    let dynamic = compile(json!({"fractional": [{"var": "targetingKey"}, ["red", {"+": [20, 5]}], ["blue", 25], ["green", 25], ["yellow", 25]]})).rule;
    let plain = with_key(json!({"var": "targetingKey"}));
    for i in 0..200 {
        let data =
            json!({"email": format!("user{i}@example.com"), "targetingKey": format!("key-{i}")});
        let run = |rule: &Rule| rule.evaluate(&data, &ENV).unwrap().into_owned();
        assert_eq!(run(&fast), run(&general), "{data}");
        assert_eq!(run(&implicit), run(&explicit), "{data}");
        assert_eq!(run(&dynamic), run(&plain), "{data}");
    }
}

#[test]
fn fractional_rejects_what_flagd_rejects() {
    let data = json!({"targetingKey": "user-1"});
    for rule in [
        json!({"fractional": [["a", 1.5], ["b", 1]]}),
        json!({"fractional": [["a", "1"], ["b", 1]]}),
        json!({"fractional": [["a", 2_147_483_647], ["b", 1]]}),
        json!({"fractional": [[{"preserve": {"x": 1}}, 1]]}),
        json!({"fractional": [42, ["a", 1]]}),
        json!({"fractional": [{"var": "n"}, ["a", 1]]}),
        json!({"fractional": [["a", {"var": "w"}]]}),
        json!({"fractional": []}),
    ] {
        let data = json!({"targetingKey": "user-1", "n": 5, "w": "heavy"});
        assert_eq!(eval(rule.clone(), data), Ok(json!(null)), "{rule}");
    }
    // A null weight counts as 1, a dynamic bucket is evaluated.
    assert_eq!(
        eval(json!({"fractional": [["only", null]]}), data.clone()),
        Ok(json!("only"))
    );
    assert_eq!(
        eval(
            json!({"fractional": [{"var": "b"}]}),
            json!({"targetingKey": "k", "b": ["dyn", 3]})
        ),
        Ok(json!("dyn"))
    );
}
