//! Checked reading of C arguments: NULL pointers and invalid UTF-8 become failures, never
//! undefined behaviour on our side of the boundary.

use std::ffi::c_char;

use crate::error::{tandem_status, Failure};

/// A text argument: `len` bytes of UTF-8 at `ptr` (not NUL-terminated).
///
/// # Safety
/// `ptr` is NULL or readable for `len` bytes that stay unchanged during the call.
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { bytes(ptr, len, what)? };
    std::str::from_utf8(bytes)
        .map_err(|_| Failure::new(tandem_status::InvalidUtf8, format!("{what} is not UTF-8")))
}

/// A byte argument: `len` bytes at `ptr`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn bytes<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            tandem_status::InvalidArgument,
            format!("{what}: the length is larger than any object"),
        ));
    }
    // SAFETY: non-NULL, readable for `len` bytes (the caller's contract), `len` within
    // `isize::MAX`, and `u8` has no alignment requirement.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// An optional text argument: NULL is `None`.
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { text(ptr, len, what) }.map(Some)
}

/// A handle or struct argument that must not be NULL.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that no other thread mutates during the call.
pub(crate) unsafe fn reference<'a, T>(ptr: *const T, what: &'static str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// A handle argument the call mutates.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses during the call.
pub(crate) unsafe fn exclusive<'a, T>(
    ptr: *mut T,
    what: &'static str,
) -> Result<&'a mut T, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(what))
}

/// An out-parameter, checked before any work so that a NULL one fails the call up front; it
/// is written only on success (`Out::write`).
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(ptr: *mut T, what: &'static str) -> Result<Self, Failure> {
        if ptr.is_null() {
            return Err(Failure::null(what));
        }
        Ok(Self(ptr))
    }

    /// An optional out-parameter: NULL means the caller does not want it.
    pub(crate) fn optional(ptr: *mut T) -> Option<Self> {
        (!ptr.is_null()).then_some(Self(ptr))
    }

    /// Writes the value (without reading or dropping what the caller's memory held).
    ///
    /// # Safety
    /// The pointer given to [`Out::new`] is writable for a `T`.
    pub(crate) unsafe fn write(self, value: T) {
        // SAFETY: non-NULL (checked in `new`), writable (the caller's contract).
        unsafe { self.0.write(value) }
    }
}
