//! Parsing and validation of the `trees` scorer JSON into the flat breadth-first layout that
//! evaluation relies on.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use super::{
    Link, Node, Source, Tree, TreeEnsemble, TreeProblem, CATEGORICAL, DEFAULT_LEFT, LEAF,
    MAX_NODES, MAX_TREES, MISSING_NAN, MISSING_ZERO,
};
use crate::context::json_type_name;
use crate::json_path;

const ENSEMBLE_FIELDS: [&str; 4] = ["source", "base_score", "link", "trees"];
const TREE_FIELDS: [&str; 2] = ["output", "nodes"];
const LEAF_FIELDS: [&str; 1] = ["leaf"];
const SPLIT_FIELDS: [&str; 7] = [
    "feature",
    "threshold",
    "categories",
    "left",
    "right",
    "default_left",
    "missing",
];
/// Where LightGBM's dump clamps infinite thresholds.
const LGBM_INFINITY: f64 = 1e300;
/// Both libraries cast a category to a 32-bit signed int; larger ones can never match.
const MAX_CATEGORY: u64 = i32::MAX as u64;

fn problem(path: impl Into<String>, message: impl Into<String>) -> TreeProblem {
    problem_text(path.into(), message.into())
}

/// The one non-generic body behind [`problem`].
#[inline(never)]
fn problem_text(path: String, message: String) -> TreeProblem {
    TreeProblem { path, message }
}

/// Most trees and most nodes; tests shrink them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Caps {
    pub(super) trees: usize,
    pub(super) nodes: usize,
}

pub(super) const CAPS: Caps = Caps {
    trees: MAX_TREES,
    nodes: MAX_NODES,
};

/// [`TreeEnsemble::from_json`] with the caps as a parameter.
pub(super) fn ensemble(
    spec: &Value,
    inputs: usize,
    outputs: usize,
    caps: Caps,
) -> Result<TreeEnsemble, TreeProblem> {
    let map = object(spec, "", "the trees scorer")?;
    reject_unknown(map, "", &ENSEMBLE_FIELDS)?;
    let source = match required(map, "", "source")? {
        Value::String(s) if s == "xgboost" => Source::Xgboost,
        Value::String(s) if s == "lightgbm" => Source::Lightgbm,
        _ => return Err(problem("source", "must be \"xgboost\" or \"lightgbm\"")),
    };
    let link = match required(map, "", "link")? {
        Value::String(s) if s == "identity" => Link::Identity,
        Value::String(s) if s == "sigmoid" => Link::Sigmoid,
        Value::String(s) if s == "softmax" => Link::Softmax,
        _ => {
            return Err(problem(
                "link",
                "must be \"identity\", \"sigmoid\" or \"softmax\"",
            ))
        }
    };
    let base = array(required(map, "", "base_score")?, "base_score")?;
    if base.len() != outputs {
        return Err(problem(
            "base_score",
            format!(
                "needs one number per output ({outputs}), has {}",
                base.len()
            ),
        ));
    }
    let base_score = base
        .iter()
        .enumerate()
        .map(|(i, v)| finite(v, || json_path::index("base_score", i)))
        .collect::<Result<Vec<_>, _>>()?;
    let specs = array(required(map, "", "trees")?, "trees")?;
    if specs.len() > caps.trees {
        return Err(problem(
            "trees",
            format!("{} trees; at most {} are allowed", specs.len(), caps.trees),
        ));
    }
    let mut model = TreeEnsemble {
        source,
        link,
        inputs,
        base_score,
        trees: Vec::with_capacity(specs.len()),
        nodes: Vec::new(),
        categories: Vec::new(),
    };
    // What the margins can reach: |base| plus each tree's largest |leaf|, per output.
    let mut reach: Vec<f64> = model
        .base_score
        .iter()
        .map(|&b| precision(source, b).abs())
        .collect();
    for (t, spec) in specs.iter().enumerate() {
        let path = json_path::index("trees", t);
        let first = model.nodes.len();
        let tree = tree(&mut model, spec, &path, outputs, caps.nodes)?;
        let largest = model
            .nodes
            .get(first..)
            .unwrap_or_default()
            .iter()
            .filter(|n| n.flags & LEAF != 0)
            .map(|n| precision(source, n.value).abs())
            .fold(0.0, f64::max);
        if let Some(r) = reach.get_mut(tree.output as usize) {
            *r += largest;
        }
        model.trees.push(tree);
    }
    // Finite margins keep the links and exploration well defined; half the range leaves room
    // for rounding in the sums. (`reach` holds sums of magnitudes: never NaN.)
    let limit = match source {
        Source::Xgboost => f64::from(f32::MAX) / 2.0,
        Source::Lightgbm => f64::MAX / 2.0,
    };
    if let Some(o) = reach.iter().position(|r| *r > limit) {
        return Err(problem(
            "trees",
            format!("the base score and leaves of output {o} can add up to infinity"),
        ));
    }
    model.nodes.shrink_to_fit();
    model.categories.shrink_to_fit();
    Ok(model)
}

