//! One converter per engine, from the flagd model to the engine's own config format (the JSON
//! its SDK receives from its server), so each engine loads its native form of the same flags.
//!
//! What carries over and what does not:
//! - static and targeted flags mean the same in every engine, and the bench checks that every
//!   engine serves the value Tandem serves;
//! - a `fractional` split becomes the engine's own weighted split on the targeting key, whose
//!   hash differs per engine (murmur3, MD5, FNV): the same weights, other users in each arm, so
//!   the bench checks the proportions instead.

pub mod eppo;
pub mod growthbook;
pub mod tandem;
pub mod unleash;

use serde_json::Value;

use crate::flagd::{Flag, ValueKind};
use crate::Error;

/// The value of a variant the flag is known to have ([`crate::flagd::Document::parse`] checked
/// every name).
fn value<'f>(flag: &'f Flag, variant: &str) -> Result<&'f Value, Error> {
    flag.value_of(variant).ok_or_else(|| {
        Error::at(
            format!("flags.{}", flag.key),
            format!("names an unknown variant `{variant}`"),
        )
    })
}

/// A boolean flag's value for a variant.
fn bool_value(flag: &Flag, variant: &str) -> Result<bool, Error> {
    value(flag, variant)?.as_bool().ok_or_else(|| {
        Error::at(
            format!("flags.{}.variants.{variant}", flag.key),
            "expected a boolean",
        )
    })
}

fn expect_kind(flag: &Flag, wanted: ValueKind, what: &str) -> Result<(), Error> {
    if flag.kind()? == wanted {
        Ok(())
    } else {
        Err(Error::at(
            format!("flags.{}", flag.key),
            format!("{what} is converted for {wanted:?} values only"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::flagd::Document;

    /// A static flag, a targeted one and a split: what every converter's test converts.
    pub(super) fn three_shapes() -> Document {
        Document::parse(
            r#"{"flags": {
              "s": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"},
              "t": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                    "targeting": {"if": [{"and": [{">=": [{"var": "age"}, 18]},
                                                  {"in": [{"var": "country"}, ["SE", "NO"]]}]}, "on", "off"]}},
              "f": {"state": "ENABLED", "variants": {"a": "x", "b": "y"}, "defaultVariant": "a",
                    "targeting": {"fractional": [["a", 60], ["b", 40]]}}
            }}"#,
        )
        .expect("the fixture parses")
    }
}
