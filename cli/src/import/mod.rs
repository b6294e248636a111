//! Importers: a library's own model file to a Tandem policy bundle whose scores equal the
//! library's predictions (DESIGN §5, docs/policy-bundles.md "Importing").
//!
//! [`xgboost`] and [`lightgbm`] turn one parsed model into a `{"trees": {...}}` scorer;
//! [`bundle`] joins scorers with a spec (the bundle's other fields) into a whole bundle;
//! [`command`] is `tandem import`.

pub mod command;
mod lightgbm;
mod xgboost;

pub use lightgbm::lightgbm;
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
/// optional `description`, `vectors` (default `[]`) and `link`) with imported `trees` scorers
/// into a bundle.
///
/// One scorer is a model with one output per action (a multi-class model: class = action, or a
/// single-output model for a single action). Several scorers are one single-output model per
/// action, in action order: their trees are joined, each adding to its own action.
///
/// `link` in the spec overrides the models' natural link, which must otherwise agree.
///
/// # Errors
///
/// A message when the spec is not an object, has unknown fields, `scorer` or `digest`, lacks
/// `actions`, when the scorers' outputs do not match the actions, or the joined scorer is not
/// a valid `trees` scorer.
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

    let mut out = Map::new();
    for (key, value) in spec {
        if key == "link" {
            continue;
        }
        if key == "exploration" || key == "vectors" {
            out.entry("scorer").or_insert_with(|| scorer(&trees));
        }
        out.insert(key.clone(), value.clone());
    }
    out.entry("scorer").or_insert_with(|| scorer(&trees));
    // The format requires `vectors`; a spec may leave the self-checks for later.
    out.entry("vectors")
        .or_insert_with(|| Value::Array(Vec::new()));
    Ok(Value::Object(out))
}

fn scorer(trees: &Value) -> Value {
    let mut map = Map::new();
    map.insert("trees".into(), trees.clone());
    Value::Object(map)
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
