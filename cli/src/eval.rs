//! `tandem eval` and `tandem eval-batch`.

use std::collections::HashMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use clap::Args;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tandem::{Client, Context, EvalOptions, FlagType};

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
    /// Add an "events" array: the exposure and decision events this evaluation queued, as the
    /// SDK emits them.
    #[arg(long)]
    events: bool,
}

/// Arguments of `tandem eval-batch`.
#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// The config file.
    config: String,
    /// The time every evaluation sees, RFC 3339 (default: now, read once).
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Add an "events" array to each result: the events that line's evaluation queued (the
    /// deduplication window spans the batch, as it spans a client's life).
    #[arg(long)]
    events: bool,
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

/// One evaluation as the JSON the CLI prints, with the events it queued when asked.
fn evaluate(
    client: &Client,
    flag: &str,
    ctx: &Context,
    default: &Value,
    options: &EvalOptions<'_>,
    with_events: bool,
) -> Value {
    let details = client.evaluate_with(flag, ctx, default, requested_type(default), options);
    // Serializing a tree of JSON values into a JSON value cannot fail.
    let mut result = serde_json::to_value(&details).unwrap_or(Value::Null);
    let events = client.drain_events();
    if let (true, Value::Object(map)) = (with_events, &mut result) {
        map.insert(
            "events".to_owned(),
            serde_json::to_value(events).unwrap_or(Value::Null),
        );
    }
    result
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
    let result = evaluate(
        &client,
        &args.flag,
        &ctx,
        &default,
        &EvalOptions::default(),
        args.events,
    );
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

/// What reading one line gave.
enum Line {
    /// A whole line (without its newline) in the buffer.
    Read,
    /// A line longer than the limit: skipped to its end without being kept.
    TooLong,
    End,
}

/// Reads one line of at most `max` bytes into `buf`; a longer line is consumed and dropped, so
/// no line costs more memory than the limit.
fn read_line(input: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => Line::End,
                (true, true) => Line::TooLong,
                (true, false) => Line::Read,
            });
        }
        any = true;
        let (chunk, newline) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (available.get(..at).unwrap_or_default(), true),
            None => (available, false),
        };
        if !too_long && buf.len() + chunk.len() <= max {
            buf.extend_from_slice(chunk);
        } else {
            too_long = true;
            buf.clear();
        }
        let used = chunk.len() + usize::from(newline);
        input.consume(used);
        if newline {
            return Ok(if too_long { Line::TooLong } else { Line::Read });
        }
    }
}

pub(crate) fn run_batch(args: &BatchArgs) -> Result<ExitCode, String> {
    let client = load(&args.config, args.now.as_deref())?;
    // A request is a context plus a few small fields: a line may be as large as a document,
    // and its context is held to the context limit by the core.
    let max_line = client.limits().max_document_bytes;
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    let mut number = 0usize;
    loop {
        let read =
            read_line(&mut input, max_line, &mut buf).map_err(|e| format!("reading stdin: {e}"))?;
        number += 1;
        let result = match read {
            Line::End => break,
            Line::TooLong => Err(format!(
                "the line is longer than the limit of {max_line} bytes"
            )),
            Line::Read => match std::str::from_utf8(&buf) {
                Err(_) => Err("the line is not valid UTF-8".to_owned()),
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => batch_line(&client, text, args.events),
            },
        };
        let result = result.unwrap_or_else(|message| json!({"line": number, "error": message}));
        writeln!(out, "{result}").map_err(|e| format!("writing stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

const REQUEST_FIELDS: &str = "flag, context, default, eligible, decisionKey";

/// One request `{"flag", "context", "default", "eligible", "decisionKey"}`; a line that is not
/// one gets an error object in its place, so output lines stay aligned with input lines.
/// Messages never repeat what the request holds (field names included: they may be user data).
fn batch_line(client: &Client, line: &str, with_events: bool) -> Result<Value, String> {
    let fields: HashMap<String, &RawValue> = serde_json::from_str(line)
        .map_err(|e| format!("not a JSON object of request fields: {}", describe(&e)))?;
    if fields.keys().any(|k| {
        !matches!(
            k.as_str(),
            "flag" | "context" | "default" | "eligible" | "decisionKey"
        )
    }) {
        return Err(format!("unknown field (the fields are {REQUEST_FIELDS})"));
    }
    let field = |name: &str| fields.get(name).map(|raw| raw.get());
    let flag: String = field("flag")
        .and_then(|raw| serde_json::from_str(raw).ok())
        .ok_or("\"flag\" must be a string")?;
    let ctx = match field("context") {
        None | Some("null") => Context::new(),
        Some(raw) => Context::from_json(raw).map_err(|e| format!("context: {e}"))?,
    };
    let default: Value = match field("default") {
        None => Value::Null,
        Some(raw) => serde_json::from_str(raw).map_err(|_| "\"default\" must be JSON")?,
    };
    let eligible: Option<Vec<String>> = match field("eligible") {
        None | Some("null") => None,
        Some(raw) => Some(
            serde_json::from_str(raw).map_err(|_| "\"eligible\" must be an array of strings")?,
        ),
    };
    let decision_key: String = match field("decisionKey") {
        None | Some("null") => String::new(),
        Some(raw) => serde_json::from_str(raw).map_err(|_| "\"decisionKey\" must be a string")?,
    };
    let eligible: Option<Vec<&str>> = eligible
        .as_ref()
        .map(|keys| keys.iter().map(String::as_str).collect());
    let options = EvalOptions {
        decision_key: &decision_key,
        eligible_actions: eligible.as_deref(),
        now: None,
    };
    Ok(evaluate(
        client,
        &flag,
        &ctx,
        &default,
        &options,
        with_events,
    ))
}

/// Why a text is not a request object, without quoting it.
fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "it could not be read".to_owned(),
        Category::Syntax => format!("invalid JSON at column {}", error.column()),
        Category::Data => "it is not an object".to_owned(),
        Category::Eof => "the JSON ends too early".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut reader = io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut reader, max, &mut buf).unwrap() {
                Line::End => return out,
                Line::TooLong => out.push(None),
                Line::Read => out.push(Some(buf.clone())),
            }
        }
    }

    #[test]
    fn reads_bounded_lines() {
        assert_eq!(
            lines(b"ab\ncdefgh\n\nij", 4),
            [
                Some(b"ab".to_vec()),
                None,
                Some(Vec::new()),
                Some(b"ij".to_vec())
            ]
        );
        assert_eq!(lines(b"abcd\nabcde", 4), [Some(b"abcd".to_vec()), None]);
        assert!(lines(b"", 4).is_empty());
    }
}
