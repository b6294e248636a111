//! `tandem import xgboost|lightgbm|sklearn MODEL... --spec SPEC`: prints the bundle as JSON.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;

/// Arguments of `tandem import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where the model comes from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// The libraries `tandem import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// An XGBoost JSON model (`Booster.save_model("m.json")`), gbtree booster.
    Xgboost(ModelArgs),
    /// A LightGBM model dump (`json.dump(booster.dump_model(), f)`).
    Lightgbm(ModelArgs),
    /// A scikit-learn linear model written by tools/reference-models/export_sklearn.py
    /// (LinearRegression, Ridge, SGDRegressor, LogisticRegression, SGDClassifier); the bundle
    /// gets a `linear` scorer whose scores are the model's decision_function.
    Sklearn(ModelArgs),
}

/// The model files and the spec of one import.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The model file: one model with an output per action (a multi-class model, class i =
    /// action i), or several single-output models, one per action in action order.
    #[arg(required = true)]
    pub models: Vec<String>,
    /// A JSON file with the bundle's other fields: id, version, actions, unit, salt, features,
    /// exploration, optional description, vectors (default []), and link (identity | sigmoid |
    /// softmax; default: the objective's own; sklearn: identity only, a linear scorer has none).
    #[arg(long)]
    pub spec: String,
    /// Indent the output.
    #[arg(long)]
    pub pretty: bool,
}

/// One library's importer: a parsed model file to a `{"trees": …}` or `{"linear": …}` scorer.
type Importer = fn(&Value) -> Result<Value, String>;

/// Runs `tandem import`: reads the models and the spec, prints the bundle on stdout.
///
/// # Errors
///
/// A message when a file cannot be read or parsed, or the model cannot be imported.
pub fn run(args: &ImportArgs) -> Result<ExitCode, String> {
    let (convert, model_args): (Importer, _) = match &args.source {
        ImportSource::Xgboost(a) => (super::xgboost, a),
        ImportSource::Lightgbm(a) => (super::lightgbm, a),
        ImportSource::Sklearn(a) => (super::sklearn, a),
    };
    let spec = read_json(&model_args.spec)?;
    let scorers = model_args
        .models
        .iter()
        .map(|path| read_json(path).and_then(|m| convert(&m).map_err(|e| format!("{path}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let bundle = super::bundle(&spec, &scorers)?;
    // Load it as the SDK will, so a spec whose features do not fit the model (or any other
    // problem) fails here rather than at deployment.
    tandem::policy::Bundle::from_value(&bundle)
        .map_err(|e| format!("the imported bundle does not load: {e}"))?;
    let text = if model_args.pretty {
        serde_json::to_string_pretty(&bundle)
    } else {
        serde_json::to_string(&bundle)
    }
    .map_err(|e| format!("cannot print the bundle: {e}"))?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        // A reader that stops early (`| head`) is not a failure of the import.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the bundle: {e}"))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| {
        let hint = if e.to_string().contains("recursion limit") {
            " (a LightGBM tree deeper than about 120 levels nests too deeply to read)"
        } else {
            ""
        };
        format!("{path}: not valid JSON: {e}{hint}")
    })
}
