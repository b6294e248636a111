//! Status codes and error messages.
//!
//! Every fallible export returns a [`tandem_status`]. The codes 1–99 are the core's
//! [`tandem::ErrorKind`] codes, number for number, so every surface reports the same number for
//! the same failure; 100 and above are failures of the C boundary itself. A number, once
//! given, is never reused.
//!
//! The message of a failure goes to two places: the calling thread's last error
//! ([`tandem_last_error`], like `errno`: exact even when many threads share a client), and the
//! handle the call was made on ([`crate::client::tandem_client_last_error`],
//! [`crate::context::tandem_context_last_error`]). Messages never contain user data (context
//! values); config problems carry a JSON path.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ffi::c_char;

use tandem::ErrorKind;

use crate::panic::guard;

/// The outcome of a call. `TANDEM_STATUS_OK` (0) is success; anything else is a failure whose
/// message is available from `tandem_last_error` (and from the handle's `_last_error`).
/// Out-parameters are written only on success.
///
/// Codes 1–99 are the core's error kinds (the same numbers in every binding); 100 and above
/// belong to the C boundary. A number is never reused for another meaning.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum tandem_status {
    /// Success.
    Ok = 0,
    /// The input is not well-formed JSON (config, context, payload, snapshot, default value).
    InvalidJson = 1,
    /// The document is JSON but does not follow its format; the message has a JSON path.
    InvalidConfig = 2,
    /// The input exceeds a hard limit (size, nesting, counts); the message names the limit.
    LimitExceeded = 3,
    /// An evaluation context that is not a JSON object.
    InvalidContext = 4,
    /// The operation needs a loaded config and there is none yet.
    NotReady = 5,
    /// An argument out of its domain (an unknown flag type, an empty event name, ...).
    InvalidArgument = 6,
    /// A required pointer argument was NULL.
    NullArgument = 100,
    /// A text argument is not valid UTF-8.
    InvalidUtf8 = 101,
    /// Tandem panicked (a bug): the call was abandoned at the boundary, nothing was written.
    Panic = 102,
    /// What the call names does not exist (a flag key in evaluated outcomes, an index).
    NotFound = 103,
    /// The operating system's random source could not be read (`tandem_entropy`).
    Io = 104,
    /// An error kind of the core that this version of the C ABI does not name yet.
    UnknownError = 199,
}

impl tandem_status {
    /// The status of a core error: its kind's stable code.
    pub(crate) fn of_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidJson => Self::InvalidJson,
            ErrorKind::InvalidConfig => Self::InvalidConfig,
            ErrorKind::LimitExceeded => Self::LimitExceeded,
            ErrorKind::InvalidContext => Self::InvalidContext,
            ErrorKind::NotReady => Self::NotReady,
            ErrorKind::InvalidArgument => Self::InvalidArgument,
            _ => Self::UnknownError,
        }
    }

    /// The status's name, as in the header without its prefix (`INVALID_JSON`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::InvalidJson => "INVALID_JSON",
            Self::InvalidConfig => "INVALID_CONFIG",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::InvalidContext => "INVALID_CONTEXT",
            Self::NotReady => "NOT_READY",
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::NullArgument => "NULL_ARGUMENT",
            Self::InvalidUtf8 => "INVALID_UTF8",
            Self::Panic => "PANIC",
            Self::NotFound => "NOT_FOUND",
            Self::Io => "IO",
            Self::UnknownError => "UNKNOWN_ERROR",
        }
    }

    /// Every status, for the tests that pin the numbers.
    pub const ALL: [tandem_status; 13] = [
        Self::Ok,
        Self::InvalidJson,
        Self::InvalidConfig,
        Self::LimitExceeded,
        Self::InvalidContext,
        Self::NotReady,
        Self::InvalidArgument,
        Self::NullArgument,
        Self::InvalidUtf8,
        Self::Panic,
        Self::NotFound,
        Self::Io,
        Self::UnknownError,
    ];
}

/// A failed call: its status and a message without user data.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: tandem_status,
    pub(crate) message: Cow<'static, str>,
}

impl Failure {
    pub(crate) fn new(status: tandem_status, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn null(what: &'static str) -> Self {
        Self::new(
            tandem_status::NullArgument,
            format!("{what} must not be NULL"),
        )
    }
}

impl From<tandem::Error> for Failure {
    fn from(error: tandem::Error) -> Self {
        Self::new(
            tandem_status::of_kind(error.kind()),
            error.message().to_owned(),
        )
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<Box<str>>> = const { RefCell::new(None) };
}

/// Records `message` as the calling thread's last error.
pub(crate) fn set_last_error(message: &str) {
    // A thread being torn down has no slot left: the status code still tells the failure.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(message.into());
        }
    });
}

