//! A snapshot: one loaded config (or precomputed payload), immutable, behind an `Arc` (DESIGN
//! §7, "Snapshot and state"). An update builds a new snapshot with no lock held and swaps the
//! client's pointer; evaluations and their results keep the snapshot they started with, so
//! they never wait for a parse and never see half of two configs.
//!
//! A snapshot also holds the tables that [`Outcome`] indexes refer to (flag keys, variant names
//! and values with their JSON text, experiments, holdouts, policies and actions) and the
//! [`Attributes`] its rules, experiments and policies read.

#[cfg(feature = "config")]
mod from_config;
mod key_index;
pub(crate) mod tables;

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::context::{Attributes, Context};
use crate::evaluation::call::Call;
use crate::evaluation::{ErrorCode, Message, Outcome};
use crate::precomputed::Payload;
use tables::Tables;

#[cfg(feature = "config")]
use crate::config::{Config, Diagnostic};

/// What a snapshot serves from.
#[derive(Debug)]
pub(crate) enum Source {
    /// Nothing loaded yet: every evaluation is `PROVIDER_NOT_READY`.
    Empty,
    /// A config: every flag evaluated for each context.
    #[cfg(feature = "config")]
    Config(Box<Config>),
    /// One user's precomputed results (no rules).
    Precomputed(Box<Payload>),
}

/// One immutable generation of what a client serves. Cheap to share (`Arc`), `Send + Sync`.
///
/// Every index in an [`Outcome`] refers to the snapshot that produced it; the accessors here
/// turn them into strings and values. A host caches the tables once per
/// [`generation`](Snapshot::generation).
#[derive(Debug)]
pub struct Snapshot {
    generation: u64,
    revision: Option<Arc<str>>,
    pub(crate) source: Source,
    pub(crate) tables: Tables,
    attributes: Attributes,
}

impl Snapshot {
    pub(crate) fn empty(generation: u64) -> Self {
        Self {
            generation,
            revision: None,
            source: Source::Empty,
            tables: Tables::default(),
            attributes: Attributes::default(),
        }
    }

    pub(crate) fn new(
        generation: u64,
        revision: Option<&str>,
        source: Source,
        tables: Tables,
        attributes: Attributes,
    ) -> Self {
        Self {
            generation,
            revision: revision.map(Arc::from),
            source,
            tables,
            attributes,
        }
    }

    /// A number that identifies this snapshot among those of its client (a later update's is
    /// larger). Hosts key their cached tables by it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether a config or payload is loaded (`false` before the first successful update).
    pub fn is_ready(&self) -> bool {
        !matches!(self.source, Source::Empty)
    }

    /// The config's (or payload's) `revision`, copied into events.
    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    pub(crate) fn revision_arc(&self) -> Option<&Arc<str>> {
        self.revision.as_ref()
    }

    /// The config being served, if the snapshot serves a config.
    #[cfg(feature = "config")]
    pub fn config(&self) -> Option<&Config> {
        match &self.source {
            Source::Config(config) => Some(config),
            _ => None,
        }
    }

