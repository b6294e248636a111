//! GrowthBook's features payload (`/api/features/<key>`), as `growthbook-rust` evaluates it: a
//! feature's `defaultValue`, a `force` rule with a MongoDB-style condition for a targeted flag,
//! and an experiment rule (weights, `hashAttribute` the targeting key, hash version 2) for a
//! split.

use serde_json::{json, Map, Value};

use super::value;
use crate::flagd::{Condition, Document, Flag, Rule};
use crate::Error;

/// The document as a GrowthBook payload (`{"features": {...}}`).
///
/// # Errors
/// A condition that cannot be written as one GrowthBook condition (two `>=` or two `in` on the
/// same attribute).
pub fn convert(doc: &Document) -> Result<Value, Error> {
    let mut features = Map::new();
    for flag in &doc.flags {
        features.insert(flag.key.clone(), feature(flag)?);
    }
    Ok(json!({"features": features}))
}

fn feature(flag: &Flag) -> Result<Value, Error> {
    match &flag.rule {
        Rule::Static => Ok(json!({"defaultValue": value(flag, &flag.default_variant)?})),
        Rule::Targeted {
            conditions,
            then_variant,
            else_variant,
        } => Ok(json!({
            "defaultValue": value(flag, else_variant)?,
            "rules": [{
                "condition": condition(flag, conditions)?,
                "force": value(flag, then_variant)?,
            }],
        })),
        Rule::Split(arms) => {
            let total: f64 = arms.iter().map(|(_, w)| f64::from(*w)).sum();
            let variations = arms
                .iter()
                .map(|(name, _)| value(flag, name).cloned())
                .collect::<Result<Vec<_>, _>>()?;
            let weights: Vec<f64> = arms.iter().map(|(_, w)| f64::from(*w) / total).collect();
            Ok(json!({
                "defaultValue": value(flag, &flag.default_variant)?,
                "rules": [{
                    "key": flag.key,
                    "seed": flag.key,
                    "hashAttribute": "targetingKey",
                    "hashVersion": 2,
                    "coverage": 1.0,
                    "variations": variations,
                    "weights": weights,
                }],
            }))
        }
    }
}

fn condition(flag: &Flag, conditions: &[Condition]) -> Result<Value, Error> {
    let mut out = Map::new();
    for (i, condition) in conditions.iter().enumerate() {
        let (attribute, operator, operand) = match condition {
            Condition::AtLeast { attribute, min } => (attribute, "$gte", json!(min)),
            Condition::OneOf { attribute, values } => (attribute, "$in", json!(values)),
        };
        let entry = out
            .entry(attribute.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let clash = entry
            .as_object_mut()
            .is_none_or(|ops| ops.insert(operator.into(), operand).is_some());
        if clash {
            return Err(Error::at(
                format!("flags.{}.targeting.if[0].and[{i}]", flag.key),
                "a second condition of the same kind on one attribute",
            ));
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes() {
        let doc = crate::convert::tests::three_shapes();
        assert_eq!(
            convert(&doc).unwrap(),
            json!({"features": {
                "s": {"defaultValue": true},
                "t": {"defaultValue": false, "rules": [{
                    "condition": {"age": {"$gte": 18}, "country": {"$in": ["SE", "NO"]}},
                    "force": true}]},
                "f": {"defaultValue": "x", "rules": [{
                    "key": "f", "seed": "f", "hashAttribute": "targetingKey", "hashVersion": 2,
                    "coverage": 1.0, "variations": ["x", "y"], "weights": [0.6, 0.4]}]}
            }})
        );
    }

    #[test]
    fn refuses_two_thresholds_on_one_attribute() {
        let doc = Document::parse(
            r#"{"flags": {"t": {"state": "ENABLED", "variants": {"on": true, "off": false},
                "defaultVariant": "off", "targeting": {"if": [{"and": [
                    {">=": [{"var": "age"}, 18]}, {">=": [{"var": "age"}, 21]}]}, "on", "off"]}}}}"#,
        )
        .unwrap();
        assert_eq!(
            convert(&doc).unwrap_err().path,
            "flags.t.targeting.if[0].and[1]"
        );
    }
}
