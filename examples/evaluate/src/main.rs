//! Writes the example's event log: `tandem-evaluate-example OUT.ndjson [UNITS]` (default
//! 20,000 customers), then `tandem evaluate --spec spec.json OUT.ndjson`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: tandem-evaluate-example OUT.ndjson [UNITS]");
        return ExitCode::from(2);
    };
    let units = args.next().and_then(|u| u.parse().ok()).unwrap_or(20_000);
    let result = tandem_evaluate_example::simulate(units, 2026)
        .and_then(|log| std::fs::write(&out, log).map_err(|e| format!("cannot write {out}: {e}")));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tandem-evaluate-example: {message}");
            ExitCode::FAILURE
        }
    }
}
