//! The evaluation order of DESIGN §3 for one flag.

use std::borrow::Cow;
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::details::{
    ErrorCode, EvalOptions, EvaluationDetails, ExperimentDetails, FlagType, Reason,
};
use crate::bucketing::UnitProblem;
use crate::clock::Clock;
use crate::config::{Config, Flag, FlagState};
use crate::context::{json_type_name, Context};
use crate::experiments::{self, Outcome, StickyStore};
use crate::policy::{Decision, DecisionError};
use crate::targeting::Env;

/// The details of one evaluation, and the unit to log an exposure for when an experiment applied.
#[derive(Debug)]
pub(crate) struct Resolution<'a, 'd, 'x> {
    pub(crate) details: EvaluationDetails<'a, &'d Value>,
    pub(crate) exposed_unit: Option<Cow<'x, str>>,
}

/// Everything an evaluation reads besides the flag key, the context and the default.
pub(crate) struct Inputs<'a> {
    pub(crate) config: Option<&'a Config>,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) sticky: &'a Mutex<StickyStore>,
}

/// What steps 4-6 chose.
struct Choice<'a, 'x> {
    variant: Option<usize>,
    reason: Reason,
    experiment: Option<ExperimentDetails<'a>>,
    exposed_unit: Option<Cow<'x, str>>,
}

/// Evaluates `flag_key` for `ctx`, falling back to `default` as DESIGN §3 says.
pub(crate) fn resolve<'a: 'd, 'd, 'x>(
    inputs: &Inputs<'a>,
    flag_key: &'a str,
    ctx: &'x Context,
    default: &'d Value,
    expected: FlagType,
    options: &EvalOptions<'a>,
) -> Resolution<'a, 'd, 'x> {
    let fallback = Fallback { flag_key, default };
    let details = |details| Resolution {
        details,
        exposed_unit: None,
    };
    let Some(config) = inputs.config else {
        return details(fallback.error(
            ErrorCode::ProviderNotReady,
            "no config has been loaded yet",
            None,
        ));
    };
    let flag = match config.flag(flag_key) {
        None => return details(fallback.error(ErrorCode::FlagNotFound, "flag not found", None)),
        Some(Err(broken)) => {
            return details(fallback.error(ErrorCode::ParseError, broken.to_owned(), None));
        }
        Some(Ok(flag)) => flag,
    };
    let metadata = flag.metadata.as_ref();
    if flag.state == FlagState::Disabled {
        return details(EvaluationDetails {
            reason: Reason::Disabled,
            ..fallback.details(metadata)
        });
    }
    let choice = match choose_variant(inputs, config, flag, flag_key, ctx) {
        Ok(choice) => choice,
        Err(message) => return details(fallback.error(ErrorCode::General, message, metadata)),
    };
    let Some(variant) = choice.variant.and_then(|i| flag.variants.get(i)) else {
        // No default variant: the caller's default is the flag's value.
        return Resolution {
            details: EvaluationDetails {
                reason: Reason::Default,
                experiment: choice.experiment,
                ..fallback.details(metadata)
            },
            exposed_unit: choice.exposed_unit,
        };
    };
    // Step 7: a variant that names a policy serves the action the policy picks.
    let (value, decision) = match &variant.policy {
        None => (&variant.value, None),
        Some(policy) => match run_policy(config, policy, ctx, options) {
            Ok(decision) => (decision.value, Some(Box::new(decision))),
            Err((code, message)) => {
                return details(policy_failure(
                    flag, &fallback, code, message, metadata, expected,
                ))
            }
        },
    };
    if !expected.matches(value) {
        return details(fallback.error(
            ErrorCode::TypeMismatch,
            format!(
                "the flag's value is {}, not the requested {}",
                json_type_name(value),
                expected.name()
            ),
            metadata,
        ));
    }
    Resolution {
        details: EvaluationDetails {
            flag_key,
            value,
            variant: Some(&variant.name),
            reason: choice.reason,
            error_code: None,
            error_message: None,
            flag_metadata: metadata,
            experiment: choice.experiment,
            decision,
        },
        exposed_unit: choice.exposed_unit,
    }
}

/// Runs the policy bundle `key` for `ctx`.
fn run_policy<'a>(
    config: &'a Config,
    key: &str,
    ctx: &Context,
    options: &EvalOptions<'a>,
) -> Result<Decision<'a>, (ErrorCode, String)> {
    let bundle = match config.policy(key) {
        Some(Ok(bundle)) => bundle,
        Some(Err(broken)) => {
            return Err((
                ErrorCode::ParseError,
                format!("policy \"{key}\" is broken: {broken}"),
            ))
        }
        // The loader breaks flags whose variants name unknown policies; kept for safety.
        None => return Err((ErrorCode::ParseError, format!("unknown policy \"{key}\""))),
    };
    let decision = bundle
        .decide(ctx, options.decision_key, options.eligible_actions)
        .map_err(|error| {
            let code = match error {
                DecisionError::UnitMissing => ErrorCode::TargetingKeyMissing,
                DecisionError::UnitInvalid => ErrorCode::InvalidContext,
                _ => ErrorCode::General,
            };
            (code, format!("policy \"{key}\": {error}"))
        })?;
    let action = bundle.actions().get(decision.action_index).ok_or((
        ErrorCode::General,
        format!("policy \"{key}\": no action chosen"),
    ))?;
    // The decision borrows the context for its unit; the details outlive the context, so the
    // unit is copied and everything else is borrowed from the bundle and the options.
    Ok(Decision {
        policy_id: bundle.id(),
        version: bundle.version(),
        digest: bundle.digest(),
        decision_key: options.decision_key,
        unit: Cow::Owned(decision.unit.into_owned()),
        draw: decision.draw,
        action: action.key(),
        action_index: decision.action_index,
        value: action.value(),
        propensity: decision.propensity,
        probabilities: decision.probabilities,
        scores: decision.scores,
        optimality_gap: decision.optimality_gap,
    })
}

