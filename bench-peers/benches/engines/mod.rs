//! Each engine behind one small interface, called the way its own benches and SDK call it: the
//! config in its native format, its own context object, its typed evaluation, its own
//! "evaluate all" where it has one. The bench times these calls; the correctness check runs the
//! very same calls.

pub mod datalogic;
pub mod eppo;
pub mod growthbook;
pub mod tandem;
pub mod unleash;

use std::collections::BTreeMap;

use serde_json::Value;
use tandem_bench_peers::fresh::Input;

/// One engine with a config loaded.
pub trait Engine: Sized {
    /// What loading the native config produces (timed by W5, dropped outside the timing).
    type Loaded;
    /// The engine's own context object.
    type Ctx;
    /// Where "evaluate all" leaves its results (reused between calls where the API allows it).
    type All: Default;

    /// The engine's native config for a flagd document (outside any timing).
    fn native_config(flagd: &str) -> Result<String, String>;
    /// Parses and builds a native config: W5's timed work.
    fn load(config: &str) -> Result<Self::Loaded, String>;
    /// The engine ready to evaluate, from a loaded config.
    fn ready(loaded: Self::Loaded) -> Self;
    /// The engine's context from a JSON object (the reused context, built once).
    fn static_context(json: &Value) -> Self::Ctx;
    /// The engine's context from a fresh input: timed in every fresh cell.
    fn context(input: &Input<'_>) -> Self::Ctx;
    /// A boolean flag; `None` when the engine reports an error or a missing flag.
    fn get_bool(&self, flag: &str, ctx: &Self::Ctx) -> Option<bool>;
    /// A string flag, handed to `f` (`None`: an error or a missing flag) while it is borrowed.
    fn get_str<R>(&self, flag: &str, ctx: &Self::Ctx, f: impl FnOnce(Option<&str>) -> R) -> R;
    /// Every flag for one context.
    fn evaluate_all(&self, ctx: &Self::Ctx, all: &mut Self::All);
    /// How many results `evaluate_all` left (the bench's checksum reads it).
    fn all_len(all: &Self::All) -> usize;
    /// The results of `evaluate_all` as flag key → value, for the correctness check.
    fn all_values(&self, all: &Self::All) -> BTreeMap<String, Value>;
}

/// The engine, loaded from a flagd document's native form.
pub fn build<E: Engine>(flagd: &str) -> Result<E, String> {
    Ok(E::ready(E::load(&E::native_config(flagd)?)?))
}

/// A cheap digest of a served string, so the timed closures return something that depends on
/// the value without copying it.
pub fn digest(value: &str) -> u64 {
    value
        .bytes()
        .fold(value.len() as u64, |h, b| h.rotate_left(5) ^ u64::from(b))
}
