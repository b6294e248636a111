//! The evaluation order of DESIGN §3 for one flag of a config, producing an [`Outcome`].

use std::borrow::Cow;

use serde_json::Value;

use super::call::Call;
use super::codes::{ErrorCode, Reason};
use super::outcome::{Message, Outcome, OutcomeDecision};
use crate::bucketing::UnitProblem;
use crate::config::{Config, Entity, Flag};
use crate::context::{json_type_name, path, Context};
use crate::experiments;
use crate::policy::DecisionError;
use crate::snapshot::tables::Tables;
use crate::targeting::{Budget, Env, EvalError, Rule};

/// Evaluates the flag at `index` of `config` (steps 3-8; step 9, the type, is the caller's).
pub(crate) fn evaluate(
    config: &Config,
    tables: &Tables,
    index: u32,
    ctx: &Context,
    call: &Call<'_>,
) -> Outcome {
    let flag_index = Some(index);
    let i = index as usize;
    // Step 3: a disabled flag is disabled whatever else is wrong with it, as flagd has it.
    if config.disabled.get(i).copied().unwrap_or(false) {
        return Outcome::fallback(flag_index, Reason::Disabled);
    }
    let flag = match config.flags.get(i) {
        Some((_, Entity::Ready(flag))) => flag,
        Some((_, Entity::Broken(_))) => {
            return Outcome::error(flag_index, ErrorCode::ParseError, Message::BrokenFlag)
        }
        None => return Outcome::error(flag_index, ErrorCode::FlagNotFound, "flag not found"),
    };
    let mut outcome = choose_variant(config, tables, flag, index, ctx, call);
    if outcome.error_code.is_some() {
        return outcome;
    }
    // Step 8: a variant that names a policy serves the action the policy picks.
    let policy = outcome
        .variant
        .and_then(|v| tables.variant(index, v))
        .and_then(|v| v.policy);
    if let Some(policy) = policy {
        match run_policy(config, tables, policy, ctx, call) {
            Ok(decision) => outcome.decision = Some(Box::new(decision)),
            Err((code, message)) => {
                policy_failure(&mut outcome, flag, tables, index, code, message)
            }
        }
    }
    outcome
}

/// A policy that cannot decide: the flag's default variant when it is a plain value (the
/// static treatment), else the caller's default; reason `ERROR` either way. The experiment,
/// holdout and arm stay, so the exposure records the arm's failure.
fn policy_failure(
    outcome: &mut Outcome,
    flag: &Flag,
    tables: &Tables,
    index: u32,
    code: ErrorCode,
    message: String,
) {
    outcome.fail(code, message);
    outcome.variant = flag
        .default_variant
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&v| {
            tables
                .variant(index, v)
                .is_some_and(|entry| entry.policy.is_none() && entry.value.is_some())
        });
}

/// Runs the policy at `policy` (an index into the config's policies) for `ctx`.
fn run_policy(
    config: &Config,
    tables: &Tables,
    policy: u32,
    ctx: &Context,
    call: &Call<'_>,
) -> Result<OutcomeDecision, (ErrorCode, String)> {
    let (key, entity) = config
        .policies
        .get(policy as usize)
        .ok_or((ErrorCode::ParseError, "unknown policy".to_owned()))?;
    let bundle = match entity {
        Entity::Ready(bundle) => bundle,
        Entity::Broken(broken) => {
            return Err((
                ErrorCode::ParseError,
                format!("policy \"{key}\" is broken: {broken}"),
            ))
        }
    };
    // The bundle's own unit obeys the byte bound of every unit (DESIGN §6).
    let unit = ctx.resolve(path::dotted(bundle.unit_path()));
    if unit.and_then(Value::as_str).map_or(0, str::len) > call.max_unit_bytes {
        return Err((
            ErrorCode::InvalidContext,
            format!(
                "policy \"{key}\": the unit is longer than {} bytes",
                call.max_unit_bytes
            ),
        ));
    }
    let decision = bundle
        .decide(
            ctx,
            call.options.decision_key,
            call.options.eligible_actions,
        )
        .map_err(|error| {
            let code = match error {
                DecisionError::UnitMissing => ErrorCode::TargetingKeyMissing,
                DecisionError::UnitInvalid => ErrorCode::InvalidContext,
                _ => ErrorCode::General,
            };
            (code, format!("policy \"{key}\": {error}"))
        })?;
    let action = u32::try_from(decision.action_index)
        .ok()
        .filter(|&a| tables.action(policy, a).is_some())
        .ok_or((
            ErrorCode::General,
            format!("policy \"{key}\": no action chosen"),
        ))?;
    let (context, context_omitted) = if bundle.logs_context() {
        logged_context(bundle.context_paths(), ctx, call.max_decision_context_bytes)
    } else {
        (None, false)
    };
    Ok(OutcomeDecision {
        context,
        context_omitted,
        policy,
        action,
        propensity: decision.propensity,
        probabilities: decision.probabilities.into_owned(),
        scores: decision.scores.into_owned(),
        optimality_gap: decision.optimality_gap,
        draw: decision.draw,
        unit: decision.unit.into(),
        decision_key: decision.decision_key.into(),
    })
}

/// The context values at `paths`, for a decision event, unless their JSON is over `max_bytes`
/// (then `(None, true)`: the event says it was left out).
fn logged_context<'p>(
    paths: impl Iterator<Item = &'p str>,
    ctx: &Context,
    max_bytes: usize,
) -> (Option<Box<serde_json::Map<String, Value>>>, bool) {
    let mut logged = serde_json::Map::new();
    for path in paths {
        if let Some(value) = ctx.resolve(path::dotted(path)) {
            logged.insert(path.to_owned(), value.clone());
        }
    }
    let size = serde_json::to_vec(&logged).map_or(usize::MAX, |text| text.len());
    if size > max_bytes {
        return (None, true);
    }
    (Some(Box::new(logged)), false)
}

