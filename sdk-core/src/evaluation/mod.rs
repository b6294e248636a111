//! Flag evaluation (DESIGN §3): OpenFeature evaluation details from a compiled config.

mod details;
mod flag;

pub(crate) use details::as_integer;
pub use details::{ErrorCode, EvalOptions, EvaluationDetails, ExperimentDetails, FlagType, Reason};
pub(crate) use flag::{resolve, Inputs};
