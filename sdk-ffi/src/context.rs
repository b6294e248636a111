//! The context handle: the core's `Context`, built once (from JSON or with typed setters) and
//! reused by every evaluation that follows, so no evaluation re-reads JSON text.

use std::ffi::c_char;
use std::sync::Arc;

use tandem::{Context, Limits};

use crate::args::{self, Out};
use crate::error::{copy_message, tandem_status, Failure};
use crate::panic::{guard, status};

/// An evaluation context: top-level attributes, `targetingKey` being the default unit.
///
/// Ownership: created by `tandem_context_new` / `tandem_context_from_json`, freed once with
/// `tandem_context_free`. Threads: evaluations only read it, so any number of threads may
/// evaluate with one context at once; a setter needs the context to itself (no evaluation or
/// other setter on it meanwhile). Lifetime: evaluations copy what they keep (outcomes hold
/// their own copy), so a context may be changed or freed as soon as a call returns.
#[derive(Debug, Default)]
pub struct tandem_context {
    /// Shared with the outcomes evaluated from it (no copy per evaluate-all); a setter copies
    /// it first when outcomes still hold it (copy on write).
    pub(crate) ctx: Arc<Context>,
    last_error: Option<Box<str>>,
}

/// Runs a setter's body on a context argument, recording a failure on the handle too.
unsafe fn with_context(
    context: *mut tandem_context,
    body: impl FnOnce(&mut Context) -> Result<(), Failure>,
) -> tandem_status {
    status(|| {
        // SAFETY: the caller's contract.
        let context = unsafe { args::exclusive(context, "context")? };
        body(Arc::make_mut(&mut context.ctx)).inspect_err(|failure| {
            context.last_error = Some((*failure.message).into());
        })
    })
}

fn into_handle(ctx: Context) -> *mut tandem_context {
    Box::into_raw(Box::new(tandem_context {
        ctx: Arc::new(ctx),
        last_error: None,
    }))
}

/// An empty context (no targeting key), written to `*out_context`.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `out_context` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_new(
    out_context: *mut *mut tandem_context,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_context, "out_context")?;
        // SAFETY: the caller's contract.
        unsafe { out.write(into_handle(Context::new())) };
        Ok(())
    })
}

/// A context from a JSON object text (at most 1 MiB, nested at most 64 levels).
///
/// # Errors
/// `TANDEM_STATUS_INVALID_JSON`, `_INVALID_CONTEXT` (not an object), `_LIMIT_EXCEEDED`,
/// `_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// `json` is readable for `json_len` bytes; `out_context` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_from_json(
    json: *const c_char,
    json_len: usize,
    out_context: *mut *mut tandem_context,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_context, "out_context")?;
        // SAFETY: the caller's contract.
        let json = unsafe { args::text(json, json_len, "json")? };
        let ctx = Context::from_json(json)?;
        // SAFETY: the caller's contract.
        unsafe { out.write(into_handle(ctx)) };
        Ok(())
    })
}

/// Frees a context. NULL is ignored.
///
/// # Safety
/// `context` is NULL or a context not yet freed, which no other call is using.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_free(context: *mut tandem_context) {
    guard(|| {
        if !context.is_null() {
            // SAFETY: a pointer from `Box::into_raw`, freed once (the caller's contract).
            drop(unsafe { Box::from_raw(context) });
        }
    });
}

/// Sets a string attribute (replacing any previous value of `name`).
///
/// # Errors
/// `TANDEM_STATUS_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// `context` is a live context no other call is using; the texts are readable for their
/// lengths.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_set_string(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            let name = args::text(name, name_len, "name")?;
            let value = args::text(value, value_len, "value")?;
            ctx.set_str(name, value);
            Ok(())
        })
    }
}

/// Sets an integer attribute.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// As `tandem_context_set_string`.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_set_int(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
    value: i64,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            ctx.set_int(args::text(name, name_len, "name")?, value);
            Ok(())
        })
    }
}

/// Sets a number attribute (a NaN or infinite one becomes JSON `null`).
///
/// # Errors
/// `TANDEM_STATUS_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// As `tandem_context_set_string`.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_set_double(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
    value: f64,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            ctx.set_number(args::text(name, name_len, "name")?, value);
            Ok(())
        })
    }
}

/// Sets a boolean attribute.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// As `tandem_context_set_string`.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_set_bool(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
    value: bool,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            ctx.set_bool(args::text(name, name_len, "name")?, value);
            Ok(())
        })
    }
}

/// Sets an attribute to any JSON value given as text (objects for nested paths such as
/// `user.plan`, arrays, `null`), at most 1 MiB and nested at most 64 levels with the context.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_JSON`, `_LIMIT_EXCEEDED` (the context is unchanged then),
/// `_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// As `tandem_context_set_string`.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_set_json(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
    json: *const c_char,
    json_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            let name = args::text(name, name_len, "name")?;
            let json = args::text(json, json_len, "json")?;
            let limit = Limits::default().max_context_bytes;
            if json.len() > limit {
                return Err(Failure::new(
                    tandem_status::LimitExceeded,
                    format!(
                        "context: the value is {} bytes, more than the limit of {limit}",
                        json.len()
                    ),
                ));
            }
            // serde_json's own recursion limit (128) stops a hostile text before the
            // context's depth check (64) sees the value.
            let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
                Failure::new(
                    tandem_status::InvalidJson,
                    format!("context: the value is not JSON ({e})"),
                )
            })?;
            ctx.set_value(name, value)?;
            Ok(())
        })
    }
}

/// Removes a top-level attribute (nothing happens when it is absent).
///
/// # Errors
/// `TANDEM_STATUS_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// As `tandem_context_set_string`.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_remove(
    context: *mut tandem_context,
    name: *const c_char,
    name_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            ctx.remove(args::text(name, name_len, "name")?);
            Ok(())
        })
    }
}

/// Removes every attribute, keeping the storage for reuse.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `context` is a live context no other call is using.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_clear(context: *mut tandem_context) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_context(context, |ctx| {
            ctx.clear();
            Ok(())
        })
    }
}

/// The number of top-level attributes (0 for NULL).
///
/// # Safety
/// `context` is NULL or a live context.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_len(context: *const tandem_context) -> usize {
    // SAFETY: the caller's contract.
    guard(|| unsafe { context.as_ref() }.map_or(0, |c| c.ctx.len()))
}

/// The message of the last failed setter on this context, as `tandem_client_last_error`.
///
/// # Safety
/// `context` is NULL or a live context; `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn tandem_context_last_error(
    context: *const tandem_context,
    buf: *mut c_char,
    len: usize,
) -> usize {
    guard(|| {
        // SAFETY: the caller's contract.
        let message = unsafe { context.as_ref() }.and_then(|c| c.last_error.as_deref());
        // SAFETY: the caller's contract.
        unsafe { copy_message(message, buf, len) }
    })
}
