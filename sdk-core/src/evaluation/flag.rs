//! The evaluation order of DESIGN §3 for one flag.

use std::borrow::Cow;

use serde_json::Value;

use super::details::{ErrorCode, EvaluationDetails, FlagType, Reason};
use crate::clock::Clock;
use crate::config::{Config, Flag, FlagState};
use crate::context::{json_type_name, Context};
use crate::targeting::Env;

/// Evaluates `flag_key` for `ctx`, falling back to `default` as DESIGN §3 says.
pub(crate) fn resolve<'a: 'd, 'd>(
    config: Option<&'a Config>,
    flag_key: &'a str,
    ctx: &Context,
    clock: &dyn Clock,
    default: &'d Value,
    expected: FlagType,
) -> EvaluationDetails<'a, &'d Value> {
    let fallback = Fallback { flag_key, default };
    let Some(config) = config else {
        return fallback.error(
            ErrorCode::ProviderNotReady,
            "no config has been loaded yet",
            None,
        );
    };
    let flag = match config.flag(flag_key) {
        None => return fallback.error(ErrorCode::FlagNotFound, "flag not found", None),
        Some(Err(broken)) => {
            return fallback.error(ErrorCode::ParseError, broken.to_owned(), None);
        }
        Some(Ok(flag)) => flag,
    };
    let metadata = flag.metadata.as_ref();
    if flag.state == FlagState::Disabled {
        return EvaluationDetails {
            reason: Reason::Disabled,
            ..fallback.details(metadata)
        };
    }
    let (variant, reason) = match choose_variant(flag, flag_key, ctx, clock) {
        Ok(choice) => choice,
        Err(message) => return fallback.error(ErrorCode::General, message, metadata),
    };
    let Some(variant) = variant.and_then(|i| flag.variants.get(i)) else {
        // No default variant: the caller's default is the flag's value.
        return EvaluationDetails {
            reason: Reason::Default,
            ..fallback.details(metadata)
        };
    };
    if let Some(policy) = &variant.policy {
        return fallback.error(
            ErrorCode::General,
            format!(
                "variant \"{}\" runs policy \"{policy}\", but this version of Tandem cannot run \
                 policy bundles",
                variant.name
            ),
            metadata,
        );
    }
    if !expected.matches(&variant.value) {
        return fallback.error(
            ErrorCode::TypeMismatch,
            format!(
                "the flag's value is {}, not the requested {}",
                json_type_name(&variant.value),
                type_name(expected)
            ),
            metadata,
        );
    }
    EvaluationDetails {
        flag_key,
        value: &variant.value,
        variant: Some(&variant.name),
        reason,
        error_code: None,
        error_message: None,
        flag_metadata: metadata,
    }
}

/// Steps 4-6: the index of the variant to serve (`None`: the caller's default) and why.
fn choose_variant(
    flag: &Flag,
    flag_key: &str,
    ctx: &Context,
    clock: &dyn Clock,
) -> Result<(Option<usize>, Reason), Cow<'static, str>> {
    if let Some(rule) = &flag.targeting {
        let env = Env {
            flag_key,
            timestamp: clock.now().unix_seconds(),
        };
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
                Some(index) => Ok((Some(index), Reason::TargetingMatch)),
                // The name may come from the context, so it is not echoed.
                None => Err(Cow::Borrowed(
                    "the targeting rule returned a name that is not one of the flag's variants",
                )),
            };
        }
    }
    let reason = if flag.targeting.is_none() && flag.experiments.is_empty() {
        Reason::Static
    } else {
        Reason::Default
    };
    Ok((flag.default_variant, reason))
}

fn type_name(ty: FlagType) -> &'static str {
    match ty {
        FlagType::Boolean => "boolean",
        FlagType::String => "string",
        FlagType::Integer => "integer",
        FlagType::Float => "number",
        FlagType::Object => "object",
        FlagType::Any => "value",
    }
}

/// Builds the results that serve the caller's default.
struct Fallback<'a, 'd> {
    flag_key: &'a str,
    default: &'d Value,
}

impl<'a, 'd> Fallback<'a, 'd> {
    fn details(
        &self,
        metadata: Option<&'a serde_json::Map<String, Value>>,
    ) -> EvaluationDetails<'a, &'d Value> {
        EvaluationDetails {
            flag_key: self.flag_key,
            value: self.default,
            variant: None,
            reason: Reason::Default,
            error_code: None,
            error_message: None,
            flag_metadata: metadata,
        }
    }

    fn error(
        &self,
        code: ErrorCode,
        message: impl Into<Cow<'a, str>>,
        metadata: Option<&'a serde_json::Map<String, Value>>,
    ) -> EvaluationDetails<'a, &'d Value> {
        EvaluationDetails {
            reason: Reason::Error,
            error_code: Some(code),
            error_message: Some(message.into()),
            ..self.details(metadata)
        }
    }
}
