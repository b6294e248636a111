//! Loops of one host-API call on the shared workloads (`../shared/bench`), for counting
//! instructions with callgrind: on a shared machine wall time moves by a quarter between runs,
//! instruction counts do not. Subtract a run with `0` iterations, then divide by the count.
//!
//! ```text
//! cargo build --release -p tandem --example instruction_loops
//! valgrind --tool=callgrind target/release/examples/instruction_loops evaluate_all 20000
//! ```
//!
//! Cells: `static` (W1 through a `Reader`), `targeted` (W2), `split` (W3 `fractional`),
//! `evaluate_all` and `precompute` (the 50 W4 flags, into reused buffers), `fresh_context` (a
//! 10-attribute context built and dropped), `load` (the 1,000 W5 flags, `Client::from_json`).

use std::error::Error;
use std::hint::black_box;
use std::path::PathBuf;

use tandem::{Client, Context, EvalOptions, FixedClock};

fn workload(name: &str) -> Result<String, Box<dyn Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/bench")
        .join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn client(config: &str) -> Result<Client, Box<dyn Error>> {
    Ok(Client::from_json(
        config,
        FixedClock::at_unix_seconds(1_795_000_000),
        7,
    )?)
}

/// The 10 attributes of `static-context.json`, set with the typed setters.
fn fresh_context() -> Context {
    let mut ctx = Context::with_capacity(10);
    ctx.set_str("targetingKey", "user-0000000042");
    ctx.set_int("age", 34);
    ctx.set_str("country", "SE");
    ctx.set_str("plan", "pro");
    ctx.set_str("platform", "web");
    ctx.set_str("appVersion", "5.12.0");
    ctx.set_str("locale", "sv-SE");
    ctx.set_str("email", "someone@example.com");
    ctx.set_bool("beta", true);
    ctx.set_int("sessions", 17);
    ctx
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let cell = args.next().unwrap_or_default();
    let iterations: usize = args.next().map_or(Ok(10_000), |n| n.parse())?;
    let ctx = Context::from_json(&workload("static-context.json")?)?;
    let mut sum = 0usize;
    match cell.as_str() {
        "static" | "targeted" | "split" => {
            let client = client(&workload("w1-w3.flagd.json")?)?;
            let reader = client.reader();
            for _ in 0..iterations {
                sum += match cell.as_str() {
                    "static" => {
                        usize::from(reader.get_bool(black_box("w1-static"), &ctx, false).value)
                    }
                    "targeted" => {
                        usize::from(reader.get_bool(black_box("w2-targeted"), &ctx, false).value)
                    }
                    _ => reader
                        .get_string(black_box("w3-split"), &ctx, "")
                        .value
                        .len(),
                };
            }
        }
        "evaluate_all" | "precompute" => {
            let client = client(&workload("w4-50-flags.flagd.json")?)?;
            let reader = client.reader();
            let (mut outcomes, mut buffer) = (Vec::new(), Vec::new());
            for _ in 0..iterations {
                if cell == "evaluate_all" {
                    reader.evaluate_all(black_box(&ctx), &EvalOptions::default(), &mut outcomes);
                    sum += outcomes.len();
                } else {
                    reader.precompute_into(
                        black_box(&ctx),
                        &EvalOptions::default(),
                        &mut buffer,
                    )?;
                    sum += buffer.len();
                }
            }
        }
        "fresh_context" => {
            for _ in 0..iterations {
                sum += black_box(fresh_context()).len();
            }
        }
        "load" => {
            let config = workload("w5-1000-flags.flagd.json")?;
            for _ in 0..iterations {
                sum += client(black_box(&config))?.snapshot().flag_count();
            }
        }
        other => return Err(format!("unknown cell {other:?}").into()),
    }
    println!("{cell}: {iterations} iterations (checksum {sum})");
    Ok(())
}
