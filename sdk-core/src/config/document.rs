//! The top level of a config document: limits, sections, and assembling the [`Config`].

use super::diagnostics::{Diagnostics, Severity};
use super::duplicates::{broken_ref, Duplicates, REPEATED_KEY};
use super::experiments::{parse_experiment, parse_holdout, parse_layer};
use super::flags::{parse_flag, parse_metadata, rule_path};
use super::policies::parse_policy;
use super::rules::DocumentRules;
use super::{references, Config, Entity, Named};
use crate::error::{Error, ErrorKind};
use crate::hashing::fast_map;
use crate::json_checked::{self, Bump, Members, Tree};
use crate::json_path;
use crate::limits::Limits;
use crate::targeting::{CompileOptions, RuleSet};

const SECTIONS: [&str; 10] = [
    "$schema",
    "schema",
    "revision",
    "metadata",
    "flags",
    "$evaluators",
    "experiments",
    "layers",
    "holdouts",
    "policies",
];

pub(super) fn load(json: &str, limits: &Limits) -> Result<Config, Error> {
    if json.len() > limits.max_document_bytes {
        return Err(limit(format!(
            "$: the document is {} bytes, more than the limit of {}",
            json.len(),
            limits.max_document_bytes
        )));
    }
    let mut duplicates = Duplicates::default();
    let arena = Bump::new();
    let root =
        json_checked::parse_reporting(json, &arena, limits.max_json_depth, &mut |parents, key| {
            duplicates.record(parents, key);
        })?;
    let top = match root {
        Tree::Object(top) => top,
        other => {
            return Err(invalid(format!(
                "$: a config must be a JSON object, not {}",
                other.type_name()
            )))
        }
    };
    if let Some(message) = duplicates.document_error() {
        return Err(invalid(message));
    }
    check_schema_version(top)?;
    let daemon_schema = declares_flagd_daemon_schema(top);
    let flag_entries = flag_entries(top.get("flags"), daemon_schema)?;

    let mut diags = Diagnostics::default();
    for key in top.keys() {
        if !SECTIONS.contains(&key) {
            diags.push_with(Severity::Warning, || {
                (
                    json_path::key("", key),
                    "unknown top-level field (ignored)".to_owned(),
                )
            });
        }
    }
    for path in duplicates.ignored() {
        diags.warning(path, "duplicate key in an ignored field");
    }
    let revision = match top.get("revision") {
        None | Some(Tree::Null) => None,
        Some(Tree::String(s)) => Some(s.to_string()),
        Some(other) => {
            return Err(invalid(format!(
                "revision: must be a string, not {}",
                other.type_name()
            )))
        }
    };
    let set_metadata = top
        .get("metadata")
        .and_then(|m| parse_metadata(m, "metadata", &mut diags));
    let evaluators = DocumentRules::new(parse_evaluators(
        top.get("$evaluators"),
        limits,
        &mut diags,
    )?);
    if flag_entries.len() > limits.max_flags {
        return Err(limit(format!(
            "flags: {} flags, more than the limit of {}",
            flag_entries.len(),
            limits.max_flags
        )));
    }

    // Evaluators with a duplicate key, and those that `$ref` them: read from the document
    // itself, apart from how the evaluators are compiled.
    let raw_evaluators = top.get("$evaluators").and_then(Tree::as_object);
    for name in raw_evaluators.iter().flat_map(|map| map.keys()) {
        if let Some((path, message)) = duplicates.entity_error("$evaluators", name) {
            diags.error(&path, message);
        }
    }
    let broken_evaluators = duplicates.broken_evaluators(raw_evaluators);

    let mut flags: Vec<Named<_>> = Vec::with_capacity(flag_entries.len());
    let mut disabled = Vec::with_capacity(flag_entries.len());
    let mut flag_index = fast_map(flag_entries.len());
    for (item, (key, value, path, extra)) in flag_entries.into_iter().enumerate() {
        if let Some(&first) = flag_index.get(key) {
            // The array form's `key` repeated: which definition was meant is as unclear as with
            // a repeated key of the map form, so neither is served.
            let message = format!("duplicate flag key \"{key}\"");
            diags.error(&path, message.clone());
            if let Some((_, kept @ Entity::Ready(_))) = flags.get_mut(first) {
                *kept = Entity::Broken(format!("{path}: {message}"));
            }
            continue;
        }
        // By key in the map form, by position in the array form.
        let duplicate = duplicates.entity_error("flags", key).or_else(|| {
            duplicates
                .flag_item(item)
                .map(|p| (p.to_owned(), REPEATED_KEY.to_owned()))
        });
        // Known even when the flag breaks, as long as the flag says it unambiguously (no repeated
        // key in it): a disabled flag is served as disabled whatever else is wrong with it.
        let is_disabled =
            duplicate.is_none() && value.get("state").and_then(Tree::as_str) == Some("DISABLED");
        let entity = entity(&mut diags, |diags| {
            report_duplicate(duplicate, diags);
            let targeting = value.get("targeting");
            let targeting_path = || json_path::key(&path, "targeting");
            report_duplicate(
                broken_ref(targeting, targeting_path, &broken_evaluators),
                diags,
            );
            parse_flag(
                value,
                &path,
                set_metadata.as_ref(),
                &evaluators,
                limits,
                extra,
                diags,
            )
        });
        let key: Box<str> = (*key).into();
        flag_index.insert(key.clone(), flags.len());
        flags.push((key, entity));
        disabled.push(is_disabled);
    }

    let sections = Sections {
        top,
        duplicates: &duplicates,
    };
    let experiments = sections.parse(
        "experiments",
        limits.max_experiments,
        &mut diags,
        |k, v, p, d| {
            let audience = broken_ref(
                v.get("audience"),
                || json_path::key(p, "audience"),
                &broken_evaluators,
            );
            report_duplicate(audience, d);
            parse_experiment(k, v, p, &evaluators, limits, d)
        },
    )?;
    let layers = sections.parse("layers", limits.max_experiments, &mut diags, parse_layer)?;
    let holdouts = sections.parse("holdouts", limits.max_holdouts, &mut diags, |k, v, p, d| {
        parse_holdout(k, v, p, limits, d)
    })?;
    let policies = sections.parse("policies", limits.max_policies, &mut diags, |_, v, p, d| {
        parse_policy(v, p, d)
    })?;

    let experiment_index = experiments
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (key.clone(), i))
        .collect();
    let mut config = Config {
        revision,
        set_metadata,
        flags,
        disabled,
        flag_index,
        experiments,
        experiment_index,
        layers,
        holdouts,
        policies,
        diagnostics: Vec::new(),
    };
    references::check(
        &mut config,
        top.get("experiments").and_then(Tree::as_object),
        &mut diags,
    );
    config.diagnostics = diags.finish();
    Ok(config)
}

