//! JSON paths for messages: `flags.checkout.targeting.if[0]`, `flags["odd.key"].variants`.

/// Appends an object key to a path: `.key` for identifier-like keys, `["key"]` otherwise (JSON
/// string escaping), so every path reads back unambiguously.
pub(crate) fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$' || b == b'@');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        // Serializing a &str cannot fail; the fallback keeps this panic-free regardless.
        path.push_str(&serde_json::to_string(key).unwrap_or_else(|_| String::from("\"?\"")));
        path.push(']');
    }
}

/// Appends an array index to a path: `[3]`.
pub(crate) fn push_index(path: &mut String, index: usize) {
    use std::fmt::Write;
    // Writing into a `String` cannot fail; formatting in place spares a temporary string (the
    // rule compiler builds a path for every node it reads).
    let _ = write!(path, "[{index}]");
}

/// `base` followed by `key`, as a new path.
pub(crate) fn key(base: &str, key: &str) -> String {
    // Room for `.key` up front: one allocation for the common, plain key.
    let mut path = String::with_capacity(base.len() + key.len() + 1);
    path.push_str(base);
    push_key(&mut path, key);
    path
}

/// `base` followed by `[index]`, as a new path.
pub(crate) fn index(base: &str, index: usize) -> String {
    // `[` + up to 20 digits + `]`.
    let mut path = String::with_capacity(base.len() + 22);
    path.push_str(base);
    push_index(&mut path, index);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_keys_and_indexes() {
        let p = key(&key("", "flags"), "my-flag");
        assert_eq!(p, "flags.my-flag");
        assert_eq!(index(&key(&p, "if"), 0), "flags.my-flag.if[0]");
        assert_eq!(key("flags", "a.b"), r#"flags["a.b"]"#);
        assert_eq!(key("t", "=="), r#"t["=="]"#);
        assert_eq!(key("", ""), r#"[""]"#);
    }
}
