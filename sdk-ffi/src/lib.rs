//! Tandem's C ABI (DESIGN §7): `tandem_`-prefixed functions over opaque handles, the surface
//! that C, Swift (iOS), Kotlin through JNI (Android, the JVM) and Python (ctypes) share. The
//! header `include/tandem.h` is generated from this crate by cbindgen; `README.md` beside it
//! states the conventions (ownership, threads, errors, strings and buffers).
//!
//! Every semantic lives in the core (`tandem`): this crate only checks arguments, converts
//! between C and Rust representations and keeps the handles. The modules mirror the core's:
//!
//! - [`client`]: the client handle (`Arc`-backed, shared by threads), updates, events, sticky
//!   assignments, stats, precompute.
//! - [`context`]: the context handle, built once with typed setters and reused.
//! - [`evaluate`]: typed getters and the details call, and the result handle that holds the
//!   snapshot its strings live in.
//! - [`outcomes`]: evaluate-all with log-on-read.
//! - [`bucketing`]: DESIGN §4's pure functions, for hosts and for the shared vectors.
//! - [`error`] and [`codes`]: the status codes and the core's stable numeric codes.
//! - `jni`: the JVM entry points of `bindings/kotlin-jvm`, over the same functions.
#![deny(missing_docs)]
// The C names (`tandem_client`, `tandem_status`) are the ABI: they follow C, not Rust, casing.
#![allow(non_camel_case_types)]

mod args;
pub mod bucketing;
pub mod buffer;
pub mod client;
pub mod codes;
pub mod context;
pub mod error;
pub mod evaluate;
mod jni;
pub mod outcomes;
mod panic;

pub use buffer::tandem_buf_free;
pub use client::{tandem_client, tandem_client_options, tandem_stats};
pub use codes::{tandem_error_code, tandem_flag_type, tandem_reason};
pub use context::tandem_context;
pub use error::tandem_status;
pub use evaluate::{tandem_eval_options, tandem_result};
pub use outcomes::{tandem_outcomes, tandem_read};
