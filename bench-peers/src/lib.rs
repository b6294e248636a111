//! Tandem beside the Rust engines of other SDKs, on the shared workloads of `../shared/bench`
//! (issue 12). This library holds what the bench and its tests share and what needs no peer
//! crate: the workloads as files, the flagd flags as a small model, the fresh contexts of the
//! workloads' README, and one converter per engine from that model to the engine's own config
//! format. The engines themselves (and so every peer crate) are only in `benches/` and `tests/`.
//!
//! The crate is excluded from the SDK's workspace, with its own `Cargo.lock`: the SDK's builds,
//! its `--locked` checks and CI never compile the peers.
#![deny(missing_docs)]

pub mod convert;
pub mod flagd;
pub mod fresh;
pub mod workloads;

use std::fmt;

/// A problem with a workload or a conversion, with the JSON path where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where: a file name or a JSON path (`flags.w2-targeted.targeting.if[0]`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Error {
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for Error {}