/// A number as the source's arithmetic sees it: f32 for XGBoost (where it may become ±∞).
fn precision(source: Source, v: f64) -> f64 {
    match source {
        Source::Xgboost => f64::from(v as f32),
        Source::Lightgbm => v,
    }
}

/// Parses one tree and appends its nodes to `model.nodes` breadth-first from node 0, checking
/// that every node is reached exactly once (a tree: no cycle, no shared child, nothing
/// unreachable). The walk uses a queue, never recursion, so hostile depth costs no stack.
/// Paths are only formatted for an error: a valid tree allocates nothing per node.
fn tree(
    model: &mut TreeEnsemble,
    spec: &Value,
    path: &str,
    outputs: usize,
    max_nodes: usize,
) -> Result<Tree, TreeProblem> {
    let map = object(spec, path, "a tree")?;
    reject_unknown(map, path, &TREE_FIELDS)?;
    let output_path = || json_path::key(path, "output");
    let output = index_value(required(map, path, "output")?, output_path)?;
    if output >= outputs {
        return Err(problem(
            output_path(),
            format!("output {output} is out of range (the scorer has {outputs} outputs)"),
        ));
    }
    let nodes_path = json_path::key(path, "nodes");
    let nodes = array(required(map, path, "nodes")?, &nodes_path)?;
    if nodes.is_empty() {
        return Err(problem(nodes_path, "a tree needs at least one node"));
    }
    if nodes.len() > max_nodes.saturating_sub(model.nodes.len()) {
        return Err(problem(
            nodes_path,
            format!("more than {max_nodes} nodes in all trees together"),
        ));
    }
    let base = model.nodes.len();
    let mut seen = vec![false; nodes.len()];
    let mut queue = VecDeque::from([0usize]);
    let mut enqueued = 1usize;
    if let Some(first) = seen.first_mut() {
        *first = true;
    }
    while let Some(old) = queue.pop_front() {
        let node_path = || json_path::index(&nodes_path, old);
        let spec = nodes
            .get(old)
            .ok_or_else(|| problem(node_path(), "node index out of range"))?;
        let (mut node, children) = node(model, spec, node_path)?;
        if let Some([left, right]) = children {
            for (child, key) in [(left, "left"), (right, "right")] {
                let child_path = || json_path::key(&node_path(), key);
                let slot = seen.get_mut(child).ok_or_else(|| {
                    problem(
                        child_path(),
                        format!("child {child} is out of range ({} nodes)", nodes.len()),
                    )
                })?;
                if *slot {
                    return Err(problem(
                        child_path(),
                        format!("node {child} is reached twice (a cycle or a shared child)"),
                    ));
                }
                *slot = true;
                queue.push_back(child);
            }
            // Breadth-first: the children take the next two positions after every node already
            // queued, so they land side by side and after their parent.
            node.left = u32_index(base + enqueued, node_path)?;
            enqueued += 2;
        }
        model.nodes.push(node);
    }
    if let Some(orphan) = seen.iter().position(|s| !s) {
        return Err(problem(
            json_path::index(&nodes_path, orphan),
            "node is not reachable from the root (node 0)",
        ));
    }
    Ok(Tree {
        root: u32_index(base, || nodes_path.clone())?,
        output: u32_index(output, output_path)?,
    })
}

