//! Cross-reference checks, run once every section is parsed: a reference to something unknown is
//! an error on the entity that holds it.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::diagnostics::Diagnostics;
use super::experiments::{HoldoutCheck, HoldoutScope};
use super::{Config, Entity, Named};
use crate::bucketing;
use crate::json_path;

/// `raw_experiments` is the document's `experiments` section, to find the flag of an experiment
/// that did not parse.
pub(super) fn check(
    config: &mut Config,
    raw_experiments: Option<&Map<String, Value>>,
    diags: &mut Diagnostics,
) {
    check_policy_references(config, diags);
    check_experiments(config, diags);
    check_layers(config, diags);
    check_holdouts(config, diags);
    break_dependents_of_broken_layers(config);
    place_in_layers_and_holdouts(config, diags);
    check_salts(config, diags);
    break_flags_of_broken_experiments(config, raw_experiments);
}

/// Gives each experiment of an explicit layer that layer's salt and its ranges, and each
/// experiment the holdouts that cover it.
fn place_in_layers_and_holdouts(config: &mut Config, diags: &mut Diagnostics) {
    for (key, entity) in &mut config.experiments {
        let Entity::Ready(experiment) = entity else {
            continue;
        };
        if let Some(layer_key) = experiment.placement.layer.as_deref() {
            let layer = config
                .layers
                .iter()
                .find(|(k, _)| &**k == layer_key)
                .and_then(|(_, l)| l.ready());
            if let Some(layer) = layer {
                experiment.placement.salt = layer.salt.clone();
                experiment.placement.ranges = layer
                    .ranges
                    .iter()
                    .filter(|(e, _, _)| e == key)
                    .map(|&(_, start, end)| (start, end))
                    .collect();
            }
            if experiment.placement.ranges.is_empty() {
                diags.warning(
                    &json_path::key(&json_path::key("experiments", key), "layer"),
                    format!(
                        "layer \"{layer_key}\" gives this experiment no ranges: it gets no units"
                    ),
                );
            }
        }
        experiment.holdouts = config
            .holdouts
            .iter()
            .filter_map(|(holdout_key, h)| {
                let h = h.ready()?;
                h.covers(key).then(|| HoldoutCheck {
                    key: holdout_key.clone(),
                    salt: h.salt.clone(),
                    threshold: bucketing::holdout_threshold(h.percent),
                })
            })
            .collect();
    }
}

/// Marks an entity broken with `message` at `path`, unless it is broken already.
fn break_entity<T>(entity: &mut Entity<T>, path: &str, message: String, diags: &mut Diagnostics) {
    diags.error(path, message.clone());
    if let Entity::Ready(_) = entity {
        *entity = Entity::Broken(format!("{path}: {message}"));
    }
}

fn names<T>(entities: &[Named<T>]) -> HashSet<&str> {
    entities.iter().map(|(key, _)| &**key).collect()
}

fn check_policy_references(config: &mut Config, diags: &mut Diagnostics) {
    let policies: HashSet<Box<str>> = config.policies.iter().map(|(k, _)| k.clone()).collect();
    for (key, entity) in &mut config.flags {
        let Entity::Ready(flag) = entity else {
            continue;
        };
        let missing: Vec<(String, String)> = flag
            .variants
            .iter()
            .filter_map(|v| {
                let policy = v.policy.as_deref()?;
                (!policies.contains(policy)).then(|| {
                    let path = json_path::key(
                        &json_path::key(&json_path::key("flags", key), "variants"),
                        &v.name,
                    );
                    (
                        path,
                        format!("unknown policy \"{policy}\" (not in policies)"),
                    )
                })
            })
            .collect();
        for (path, message) in missing {
            break_entity(entity, &path, message, diags);
        }
    }
}

fn check_experiments(config: &mut Config, diags: &mut Diagnostics) {
    let layers = names(&config.layers);
    for (index, (key, entity)) in config.experiments.iter_mut().enumerate() {
        let Entity::Ready(experiment) = entity else {
            continue;
        };
        let path = json_path::key("experiments", key);
        let mut problems = Vec::new();
        match config
            .flag_index
            .get(&experiment.flag)
            .and_then(|&i| config.flags.get_mut(i))
        {
            None => problems.push((
                json_path::key(&path, "flag"),
                format!("unknown flag \"{}\"", experiment.flag),
            )),
            Some((_, Entity::Broken(_))) => problems.push((
                json_path::key(&path, "flag"),
                format!("flag \"{}\" is broken", experiment.flag),
            )),
            Some((_, Entity::Ready(flag))) => {
                let mut arms = Vec::with_capacity(experiment.allocation.len());
                for (i, (variant, _)) in experiment.allocation.iter().enumerate() {
                    match flag.variant_index(variant) {
                        Some(arm) => arms.push(arm),
                        None => problems.push((
                            json_path::index(&json_path::key(&path, "allocation"), i),
                            format!(
                                "\"{variant}\" is not a variant of flag \"{}\"",
                                experiment.flag
                            ),
                        )),
                    }
                }
                experiment.arms = arms;
                if problems.is_empty() {
                    flag.experiments.push(index);
                }
            }
        }
        if let Some(layer) = experiment.layer() {
            if !layers.contains(layer) {
                problems.push((
                    json_path::key(&path, "layer"),
                    format!("unknown layer \"{layer}\""),
                ));
            }
        }
        for (problem_path, message) in problems {
            break_entity(entity, &problem_path, message, diags);
        }
    }
}

