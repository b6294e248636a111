//! Bytes as the parameters of a generator of large, hostile targeting: `$ref` chains and
//! cycles thousands long, one evaluator fanned out to thousands of flags, evaluators that use
//! each other twice, allow-lists of up to 100,000 ids, strings of up to 1 MiB in rules and
//! contexts, iterators nested around string work, rules nested to the depth limit. Random
//! bytes rarely reach these sizes as JSON text; here every input does.
//!
//! What must hold (issue 8): loading and evaluating never panic, and finish within the
//! per-input time-out; everything runs on a 512 KiB stack, so a recursion the document
//! controls crashes the target; an evaluation that fails with `LimitExceeded` has spent its
//! whole budget, and one that does not has spent at most that.
//!
//! Input: the first byte picks a shape, the next bytes its sizes and operators (missing bytes
//! read as zero).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use tandem::targeting::{Budget, CompileOptions, Env, EvalErrorKind, RuleSet};
use tandem::{Client, Config, Context, FixedClock, FlagType, Limits};

/// The generator's parameters, read from the input.
struct Params<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Params<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A size in `0..=max`, spread so that both small and maximal sizes are common.
    fn size(&mut self, max: usize) -> usize {
        let raw = usize::from(self.byte()) << 8 | usize::from(self.byte());
        match raw % 4 {
            0 => max,
            1 => raw % 16,
            _ => raw * max / 0xffff,
        }
    }

    /// One of the operators that take a string and do work on it.
    fn string_op(&mut self, s: Value, t: Value) -> Value {
        match self.byte() % 9 {
            0 => json!({"in": [t, s]}),
            1 => json!({"substr": [s, self.size(1 << 20)]}),
            2 => json!({"<": [s, t]}),
            3 => json!({"==": [s, t]}),
            4 => json!({"starts_with": [s, t]}),
            5 => json!({"sem_ver": [s, "=", t]}),
            6 => json!({"cat": [s, t]}),
            7 => json!({"==": [s, 1]}),
            _ => json!({"fractional": [{"cat": [s]}, ["a", 1], ["b", 1]]}),
        }
    }
}

fn flag(targeting: Value) -> Value {
    json!({
        "state": "ENABLED",
        "variants": {"on": true, "off": false},
        "defaultVariant": "off",
        "targeting": targeting
    })
}

/// `some` over `n` elements, `levels` deep, around `inner` (its data climbs back to the root
/// with `val`).
fn nested_some(n: usize, levels: usize, inner: Value) -> Value {
    let list: Vec<usize> = (0..n).collect();
    (0..levels).fold(inner, |body, _| json!({"some": [list, body]}))
}