/// Pushes the error of a duplicate key (or of a `$ref` to an evaluator broken by one), if any.
fn report_duplicate(problem: Option<(String, String)>, diags: &mut Diagnostics) {
    if let Some((path, message)) = problem {
        diags.error(&path, message);
    }
}

/// Runs an entity parser; any error-severity diagnostic it pushes makes the entity broken.
fn entity<T>(
    diags: &mut Diagnostics,
    parse: impl FnOnce(&mut Diagnostics) -> Option<T>,
) -> Entity<T> {
    diags.begin_entity();
    let parsed = parse(diags);
    let first_error = diags.end_entity();
    match (parsed, first_error) {
        (Some(value), None) => Entity::Ready(value),
        (_, Some(message)) => Entity::Broken(message),
        // A parser that returns nothing without saying why is a bug; stay safe and say so.
        (None, None) => Entity::Broken("invalid (no detail available)".to_owned()),
    }
}

/// The top-level sections that map keys to entities (`experiments`, `layers`, ...).
struct Sections<'a> {
    top: Members<'a>,
    duplicates: &'a Duplicates,
}

impl<'a> Sections<'a> {
    /// Parses section `name`, each entity on its own; a duplicate key breaks its entity.
    fn parse<T>(
        &self,
        name: &str,
        max: usize,
        diags: &mut Diagnostics,
        mut parse: impl FnMut(&str, &'a Tree<'a>, &str, &mut Diagnostics) -> Option<T>,
    ) -> Result<Vec<Named<T>>, Error> {
        let map = match self.top.get(name) {
            None | Some(Tree::Null) => return Ok(Vec::new()),
            Some(Tree::Object(map)) => map,
            Some(other) => {
                return Err(invalid(format!(
                    "{name}: must be an object of named entries, not {}",
                    other.type_name()
                )))
            }
        };
        if map.len() > max {
            return Err(limit(format!(
                "{name}: {} entries, more than the limit of {max}",
                map.len()
            )));
        }
        Ok(map
            .iter()
            .map(|(key, value)| {
                let path = json_path::key(name, key);
                let entity = entity(diags, |diags| {
                    report_duplicate(self.duplicates.entity_error(name, key), diags);
                    parse(key, value, &path, diags)
                });
                (key.into(), entity)
            })
            .collect())
    }
}

