//! Events (DESIGN §6): evaluation hands them to the host through a bounded queue; the core does
//! no I/O. Hosts drain the queue and ship the events on a timer, on size, and when the app goes
//! to the background.

mod log;
mod lru;
mod queue;

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) use log::EventLog;

/// One event for the host to ship. Serializes to JSON with a `type` of `exposure`, `decision` or
/// `track`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Event {
    /// A unit was exposed to an experiment's variant (or to its holdout).
    Exposure(Exposure),
    /// A policy bundle chose an action, with the exact propensity (for off-policy evaluation).
    Decision(DecisionEvent),
    /// An outcome the host reported (a conversion, a guardrail metric).
    Track(Track),
}

/// A unit saw the variant an experiment assigned it (DESIGN §6). Logged once per (unit, flag,
/// experiment, variant) while that combination stays in the deduplication window — also when
/// the assigned arm then failed, with the error code: the failure is an outcome of that arm.
///
/// Names are shared with the snapshot they came from (`Arc<str>`), so logging copies no
/// strings but the unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Exposure {
    /// The flag evaluated.
    pub flag: Arc<str>,
    /// The variant the experiment assigned (the default variant for a held-out unit); absent
    /// when a held-out unit met a flag without a default variant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<Arc<str>>,
    /// The experiment that assigned it.
    pub experiment: Arc<str>,
    /// The experiment's layer, when it has an explicit one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<Arc<str>>,
    /// The holdout that caught the unit: it saw the default variant as the holdout's control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Arc<str>>,
    /// The unit of randomisation, normalised (DESIGN §4).
    pub unit: String,
    /// `SPLIT`, `DEFAULT` for a held-out unit, or `ERROR` when the arm failed.
    pub reason: &'static str,
    /// What failed when the assigned arm could not be served (a policy error, a value of the
    /// wrong type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    /// The config's `revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Arc<str>>,
    /// When, from the host clock: milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// A policy decision (DESIGN §6): the exposure's fields plus what the policy chose and with
/// which probability. Every decision is logged — never deduplicated, and not in the exposure's
/// deduplication window — since each carries its own propensity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DecisionEvent {
    /// The flag evaluated.
    pub flag: Arc<str>,
    /// The variant whose policy ran.
    pub variant: Arc<str>,
    /// The experiment that assigned the variant, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Arc<str>>,
    /// That experiment's layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<Arc<str>>,
    /// The holdout that caught the unit, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Arc<str>>,
    /// The experiment's unit when an experiment assigned the variant, else the policy's.
    pub unit: String,
    /// The policy's own unit, when it differs from `unit` (the bundle draws on another context
    /// path than the experiment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_unit: Option<String>,
    /// The evaluation's reason (`SPLIT`, `TARGETING_MATCH`, `STATIC`, ...).
    pub reason: &'static str,
    /// The config's `revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Arc<str>>,
    /// `<policy id>@<version>`.
    pub policy: Arc<str>,
    /// The bundle's canonical digest.
    pub digest: Arc<str>,
    /// The chosen action's key.
    pub action: Arc<str>,
    /// `p(action | context)`.
    pub propensity: f64,
    /// Every action's probability, in bundle order.
    pub probabilities: Vec<f64>,
    /// Best eligible score minus the chosen action's score.
    pub optimality_gap: f64,
    /// The decision key mixed into the draw (empty unless the caller passed one).
    pub decision_key: String,
    /// For a bundle with `log_context`: the context values it read, by path, so that other
    /// bundles can be evaluated on the logged decisions (off-policy evaluation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
    /// `true` when the bundle asked for its context but it was over
    /// `Limits::max_decision_context_bytes` and left out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub context_omitted: bool,
    /// When, from the host clock: milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// An outcome reported by the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Track {
    /// The metric's name (`purchase`, `refund`, `latency_ms`).
    pub name: String,
    /// The unit it belongs to.
    pub unit: String,
    /// A numeric value (revenue, a latency), when the metric has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Free-form properties.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// When, from the host clock: milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// Counters about the client's bounded state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Events waiting to be drained.
    pub queued: usize,
    /// Events dropped (oldest first) because the queue was full, since the client started.
    pub dropped: u64,
    /// Exposures not queued because the same one was logged recently.
    pub deduplicated: u64,
    /// Decision events queued since the client started (every decision is logged).
    pub decisions: u64,
    /// Sticky assignments held for the host to persist.
    pub sticky_assignments: usize,
}
