//! LightGBM's `Booster.dump_model()` JSON to a `trees` scorer.
//!
//! The dump nests each tree (`tree_info[i].tree_structure`) as recursive objects: a split has
//! `split_feature`, `threshold` (a number, or `"a||b||c"` for a categorical split),
//! `decision_type` (`<=` or `==`), `default_left`, `missing_type` (`None`, `Zero`, `NaN`) and
//! `left_child` / `right_child`; a leaf has `leaf_value`. Tree `i` adds to class
//! `i % num_tree_per_iteration`. The leaves already include the shrinkage and the initial score
//! (boost_from_average), so the base score is 0.

use serde_json::{json, Map, Value};

use super::{field, objects};

/// Converts a LightGBM model dump (the parsed `Booster.dump_model()` object, e.g. written with
/// `json.dump`) into the `{"trees": {...}}` scorer object of docs/policy-bundles.md, with
/// `link` the objective's natural one (sigmoid for `binary`, `cross_entropy` and
/// `multiclassova`, softmax for `multiclass`, else identity).
///
/// # Errors
///
/// A message naming the offending field when the dump is malformed or uses what the scorer
/// cannot reproduce: linear trees, random-forest averaging, a sigmoid other than 1.
pub fn lightgbm(dump: &Value) -> Result<Value, String> {
    let per_iteration = field(dump, "", "num_tree_per_iteration")?
        .as_u64()
        .and_then(|k| usize::try_from(k).ok())
        .filter(|&k| (1..=256).contains(&k))
        .ok_or("num_tree_per_iteration: must be an integer from 1 to 256")?;
    if dump.get("average_output").and_then(Value::as_bool) == Some(true) {
        return Err("average_output: random-forest (averaged) models are not supported".into());
    }
    check_pandas_categories(dump)?;
    let objective = dump.get("objective").and_then(Value::as_str).unwrap_or("");
    let link = link_of(objective)?;
    let infos = objects(field(dump, "", "tree_info")?, "tree_info")?;
    let mut trees = Vec::with_capacity(infos.len());
    for (t, info) in infos.iter().enumerate() {
        let path = format!("tree_info[{t}].tree_structure");
        let root = field(info, &format!("tree_info[{t}]"), "tree_structure")?;
        let nodes = convert_tree(root, &path)?;
        trees.push(json!({"output": t % per_iteration, "nodes": nodes}));
    }
    Ok(json!({"trees": {
        "source": "lightgbm",
        "base_score": vec![0.0; per_iteration],
        "link": link,
        "trees": trees,
    }}))
}

/// A model trained on a pandas DataFrame lists each categorical column's categories in
/// `pandas_categorical`, and LightGBM's Python package re-codes inputs to their position in
/// that list before predicting. A bundle feeds the code itself, so only identity lists
/// (0, 1, …, k−1) can be imported as they are.
fn check_pandas_categories(dump: &Value) -> Result<(), String> {
    let Some(lists) = dump.get("pandas_categorical").and_then(Value::as_array) else {
        return Ok(());
    };
    for (i, list) in lists.iter().enumerate() {
        let identity = list.as_array().is_some_and(|values| {
            values
                .iter()
                .enumerate()
                .all(|(code, v)| v.as_f64() == Some(code as f64))
        });
        if !identity {
            return Err(format!(
                "pandas_categorical[{i}]: the model was trained on pandas categories that \
                 LightGBM re-codes to 0..k-1 before predicting; Tandem reads the code itself, \
                 so retrain with the integer codes as the category values"
            ));
        }
    }
    Ok(())
}

