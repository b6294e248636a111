//! The two ways a policy fails: a bundle that does not load, and a decision that cannot be made.

use std::fmt;

use crate::bucketing::UnitProblem;
use crate::error::{Error, ErrorKind};

/// Why a bundle was rejected at load: where (a JSON path relative to the bundle, such as
/// `scorer.linear.weights[2][7]`; empty for the bundle as a whole) and what.
///
/// The config loader prefixes the path with the bundle's place in the document
/// (`policies.checkout-cb.`). Messages never echo context values; they may quote the bundle's
/// own numbers and keys. Converts into [`Error`] with [`ErrorKind::InvalidConfig`] and the
/// message `path: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// JSON path of the offending value, relative to the bundle.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl BundleError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for BundleError {}

impl From<BundleError> for Error {
    fn from(error: BundleError) -> Self {
        Error::new(ErrorKind::InvalidConfig, error.to_string())
    }
}

/// Why a loaded bundle could not make a decision. The evaluation maps each to the flag's error
/// details; none of them is a problem of the bundle itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecisionError {
    /// The context has no value (or `null`) at the bundle's `unit` path: OpenFeature's
    /// `TARGETING_KEY_MISSING`.
    UnitMissing,
    /// The value at the `unit` path is not a unit (DESIGN §4: a boolean, a non-integral number,
    /// an empty string, an object or an array): OpenFeature's `INVALID_CONTEXT`.
    UnitInvalid,
    /// Entry `index` of the caller's eligible list is not an action key of the bundle.
    UnknownAction {
        /// Position in the eligible list.
        index: usize,
    },
    /// The caller's eligible list is empty.
    NoEligibleAction,
    /// The scorer produced a score that is not finite for action `action` (weights and features
    /// large enough to overflow f64); no probability can be derived from it.
    NonFiniteScore {
        /// Index of the action in the bundle's `actions`.
        action: usize,
    },
}

impl From<UnitProblem> for DecisionError {
    fn from(problem: UnitProblem) -> Self {
        match problem {
            UnitProblem::Missing => DecisionError::UnitMissing,
            UnitProblem::Invalid => DecisionError::UnitInvalid,
        }
    }
}

impl fmt::Display for DecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionError::UnitMissing => {
                f.write_str("the context has no unit at the policy's unit path")
            }
            DecisionError::UnitInvalid => f.write_str(
                "the context's value at the policy's unit path is not a unit \
                 (a non-empty string or an integer)",
            ),
            DecisionError::UnknownAction { index } => {
                write!(f, "eligible action {index} is not an action of the policy")
            }
            DecisionError::NoEligibleAction => f.write_str("no eligible action"),
            DecisionError::NonFiniteScore { action } => {
                write!(f, "the score of action {action} is not finite")
            }
        }
    }
}

impl std::error::Error for DecisionError {}
