//! Importers: a library's own model file to a Tandem policy bundle whose scores equal the
//! library's predictions (DESIGN §5, docs/policy-bundles.md "Importing").
//!
//! [`xgboost`] and [`lightgbm`] turn one parsed model into a `{"trees": {...}}` scorer,
//! [`sklearn`] a scikit-learn linear model (as export_sklearn.py writes it) into a
//! `{"linear": {...}}` one; [`bundle`] joins scorers with a spec (the bundle's other fields)
//! into a whole bundle; [`command`] is `tandem import`.

pub mod command;
mod lightgbm;
mod sklearn;
mod xgboost;

pub use lightgbm::lightgbm;
pub use sklearn::sklearn;
pub use xgboost::xgboost;

use serde_json::{Map, Value};
use tandem::policy::trees::TreeEnsemble;

/// Spec fields that belong to the bundle and are copied as they are; `link` goes into the
/// scorer, `scorer` and `digest` are refused (the scorer is what is imported; a digest would
/// no longer match, reseal with `tandem seal`).
const SPEC_FIELDS: [&str; 10] = [
    "id",
    "version",
    "description",
    "actions",
    "unit",
    "salt",
    "features",
    "exploration",
    "vectors",
    "link",
];

/// Joins a spec (`id`, `version`, `actions`, `unit`, `salt`, `features`, `exploration`,
/// optional `description`, `vectors` (default `[]`) and `link`) with imported scorers into a
/// bundle: `trees` scorers from [`xgboost`] / [`lightgbm`], or `linear` ones from [`sklearn`].
///
/// One scorer is a model with one output per action (a multi-class model: class = action, or a
/// single-output model for a single action). Several scorers are one single-output model per
/// action, in action order: their trees (or weight rows) are joined, each scoring its own
/// action. A binary scikit-learn classifier alone, for two actions, scores them `[0, margin]`.
///
/// For trees, `link` in the spec overrides the models' natural link, which must otherwise
/// agree. A linear scorer has no link (its scores are the margins), so there `link` may only be
/// `identity`, and the weights must read exactly the columns the spec's features make.
///
/// # Errors
///
/// A message when the spec is not an object, has unknown fields, `scorer` or `digest`, lacks
/// `actions`, when the scorers' outputs do not match the actions (or a linear model's inputs
/// the features' columns), or the joined scorer is not valid.
pub fn bundle(spec: &Value, scorers: &[Value]) -> Result<Value, String> {
    let spec = spec.as_object().ok_or("the spec must be a JSON object")?;
    if let Some(key) = spec.keys().find(|k| !SPEC_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "spec.{key}: not a spec field (expected: {}); the scorer is what is imported",
            SPEC_FIELDS.join(", ")
        ));
    }
    let actions = spec
        .get("actions")
        .and_then(Value::as_array)
        .ok_or("spec.actions: must be an array of {key, value}")?
        .len();
    let scorer = if scorers.iter().any(|s| s.get("linear").is_some()) {
        linear_scorer(spec, scorers, actions)?
    } else {
        trees_scorer(spec, scorers, actions)?
    };

    let mut out = Map::new();
    for (key, value) in spec {
        if key == "link" {
            continue;
        }
        if key == "exploration" || key == "vectors" {
            out.entry("scorer").or_insert_with(|| scorer.clone());
        }
        out.insert(key.clone(), value.clone());
    }
    out.entry("scorer").or_insert(scorer);
    // The format requires `vectors`; a spec may leave the self-checks for later.
    out.entry("vectors")
        .or_insert_with(|| Value::Array(Vec::new()));
    Ok(Value::Object(out))
}

/// The `{"trees": ...}` scorer of tree models, with the spec's link applied.
fn trees_scorer(
    spec: &Map<String, Value>,
    scorers: &[Value],
    actions: usize,
) -> Result<Value, String> {
    let mut trees = join(scorers, actions)?;
    match spec.get("link") {
        None => {}
        Some(Value::String(link)) => {
            trees.insert("link".into(), Value::String(link.clone()));
        }
        Some(_) => {
            return Err("spec.link: must be \"identity\", \"sigmoid\" or \"softmax\"".into())
        }
    }
    let trees = Value::Object(trees);
    // The feature vector's length is the bundle's business; here the largest feature index
    // read bounds it, so only the structure and the outputs are checked.
    let inputs = max_feature(&trees).map_or(0, |f| f + 1);
    TreeEnsemble::from_json(&trees, inputs, actions)
        .map_err(|p| format!("the imported scorer is invalid: scorer.trees.{p}"))?;
    let mut map = Map::new();
    map.insert("trees".into(), trees);
    Ok(Value::Object(map))
}

