//! Tandem core: feature flags (a superset of OpenFeature's flagd format), experiments and
//! on-device personalization policies, evaluated locally with no network call per decision.
//!
//! # API themes
//!
//! - **Host-free.** The core does no I/O, reads no clock and draws no randomness: time comes in
//!   through a [`Clock`] (or [`EvalOptions::now`]), entropy as an argument of
//!   [`Client::new`], configuration as JSON text, and events go out through
//!   [`Client::drain_events`].
//! - **One client, many threads.** [`Client`] is `Send + Sync` and every method takes `&self`.
//!   Its config lives in an immutable [`Snapshot`] behind an `Arc`: [`Client::update`] parses
//!   with no lock held and swaps the pointer, so evaluating threads never wait for a parse and a
//!   failed update keeps the last good snapshot serving. The event queue, the exposure
//!   deduplication and the sticky assignments live beside the snapshot and survive updates.
//! - **What borrows what.** [`EvaluationDetails`] holds the snapshot it read (an `Arc`), or
//!   borrows the one a [`Reader`] holds ([`Client::reader`]: the snapshot is loaded once for a
//!   run of evaluations, with no reference counting per call); its strings stay valid however
//!   the client is updated meanwhile. An [`Outcome`] is a handful of indexes into the snapshot that
//!   produced it ([`Client::evaluate_all`] returns that snapshot), read back with the snapshot's
//!   accessors ([`Snapshot::flag_key`], [`Snapshot::variant_json`], ...), whose JSON text is
//!   serialized once at load so hosts cache it once per [`Snapshot::generation`].
//! - **What never fails.** Evaluation never panics and never returns an error: every failure is
//!   a [`Reason`] and an [`ErrorCode`], with the caller's default as the value. Loading,
//!   parsing and the size limits ([`Limits`]) return an [`Error`] whose [`ErrorKind`] has a
//!   stable number; so do [`Reason`] and [`ErrorCode`] (`code()`), which every binding uses.
//! - **Contexts.** A [`Context`] is built from JSON or attribute by attribute with typed
//!   setters, or filled from `(attribute index, typed value)` pairs of the snapshot's
//!   [`Attributes`] — the paths its rules, experiments and policies read — without JSON text.
//!   One path resolver with JSON Logic `var` semantics reads it everywhere.
//! - **Two evaluation paths.** Dynamic context: [`Client::evaluate`] and the typed getters
//!   ([`Client::get_bool`], ...) evaluate one flag and log its exposure and decision.
//!   Static context: [`Client::evaluate_all`] evaluates every flag and logs nothing; the host
//!   caches the outcomes and calls [`Client::record_read`] when the app first reads one.
//!   [`Client::precompute_into`] writes one user's payload for [`Client::from_precomputed`].
//! - **Features.** `config` (default): the config loader and the JSON Logic targeting engine,
//!   for edge workers, servers and apps that hold rules. Without it the core serves precomputed
//!   payloads and runs policy bundles (the browser client build).
//!
//! ```
//! # #[cfg(feature = "config")] {
//! use tandem::{Client, Context, FixedClock};
//!
//! let config = r#"{"flags": {"new-checkout": {
//!     "state": "ENABLED",
//!     "variants": {"on": true, "off": false},
//!     "defaultVariant": "off",
//!     "targeting": {"if": [{"==": [{"var": "country"}, "SE"]}, "on", null]}
//! }}}"#;
//! let client = Client::from_json(config, FixedClock::at_unix_seconds(1_700_000_000), 42)?;
//! let ctx = Context::from_json(r#"{"targetingKey": "user-1", "country": "SE"}"#)?;
//! let details = client.get_bool("new-checkout", &ctx, false);
//! assert!(details.value);
//! assert_eq!(details.variant(), Some("on"));
//! # }
//! # Ok::<(), tandem::Error>(())
//! ```
#![deny(missing_docs)]
// Without `config`, the parts of the shared machinery that only rules and experiments use are
// idle; the default build (with `config`, the one clippy checks) still reports dead code.
#![cfg_attr(not(feature = "config"), allow(dead_code, unused_variables))]

pub mod bucketing;
mod client;
mod clock;
#[cfg(feature = "config")]
pub mod config;
mod context;
mod error;
pub mod evaluation;
mod events;
mod experiments;
mod float_text;
mod hashing;
mod json_checked;
mod json_path;
mod limits;
pub mod policy;
mod precomputed;
mod reader;
mod snapshot;
mod sort;
#[cfg(feature = "config")]
pub mod targeting;

/// The README's Rust example, compiled and run as a doctest so it cannot go stale.
#[cfg(all(doctest, feature = "config"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExample;

pub use client::{Capacities, Client};
pub use clock::{Clock, FixedClock, Timestamp};
#[cfg(feature = "config")]
pub use config::{Config, Diagnostic, Severity};
pub use context::{AttributePath, AttributeValue, Attributes, Context, MAX_CONTEXT_DEPTH};
pub use error::{Error, ErrorKind};
pub use evaluation::{
    ErrorCode, EvalOptions, EvaluationDetails, ExperimentDetails, FlagType, Outcome,
    OutcomeDecision, Reason,
};
pub use events::{DecisionEvent, Event, Exposure, Stats, Track};
pub use limits::Limits;
pub use reader::Reader;
pub use snapshot::Snapshot;