/// Copies `message` into the caller's buffer `buf` of `len` bytes, NUL-terminated and cut to
/// fit, and returns the message's full length (0 when there is none).
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
pub(crate) unsafe fn copy_message(message: Option<&str>, buf: *mut c_char, len: usize) -> usize {
    let Some(message) = message else {
        if !buf.is_null() && len > 0 {
            // SAFETY: `buf` is writable for `len` ≥ 1 bytes (the caller's contract).
            unsafe { buf.write(0) };
        }
        return 0;
    };
    if !buf.is_null() && len > 0 {
        let n = message.len().min(len - 1);
        // SAFETY: `n + 1 ≤ len` bytes of `buf` are writable and do not overlap `message`,
        // which Rust owns.
        unsafe {
            std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), n);
            buf.add(n).write(0);
        }
    }
    message.len()
}

/// The message of the calling thread's last failed call (any handle, or a constructor that
/// produced none), copied into `buf` (`len` bytes, NUL-terminated, cut to fit; NULL with
/// `len` 0 only asks for the length). Returns the message's full length in bytes, 0 when no
/// call has failed on this thread. A later success does not clear it.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn tandem_last_error(buf: *mut c_char, len: usize) -> usize {
    guard(|| {
        let message = LAST_ERROR
            .try_with(|slot| slot.try_borrow().ok().and_then(|m| m.clone()))
            .ok()
            .flatten();
        // SAFETY: forwarded from the caller.
        unsafe { copy_message(message.as_deref(), buf, len) }
    })
}

/// The name of a status code as a static NUL-terminated string (`"INVALID_JSON"`);
/// `"UNKNOWN"` for a number that is not a status. Never NULL, never to be freed.
#[no_mangle]
pub extern "C" fn tandem_status_name(status: u32) -> *const c_char {
    let name: &'static std::ffi::CStr = match tandem_status::ALL
        .iter()
        .find(|s| **s as u32 == status)
        .map(|s| s.name())
    {
        Some("OK") => c"OK",
        Some("INVALID_JSON") => c"INVALID_JSON",
        Some("INVALID_CONFIG") => c"INVALID_CONFIG",
        Some("LIMIT_EXCEEDED") => c"LIMIT_EXCEEDED",
        Some("INVALID_CONTEXT") => c"INVALID_CONTEXT",
        Some("NOT_READY") => c"NOT_READY",
        Some("INVALID_ARGUMENT") => c"INVALID_ARGUMENT",
        Some("NULL_ARGUMENT") => c"NULL_ARGUMENT",
        Some("INVALID_UTF8") => c"INVALID_UTF8",
        Some("PANIC") => c"PANIC",
        Some("NOT_FOUND") => c"NOT_FOUND",
        Some("IO") => c"IO",
        Some("UNKNOWN_ERROR") => c"UNKNOWN_ERROR",
        _ => c"UNKNOWN",
    };
    name.as_ptr()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The numbers are the ABI: pinned here, and the core's kinds keep their own numbers.
    #[test]
    fn statuses_are_pinned_and_follow_the_core() {
        let pinned: Vec<(&str, u32)> = tandem_status::ALL
            .iter()
            .map(|s| (s.name(), *s as u32))
            .collect();
        assert_eq!(
            pinned,
            [
                ("OK", 0),
                ("INVALID_JSON", 1),
                ("INVALID_CONFIG", 2),
                ("LIMIT_EXCEEDED", 3),
                ("INVALID_CONTEXT", 4),
                ("NOT_READY", 5),
                ("INVALID_ARGUMENT", 6),
                ("NULL_ARGUMENT", 100),
                ("INVALID_UTF8", 101),
                ("PANIC", 102),
                ("NOT_FOUND", 103),
                ("IO", 104),
                ("UNKNOWN_ERROR", 199),
            ]
        );
        // Every kind the core has maps to the status of the same number and name, so a kind
        // added to the core without a status here fails this test.
        for code in 1..=u8::MAX {
            if let Some(kind) = ErrorKind::from_code(code) {
                let status = tandem_status::of_kind(kind);
                assert_eq!(status as u32, u32::from(code), "{kind:?}");
                assert_eq!(status.name(), kind.as_str());
            }
        }
    }

    #[test]
    fn names_are_static_c_strings() {
        for status in tandem_status::ALL {
            let name = unsafe { std::ffi::CStr::from_ptr(tandem_status_name(status as u32)) };
            assert_eq!(name.to_str().unwrap(), status.name());
        }
        let unknown = unsafe { std::ffi::CStr::from_ptr(tandem_status_name(7)) };
        assert_eq!(unknown.to_str().unwrap(), "UNKNOWN");
    }
}
