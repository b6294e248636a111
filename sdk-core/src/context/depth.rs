//! Depth without recursion: measuring how deeply a JSON value nests, and dropping one that
//! nests too deeply to be dropped recursively (serde_json's `Value` drops its children
//! recursively, so a 100,000-deep array overflows any thread's stack when it is dropped).

use serde_json::Value;

/// The deepest nesting of arrays and objects in `root` (a scalar is 0, `[]` and `{}` are 1),
/// counted with an explicit stack.
pub(crate) fn json_depth(root: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::Array(items) => {
                deepest = deepest.max(depth);
                stack.extend(items.iter().map(|child| (child, depth + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(depth);
                stack.extend(map.values().map(|child| (child, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// Drops `value` with an explicit stack: every container is emptied before it is dropped, so
/// no drop recurses. Inline for the scalars and strings that most values are, which drop
/// without the general (out-of-line) drop of a `Value`.
#[inline]
pub(crate) fn drop_deep(value: Value) {
    match value {
        // Nothing to free; forgotten rather than dropped, so no call to `Value`'s general drop
        // is emitted for them.
        Value::Null | Value::Bool(_) => std::mem::forget(value),
        Value::String(text) => drop(text),
        // A number owns its text when another crate enables serde_json's `arbitrary_precision`.
        #[allow(clippy::drop_non_drop)]
        Value::Number(number) => drop(number),
        container => drop_containers(container),
    }
}

fn drop_containers(value: Value) {
    let empty = match &value {
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => true,
    };
    if empty {
        return;
    }
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, child)| child)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut value = Value::Null;
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn measures_depth() {
        assert_eq!(json_depth(&json!(1)), 0);
        assert_eq!(json_depth(&json!([])), 1);
        assert_eq!(json_depth(&json!({"a": [1, {"b": []}]})), 4);
        assert_eq!(json_depth(&nested(1000)), 1000);
    }

    #[test]
    fn drops_a_deep_value_on_a_small_stack() {
        let handle = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| {
                let value = nested(200_000);
                assert_eq!(json_depth(&value), 200_000);
                drop_deep(value);
            })
            .unwrap();
        handle.join().unwrap();
    }
}
