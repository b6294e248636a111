//! Unleash's client features (`/api/client/features`, `version: 2`), as `unleash-yggdrasil`
//! ingests them: a boolean flag is a toggle, enabled for the users its strategy's constraints
//! accept; a string flag is an enabled toggle whose variants carry the values as string payloads,
//! weighted out of 1,000 and sticky on `userId` (the targeting key).

use serde_json::{json, Value};

use super::{bool_value, expect_kind, value};
use crate::flagd::{Condition, Document, Flag, Rule, ValueKind};
use crate::Error;

/// The context field Unleash holds the targeting key in; every other attribute is a property.
pub const TARGETING_KEY_FIELD: &str = "userId";

/// The document as Unleash client features.
///
/// # Errors
/// A flag whose shape has no Unleash form here: a targeted flag that does not serve `true`
/// exactly when its conditions hold, or a split over booleans.
pub fn convert(doc: &Document) -> Result<Value, Error> {
    let features = doc
        .flags
        .iter()
        .map(feature)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({"version": 2, "features": features}))
}

fn default_strategy(constraints: Vec<Value>) -> Value {
    json!({"name": "default", "constraints": constraints, "parameters": {}})
}

fn feature(flag: &Flag) -> Result<Value, Error> {
    let path = format!("flags.{}", flag.key);
    match (&flag.rule, flag.kind()?) {
        (Rule::Static, ValueKind::Bool) => Ok(json!({
            "name": flag.key,
            "type": "release",
            "enabled": bool_value(flag, &flag.default_variant)?,
            "strategies": [default_strategy(vec![])],
        })),
        (Rule::Static, ValueKind::Str) => {
            let arms = [(flag.default_variant.clone(), 1)];
            string_variants(flag, &arms)
        }
        (
            Rule::Targeted {
                conditions,
                then_variant,
                else_variant,
            },
            ValueKind::Bool,
        ) => {
            if !bool_value(flag, then_variant)? || bool_value(flag, else_variant)? {
                return Err(Error::at(
                    format!("{path}.targeting"),
                    "only `true` when the conditions hold, else `false`, has an Unleash form here",
                ));
            }
            let constraints = conditions.iter().map(constraint).collect();
            Ok(json!({
                "name": flag.key,
                "type": "release",
                "enabled": true,
                "strategies": [default_strategy(constraints)],
            }))
        }
        (Rule::Split(arms), _) => {
            expect_kind(flag, ValueKind::Str, "a split")?;
            string_variants(flag, arms)
        }
        (Rule::Targeted { .. }, ValueKind::Str) => Err(Error::at(
            format!("{path}.targeting"),
            "targeting between string variants has no Unleash form here",
        )),
    }
}

fn string_variants(flag: &Flag, arms: &[(String, u32)]) -> Result<Value, Error> {
    let variants = arms
        .iter()
        .map(|(name, weight)| {
            let value = value(flag, name)?.as_str().unwrap_or_default();
            // Unleash weighs variants out of 1,000; flagd's weights are percentages in the
            // workloads, and ×10 keeps any other total's proportions.
            Ok(json!({
                "name": name,
                "weight": weight.saturating_mul(10),
                "weightType": "variable",
                "stickiness": "default",
                "payload": {"type": "string", "value": value},
            }))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(json!({
        "name": flag.key,
        "type": "experiment",
        "enabled": true,
        "strategies": [default_strategy(vec![])],
        "variants": variants,
    }))
}

fn context_name(attribute: &str) -> &str {
    if attribute == "targetingKey" {
        TARGETING_KEY_FIELD
    } else {
        attribute
    }
}

fn constraint(condition: &Condition) -> Value {
    match condition {
        Condition::AtLeast { attribute, min } => json!({
            "contextName": context_name(attribute),
            "operator": "NUM_GTE",
            "value": min.to_string(),
            "caseInsensitive": false,
            "inverted": false,
        }),
        Condition::OneOf { attribute, values } => json!({
            "contextName": context_name(attribute),
            "operator": "IN",
            "values": values,
            "caseInsensitive": false,
            "inverted": false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes() {
        let doc = crate::convert::tests::three_shapes();
        let strategy = |constraints: Value| json!({"name": "default", "constraints": constraints, "parameters": {}});
        assert_eq!(
            convert(&doc).unwrap(),
            json!({"version": 2, "features": [
                {"name": "s", "type": "release", "enabled": true, "strategies": [strategy(json!([]))]},
                {"name": "t", "type": "release", "enabled": true, "strategies": [strategy(json!([
                    {"contextName": "age", "operator": "NUM_GTE", "value": "18",
                     "caseInsensitive": false, "inverted": false},
                    {"contextName": "country", "operator": "IN", "values": ["SE", "NO"],
                     "caseInsensitive": false, "inverted": false}
                ]))]},
                {"name": "f", "type": "experiment", "enabled": true, "strategies": [strategy(json!([]))],
                 "variants": [
                    {"name": "a", "weight": 600, "weightType": "variable", "stickiness": "default",
                     "payload": {"type": "string", "value": "x"}},
                    {"name": "b", "weight": 400, "weightType": "variable", "stickiness": "default",
                     "payload": {"type": "string", "value": "y"}}
                 ]}
            ]})
        );
    }

    #[test]
    fn refuses_an_inverted_target() {
        let doc = Document::parse(
            r#"{"flags": {"t": {"state": "ENABLED", "variants": {"on": true, "off": false},
                "defaultVariant": "off",
                "targeting": {"if": [{">=": [{"var": "age"}, 18]}, "off", "on"]}}}}"#,
        )
        .unwrap();
        assert_eq!(convert(&doc).unwrap_err().path, "flags.t.targeting");
    }
}
