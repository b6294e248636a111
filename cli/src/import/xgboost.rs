//! XGBoost's own JSON model (`Booster.save_model("m.json")`) to a `trees` scorer.
//!
//! The model keeps each tree as parallel arrays indexed by node id: `left_children` (-1 at a
//! leaf), `right_children`, `split_indices`, `split_conditions` (the threshold, or the leaf
//! value at a leaf), `default_left`, `split_type` (1 = categorical) and, for categorical
//! splits, `categories_nodes` / `categories_segments` / `categories_sizes` / `categories`.
//! `tree_info[i]` is the class (output) of tree `i`.

use serde_json::{json, Map, Value};

use super::{at, field, objects};

/// How the objective turns `base_score` (a prediction) into the base margin, and which link
/// the bundle uses unless the spec says otherwise. Each row was checked against xgboost 3.2.
const OBJECTIVES: &[(&str, BaseMargin, &str)] = &[
    ("binary:logistic", BaseMargin::Logit, "sigmoid"),
    ("reg:logistic", BaseMargin::Logit, "sigmoid"),
    ("binary:logitraw", BaseMargin::Same, "identity"),
    ("binary:hinge", BaseMargin::Same, "identity"),
    ("multi:softprob", BaseMargin::Same, "softmax"),
    ("multi:softmax", BaseMargin::Same, "softmax"),
    ("reg:squarederror", BaseMargin::Same, "identity"),
    ("reg:absoluteerror", BaseMargin::Same, "identity"),
    ("reg:pseudohubererror", BaseMargin::Same, "identity"),
    ("count:poisson", BaseMargin::Log, "identity"),
    ("reg:gamma", BaseMargin::Log, "identity"),
    ("reg:tweedie", BaseMargin::Log, "identity"),
];

#[derive(Debug, Clone, Copy)]
enum BaseMargin {
    Same,
    /// `−ln(1/b − 1)`, in f32 as XGBoost computes it.
    Logit,
    /// `ln(b)`, in f32.
    Log,
}

/// Converts an XGBoost JSON model (the parsed `Booster.save_model("m.json")` file) into the
/// `{"trees": {...}}` scorer object of docs/policy-bundles.md, with `link` the objective's
/// natural one (sigmoid for logistic objectives, softmax for multi-class, else identity).
///
/// # Errors
///
/// A message naming the offending field when the model is not a gbtree model of a supported
/// objective, or its arrays are malformed.
pub fn xgboost(model: &Value) -> Result<Value, String> {
    let learner = field(model, "", "learner")?;
    let booster = field(learner, "learner", "gradient_booster")?;
    let name = field(booster, "learner.gradient_booster", "name")?;
    if name.as_str() != Some("gbtree") {
        return Err(format!(
            "learner.gradient_booster.name: only gbtree models are supported, not {name}"
        ));
    }
    let objective = field(
        field(learner, "learner", "objective")?,
        "learner.objective",
        "name",
    )?;
    let objective = objective.as_str().unwrap_or_default();
    let (_, base_margin, link) = OBJECTIVES
        .iter()
        .find(|(name, _, _)| *name == objective)
        .ok_or_else(|| {
            let known: Vec<&str> = OBJECTIVES.iter().map(|(name, _, _)| *name).collect();
            format!(
                "learner.objective.name: {objective:?} is not supported (supported: {})",
                known.join(", ")
            )
        })?;
    let params = field(learner, "learner", "learner_model_param")?;
    let path = "learner.learner_model_param";
    let num_class = count_param(params, path, "num_class")?;
    let num_target = count_param(params, path, "num_target")?.max(1);
    if num_class > 0 && num_target > 1 {
        return Err(format!(
            "{path}: multi-class multi-target models are not supported"
        ));
    }
    let outputs = num_class.max(num_target);
    let base_score = base_score(params, path, outputs, *base_margin)?;

    let model_path = "learner.gradient_booster.model";
    let model = field(booster, "learner.gradient_booster", "model")?;
    check_category_encoding(model, model_path)?;
    let trees = objects(
        field(model, model_path, "trees")?,
        &format!("{model_path}.trees"),
    )?;
    let info_path = format!("{model_path}.tree_info");
    let info = field(model, model_path, "tree_info")?
        .as_array()
        .ok_or_else(|| format!("{info_path}: must be an array"))?;
    if info.len() != trees.len() {
        return Err(format!(
            "{info_path}: {} entries for {} trees",
            info.len(),
            trees.len()
        ));
    }
    let mut out = Vec::with_capacity(trees.len());
    for (t, (tree, output)) in trees.iter().zip(info).enumerate() {
        let output = output
            .as_u64()
            .filter(|&o| o < outputs as u64)
            .ok_or_else(|| format!("{info_path}[{t}]: not an output below {outputs}"))?;
        let nodes = convert_tree(tree, &format!("{model_path}.trees[{t}]"))?;
        out.push(json!({"output": output, "nodes": nodes}));
    }
    Ok(json!({"trees": {
        "source": "xgboost",
        "base_score": base_score.iter().map(|&b| f64::from(b)).collect::<Vec<_>>(),
        "link": link,
        "trees": out,
    }}))
}

