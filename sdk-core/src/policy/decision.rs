//! The result of one policy decision: what was chosen, with everything an off-policy estimator
//! needs (DESIGN §5, §6 `decision` events).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

/// One decision of a [`super::Bundle`]. Borrows the bundle (keys, value, identity), the context
/// (the unit) and the decision key, so making it allocates only the two vectors; a decision read
/// back from an evaluation's details borrows those too.
///
/// Serializes to camelCase JSON:
/// `{"policyId", "version", "digest", "decisionKey", "unit", "draw", "action", "actionIndex",
/// "value", "propensity", "probabilities", "scores", "optimalityGap"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Decision<'a> {
    /// The bundle's `id`.
    pub policy_id: &'a str,
    /// The bundle's `version`, as text (an integer version in decimal).
    pub version: &'a str,
    /// The bundle's canonical digest (`xxh3-128:…`), computed at load.
    pub digest: &'a str,
    /// The decision key the caller passed (empty unless it randomises per request).
    pub decision_key: &'a str,
    /// The normalised unit the draw hashed (DESIGN §4).
    pub unit: Cow<'a, str>,
    /// The policy draw `u` in `[0, 1)`.
    pub draw: f64,
    /// The chosen action's key.
    pub action: &'a str,
    /// The chosen action's index in the bundle's `actions`.
    pub action_index: usize,
    /// The chosen action's value: what the flag serves.
    pub value: &'a Value,
    /// `p(action | context)`: the probability the exploration rule gave the chosen action,
    /// exactly as in `probabilities`.
    pub propensity: f64,
    /// The probability of every action in bundle order (0 for ineligible actions).
    pub probabilities: Cow<'a, [f64]>,
    /// The score of every action in bundle order, as exploration saw them (trees: after the
    /// bundle's link).
    pub scores: Cow<'a, [f64]>,
    /// The best eligible score minus the chosen action's score (0 when the best was chosen).
    pub optimality_gap: f64,
}
