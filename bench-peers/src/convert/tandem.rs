//! Tandem's native form of a split: instead of a `fractional` rule, a flag with no targeting and
//! a running experiment that allocates its variants on the targeting key (DESIGN §2). Reading
//! such a flag logs an exposure (deduplicated per unit), which `fractional` does not: the bench
//! names these rows "experiment".

use serde_json::{json, Map, Value};

use crate::flagd::{Document, Rule};
use crate::Error;

/// The flagd text with every `fractional` flag turned into an experiment named
/// `<flag>-experiment` with the same weights; the other flags are kept as they are.
///
/// # Errors
/// Text that [`Document::parse`] refuses.
pub fn experiments(text: &str) -> Result<Value, Error> {
    let doc = Document::parse(text)?;
    let mut root: Value =
        serde_json::from_str(text).map_err(|e| Error::at("", format!("not JSON: {e}")))?;
    let mut experiments = Map::new();
    for flag in &doc.flags {
        let Rule::Split(arms) = &flag.rule else {
            continue;
        };
        if let Some(object) = root
            .get_mut("flags")
            .and_then(|flags| flags.get_mut(&flag.key))
            .and_then(Value::as_object_mut)
        {
            object.remove("targeting");
        }
        experiments.insert(
            format!("{}-experiment", flag.key),
            json!({
                "flag": flag.key,
                "status": "running",
                "unit": "targetingKey",
                "allocation": arms.iter().map(|(v, w)| json!([v, w])).collect::<Vec<_>>(),
            }),
        );
    }
    if let Some(object) = root.as_object_mut() {
        object.insert("experiments".into(), Value::Object(experiments));
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_becomes_an_experiment() {
        let config = experiments(
            r#"{"flags": {
              "s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
              "f": {"state": "ENABLED", "variants": {"a": "x", "b": "y"}, "defaultVariant": "a",
                    "targeting": {"fractional": [["a", 60], ["b", 40]]}}
            }}"#,
        )
        .unwrap();
        assert_eq!(
            config,
            json!({
                "flags": {
                    "s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
                    "f": {"state": "ENABLED", "variants": {"a": "x", "b": "y"}, "defaultVariant": "a"}
                },
                "experiments": {"f-experiment": {
                    "flag": "f", "status": "running", "unit": "targetingKey",
                    "allocation": [["a", 60], ["b", 40]]
                }}
            })
        );
    }
}