/// Parses one node. A split also returns its children's indices in the input array; the caller
/// fills in `left` once it knows where they will be stored.
fn node(
    model: &mut TreeEnsemble,
    spec: &Value,
    path: impl Fn() -> String,
) -> Result<(Node, Option<[usize; 2]>), TreeProblem> {
    let at = |key: &str| json_path::key(&path(), key);
    let Some(map) = spec.as_object() else {
        return Err(type_problem(path(), "an object", spec));
    };
    // One pass over the fields, matched by name: loading cost is dominated by nodes, and this
    // avoids a hash lookup per field.
    let (mut leaf, mut feature, mut threshold, mut categories) = (None, None, None, None);
    let (mut left, mut right, mut default_left, mut missing) = (None, None, None, None);
    let mut known = 0;
    for (key, value) in map {
        let slot = match key.as_str() {
            "leaf" => &mut leaf,
            "feature" => &mut feature,
            "threshold" => &mut threshold,
            "categories" => &mut categories,
            "left" => &mut left,
            "right" => &mut right,
            "default_left" => &mut default_left,
            "missing" => &mut missing,
            _ => continue,
        };
        *slot = Some(value);
        known += 1;
    }
    let allowed = if leaf.is_some() {
        &LEAF_FIELDS[..]
    } else {
        &SPLIT_FIELDS[..]
    };
    if known < map.len() || (leaf.is_some() && map.len() > 1) {
        reject_unknown(map, &path(), allowed)?;
    }
    if let Some(leaf) = leaf {
        let value = finite(leaf, || at("leaf"))?;
        let node = Node {
            value,
            left: 0,
            feature: 0,
            flags: LEAF,
        };
        return Ok((node, None));
    }
    let feature = index_value(present(feature, || at("feature"))?, || at("feature"))?;
    if feature >= model.inputs {
        return Err(problem(
            at("feature"),
            format!(
                "feature {feature} is out of range (the scorer has {} inputs)",
                model.inputs
            ),
        ));
    }
    let feature = u16::try_from(feature).map_err(|_| {
        problem(
            at("feature"),
            "feature indices above 65535 are not supported",
        )
    })?;
    let mut flags = 0u8;
    match present(default_left, || at("default_left"))? {
        Value::Bool(true) => flags |= DEFAULT_LEFT,
        Value::Bool(false) => {}
        other => return Err(type_problem(at("default_left"), "a boolean", other)),
    }
    match (model.source, missing) {
        (_, None) => {}
        (Source::Xgboost, Some(_)) => {
            return Err(problem(
                at("missing"),
                "only lightgbm splits have a missing type (xgboost sends NaN to default_left)",
            ))
        }
        (Source::Lightgbm, Some(Value::String(s))) if s == "none" => {}
        (Source::Lightgbm, Some(Value::String(s))) if s == "zero" => flags |= MISSING_ZERO,
        (Source::Lightgbm, Some(Value::String(s))) if s == "nan" => flags |= MISSING_NAN,
        (Source::Lightgbm, Some(_)) => {
            return Err(problem(
                at("missing"),
                "must be \"none\", \"zero\" or \"nan\"",
            ))
        }
    }
    let value = match (threshold, categories) {
        (Some(t), None) => match finite(t, || at("threshold"))? {
            // LightGBM's dump clamps thresholds to ±1e300 (`AvoidInf`); they stand for its
            // infinite bin edges (a NaN-against-the-rest split has threshold +inf), and every
            // finite value must land on the same side of them as of ±inf.
            t if model.source == Source::Lightgbm && t >= LGBM_INFINITY => f64::INFINITY,
            t if model.source == Source::Lightgbm && t <= -LGBM_INFINITY => f64::NEG_INFINITY,
            t => t,
        },
        (None, Some(set)) => {
            flags |= CATEGORICAL;
            f64::from(category_set(model, set, || at("categories"))?)
        }
        _ => {
            return Err(problem(
                path(),
                "a split needs either \"threshold\" (numeric) or \"categories\" (categorical)",
            ))
        }
    };
    let left = index_value(present(left, || at("left"))?, || at("left"))?;
    let right = index_value(present(right, || at("right"))?, || at("right"))?;
    let node = Node {
        value,
        left: 0,
        feature,
        flags,
    };
    Ok((node, Some([left, right])))
}

