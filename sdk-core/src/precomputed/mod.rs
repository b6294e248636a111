//! Precomputed payloads (DESIGN §7): an edge worker evaluates every flag for one user and sends
//! only that user's results — no targeting rules, no other users' data; a client built from the
//! payload serves it and logs each exposure and decision when the app reads the flag.
//!
//! Format (`v` 1), one entry per flag in the config's order:
//!
//! ```json
//! {"v": 1, "revision": "2026-11-25.42", "metadata": {"flagSetId": "shop"}, "flags": [
//!   {"key": "checkout-button", "value": "green", "variant": "green", "reason": "SPLIT",
//!    "flagMetadata": {...},
//!    "experiment": {"key": "checkout-colors", "layer": "checkout", "variant": "green"},
//!    "unit": "user-1",
//!    "decision": {"policyId", "version", "digest", "decisionKey", "unit", "draw", "action",
//!                 "actionIndex", "propensity", "probabilities", "scores", "optimalityGap"}}]}
//! ```
//!
//! `metadata` is the flag set's (what a flag that is not in the payload reports). `value` is
//! absent (or null) when the caller's default is to be served; `errorCode` and
//! `errorMessage` come with reason `ERROR`; `experiment.skipped` names a unit problem;
//! `experiment.variant` is the assigned arm, which the exposure names (it differs from
//! `variant` when the arm failed); `unit` is present exactly when reading the flag logs an
//! exposure. Parsing checks every count, index and probability (see [`parse`]).

mod parse;
mod write;

use crate::evaluation::{ErrorCode, EvalOptions, Outcome};

pub(crate) use write::PayloadWriter;

/// The payload format version.
pub(crate) const PAYLOAD_VERSION: u64 = 1;

/// One flag's precomputed result.
#[derive(Debug, Clone)]
struct Entry {
    /// The outcome as the edge computed it, with indexes into the snapshot's tables.
    outcome: Outcome,
    /// The unit an exposure is logged for when the flag is read.
    unit: Option<Box<str>>,
}

/// A parsed payload, served by a snapshot built from it.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    entries: Vec<Entry>,
}

impl Payload {
    /// The precomputed outcome of flag `flag`. A decision was made at the edge with the options
    /// it was precomputed with; asking for other options (eligible actions, another decision
    /// key) is an error of that flag rather than a silently ignored request.
    pub(crate) fn serve(&self, flag: u32, options: &EvalOptions<'_>) -> Outcome {
        let Some(entry) = self.entries.get(flag as usize) else {
            return Outcome::error(Some(flag), ErrorCode::FlagNotFound, "flag not found");
        };
        let mut outcome = entry.outcome.clone();
        if let Some(decision) = &outcome.decision {
            if options.eligible_actions.is_some() || options.decision_key != &*decision.decision_key
            {
                outcome.fail(
                    ErrorCode::General,
                    "the precomputed decision cannot honour eligible actions or a decision key \
                     other than the one it was made with; evaluate with a config to apply them",
                );
            }
        }
        outcome
    }

    /// The unit reading flag `flag` logs an exposure for.
    pub(crate) fn unit(&self, flag: u32) -> Option<&str> {
        self.entries.get(flag as usize)?.unit.as_deref()
    }
}

pub(crate) use parse::parse;
