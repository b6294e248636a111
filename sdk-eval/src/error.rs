//! The crate's one public error type.

use std::fmt;

/// What went wrong, for a caller that acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The analysis spec is not valid; the message starts with the JSON path of the problem.
    InvalidSpec,
    /// An event line is not a Tandem event, or the log breaks an assumption the reducer needs
    /// (an exposure later than the allowed lateness); the message names the line.
    InvalidEvents,
    /// A statistics file is not valid or does not match the spec.
    InvalidStats,
    /// Reading the input or writing the output failed.
    Io,
}

/// An error of the evaluation library. Messages name JSON paths and line numbers, never the
/// values of user data (units, context attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn spec(path: &str, message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidSpec, format!("{path}: {message}"))
    }

    pub(crate) fn events(line: u64, message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidEvents, format!("line {line}: {message}"))
    }

    pub(crate) fn stats(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidStats, message.to_string())
    }

    pub(crate) fn io(error: &std::io::Error) -> Self {
        Self::new(ErrorKind::Io, error.to_string())
    }

    /// The kind of problem.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (a JSON path or line number first).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
