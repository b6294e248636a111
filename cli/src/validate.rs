//! `tandem validate CONFIG`: errors on stdout (exit 1), warnings on stderr (exit 0 when there are
//! only warnings). docs/validation.md lists every diagnostic and its severity.

use std::process::ExitCode;

use tandem::{Config, Limits, Severity};

use crate::input::read_file;

pub(crate) fn run(path: &str) -> Result<ExitCode, String> {
    let text = read_file(path)?;
    let config = match Config::parse(&text, &Limits::default()) {
        Ok(config) => config,
        Err(error) => {
            // A document-level error; its message starts with its JSON path (`$` for the root).
            println!("{}", error.message());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut valid = true;
    for diagnostic in config.diagnostics() {
        match diagnostic.severity {
            // Only what flagd refuses too (or Tandem's own sections get wrong) fails validation.
            severity if severity.is_invalid() => {
                valid = false;
                println!("{diagnostic}");
            }
            // flagd logs "does not conform to the schema" and serves the flag; so does Tandem.
            Severity::Violation => eprintln!("warning (flagd schema): {diagnostic}"),
            _ => eprintln!("warning: {diagnostic}"),
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
