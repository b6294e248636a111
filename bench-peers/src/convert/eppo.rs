//! Eppo's universal flag configuration (UFC, the server format `eppo_core` compiles): each flag
//! a list of allocations tried in order — a rule-gated allocation for a targeted flag, then a
//! catch-all — and a split as shard ranges of one salted MD5 hash of the subject key (the
//! targeting key) over 10,000 shards.
//!
//! `doLog` is off everywhere: no cell of the bench logs an assignment except Tandem's experiment
//! rows, which are named as such.

use serde_json::{json, Map, Value};

use super::value;
use crate::flagd::{Condition, Document, Flag, Rule, ValueKind};
use crate::Error;

/// The shards of a split, as Eppo's own configs use.
pub const TOTAL_SHARDS: u64 = 10_000;

/// The document as a UFC configuration.
///
/// # Errors
/// A split whose weights do not divide the shards into whole ranges.
pub fn convert(doc: &Document) -> Result<Value, Error> {
    let mut flags = Map::new();
    for flag in &doc.flags {
        flags.insert(flag.key.clone(), ufc_flag(flag)?);
    }
    Ok(json!({
        "createdAt": "2026-12-01T00:00:00.000Z",
        "format": "SERVER",
        "environment": {"name": "bench"},
        "flags": flags,
    }))
}

fn ufc_flag(flag: &Flag) -> Result<Value, Error> {
    let mut variations = Map::new();
    for (name, value) in &flag.variants {
        variations.insert(name.clone(), json!({"key": name, "value": value}));
    }
    let variation_type = match flag.kind()? {
        ValueKind::Bool => "BOOLEAN",
        ValueKind::Str => "STRING",
    };
    let whole = |variant: &str| json!([{"variationKey": variant, "shards": []}]);
    let allocations = match &flag.rule {
        Rule::Static => vec![allocation("static", None, whole(&flag.default_variant))],
        Rule::Targeted {
            conditions,
            then_variant,
            else_variant,
        } => vec![
            allocation("targeted", Some(conditions), whole(then_variant)),
            allocation("fallback", None, whole(else_variant)),
        ],
        Rule::Split(arms) => vec![allocation("split", None, splits(flag, arms)?)],
    };
    Ok(json!({
        "key": flag.key,
        "enabled": true,
        "variationType": variation_type,
        "variations": variations,
        "allocations": allocations,
        "totalShards": TOTAL_SHARDS,
    }))
}

fn allocation(key: &str, conditions: Option<&Vec<Condition>>, splits: Value) -> Value {
    let mut allocation = json!({"key": key, "splits": splits, "doLog": false});
    if let (Some(conditions), Some(object)) = (conditions, allocation.as_object_mut()) {
        let conditions: Vec<Value> = conditions.iter().map(condition).collect();
        object.insert("rules".into(), json!([{"conditions": conditions}]));
    }
    allocation
}

fn condition(condition: &Condition) -> Value {
    match condition {
        Condition::AtLeast { attribute, min } => {
            json!({"attribute": attribute, "operator": "GTE", "value": min})
        }
        Condition::OneOf { attribute, values } => {
            json!({"attribute": attribute, "operator": "ONE_OF", "value": values})
        }
    }
}

/// Consecutive shard ranges in proportion to the weights, one salt for the whole split so that
/// the ranges partition one hash.
fn splits(flag: &Flag, arms: &[(String, u32)]) -> Result<Value, Error> {
    let total: u64 = arms.iter().map(|(_, w)| u64::from(*w)).sum();
    let salt = format!("{}-split", flag.key);
    let mut start = 0;
    let mut cumulative = 0;
    let mut splits = Vec::with_capacity(arms.len());
    for (i, (variant, weight)) in arms.iter().enumerate() {
        value(flag, variant)?;
        cumulative += u64::from(*weight);
        let scaled = cumulative * TOTAL_SHARDS;
        if total == 0 || !scaled.is_multiple_of(total) {
            return Err(Error::at(
                format!("flags.{}.targeting.fractional[{i}]", flag.key),
                "the weights do not split 10,000 shards into whole ranges",
            ));
        }
        let end = scaled / total;
        splits.push(json!({
            "variationKey": variant,
            "shards": [{"salt": salt, "ranges": [{"start": start, "end": end}]}],
        }));
        start = end;
    }
    Ok(Value::Array(splits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes() {
        let doc = crate::convert::tests::three_shapes();
        let ufc = convert(&doc).unwrap();
        let onoff =
            json!({"on": {"key": "on", "value": true}, "off": {"key": "off", "value": false}});
        assert_eq!(
            ufc["flags"]["s"],
            json!({"key": "s", "enabled": true, "variationType": "BOOLEAN", "variations": onoff,
                   "allocations": [{"key": "static", "doLog": false,
                                    "splits": [{"variationKey": "on", "shards": []}]}],
                   "totalShards": 10000})
        );
        assert_eq!(
            ufc["flags"]["t"]["allocations"],
            json!([
                {"key": "targeted", "doLog": false,
                 "rules": [{"conditions": [
                     {"attribute": "age", "operator": "GTE", "value": 18},
                     {"attribute": "country", "operator": "ONE_OF", "value": ["SE", "NO"]}]}],
                 "splits": [{"variationKey": "on", "shards": []}]},
                {"key": "fallback", "doLog": false, "splits": [{"variationKey": "off", "shards": []}]}
            ])
        );
        assert_eq!(ufc["flags"]["f"]["variationType"], "STRING");
        assert_eq!(
            ufc["flags"]["f"]["allocations"][0]["splits"],
            json!([
                {"variationKey": "a", "shards": [{"salt": "f-split", "ranges": [{"start": 0, "end": 6000}]}]},
                {"variationKey": "b", "shards": [{"salt": "f-split", "ranges": [{"start": 6000, "end": 10000}]}]}
            ])
        );
    }

    #[test]
    fn refuses_weights_that_do_not_fall_on_shards() {
        let doc = Document::parse(
            r#"{"flags": {"f": {"state": "ENABLED", "variants": {"a": "a", "b": "b", "c": "c"},
                "defaultVariant": "a", "targeting": {"fractional": [["a", 1], ["b", 1], ["c", 1]]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            convert(&doc).unwrap_err().path,
            "flags.f.targeting.fractional[0]"
        );
    }
}
