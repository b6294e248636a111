//! The library side of the `tandem` command: what other crates and tests reuse.
//!
//! - [`import`]: a library's model file (XGBoost JSON, LightGBM dump, scikit-learn linear export)
//!   to a policy bundle.
#![deny(missing_docs)]

pub mod import;
