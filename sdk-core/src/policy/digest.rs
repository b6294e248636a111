//! The canonical JSON of a bundle and its digest, written by `tandem seal` and verified at load.
//!
//! Canonical JSON: object keys sorted by their UTF-8 bytes at every level, no whitespace,
//! strings and numbers as serde_json writes them. A sealed digest depends on that printing, so
//! the tests pin it with literal texts: a serde_json upgrade that prints a number differently
//! fails them instead of silently invalidating sealed bundles. The writer walks the value with
//! an explicit stack, so a deeply nested value built in code (not parsed, so not depth-limited)
//! cannot overflow the call stack.

use serde::Serialize;
use serde_json::{Map, Value};
use xxhash_rust::xxh3::xxh3_128;

/// The prefix of a digest string.
pub(crate) const DIGEST_PREFIX: &str = "xxh3-128:";

enum Frame<'v> {
    Array(std::slice::Iter<'v, Value>),
    Object(std::vec::IntoIter<(&'v String, &'v Value)>),
}

/// The canonical JSON text of `value`: keys sorted by their UTF-8 bytes, no whitespace,
/// strings and numbers as serde_json writes them (`1`, `1.0`, `0.00001`, `1e-7`, `1e+16`,
/// `"\u001f"`); docs/policy-bundles.md states the layout.
///
/// ```
/// let value = serde_json::json!({"b": [1, 2.5, "x"], "a": {"d": null, "c": true}});
/// let text = tandem::policy::canonical_json(&value);
/// assert_eq!(text, r#"{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let bytes = canonical_bytes(value, None);
    // Every piece written is UTF-8 (serde_json output and ASCII punctuation).
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The digest of a bundle: `xxh3-128:` and 32 lower-case hex digits of XXH3-128 (seed 0) over
/// the canonical JSON of the bundle without its top-level `digest` field. This is the value a
/// bundle's `digest` must hold (`tandem seal` writes it).
///
/// ```
/// let bundle = serde_json::json!({"id": "p", "digest": "ignored"});
/// let digest = tandem::policy::canonical_digest(&bundle);
/// assert!(digest.starts_with("xxh3-128:") && digest.len() == 9 + 32);
/// assert_eq!(digest, tandem::policy::canonical_digest(&serde_json::json!({"id": "p"})));
/// ```
pub fn canonical_digest(bundle: &Value) -> String {
    let bytes = canonical_bytes(bundle, Some("digest"));
    format!("{DIGEST_PREFIX}{:032x}", xxh3_128(&bytes))
}

/// Canonical JSON bytes; `skip` is a key left out of the top-level object.
fn canonical_bytes(value: &Value, skip: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(value);
    let mut top = true;
    loop {
        if let Some(value) = next.take() {
            match value {
                Value::Array(items) => {
                    out.push(b'[');
                    stack.push(Frame::Array(items.iter()));
                }
                Value::Object(map) => {
                    out.push(b'{');
                    let skipped = if top { skip } else { None };
                    stack.push(Frame::Object(sorted(map, skipped).into_iter()));
                }
                leaf => write_leaf(&mut out, leaf),
            }
            top = false;
        }
        let Some(frame) = stack.last_mut() else {
            break;
        };
        let first = matches!(out.last(), Some(b'[' | b'{'));
        match frame {
            Frame::Array(items) => match items.next() {
                Some(item) => {
                    if !first {
                        out.push(b',');
                    }
                    next = Some(item);
                }
                None => {
                    out.push(b']');
                    stack.pop();
                }
            },
            Frame::Object(entries) => match entries.next() {
                Some((key, item)) => {
                    if !first {
                        out.push(b',');
                    }
                    write_leaf(&mut out, key);
                    out.push(b':');
                    next = Some(item);
                }
                None => {
                    out.push(b'}');
                    stack.pop();
                }
            },
        }
    }
    out
}

/// The entries of `map` sorted by key bytes (Rust's `str` order), without `skip`.
fn sorted<'v>(map: &'v Map<String, Value>, skip: Option<&str>) -> Vec<(&'v String, &'v Value)> {
    let mut entries: Vec<_> = map
        .iter()
        .filter(|(k, _)| Some(k.as_str()) != skip)
        .collect();
    // Its own sort rather than `crate::sort`: bundle loading runs this for every object, and
    // the shared sort's positions and indirect comparator made loading a bundle 7% slower.
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

/// A string, number, boolean or null, as serde_json's compact writer prints it.
fn write_leaf<T: Serialize + ?Sized>(out: &mut Vec<u8>, leaf: &T) {
    // Writing to a Vec cannot fail, and these values always serialize.
    let _ = serde_json::to_writer(&mut *out, leaf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_keeps_serde_numbers() {
        let value =
            json!({"z": {"y": [], "x": {}}, "é": "\u{1f}\"", "a": [1, 1.0, -0.0, 1e300, 1.5e-7]});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":[1,1.0,-0.0,1e+300,1.5e-7],"z":{"x":{},"y":[]},"é":"\u001f\""}"#
        );
    }

    #[test]
    fn only_the_top_level_digest_is_left_out() {
        let with = json!({"id": "p", "digest": "x", "a": {"digest": 1}});
        let without = json!({"a": {"digest": 1}, "id": "p"});
        assert_eq!(canonical_digest(&with), canonical_digest(&without));
        assert_eq!(
            canonical_digest(&without),
            format!(
                "xxh3-128:{:032x}",
                xxh3_128(br#"{"a":{"digest":1},"id":"p"}"#)
            )
        );
    }

    /// Sealed digests depend on serde_json's printing: pinned here with literal texts, so an
    /// upgrade that changes it fails loudly (then write the old layout in this module).
    #[test]
    fn serde_json_number_and_string_printing_is_pinned() {
        let cases: [(Value, &str); 16] = [
            (json!(0), "0"),
            (json!(-7), "-7"),
            (json!(u64::MAX), "18446744073709551615"),
            (json!(1.0), "1.0"),
            (json!(-0.0), "-0.0"),
            (json!(100.0), "100.0"),
            (json!(0.1), "0.1"),
            (json!(1e15), "1000000000000000.0"),
            (json!(1e16), "1e+16"),
            (json!(1e-5), "0.00001"),
            (json!(1.5e-7), "1.5e-7"),
            (json!(5e-324), "5e-324"),
            (json!(f64::MAX), "1.7976931348623157e+308"),
            // Two shortest candidates (…184.2 and …184.3) are equally close: the even digit.
            (json!(1_927_992_755_049_184.0 + 0.25), "1927992755049184.2"),
            (json!(123.456), "123.456"),
            (
                json!("\u{0}\u{1f}\u{7f}\"\\/\u{8}\u{c}\n\r\té€"),
                "\"\\u0000\\u001f\u{7f}\\\"\\\\/\\b\\f\\n\\r\\té€\"",
            ),
        ];
        for (value, text) in cases {
            assert_eq!(canonical_json(&value), text, "{value:?}");
        }
    }

    #[test]
    fn deep_values_do_not_overflow_the_stack() {
        let mut value = json!(1);
        for _ in 0..100_000 {
            value = Value::Array(vec![value]);
        }
        let text = canonical_json(&value);
        assert_eq!(text.len(), 200_001);
        // Dropping a deep Value recurses in serde_json: leak it rather than test serde_json.
        std::mem::forget(value);
    }
}