/// One imported linear model: its weight rows and biases, natural link, and whether it is a
/// binary classifier (one row: the margin of the second class over the first).
struct Linear {
    weights: Vec<Vec<f64>>,
    bias: Vec<f64>,
    link: String,
    binary: bool,
}

impl Linear {
    /// Reads what [`sklearn`] returned; `model` (1-based) names it in messages.
    fn from_scorer(scorer: &Value, model: usize) -> Result<Self, String> {
        let bad = || format!("model {model}: not an imported linear scorer");
        let linear = scorer.get("linear").ok_or_else(bad)?;
        let floats =
            |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
        let weights = linear
            .get("weights")
            .and_then(Value::as_array)
            .and_then(|rows| rows.iter().map(floats).collect::<Option<Vec<_>>>())
            .ok_or_else(bad)?;
        let bias = linear.get("bias").and_then(floats).ok_or_else(bad)?;
        let link = scorer
            .get("link")
            .and_then(Value::as_str)
            .unwrap_or("identity")
            .to_owned();
        let binary = scorer.get("binary").and_then(Value::as_bool) == Some(true);
        Ok(Self {
            weights,
            bias,
            link,
            binary,
        })
    }

    fn inputs(&self) -> usize {
        self.weights.first().map_or(0, Vec::len)
    }
}

