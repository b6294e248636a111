//! Compiling flagd's `fractional`, with the schema checks that need its structure.
//!
//! Planning reads the argument list as written (warning about what flagd would reject or
//! ignore) and lists the expressions in it: the bucketing value when it is a rule, each
//! bucket's variant, each weight that is a rule, and each bucket that is a rule. Building
//! takes their compiled nodes back in the same order.

use serde_json::Value;

use super::plan::Build;
use super::{Child, Compiler, Entered};
use crate::json_checked::Tree;
use crate::targeting::node::{Args, Bucket, CatPart, FracKey, Fractional, Node, VarPath, Weight};
use crate::targeting::ops::flagd::{
    fixed_weight, literal_variant_invalid, weight_of, MAX_TOTAL_WEIGHT,
};
use crate::targeting::RuleProblem;

/// A `fractional` waiting for the expressions in it.
#[derive(Debug)]
pub(crate) struct Plan {
    path: String,
    /// The argument is not an array (compiled for its problems): the operator returns null.
    not_a_list: bool,
    key: KeyPlan,
    buckets: Vec<BucketPlan>,
    /// Something can never be valid: the operator returns null.
    always_null: bool,
}

#[derive(Debug)]
enum KeyPlan {
    Implicit,
    Literal(Box<str>),
    /// A rule: the first expression.
    Expr,
}

#[derive(Debug)]
enum BucketPlan {
    /// `[variant, weight?]`: the variant is an expression; the weight is fixed or one too.
    Static {
        variant_path: String,
        weight: WeightPlan,
    },
    /// A rule that must evaluate to `[variant, weight?]`.
    Dynamic,
}

#[derive(Debug)]
enum WeightPlan {
    Fixed(u64),
    Expr,
    /// flagd rejects it: the operator returns null.
    Invalid,
}

