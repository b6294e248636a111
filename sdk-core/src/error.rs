//! The one public error type of the core.

use std::fmt;

/// What went wrong, in the few kinds a caller acts on. Every binding maps each kind to one stable
/// code; new kinds may be added, so match with a wildcard arm.
///
/// The discriminant is the stable code (DESIGN §7; 0 is "no error" in the C ABI):
/// `INVALID_JSON` 1, `INVALID_CONFIG` 2, `LIMIT_EXCEEDED` 3, `INVALID_CONTEXT` 4, `NOT_READY` 5,
/// `INVALID_ARGUMENT` 6. A number is never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ErrorKind {
    /// The input is not well-formed JSON (config, context, payload or snapshot).
    InvalidJson = 1,
    /// The document is JSON but does not follow its format (a config, a precomputed payload, a
    /// sticky snapshot); the message has a JSON path.
    InvalidConfig = 2,
    /// The input exceeds a hard limit (size, nesting, counts); the message names the limit.
    LimitExceeded = 3,
    /// An evaluation context that is not a JSON object.
    InvalidContext = 4,
    /// The operation needs a loaded config and there is none yet.
    NotReady = 5,
    /// An argument out of its domain: an attribute index the snapshot does not have, an empty
    /// event name.
    InvalidArgument = 6,
}

const KINDS: [ErrorKind; 6] = [
    ErrorKind::InvalidJson,
    ErrorKind::InvalidConfig,
    ErrorKind::LimitExceeded,
    ErrorKind::InvalidContext,
    ErrorKind::NotReady,
    ErrorKind::InvalidArgument,
];

impl ErrorKind {
    /// A stable, machine-readable name for the kind (used by the CLI and the bindings).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson => "INVALID_JSON",
            ErrorKind::InvalidConfig => "INVALID_CONFIG",
            ErrorKind::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorKind::InvalidContext => "INVALID_CONTEXT",
            ErrorKind::NotReady => "NOT_READY",
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
        }
    }

    /// The stable numeric code (never 0).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The kind with stable code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        KINDS.into_iter().find(|k| k.code() == code)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are a contract with every binding: this test pins them (DESIGN §7).
    #[test]
    fn kinds_are_pinned() {
        let kinds: Vec<(&str, u8)> = KINDS.iter().map(|k| (k.as_str(), k.code())).collect();
        assert_eq!(
            kinds,
            [
                ("INVALID_JSON", 1),
                ("INVALID_CONFIG", 2),
                ("LIMIT_EXCEEDED", 3),
                ("INVALID_CONTEXT", 4),
                ("NOT_READY", 5),
                ("INVALID_ARGUMENT", 6)
            ]
        );
        for kind in KINDS {
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ErrorKind::from_code(0), None);
    }
}