/// The `{"linear": ...}` scorer of one multi-output model or one single-output model per
/// action, checked against the spec's features.
fn linear_scorer(
    spec: &Map<String, Value>,
    scorers: &[Value],
    actions: usize,
) -> Result<Value, String> {
    match spec.get("link") {
        None => {}
        Some(Value::String(link)) if link == "identity" => {}
        Some(_) => {
            return Err(
                "spec.link: a linear scorer has no link: its scores are the model's \
                        margins (decision_function), which exploration reads as they are; \
                        leave link out"
                    .into(),
            )
        }
    }
    let models = scorers
        .iter()
        .enumerate()
        .map(|(i, s)| Linear::from_scorer(s, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = models.first() else {
        return Err("no model to import".into());
    };
    let (weights, bias) = match models.as_slice() {
        [one] if one.weights.len() == actions => (one.weights.clone(), one.bias.clone()),
        // sklearn's binary classifier scores classes[1] against classes[0] with one row: as
        // two actions (class i = action i) that is [0, margin], whose softmax is predict_proba
        // and whose first best (a tie goes to action 0) is predict.
        [one] if one.binary && actions == 2 => {
            let mut weights = vec![vec![0.0; one.inputs()]];
            weights.extend(one.weights.iter().cloned());
            let mut bias = vec![0.0];
            bias.extend(&one.bias);
            (weights, bias)
        }
        [one] => {
            return Err(format!(
                "the model has {} outputs but the spec has {actions} actions",
                one.weights.len()
            ))
        }
        many => {
            if many.len() != actions {
                return Err(format!(
                    "{} models for {actions} actions: give one single-output model per action",
                    many.len()
                ));
            }
            let (mut weights, mut bias) = (Vec::new(), Vec::new());
            for (i, model) in many.iter().enumerate() {
                if model.weights.len() != 1 {
                    return Err(format!(
                        "model {}: has {} outputs, not 1",
                        i + 1,
                        model.weights.len()
                    ));
                }
                if model.inputs() != first.inputs() {
                    return Err(format!(
                        "model {}: reads {} features but model 1 reads {}",
                        i + 1,
                        model.inputs(),
                        first.inputs()
                    ));
                }
                // The bundle keeps no link, so scores on different scales (the log-odds of one
                // action, a regression's value for another) would be compared as equals.
                if model.link != first.link {
                    return Err(format!(
                        "model {}: its link is {} but model 1's is {}: the actions' scores \
                         would be on different scales",
                        i + 1,
                        model.link,
                        first.link
                    ));
                }
                weights.extend(model.weights.iter().cloned());
                bias.extend(&model.bias);
            }
            (weights, bias)
        }
    };
    if let Some(columns) = spec.get("features").and_then(columns) {
        if columns != first.inputs() {
            return Err(format!(
                "the model reads {} features but spec.features make {columns} columns; the \
                 features must produce the columns the model was fitted on, in order",
                first.inputs()
            ));
        }
    }
    let mut linear = Map::new();
    linear.insert("weights".into(), weights.into());
    linear.insert("bias".into(), bias.into());
    let mut map = Map::new();
    map.insert("linear".into(), Value::Object(linear));
    Ok(Value::Object(map))
}

/// The number of columns the feature specs make (docs/policy-bundles.md "Features"), or `None`
/// when a spec is malformed: then loading the bundle reports it with its path.
fn columns(features: &Value) -> Option<usize> {
    features
        .as_array()?
        .iter()
        .map(|feature| {
            let (name, params) = match feature.get("transform")? {
                Value::String(name) => (name.as_str(), &Value::Null),
                Value::Object(map) if map.len() == 1 => {
                    map.iter().next().map(|(k, v)| (k.as_str(), v))?
                }
                _ => return None,
            };
            let own = match name {
                "bucketize" => params.get("edges")?.as_array()?.len() + 1,
                "one_hot" => params.get("categories")?.as_array()?.len(),
                "hash" => usize::try_from(params.get("buckets")?.as_u64()?).ok()?,
                _ => 1,
            };
            let indicator = feature.get("missing").and_then(Value::as_str) == Some("indicator");
            Some(own + usize::from(indicator))
        })
        .sum()
}

/// The `trees` objects of the scorers, joined so that scorer `i` of several adds to output `i`.
fn join(scorers: &[Value], actions: usize) -> Result<Map<String, Value>, String> {
    let inner = |s: &Value| -> Result<Map<String, Value>, String> {
        s.get("trees")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| "an imported scorer has no trees object".to_owned())
    };
    let outputs = |t: &Map<String, Value>| {
        t.get("base_score")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    match scorers {
        [] => Err("no model to import".into()),
        [one] => {
            let trees = inner(one)?;
            if outputs(&trees) != actions {
                return Err(format!(
                    "the model has {} outputs but the spec has {actions} actions",
                    outputs(&trees)
                ));
            }
            Ok(trees)
        }
        many => {
            if many.len() != actions {
                return Err(format!(
                    "{} models for {actions} actions: give one single-output model per action",
                    many.len()
                ));
            }
            let mut joined: Option<Map<String, Value>> = None;
            let mut base = Vec::new();
            let mut all = Vec::new();
            for (action, scorer) in many.iter().enumerate() {
                let trees = inner(scorer)?;
                if outputs(&trees) != 1 {
                    return Err(format!(
                        "model {}: has {} outputs, not 1",
                        action + 1,
                        outputs(&trees)
                    ));
                }
                if let Some(first) = &joined {
                    if first.get("link") != trees.get("link")
                        || first.get("source") != trees.get("source")
                    {
                        return Err(format!(
                            "model {}: its objective differs from the first model's; set \
                             spec.link to say which link the bundle uses",
                            action + 1
                        ));
                    }
                }
                base.extend(
                    trees
                        .get("base_score")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
                for mut tree in trees
                    .get("trees")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    if let Some(tree) = tree.as_object_mut() {
                        tree.insert("output".into(), Value::from(action));
                    }
                    all.push(tree);
                }
                joined.get_or_insert(trees);
            }
            let mut joined = joined.unwrap_or_default();
            joined.insert("base_score".into(), Value::Array(base));
            joined.insert("trees".into(), Value::Array(all));
            Ok(joined)
        }
    }
}

/// The largest `feature` of any split, if any.
fn max_feature(trees: &Value) -> Option<usize> {
    trees
        .get("trees")?
        .as_array()?
        .iter()
        .filter_map(|t| t.get("nodes").and_then(Value::as_array))
        .flatten()
        .filter_map(|n| n.get("feature").and_then(Value::as_u64))
        .filter_map(|f| usize::try_from(f).ok())
        .max()
}

/// `value[key]`, or an error naming `path.key`.
fn field<'v>(value: &'v Value, path: &str, key: &str) -> Result<&'v Value, String> {
    value.get(key).ok_or_else(|| {
        if path.is_empty() {
            format!("{key}: missing")
        } else {
            format!("{path}.{key}: missing")
        }
    })
}

/// An array of objects.
fn objects<'v>(value: &'v Value, path: &str) -> Result<&'v Vec<Value>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{path}: must be an array"))?;
    match items.iter().position(|v| !v.is_object()) {
        Some(i) => Err(format!("{path}[{i}]: must be an object")),
        None => Ok(items),
    }
}

/// `items[i]`, or an error naming `path`.
fn at<'v, T>(items: &'v [T], i: usize, path: &str) -> Result<&'v T, String> {
    items.get(i).ok_or_else(|| format!("{path}: missing"))
}

#[cfg(test)]
mod tests;
