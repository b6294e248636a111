//! Experiments (DESIGN §3 step 5, §4): which variant of a flag a unit gets when an experiment
//! splits the flag. This module knows nothing of policies; the evaluation layer joins the two.

mod sticky;

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

pub(crate) use sticky::{StickyAssignment, StickyStore};

use crate::bucketing::{self, UnitProblem};
use crate::clock::Timestamp;
use crate::config::{Config, Experiment, Flag};
use crate::context::Context;
use crate::targeting::{Env, EvalError};

/// An experiment assigned the unit a variant (or held it out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment<'c, 'x> {
    pub(crate) experiment: &'c str,
    pub(crate) layer: Option<&'c str>,
    /// The holdout that caught the unit: it gets the flag's default variant.
    pub(crate) holdout: Option<&'c str>,
    /// The variant to serve; `None` when a held-out unit meets a flag without a default variant
    /// (it gets the caller's default).
    pub(crate) variant: Option<usize>,
    /// The normalised unit.
    pub(crate) unit: Cow<'x, str>,
}

/// What the flag's experiments decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<'c, 'x> {
    Assigned(Assignment<'c, 'x>),
    /// No experiment applied; the first one skipped for want of a valid unit, if any.
    NotApplied(Option<(&'c str, UnitProblem)>),
}

/// Runs the flag's experiments in config order; the first that is live, whose audience matches,
/// whose unit is valid and whose layer range holds the unit assigns the variant.
///
/// # Errors
/// An audience rule that raises an error.
pub(crate) fn assign<'c, 'x>(
    config: &'c Config,
    flag: &Flag,
    ctx: &'x Context,
    env: &Env<'_>,
    now: Timestamp,
    sticky: &Mutex<StickyStore>,
) -> Result<Outcome<'c, 'x>, EvalError> {
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
            if !audience.matches(ctx.as_value(), env)? {
                continue;
            }
        }
        let unit = match bucketing::normalize_unit(unit_value(ctx, &experiment.unit)) {
            Ok(unit) => unit,
            Err(problem) => {
                skipped.get_or_insert((&**key, problem));
                continue;
            }
        };
        if let Some(assignment) = place(key, experiment, flag, unit, sticky) {
            return Ok(Outcome::Assigned(assignment));
        }
    }
    Ok(Outcome::NotApplied(skipped))
}

/// Layer membership, holdouts and allocation for one valid unit; `None` when the unit is outside
/// the experiment's layer ranges.
fn place<'c, 'x>(
    key: &'c str,
    experiment: &'c Experiment,
    flag: &Flag,
    unit: Cow<'x, str>,
    sticky: &Mutex<StickyStore>,
) -> Option<Assignment<'c, 'x>> {
    let layer = experiment.layer();
    if experiment.sticky {
        let store = sticky.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = store.get(key, &unit) {
            // A variant removed from the flag since cannot be kept: assign afresh.
            if let Some(variant) = flag.variant_index(&kept.variant) {
                let holdout = kept.holdout.as_deref().and_then(|h| {
                    experiment
                        .holdouts
                        .iter()
                        .find(|c| &*c.key == h)
                        .map(|c| &*c.key)
                });
                return Some(Assignment {
                    experiment: key,
                    layer,
                    holdout,
                    variant: Some(variant),
                    unit,
                });
            }
        }
    }
    if !experiment
        .placement
        .contains(bucketing::bucket(&experiment.placement.salt, &unit))
    {
        return None;
    }
    let holdout = experiment
        .holdouts
        .iter()
        .find(|h| bucketing::bucket(&h.salt, &unit) < h.threshold);
    let variant = match holdout {
        Some(_) => flag.default_variant,
        None => bucketing::allocate(&experiment.salt, &unit, &experiment.weights)
            .and_then(|arm| experiment.arms.get(arm).copied()),
    };
    let holdout = holdout.map(|h| &*h.key);
    if experiment.sticky {
        if let Some(name) = variant.and_then(|v| flag.variants.get(v)).map(|v| &v.name) {
            let mut store = sticky.lock().unwrap_or_else(PoisonError::into_inner);
            store.put(
                key,
                &unit,
                StickyAssignment {
                    variant: name.clone(),
                    holdout: holdout.map(Into::into),
                },
            );
        }
    }
    Some(Assignment {
        experiment: key,
        layer,
        holdout,
        variant,
        unit,
    })
}

/// The context value at a unit path: the top-level key as written, else a dotted path into
/// nested objects (`user.id`).
fn unit_value<'x>(ctx: &'x Context, path: &str) -> Option<&'x Value> {
    if let Some(value) = ctx.get(path) {
        return Some(value);
    }
    let mut segments = path.split('.');
    let first = ctx.get(segments.next()?)?;
    segments.try_fold(first, |value, segment| value.get(segment))
}