/// Models trained on pandas categoricals (XGBoost ≥ 3.1) store each feature's training
/// categories in `cats.enc`, and XGBoost re-codes inputs to their position in that list before
/// predicting. A bundle feeds the code itself, so only identity encodings (integer categories
/// 0, 1, …, k−1) can be imported as they are.
fn check_category_encoding(model: &Value, path: &str) -> Result<(), String> {
    let Some(encodings) = model.pointer("/cats/enc").and_then(Value::as_array) else {
        return Ok(());
    };
    for (feature, enc) in encodings.iter().enumerate() {
        // Numeric features have empty lists; string categories come as UTF-8 `offsets` into
        // `values` bytes, numeric ones as `values` alone.
        let values = enc.get("values").and_then(Value::as_array);
        let identity = values.is_none_or(|values| {
            values.is_empty()
                || (enc.get("offsets").is_none()
                    && values
                        .iter()
                        .enumerate()
                        .all(|(i, v)| v.as_f64() == Some(i as f64)))
        });
        if !identity {
            return Err(format!(
                "{path}.cats.enc[{feature}]: feature {feature} was trained on categories that \
                 XGBoost re-codes to 0..k-1 before predicting (pandas categoricals other than \
                 0..k-1); Tandem reads the code itself, so retrain with the integer codes as \
                 the category values"
            ));
        }
    }
    Ok(())
}

/// A count parameter, which XGBoost writes as a decimal string.
fn count_param(params: &Value, path: &str, key: &str) -> Result<usize, String> {
    let value = field(params, path, key)?;
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{path}.{key}: expected a count as a string, found {value}"))
}

/// The base margin of each output. `base_score` is a string, a scalar (`"5E-1"`, older models)
/// or a vector (`"[5.178E-1]"`, one entry per output since 3.1), in prediction space: the
/// objective's inverse link turns it into a margin, in f32 as XGBoost does.
fn base_score(
    params: &Value,
    path: &str,
    outputs: usize,
    margin: BaseMargin,
) -> Result<Vec<f32>, String> {
    let raw = field(params, path, "base_score")?;
    let text = raw
        .as_str()
        .ok_or_else(|| format!("{path}.base_score: expected a string, found {raw}"))?;
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    // Parsed straight from the text into f32: no detour through f64 (see `f32_value`).
    let mut scores = inner
        .split(',')
        .map(|s| s.trim().parse::<f32>())
        .collect::<Result<Vec<f32>, _>>()
        .map_err(|_| format!("{path}.base_score: not a number list: {text:?}"))?;
    if scores.len() == 1 && outputs > 1 {
        scores = vec![scores.first().copied().unwrap_or_default(); outputs];
    }
    if scores.len() != outputs {
        return Err(format!(
            "{path}.base_score: {} values for {outputs} outputs",
            scores.len()
        ));
    }
    let margins: Vec<f32> = scores
        .into_iter()
        .map(|b| match margin {
            BaseMargin::Same => b,
            BaseMargin::Logit => -(1.0f32 / b - 1.0f32).ln(),
            BaseMargin::Log => b.ln(),
        })
        .collect();
    if margins.iter().any(|m| !m.is_finite()) {
        return Err(format!(
            "{path}.base_score: {text} has no finite margin under this objective"
        ));
    }
    Ok(margins)
}

