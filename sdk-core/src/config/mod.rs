//! The control-plane config: one JSON document, loaded and compiled once (DESIGN §2).
//!
//! Loading is strict about structure and tolerant per entity: a flag, experiment, layer, holdout
//! or policy that fails to compile is kept as *broken* with its error, and the rest of the config
//! works. Every problem is a [`Diagnostic`] with a JSON path.

mod diagnostics;
mod document;
mod duplicates;
mod experiments;
mod fields;
mod flags;
mod policies;
mod references;

pub use diagnostics::{Diagnostic, Severity};
pub(crate) use experiments::{Experiment, Holdout, Layer};
pub(crate) use flags::{Flag, FlagState};

use crate::error::Error;
use crate::hashing::FastMap;
use crate::limits::Limits;
use crate::policy::Bundle;

/// An entity of the config: compiled, or kept with the reason it could not be.
#[derive(Debug, Clone)]
pub(crate) enum Entity<T> {
    Ready(T),
    /// The first error found in the entity, as `path: message`.
    Broken(String),
}

impl<T> Entity<T> {
    pub(crate) fn ready(&self) -> Option<&T> {
        match self {
            Entity::Ready(value) => Some(value),
            Entity::Broken(_) => None,
        }
    }
}

/// A named entity, in document order.
pub(crate) type Named<T> = (Box<str>, Entity<T>);

/// A loaded, compiled config. Immutable: an update builds a new one.
#[derive(Debug, Clone)]
pub struct Config {
    revision: Option<String>,
    pub(crate) flags: Vec<Named<Flag>>,
    flag_index: FastMap<Box<str>, usize>,
    pub(crate) experiments: Vec<Named<Experiment>>,
    experiment_index: FastMap<Box<str>, usize>,
    pub(crate) layers: Vec<Named<Layer>>,
    pub(crate) holdouts: Vec<Named<Holdout>>,
    pub(crate) policies: Vec<Named<Bundle>>,
    diagnostics: Vec<Diagnostic>,
}

impl Config {
    /// Loads a config document.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidJson`] when the text is not JSON,
    /// [`crate::ErrorKind::LimitExceeded`] when it is over a limit, and
    /// [`crate::ErrorKind::InvalidConfig`] when its structure is wrong (not an object, no `flags`,
    /// an unknown `schema`). Problems inside one entity are not errors: see [`Config::diagnostics`].
    ///
    /// ```
    /// let config = tandem::Config::parse(r#"{"flags": {"f": {"state": "ENABLED"}}}"#,
    ///                                    &tandem::Limits::default())?;
    /// assert_eq!(config.diagnostics()[0].to_string(), "flags.f.variants: missing (required: an object of named values)");
    /// # Ok::<(), tandem::Error>(())
    /// ```
    pub fn parse(json: &str, limits: &Limits) -> Result<Self, Error> {
        document::load(json, limits)
    }

    /// The document's `revision`, copied into events.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// Every problem found, in document order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// `true` when no diagnostic makes the document invalid (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(|d| d.severity.is_invalid())
    }

    /// The flag keys, in document order (broken flags included).
    pub fn flag_keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.flags.iter().map(|(key, _)| &**key)
    }

    /// Whether the config has a (non-broken) experiment `key` whose status is `running`.
    pub(crate) fn experiment_is_running(&self, key: &str) -> bool {
        // By index: a sticky store asks once per kept assignment.
        self.experiment_index
            .get(key)
            .and_then(|&i| self.experiments.get(i))
            .and_then(|(_, e)| e.ready())
            .is_some_and(|e| e.status == experiments::ExperimentStatus::Running)
    }

    /// A policy bundle by its key in `policies`: `Some(Err(message))` when it is broken.
    pub fn policy(&self, key: &str) -> Option<Result<&Bundle, &str>> {
        self.policies
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, entity)| match entity {
                Entity::Ready(bundle) => Ok(bundle),
                Entity::Broken(message) => Err(message.as_str()),
            })
    }

    /// A flag by key: `Some(Ok(flag))`, `Some(Err(message))` when broken, `None` when unknown.
    pub(crate) fn flag(&self, key: &str) -> Option<Result<&Flag, &str>> {
        let index = *self.flag_index.get(key)?;
        self.flags.get(index).map(|(_, entity)| match entity {
            Entity::Ready(flag) => Ok(flag),
            Entity::Broken(message) => Err(message.as_str()),
        })
    }
}
