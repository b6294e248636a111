use serde_json::json;

use super::*;

#[test]
fn accepts_objects_only() {
    let ctx = Context::from_json(r#"{"targetingKey": "u1", "n": 3}"#).unwrap();
    assert_eq!(ctx.targeting_key(), Some("u1"));
    assert_eq!(ctx.get("n"), Some(&Value::from(3)));
    let err = Context::from_json("[1]").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidContext);
    assert_eq!(
        Context::from_json("{").unwrap_err().kind(),
        ErrorKind::InvalidJson
    );
}

#[test]
fn rejects_oversized_text() {
    let big = format!(
        r#"{{"k": "{}"}}"#,
        "x".repeat(Limits::default().max_context_bytes)
    );
    assert_eq!(
        Context::from_json(&big).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
}

#[test]
fn non_string_targeting_key_is_not_a_key() {
    let ctx = Context::new().with("targetingKey", 42i64).unwrap();
    assert_eq!(ctx.targeting_key(), None);
}

#[test]
fn typed_setters_replace_and_keep_order() {
    let mut ctx = Context::new();
    ctx.set_str("country", "SE");
    ctx.set_int("age", 30);
    ctx.set_number("score", 0.5);
    ctx.set_bool("beta", true);
    ctx.set_number("nan", f64::NAN);
    ctx.set_str("country", "DE");
    assert_eq!(
        ctx.as_value(),
        &json!({"country": "DE", "age": 30, "score": 0.5, "beta": true, "nan": null})
    );
    assert!(ctx.remove("nan"));
    assert!(!ctx.remove("nan"));
    assert_eq!(ctx.len(), 4);
    // The cached whole object follows the change.
    assert_eq!(ctx.as_value().get("nan"), None);
    ctx.clear();
    assert!(ctx.is_empty());
}

#[test]
fn from_json_and_setters_build_equal_contexts() {
    let parsed = Context::from_json(r#"{"a": 1, "b": {"c": [true]}}"#).unwrap();
    let mut built = Context::new();
    built.set_value("b", json!({"c": [true]})).unwrap();
    built.set_int("a", 1);
    assert_eq!(parsed, built);
}

fn nested(depth: usize) -> Value {
    let mut value = Value::Null;
    for _ in 0..depth {
        value = Value::Array(vec![value]);
    }
    value
}

/// Issue 8, item 6: a 100,000-deep array set through the Rust API overflowed the stack inside
/// the old context's merge (serde_json's recursive `Value::clone`). The depth limit now holds
/// however a context is built, and rejecting the value does not recurse either.
#[test]
fn a_deep_value_is_rejected_on_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let err = Context::new().with("deep", nested(100_000)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::LimitExceeded);
            // Not `json!`: it serializes its arguments, recursively.
            let mut map = Map::new();
            map.insert("deep".to_owned(), nested(100_000));
            let err = Context::from_value(Value::Object(map)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::LimitExceeded);
            let mut ctx = Context::new();
            ctx.set_str("kept", "yes");
            assert!(ctx.set_value("deep", nested(100_000)).is_err());
            assert_eq!(ctx.get("deep"), None);
            assert_eq!(ctx.targeting_key(), None);
            assert_eq!(ctx.get("kept"), Some(&json!("yes")));
            // At the limit: the context object is level 1, so a value may nest 63 levels.
            ctx.set_value("edge", nested(MAX_CONTEXT_DEPTH - 1))
                .unwrap();
            assert!(ctx.set_value("edge", nested(MAX_CONTEXT_DEPTH)).is_err());
            let text = format!("{{\"a\": {}}}", "[".repeat(200) + &"]".repeat(200));
            assert_eq!(
                Context::from_json(&text).unwrap_err().kind(),
                ErrorKind::LimitExceeded
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn large_contexts_are_searched_by_name() {
    let mut ctx = Context::new();
    for i in 0..200 {
        ctx.set_int(&format!("k{i}"), i);
    }
    for i in (0..200).rev() {
        assert_eq!(ctx.get(&format!("k{i}")), Some(&json!(i)));
    }
    ctx.set_int("k7", -1);
    assert_eq!(ctx.get("k7"), Some(&json!(-1)));
    assert!(ctx.remove("k100"));
    assert_eq!(ctx.get("k100"), None);
    assert_eq!(ctx.get("k199"), Some(&json!(199)));
    assert_eq!(ctx.len(), 199);
}

#[test]
fn paths_resolve_with_var_semantics() {
    let ctx = Context::from_json(r#"{"user": {"id": "u1", "tags": ["x"]}, "user.id": "dotted"}"#)
        .unwrap();
    assert_eq!(ctx.resolve(path::dotted("user.id")), Some(&json!("u1")));
    assert_eq!(ctx.resolve(path::dotted("user.tags.0")), Some(&json!("x")));
    assert_eq!(ctx.resolve(["user.id"]), Some(&json!("dotted")));
    assert_eq!(ctx.resolve(path::dotted("nope.id")), None);
}

fn table(paths: &[&str]) -> Attributes {
    let mut builder = AttributesBuilder::default();
    for path in paths {
        builder.add_dotted(path);
    }
    builder.build()
}

#[test]
fn fills_from_attribute_indexes() {
    let attributes = table(&["targetingKey", "country", "user.plan", "user.age"]);
    // Sorted: country, targetingKey, user.age, user.plan.
    let index = |p: &str| attributes.index_of(p).unwrap();
    let mut ctx = Context::new();
    ctx.fill(
        &attributes,
        [
            (index("targetingKey"), AttributeValue::Str("u9")),
            (index("country"), AttributeValue::Str("SE")),
            (index("user.plan"), AttributeValue::Str("pro")),
            (index("user.age"), AttributeValue::Int(41)),
        ],
    )
    .unwrap();
    assert_eq!(
        ctx,
        Context::from_json(
            r#"{"targetingKey": "u9", "country": "SE", "user": {"plan": "pro", "age": 41}}"#
        )
        .unwrap()
    );
    // Refilling replaces everything.
    ctx.fill(&attributes, [(index("country"), AttributeValue::Null)])
        .unwrap();
    assert_eq!(ctx, Context::from_json(r#"{"country": null}"#).unwrap());
    let err = ctx
        .set_attribute(&attributes, 99, AttributeValue::Bool(true))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// Sets, removes, clears and rebuilds (on this thread's pooled storage) in a pseudo-random
/// order (a fixed xorshift sequence) over a small pool of names, short and long, against a
/// plain list of `(name, value)` pairs as the model: a refill in the same order, out of order,
/// with repeats or after a removal must all read back what the model holds, in its order.
#[test]
fn refills_in_any_order_match_a_plain_model() {
    let names = [
        "a",
        "b",
        "country",
        "targetingKey",
        "a-name-longer-than-inline-storage",
    ];
    let mut ctx = Context::with_capacity(2);
    let mut model: Vec<(&str, Value)> = Vec::new();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for step in 0..20_000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let name = names[(state % names.len() as u64) as usize];
        match (state >> 8) % 10 {
            0 if state & (1 << 20) == 0 => {
                ctx.clear();
                model.clear();
            }
            0 => {
                drop(ctx);
                ctx = Context::with_capacity(2);
                model.clear();
            }
            1 => {
                let present = model.iter().position(|(n, _)| *n == name);
                assert_eq!(ctx.remove(name), present.is_some(), "step {step}");
                if let Some(i) = present {
                    model.remove(i);
                }
            }
            kind => {
                let value = if kind % 2 == 0 {
                    // Now and then a string too large to go back to the pool.
                    let text = format!("v{step}").repeat(if kind == 8 { 40 } else { 1 });
                    ctx.set_str(name, &text);
                    Value::from(text)
                } else {
                    ctx.set_int(name, i64::from(step));
                    Value::from(step)
                };
                match model.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, v)) => *v = value,
                    None => model.push((name, value)),
                }
            }
        }
        let actual: Vec<(&str, &Value)> = ctx.iter().collect();
        let expected: Vec<(&str, &Value)> = model.iter().map(|(n, v)| (*n, v)).collect();
        assert_eq!(actual, expected, "step {step}");
        for name in names {
            let expected = model.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
            assert_eq!(ctx.get(name), expected, "step {step}: {name}");
        }
    }
}
