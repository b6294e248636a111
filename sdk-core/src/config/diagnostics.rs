//! Problems found while loading a config, each with a JSON path.

use std::fmt;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The entity cannot be served: evaluating it returns the caller's default with
    /// `PARSE_ERROR`. The rest of the config works.
    Error,
    /// The document breaks the config schema, but the entity is still served exactly the way flagd
    /// serves it (for example a negative `fractional` weight, which flagd clamps to zero).
    Violation,
    /// Allowed by the schema but probably a mistake (for example an unknown field in a flag).
    Warning,
}

impl Severity {
    /// `true` for the severities that make a document invalid (`tandem validate` fails on them).
    pub fn is_invalid(self) -> bool {
        matches!(self, Severity::Error | Severity::Violation)
    }

    /// A lower-case name: `error`, `violation`, `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Violation => "violation",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a config document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// Where: a JSON path such as `flags.checkout.targeting.if[0]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `json.path: message`, the format `tandem validate` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "$: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Collects diagnostics while a document loads.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, severity: Severity, path: &str, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity,
            path: path.to_owned(),
            message: message.into(),
        });
    }

    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Error, path, message);
    }

    pub(crate) fn violation(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Violation, path, message);
    }

    pub(crate) fn warning(&mut self, path: &str, message: impl Into<String>) {
        self.push(Severity::Warning, path, message);
    }
}
