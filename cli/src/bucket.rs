//! `tandem bucket SALT UNIT`: where a unit lands in the bucketing space of DESIGN §4, for
//! debugging a split or checking a binding by hand.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use tandem::bucketing::{bucket, hash};

/// Arguments of `tandem bucket`.
#[derive(Debug, Args)]
pub(crate) struct BucketArgs {
    /// The salt: an object's own `salt`, else its default `experiment/<key>`, `layer/<key>`,
    /// `holdout/<key>` or `policy/<bundle id>`. May be empty.
    // Negative numbers are values, not options, so `tandem bucket s -7` works as it reads.
    #[arg(allow_negative_numbers = true)]
    salt: String,
    /// The unit, exactly as given (no trimming, no Unicode normalisation). An integer unit in a
    /// context normalises to its decimal digits, so `42` here is the same unit as the JSON
    /// numbers 42 and 42.0. Put `--` before a salt or unit that starts with `-` and is not a
    /// number.
    #[arg(allow_negative_numbers = true)]
    unit: String,
    /// Print `{"salt", "unit", "hash", "bucket"}` as one JSON object; `hash` is the XXH3-64
    /// of `salt ‖ 0x00 ‖ unit` as 16 hex digits.
    #[arg(long)]
    json: bool,
}

/// Prints the bucket (0-9999) of the unit under the salt, or the JSON object with `--json`.
pub(crate) fn run(args: &BucketArgs) -> Result<ExitCode, String> {
    // The SDK never buckets an empty unit (DESIGN §4: it is not a unit), so neither does this.
    if args.unit.is_empty() {
        return Err("UNIT is empty, and an empty string is not a unit".to_owned());
    }
    let bucket = bucket(&args.salt, &args.unit);
    if args.json {
        let hash = format!("{:016x}", hash(&args.salt, &args.unit));
        let object = json!({"salt": args.salt, "unit": args.unit, "hash": hash, "bucket": bucket});
        println!("{object}");
    } else {
        println!("{bucket}");
    }
    Ok(ExitCode::SUCCESS)
}
