//! The shared workload files, read from `../shared/bench` beside the repository (the bench's
//! README there defines them).

use std::path::PathBuf;

use crate::Error;

/// The directory of the workload files: `TANDEM_BENCH_DIR` when set, else `../shared/bench`
/// relative to the repository root (this crate is one level below it).
pub fn directory() -> PathBuf {
    std::env::var_os("TANDEM_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench"),
        PathBuf::from,
    )
}

/// The text of the four workload files.
#[derive(Debug, Clone)]
pub struct Workloads {
    /// `w1-w3.flagd.json`: the static, targeted and split flags.
    pub w1_w3: String,
    /// `w4-50-flags.flagd.json`.
    pub w4: String,
    /// `w5-1000-flags.flagd.json`.
    pub w5: String,
    /// `static-context.json`: the reused 10-attribute context.
    pub static_context: String,
}

impl Workloads {
    /// Reads the files.
    ///
    /// # Errors
    /// A file that cannot be read, named in the error.
    pub fn load() -> Result<Self, Error> {
        let dir = directory();
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| {
                Error::at(
                    name,
                    format!("cannot read it from the bench directory: {e}"),
                )
            })
        };
        Ok(Self {
            w1_w3: read("w1-w3.flagd.json")?,
            w4: read("w4-50-flags.flagd.json")?,
            w5: read("w5-1000-flags.flagd.json")?,
            static_context: read("static-context.json")?,
        })
    }
}
