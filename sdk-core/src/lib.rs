//! Tandem core: feature flags (a superset of OpenFeature's flagd format), experiments and
//! on-device personalization policies, evaluated locally with no network call per decision.
//!
//! The core is host-free: it does no I/O, reads no clock and draws no randomness. Time comes in
//! through [`Clock`], configuration as a JSON string, and results go out as plain values that
//! serialize cheaply across the WebAssembly and C boundaries.
//!
//! ```
//! use tandem::{Client, Context, FixedClock};
//!
//! let config = r#"{"flags": {"new-checkout": {
//!     "state": "ENABLED",
//!     "variants": {"on": true, "off": false},
//!     "defaultVariant": "off",
//!     "targeting": {"if": [{"==": [{"var": "country"}, "SE"]}, "on", null]}
//! }}}"#;
//! let client = Client::from_json(config, FixedClock::at_unix_seconds(1_700_000_000))?;
//! let ctx = Context::from_json(r#"{"targetingKey": "user-1", "country": "SE"}"#)?;
//! let details = client.get_bool("new-checkout", &ctx, false);
//! assert!(details.value);
//! assert_eq!(details.variant, Some("on"));
//! # Ok::<(), tandem::Error>(())
//! ```
#![deny(missing_docs)]

pub mod bucketing;
mod client;
mod clock;
pub mod config;
mod context;
mod error;
pub mod evaluation;
mod events;
mod experiments;
mod hashing;
mod json_checked;
mod json_path;
mod limits;
pub mod policy;
mod precomputed;
pub mod targeting;

pub use client::{Capacities, Client};
pub use clock::{Clock, FixedClock, Timestamp};
pub use config::{Config, Diagnostic, Severity};
pub use context::Context;
pub use error::{Error, ErrorKind};
pub use evaluation::{
    ErrorCode, EvalOptions, EvaluationDetails, ExperimentDetails, FlagType, Reason,
};
pub use events::{DecisionEvent, Event, Exposure, Stats, Track};
pub use limits::Limits;
