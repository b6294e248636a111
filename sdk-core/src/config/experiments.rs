//! Experiments, layers and holdouts: parsed, validated and kept for the experiment evaluator.

use std::collections::HashSet;
use std::sync::Arc;

use super::diagnostics::{Diagnostics, Severity};
use super::fields::{as_u32, object, opt_bool, opt_number_in, opt_str, reject_unknown};
use super::rules::DocumentRules;
use crate::clock::Timestamp;
use crate::context::path::HashedPath;
use crate::json_checked::{Members, Tree};
use crate::json_path;
use crate::limits::Limits;
use crate::targeting::Rule;

/// Where an experiment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExperimentStatus {
    Draft,
    Running,
    Stopped,
}

/// Where an experiment's units come from: slices of one layer's bucket space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The explicit layer, or `None` for the experiment's implicit layer of its own.
    pub(crate) layer: Option<Box<str>>,
    /// The layer's salt (DESIGN §4: `layer/<key>` unless set).
    pub(crate) salt: Box<str>,
    /// `[start, end)` bucket ranges owned by the experiment, sorted by start and disjoint (a
    /// layer's ranges are checked not to overlap at load).
    pub(crate) ranges: Vec<(u32, u32)>,
}

impl Placement {
    pub(crate) fn contains(&self, bucket: u32) -> bool {
        // Sorted and disjoint: only the last range starting at or before `bucket` can hold it,
        // found in log time (an experiment may own up to 10,000 one-bucket ranges).
        let after = self.ranges.partition_point(|&(start, _)| start <= bucket);
        after
            .checked_sub(1)
            .and_then(|last| self.ranges.get(last))
            .is_some_and(|&(_, end)| bucket < end)
    }
}

/// A holdout that covers an experiment, ready to check. Shared strings: every experiment a
/// holdout covers keeps one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HoldoutCheck {
    pub(crate) key: Arc<str>,
    pub(crate) salt: Arc<str>,
    /// Held out iff `bucket < threshold` (`round(percent × 100)`).
    pub(crate) threshold: u32,
}

/// A validated experiment, with its salts, layer placement and holdouts resolved at load.
#[derive(Debug, Clone)]
pub(crate) struct Experiment {
    pub(crate) flag: Box<str>,
    pub(crate) status: ExperimentStatus,
    /// Context path of the unit of randomisation (default `targetingKey`).
    pub(crate) unit: HashedPath,
    pub(crate) audience: Option<Rule>,
    /// Variant names and integer weights, in order, as written.
    pub(crate) allocation: Vec<(Box<str>, u32)>,
    /// The flag's variant index of each allocation arm (resolved against the flag at load).
    pub(crate) arms: Vec<usize>,
    /// The weights of the arms, in order.
    pub(crate) weights: Vec<u32>,
    pub(crate) start: Option<Timestamp>,
    pub(crate) end: Option<Timestamp>,
    /// The allocation salt (`experiment/<key>` unless set).
    pub(crate) salt: Box<str>,
    pub(crate) sticky: bool,
    pub(crate) placement: Placement,
    pub(crate) holdouts: Vec<HoldoutCheck>,
}

impl Experiment {
    /// The explicit layer named in the config, if any.
    pub(crate) fn layer(&self) -> Option<&str> {
        self.placement.layer.as_deref()
    }

    /// Whether the experiment is running and `now` is inside `[start, end)`.
    pub(crate) fn is_live(&self, now: Timestamp) -> bool {
        self.status == ExperimentStatus::Running
            && self.start.is_none_or(|start| start <= now)
            && self.end.is_none_or(|end| now < end)
    }
}

/// A layer: slices of `[0, 10000)` owned by experiments, mutually exclusive.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    /// The layer's salt (`layer/<key>` unless set).
    pub(crate) salt: Box<str>,
    /// `(experiment, [start, end))`, sorted by start.
    pub(crate) ranges: Vec<(Box<str>, u32, u32)>,
}

/// Which experiments a holdout covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HoldoutScope {
    All,
    Only(Vec<Box<str>>),
}

/// A holdout: a share of units that sees only default variants.
#[derive(Debug, Clone)]
pub(crate) struct Holdout {
    pub(crate) percent: f64,
    pub(crate) scope: HoldoutScope,
    /// The holdout's salt (`holdout/<key>` unless set).
    pub(crate) salt: Box<str>,
}

