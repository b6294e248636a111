//! The canonical split, served without walking its rule.
//!
//! flagd writes a split as `{"fractional": [["a", 50], ["b", 50]]}`: bucketed on the implicit
//! `flagKey ‖ targetingKey`, every variant and weight a literal. A flag whose whole targeting has
//! that shape keeps a [`Split`] beside its rule: the cumulative weights and the flag variant each
//! bucket names. Serving it does what evaluating the rule does — the same hash, the same bucket,
//! the same budget charges in the same order, so the same errors — without the walk, the result
//! value and the variant-name lookup, which were most of a split flag's cost when every flag is
//! evaluated (`evaluate_all`). `tests::split_serves_what_its_rule_serves` evaluates both ways.

use serde_json::Value;

use super::budget::{Budget, NODE};
use super::node::{Bucket, FracKey, Node};
use super::ops::flagd::{implicit_key_hash, literal_bucket, TARGETING_KEY_HASH};
use super::{EvalError, Rule};
use crate::context::Context;

/// A flag's canonical split: see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Split {
    /// The running sums of the buckets' weights.
    cumulative: Box<[u64]>,
    /// The flag variant (an index into the flag's variants) of each bucket.
    variants: Box<[usize]>,
}

impl Split {
    /// The split `rule` is, when it is exactly `fractional` on the implicit value with literal
    /// weights and literal string variants that `variant_index` all finds; `None` otherwise (the
    /// rule is then evaluated as it is).
    pub(crate) fn of(rule: &Rule, variant_index: impl Fn(&str) -> Option<usize>) -> Option<Self> {
        let Node::Fractional(frac) = rule.root() else {
            return None;
        };
        let (FracKey::Implicit, Some(cumulative)) = (&frac.key, &frac.cumulative) else {
            return None;
        };
        let variants = frac
            .buckets
            .iter()
            .map(|bucket| match bucket {
                Bucket::Static {
                    variant: Node::Lit(Value::String(name)),
                    ..
                } => variant_index(name),
                _ => None,
            })
            .collect::<Option<Box<[usize]>>>()?;
        Some(Self {
            cumulative: cumulative.clone(),
            variants,
        })
    }

    /// The variant to serve for `ctx` (`Ok(None)`: the rule returns null, so the flag goes on
    /// to its default), paying from `budget` what evaluating the rule pays: the `fractional`
    /// node, the hashed bytes, the chosen literal.
    pub(crate) fn variant(
        &self,
        ctx: &Context,
        flag_key: &str,
        budget: &Budget,
    ) -> Result<Option<usize>, EvalError> {
        budget.charge(NODE)?;
        let hash = implicit_key_hash(
            ctx.get_hashed("targetingKey", TARGETING_KEY_HASH),
            flag_key,
            budget,
        )?;
        let Some(bucket) = literal_bucket(&hash, &self.cumulative) else {
            return Ok(None);
        };
        budget.charge(NODE)?;
        Ok(self.variants.get(bucket).copied())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::{Config, Entity};
    use crate::evaluation::EvalOptions;
    use crate::snapshot::Snapshot;
    use crate::{Client, Context, FixedClock, Limits, Reason};

    /// Splits of every shape beside ones that only look like splits; the variants are `a`, `b`,
    /// `c`.
    fn config() -> String {
        let split = |buckets: serde_json::Value| {
            json!({
                "state": "ENABLED",
                "variants": {"a": "A", "b": "B", "c": "C"},
                "defaultVariant": "c",
                "targeting": {"fractional": buckets},
            })
        };
        json!({"flags": {
            "even": split(json!([["a", 50], ["b", 50]])),
            "three": split(json!([["a", 34], ["b", 33], ["c", 33]])),
            "unweighted": split(json!([["a"], ["b"]])),
            "zero-total": split(json!([["a", 0], ["b", 0]])),
            "over-total": split(json!([["a", 2_147_483_647_u64], ["b", 1]])),
            "unknown-name": split(json!([["a", 50], ["zzz", 50]])),
            "explicit-key": split(json!([{"var": "email"}, ["a", 50], ["b", 50]])),
            "boolean-names": split(json!([[true, 50], [false, 50]])),
        }})
        .to_string()
    }

    fn contexts() -> Vec<Context> {
        let mut contexts = vec![Context::new()];
        for key in [
            json!(""),
            json!(42),
            json!(null),
            json!(true),
            json!(["user-1"]),
            json!("ünïcødé-✓"),
            // Long keys: many whole blocks after the one they may share with the flag key.
            json!("k".repeat(53)),
            json!("k".repeat(200)),
            // More bytes than one flag's budget pays for hashing: an error either way.
            json!("k".repeat(600_000)),
        ]
        .into_iter()
        // Around the exact length where the hashed bytes exhaust the budget (2 bytes a unit,
        // 250,000 units less the two nodes): the two ways must pay alike to agree there.
        .chain((499_980..=500_000).map(|n| json!("k".repeat(n))))
        {
            let mut ctx = Context::new();
            ctx.set_value("targetingKey", key).expect("a context value");
            contexts.push(ctx);
        }
        for i in 0..500 {
            let mut ctx = Context::new();
            ctx.set_str("targetingKey", &format!("user-{i}"));
            ctx.set_str("email", &format!("u{i}@example.com"));
            contexts.push(ctx);
        }
        contexts
    }

    #[test]
    fn split_serves_what_its_rule_serves() {
        let text = config();
        let limits = Limits::default();
        let with_splits = Snapshot::from_config(Config::parse(&text, &limits).expect("loads"), 1);
        let mut config = Config::parse(&text, &limits).expect("loads");
        let mut splits = Vec::new();
        for (key, entity) in &mut config.flags {
            if let Entity::Ready(flag) = entity {
                if flag.split.take().is_some() {
                    splits.push(key.to_string());
                }
            }
        }
        // The canonical shapes have a split; the look-alikes do not.
        splits.sort();
        assert_eq!(
            splits,
            ["even", "over-total", "three", "unweighted", "zero-total"]
        );
        let rules_only = Snapshot::from_config(config, 2);

        let client =
            Client::from_json(&text, FixedClock::at_unix_seconds(1_795_000_000), 7).expect("loads");
        let call = client.call(&EvalOptions::default());
        let mut reasons = Vec::new();
        for ctx in contexts() {
            for flag in 0..u32::try_from(with_splits.flag_count()).expect("few flags") {
                let served = with_splits.outcome(flag, &ctx, &call);
                assert_eq!(
                    served,
                    rules_only.outcome(flag, &ctx, &call),
                    "flag {:?}, targetingKey {:?}",
                    with_splits.flag_key(flag),
                    ctx.targeting_key()
                        .map(|k| k.chars().take(20).collect::<String>())
                );
                reasons.push(served.reason);
            }
        }
        // Every way out of a split was taken: a bucket, null (the default), an error.
        for reason in [Reason::TargetingMatch, Reason::Default, Reason::Error] {
            assert!(reasons.contains(&reason), "no {reason:?}");
        }
    }
}
