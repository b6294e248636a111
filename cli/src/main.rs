//! `tandem`: validate configs and evaluate flags from the command line.

mod bucket;
mod eval;
mod evaluate;
mod input;
mod policy;
mod simulate;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tandem: flags, experiments and on-device policies, evaluated locally.
#[derive(Debug, Parser)]
#[command(name = "tandem", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a config: exit 0 when valid, else exit 1 with one `json.path: message` line per
    /// problem (warnings go to stderr and do not fail).
    Validate {
        /// The config file (a Tandem config or a flagd flag-definition file).
        config: String,
    },
    /// Evaluate one flag and print its evaluation details as one JSON object.
    Eval(eval::EvalArgs),
    /// Evaluate NDJSON requests `{"flag", "context", "default", "eligible", "decisionKey"}` from
    /// stdin, one result per line.
    EvalBatch(eval::BatchArgs),
    /// Assign N synthetic units (u0 … uN-1, as the targeting key) to a flag and report the share
    /// per variant and per experiment, with a chi-square sample-ratio-mismatch check.
    Simulate(simulate::SimulateArgs),
    /// Print the bucket (0-9999) of UNIT under SALT, as DESIGN §4 computes it.
    Bucket(bucket::BucketArgs),
    /// Turn a model file (XGBoost JSON, LightGBM dump, scikit-learn linear model) and a spec
    /// into a policy bundle, printed as JSON; its scores equal the library's own predictions.
    Import(tandem_cli::import::command::ImportArgs),
    /// Write a policy bundle's digest (`xxh3-128:` of its canonical JSON) into the file.
    Seal(policy::SealArgs),
    /// Run a policy of a config for one context and print the decision as JSON.
    Decide(policy::DecideArgs),
    /// Analyse event logs (or statistics computed elsewhere): the A/B verdict with guardrails,
    /// off-policy estimates and the value of personalization, as a table, JSON and HTML.
    Evaluate(evaluate::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate { config } => validate::run(&config),
        Command::Eval(args) => eval::run(&args),
        Command::EvalBatch(args) => eval::run_batch(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Bucket(args) => bucket::run(&args),
        Command::Import(args) => tandem_cli::import::command::run(&args),
        Command::Seal(args) => policy::seal(&args),
        Command::Decide(args) => policy::decide(&args),
        Command::Evaluate(args) => evaluate::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tandem: {message}");
            ExitCode::from(2)
        }
    }
}
