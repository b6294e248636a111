//! `tandem validate CONFIG`.

use std::process::ExitCode;

use tandem::{Config, Limits};

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
        if diagnostic.severity.is_invalid() {
            valid = false;
            println!("{diagnostic}");
        } else {
            eprintln!("warning: {diagnostic}");
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
