//! The OpenFeature-shaped result of one evaluation.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::policy::Decision;

/// Why an evaluation returned what it did (OpenFeature's resolution reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The flag has no targeting and no experiments: its default variant, always.
    Static,
    /// The flag's default variant (or the caller's default) after targeting and experiments
    /// did not pick a variant.
    Default,
    /// The targeting rule picked the variant.
    TargetingMatch,
    /// An experiment assigned the variant.
    Split,
    /// The flag is disabled: the caller's default.
    Disabled,
    /// Something failed: the caller's default, with an [`ErrorCode`].
    Error,
}

impl Reason {
    /// The OpenFeature name: `STATIC`, `DEFAULT`, `TARGETING_MATCH`, `SPLIT`, `DISABLED`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::Error => "ERROR",
        }
    }

    /// The reason with OpenFeature name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Reason::Static,
            Reason::Default,
            Reason::TargetingMatch,
            Reason::Split,
            Reason::Disabled,
            Reason::Error,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// What failed (OpenFeature's error codes). Stable: bindings map each to a fixed code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No config has been loaded yet.
    ProviderNotReady,
    /// The flag is not in the config.
    FlagNotFound,
    /// The flag (or something it depends on) failed to load.
    ParseError,
    /// The flag's value is not of the requested type.
    TypeMismatch,
    /// The unit of randomisation is missing from the context.
    TargetingKeyMissing,
    /// The context is unusable for this flag.
    InvalidContext,
    /// Any other failure (a rule that raised an error, a targeting result that is no variant).
    General,
}

impl ErrorCode {
    /// The OpenFeature name, e.g. `FLAG_NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::General => "GENERAL",
        }
    }

    /// The error code with OpenFeature name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ErrorCode::ProviderNotReady,
            ErrorCode::FlagNotFound,
            ErrorCode::ParseError,
            ErrorCode::TypeMismatch,
            ErrorCode::TargetingKeyMissing,
            ErrorCode::InvalidContext,
            ErrorCode::General,
        ]
        .into_iter()
        .find(|c| c.as_str() == name)
    }
}

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

/// The result of evaluating one flag: OpenFeature's *evaluation details*. Borrowed from the
/// client's config and the caller's default, so producing one allocates nothing on the common
/// paths. Serializes to the camelCase JSON the CLI and bindings print, absent fields omitted.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationDetails<'a, T> {
    /// The flag that was evaluated.
    pub flag_key: &'a str,
    /// The value: the variant's, or the caller's default.
    pub value: T,
    /// The variant served, when one was.
    pub variant: Option<&'a str>,
    /// Why this value.
    pub reason: Reason,
    /// What failed, when `reason` is [`Reason::Error`] (and for unit problems of experiments).
    pub error_code: Option<ErrorCode>,
    /// A human-readable explanation of the error (never contains context values).
    pub error_message: Option<Cow<'a, str>>,
    /// The flag's metadata merged over the flag set's.
    pub flag_metadata: Option<&'a Map<String, Value>>,
    /// The experiment that assigned the variant (or held the unit out), or the first one skipped
    /// because the context had no valid unit.
    pub experiment: Option<ExperimentDetails<'a>>,
    /// When the variant runs a policy bundle: the decision it made (the chosen action's value
    /// is `value`). Boxed: it is large, and most evaluations run no policy.
    pub decision: Option<Box<Decision<'a>>>,
}

/// Per-call options of an evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalOptions<'o> {
    /// Mixed into a policy's draw for per-request randomisation (DESIGN §4); empty by default,
    /// so a unit gets the same draw on every call.
    pub decision_key: &'o str,
    /// Restricts a policy to these action keys; their probabilities are renormalised.
    pub eligible_actions: Option<&'o [&'o str]>,
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

impl<'a, T> EvaluationDetails<'a, T> {
    /// The same details with the value mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> EvaluationDetails<'a, U> {
        EvaluationDetails {
            flag_key: self.flag_key,
            value: f(self.value),
            variant: self.variant,
            reason: self.reason,
            error_code: self.error_code,
            error_message: self.error_message,
            flag_metadata: self.flag_metadata,
            experiment: self.experiment,
            decision: self.decision,
        }
    }
}

impl<T: Serialize> Serialize for EvaluationDetails<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EvaluationDetails", 9)?;
        s.serialize_field("key", self.flag_key)?;
        s.serialize_field("value", &self.value)?;
        optional_field(&mut s, "variant", self.variant)?;
        s.serialize_field("reason", self.reason.as_str())?;
        optional_field(&mut s, "errorCode", self.error_code.map(ErrorCode::as_str))?;
        optional_field(&mut s, "errorMessage", self.error_message.as_deref())?;
        optional_field(&mut s, "flagMetadata", self.flag_metadata)?;
        optional_field(&mut s, "experiment", self.experiment.as_ref())?;
        optional_field(&mut s, "decision", self.decision.as_ref())?;
        s.end()
    }
}
