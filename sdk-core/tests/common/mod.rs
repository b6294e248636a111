//! Shared by the integration tests that read the external suites in `../shared/suites` (beside
//! the repository, as CI lays it out).
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The suites folder, relative to this crate.
pub const SUITES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/suites");

/// `SUITES/<relative>` when it exists; otherwise prints why the test is skipped and returns
/// `None` (the caller returns early, so the test passes as skipped).
pub fn suite(relative: &str) -> Option<PathBuf> {
    let path = Path::new(SUITES).join(relative);
    if path.exists() {
        Some(path)
    } else {
        println!(
            "SKIPPED: {} not found (the external suites are checked out beside the repository \
             in CI; see DESIGN.md §9)",
            path.display()
        );
        None
    }
}

/// A JSON file's contents; panics (failing the test) when it cannot be read or parsed.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
