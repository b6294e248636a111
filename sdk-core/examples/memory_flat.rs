//! Shows that a client's memory stays flat however many distinct units it sees: 10 million units
//! `u0 … u9999999` evaluated against DESIGN §2's experiment (layer, audience, 2.5 % holdout),
//! every split logging an exposure, the queue drained every 1,000 evaluations as a host would.
//! Prints the peak resident set size (`VmHWM` of `/proc/self/status`) after 100k, 1M and 10M
//! units: the exposure deduplication window, the sticky store and the queue are bounded, so the
//! peak must not grow with the number of units.
//!
//! ```text
//! cargo run --release -p tandem --example memory_flat
//! ```

use std::error::Error;
use std::time::Instant;

use tandem::{Client, Context, FixedClock};

/// DESIGN §2's experiment with string variants; sticky, so the sticky store fills up too.
const CONFIG: &str = r#"{
  "revision": "2026-11-25.42",
  "flags": {
    "checkout-button": {
      "state": "ENABLED",
      "variants": {"control": "control", "cb-v1": "cb-v1", "cb-v2": "cb-v2"},
      "defaultVariant": "control",
      "targeting": {"if": [{"in": [{"var": "email"}, ["qa@example.com"]]}, "cb-v2", null]}
    }
  },
  "experiments": {
    "checkout-personalization": {
      "flag": "checkout-button", "status": "running", "layer": "checkout", "sticky": true,
      "audience": {"in": [{"var": "country"}, ["SE", "DE", "US"]]},
      "allocation": [["control", 34], ["cb-v1", 33], ["cb-v2", 33]]
    }
  },
  "layers":   {"checkout": {"ranges": {"checkout-personalization": [[0, 10000]]}}},
  "holdouts": {"q4-global": {"percent": 2.5, "experiments": ["*"]}}
}"#;

const UNITS: u64 = 10_000_000;
const CHECKPOINTS: [u64; 3] = [100_000, 1_000_000, 10_000_000];
const DRAIN_EVERY: u64 = 1_000;

/// A field of `/proc/self/status` in kB (`VmHWM`, `VmRSS`), where the platform has it.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn show(kb: Option<u64>) -> String {
    kb.map_or_else(
        || "n/a".to_owned(),
        |kb| format!("{:.1} MiB", kb as f64 / 1024.0),
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    let client = Client::from_json(CONFIG, FixedClock::at_unix_seconds(1_795_000_000), 7)?;
    let mut ctx = Context::from_json(r#"{"country": "SE", "plan": "pro"}"#)?;
    println!(
        "before any evaluation: peak RSS (VmHWM) {}",
        show(status_kb("VmHWM"))
    );
    let started = Instant::now();
    let mut exposures = 0u64;
    let mut splits = 0u64;
    for n in 0..UNITS {
        ctx.set_str("targetingKey", &format!("u{n}"));
        let details = client.get_string("checkout-button", &ctx, "fallback");
        splits += u64::from(details.experiment().is_some());
        if (n + 1) % DRAIN_EVERY == 0 {
            exposures += client.drain_events().len() as u64;
        }
        if let Some(&checkpoint) = CHECKPOINTS.iter().find(|&&c| c == n + 1) {
            let stats = client.stats();
            println!(
                "{checkpoint:>10} units: peak RSS (VmHWM) {:>9}, RSS {:>9}, exposures {exposures}, \
                 dropped {}, sticky held {}, {:.0} ns/evaluation",
                show(status_kb("VmHWM")),
                show(status_kb("VmRSS")),
                stats.dropped,
                stats.sticky_assignments,
                started.elapsed().as_nanos() as f64 / (n + 1) as f64
            );
        }
    }
    exposures += client.drain_events().len() as u64;
    if exposures != splits {
        return Err(format!(
            "{splits} units were in the experiment but {exposures} exposures were logged"
        )
        .into());
    }
    Ok(())
}
