//! The compact result of one evaluation (DESIGN §7, "Results in two forms"): a few integers
//! that index the snapshot's tables, so an evaluation crosses a binding boundary without
//! strings, and the strings and values are read (or cached by the host) once per snapshot.

use std::borrow::Cow;

use super::codes::{ErrorCode, Reason};

/// The outcome of evaluating one flag. Indexes refer to the [`crate::Snapshot`] that produced
/// it: [`crate::Snapshot::flag_key`], [`crate::Snapshot::variant_name`],
/// [`crate::Snapshot::experiment_key`], ... Only `decision` owns heap data, and only when a
/// policy ran.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// The flag's index in the snapshot; `None` when the snapshot has no such flag.
    pub flag: Option<u32>,
    /// The variant served (an index into the flag's variants); `None` when the caller's default
    /// is served.
    pub variant: Option<u32>,
    /// Why this value.
    pub reason: Reason,
    /// What failed, when `reason` is [`Reason::Error`].
    pub error_code: Option<ErrorCode>,
    /// The experiment that assigned the unit (see `exposed`), or the first one skipped because
    /// the context had no valid unit (see `skipped`).
    pub experiment: Option<u32>,
    /// The holdout that caught the unit: it was served the default variant as the holdout's
    /// control group.
    pub holdout: Option<u32>,
    /// Set when the experiment did *not* apply because the context had no valid unit:
    /// [`ErrorCode::TargetingKeyMissing`] or [`ErrorCode::InvalidContext`].
    pub skipped: Option<ErrorCode>,
    /// `true` when an experiment assigned the unit (a holdout's control group included): reading
    /// the flag logs an exposure (DESIGN §6), also when the arm then failed.
    pub exposed: bool,
    /// The variant the experiment assigned (its arm), which the exposure names even when the
    /// arm failed and another value was served.
    pub arm: Option<u32>,
    /// The policy decision that chose the value, when the served variant runs a policy.
    pub decision: Option<Box<OutcomeDecision>>,
    pub(crate) message: Message,
}

/// A policy decision inside an [`Outcome`]: what an off-policy estimator needs (DESIGN §5, §6).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OutcomeDecision {
    /// The policy's index in the snapshot ([`crate::Snapshot::policy_id`]).
    pub policy: u32,
    /// The chosen action's index in the policy's actions ([`crate::Snapshot::action_key`]).
    pub action: u32,
    /// `p(action | context)`, exactly as in `probabilities`.
    pub propensity: f64,
    /// Every action's probability, in bundle order (0 for ineligible actions).
    pub probabilities: Vec<f64>,
    /// Every action's score as exploration saw it.
    pub scores: Vec<f64>,
    /// The best eligible score minus the chosen action's score.
    pub optimality_gap: f64,
    /// The policy draw `u` in `[0, 1)` (DESIGN §4).
    pub draw: f64,
    /// The normalised unit the policy's draw hashed.
    pub unit: Box<str>,
    /// The decision key mixed into the draw (empty unless the caller passed one).
    pub decision_key: Box<str>,
    /// For a bundle with `log_context`: the context values it read, by path (dotted text),
    /// within [`crate::Limits::max_decision_context_bytes`].
    pub context: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    /// The bundle asked for its context, but it was over the limit and left out.
    pub context_omitted: bool,
}

/// An error message, kept cheap: most are fixed texts, and the message of a broken flag lives in
/// the snapshot (it is looked up, not copied, on every evaluation).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Message {
    #[default]
    None,
    Static(&'static str),
    Owned(Box<str>),
    /// The load error of the outcome's flag.
    BrokenFlag,
}

impl From<&'static str> for Message {
    fn from(text: &'static str) -> Self {
        Message::Static(text)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Owned(text.into_boxed_str())
    }
}

impl From<Cow<'static, str>> for Message {
    fn from(text: Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(text) => Message::Static(text),
            Cow::Owned(text) => text.into(),
        }
    }
}

impl Outcome {
    /// An outcome serving the caller's default for `reason`.
    pub(crate) fn fallback(flag: Option<u32>, reason: Reason) -> Self {
        Self {
            flag,
            variant: None,
            reason,
            error_code: None,
            experiment: None,
            holdout: None,
            skipped: None,
            exposed: false,
            arm: None,
            decision: None,
            message: Message::None,
        }
    }

    /// An error outcome serving the caller's default.
    pub(crate) fn error(flag: Option<u32>, code: ErrorCode, message: impl Into<Message>) -> Self {
        Self {
            error_code: Some(code),
            message: message.into(),
            ..Self::fallback(flag, Reason::Error)
        }
    }

    /// Turns the outcome into an error that serves the caller's default, keeping what an
    /// exposure needs (the experiment, holdout and arm): the failure is an outcome of that arm.
    pub(crate) fn fail(&mut self, code: ErrorCode, message: impl Into<Message>) {
        self.reason = Reason::Error;
        self.error_code = Some(code);
        self.message = message.into();
        self.variant = None;
        self.decision = None;
    }
}
