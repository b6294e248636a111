//! The per-snapshot tables as one JSON text (docs/host-api.md, "Results in two forms"): flag
//! keys, variants with their values and type masks, metadata, experiments, holdouts, policies
//! and actions, and the attribute paths the snapshot reads. Built once per
//! [`tandem::Snapshot::generation`] from the JSON text the core serialized at load (values are
//! spliced in, never re-serialized); the JS side parses it once and serves every read from it.
//!
//! ```text
//! {"generation": 3, "ready": true, "revision": "r1" | null, "metadata": {...} | null,
//!  "readsWholeContext": false, "attributes": [["user", "id"], ["country"]],
//!  "flags": [[key, metadata | null, [[variantName, value, typeMask] | [variantName], ...]], ...],
//!  "experiments": [[key, layer | null], ...], "holdouts": [key, ...],
//!  "policies": [[id, version, digest], ...]}
//! ```
//!
//! Actions are not listed: a payload knows only the chosen ones, and a decision crosses with its
//! value ([`crate::outcome::decision_json`]).
//!
//! A type mask has bit `1 << (code - 1)` set for each type code ([`crate::client`]) whose check
//! the value passes (`FlagType::matches`), so the JS side knows when a read needs the core's
//! type check without re-implementing it.

use std::fmt::Write;

use serde_json::Value;
use tandem::{FlagType, Snapshot};

/// The type codes of the requested types, as JS passes them: 0 is "any" (no check).
pub const TYPES: [FlagType; 6] = [
    FlagType::Any,
    FlagType::Boolean,
    FlagType::String,
    FlagType::Integer,
    FlagType::Float,
    FlagType::Object,
];

/// The requested type for a type code; unknown codes check nothing.
pub fn flag_type(code: u32) -> FlagType {
    TYPES.get(code as usize).copied().unwrap_or(FlagType::Any)
}

/// The mask of the types `value` passes.
pub fn type_mask(value: &Value) -> u32 {
    TYPES
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, ty)| ty.matches(value))
        .fold(0, |mask, (code, _)| mask | (1 << (code - 1)))
}

fn string(out: &mut String, text: &str) {
    // Serializing a &str cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn optional_string(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.push_str("null"),
    }
}

fn raw(out: &mut String, json: Option<&str>) {
    out.push_str(json.unwrap_or("null"));
}

/// The tables of `snapshot` as JSON text (see the module docs).
pub fn tables_json(snapshot: &Snapshot) -> String {
    let mut out = String::with_capacity(256 + snapshot.flag_count() * 96);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{{\"generation\":{},\"ready\":{},\"revision\":",
        snapshot.generation(),
        snapshot.is_ready()
    );
    optional_string(&mut out, snapshot.revision());
    out.push_str(",\"metadata\":");
    raw(&mut out, snapshot.flag_metadata_json(None));
    let attributes = snapshot.attributes();
    let _ = write!(
        out,
        ",\"readsWholeContext\":{},\"attributes\":[",
        attributes.reads_whole_context()
    );
    for (i, path) in attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, segment) in path.segments().enumerate() {
            if j > 0 {
                out.push(',');
            }
            string(&mut out, segment);
        }
        out.push(']');
    }
    out.push_str("],\"flags\":[");
    let flags = u32::try_from(snapshot.flag_count()).unwrap_or(u32::MAX);
    for flag in 0..flags {
        if flag > 0 {
            out.push(',');
        }
        out.push('[');
        raw(&mut out, snapshot.flag_key_json(flag));
        out.push(',');
        raw(&mut out, snapshot.flag_metadata_json(Some(flag)));
        out.push_str(",[");
        let variants = u32::try_from(snapshot.variant_count(flag)).unwrap_or(u32::MAX);
        for variant in 0..variants {
            if variant > 0 {
                out.push(',');
            }
            out.push('[');
            optional_string(&mut out, snapshot.variant_name(flag, variant));
            // A variant without a value (a policy's, or a payload's name alone) is `[name]`:
            // a JSON `null` value stays distinguishable from no value.
            if let (Some(json), Some(value)) = (
                snapshot.variant_json(flag, variant),
                snapshot.variant_value(flag, variant),
            ) {
                let _ = write!(out, ",{json},{}", type_mask(value));
            }
            out.push(']');
        }
        out.push_str("]]");
    }
    out.push_str("],\"experiments\":[");
    let mut experiment = 0;
    while let Some(key) = snapshot.experiment_key(experiment) {
        if experiment > 0 {
            out.push(',');
        }
        out.push('[');
        string(&mut out, key);
        out.push(',');
        optional_string(&mut out, snapshot.experiment_layer(experiment));
        out.push(']');
        experiment += 1;
    }
    out.push_str("],\"holdouts\":[");
    let mut holdout = 0;
    while let Some(key) = snapshot.holdout_key(holdout) {
        if holdout > 0 {
            out.push(',');
        }
        string(&mut out, key);
        holdout += 1;
    }
    out.push_str("],\"policies\":[");
    let mut policy = 0;
    while let Some(id) = snapshot.policy_id(policy) {
        if policy > 0 {
            out.push(',');
        }
        out.push('[');
        string(&mut out, id);
        out.push(',');
        optional_string(&mut out, snapshot.policy_version(policy));
        out.push(',');
        optional_string(&mut out, snapshot.policy_digest(policy));
        out.push(']');
        policy += 1;
    }
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_follow_the_cores_type_checks() {
        assert_eq!(type_mask(&json!(true)), 1);
        assert_eq!(type_mask(&json!("a")), 2);
        assert_eq!(type_mask(&json!(3)), 4 | 8);
        assert_eq!(type_mask(&json!(3.0)), 4 | 8);
        assert_eq!(type_mask(&json!(3.5)), 8);
        assert_eq!(type_mask(&json!({"a": 1})), 16);
        assert_eq!(type_mask(&json!([1])), 0);
        assert_eq!(type_mask(&Value::Null), 0);
    }

    #[cfg(feature = "config")]
    #[test]
    fn tables_are_json_with_every_flag() {
        let client = tandem::Client::from_json(
            r#"{"metadata": {"flagSetId": "s"}, "flags": {
                "a": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on",
                      "targeting": {"if": [{"==": [{"var": "user.id"}, "x"]}, "off", null]}},
                "b\"q": {"state": "ENABLED", "variants": {"o": {"k": [1]}}, "defaultVariant": "o"}}}"#,
            tandem::FixedClock::at_unix_seconds(0),
            1,
        )
        .unwrap();
        let tables: Value = serde_json::from_str(&tables_json(&client.snapshot())).unwrap();
        assert_eq!(tables["ready"], true);
        assert_eq!(tables["attributes"], json!([["user", "id"]]));
        assert_eq!(tables["flags"][0][0], "a");
        assert_eq!(
            tables["flags"][0][2],
            json!([["on", true, 1], ["off", false, 1]])
        );
        assert_eq!(tables["flags"][1][0], "b\"q");
        assert_eq!(tables["flags"][1][2][0][1], json!({"k": [1]}));
        assert_eq!(tables["metadata"], json!({"flagSetId": "s"}));
    }
}
