//! Problems found while loading a config, each with a JSON path.

use std::fmt;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The entity cannot be served: evaluating it returns the caller's default with
    /// `PARSE_ERROR`. The rest of the config works.
    Error,
    /// The document breaks flagd's schema, but flagd accepts it (it logs a warning and serves the
    /// flag), and so does Tandem, exactly the way flagd serves it: for example a negative
    /// `fractional` weight, which flagd clamps to zero. A warning, not an error: `tandem validate`
    /// prints it on stderr and still exits 0 (docs/validation.md).
    Violation,
    /// Allowed by the schema but probably a mistake (for example an unknown field in a flag).
    Warning,
}

impl Severity {
    /// `true` for the severities that make a document invalid (`tandem validate` fails on them):
    /// only [`Severity::Error`]. What flagd serves, Tandem serves, and that is never invalid.
    pub fn is_invalid(self) -> bool {
        matches!(self, Severity::Error)
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

/// Most diagnostics kept for one document. Past it, problems are still found and still break
/// their entities, but are only counted (one last diagnostic says how many): a hostile list of a
/// million bad items costs a million checks, not a million messages in memory and on screen.
pub(crate) const MAX_DIAGNOSTICS: usize = 1_000;

/// Collects diagnostics while a document loads.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    pub(crate) items: Vec<Diagnostic>,
    /// Problems found once `items` was full.
    dropped: usize,
    /// Whether one of the dropped problems makes the document invalid.
    dropped_invalid: bool,
    /// The first error since [`Diagnostics::begin_entity`], as `path: message`, kept even when
    /// the diagnostic itself is dropped: it is the broken entity's message.
    first_error: Option<String>,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, severity: Severity, path: &str, message: impl Into<String>) {
        if self.keeps(severity) {
            self.add(severity, path.to_owned(), message.into());
        }
    }

    /// Like [`Diagnostics::push`], but builds the path and message only when they are kept, for
    /// loops over lists whose length the document chooses.
    pub(crate) fn push_with(
        &mut self,
        severity: Severity,
        make: impl FnOnce() -> (String, String),
    ) {
        if self.keeps(severity) {
            let (path, message) = make();
            self.add(severity, path, message);
        }
    }

    // `keeps` and `add` are the non-generic halves of `push` and `push_with`: inlined into
    // every caller's instantiation they were repeated in the wasm builds.

    /// Whether a problem of `severity` will be kept; counts it as dropped when not.
    #[inline(never)]
    fn keeps(&mut self, severity: Severity) -> bool {
        let first_error = severity == Severity::Error && self.first_error.is_none();
        if self.items.len() >= MAX_DIAGNOSTICS && !first_error {
            self.dropped += 1;
            self.dropped_invalid |= severity.is_invalid();
            return false;
        }
        true
    }

    /// Records a problem [`Diagnostics::keeps`] kept.
    #[inline(never)]
    fn add(&mut self, severity: Severity, path: String, message: String) {
        let first_error = severity == Severity::Error && self.first_error.is_none();
        let diagnostic = Diagnostic {
            severity,
            path,
            message,
        };
        if first_error {
            self.first_error = Some(diagnostic.to_string());
        }
        if self.items.len() < MAX_DIAGNOSTICS {
            self.items.push(diagnostic);
        } else {
            self.dropped += 1;
            self.dropped_invalid |= severity.is_invalid();
        }
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

    /// Starts an entity: [`Diagnostics::end_entity`] then returns the first error since.
    pub(crate) fn begin_entity(&mut self) {
        self.first_error = None;
    }

    /// The first error (as `path: message`) since [`Diagnostics::begin_entity`].
    pub(crate) fn end_entity(&mut self) -> Option<String> {
        self.first_error.take()
    }

    /// The diagnostics, with one more that counts the dropped ones, if any.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if self.dropped > 0 {
            self.items.push(Diagnostic {
                severity: if self.dropped_invalid {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                path: String::new(),
                message: format!(
                    "{} more problems not listed (only the first {MAX_DIAGNOSTICS} are kept)",
                    self.dropped
                ),
            });
        }
        self.items
    }
}
