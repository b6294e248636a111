//! A scikit-learn linear model, as `tools/reference-models/export_sklearn.py` writes it, to a
//! `linear` scorer.
//!
//! The export holds sklearn's own `coef_` (always as rows, one per output of
//! `decision_function`) and `intercept_` (one per row), so the scorer is those numbers as they
//! are: `score[a] = intercept[a] + coef[a] · x`.

use serde_json::{json, Value};

use super::field;

/// The `format` an export must declare.
pub const FORMAT: &str = "tandem-sklearn-linear";

/// The estimators the exporter writes (kept in step with export_sklearn.py): their
/// `decision_function` (regressors: `predict`) is `X · coef_ᵀ + intercept_`.
const ESTIMATORS: [&str; 5] = [
    "LinearRegression",
    "Ridge",
    "SGDRegressor",
    "LogisticRegression",
    "SGDClassifier",
];

const FIELDS: [&str; 10] = [
    "format",
    "version",
    "estimator",
    "sklearn",
    "n_features",
    "feature_names",
    "coef",
    "intercept",
    "classes",
    "link",
];

/// Converts a parsed export into `{"linear": {"weights", "bias"}, "link": L, "binary": B}`:
/// the scorer with one weight row per output of the model, plus what [`super::bundle`] needs to
/// place it and then drops: the model's natural `link` (the bundle's linear scorer has none;
/// its scores are the margins) and whether it is a binary classifier (one row scoring
/// `classes[1]` against `classes[0]`, which becomes the scores `[0, margin]` of two actions).
///
/// # Errors
///
/// A message naming the offending field when the export is not version 1 of the format, names
/// an unsupported estimator, has unknown fields, or its numbers are not finite or do not fit
/// together (`coef` rows of `n_features` numbers, one `intercept` per row, `classes` matching
/// the rows).
pub fn sklearn(export: &Value) -> Result<Value, String> {
    let map = export
        .as_object()
        .ok_or("the export must be a JSON object")?;
    if let Some(key) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        // An export from a newer exporter may mean something this importer cannot honour.
        return Err(format!("{key}: not a field of a {FORMAT} version 1 export"));
    }
    if field(export, "", "format")?.as_str() != Some(FORMAT) {
        return Err(format!(
            "format: must be \"{FORMAT}\" (write the file with export_sklearn.py)"
        ));
    }
    if field(export, "", "version")?.as_u64() != Some(1) {
        return Err("version: only version 1 is supported".into());
    }
    let estimator = field(export, "", "estimator")?
        .as_str()
        .ok_or("estimator: must be a string")?;
    if !ESTIMATORS.contains(&estimator) {
        return Err(format!(
            "estimator: {estimator:?} is not supported (supported: {})",
            ESTIMATORS.join(", ")
        ));
    }
    let inputs = field(export, "", "n_features")?
        .as_u64()
        .and_then(|d| usize::try_from(d).ok())
        .ok_or("n_features: must be a non-negative integer")?;
    let weights = field(export, "", "coef")?
        .as_array()
        .ok_or("coef: must be an array of rows")?
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let row = numbers(row, &format!("coef[{r}]"))?;
            if row.len() == inputs {
                Ok(row)
            } else {
                Err(format!(
                    "coef[{r}]: has {} numbers but n_features is {inputs}",
                    row.len()
                ))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = weights.len();
    if !(1..=256).contains(&rows) {
        return Err(format!("coef: has {rows} rows; must have 1 to 256"));
    }
    let bias = numbers(field(export, "", "intercept")?, "intercept")?;
    if bias.len() != rows {
        return Err(format!(
            "intercept: has {} numbers for {rows} coef rows",
            bias.len()
        ));
    }
    let classifier = estimator.ends_with("Classifier") || estimator == "LogisticRegression";
    let classes = match field(export, "", "classes")? {
        Value::Null if !classifier => 0,
        Value::Array(classes) if classifier => classes.len(),
        _ if classifier => return Err(format!("classes: {estimator} needs its class labels")),
        _ => return Err(format!("classes: must be null for {estimator}")),
    };
    // sklearn's shapes: one row for two classes (the margin of classes[1]), else one per class.
    let binary = classifier && classes == 2 && rows == 1;
    if classifier && !binary && classes != rows {
        return Err(format!(
            "classes: {classes} labels for {rows} coef rows (expected 2 labels for one row, or \
             one label per row)"
        ));
    }
    let link = match field(export, "", "link")?.as_str() {
        Some(link @ ("identity" | "sigmoid" | "softmax")) => link,
        _ => return Err("link: must be \"identity\", \"sigmoid\" or \"softmax\"".into()),
    };
    match export.get("feature_names") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names))
            if names.len() == inputs && names.iter().all(Value::is_string) => {}
        Some(_) => return Err(format!("feature_names: must be null or {inputs} strings")),
    }
    if let Some(v) = export.get("sklearn") {
        v.as_str().ok_or("sklearn: must be the version string")?;
    }
    Ok(json!({
        "linear": {"weights": weights, "bias": bias},
        "link": link,
        "binary": binary,
    }))
}

/// An array of finite numbers.
fn numbers(value: &Value, path: &str) -> Result<Vec<f64>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("{path}: must be an array of numbers"))?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_f64()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{path}[{i}]: must be a finite number"))
        })
        .collect()
}
