//! The workloads' flagd flags as a small model, so each converter writes its engine's format from
//! the same reading of the file.
//!
//! Only the shapes the workloads use are accepted — a static flag, `if` over `>=` and `in` on
//! `var`s (alone or under one `and`), and `fractional` on the targeting key — and anything else
//! is an error naming its JSON path: a converter that silently approximated a rule would make the
//! engines compare different work.

use serde_json::{Map, Number, Value};

use crate::Error;

/// A flagd document: its flags in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The flags, in the order of the file.
    pub flags: Vec<Flag>,
}

/// One flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// The flag's key.
    pub key: String,
    /// Variant names and values, in file order.
    pub variants: Vec<(String, Value)>,
    /// The variant served when targeting does not choose one.
    pub default_variant: String,
    /// How a variant is chosen.
    pub rule: Rule,
}

/// How a flag chooses its variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Always the default variant.
    Static,
    /// `if` all conditions hold, `then_variant`, else `else_variant`.
    Targeted {
        /// Conditions, all of which must hold.
        conditions: Vec<Condition>,
        /// The variant when they hold.
        then_variant: String,
        /// The variant when one fails.
        else_variant: String,
    },
    /// flagd's `fractional` on the targeting key: variants and integer weights.
    Split(Vec<(String, u32)>),
}

/// One condition of a targeted flag.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `{">=": [{"var": attribute}, min]}`.
    AtLeast {
        /// The context attribute.
        attribute: String,
        /// The threshold.
        min: Number,
    },
    /// `{"in": [{"var": attribute}, [values]]}`.
    OneOf {
        /// The context attribute.
        attribute: String,
        /// The accepted strings.
        values: Vec<String>,
    },
}

/// The JSON type all of a flag's variant values share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Booleans.
    Bool,
    /// Strings.
    Str,
}

impl Flag {
    /// The value of a variant of this flag.
    pub fn value_of(&self, variant: &str) -> Option<&Value> {
        self.variants
            .iter()
            .find(|(name, _)| name == variant)
            .map(|(_, value)| value)
    }

    /// The type of the flag's values.
    ///
    /// # Errors
    /// When the values are not all booleans or all strings (no workload has such a flag).
    pub fn kind(&self) -> Result<ValueKind, Error> {
        let path = format!("flags.{}.variants", self.key);
        let mut kinds = self.variants.iter().map(|(_, value)| match value {
            Value::Bool(_) => Ok(ValueKind::Bool),
            Value::String(_) => Ok(ValueKind::Str),
            _ => Err(Error::at(
                &path,
                "only boolean and string variants are converted",
            )),
        });
        let first = kinds
            .next()
            .ok_or_else(|| Error::at(&path, "a flag needs at least one variant"))??;
        for kind in kinds {
            if kind? != first {
                return Err(Error::at(
                    &path,
                    "variants of mixed types are not converted",
                ));
            }
        }
        Ok(first)
    }
}

impl Document {
    /// Reads a flagd document.
    ///
    /// # Errors
    /// Text that is not JSON, a flag that is not `ENABLED`, or a targeting shape outside the
    /// ones the workloads use, with the JSON path of the problem.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| Error::at("", format!("not JSON: {e}")))?;
        let flags = root
            .get("flags")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::at("flags", "missing or not an object"))?;
        let flags = flags
            .iter()
            .map(|(key, flag)| parse_flag(key, flag))
            .collect::<Result<_, _>>()?;
        Ok(Self { flags })
    }

    /// The flag with this key.
    pub fn flag(&self, key: &str) -> Option<&Flag> {
        self.flags.iter().find(|flag| flag.key == key)
    }
}

fn parse_flag(key: &str, flag: &Value) -> Result<Flag, Error> {
    let path = format!("flags.{key}");
    let object = flag
        .as_object()
        .ok_or_else(|| Error::at(&path, "not an object"))?;
    if object.get("state").and_then(Value::as_str) != Some("ENABLED") {
        return Err(Error::at(
            format!("{path}.state"),
            "only ENABLED flags are converted",
        ));
    }
    let variants = object
        .get("variants")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::at(format!("{path}.variants"), "missing or not an object"))?
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect::<Vec<_>>();
    let default_variant = object
        .get("defaultVariant")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::at(format!("{path}.defaultVariant"), "missing or not a string"))?
        .to_owned();
    let rule = match object.get("targeting") {
        None => Rule::Static,
        Some(Value::Object(t)) if t.is_empty() => Rule::Static,
        Some(targeting) => parse_targeting(&format!("{path}.targeting"), targeting)?,
    };
    let flag = Flag {
        key: key.to_owned(),
        variants,
        default_variant,
        rule,
    };
    check_variants(&path, &flag)?;
    Ok(flag)
}

/// Every variant a flag names must exist: a converter would otherwise write a dangling reference.
fn check_variants(path: &str, flag: &Flag) -> Result<(), Error> {
    let named: Vec<&str> = match &flag.rule {
        Rule::Static => vec![],
        Rule::Targeted {
            then_variant,
            else_variant,
            ..
        } => vec![then_variant, else_variant],
        Rule::Split(arms) => arms.iter().map(|(name, _)| name.as_str()).collect(),
    };
    for name in named.into_iter().chain([flag.default_variant.as_str()]) {
        if flag.value_of(name).is_none() {
            return Err(Error::at(
                path,
                format!("names an unknown variant `{name}`"),
            ));
        }
    }
    Ok(())
}

fn single_key<'a>(path: &str, value: &'a Value) -> Result<(&'a str, &'a Value), Error> {
    let object: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| Error::at(path, "expected an operator object"))?;
    let mut entries = object.iter();
    match (entries.next(), entries.next()) {
        (Some((op, args)), None) => Ok((op, args)),
        _ => Err(Error::at(path, "expected exactly one operator")),
    }
}

