//! Assigning a unit to an experiment's variant: audience, unit, layer range, holdouts,
//! allocation and sticky assignments (DESIGN §3 step 6, §4).

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use super::sticky::{StickyAssignment, StickyStore};
use crate::bucketing::{self, UnitProblem};
use crate::config::{Config, Experiment, Flag};
use crate::context::Context;
use crate::evaluation::call::Call;
use crate::targeting::{Budget, Env, EvalError};

/// An experiment assigned the unit a variant (or held it out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment<'c> {
    /// The experiment's index in the config.
    pub(crate) experiment: usize,
    /// The key of the holdout that caught the unit: it gets the flag's default variant.
    pub(crate) holdout: Option<&'c str>,
    /// The variant to serve; `None` when a held-out unit meets a flag without a default variant
    /// (it gets the caller's default).
    pub(crate) variant: Option<usize>,
}

/// What the flag's experiments decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<'c> {
    Assigned(Assignment<'c>),
    /// No experiment applied; the first one skipped for want of a valid unit, if any.
    NotApplied(Option<(usize, UnitProblem)>),
}

/// The unit of `experiment` in `ctx`, normalised (DESIGN §4), read with the one path resolver;
/// a unit longer than `max_unit_bytes` is invalid (DESIGN §6).
pub(crate) fn unit<'x>(
    experiment: &Experiment,
    ctx: &'x Context,
    max_unit_bytes: usize,
) -> Result<Cow<'x, str>, UnitProblem> {
    let unit = bucketing::normalize_unit(ctx.resolve_path(&experiment.unit))?;
    if unit.len() > max_unit_bytes {
        return Err(UnitProblem::Invalid);
    }
    Ok(unit)
}

/// Runs the flag's experiments in config order; the first that is live, whose audience matches,
/// whose unit is valid and whose layer range holds the unit assigns the variant.
///
/// # Errors
/// An audience rule that raises an error.
pub(crate) fn assign<'c>(
    config: &'c Config,
    flag: &Flag,
    ctx: &Context,
    env: &Env<'_>,
    budget: &Budget,
    call: &Call<'_>,
) -> Result<Outcome<'c>, EvalError> {
    let now = call.now.get();
    let mut skipped = None;
    for &index in &flag.experiments {
        let Some((key, entity)) = config.experiments.get(index) else {
            continue;
        };
        let Some(experiment) = entity.ready() else {
            continue;
        };
        if !experiment.is_live(now) {
            continue;
        }
        if let Some(audience) = &experiment.audience {
            if !audience.matches_context(ctx, env, budget)? {
                continue;
            }
        }
        let unit = match unit(experiment, ctx, call.max_unit_bytes) {
            Ok(unit) => unit,
            Err(problem) => {
                skipped.get_or_insert((index, problem));
                continue;
            }
        };
        if let Some((holdout, variant)) = place(key, experiment, flag, &unit, call.sticky) {
            return Ok(Outcome::Assigned(Assignment {
                experiment: index,
                holdout,
                variant,
            }));
        }
    }
    Ok(Outcome::NotApplied(skipped))
}

/// Layer membership, holdouts and allocation for one valid unit; `None` when the unit is outside
/// the experiment's layer ranges.
/// `(holdout, variant)` for the unit.
type Placed<'c> = (Option<&'c str>, Option<usize>);

fn place<'c>(
    key: &str,
    experiment: &'c Experiment,
    flag: &Flag,
    unit: &str,
    sticky: &Mutex<StickyStore>,
) -> Option<Placed<'c>> {
    if experiment.sticky {
        let store = sticky.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = store.get(key, unit) {
            // A variant removed from the flag since cannot be kept: assign afresh.
            if let Some(variant) = flag.variant_index(&kept.variant) {
                let holdout = kept.holdout.as_deref().and_then(|h| {
                    experiment
                        .holdouts
                        .iter()
                        .find(|c| &*c.key == h)
                        .map(|c| &*c.key)
                });
                return Some((holdout, Some(variant)));
            }
        }
    }
    if !experiment
        .placement
        .contains(bucketing::bucket(&experiment.placement.salt, unit))
    {
        return None;
    }
    let holdout = experiment
        .holdouts
        .iter()
        .find(|h| bucketing::bucket(&h.salt, unit) < h.threshold);
    let variant = match holdout {
        Some(_) => flag.default_variant,
        None => bucketing::allocate(&experiment.salt, unit, &experiment.weights)
            .and_then(|arm| experiment.arms.get(arm).copied()),
    };
    let holdout = holdout.map(|h| &*h.key);
    if experiment.sticky {
        if let Some(name) = variant.and_then(|v| flag.variants.get(v)).map(|v| &v.name) {
            let mut store = sticky.lock().unwrap_or_else(PoisonError::into_inner);
            store.put(
                key,
                unit,
                StickyAssignment {
                    variant: name.clone(),
                    holdout: holdout.map(Into::into),
                },
            );
        }
    }
    Some((holdout, variant))
}