/// A policy that cannot decide: the flag's default variant when it is a plain value of the
/// requested type (the static treatment), else the caller's default; reason `ERROR` either way.
fn policy_failure<'a: 'd, 'd>(
    flag: &'a Flag,
    fallback: &Fallback<'a, 'd>,
    code: ErrorCode,
    message: String,
    metadata: Option<&'a Map<String, Value>>,
    expected: FlagType,
) -> EvaluationDetails<'a, &'d Value> {
    let mut details = fallback.error(code, message, metadata);
    let default_variant = flag
        .default_variant
        .and_then(|i| flag.variants.get(i))
        .filter(|v| v.policy.is_none() && expected.matches(&v.value));
    if let Some(variant) = default_variant {
        details.value = &variant.value;
        details.variant = Some(&variant.name);
    }
    details
}

/// Steps 4-6: the index of the variant to serve (`None`: the caller's default) and why.
fn choose_variant<'a, 'x>(
    inputs: &Inputs<'a>,
    config: &'a Config,
    flag: &'a Flag,
    flag_key: &str,
    ctx: &'x Context,
) -> Result<Choice<'a, 'x>, Cow<'static, str>> {
    if flag.targeting.is_none() && flag.experiments.is_empty() {
        return Ok(Choice {
            variant: flag.default_variant,
            reason: Reason::Static,
            experiment: None,
            exposed_unit: None,
        });
    }
    // Read once, only by flags whose rules or schedules depend on it.
    let now = inputs.clock.now();
    let env = Env {
        flag_key,
        timestamp: now.unix_seconds(),
    };
    if let Some(rule) = &flag.targeting {
        let result = rule
            .evaluate(ctx.as_value(), &env)
            .map_err(|e| Cow::Owned(format!("the targeting rule failed: {e}")))?;
        // flagd accepts a boolean result as the variant named "true" or "false".
        let name = match &*result {
            Value::Null => None,
            Value::String(name) => Some(name.as_str()),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
            other => {
                return Err(Cow::Owned(format!(
                    "the targeting rule returned {}, not a variant name",
                    json_type_name(other)
                )))
            }
        };
        if let Some(name) = name {
            return match flag.variant_index(name) {
                Some(index) => Ok(Choice {
                    variant: Some(index),
                    reason: Reason::TargetingMatch,
                    experiment: None,
                    exposed_unit: None,
                }),
                // The name may come from the context, so it is not echoed.
                None => Err(Cow::Borrowed(
                    "the targeting rule returned a name that is not one of the flag's variants",
                )),
            };
        }
    }
    let mut experiment = None;
    if !flag.experiments.is_empty() {
        let outcome = experiments::assign(config, flag, ctx, &env, now, inputs.sticky)
            .map_err(|e| Cow::Owned(format!("an experiment's audience rule failed: {e}")))?;
        match outcome {
            Outcome::Assigned(assignment) => {
                return Ok(Choice {
                    variant: assignment.variant,
                    reason: if assignment.holdout.is_some() {
                        Reason::Default
                    } else {
                        Reason::Split
                    },
                    experiment: Some(ExperimentDetails {
                        key: assignment.experiment,
                        layer: assignment.layer,
                        holdout: assignment.holdout,
                        skipped: None,
                    }),
                    exposed_unit: Some(assignment.unit),
                })
            }
            Outcome::NotApplied(Some((key, problem))) => {
                experiment = Some(ExperimentDetails {
                    key,
                    layer: None,
                    holdout: None,
                    skipped: Some(match problem {
                        UnitProblem::Missing => ErrorCode::TargetingKeyMissing,
                        UnitProblem::Invalid => ErrorCode::InvalidContext,
                    }),
                });
            }
            Outcome::NotApplied(None) => {}
        }
    }
    Ok(Choice {
        variant: flag.default_variant,
        reason: Reason::Default,
        experiment,
        exposed_unit: None,
    })
}

/// Builds the results that serve the caller's default.
struct Fallback<'a, 'd> {
    flag_key: &'a str,
    default: &'d Value,
}

impl<'a, 'd> Fallback<'a, 'd> {
    fn details(
        &self,
        metadata: Option<&'a Map<String, Value>>,
    ) -> EvaluationDetails<'a, &'d Value> {
        EvaluationDetails {
            flag_key: self.flag_key,
            value: self.default,
            variant: None,
            reason: Reason::Default,
            error_code: None,
            error_message: None,
            flag_metadata: metadata,
            experiment: None,
            decision: None,
        }
    }

    fn error(
        &self,
        code: ErrorCode,
        message: impl Into<Cow<'a, str>>,
        metadata: Option<&'a Map<String, Value>>,
    ) -> EvaluationDetails<'a, &'d Value> {
        EvaluationDetails {
            reason: Reason::Error,
            error_code: Some(code),
            error_message: Some(message.into()),
            ..self.details(metadata)
        }
    }
}
