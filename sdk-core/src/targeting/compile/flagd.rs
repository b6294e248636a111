//! Compiling flagd's `fractional`, with the schema checks that need its structure.

use serde_json::Value;

use super::{index_path, Compiler};
use crate::targeting::node::{Args, Bucket, CatPart, FracKey, Fractional, Node, VarPath, Weight};
use crate::targeting::ops::flagd::{
    fixed_weight, literal_variant_invalid, weight_of, MAX_TOTAL_WEIGHT,
};
use crate::targeting::RuleProblem;

impl Compiler<'_> {
    pub(super) fn compile_fractional(
        &mut self,
        arg: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Node, RuleProblem> {
        let Some(items) = arg.as_array() else {
            self.compile(arg, path, depth + 1)?;
            self.warn(
                path,
                "`fractional` needs an array of arguments: it returns null",
            );
            return Ok(Node::Lit(Value::Null));
        };
        let mut always_null = false;
        let (key, bucket_items, offset) = match items.split_first() {
            None => {
                self.warn(
                    path,
                    "`fractional` needs at least one bucket: it returns null",
                );
                return Ok(Node::Lit(Value::Null));
            }
            Some((Value::Array(_), _)) => (FracKey::Implicit, items.as_slice(), 0),
            Some((first, rest)) => {
                let at = index_path(path, 0);
                let key = match first {
                    Value::String(s) => {
                        self.warn(&at, "flagd's schema expects the bucketing value to be a rule, like {\"cat\": [{\"var\": \"$flagd.flagKey\"}, {\"var\": \"email\"}]}; a literal string puts everyone in the same bucket");
                        self.count(&at, depth + 1)?;
                        FracKey::Literal(s.as_str().into())
                    }
                    Value::Null => {
                        self.warn(&at, "a null bucketing value means flagKey + targetingKey; leave it out instead");
                        self.count(&at, depth + 1)?;
                        FracKey::Implicit
                    }
                    Value::Object(_) => frac_key(self.compile(first, &at, depth + 1)?),
                    _ => {
                        self.warn(&at, "the bucketing value must be a rule or a bucket: `fractional` returns null");
                        always_null = true;
                        FracKey::Implicit
                    }
                };
                (key, rest, 1)
            }
        };
        // An expression may still produce the first bucket at run time.
        if bucket_items.is_empty() && !matches!(key, FracKey::Expr(_) | FracKey::Cat(_)) {
            self.warn(
                path,
                "`fractional` needs at least one bucket: it returns null",
            );
            always_null = true;
        }
        let mut buckets = Vec::with_capacity(bucket_items.len());
        for (i, item) in bucket_items.iter().enumerate() {
            let at = index_path(path, i + offset);
            match self.compile_bucket(item, &at, depth + 1)? {
                Some(bucket) => buckets.push(bucket),
                None => always_null = true,
            }
        }
        if always_null {
            return Ok(Node::Lit(Value::Null));
        }
        let mut cumulative = Vec::with_capacity(buckets.len());
        let mut total = 0u64;
        for bucket in &buckets {
            match fixed_weight(bucket) {
                Some(w) => {
                    total += w;
                    cumulative.push(total);
                }
                None => break,
            }
        }
        if cumulative.len() == buckets.len() && (total == 0 || total > MAX_TOTAL_WEIGHT) {
            self.warn(
                path,
                "the weights add up to 0 or to more than 2147483647: `fractional` returns null",
            );
        }
        let cumulative = (cumulative.len() == buckets.len()).then(|| cumulative.into_boxed_slice());
        Ok(Node::Fractional(Box::new(Fractional {
            key,
            buckets: buckets.into_boxed_slice(),
            cumulative,
        })))
    }

    /// One `[variant, weight?]`; `None` when it can never be valid (flagd then returns null).
    fn compile_bucket(
        &mut self,
        item: &Value,
        at: &str,
        depth: usize,
    ) -> Result<Option<Bucket>, RuleProblem> {
        let Value::Array(parts) = item else {
            if item.is_object() {
                self.warn(
                    at,
                    "flagd's schema expects a bucket to be [variant, weight]",
                );
                return Ok(Some(Bucket::Dynamic(self.compile(item, at, depth)?)));
            }
            self.warn(
                at,
                "a bucket must be [variant, weight]: `fractional` returns null",
            );
            return Ok(None);
        };
        self.count(at, depth)?;
        let Some(variant_raw) = parts.first() else {
            self.warn(at, "an empty bucket: `fractional` returns null");
            return Ok(None);
        };
        if parts.len() > 2 {
            self.warn(
                at,
                "flagd's schema expects a bucket to be [variant, weight]; the rest is ignored",
            );
        }
        let variant = self.compile(variant_raw, &index_path(at, 0), depth + 1)?;
        let mut valid = true;
        if literal_variant_invalid(&variant) {
            self.warn(
                &index_path(at, 0),
                "a variant must be a string, boolean, number or null: `fractional` returns null",
            );
            valid = false;
        }
        let weight_at = index_path(at, 1);
        let weight = match parts.get(1) {
            None => Weight::Fixed(1),
            Some(raw @ Value::Object(_)) => {
                Weight::Expr(self.compile(raw, &weight_at, depth + 1)?)
            }
            Some(raw) => {
                self.count(&weight_at, depth + 1)?;
                match (raw, weight_of(raw)) {
                    (Value::Number(n), Some(w)) => {
                        if n.as_f64().is_some_and(|f| f < 0.0) {
                            self.warn(&weight_at, "a negative weight counts as 0 (flagd's schema requires weights >= 0)");
                        }
                        Weight::Fixed(w)
                    }
                    (Value::Null, Some(w)) => {
                        self.warn(
                            &weight_at,
                            "flagd's schema expects an integer weight; null counts as 1",
                        );
                        Weight::Fixed(w)
                    }
                    _ => {
                        self.warn(&weight_at, "a weight must be a non-negative integer (at most 2147483647): `fractional` returns null");
                        valid = false;
                        Weight::Fixed(0)
                    }
                }
            }
        };
        Ok(valid.then_some(Bucket::Static { variant, weight }))
    }
}

/// The bucketing expression; a `cat` of parts is hashed part by part.
fn frac_key(node: Node) -> FracKey {
    match node {
        Node::Cat(Args::List(parts)) => FracKey::Cat(
            parts
                .into_vec()
                .into_iter()
                .map(|part| {
                    if is_flag_key_var(&part) {
                        CatPart::FlagKey(part)
                    } else {
                        CatPart::Other(part)
                    }
                })
                .collect(),
        ),
        other => FracKey::Expr(other),
    }
}

/// `{"var": "$flagd.flagKey"}` without a default.
fn is_flag_key_var(node: &Node) -> bool {
    match node {
        Node::Var(var) => {
            var.default.is_none()
                && matches!(&var.path, VarPath::Static(segments)
                    if segments.len() == 2
                        && segments.first().is_some_and(|s| &**s == "$flagd")
                        && segments.get(1).is_some_and(|s| &**s == "flagKey"))
        }
        _ => false,
    }
}
