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
mod rules;

pub use diagnostics::{Diagnostic, Severity};
pub(crate) use experiments::{Experiment, ExperimentStatus, Holdout, Layer};
pub(crate) use flags::Flag;

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
    /// The flag set's `metadata` (what flags that are not found or broken report).
    pub(crate) set_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub(crate) flags: Vec<Named<Flag>>,
    /// Per flag: whether its `state` is written `"DISABLED"`, known even when the flag is
    /// broken (a disabled flag is served as disabled whatever else is wrong with it).
    pub(crate) disabled: Vec<bool>,
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

    /// What the config says of experiment `key`: `None` when it has no such experiment,
    /// `Some(None)` when it is broken, else its status. By index: the sticky store asks once
    /// per experiment it holds assignments of.
    pub(crate) fn experiment_status(&self, key: &str) -> Option<Option<ExperimentStatus>> {
        let (_, entity) = self.experiments.get(*self.experiment_index.get(key)?)?;
        Some(entity.ready().map(|e| e.status))
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

    /// The load error of the flag at `index`, when it is broken.
    pub(crate) fn broken_message(&self, index: usize) -> Option<&str> {
        match self.flags.get(index) {
            Some((_, Entity::Broken(message))) => Some(message),
            _ => None,
        }
    }
}