impl Compiler<'_> {
    pub(super) fn plan_fractional<'v>(
        &mut self,
        arg: &'v Tree<'v>,
        path: String,
        depth: usize,
    ) -> Result<Entered<'v>, RuleProblem> {
        let mut plan = Plan {
            path,
            not_a_list: false,
            key: KeyPlan::Implicit,
            buckets: Vec::new(),
            always_null: false,
        };
        let mut children = Vec::new();
        let Some(items) = arg.as_array() else {
            plan.not_a_list = true;
            children.push(Child {
                value: arg,
                path: plan.path.clone(),
                depth: depth + 1,
            });
            return Ok(Entered::Pending(
                Build::Fractional(Box::new(plan)),
                children,
            ));
        };
        let (bucket_items, offset) = match items.split_first() {
            None => {
                self.warn(
                    &plan.path,
                    "`fractional` needs at least one bucket: it returns null",
                );
                return Ok(Entered::Node(Node::Lit(Value::Null)));
            }
            Some((Tree::Array(_), _)) => (items, 0),
            Some((first, rest)) => {
                let at = self.index_path(&plan.path, 0);
                match first {
                    Tree::String(s) => {
                        self.warn(&at, "flagd's schema expects the bucketing value to be a rule, like {\"cat\": [{\"var\": \"$flagd.flagKey\"}, {\"var\": \"email\"}]}; a literal string puts everyone in the same bucket");
                        self.count(&at, depth + 1)?;
                        plan.key = KeyPlan::Literal((**s).into());
                    }
                    Tree::Null => {
                        self.warn(&at, "a null bucketing value means flagKey + targetingKey; leave it out instead");
                        self.count(&at, depth + 1)?;
                    }
                    Tree::Object(_) => {
                        plan.key = KeyPlan::Expr;
                        children.push(Child {
                            value: first,
                            path: at,
                            depth: depth + 1,
                        });
                    }
                    _ => {
                        self.warn(&at, "the bucketing value must be a rule or a bucket: `fractional` returns null");
                        plan.always_null = true;
                    }
                }
                (rest, 1)
            }
        };
        // A rule may still produce the first bucket at run time.
        if bucket_items.is_empty() && !matches!(plan.key, KeyPlan::Expr) {
            self.warn(
                &plan.path,
                "`fractional` needs at least one bucket: it returns null",
            );
            plan.always_null = true;
        }
        for (i, item) in bucket_items.iter().enumerate() {
            let at = self.index_path(&plan.path, i + offset);
            match self.plan_bucket(item, at, depth + 1, &mut children)? {
                Some(bucket) => plan.buckets.push(bucket),
                None => plan.always_null = true,
            }
        }
        Ok(Entered::Pending(
            Build::Fractional(Box::new(plan)),
            children,
        ))
    }

    /// One `[variant, weight?]` at level `depth`; `None` when it can never be valid (flagd
    /// then returns null).
    fn plan_bucket<'v>(
        &mut self,
        item: &'v Tree<'v>,
        at: String,
        depth: usize,
        children: &mut Vec<Child<'v>>,
    ) -> Result<Option<BucketPlan>, RuleProblem> {
        let Tree::Array(parts) = item else {
            if item.is_object() {
                self.warn(
                    &at,
                    "flagd's schema expects a bucket to be [variant, weight]",
                );
                children.push(Child {
                    value: item,
                    path: at,
                    depth,
                });
                return Ok(Some(BucketPlan::Dynamic));
            }
            self.warn(
                &at,
                "a bucket must be [variant, weight]: `fractional` returns null",
            );
            return Ok(None);
        };
        self.count(&at, depth)?;
        let Some(variant) = parts.first() else {
            self.warn(&at, "an empty bucket: `fractional` returns null");
            return Ok(None);
        };
        if parts.len() > 2 {
            self.warn(
                &at,
                "flagd's schema expects a bucket to be [variant, weight]; the rest is ignored",
            );
        }
        let variant_path = self.index_path(&at, 0);
        children.push(Child {
            value: variant,
            path: variant_path.clone(),
            depth: depth + 1,
        });
        let weight_at = self.index_path(&at, 1);
        let weight = match parts.get(1) {
            None => WeightPlan::Fixed(1),
            Some(raw @ Tree::Object(_)) => {
                children.push(Child {
                    value: raw,
                    path: weight_at,
                    depth: depth + 1,
                });
                WeightPlan::Expr
            }
            Some(raw) => {
                self.count(&weight_at, depth + 1)?;
                // Only null and numbers are weights; the run-time reader decides which.
                let weight = match raw {
                    Tree::Null => weight_of(&Value::Null),
                    Tree::Number(n) => weight_of(&Value::Number(n.clone())),
                    _ => None,
                };
                match (raw, weight) {
                    (Tree::Number(n), Some(w)) => {
                        if n.as_f64().is_some_and(|f| f < 0.0) {
                            self.warn(&weight_at, "a negative weight counts as 0 (flagd's schema requires weights >= 0)");
                        }
                        WeightPlan::Fixed(w)
                    }
                    (Tree::Null, Some(w)) => {
                        self.warn(
                            &weight_at,
                            "flagd's schema expects an integer weight; null counts as 1",
                        );
                        WeightPlan::Fixed(w)
                    }
                    _ => {
                        self.warn(&weight_at, "a weight must be a non-negative integer (at most 2147483647): `fractional` returns null");
                        WeightPlan::Invalid
                    }
                }
            }
        };
        Ok(Some(BucketPlan::Static {
            variant_path,
            weight,
        }))
    }

    pub(super) fn build_fractional(&mut self, plan: Plan, done: Vec<Node>) -> Node {
        if plan.not_a_list {
            self.warn(
                &plan.path,
                "`fractional` needs an array of arguments: it returns null",
            );
            return Node::Lit(Value::Null);
        }
        let mut nodes = done.into_iter();
        let mut next = || nodes.next().unwrap_or(Node::Lit(Value::Null));
        let key = match plan.key {
            KeyPlan::Implicit => FracKey::Implicit,
            KeyPlan::Literal(s) => FracKey::Literal(s),
            KeyPlan::Expr => frac_key(next()),
        };
        let mut always_null = plan.always_null;
        let mut buckets = Vec::with_capacity(plan.buckets.len());
        for bucket in plan.buckets {
            match bucket {
                BucketPlan::Dynamic => buckets.push(Bucket::Dynamic(next())),
                BucketPlan::Static {
                    variant_path,
                    weight,
                } => {
                    let variant = next();
                    let weight = match weight {
                        WeightPlan::Fixed(w) => Weight::Fixed(w),
                        WeightPlan::Expr => Weight::Expr(next()),
                        WeightPlan::Invalid => {
                            always_null = true;
                            Weight::Fixed(0)
                        }
                    };
                    if literal_variant_invalid(&variant) {
                        self.warn(
                            &variant_path,
                            "a variant must be a string, boolean, number or null: `fractional` returns null",
                        );
                        always_null = true;
                    }
                    buckets.push(Bucket::Static { variant, weight });
                }
            }
        }
        if always_null {
            return Node::Lit(Value::Null);
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
                &plan.path,
                "the weights add up to 0 or to more than 2147483647: `fractional` returns null",
            );
        }
        let cumulative = (cumulative.len() == buckets.len()).then(|| cumulative.into_boxed_slice());
        Node::Fractional(Box::new(Fractional {
            key,
            buckets: buckets.into_boxed_slice(),
            cumulative,
        }))
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
                && matches!(&var.path, VarPath::Static { segments, .. }
                    if segments.len() == 2
                        && segments.first().is_some_and(|s| &**s == "$flagd")
                        && segments.get(1).is_some_and(|s| &**s == "flagKey"))
        }
        _ => false,
    }
}
