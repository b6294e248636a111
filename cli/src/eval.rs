//! `tandem eval` and `tandem eval-batch`.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};
use tandem::{Client, Context, FlagType};

use crate::input::{clock, entropy, json_arg, read_file};

/// Arguments of `tandem eval`.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// The config file.
    config: String,
    /// The flag key.
    flag: String,
    /// The evaluation context, a JSON object (e.g. '{"targetingKey": "u1"}').
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// The caller's default, as JSON. Its type is the type requested (true → boolean, 13 →
    /// integer, 0.5 → number, "x" → string, {} → object); without it any type is accepted.
    #[arg(long, value_name = "JSON")]
    default: Option<String>,
    /// The time the evaluation sees, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

/// Arguments of `tandem eval-batch`.
#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// The config file.
    config: String,
    /// The time every evaluation sees, RFC 3339 (default: now, read once).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

fn load(path: &str, now: Option<&str>) -> Result<Client, String> {
    let text = read_file(path)?;
    Client::from_json(&text, clock(now)?, entropy()).map_err(|e| e.message().to_owned())
}

/// The type a default value asks for, as OpenFeature's typed getters would.
fn requested_type(default: &Value) -> FlagType {
    match default {
        Value::Bool(_) => FlagType::Boolean,
        Value::String(_) => FlagType::String,
        Value::Number(n) if n.is_i64() || n.is_u64() => FlagType::Integer,
        Value::Number(_) => FlagType::Float,
        Value::Object(_) => FlagType::Object,
        Value::Null | Value::Array(_) => FlagType::Any,
    }
}

fn evaluate(client: &Client, flag: &str, ctx: &Context, default: &Value) -> Value {
    let details = client.evaluate(flag, ctx, default, requested_type(default));
    // Serializing a tree of JSON values into a JSON value cannot fail.
    serde_json::to_value(&details).unwrap_or(Value::Null)
}

pub(crate) fn run(args: &EvalArgs) -> Result<ExitCode, String> {
    let client = load(&args.config, args.now.as_deref())?;
    let ctx = match &args.context {
        Some(text) => Context::from_json(text).map_err(|e| format!("--context: {e}"))?,
        None => Context::new(),
    };
    let default = match &args.default {
        Some(text) => json_arg("--default", text)?,
        None => Value::Null,
    };
    println!("{}", evaluate(&client, &args.flag, &ctx, &default));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run_batch(args: &BatchArgs) -> Result<ExitCode, String> {
    let client = load(&args.config, args.now.as_deref())?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (number, line) in io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = batch_line(&client, &line)
            .unwrap_or_else(|message| json!({"line": number + 1, "error": message}));
        writeln!(out, "{result}").map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// One request `{"flag": "...", "context": {...}, "default": ...}`; a line that is not one gets
/// an error object in its place, so output lines stay aligned with input lines.
fn batch_line(client: &Client, line: &str) -> Result<Value, String> {
    let mut request: Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(fields) = request.as_object_mut() else {
        return Err("a request must be a JSON object".to_owned());
    };
    for key in fields.keys() {
        if !matches!(key.as_str(), "flag" | "context" | "default") {
            return Err(format!(
                "unknown field \"{key}\" (expected flag, context, default)"
            ));
        }
    }
    let flag = match fields.remove("flag") {
        Some(Value::String(flag)) => flag,
        _ => return Err("\"flag\" must be a string".to_owned()),
    };
    let ctx = match fields.remove("context") {
        None | Some(Value::Null) => Context::new(),
        Some(value) => Context::from_value(value).map_err(|e| format!("context: {e}"))?,
    };
    let default = fields.remove("default").unwrap_or(Value::Null);
    Ok(evaluate(client, &flag, &ctx, &default))
}
