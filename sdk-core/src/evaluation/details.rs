//! The OpenFeature-shaped result of one evaluation, for Rust callers.

use std::borrow::Cow;
use std::ops::Deref;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use super::codes::{ErrorCode, Reason};
use super::outcome::Outcome;
use crate::clock::Timestamp;
use crate::policy::Decision;
use crate::snapshot::Snapshot;

/// The type a caller expects a flag's value to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagType {
    /// `true` / `false`.
    Boolean,
    /// A string.
    String,
    /// An integer-valued number that fits `i64`.
    Integer,
    /// Any number.
    Float,
    /// A JSON object.
    Object,
    /// Any JSON value: no type check.
    Any,
}

impl FlagType {
    /// The type's name in messages: `boolean`, `string`, `integer`, `number`, `object`, `value`.
    pub fn name(self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::String => "string",
            FlagType::Integer => "integer",
            FlagType::Float => "number",
            FlagType::Object => "object",
            FlagType::Any => "value",
        }
    }

    /// Whether `value` has this type.
    pub fn matches(self, value: &Value) -> bool {
        match self {
            FlagType::Boolean => value.is_boolean(),
            FlagType::String => value.is_string(),
            FlagType::Integer => as_integer(value).is_some(),
            FlagType::Float => value.is_number(),
            FlagType::Object => value.is_object(),
            FlagType::Any => true,
        }
    }
}

/// An integer-valued JSON number as `i64` (`10` and `10.0` both are).
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    // i64::MIN is exactly representable; i64::MAX is not, hence the strict upper bound.
    (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
}

/// Per-call options of an evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalOptions<'o> {
    /// Mixed into a policy's draw for per-request randomisation (DESIGN §4); empty by default,
    /// so a unit gets the same draw on every call.
    pub decision_key: &'o str,
    /// Restricts a policy to these action keys; the exploration rule runs over them alone.
    pub eligible_actions: Option<&'o [&'o str]>,
    /// The time the evaluation sees (schedules, `$flagd.timestamp`, event timestamps);
    /// `None` reads the client's clock, once per call.
    pub now: Option<Timestamp>,
}

/// The snapshot a result reads its strings from: borrowed from a caller that holds it, or held.
#[derive(Debug, Clone)]
pub(crate) enum SnapshotRef<'s> {
    Borrowed(&'s Snapshot),
    Shared(Arc<Snapshot>),
}

impl Deref for SnapshotRef<'_> {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        match self {
            SnapshotRef::Borrowed(snapshot) => snapshot,
            SnapshotRef::Shared(snapshot) => snapshot,
        }
    }
}

/// Which experiment applied to an evaluation, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExperimentDetails<'a> {
    /// The experiment's key.
    pub key: &'a str,
    /// Its explicit layer, if it has one.
    pub layer: Option<&'a str>,
    /// The holdout that caught the unit: it was served the default variant as the holdout's
    /// control group.
    pub holdout: Option<&'a str>,
    /// Set when the experiment did *not* apply because the context had no valid unit:
    /// [`ErrorCode::TargetingKeyMissing`] or [`ErrorCode::InvalidContext`].
    pub skipped: Option<ErrorCode>,
}

impl Serialize for ExperimentDetails<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ExperimentDetails", 4)?;
        s.serialize_field("key", self.key)?;
        optional_field(&mut s, "layer", self.layer)?;
        optional_field(&mut s, "holdout", self.holdout)?;
        optional_field(&mut s, "skipped", self.skipped.map(ErrorCode::as_str))?;
        s.end()
    }
}

/// Serializes `value` when present, else marks the field skipped.
fn optional_field<S: SerializeStruct, T: Serialize>(
    s: &mut S,
    name: &'static str,
    value: Option<T>,
) -> Result<(), S::Error> {
    match value {
        Some(value) => s.serialize_field(name, &value),
        None => s.skip_field(name),
    }
}

/// The result of evaluating one flag: OpenFeature's *evaluation details*. It holds (or borrows)
/// the snapshot it came from, so its strings stay valid however the client is updated; the
/// compact [`Outcome`] inside is what the bindings use. Serializes to the camelCase JSON the
/// CLI and bindings print, absent fields omitted.
#[derive(Debug, Clone)]
pub struct EvaluationDetails<'s, T> {
    snapshot: SnapshotRef<'s>,
    outcome: Outcome,
    /// The key asked for, when the snapshot has no such flag.
    missing_key: Option<Box<str>>,
    /// The value: the variant's (or the chosen action's), or the caller's default.
    pub value: T,
    /// Why this value.
    pub reason: Reason,
    /// What failed, when `reason` is [`Reason::Error`].
    pub error_code: Option<ErrorCode>,
}

