//! Policy bundles (DESIGN §5, docs/policy-bundles.md): compact models exported by the ML stack
//! that pick an action from the user's context, with an exact logged propensity. This module
//! knows nothing of experiments; the evaluation layer joins the two.
//!
//! A decision is: [`features`](Bundle::features) (the context → a vector `x` of `d` numbers),
//! a scorer (`linear`, `mlp` or `trees`: `x` → one score per action), an exploration rule
//! (scores → probabilities), and the policy draw of DESIGN §4 walked through the cumulative
//! probabilities. [`Bundle::from_value`] validates all of it at load, so [`Bundle::decide`]
//! fails only on what the caller passes (the context's unit, the eligible actions).
//!
//! Errors: loading returns a [`BundleError`] (a JSON path relative to the bundle and a
//! message; it converts into [`crate::Error`] of kind `InvalidConfig`), deciding a
//! [`DecisionError`].

mod bundle;
mod decision;
mod digest;
mod error;
mod exploration;
mod features;
mod lookup;
mod read;
mod scorer;
pub mod trees;
mod values;

pub use bundle::{Action, Bundle};
pub use decision::Decision;
pub use digest::{canonical_digest, canonical_json};
pub use error::{BundleError, DecisionError};
pub(crate) use exploration::MAX_ACTIONS;
