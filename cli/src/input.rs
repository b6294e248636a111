//! Reading the CLI's inputs: files, JSON arguments, the clock.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tandem::{FixedClock, Timestamp};

/// Reads a whole file as UTF-8 text.
pub(crate) fn read_file(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Parses a JSON command-line argument, naming the option on failure.
pub(crate) fn json_arg(option: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{option}: not valid JSON: {e}"))
}

/// The clock the evaluation sees: `--now` when given, else the system clock read once, so every
/// evaluation of one invocation sees the same instant.
pub(crate) fn clock(now: Option<&str>) -> Result<FixedClock, String> {
    let timestamp = match now {
        Some(text) => Timestamp::parse_rfc3339(text).map_err(|e| format!("--now: {e}"))?,
        None => {
            let since_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|e| format!("the system clock is before 1970: {e}"))?;
            let millis = i64::try_from(since_epoch.as_millis())
                .map_err(|_| "the system clock is out of range".to_owned())?;
            Timestamp::from_unix_millis(millis)
        }
    };
    Ok(FixedClock(timestamp))
}

/// Entropy for the client's keyed hash maps (DESIGN §6), from the operating system's random
/// source by way of the standard library's randomly keyed hasher: the core draws none itself.
pub(crate) fn entropy() -> u64 {
    RandomState::new().build_hasher().finish()
}