/// An experiment in a broken layer cannot be placed in it.
fn break_dependents_of_broken_layers(config: &mut Config) {
    let broken: HashSet<&str> = config
        .layers
        .iter()
        .filter(|(_, e)| e.ready().is_none())
        .map(|(k, _)| &**k)
        .collect();
    for (key, entity) in &mut config.experiments {
        let Entity::Ready(experiment) = entity else {
            continue;
        };
        if let Some(layer) = experiment.layer().filter(|l| broken.contains(l)) {
            let path = json_path::key(&json_path::key("experiments", key), "layer");
            *entity = Entity::Broken(format!("{path}: layer \"{layer}\" is broken"));
        }
    }
}

/// A flag with a broken experiment cannot serve what its owner meant it to: it is broken too, so
/// the failure shows as `PARSE_ERROR` instead of silently serving the default to everyone.
fn break_flags_of_broken_experiments(
    config: &mut Config,
    raw_experiments: Option<&Map<String, Value>>,
) {
    for (key, entity) in &config.experiments {
        let Entity::Broken(_) = entity else { continue };
        let flag_key = raw_experiments
            .and_then(|raw| raw.get(&**key))
            .and_then(|e| e.get("flag"))
            .and_then(Value::as_str);
        let Some(index) = flag_key.and_then(|f| config.flag_index.get(f)) else {
            continue;
        };
        if let Some((_, flag @ Entity::Ready(_))) = config.flags.get_mut(*index) {
            let path = json_path::key("experiments", key);
            *flag = Entity::Broken(format!("{path}: the flag's experiment is broken"));
        }
    }
}

fn check_layers(config: &mut Config, diags: &mut Diagnostics) {
    for (key, entity) in &mut config.layers {
        let Entity::Ready(layer) = entity else {
            continue;
        };
        let path = json_path::key(&json_path::key("layers", key), "ranges");
        let mut problems = Vec::new();
        for (experiment, _, _) in &layer.ranges {
            let found = config.experiments.iter().find(|(k, _)| k == experiment);
            match found.map(|(_, e)| e.ready().map(|e| e.layer())) {
                None => problems.push((
                    json_path::key(&path, experiment),
                    format!("unknown experiment \"{experiment}\""),
                )),
                Some(Some(Some(layer_name))) if layer_name == &**key => {}
                Some(Some(_)) => problems.push((
                    json_path::key(&path, experiment),
                    format!("experiment \"{experiment}\" does not name layer \"{key}\""),
                )),
                // A broken experiment has its own diagnostic already.
                Some(None) => {}
            }
        }
        problems.dedup();
        for (problem_path, message) in problems {
            break_entity(entity, &problem_path, message, diags);
        }
    }
}

fn check_holdouts(config: &mut Config, diags: &mut Diagnostics) {
    let experiments = names(&config.experiments);
    for (key, entity) in &mut config.holdouts {
        let Entity::Ready(holdout) = entity else {
            continue;
        };
        let HoldoutScope::Only(list) = &holdout.scope else {
            continue;
        };
        let path = json_path::key(&json_path::key("holdouts", key), "experiments");
        let unknown: Vec<(String, String)> = list
            .iter()
            .enumerate()
            .filter(|(_, e)| !experiments.contains(&***e))
            .map(|(i, e)| {
                (
                    json_path::index(&path, i),
                    format!("unknown experiment \"{e}\""),
                )
            })
            .collect();
        for (problem_path, message) in unknown {
            break_entity(entity, &problem_path, message, diags);
        }
    }
}

/// DESIGN §4: an allocation salt is never a layer's or a holdout's salt (the variant would be
/// tied to the slice of units the layer or holdout lets through), and an implicit layer never
/// shares an explicit layer's or a holdout's salt (the two would not be independent).
fn check_salts(config: &mut Config, diags: &mut Diagnostics) {
    let mut slicing: Vec<(Box<str>, String)> = Vec::new();
    for (key, layer) in &config.layers {
        if let Some(layer) = layer.ready() {
            slicing.push((layer.salt.clone(), format!("layer \"{key}\"")));
        }
    }
    for (key, holdout) in &config.holdouts {
        if let Some(holdout) = holdout.ready() {
            slicing.push((holdout.salt.clone(), format!("holdout \"{key}\"")));
        }
    }
    let explicit = slicing.len();
    for (key, experiment) in &config.experiments {
        if let Some(e) = experiment.ready().filter(|e| e.placement.layer.is_none()) {
            slicing.push((
                e.placement.salt.clone(),
                format!("the implicit layer of \"{key}\""),
            ));
        }
    }
    for (key, entity) in &mut config.experiments {
        let Entity::Ready(experiment) = entity else {
            continue;
        };
        let path = json_path::key("experiments", key);
        if experiment.placement.layer.is_none() {
            let own = &experiment.placement.salt;
            if let Some((_, owner)) = slicing.iter().take(explicit).find(|(s, _)| s == own) {
                diags.warning(
                    &path,
                    format!(
                        "its implicit layer's salt \"{own}\" is also {owner}'s: the two are not \
                         independent (rename the experiment or give the other a salt)"
                    ),
                );
            }
        }
        if let Some((salt, owner)) = slicing.iter().find(|(s, _)| *s == experiment.salt) {
            let message = format!(
                "the allocation salt \"{salt}\" is also {owner}'s: the variant would be tied to \
                 the units it lets through"
            );
            break_entity(entity, &json_path::key(&path, "salt"), message, diags);
        }
    }
}
