//! Events (DESIGN §6): evaluation hands them to the host through a bounded queue; the core does
//! no I/O. Hosts drain the queue and ship the events on a timer, on size, and when the app goes
//! to the background.

mod lru;
mod queue;

use serde::Serialize;
use serde_json::{Map, Value};

pub(crate) use lru::LruSet;
pub(crate) use queue::EventQueue;

/// One event for the host to ship. Serializes to JSON with a `type` of `exposure` or `track`.
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

/// A unit saw the variant an experiment assigned it. Logged once per (unit, flag, experiment,
/// variant) while that combination stays in the deduplication window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposure {
    /// The flag evaluated.
    pub flag: String,
    /// The variant served (absent when the caller's default was served).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The experiment that assigned it.
    pub experiment: String,
    /// The experiment's layer, when it has an explicit one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The holdout that caught the unit: it saw the default variant as the holdout's control.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holdout: Option<String>,
    /// The unit of randomisation, normalised (DESIGN §4).
    pub unit: String,
    /// `SPLIT`, or `DEFAULT` for a held-out unit.
    pub reason: &'static str,
    /// The config's `revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When, from the host clock: milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// A policy decision (DESIGN §6): the exposure's fields plus what the policy chose and with
/// which probability. Logged once per (unit, flag, variant, policy, action, decision key) while
/// that combination stays in the deduplication window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionEvent {
    /// The flag evaluated.
    pub flag: String,
    /// The variant whose policy ran.
    pub variant: String,
    /// The experiment that assigned the variant, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// That experiment's layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The unit the policy's draw used, normalised.
    pub unit: String,
    /// The evaluation's reason (`SPLIT`, `TARGETING_MATCH`, `STATIC`, ...).
    pub reason: &'static str,
    /// The config's `revision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// `<policy id>@<version>`.
    pub policy: String,
    /// The bundle's canonical digest.
    pub digest: String,
    /// The chosen action's key.
    pub action: String,
    /// `p(action | context)`.
    pub propensity: f64,
    /// Every action's probability, in bundle order.
    pub probabilities: Vec<f64>,
    /// Best eligible score minus the chosen action's score.
    pub optimality_gap: f64,
    /// The decision key mixed into the draw (empty unless the caller passed one).
    pub decision_key: String,
    /// When, from the host clock: milliseconds since the Unix epoch.
    pub timestamp: i64,
}

/// An outcome reported by the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Sticky assignments held for the host to persist.
    pub sticky_assignments: usize,
}