fn generate(p: &mut Params<'_>) -> Value {
    match p.byte() % 8 {
        // e0 -> e1 -> ... -> e(n-1), sometimes closed into a cycle.
        0 => {
            let n = p.size(10_000).max(1);
            let cycle = p.byte() % 2 == 0;
            let mut evaluators = Map::new();
            for i in 0..n {
                let next = if i + 1 < n || cycle { (i + 1) % n } else { n };
                let body = if next == n {
                    json!({"==": [{"var": "x"}, 1]})
                } else {
                    json!({"!": {"$ref": format!("e{next}")}})
                };
                evaluators.insert(format!("e{i}"), body);
            }
            json!({"flags": {"f": flag(json!({"if": [{"$ref": "e0"}, "on", "off"]}))},
                   "$evaluators": evaluators})
        }
        // One large evaluator behind many flags.
        1 => {
            let flags: Map<String, Value> = (0..p.size(5_000))
                .map(|i| (format!("f{i}"), flag(json!({"$ref": "E"}))))
                .collect();
            let zeros = vec![0; p.size(9_990)];
            json!({"flags": flags, "$evaluators": {"E": {"or": zeros}}})
        }
        // An allow-list.
        2 => {
            let ids: Vec<String> = (0..p.size(100_000)).map(|i| format!("user-{i}")).collect();
            json!({"flags": {"f": flag(json!({"if": [{"in": [{"var": "id"}, ids]}, "on", "off"]}))}})
        }
        // String work on long strings, from the rule or the context, inside iterators.
        3 => {
            let levels = usize::from(p.byte() % 4);
            let climb = json!([levels * 2]);
            let s = if p.byte() % 2 == 0 {
                json!({"val": [climb.clone(), "s"]})
            } else {
                Value::String("a".repeat(p.size(1 << 20)))
            };
            let t = json!({"val": [climb, "t"]});
            let inner = p.string_op(s, t);
            let n = p.size(200);
            json!({"flags": {"f": flag(json!({"if": [nested_some(n, levels, inner), "on", "off"]}))}})
        }
        // Evaluators that each use the previous one twice.
        4 => {
            let n = p.size(40);
            let mut evaluators = Map::new();
            evaluators.insert("d0".into(), json!({"==": [{"var": "x"}, 1]}));
            for i in 1..=n {
                let prev = format!("d{}", i - 1);
                evaluators.insert(
                    format!("d{i}"),
                    json!({"and": [{"$ref": prev}, {"$ref": prev}]}),
                );
            }
            json!({"flags": {"f": flag(json!({"if": [{"$ref": format!("d{n}")}, "on", "off"]}))},
                   "$evaluators": evaluators})
        }
        // Many experiments on one flag, each audience a `$ref` to a costly rule.
        5 => {
            let costly = nested_some(p.size(300), 2, json!(false));
            let experiments: Map<String, Value> = (0..p.size(500))
                .map(|i| {
                    (
                        format!("x{i}"),
                        json!({"flag": "f", "status": "running", "audience": {"$ref": "R"},
                               "allocation": [["on", 1], ["off", 1]]}),
                    )
                })
                .collect();
            json!({"flags": {"f": flag(json!(null))}, "$evaluators": {"R": costly},
                   "experiments": experiments})
        }
        // A value built up by `reduce` (deep or large).
        6 => {
            let body = match p.byte() % 3 {
                0 => json!([{"var": "accumulator"}]),
                1 => json!({"var": ""}),
                _ => json!({"merge": [{"var": "accumulator"}, {"var": "accumulator"}, [1]]}),
            };
            json!({"flags": {"f": flag(json!({"if": [{"reduce": [{"var": "list"}, body, []]}, "on", "off"]}))}})
        }
        // Operators nested to (and past) the depth limit.
        _ => {
            let depth = p.size(160);
            let mut rule = json!({"var": "x"});
            for _ in 0..depth {
                rule = match p.byte() % 8 {
                    0 => json!({"if": [rule, 1, 2]}),
                    1 => json!({"!": rule}),
                    2 => json!({"map": [[1], rule]}),
                    3 => json!({"+": [rule, 1]}),
                    4 => json!({"cat": [rule]}),
                    5 => json!({"try": [{"throw": "e"}, rule]}),
                    6 => json!({"var": [{"cat": ["x", rule]}, 0]}),
                    _ => json!([rule, {"var": "x"}]),
                };
            }
            json!({"flags": {"f": flag(rule)}})
        }
    }
}

fn context(p: &mut Params<'_>) -> Value {
    let s = "a".repeat(p.size(1 << 20));
    let mut t = "a".repeat(p.size(1 << 10));
    t.push('b');
    let list: Vec<usize> = (0..p.size(10_000)).collect();
    json!({"targetingKey": "user-1", "x": 1, "s": s, "t": t, "list": list, "id": "user-7"})
}

fn run(input: &[u8]) {
    let mut p = Params {
        bytes: input,
        at: 0,
    };
    let doc = generate(&mut p);
    let data = context(&mut p);

    // The rules on their own, with a budget to check.
    let evaluators = doc.get("$evaluators").and_then(Value::as_object);
    let rules = RuleSet::new(&CompileOptions {
        evaluators,
        ..CompileOptions::default()
    });
    let _ = rules.evaluator_reports();
    let env = Env {
        flag_key: "f",
        timestamp: 1_795_000_000,
    };
    let flags = doc.get("flags").and_then(Value::as_object);
    for definition in flags.into_iter().flat_map(Map::values).take(50) {
        let Some(rule) = definition.get("targeting").filter(|r| r.is_object()) else {
            continue;
        };
        let Ok(compiled) = rules.compile(rule) else {
            continue;
        };
        let mut paths = Vec::new();
        let _ = compiled.rule.root_paths(&mut paths);
        let budget = Budget::per_flag();
        match compiled.rule.evaluate_within(&data, &env, &budget) {
            Err(e) if e.kind() == EvalErrorKind::LimitExceeded => {
                assert_eq!(budget.remaining(), 0, "a limit error with units left");
            }
            _ => assert!(budget.remaining() <= Budget::PER_FLAG),
        }
    }

    // The document through the loader and the client.
    let text = doc.to_string();
    let _ = Config::parse(&text, &Limits::default());
    let Ok(client) = Client::from_json(&text, FixedClock::at_unix_seconds(1_795_000_000), 1) else {
        return;
    };
    let Ok(ctx) = Context::from_value(data) else {
        return;
    };
    let keys: Vec<String> = client
        .snapshot()
        .config()
        .map(|c| c.flag_keys().take(20).map(str::to_owned).collect())
        .unwrap_or_default();
    for key in keys {
        let _ = client.evaluate(&key, &ctx, &Value::Null, FlagType::Any);
    }
}

fuzz_target!(|input: &[u8]| {
    let input = input.to_vec();
    let outcome = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || run(&input))
        .expect("a thread for the input")
        .join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
});