/// Appends a sorted, deduplicated category set (preceded by its length) to `model.categories`
/// and returns where it starts.
fn category_set(
    model: &mut TreeEnsemble,
    set: &Value,
    path: impl Fn() -> String,
) -> Result<u32, TreeProblem> {
    let items = set
        .as_array()
        .ok_or_else(|| type_problem(path(), "an array", set))?;
    let mut values = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let value = item
            .as_u64()
            .filter(|&c| c <= MAX_CATEGORY)
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| {
                problem(
                    json_path::index(&path(), i),
                    format!("a category must be an integer from 0 to {MAX_CATEGORY}"),
                )
            })?;
        values.push(value);
    }
    crate::sort::sort_u32(&mut values, &|a, b| a.cmp(&b));
    values.dedup();
    let at = u32_index(model.categories.len(), &path)?;
    model.categories.push(u32_index(values.len(), &path)?);
    model.categories.extend_from_slice(&values);
    Ok(at)
}

#[inline(never)]
fn object<'v>(
    value: &'v Value,
    path: &str,
    what: &str,
) -> Result<&'v Map<String, Value>, TreeProblem> {
    value.as_object().ok_or_else(|| {
        problem(
            path,
            format!("{what} must be an object, not {}", json_type_name(value)),
        )
    })
}

#[inline(never)]
fn array<'v>(value: &'v Value, path: &str) -> Result<&'v Vec<Value>, TreeProblem> {
    value
        .as_array()
        .ok_or_else(|| type_problem(path, "an array", value))
}

/// A field found in a one-pass scan, or "missing required field" at `path`.
fn present(value: Option<&Value>, path: impl FnOnce() -> String) -> Result<&Value, TreeProblem> {
    value.ok_or_else(|| problem(path(), "missing required field"))
}

#[inline(never)]
fn required<'v>(
    map: &'v Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'v Value, TreeProblem> {
    map.get(key)
        .ok_or_else(|| problem(json_path::key(path, key), "missing required field"))
}

#[inline(never)]
fn reject_unknown(
    map: &Map<String, Value>,
    path: &str,
    allowed: &[&str],
) -> Result<(), TreeProblem> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(problem(
            json_path::key(path, key),
            format!("unknown field (expected one of: {})", allowed.join(", ")),
        )),
    }
}

fn finite(value: &Value, path: impl FnOnce() -> String) -> Result<f64, TreeProblem> {
    match value.as_f64() {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(problem(path(), "must be a finite number")),
    }
}

/// A non-negative integer used as an index.
fn index_value(value: &Value, path: impl FnOnce() -> String) -> Result<usize, TreeProblem> {
    value
        .as_u64()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| problem(path(), "must be a non-negative integer"))
}

/// Internal indices are u32 to keep nodes small; the limits keep them far below `u32::MAX`.
fn u32_index(value: usize, path: impl FnOnce() -> String) -> Result<u32, TreeProblem> {
    u32::try_from(value).map_err(|_| problem(path(), "index too large"))
}

#[inline(never)]
fn type_problem(path: impl Into<String>, expected: &str, found: &Value) -> TreeProblem {
    problem(
        path,
        format!("must be {expected}, not {}", json_type_name(found)),
    )
}
