//! Cross-reference checks, run once every section is parsed: a reference to something unknown is
//! an error on the entity that holds it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::diagnostics::Diagnostics;
use super::experiments::{Experiment, HoldoutCheck, HoldoutScope};
use super::{Config, Entity, Named};
use crate::bucketing;
use crate::json_checked::{Members, Tree};
use crate::json_path;

/// `raw_experiments` is the document's `experiments` section, to find the flag of an experiment
/// that did not parse.
pub(super) fn check(
    config: &mut Config,
    raw_experiments: Option<Members<'_>>,
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
/// experiment the holdouts that cover it. Linear in the layers' ranges and the holdouts' lists,
/// plus one check per (experiment, holdout) pair, which `max_holdouts` bounds.
fn place_in_layers_and_holdouts(config: &mut Config, diags: &mut Diagnostics) {
    // (layer, experiment) → the experiment's ranges in that layer, in the layer's order.
    let mut layer_salts: HashMap<&str, &str> = HashMap::new();
    let mut owned: HashMap<(&str, &str), Vec<(u32, u32)>> = HashMap::new();
    for (layer_key, layer) in &config.layers {
        let Some(layer) = layer.ready() else { continue };
        layer_salts.insert(layer_key, &layer.salt);
        for (experiment, start, end) in &layer.ranges {
            owned
                .entry((layer_key, experiment))
                .or_default()
                .push((*start, *end));
        }
    }
    let holdouts: Vec<(HoldoutCheck, Option<HashSet<&str>>)> = config
        .holdouts
        .iter()
        .filter_map(|(key, holdout)| {
            let holdout = holdout.ready()?;
            let check = HoldoutCheck {
                key: Arc::from(&**key),
                salt: Arc::from(&*holdout.salt),
                threshold: bucketing::holdout_threshold(holdout.percent),
            };
            let only = match &holdout.scope {
                HoldoutScope::All => None,
                HoldoutScope::Only(list) => Some(list.iter().map(|e| &**e).collect()),
            };
            Some((check, only))
        })
        .collect();
    for (key, entity) in &mut config.experiments {
        let Entity::Ready(experiment) = entity else {
            continue;
        };
        if let Some(layer_key) = experiment.placement.layer.as_deref() {
            if let Some(salt) = layer_salts.get(layer_key) {
                experiment.placement.salt = (*salt).into();
                experiment.placement.ranges =
                    owned.remove(&(layer_key, &**key)).unwrap_or_default();
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
        experiment.holdouts = holdouts
            .iter()
            .filter(|(_, only)| only.as_ref().is_none_or(|list| list.contains(&**key)))
            .map(|(check, _)| check.clone())
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

/// Flags with more variants than this get a name → index map for resolving allocations, so a
/// thousand arms on a thousand-variant flag cost a thousand lookups, not a million comparisons.
const VARIANT_SCAN_MAX: usize = 16;

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
                let by_name: Option<HashMap<&str, usize>> =
                    (flag.variants.len() > VARIANT_SCAN_MAX).then(|| {
                        flag.variants
                            .iter()
                            .enumerate()
                            .map(|(i, v)| (&*v.name, i))
                            .collect()
                    });
                let mut arms = Vec::with_capacity(experiment.allocation.len());
                for (i, (variant, _)) in experiment.allocation.iter().enumerate() {
                    let found = match &by_name {
                        Some(by_name) => by_name.get(&**variant).copied(),
                        None => flag.variant_index(variant),
                    };
                    match found {
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
fn break_flags_of_broken_experiments(config: &mut Config, raw_experiments: Option<Members<'_>>) {
    for (key, entity) in &config.experiments {
        let Entity::Broken(_) = entity else { continue };
        let flag_key = raw_experiments
            .and_then(|raw| raw.get(key))
            .and_then(|e| e.get("flag"))
            .and_then(Tree::as_str);
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
    let experiments: HashMap<&str, &Entity<Experiment>> = config
        .experiments
        .iter()
        .map(|(key, entity)| (&**key, entity))
        .collect();
    for (key, entity) in &mut config.layers {
        let Entity::Ready(layer) = entity else {
            continue;
        };
        let path = json_path::key(&json_path::key("layers", key), "ranges");
        let mut problems = Vec::new();
        let mut checked: HashSet<&str> = HashSet::new();
        for (experiment, _, _) in &layer.ranges {
            // An experiment with many ranges is one reference, checked once.
            if !checked.insert(experiment) {
                continue;
            }
            let found = experiments.get(&**experiment);
            match found.map(|e| e.ready().map(|e| e.layer())) {
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
/// shares an explicit layer's or a holdout's salt (the two would not be independent). Linear:
/// each salt is looked up once in a map of the slicing salts.
fn check_salts(config: &mut Config, diags: &mut Diagnostics) {
    /// Who slices units with a salt, for messages.
    enum Owner<'c> {
        Layer(&'c str),
        Holdout(&'c str),
        Implicit(&'c str),
    }
    impl std::fmt::Display for Owner<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Owner::Layer(key) => write!(f, "layer \"{key}\""),
                Owner::Holdout(key) => write!(f, "holdout \"{key}\""),
                Owner::Implicit(key) => write!(f, "the implicit layer of \"{key}\""),
            }
        }
    }
    // The first owner of each salt, explicit (layers, then holdouts) before implicit layers.
    let mut explicit: HashMap<&str, Owner<'_>> = HashMap::new();
    for (key, layer) in &config.layers {
        if let Some(layer) = layer.ready() {
            explicit.entry(&layer.salt).or_insert(Owner::Layer(key));
        }
    }
    for (key, holdout) in &config.holdouts {
        if let Some(holdout) = holdout.ready() {
            explicit.entry(&holdout.salt).or_insert(Owner::Holdout(key));
        }
    }
    let mut implicit: HashMap<&str, Owner<'_>> = HashMap::new();
    for (key, experiment) in &config.experiments {
        if let Some(e) = experiment.ready().filter(|e| e.placement.layer.is_none()) {
            implicit
                .entry(&e.placement.salt)
                .or_insert(Owner::Implicit(key));
        }
    }
    let mut warnings = Vec::new();
    let mut breaks = Vec::new();
    for (index, (key, experiment)) in config.experiments.iter().enumerate() {
        let Some(experiment) = experiment.ready() else {
            continue;
        };
        let path = json_path::key("experiments", key);
        if experiment.placement.layer.is_none() {
            let own = &experiment.placement.salt;
            if let Some(owner) = explicit.get(&**own) {
                warnings.push((
                    path.clone(),
                    format!(
                        "its implicit layer's salt \"{own}\" is also {owner}'s: the two are not \
                         independent (rename the experiment or give the other a salt)"
                    ),
                ));
            }
        }
        let salt = &*experiment.salt;
        if let Some(owner) = explicit.get(salt).or_else(|| implicit.get(salt)) {
            let message = format!(
                "the allocation salt \"{salt}\" is also {owner}'s: the variant would be tied to \
                 the units it lets through"
            );
            breaks.push((index, json_path::key(&path, "salt"), message));
        }
    }
    for (path, message) in warnings {
        diags.warning(&path, message);
    }
    for (index, path, message) in breaks {
        if let Some((_, entity)) = config.experiments.get_mut(index) {
            break_entity(entity, &path, message, diags);
        }
    }
}
