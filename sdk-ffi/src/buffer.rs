//! Buffers that Tandem allocates and the caller frees: JSON text (events, payloads, sticky
//! snapshots, evaluation details) returned as a pointer and a length, with a NUL after the
//! last byte so C can print it, freed by [`tandem_buf_free`] with the same length.

use std::ffi::c_char;

use crate::args::Out;
use crate::panic::guard;

/// Hands `text` to the caller as `(*out_buf, *out_len)`: the length excludes the trailing NUL.
///
/// # Safety
/// The out-parameters are writable.
pub(crate) unsafe fn give(text: Vec<u8>, out_buf: Out<*mut c_char>, out_len: Out<usize>) {
    let mut text = text;
    let len = text.len();
    text.push(0);
    let raw = Box::into_raw(text.into_boxed_slice());
    // SAFETY: forwarded from the caller.
    unsafe {
        out_buf.write(raw.cast::<c_char>());
        out_len.write(len);
    }
}

/// Frees a buffer that a `tandem_` function returned, with the length it returned. NULL is
/// ignored. Each buffer is freed exactly once, with this function (not `free`).
///
/// # Safety
/// `buf` is NULL or a buffer returned by a `tandem_` function with length `len`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn tandem_buf_free(buf: *mut c_char, len: usize) {
    guard(|| {
        if buf.is_null() {
            return;
        }
        // The buffer was a boxed slice of `len + 1` bytes (the text and its NUL).
        let slice = std::ptr::slice_from_raw_parts_mut(buf.cast::<u8>(), len.saturating_add(1));
        // SAFETY: the caller returns a buffer `give` made, with its length, exactly once.
        drop(unsafe { Box::from_raw(slice) });
    });
}
