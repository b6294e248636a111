//! The compact outcome encoding (docs/host-api.md, "Results in two forms"): each
//! [`tandem::Outcome`] becomes [`STRIDE`] `i32` slots that the JS side reads straight out of
//! wasm memory — indexes into the snapshot's tables (which JS caches per generation) and the
//! stable numeric codes. Strings cross only for what is rare: error messages and decisions.

use serde_json::{json, Value};
use tandem::{Outcome, OutcomeDecision, Snapshot};

/// Slots per outcome.
pub const STRIDE: usize = 10;
/// The flag's index in the snapshot (-1: not in it).
pub const SLOT_FLAG: usize = 0;
/// The served variant's index in the flag's variants (-1: the caller's default).
pub const SLOT_VARIANT: usize = 1;
/// `Reason::code()`.
pub const SLOT_REASON: usize = 2;
/// `ErrorCode::code()` (0: none).
pub const SLOT_ERROR: usize = 3;
/// The experiment's index (-1: none).
pub const SLOT_EXPERIMENT: usize = 4;
/// The holdout's index (-1: none).
pub const SLOT_HOLDOUT: usize = 5;
/// The skipped experiment's error code (0: none).
pub const SLOT_SKIPPED: usize = 6;
/// [`BIT_EXPOSED`], [`BIT_DECISION`], [`BIT_MESSAGE`].
pub const SLOT_BITS: usize = 7;
/// The deciding policy's index (-1: none).
pub const SLOT_POLICY: usize = 8;
/// The chosen action's index in the policy (-1: none).
pub const SLOT_ACTION: usize = 9;

/// Reading the flag logs an exposure.
pub const BIT_EXPOSED: i32 = 1;
/// A policy decided the value (reading it logs a decision).
pub const BIT_DECISION: i32 = 2;
/// The outcome has an error message.
pub const BIT_MESSAGE: i32 = 4;

fn index(value: Option<u32>) -> i32 {
    value.and_then(|v| i32::try_from(v).ok()).unwrap_or(-1)
}

/// Writes `outcome` into `out` (at least [`STRIDE`] slots; shorter slices are left as they
/// are). `has_message` says whether the outcome's snapshot gives it a message.
pub fn encode(outcome: &Outcome, has_message: bool, out: &mut [i32]) {
    let Some(out) = out.get_mut(..STRIDE) else {
        return;
    };
    let mut bits = 0;
    if outcome.exposed {
        bits |= BIT_EXPOSED;
    }
    if outcome.decision.is_some() {
        bits |= BIT_DECISION;
    }
    if has_message {
        bits |= BIT_MESSAGE;
    }
    let decision = outcome.decision.as_deref();
    let slots = [
        index(outcome.flag),
        index(outcome.variant),
        i32::from(outcome.reason.code()),
        outcome.error_code.map_or(0, |c| i32::from(c.code())),
        index(outcome.experiment),
        index(outcome.holdout),
        outcome.skipped.map_or(0, |c| i32::from(c.code())),
        bits,
        index(decision.map(|d| d.policy)),
        index(decision.map(|d| d.action)),
    ];
    out.copy_from_slice(&slots);
}

/// The error encoding of a failure found before evaluation (a context that does not hold
/// together): the caller's default, `ERROR`, `code`, with a message.
pub fn encode_error(flag: Option<u32>, code: tandem::ErrorCode, out: &mut [i32]) {
    let Some(out) = out.get_mut(..STRIDE) else {
        return;
    };
    out.copy_from_slice(&[
        index(flag),
        -1,
        i32::from(tandem::Reason::Error.code()),
        i32::from(code.code()),
        -1,
        -1,
        0,
        BIT_MESSAGE,
        -1,
        -1,
    ]);
}

/// A decision as the CLI prints it (`tandem::policy::Decision`'s JSON): what an off-policy
/// estimator needs, with the names from the snapshot's tables.
pub fn decision_json(snapshot: &Snapshot, decision: &OutcomeDecision) -> String {
    let (policy, action) = (decision.policy, decision.action);
    let value = json!({
        "policyId": snapshot.policy_id(policy),
        "version": snapshot.policy_version(policy),
        "digest": snapshot.policy_digest(policy),
        "decisionKey": &*decision.decision_key,
        "unit": &*decision.unit,
        "draw": decision.draw,
        "action": snapshot.action_key(policy, action),
        "actionIndex": action,
        "value": snapshot.action_value(policy, action).unwrap_or(&Value::Null),
        "propensity": decision.propensity,
        "probabilities": decision.probabilities,
        "scores": decision.scores,
        "optimalityGap": decision.optimality_gap,
    });
    // The same compact text as `Value`'s `Display`, through the `Vec<u8>` writer the rest of the
    // build already links: `Display` instantiates serde_json's serializer a second time, over a
    // `fmt::Formatter` (about 2 KB of wasm). A `Value` always serializes.
    serde_json::to_string(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_distinct_and_in_range() {
        let slots = [
            SLOT_FLAG,
            SLOT_VARIANT,
            SLOT_REASON,
            SLOT_ERROR,
            SLOT_EXPERIMENT,
            SLOT_HOLDOUT,
            SLOT_SKIPPED,
            SLOT_BITS,
            SLOT_POLICY,
            SLOT_ACTION,
        ];
        let mut sorted = slots.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), STRIDE);
        assert!(slots.iter().all(|&s| s < STRIDE));
    }
}
