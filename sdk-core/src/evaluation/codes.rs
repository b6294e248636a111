//! The stable numeric codes of reasons and error codes (DESIGN §7): defined once here, read by
//! every binding (the C header, the TypeScript types, the Kotlin and Python enums). A number,
//! once given, is never reused for another meaning; new variants take new numbers.

/// Why an evaluation returned what it did (OpenFeature's resolution reasons).
///
/// The discriminant is the stable code: `STATIC` 1, `DEFAULT` 2, `TARGETING_MATCH` 3, `SPLIT` 4,
/// `DISABLED` 5, `ERROR` 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Reason {
    /// The flag has no targeting and no experiments: its default variant, always.
    Static = 1,
    /// The flag's default variant (or the caller's default) after targeting and experiments
    /// did not pick a variant; also a unit held out by a holdout.
    Default = 2,
    /// The targeting rule picked the variant.
    TargetingMatch = 3,
    /// An experiment assigned the variant.
    Split = 4,
    /// The flag is disabled: the caller's default.
    Disabled = 5,
    /// Something failed: the caller's default (or the flag's static default variant when only
    /// its policy failed), with an [`ErrorCode`].
    Error = 6,
}

pub(crate) const REASONS: [Reason; 6] = [
    Reason::Static,
    Reason::Default,
    Reason::TargetingMatch,
    Reason::Split,
    Reason::Disabled,
    Reason::Error,
];

impl Reason {
    /// The OpenFeature name: `STATIC`, `DEFAULT`, `TARGETING_MATCH`, `SPLIT`, `DISABLED`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::Default => "DEFAULT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::Error => "ERROR",
        }
    }

    /// The reason with OpenFeature name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        REASONS.into_iter().find(|r| r.as_str() == name)
    }

    /// The stable numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason with stable code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        REASONS.into_iter().find(|r| r.code() == code)
    }
}

/// What failed (OpenFeature's error codes).
///
/// The discriminant is the stable code; 0 is kept for "no error" in the bindings:
/// `PROVIDER_NOT_READY` 1, `FLAG_NOT_FOUND` 2, `PARSE_ERROR` 3, `TYPE_MISMATCH` 4,
/// `TARGETING_KEY_MISSING` 5, `INVALID_CONTEXT` 6, `GENERAL` 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum ErrorCode {
    /// No config has been loaded yet.
    ProviderNotReady = 1,
    /// The flag is not in the config.
    FlagNotFound = 2,
    /// The flag (or something it depends on) failed to load.
    ParseError = 3,
    /// The flag's value is not of the requested type.
    TypeMismatch = 4,
    /// The unit of randomisation is missing from the context.
    TargetingKeyMissing = 5,
    /// The context is unusable for this flag (an invalid or oversized unit, for instance).
    InvalidContext = 6,
    /// Any other failure (a rule that raised an error, a targeting result that is no variant).
    General = 7,
}

const ERROR_CODES: [ErrorCode; 7] = [
    ErrorCode::ProviderNotReady,
    ErrorCode::FlagNotFound,
    ErrorCode::ParseError,
    ErrorCode::TypeMismatch,
    ErrorCode::TargetingKeyMissing,
    ErrorCode::InvalidContext,
    ErrorCode::General,
];

impl ErrorCode {
    /// The OpenFeature name, e.g. `FLAG_NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::General => "GENERAL",
        }
    }

    /// The error code with OpenFeature name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        ERROR_CODES.into_iter().find(|c| c.as_str() == name)
    }

    /// The stable numeric code (never 0: 0 means "no error" in the bindings).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The error code with stable code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        ERROR_CODES.into_iter().find(|c| c.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are a contract with every binding: this test pins them (DESIGN §7).
    #[test]
    fn codes_are_pinned() {
        let reasons: Vec<(&str, u8)> = REASONS.iter().map(|r| (r.as_str(), r.code())).collect();
        assert_eq!(
            reasons,
            [
                ("STATIC", 1),
                ("DEFAULT", 2),
                ("TARGETING_MATCH", 3),
                ("SPLIT", 4),
                ("DISABLED", 5),
                ("ERROR", 6)
            ]
        );
        let codes: Vec<(&str, u8)> = ERROR_CODES.iter().map(|c| (c.as_str(), c.code())).collect();
        assert_eq!(
            codes,
            [
                ("PROVIDER_NOT_READY", 1),
                ("FLAG_NOT_FOUND", 2),
                ("PARSE_ERROR", 3),
                ("TYPE_MISMATCH", 4),
                ("TARGETING_KEY_MISSING", 5),
                ("INVALID_CONTEXT", 6),
                ("GENERAL", 7)
            ]
        );
    }

    #[test]
    fn names_and_codes_round_trip() {
        for r in REASONS {
            assert_eq!(Reason::from_name(r.as_str()), Some(r));
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
        for c in ERROR_CODES {
            assert_eq!(ErrorCode::from_name(c.as_str()), Some(c));
            assert_eq!(ErrorCode::from_code(c.code()), Some(c));
        }
        assert_eq!(Reason::from_code(0), None);
        assert_eq!(ErrorCode::from_code(0), None);
        assert_eq!(ErrorCode::from_name("NOPE"), None);
    }
}