/// Buckets in the layer space (DESIGN §4).
pub(crate) const BUCKETS: u32 = 10_000;

const EXPERIMENT_FIELDS: [&str; 13] = [
    "flag",
    "status",
    "layer",
    "unit",
    "audience",
    "allocation",
    "start",
    "end",
    "traffic",
    "salt",
    "sticky",
    "metrics",
    "description",
];

pub(crate) fn parse_experiment<'t>(
    key: &str,
    value: &Tree<'t>,
    path: &str,
    evaluators: &DocumentRules<'t>,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Experiment> {
    let map = object(value, path, "an experiment", diags)?;
    let mut ok = reject_unknown(map, path, &EXPERIMENT_FIELDS, diags);
    let flag = match opt_str(map, "flag", path, diags) {
        Ok(Some(flag)) => Some(flag),
        Ok(None) => {
            diags.error(
                &json_path::key(path, "flag"),
                "missing (required: the flag it splits)",
            );
            None
        }
        Err(()) => None,
    };
    let status = parse_status(map.get("status"), &json_path::key(path, "status"), diags);
    let layer = opt_str(map, "layer", path, diags);
    let unit = opt_str(map, "unit", path, diags);
    let salt = opt_str(map, "salt", path, diags);
    let sticky = opt_bool(map, "sticky", path, diags);
    let traffic = opt_number_in(map, "traffic", path, (0.0, 100.0), diags);
    if let (Ok(Some(_)), Ok(Some(_))) = (&layer, &traffic) {
        diags.error(
            &json_path::key(path, "traffic"),
            "traffic applies only to an experiment without a layer (a layer's ranges set its share)",
        );
        ok = false;
    }
    let audience = match map.get("audience") {
        None | Some(Tree::Null) => Some(None),
        Some(rule @ Tree::Object(_)) => evaluators
            .compile(rule, &|| json_path::key(path, "audience"), diags)
            .map(Some),
        Some(other) => {
            diags.error(
                &json_path::key(path, "audience"),
                format!(
                    "must be a JSON Logic rule (an object), not {}",
                    other.type_name()
                ),
            );
            None
        }
    };
    let allocation = parse_allocation(
        map.get("allocation"),
        &json_path::key(path, "allocation"),
        limits,
        diags,
    );
    let start = parse_time(map, "start", path, diags);
    let end = parse_time(map, "end", path, diags);
    if let (Ok(Some(start)), Ok(Some(end))) = (start, end) {
        if start >= end {
            diags.error(&json_path::key(path, "end"), "must be later than start");
            ok = false;
        }
    }
    if let Some(metrics) = map.get("metrics") {
        ok &= parse_metrics(metrics, &json_path::key(path, "metrics"), diags);
    }
    if let Some(description) = map.get("description") {
        if !description.is_string() {
            diags.error(&json_path::key(path, "description"), "must be a string");
            ok = false;
        }
    }
    let layer: Option<Box<str>> = layer.ok()?.map(Into::into);
    // An experiment without a layer has an implicit layer of its own (DESIGN §4); an explicit
    // layer's salt and ranges are filled in once layers are parsed.
    let traffic_end = (traffic.ok()?.unwrap_or(100.0) * 100.0).round() as u32;
    let placement = match layer {
        None => Placement {
            layer: None,
            salt: format!("layer/{key}").into(),
            ranges: vec![(0, traffic_end)],
        },
        Some(layer) => Placement {
            salt: Box::from(""),
            layer: Some(layer),
            ranges: Vec::new(),
        },
    };
    let allocation = allocation?;
    let weights = allocation.iter().map(|&(_, w)| w).collect();
    let experiment = Experiment {
        flag: flag?.into(),
        status: status?,
        unit: HashedPath::new(unit.ok()?.unwrap_or("targetingKey")),
        audience: audience?,
        allocation,
        arms: Vec::new(),
        weights,
        start: start.ok()?,
        end: end.ok()?,
        salt: salt
            .ok()?
            .map_or_else(|| format!("experiment/{key}").into(), Into::into),
        sticky: sticky.ok()?.unwrap_or(false),
        placement,
        holdouts: Vec::new(),
    };
    ok.then_some(experiment)
}

