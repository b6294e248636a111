//! The one public error type of the core.

use std::fmt;

/// What went wrong, in the few kinds a caller acts on. Every binding maps each kind to one stable
/// code; new kinds may be added, so match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not well-formed JSON (config or context).
    InvalidJson,
    /// The document is JSON but does not follow the config format; the message has a JSON path.
    InvalidConfig,
    /// The input exceeds a hard limit (size, nesting, counts); the message names the limit.
    LimitExceeded,
    /// An evaluation context that is not a JSON object.
    InvalidContext,
    /// The operation needs a loaded config and there is none yet.
    NotReady,
}

impl ErrorKind {
    /// A stable, machine-readable name for the kind (used by the CLI and the bindings).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson => "INVALID_JSON",
            ErrorKind::InvalidConfig => "INVALID_CONFIG",
            ErrorKind::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorKind::InvalidContext => "INVALID_CONTEXT",
            ErrorKind::NotReady => "NOT_READY",
        }
    }
}

/// An error returned by the core. Messages carry a JSON path for config problems and never echo
/// user data (context values).
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

    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (with a JSON path where one applies).
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
