//! `tandem-eval`: the analysis behind `tandem evaluate`. It turns the SDK's own event logs
//! (DESIGN §6: exposures, decisions with their exact propensities, tracks) into the answers
//! experiments are run for — the A/B verdict with guardrails, and, offline, off-policy
//! estimates of other policies and the value of personalization.
//!
//! Host-free like the core: no files, clocks or threads; input comes through `BufRead`, text
//! goes out as strings.
//!
//! ```
//! use tandem_eval::{analyze, Reducer, Spec};
//!
//! let spec = Spec::from_json(r#"{
//!   "experiment": "checkout",
//!   "allocation": [["control", 50], ["treatment", 50]],
//!   "metrics": [{"name": "conversion", "event": "purchase", "aggregation": "any",
//!                "direction": "higher", "kind": "success"}]
//! }"#)?;
//! let log = r#"{"type":"exposure","flag":"f","variant":"control","experiment":"checkout","unit":"u1","reason":"SPLIT","timestamp":1}
//! {"type":"exposure","flag":"f","variant":"treatment","experiment":"checkout","unit":"u2","reason":"SPLIT","timestamp":2}
//! {"type":"track","name":"purchase","unit":"u2","value":30.0,"timestamp":3}"#;
//! let mut reducer = Reducer::new(&spec, &[])?;
//! reducer.read(log.as_bytes(), |_, _| {})?;
//! let stats = reducer.finish()?;
//! assert_eq!(stats.arms[1].units, 1);
//! let analysis = analyze(&spec, &stats)?;
//! assert_eq!(analysis.srm.observed, vec![1, 1]);
//! # Ok::<(), tandem_eval::Error>(())
//! ```
#![deny(missing_docs)]

pub mod ab;
pub mod analysis;
pub mod csv;
pub mod dist;
mod error;
pub mod model;
pub mod ope;
mod reduce;
pub mod report;
pub mod sequential;
pub mod spec;
pub mod sql;
pub mod stats;

pub use analysis::{analyze, Analysis};
pub use error::{Error, ErrorKind};
pub use reduce::Reducer;
pub use spec::Spec;
pub use stats::Stats;