    /// The problems found in the config being served.
    #[cfg(feature = "config")]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.config().map_or(&[], Config::diagnostics)
    }

    /// The context paths that this snapshot's rules, experiments and policies read: a host
    /// passes these (and only these) as (attribute index, typed value) pairs.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The number of flags; flag indexes are `0..flag_count()`.
    pub fn flag_count(&self) -> usize {
        self.tables.flags.len()
    }

    /// The index of the flag `key`.
    pub fn flag_index(&self, key: &str) -> Option<u32> {
        self.tables.flag_index.get(key)
    }

    /// A flag's key.
    pub fn flag_key(&self, flag: u32) -> Option<&str> {
        self.tables.flag(flag).map(|f| &*f.key.text)
    }

    /// A flag's key as JSON string text (quoted and escaped).
    pub fn flag_key_json(&self, flag: u32) -> Option<&str> {
        self.tables.flag(flag).map(|f| &*f.key.json)
    }

    /// The number of variants of a flag (0 for a flag that failed to load).
    pub fn variant_count(&self, flag: u32) -> usize {
        self.tables.flag(flag).map_or(0, |f| f.variants.len())
    }

    /// A variant's name.
    pub fn variant_name(&self, flag: u32, variant: u32) -> Option<&str> {
        self.tables.variant(flag, variant).map(|v| &*v.name.text)
    }

    /// A variant's value (`None` for a policy variant, whose value an action supplies, and
    /// for a name a precomputed payload gives without a value).
    pub fn variant_value(&self, flag: u32, variant: u32) -> Option<&Value> {
        let entry = self.tables.variant(flag, variant)?;
        entry.value.as_ref().map(|v| &v.value)
    }

    /// A variant's value as JSON text, serialized once at load.
    pub fn variant_json(&self, flag: u32, variant: u32) -> Option<&str> {
        let entry = self.tables.variant(flag, variant)?;
        entry.value.as_ref().map(|v| &*v.text)
    }

    /// A flag's metadata merged over the flag set's; for `None` (a flag not in the snapshot)
    /// the flag set's metadata alone, as flagd reports it.
    pub fn flag_metadata(&self, flag: Option<u32>) -> Option<&Map<String, Value>> {
        self.metadata(flag).and_then(|m| m.value.as_object())
    }

    /// [`Snapshot::flag_metadata`] as JSON text.
    pub fn flag_metadata_json(&self, flag: Option<u32>) -> Option<&str> {
        self.metadata(flag).map(|m| &*m.text)
    }

    fn metadata(&self, flag: Option<u32>) -> Option<&tables::Json> {
        match flag {
            Some(flag) => self.tables.flag(flag)?.metadata.as_ref(),
            None => self.tables.set_metadata.as_ref(),
        }
    }

    /// An experiment's key.
    pub fn experiment_key(&self, experiment: u32) -> Option<&str> {
        self.tables
            .experiments
            .get(experiment as usize)
            .map(|e| &*e.key.text)
    }

    /// An experiment's explicit layer.
    pub fn experiment_layer(&self, experiment: u32) -> Option<&str> {
        self.tables
            .experiments
            .get(experiment as usize)?
            .layer
            .as_ref()
            .map(|l| &*l.text)
    }

    /// A holdout's key.
    pub fn holdout_key(&self, holdout: u32) -> Option<&str> {
        self.tables.holdouts.get(holdout as usize).map(|h| &*h.text)
    }

    /// A policy's `id`.
    pub fn policy_id(&self, policy: u32) -> Option<&str> {
        self.tables
            .policies
            .get(policy as usize)
            .map(|p| &*p.id.text)
    }

    /// A policy's `version`.
    pub fn policy_version(&self, policy: u32) -> Option<&str> {
        self.tables
            .policies
            .get(policy as usize)
            .map(|p| &*p.version.text)
    }

    /// A policy's canonical digest.
    pub fn policy_digest(&self, policy: u32) -> Option<&str> {
        self.tables
            .policies
            .get(policy as usize)
            .map(|p| &*p.digest.text)
    }

    /// An action's key.
    pub fn action_key(&self, policy: u32, action: u32) -> Option<&str> {
        self.tables.action(policy, action).map(|a| &*a.key.text)
    }

    /// An action's value.
    pub fn action_value(&self, policy: u32, action: u32) -> Option<&Value> {
        self.tables.action(policy, action).map(|a| &a.value.value)
    }

    /// An action's value as JSON text.
    pub fn action_json(&self, policy: u32, action: u32) -> Option<&str> {
        self.tables.action(policy, action).map(|a| &*a.value.text)
    }

    /// The value an outcome serves: the chosen action's when a policy decided, else the
    /// variant's; `None` means the caller's default.
    pub fn value(&self, outcome: &Outcome) -> Option<&Value> {
        match &outcome.decision {
            Some(d) => self.action_value(d.policy, d.action),
            None => self.variant_value(outcome.flag?, outcome.variant?),
        }
    }

    /// [`Snapshot::value`] when it is a string, shared (no copy).
    pub(crate) fn value_str(&self, outcome: &Outcome) -> Option<&Arc<str>> {
        let json = match &outcome.decision {
            Some(d) => &self.tables.action(d.policy, d.action)?.value,
            None => self
                .tables
                .variant(outcome.flag?, outcome.variant?)?
                .value
                .as_ref()?,
        };
        json.string.as_ref()
    }

    /// [`Snapshot::value`] as JSON text.
    pub fn value_json(&self, outcome: &Outcome) -> Option<&str> {
        match &outcome.decision {
            Some(d) => self.action_json(d.policy, d.action),
            None => self.variant_json(outcome.flag?, outcome.variant?),
        }
    }

    /// An outcome's error message (never containing context values).
    pub fn error_message<'a>(&'a self, outcome: &'a Outcome) -> Option<&'a str> {
        match &outcome.message {
            Message::None => None,
            Message::Static(text) => Some(text),
            Message::Owned(text) => Some(text),
            Message::BrokenFlag => self.broken_message(outcome.flag?),
        }
    }

    fn broken_message(&self, flag: u32) -> Option<&str> {
        match &self.source {
            #[cfg(feature = "config")]
            Source::Config(config) => config.broken_message(flag as usize),
            _ => None,
        }
    }

    /// Evaluates the flag at index `flag` (no type check, nothing logged).
    #[inline]
    pub(crate) fn outcome(&self, flag: u32, ctx: &Context, call: &Call<'_>) -> Outcome {
        match &self.source {
            Source::Empty => not_ready(),
            #[cfg(feature = "config")]
            Source::Config(config) => {
                crate::evaluation::flag::evaluate(config, &self.tables, flag, ctx, call)
            }
            Source::Precomputed(payload) => payload.serve(flag, &call.options),
        }
    }

    /// Every flag's outcome for `ctx`, in flag order (nothing logged): `evaluate_all` and
    /// `precompute`. The source is matched once, not per flag.
    pub(crate) fn outcomes<'a>(
        &'a self,
        ctx: &'a Context,
        call: &'a Call<'_>,
    ) -> impl Iterator<Item = Outcome> + 'a {
        let count = u32::try_from(self.flag_count()).unwrap_or(u32::MAX);
        #[cfg(feature = "config")]
        let config = match &self.source {
            Source::Config(config) => Some(&**config),
            _ => None,
        };
        (0..count).map(move |flag| {
            #[cfg(feature = "config")]
            if let Some(config) = config {
                return crate::evaluation::flag::evaluate(config, &self.tables, flag, ctx, call);
            }
            self.outcome(flag, ctx, call)
        })
    }

    /// Every flag's outcome for `ctx`, in flag order, handed to `each` (nothing logged):
    /// `precompute`. A plain loop rather than [`Snapshot::outcomes`]: each outcome is built
    /// where `each` reads it, without the moves of an iterator's `Option<Outcome>` and of
    /// the adapters over it (in the size-tuned wasm build each move is a `memory.copy`, a call
    /// out of the wasm code in V8).
    pub(crate) fn for_each_outcome(
        &self,
        ctx: &Context,
        call: &Call<'_>,
        mut each: impl FnMut(&Outcome),
    ) {
        let count = u32::try_from(self.flag_count()).unwrap_or(u32::MAX);
        let mut flag = 0;
        #[cfg(feature = "config")]
        if let Source::Config(config) = &self.source {
            while flag < count {
                each(&crate::evaluation::flag::evaluate(
                    config,
                    &self.tables,
                    flag,
                    ctx,
                    call,
                ));
                flag += 1;
            }
            return;
        }
        while flag < count {
            each(&self.outcome(flag, ctx, call));
            flag += 1;
        }
    }

    /// Evaluates the flag `key` (no type check, nothing logged).
    #[inline]
    pub(crate) fn outcome_for_key(&self, key: &str, ctx: &Context, call: &Call<'_>) -> Outcome {
        if !self.is_ready() {
            return not_ready();
        }
        match self.flag_index(key) {
            Some(flag) => self.outcome(flag, ctx, call),
            None => Outcome::error(None, ErrorCode::FlagNotFound, "flag not found"),
        }
    }

    /// Evaluates the flag at index `flag` (no type check, nothing logged).
    pub(crate) fn outcome_for_index(&self, flag: u32, ctx: &Context, call: &Call<'_>) -> Outcome {
        if !self.is_ready() {
            return not_ready();
        }
        if (flag as usize) < self.flag_count() {
            self.outcome(flag, ctx, call)
        } else {
            Outcome::error(None, ErrorCode::FlagNotFound, "flag not found")
        }
    }

    /// The unit an exposure of `outcome` names: the experiment's unit in `ctx` (or the one a
    /// precomputed payload carries); `None` when the outcome logs no exposure.
    pub(crate) fn exposure_unit<'x>(
        &'x self,
        ctx: &'x Context,
        outcome: &Outcome,
        max_unit_bytes: usize,
    ) -> Option<Cow<'x, str>> {
        if !outcome.exposed {
            return None;
        }
        match &self.source {
            Source::Empty => None,
            #[cfg(feature = "config")]
            Source::Config(config) => {
                let (_, entity) = config.experiments.get(outcome.experiment? as usize)?;
                crate::experiments::unit(entity.ready()?, ctx, max_unit_bytes).ok()
            }
            Source::Precomputed(payload) => payload.unit(outcome.flag?).map(Cow::Borrowed),
        }
    }
}

fn not_ready() -> Outcome {
    Outcome::error(
        None,
        ErrorCode::ProviderNotReady,
        "no config has been loaded yet",
    )
}