/// Steps 5-7: the variant to serve (`None`: the caller's default) and why; a rule that fails
/// is a `GENERAL` error.
fn choose_variant(
    config: &Config,
    tables: &Tables,
    flag: &Flag,
    index: u32,
    ctx: &Context,
    call: &Call<'_>,
) -> Outcome {
    // Returned by value on every path, so the (large) outcome is built in place.
    let failed =
        |message: Cow<'static, str>| Outcome::error(Some(index), ErrorCode::General, message);
    let variant = |v: Option<usize>| v.and_then(|v| u32::try_from(v).ok());
    if flag.targeting.is_none() && flag.experiments.is_empty() {
        // Without a default variant the caller's default is served, and that is no static
        // variant: reason DEFAULT, as flagd reports it.
        let reason = match flag.default_variant {
            Some(_) => Reason::Static,
            None => Reason::Default,
        };
        return Outcome {
            variant: variant(flag.default_variant),
            ..Outcome::fallback(Some(index), reason)
        };
    }
    // The clock only for rules that may read `$flagd.timestamp`, and for experiments (their
    // schedules and audiences): a host clock read costs as much as a simple rule.
    let timestamp = if flag.reads_clock || !flag.experiments.is_empty() {
        call.now.get().unix_seconds()
    } else {
        0
    };
    let flag_key = config.flags.get(index as usize).map_or("", |(k, _)| &**k);
    let env = Env {
        flag_key,
        timestamp,
    };
    // One budget for all the rules of this flag evaluation — its targeting and every audience
    // it tries — so that no loadable config can make one evaluation run long.
    let budget = Budget::per_flag();
    let targeted = match (&flag.split, &flag.targeting) {
        // A canonical split: served without walking its rule, with the same result.
        (Some(split), _) => split.variant(ctx, flag_key, &budget).map_err(rule_failed),
        (None, Some(rule)) => targeted_variant(flag, rule, ctx, &env, &budget),
        (None, None) => Ok(None),
    };
    match targeted {
        Ok(Some(v)) => {
            return Outcome {
                variant: variant(Some(v)),
                ..Outcome::fallback(Some(index), Reason::TargetingMatch)
            }
        }
        Ok(None) => {}
        Err(message) => return failed(message),
    }
    let mut outcome = Outcome {
        variant: variant(flag.default_variant),
        ..Outcome::fallback(Some(index), Reason::Default)
    };
    if flag.experiments.is_empty() {
        return outcome;
    }
    let placed = match experiments::assign(config, flag, ctx, &env, &budget, call) {
        Ok(placed) => placed,
        Err(e) => {
            return failed(Cow::Owned(format!(
                "an experiment's audience rule failed: {e}"
            )))
        }
    };
    match placed {
        experiments::Outcome::Assigned(assignment) => {
            outcome.experiment = u32::try_from(assignment.experiment).ok();
            outcome.holdout = assignment.holdout.and_then(|h| tables.holdout_index(h));
            outcome.reason = if assignment.holdout.is_some() {
                Reason::Default
            } else {
                Reason::Split
            };
            outcome.variant = variant(assignment.variant);
            outcome.arm = outcome.variant;
            outcome.exposed = true;
        }
        experiments::Outcome::NotApplied(Some((experiment, problem))) => {
            outcome.experiment = u32::try_from(experiment).ok();
            outcome.skipped = Some(match problem {
                UnitProblem::Missing => ErrorCode::TargetingKeyMissing,
                UnitProblem::Invalid => ErrorCode::InvalidContext,
            });
        }
        experiments::Outcome::NotApplied(None) => {}
    }
    outcome
}

fn rule_failed(e: EvalError) -> Cow<'static, str> {
    Cow::Owned(format!("the targeting rule failed: {e}"))
}

/// Step 5 through the rule: the index of the variant it names (`None`: go on), or why it
/// failed.
fn targeted_variant(
    flag: &Flag,
    rule: &Rule,
    ctx: &Context,
    env: &Env<'_>,
    budget: &Budget,
) -> Result<Option<usize>, Cow<'static, str>> {
    let result = rule
        .evaluate_context(ctx, env, budget)
        .map_err(rule_failed)?;
    match variant_name(&result)? {
        None => Ok(None),
        // The name may come from the context, so it is not echoed.
        Some(name) => flag.variant_index(&name).map(Some).ok_or(Cow::Borrowed(
            "the targeting rule returned a name that is not one of the flag's variants",
        )),
    }
}

/// The variant a targeting result names (step 5): a string as it is; a boolean or a number as
/// its text, the way flagd (JavaScript's `String(x)`, Go's formatting) spells it; null means
/// "go on".
fn variant_name(result: &Value) -> Result<Option<Cow<'_, str>>, Cow<'static, str>> {
    Ok(match result {
        Value::Null => None,
        Value::String(name) => Some(Cow::Borrowed(name.as_str())),
        Value::Bool(true) => Some(Cow::Borrowed("true")),
        Value::Bool(false) => Some(Cow::Borrowed("false")),
        Value::Number(n) => Some(Cow::Owned(crate::targeting::js_number_text(n))),
        other => {
            return Err(Cow::Owned(format!(
                "the targeting rule returned {}, not a variant name",
                json_type_name(other)
            )))
        }
    })
}
