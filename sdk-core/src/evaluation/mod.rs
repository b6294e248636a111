//! Flag evaluation (DESIGN §3): compact [`Outcome`]s from a snapshot, and OpenFeature
//! evaluation details built on them.

pub(crate) mod call;
pub(crate) mod codes;
mod details;
#[cfg(feature = "config")]
pub(crate) mod flag;
mod outcome;
pub(crate) mod typed;

pub use codes::{ErrorCode, Reason};
pub(crate) use details::{as_integer, SnapshotRef};
pub use details::{EvalOptions, EvaluationDetails, ExperimentDetails, FlagType};
pub(crate) use outcome::Message;
pub use outcome::{Outcome, OutcomeDecision};
