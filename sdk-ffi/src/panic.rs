//! The panic boundary of every export (the pattern of rustls-ffi's `panic.rs`): a panic must
//! never unwind into C, so each export runs its body under `catch_unwind` and turns a panic
//! into a value of its return type that says "nothing happened" — `TANDEM_STATUS_PANIC`,
//! NULL, `false`, 0 — after recording a message as the thread's last error.
//!
//! The library code has no panics of its own (the workspace lints deny them); the boundary is
//! for the ones nobody proved impossible (allocation failure aborts instead, as in all Rust).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{set_last_error, tandem_status, Failure};

const PANIC_MESSAGE: &str =
    "internal error: Tandem panicked; the call was abandoned at the C boundary (please report it)";

/// The value an export returns when its body panicked.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for tandem_status {
    fn panic_value() -> Self {
        tandem_status::Panic
    }
}

impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}

impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for u32 {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

/// Runs an export's body; a panic becomes [`PanicValue::panic_value`].
pub(crate) fn guard<T: PanicValue>(body: impl FnOnce() -> T) -> T {
    // Unwind safety: a panic abandons the call, and every handle's shared state is behind the
    // core's locks, which recover from poisoning; nothing half-written is read afterwards.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_) => {
            set_last_error(PANIC_MESSAGE);
            T::panic_value()
        }
    }
}

/// Runs a fallible export's body: `Ok` is `TANDEM_STATUS_OK`; a failure records its message
/// as the thread's last error and returns its status; a panic returns `TANDEM_STATUS_PANIC`.
pub(crate) fn status(body: impl FnOnce() -> Result<(), Failure>) -> tandem_status {
    guard(|| match body() {
        Ok(()) => tandem_status::Ok,
        Err(failure) => {
            set_last_error(&failure.message);
            failure.status
        }
    })
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_panic_status_and_a_message() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result = status(|| panic!("boom"));
        let served = guard(|| -> bool { panic!("boom") });
        std::panic::set_hook(previous);
        assert_eq!(result, tandem_status::Panic);
        assert!(!served);
        let mut buf = [0 as std::ffi::c_char; 256];
        let len = unsafe { crate::error::tandem_last_error(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(len, PANIC_MESSAGE.len());
    }
}
