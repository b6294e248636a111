//! `tandem seal` and `tandem decide`.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;
use tandem::policy::canonical_digest;
use tandem::{Config, Context, Limits};

use crate::input::read_file;

/// Arguments of `tandem seal`.
#[derive(Debug, Args)]
pub(crate) struct SealArgs {
    /// The bundle file; its `digest` field is set (or replaced) in place.
    bundle: String,
    /// Only check that the file's digest is present and current: exit 1 otherwise, write nothing.
    #[arg(long)]
    check: bool,
}

/// Arguments of `tandem decide`.
#[derive(Debug, Args)]
pub(crate) struct DecideArgs {
    /// The config file.
    config: String,
    /// The policy's key in the config's `policies`.
    policy: String,
    /// The evaluation context, a JSON object (e.g. '{"targetingKey": "u1", "age": 31}').
    #[arg(long, value_name = "JSON")]
    context: Option<String>,
    /// Mixed into the draw for per-request randomisation (default: none).
    #[arg(long, value_name = "KEY", default_value = "")]
    decision_key: String,
    /// Restrict the choice to these action keys (comma-separated).
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    eligible: Option<Vec<String>>,
}

pub(crate) fn seal(args: &SealArgs) -> Result<ExitCode, String> {
    let text = read_file(&args.bundle)?;
    let mut bundle: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not valid JSON: {e}", args.bundle))?;
    let Value::Object(fields) = &mut bundle else {
        return Err(format!("{}: a bundle is a JSON object", args.bundle));
    };
    let digest = canonical_digest(&Value::Object(fields.clone()));
    if args.check {
        let current = fields.get("digest").and_then(Value::as_str);
        return Ok(if current == Some(digest.as_str()) {
            println!("{digest}");
            ExitCode::SUCCESS
        } else {
            println!(
                "digest: {} (expected {digest})",
                current.unwrap_or("missing")
            );
            ExitCode::FAILURE
        });
    }
    fields.insert("digest".to_owned(), Value::String(digest.clone()));
    // The sealed bundle must load: sealing a bundle that is invalid would only hide the problem.
    tandem::policy::Bundle::from_value(&bundle).map_err(|e| format!("{}: {e}", args.bundle))?;
    let pretty = serde_json::to_string_pretty(&bundle).map_err(|e| e.to_string())?;
    std::fs::write(&args.bundle, pretty + "\n")
        .map_err(|e| format!("cannot write {}: {e}", args.bundle))?;
    println!("{digest}");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn decide(args: &DecideArgs) -> Result<ExitCode, String> {
    let config = Config::parse(&read_file(&args.config)?, &Limits::default())
        .map_err(|e| e.message().to_owned())?;
    let bundle = match config.policy(&args.policy) {
        Some(Ok(bundle)) => bundle,
        Some(Err(broken)) => return Err(format!("policy \"{}\" is broken: {broken}", args.policy)),
        None => return Err(format!("no policy \"{}\" in {}", args.policy, args.config)),
    };
    let ctx = match &args.context {
        Some(text) => Context::from_json(text).map_err(|e| format!("--context: {e}"))?,
        None => Context::new(),
    };
    let eligible: Option<Vec<&str>> = args
        .eligible
        .as_ref()
        .map(|keys| keys.iter().map(String::as_str).collect());
    let decision = bundle
        .decide(&ctx, &args.decision_key, eligible.as_deref())
        .map_err(|e| format!("policy \"{}\": {e}", args.policy))?;
    println!(
        "{}",
        serde_json::to_string(&decision).map_err(|e| e.to_string())?
    );
    Ok(ExitCode::SUCCESS)
}
