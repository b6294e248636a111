//! The core's stable numeric codes as C enums (DESIGN §7). Functions return them as `uint32_t`
//! (a newer core may add values; C must not receive an enum value it does not declare) and take
//! flag types as `uint32_t` (checked: a number that is not a type is `INVALID_ARGUMENT`).

use tandem::{ErrorCode, FlagType, Reason};

/// Why an evaluation returned what it did (OpenFeature's resolution reasons); the numbers are
/// the core's `Reason` codes.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tandem_reason {
    /// The flag has no targeting and no experiments: its default variant.
    Static = 1,
    /// The default variant after targeting and experiments picked none; a held-out unit.
    Default = 2,
    /// The targeting rule picked the variant.
    TargetingMatch = 3,
    /// An experiment assigned the variant.
    Split = 4,
    /// The flag is disabled: the caller's default.
    Disabled = 5,
    /// Something failed (see the error code): the caller's default.
    Error = 6,
}

/// What failed (OpenFeature's error codes); the numbers are the core's `ErrorCode` codes, and
/// 0 means no error.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tandem_error_code {
    /// No error.
    None = 0,
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
    /// The context is unusable for this flag (an invalid or oversized unit).
    InvalidContext = 6,
    /// Any other failure.
    General = 7,
}

/// The type a caller expects a flag's value to have (this ABI's own numbering).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tandem_flag_type {
    /// `true` / `false`.
    Boolean = 1,
    /// A string.
    String = 2,
    /// An integer-valued number that fits `int64_t`.
    Integer = 3,
    /// Any number.
    Float = 4,
    /// A JSON object.
    Object = 5,
    /// Any JSON value: no type check.
    Any = 6,
}

/// The core's type for a `tandem_flag_type` number.
pub(crate) fn flag_type(code: u32) -> Option<FlagType> {
    Some(match code {
        1 => FlagType::Boolean,
        2 => FlagType::String,
        3 => FlagType::Integer,
        4 => FlagType::Float,
        5 => FlagType::Object,
        6 => FlagType::Any,
        _ => return None,
    })
}

pub(crate) fn reason_code(reason: Reason) -> u32 {
    u32::from(reason.code())
}

pub(crate) fn error_code(code: Option<ErrorCode>) -> u32 {
    code.map_or(0, |c| u32::from(c.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C enums carry the core's numbers and names.
    #[test]
    fn c_enums_match_the_core_codes() {
        let reasons = [
            (tandem_reason::Static, "STATIC"),
            (tandem_reason::Default, "DEFAULT"),
            (tandem_reason::TargetingMatch, "TARGETING_MATCH"),
            (tandem_reason::Split, "SPLIT"),
            (tandem_reason::Disabled, "DISABLED"),
            (tandem_reason::Error, "ERROR"),
        ];
        for (c, name) in reasons {
            let core = Reason::from_name(name).map(reason_code);
            assert_eq!(core, Some(c as u32), "{name}");
        }
        let codes = [
            (tandem_error_code::ProviderNotReady, "PROVIDER_NOT_READY"),
            (tandem_error_code::FlagNotFound, "FLAG_NOT_FOUND"),
            (tandem_error_code::ParseError, "PARSE_ERROR"),
            (tandem_error_code::TypeMismatch, "TYPE_MISMATCH"),
            (
                tandem_error_code::TargetingKeyMissing,
                "TARGETING_KEY_MISSING",
            ),
            (tandem_error_code::InvalidContext, "INVALID_CONTEXT"),
            (tandem_error_code::General, "GENERAL"),
        ];
        for (c, name) in codes {
            let core = ErrorCode::from_name(name).map(|e| error_code(Some(e)));
            assert_eq!(core, Some(c as u32), "{name}");
        }
        assert_eq!(error_code(None), tandem_error_code::None as u32);
        // Every code the core defines has its C value (a new one fails here).
        for code in 1..=u8::MAX {
            if ErrorCode::from_code(code).is_some() {
                assert!(codes.iter().any(|(c, _)| *c as u32 == u32::from(code)));
            }
            if Reason::from_code(code).is_some() {
                assert!(reasons.iter().any(|(c, _)| *c as u32 == u32::from(code)));
            }
        }
    }

    #[test]
    fn flag_types_round_trip() {
        for (c, t) in [
            (tandem_flag_type::Boolean, FlagType::Boolean),
            (tandem_flag_type::String, FlagType::String),
            (tandem_flag_type::Integer, FlagType::Integer),
            (tandem_flag_type::Float, FlagType::Float),
            (tandem_flag_type::Object, FlagType::Object),
            (tandem_flag_type::Any, FlagType::Any),
        ] {
            assert_eq!(flag_type(c as u32), Some(t));
        }
        assert_eq!(flag_type(0), None);
        assert_eq!(flag_type(7), None);
    }
}