/// One tree's parallel arrays to scorer nodes, walked from the root with an explicit stack and
/// renumbered in the order met, so nodes that pruning deleted but left in the arrays drop out.
/// The walk stops once it has produced more nodes than the arrays hold: a cycle cannot hang it.
fn convert_tree(tree: &Value, path: &str) -> Result<Vec<Value>, String> {
    let params = field(tree, path, "tree_param")?;
    let leaf_size = params
        .get("size_leaf_vector")
        .and_then(Value::as_str)
        .unwrap_or("1");
    if leaf_size != "1" && leaf_size != "0" {
        return Err(format!(
            "{path}.tree_param.size_leaf_vector: vector leaves (multi_strategy = \
             multi_output_tree) are not supported"
        ));
    }
    let lefts = ints(tree, path, "left_children")?;
    let rights = ints(tree, path, "right_children")?;
    let features = ints(tree, path, "split_indices")?;
    let conditions = numbers(tree, path, "split_conditions")?;
    let defaults = ints(tree, path, "default_left")?;
    let n = lefts.len();
    for (key, len) in [
        ("right_children", rights.len()),
        ("split_indices", features.len()),
        ("split_conditions", conditions.len()),
        ("default_left", defaults.len()),
    ] {
        if len != n {
            return Err(format!(
                "{path}.{key}: {len} entries, left_children has {n}"
            ));
        }
    }
    // Categorical splits: split_type is absent in models without any.
    let types = match tree.get("split_type") {
        Some(_) => ints(tree, path, "split_type")?,
        None => vec![0; n],
    };
    let sets = category_sets(tree, path, n)?;

    let mut nodes: Vec<Value> = Vec::new();
    // (XGBoost id, scorer index) of nodes whose scorer entry is still to be written.
    let mut stack = vec![(0usize, 0usize)];
    nodes.push(Value::Null);
    while let Some((id, slot)) = stack.pop() {
        let at_node = |key: &str| format!("{path}.{key}[{id}]");
        let left = *lefts
            .get(id)
            .ok_or_else(|| format!("{path}: node {id} does not exist"))?;
        let node = if left == -1 {
            json!({"leaf": f64::from(f32_value(*at(&conditions, id, &at_node("split_conditions"))?))})
        } else {
            let right = *at(&rights, id, &at_node("right_children"))?;
            let mut map = Map::new();
            map.insert(
                "feature".into(),
                json!(*at(&features, id, &at_node("split_indices"))?),
            );
            if *at(&types, id, &at_node("split_type"))? == 1 {
                let set = sets
                    .get(&id)
                    .ok_or_else(|| format!("{path}: categorical node {id} has no categories"))?;
                map.insert("categories".into(), json!(set));
            } else {
                let threshold = f32_value(*at(&conditions, id, &at_node("split_conditions"))?);
                map.insert("threshold".into(), json!(f64::from(threshold)));
            }
            let (l, r) = (nodes.len(), nodes.len() + 1);
            map.insert("left".into(), json!(l));
            map.insert("right".into(), json!(r));
            map.insert(
                "default_left".into(),
                json!(*at(&defaults, id, &at_node("default_left"))? != 0),
            );
            nodes.extend([Value::Null, Value::Null]);
            for (child, child_slot, key) in
                [(left, l, "left_children"), (right, r, "right_children")]
            {
                let child = usize::try_from(child)
                    .ok()
                    .filter(|&c| c < n)
                    .ok_or_else(|| format!("{}: child {child} is out of range", at_node(key)))?;
                if nodes.len() > n {
                    return Err(format!("{path}: the node graph is not a tree"));
                }
                stack.push((child, child_slot));
            }
            Value::Object(map)
        };
        if let Some(entry) = nodes.get_mut(slot) {
            *entry = node;
        }
    }
    Ok(nodes)
}