/// The link that turns raw scores into the objective's predictions, from the dump's
/// `objective` line (`"binary sigmoid:1"`, `"multiclass num_class:3"`, `"regression"`, …).
fn link_of(objective: &str) -> Result<&'static str, String> {
    let mut words = objective.split_whitespace();
    let name = words.next().unwrap_or("");
    let sigmoid = words
        .find_map(|w| w.strip_prefix("sigmoid:"))
        .map(|s| s.parse::<f64>());
    Ok(match name {
        "binary" | "multiclassova" => match sigmoid {
            None | Some(Ok(1.0)) => "sigmoid",
            Some(_) => {
                return Err(format!(
                    "objective: {objective:?} scales the sigmoid; only sigmoid:1 is supported"
                ))
            }
        },
        "cross_entropy" | "xentropy" => "sigmoid",
        "multiclass" | "softmax" => "softmax",
        _ => "identity",
    })
}

/// One nested tree to flat scorer nodes, depth first with an explicit stack (no recursion, so
/// a deep tree cannot overflow the stack).
fn convert_tree(root: &Value, path: &str) -> Result<Vec<Value>, String> {
    let mut nodes = vec![Value::Null];
    let mut stack = vec![(root, 0usize, path.to_owned())];
    while let Some((node, slot, path)) = stack.pop() {
        let map = node
            .as_object()
            .ok_or_else(|| format!("{path}: a node must be an object"))?;
        let converted = if let Some(leaf) = map.get("leaf_value") {
            if map.contains_key("leaf_coeff") || map.contains_key("leaf_features") {
                return Err(format!(
                    "{path}: linear trees (linear_tree) are not supported"
                ));
            }
            let value = leaf
                .as_f64()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{path}.leaf_value: must be a finite number"))?;
            json!({"leaf": value})
        } else {
            let (l, r) = (nodes.len(), nodes.len() + 1);
            nodes.extend([Value::Null, Value::Null]);
            let split = split(map, &path, l, r)?;
            for (key, child_slot) in [("left_child", l), ("right_child", r)] {
                let child = field(node, &path, key)?;
                stack.push((child, child_slot, format!("{path}.{key}")));
            }
            split
        };
        if let Some(entry) = nodes.get_mut(slot) {
            *entry = converted;
        }
    }
    Ok(nodes)
}

/// A split node with its children at `left` and `right`.
fn split(map: &Map<String, Value>, path: &str, left: usize, right: usize) -> Result<Value, String> {
    let get = |key: &str| map.get(key).ok_or_else(|| format!("{path}.{key}: missing"));
    let feature = get("split_feature")?
        .as_u64()
        .ok_or_else(|| format!("{path}.split_feature: must be a non-negative integer"))?;
    let default_left = get("default_left")?
        .as_bool()
        .ok_or_else(|| format!("{path}.default_left: must be a boolean"))?;
    let missing = match get("missing_type")?.as_str() {
        Some("None") => "none",
        Some("Zero") => "zero",
        Some("NaN") => "nan",
        _ => return Err(format!("{path}.missing_type: must be None, Zero or NaN")),
    };
    let threshold = get("threshold")?;
    let mut out = Map::new();
    out.insert("feature".into(), json!(feature));
    match get("decision_type")?.as_str() {
        Some("<=") => {
            let t = threshold
                .as_f64()
                .filter(|t| t.is_finite())
                .ok_or_else(|| format!("{path}.threshold: must be a finite number"))?;
            out.insert("threshold".into(), json!(t));
            out.insert("missing".into(), json!(missing));
        }
        Some("==") => {
            // "a||b||c": the categories that go left.
            let text = threshold
                .as_str()
                .ok_or_else(|| format!("{path}.threshold: a categorical split needs \"a||b\""))?;
            let set = text
                .split("||")
                .map(|c| c.trim().parse::<u32>())
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|_| format!("{path}.threshold: not a category list: {text:?}"))?;
            out.insert("categories".into(), json!(set));
        }
        _ => return Err(format!("{path}.decision_type: must be \"<=\" or \"==\"")),
    }
    out.insert("left".into(), json!(left));
    out.insert("right".into(), json!(right));
    out.insert("default_left".into(), json!(default_left));
    Ok(Value::Object(out))
}