fn parse_targeting(path: &str, targeting: &Value) -> Result<Rule, Error> {
    match single_key(path, targeting)? {
        ("if", Value::Array(args)) => {
            let [condition, Value::String(then_variant), Value::String(else_variant)] =
                args.as_slice()
            else {
                return Err(Error::at(
                    format!("{path}.if"),
                    "expected [condition, then variant, else variant]",
                ));
            };
            let conditions = parse_conditions(&format!("{path}.if[0]"), condition)?;
            Ok(Rule::Targeted {
                conditions,
                then_variant: then_variant.clone(),
                else_variant: else_variant.clone(),
            })
        }
        ("fractional", Value::Array(arms)) => {
            let arms = arms
                .iter()
                .enumerate()
                .map(|(i, arm)| parse_arm(&format!("{path}.fractional[{i}]"), arm))
                .collect::<Result<Vec<_>, _>>()?;
            if arms.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
                return Err(Error::at(
                    format!("{path}.fractional"),
                    "weights sum to zero",
                ));
            }
            Ok(Rule::Split(arms))
        }
        (op, _) => Err(Error::at(path, format!("operator `{op}` is not converted"))),
    }
}

fn parse_arm(path: &str, arm: &Value) -> Result<(String, u32), Error> {
    match arm.as_array().map(Vec::as_slice) {
        Some([Value::String(variant), Value::Number(weight)]) => weight
            .as_u64()
            .and_then(|w| u32::try_from(w).ok())
            .map(|w| (variant.clone(), w))
            .ok_or_else(|| Error::at(path, "weight is not a small non-negative integer")),
        // The form with a bucketing expression first is not used by the workloads.
        _ => Err(Error::at(path, "expected [variant, weight]")),
    }
}

fn parse_conditions(path: &str, condition: &Value) -> Result<Vec<Condition>, Error> {
    match single_key(path, condition)? {
        ("and", Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(i, part)| parse_condition(&format!("{path}.and[{i}]"), part))
            .collect(),
        _ => Ok(vec![parse_condition(path, condition)?]),
    }
}

fn var_name<'a>(path: &str, value: &'a Value) -> Result<&'a str, Error> {
    match single_key(path, value)? {
        ("var", Value::String(name)) if !name.is_empty() && !name.contains('.') => Ok(name),
        _ => Err(Error::at(
            path,
            "expected {\"var\": \"name\"} of a top-level attribute",
        )),
    }
}

fn parse_condition(path: &str, condition: &Value) -> Result<Condition, Error> {
    match single_key(path, condition)? {
        (">=", Value::Array(args)) => match args.as_slice() {
            [var, Value::Number(min)] => Ok(Condition::AtLeast {
                attribute: var_name(&format!("{path}.>=[0]"), var)?.to_owned(),
                min: min.clone(),
            }),
            _ => Err(Error::at(format!("{path}.>="), "expected [var, number]")),
        },
        ("in", Value::Array(args)) => match args.as_slice() {
            [var, Value::Array(values)] => Ok(Condition::OneOf {
                attribute: var_name(&format!("{path}.in[0]"), var)?.to_owned(),
                values: values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            Error::at(format!("{path}.in[1][{i}]"), "expected a string")
                        })
                    })
                    .collect::<Result<_, _>>()?,
            }),
            _ => Err(Error::at(format!("{path}.in"), "expected [var, [strings]]")),
        },
        (op, _) => Err(Error::at(
            path,
            format!("condition `{op}` is not converted"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_shapes() {
        let doc = Document::parse(
            r#"{"flags": {
              "s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
              "t": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                    "targeting": {"if": [{"and": [{">=": [{"var": "age"}, 18]},
                                                  {"in": [{"var": "country"}, ["SE", "NO"]]}]}, "on", "off"]}},
              "f": {"state": "ENABLED", "variants": {"a": "a", "b": "b"}, "defaultVariant": "a",
                    "targeting": {"fractional": [["a", 60], ["b", 40]]}}
            }}"#,
        )
        .unwrap();
        assert_eq!(doc.flags.len(), 3);
        assert_eq!(doc.flags[0].rule, Rule::Static);
        assert_eq!(doc.flags[0].kind().unwrap(), ValueKind::Bool);
        assert_eq!(
            doc.flags[1].rule,
            Rule::Targeted {
                conditions: vec![
                    Condition::AtLeast {
                        attribute: "age".into(),
                        min: 18.into()
                    },
                    Condition::OneOf {
                        attribute: "country".into(),
                        values: vec!["SE".into(), "NO".into()]
                    },
                ],
                then_variant: "on".into(),
                else_variant: "off".into(),
            }
        );
        assert_eq!(
            doc.flags[2].rule,
            Rule::Split(vec![("a".into(), 60), ("b".into(), 40)])
        );
        assert_eq!(doc.flags[2].kind().unwrap(), ValueKind::Str);
    }

    #[test]
    fn refuses_what_it_cannot_convert_with_the_path() {
        let error = Document::parse(
            r#"{"flags": {"x": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                "targeting": {"if": [{"==": [{"var": "plan"}, "pro"]}, "on", "on"]}}}}"#,
        )
        .unwrap_err();
        assert_eq!(error.path, "flags.x.targeting.if[0]");
        let error = Document::parse(
            r#"{"flags": {"x": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on",
                "targeting": {"fractional": [["on", 50], ["off", 50]]}}}}"#,
        )
        .unwrap_err();
        assert_eq!(error.path, "flags.x");
        assert!(error.message.contains("off"));
        let error = Document::parse(
            r#"{"flags": {"x": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
        )
        .unwrap_err();
        assert_eq!(error.path, "flags.x.state");
    }
}