/// Category set of each categorical node, from the `categories*` arrays: node
/// `categories_nodes[k]` has `categories[categories_segments[k] ..][.. categories_sizes[k]]`.
fn category_sets(
    tree: &Value,
    path: &str,
    n: usize,
) -> Result<std::collections::HashMap<usize, Vec<i64>>, String> {
    let mut sets = std::collections::HashMap::new();
    if tree.get("categories_nodes").is_none() {
        return Ok(sets);
    }
    let nodes = ints(tree, path, "categories_nodes")?;
    let segments = ints(tree, path, "categories_segments")?;
    let sizes = ints(tree, path, "categories_sizes")?;
    let categories = ints(tree, path, "categories")?;
    for (k, &node) in nodes.iter().enumerate() {
        let bad = || format!("{path}.categories_nodes[{k}]: malformed category arrays");
        let node = usize::try_from(node)
            .ok()
            .filter(|&i| i < n)
            .ok_or_else(bad)?;
        let start = usize::try_from(*segments.get(k).ok_or_else(bad)?).map_err(|_| bad())?;
        let size = usize::try_from(*sizes.get(k).ok_or_else(bad)?).map_err(|_| bad())?;
        let set = categories
            .get(start..start.saturating_add(size))
            .ok_or_else(bad)?;
        sets.insert(node, set.to_vec());
    }
    Ok(sets)
}

fn ints(tree: &Value, path: &str, key: &str) -> Result<Vec<i64>, String> {
    array_of(tree, path, key, "an integer", |v| {
        v.as_i64().or_else(|| v.as_bool().map(i64::from))
    })
}

fn numbers(tree: &Value, path: &str, key: &str) -> Result<Vec<f64>, String> {
    array_of(tree, path, key, "a finite number", |v| {
        v.as_f64().filter(|v| v.is_finite())
    })
}

/// The array `tree[key]`, each element read by `read`; errors name the element's path.
fn array_of<T>(
    tree: &Value,
    path: &str,
    key: &str,
    what: &str,
    read: impl Fn(&Value) -> Option<T>,
) -> Result<Vec<T>, String> {
    let values = field(tree, path, key)?
        .as_array()
        .ok_or_else(|| format!("{path}.{key}: must be an array"))?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| read(v).ok_or_else(|| format!("{path}.{key}[{i}]: must be {what}")))
        .collect()
}

/// The f32 that XGBoost wrote as the decimal that parsed to `value`.
///
/// XGBoost prints each f32 as its shortest round-trip decimal, but JSON parsing yields the
/// nearest f64, and rounding that to f32 is not always the original (double rounding: e.g. the
/// f32 0x15ae43fd prints as 7.038531e-26, whose nearest f64 rounds to a neighbour). Distinct
/// f32s have distinct shortest decimals, which differ far more than one f64 ulp, so the f32
/// among `value as f32` and its two neighbours whose own shortest decimal parses to `value` is
/// the one XGBoost wrote.
pub(super) fn f32_value(value: f64) -> f32 {
    let near = value as f32;
    if f64::from(near) == value {
        return near;
    }
    let reads_back = |c: f32| format!("{c:e}").parse::<f64>() == Ok(value);
    [near, near.next_down(), near.next_up()]
        .into_iter()
        .find(|&c| reads_back(c))
        .unwrap_or(near)
}