/// `(key, definition, path, extra allowed fields)` for each flag, from the map form or, in a
/// document that declares flagd's daemon schema, the array form.
type FlagEntry<'t> = (&'t str, &'t Tree<'t>, String, &'static [&'static str]);

fn flag_entries<'t>(
    flags: Option<&'t Tree<'t>>,
    daemon_schema: bool,
) -> Result<Vec<FlagEntry<'t>>, Error> {
    match flags {
        Some(Tree::Object(map)) => Ok(map
            .into_iter()
            .map(|(key, value)| {
                let path = json_path::key("flags", key);
                (key, value, path, &[][..])
            })
            .collect()),
        // The array form belongs to the flagd daemon's schema (flagd.json); the provider schema
        // (flags.json), which a config follows by default, only has the map form.
        Some(Tree::Array(items)) if daemon_schema => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = json_path::index("flags", i);
                match item.get("key") {
                    Some(Tree::String(key)) if !key.is_empty() => {
                        Ok((*key, item, path, &["key"][..]))
                    }
                    _ => Err(invalid(format!(
                        "{path}.key: a flag in the array form needs a non-empty string key"
                    ))),
                }
            })
            .collect(),
        Some(Tree::Array(_)) => Err(invalid(
            "flags: must be an object of flag keys to flags (the array form is only for documents \
             whose $schema is flagd's daemon schema, flagd.json)",
        )),
        Some(other) => Err(invalid(format!(
            "flags: must be an object of flag keys to flags, not {}",
            other.type_name()
        ))),
        None => Err(invalid("flags: missing (required, may be {})")),
    }
}

fn declares_flagd_daemon_schema(top: Members<'_>) -> bool {
    top.get("$schema")
        .and_then(Tree::as_str)
        .is_some_and(|s| s.ends_with("/flagd.json") || s == "flagd.json")
}

/// `$evaluators`: named rules, each compiled once and shared by every `$ref` to it (see
/// [`RuleSet`]); their problems are reported at their own paths, once. The returned set
/// compiles the document's other rules.
fn parse_evaluators(
    value: Option<&Tree<'_>>,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Result<RuleSet, Error> {
    let map = match value {
        None | Some(Tree::Null) => None,
        Some(Tree::Object(map)) => Some(*map),
        Some(other) => {
            return Err(invalid(format!(
                "$evaluators: must be an object of named rules, not {}",
                other.type_name()
            )))
        }
    };
    let rules = RuleSet::with_evaluators(
        map,
        &CompileOptions {
            evaluators: None,
            max_depth: limits.max_rule_depth,
            max_nodes: limits.max_rule_nodes,
            max_total_elements: limits.max_total_rule_elements,
        },
    );
    let reports = rules.evaluator_reports();
    for (report, rule) in reports
        .iter()
        .zip(map.into_iter().flat_map(Members::values))
    {
        let path = json_path::key("$evaluators", report.name);
        if !rule.is_object() {
            diags.error(
                &path,
                format!(
                    "must be a JSON Logic rule (an object), not {}",
                    rule.type_name()
                ),
            );
        } else if let Some(problem) = &report.problem {
            diags.error(&rule_path(&path, &problem.path), problem.message.clone());
        } else {
            for warning in report.warnings {
                diags.violation(&rule_path(&path, &warning.path), warning.message.clone());
            }
        }
    }
    drop(reports);
    Ok(rules)
}

fn check_schema_version(top: Members<'_>) -> Result<(), Error> {
    match top.get("schema") {
        None => Ok(()),
        Some(v) if v.as_u64() == Some(1) => Ok(()),
        Some(_) => Err(invalid(
            "schema: unsupported config schema (this version of Tandem reads schema 1)",
        )),
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfig, message)
}

fn limit(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::LimitExceeded, message)
}