fn parse_status(
    value: Option<&Tree<'_>>,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<ExperimentStatus> {
    match value.and_then(Tree::as_str) {
        Some("draft") => Some(ExperimentStatus::Draft),
        Some("running") => Some(ExperimentStatus::Running),
        Some("stopped") => Some(ExperimentStatus::Stopped),
        _ if value.is_none() => {
            diags.error(
                path,
                r#"missing (required: "draft", "running" or "stopped")"#,
            );
            None
        }
        _ => {
            diags.error(path, r#"must be "draft", "running" or "stopped""#);
            None
        }
    }
}

fn parse_allocation(
    value: Option<&Tree<'_>>,
    path: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Vec<(Box<str>, u32)>> {
    let shape = r#"must be a non-empty array of [variant, weight] pairs, e.g. [["control", 50], ["treatment", 50]]"#;
    let Some(Tree::Array(entries)) = value else {
        diags.error(path, shape);
        return None;
    };
    if entries.is_empty() {
        diags.error(path, shape);
        return None;
    }
    // Each arm is a different variant of the flag, and a flag has at most `max_variants`.
    if entries.len() > limits.max_variants {
        diags.error(
            path,
            format!(
                "{} arms, more than the limit of {} (each arm is a different variant of the flag)",
                entries.len(),
                limits.max_variants
            ),
        );
        return None;
    }
    let mut allocation = Vec::with_capacity(entries.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(entries.len());
    let mut total: u64 = 0;
    for (i, entry) in entries.iter().enumerate() {
        let entry_path = json_path::index(path, i);
        let pair = match entry.as_array() {
            Some([Tree::String(name), weight]) => as_u32(weight).map(|w| (name, w)),
            _ => None,
        };
        let Some((name, weight)) = pair else {
            diags.error(
                &entry_path,
                "must be [variant name, weight] with a non-negative integer weight",
            );
            return None;
        };
        if !seen.insert(name) {
            diags.error(
                &entry_path,
                format!("variant \"{name}\" is allocated twice"),
            );
            return None;
        }
        total += u64::from(weight);
        allocation.push(((*name).into(), weight));
    }
    if total == 0 {
        diags.error(
            path,
            "the weights add up to 0: at least one must be positive",
        );
        return None;
    }
    if total > u64::from(u32::MAX) {
        diags.error(
            path,
            format!("the weights add up to more than {}", u32::MAX),
        );
        return None;
    }
    Some(allocation)
}

fn parse_time(
    map: Members<'_>,
    key: &str,
    path: &str,
    diags: &mut Diagnostics,
) -> Result<Option<Timestamp>, ()> {
    match map.get(key) {
        None | Some(Tree::Null) => Ok(None),
        Some(Tree::String(text)) => Timestamp::parse_rfc3339(text).map(Some).map_err(|message| {
            diags.error(&json_path::key(path, key), message);
        }),
        Some(other) => {
            diags.error(
                &json_path::key(path, key),
                format!(
                    "must be an RFC 3339 date-time string, not {}",
                    other.type_name()
                ),
            );
            Err(())
        }
    }
}

fn parse_metrics(value: &Tree<'_>, path: &str, diags: &mut Diagnostics) -> bool {
    let Some(map) = object(value, path, "metrics", diags) else {
        return false;
    };
    let mut ok = reject_unknown(map, path, &["primary", "guardrails", "secondary"], diags);
    ok &= opt_str(map, "primary", path, diags).is_ok();
    for list in ["guardrails", "secondary"] {
        match map.get(list) {
            None => {}
            Some(Tree::Array(items)) if items.iter().all(Tree::is_string) => {}
            Some(_) => {
                diags.error(
                    &json_path::key(path, list),
                    "must be an array of metric names",
                );
                ok = false;
            }
        }
    }
    ok
}

pub(crate) fn parse_layer(
    key: &str,
    value: &Tree<'_>,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<Layer> {
    let map = object(value, path, "a layer", diags)?;
    let mut ok = reject_unknown(map, path, &["ranges", "salt", "description"], diags);
    let salt = opt_str(map, "salt", path, diags);
    let ranges_path = json_path::key(path, "ranges");
    let ranges_map = match map.get("ranges") {
        Some(value) => object(value, &ranges_path, "ranges", diags)?,
        None => {
            diags.error(
                &ranges_path,
                "missing (required: experiment -> [[start, end], ...])",
            );
            return None;
        }
    };
    // Valid ranges are disjoint and at least one bucket wide, so no more than BUCKETS of them
    // fit in a layer: a longer list is wrong whatever it holds, and is not looked at further.
    let count: usize = ranges_map
        .values()
        .map(|list| list.as_array().map_or(0, <[_]>::len))
        .sum();
    if count > BUCKETS as usize {
        diags.error(
            &ranges_path,
            format!(
                "{count} ranges, more than the {BUCKETS} buckets of a layer: ranges of one layer \
                 must not overlap"
            ),
        );
        return None;
    }
    let mut ranges = Vec::with_capacity(count);
    for (experiment, list) in ranges_map {
        let list_path = json_path::key(&ranges_path, experiment);
        let Some(items) = list.as_array().filter(|items| !items.is_empty()) else {
            diags.error(
                &list_path,
                "must be a non-empty array of [start, end] ranges",
            );
            ok = false;
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let bounds = match item.as_array() {
                Some([start, end]) => as_u32(start).zip(as_u32(end)),
                _ => None,
            };
            match bounds {
                Some((start, end)) if start < end && end <= BUCKETS => {
                    ranges.push((experiment.into(), start, end));
                }
                _ => {
                    diags.error(
                        &json_path::index(&list_path, i),
                        format!("must be [start, end) with integers 0 <= start < end <= {BUCKETS}"),
                    );
                    ok = false;
                }
            }
        }
    }
    let ranges = crate::sort::sort_by(ranges, |a, b| a.1.cmp(&b.1));
    for pair in ranges.windows(2) {
        if let [(a, _, a_end), (b, b_start, _)] = pair {
            if b_start < a_end {
                diags.error(
                    &ranges_path,
                    format!(
                        "ranges overlap: \"{a}\" ends at {a_end} after \"{b}\" starts at {b_start}; \
                         experiments of one layer must be mutually exclusive"
                    ),
                );
                ok = false;
            }
        }
    }
    let layer = Layer {
        salt: salt
            .ok()?
            .map_or_else(|| format!("layer/{key}").into(), Into::into),
        ranges,
    };
    ok.then_some(layer)
}

pub(crate) fn parse_holdout(
    key: &str,
    value: &Tree<'_>,
    path: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Holdout> {
    let map = object(value, path, "a holdout", diags)?;
    let ok = reject_unknown(
        map,
        path,
        &["percent", "experiments", "salt", "description"],
        diags,
    );
    let salt = opt_str(map, "salt", path, diags);
    let percent = match opt_number_in(map, "percent", path, (0.0, 100.0), diags) {
        Ok(Some(percent)) => Some(percent),
        Ok(None) => {
            diags.error(
                &json_path::key(path, "percent"),
                "missing (required: 0 to 100)",
            );
            None
        }
        Err(()) => None,
    };
    let scope_path = json_path::key(path, "experiments");
    let scope = match map.get("experiments").and_then(Tree::as_array) {
        Some(items) if items.len() == 1 && items.first().and_then(Tree::as_str) == Some("*") => {
            Some(HoldoutScope::All)
        }
        // Each entry names a different experiment, and there are at most `max_experiments`.
        Some(items) if items.len() > limits.max_experiments => {
            diags.error(
                &scope_path,
                format!(
                    "{} entries, more than the limit of {} experiments",
                    items.len(),
                    limits.max_experiments
                ),
            );
            None
        }
        Some(items)
            if !items.is_empty() && items.iter().all(|i| i.as_str().is_some_and(|s| s != "*")) =>
        {
            let mut seen = HashSet::with_capacity(items.len());
            for (i, name) in items.iter().filter_map(Tree::as_str).enumerate() {
                if !seen.insert(name) {
                    diags.push_with(Severity::Warning, || {
                        (
                            json_path::index(&scope_path, i),
                            format!("experiment \"{name}\" is listed twice"),
                        )
                    });
                }
            }
            Some(HoldoutScope::Only(
                items
                    .iter()
                    .filter_map(Tree::as_str)
                    .map(Into::into)
                    .collect(),
            ))
        }
        _ => {
            diags.error(
                &scope_path,
                r#"must be ["*"] or a non-empty array of experiment keys"#,
            );
            None
        }
    };
    let holdout = Holdout {
        percent: percent?,
        scope: scope?,
        salt: salt
            .ok()?
            .map_or_else(|| format!("holdout/{key}").into(), Into::into),
    };
    ok.then_some(holdout)
}