impl<'s, T> EvaluationDetails<'s, T> {
    pub(crate) fn new(
        snapshot: SnapshotRef<'s>,
        outcome: Outcome,
        flag_key: &str,
        value: T,
    ) -> Self {
        Self {
            missing_key: outcome.flag.is_none().then(|| flag_key.into()),
            reason: outcome.reason,
            error_code: outcome.error_code,
            snapshot,
            outcome,
            value,
        }
    }

    /// The flag that was evaluated.
    pub fn flag_key(&self) -> &str {
        match (&self.missing_key, self.outcome.flag) {
            (Some(key), _) => key,
            (None, Some(flag)) => self.snapshot.flag_key(flag).unwrap_or(""),
            (None, None) => "",
        }
    }

    /// The variant served, when one was.
    pub fn variant(&self) -> Option<&str> {
        self.snapshot
            .variant_name(self.outcome.flag?, self.outcome.variant?)
    }

    /// A human-readable explanation of the error (never contains context values).
    pub fn error_message(&self) -> Option<&str> {
        self.snapshot.error_message(&self.outcome)
    }

    /// The flag's metadata merged over the flag set's (the set's alone for a flag that is not
    /// found or failed to load, as flagd reports it).
    pub fn flag_metadata(&self) -> Option<&Map<String, Value>> {
        if self.snapshot.is_ready() {
            self.snapshot.flag_metadata(self.outcome.flag)
        } else {
            None
        }
    }

    /// The experiment that assigned the variant (or held the unit out), or the first one
    /// skipped because the context had no valid unit.
    pub fn experiment(&self) -> Option<ExperimentDetails<'_>> {
        let experiment = self.outcome.experiment?;
        Some(ExperimentDetails {
            key: self.snapshot.experiment_key(experiment)?,
            layer: self.snapshot.experiment_layer(experiment),
            holdout: self
                .outcome
                .holdout
                .and_then(|h| self.snapshot.holdout_key(h)),
            skipped: self.outcome.skipped,
        })
    }

    /// When the variant runs a policy bundle: the decision it made (the chosen action's value
    /// is `value`).
    pub fn decision(&self) -> Option<Decision<'_>> {
        let d = self.outcome.decision.as_ref()?;
        let snapshot = &*self.snapshot;
        Some(Decision {
            policy_id: snapshot.policy_id(d.policy)?,
            version: snapshot.policy_version(d.policy)?,
            digest: snapshot.policy_digest(d.policy)?,
            decision_key: &d.decision_key,
            unit: Cow::Borrowed(&d.unit),
            draw: d.draw,
            action: snapshot.action_key(d.policy, d.action)?,
            action_index: d.action as usize,
            value: snapshot.action_value(d.policy, d.action)?,
            propensity: d.propensity,
            probabilities: Cow::Borrowed(&d.probabilities),
            scores: Cow::Borrowed(&d.scores),
            optimality_gap: d.optimality_gap,
        })
    }

    /// The compact outcome (indexes into [`EvaluationDetails::snapshot`]).
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The snapshot the evaluation read.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The same details with the value mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> EvaluationDetails<'s, U> {
        EvaluationDetails {
            snapshot: self.snapshot,
            outcome: self.outcome,
            missing_key: self.missing_key,
            value: f(self.value),
            reason: self.reason,
            error_code: self.error_code,
        }
    }
}

impl<T: Serialize> Serialize for EvaluationDetails<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EvaluationDetails", 9)?;
        s.serialize_field("key", self.flag_key())?;
        s.serialize_field("value", &self.value)?;
        optional_field(&mut s, "variant", self.variant())?;
        s.serialize_field("reason", self.reason.as_str())?;
        optional_field(&mut s, "errorCode", self.error_code.map(ErrorCode::as_str))?;
        optional_field(&mut s, "errorMessage", self.error_message())?;
        optional_field(&mut s, "flagMetadata", self.flag_metadata())?;
        optional_field(&mut s, "experiment", self.experiment())?;
        optional_field(&mut s, "decision", self.decision())?;
        s.end()
    }
}
