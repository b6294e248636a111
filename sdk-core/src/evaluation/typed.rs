//! Step 9 of DESIGN §3: the requested type.

use super::codes::ErrorCode;
use super::details::FlagType;
use super::outcome::Outcome;
use crate::context::json_type_name;
use crate::snapshot::Snapshot;

/// Checks the value `outcome` serves against `expected`. A value of another type is not
/// served: the caller's default is, with `TYPE_MISMATCH` — unless the outcome is an error
/// already (a failed policy falling back to a default variant of the wrong type), whose code
/// stays. The experiment, holdout and arm stay either way: a failing arm is still exposed.
#[inline]
pub(crate) fn check_type(snapshot: &Snapshot, outcome: &mut Outcome, expected: FlagType) {
    if expected == FlagType::Any {
        return;
    }
    let Some(value) = snapshot.value(outcome) else {
        return;
    };
    if !expected.matches(value) {
        mismatch(outcome, value, expected);
    }
}

/// The value is of another type: out of line, the common path stays small.
#[inline(never)]
fn mismatch(outcome: &mut Outcome, value: &serde_json::Value, expected: FlagType) {
    if outcome.error_code.is_some() {
        outcome.variant = None;
        outcome.decision = None;
        return;
    }
    let message = format!(
        "the flag's value is {}, not the requested {}",
        json_type_name(value),
        expected.name()
    );
    outcome.fail(ErrorCode::TypeMismatch, message);
}
