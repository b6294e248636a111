//! Evaluate-all with log-on-read (DESIGN §7, the static-context path): one call evaluates
//! every flag for a context and logs nothing; the app then reads flags from the outcomes
//! handle, and the first read of a flag that serves its value logs its exposure and decision.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tandem::{Context, ErrorCode, FlagType, Outcome, Reason, Snapshot};

use crate::args::{self, Out};
use crate::client::{tandem_client, with_client};
use crate::codes::{error_code, reason_code};
use crate::context::tandem_context;
use crate::error::{tandem_status, Failure};
use crate::evaluate::requested_type;
use crate::panic::{guard, status};

/// Every flag of one snapshot evaluated for one context.
///
/// Ownership: written by `tandem_client_evaluate_all`, freed once with `tandem_outcomes_free`.
/// Lifetime: it holds the snapshot, the context as it was and a reference to the client, so it
/// stays valid (and keeps logging reads into the client) after the client is updated or freed,
/// and after the context is changed or freed. Threads: any number of threads may read it at
/// once; each flag logs on its first serving read only, whichever thread makes it.
#[derive(Debug)]
pub struct tandem_outcomes {
    client: Arc<tandem_client>,
    snapshot: Arc<Snapshot>,
    outcomes: Vec<Outcome>,
    ctx: Arc<Context>,
    logged: Box<[AtomicBool]>,
}

/// What one read of a flag serves. The strings borrow the outcomes handle (valid until it is
/// freed) and are not NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tandem_read {
    /// A `tandem_reason`.
    pub reason: u32,
    /// A `tandem_error_code` (0: none).
    pub error_code: u32,
    /// The served value as JSON text; NULL when the caller's own default applies (a missing,
    /// failed or disabled flag, or a value of another type than the one asked for).
    pub value_json: *const c_char,
    /// The length of `value_json`.
    pub value_json_len: usize,
    /// The variant served; NULL when none.
    pub variant: *const c_char,
    /// The length of `variant`.
    pub variant_len: usize,
}

/// Evaluates every flag of the client's current config for `context` into a new outcomes
/// handle (`*out_outcomes`, freed with `tandem_outcomes_free`). Logs nothing: reads do.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `client` and `context` are live handles; `out_outcomes` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_evaluate_all(
    client: *const tandem_client,
    context: *const tandem_context,
    out_outcomes: *mut *mut tandem_outcomes,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |handle| {
            let context = args::reference(context, "context")?;
            let out = Out::new(out_outcomes, "out_outcomes")?;
            let mut outcomes = Vec::new();
            let snapshot = handle.inner.evaluate_all(&context.ctx, &mut outcomes);
            let logged = outcomes.iter().map(|_| AtomicBool::new(false)).collect();
            // The handle keeps the client alive: one more reference to its `Arc`.
            Arc::increment_strong_count(client);
            let shared = Arc::from_raw(client);
            out.write(Box::into_raw(Box::new(tandem_outcomes {
                client: shared,
                snapshot,
                outcomes,
                ctx: Arc::clone(&context.ctx),
                logged,
            })));
            Ok(())
        })
    }
}

/// Frees an outcomes handle (and its reference to the client). NULL is ignored.
///
/// # Safety
/// `outcomes` is NULL or an outcomes handle not yet freed, which no other call is using.
#[no_mangle]
pub unsafe extern "C" fn tandem_outcomes_free(outcomes: *mut tandem_outcomes) {
    guard(|| {
        if !outcomes.is_null() {
            // SAFETY: a pointer from `Box::into_raw`, freed once (the caller's contract).
            drop(unsafe { Box::from_raw(outcomes) });
        }
    });
}

/// The number of flags evaluated (0 for NULL); flag indexes are `0..count`.
///
/// # Safety
/// `outcomes` is NULL or a live outcomes handle.
#[no_mangle]
pub unsafe extern "C" fn tandem_outcomes_count(outcomes: *const tandem_outcomes) -> usize {
    // SAFETY: the caller's contract.
    guard(|| unsafe { outcomes.as_ref() }.map_or(0, |o| o.outcomes.len()))
}

/// The key of the flag at `index`, borrowed (valid until the handle is freed, not
/// NUL-terminated); `false` (nothing written) for an index out of range or NULL arguments.
///
/// # Safety
/// `outcomes` is NULL or a live outcomes handle; the out-parameters are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_outcomes_flag_key(
    outcomes: *const tandem_outcomes,
    index: usize,
    out_key: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    guard(|| {
        // SAFETY: the caller's contract.
        let Some(o) = (unsafe { outcomes.as_ref() }) else {
            return false;
        };
        let (Some(out_key), Some(out_len)) = (Out::optional(out_key), Out::optional(out_len))
        else {
            return false;
        };
        let Some(key) = u32::try_from(index)
            .ok()
            .and_then(|i| o.snapshot.flag_key(i))
        else {
            return false;
        };
        // SAFETY: the caller's contract.
        unsafe {
            out_key.write(key.as_ptr().cast::<c_char>());
            out_len.write(key.len());
        }
        true
    })
}

impl tandem_outcomes {
    /// Serves one flag's outcome for a read of type `expected`, logging it on its first
    /// serving read.
    fn read(&self, flag: Option<u32>, expected: FlagType) -> tandem_read {
        let Some((index, outcome)) = flag.and_then(|f| Some((f, self.outcomes.get(f as usize)?)))
        else {
            return tandem_read::failed(Reason::Error, ErrorCode::FlagNotFound);
        };
        let snapshot = &*self.snapshot;
        let mismatched = snapshot
            .value(outcome)
            .is_some_and(|value| !expected.matches(value));
        let served = if mismatched {
            // A read of the wrong type logs the arm's failing exposure (deduplicated by the
            // core) every time, and does not count as the flag's read.
            self.client
                .inner
                .record_read(snapshot, &self.ctx, outcome, expected)
        } else {
            let first = self
                .logged
                .get(index as usize)
                .is_some_and(|flag| !flag.swap(true, Ordering::AcqRel));
            if first {
                self.client
                    .inner
                    .record_read(snapshot, &self.ctx, outcome, expected)
            } else {
                outcome.clone()
            }
        };
        let value = snapshot.value_json(&served);
        let variant = served
            .flag
            .zip(served.variant)
            .and_then(|(f, v)| snapshot.variant_name(f, v));
        tandem_read {
            reason: reason_code(served.reason),
            error_code: error_code(served.error_code),
            value_json: value.map_or(std::ptr::null(), |v| v.as_ptr().cast()),
            value_json_len: value.map_or(0, str::len),
            variant: variant.map_or(std::ptr::null(), |v| v.as_ptr().cast()),
            variant_len: variant.map_or(0, str::len),
        }
    }
}

impl tandem_read {
    fn failed(reason: Reason, code: ErrorCode) -> Self {
        Self {
            reason: reason_code(reason),
            error_code: error_code(Some(code)),
            value_json: std::ptr::null(),
            value_json_len: 0,
            variant: std::ptr::null(),
            variant_len: 0,
        }
    }
}

/// Reads the flag `flag` as `type` (a `tandem_flag_type`) from evaluated outcomes and writes
/// what it serves to `*out_read`. The first read of a flag that serves its value logs the
/// flag's exposure and decision into the client; later reads log nothing. A key the snapshot
/// does not have reads as `ERROR` / `FLAG_NOT_FOUND` (not a failed call); a config that was
/// not loaded reads as `ERROR` / `PROVIDER_NOT_READY`.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_ARGUMENT` (an unknown type), `_NULL_ARGUMENT`, `_INVALID_UTF8`.
///
/// # Safety
/// `outcomes` is a live outcomes handle; `flag` is readable for `flag_len` bytes; `out_read`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_outcomes_read(
    outcomes: *const tandem_outcomes,
    flag: *const c_char,
    flag_len: usize,
    r#type: u32,
    out_read: *mut tandem_read,
) -> tandem_status {
    status(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { args::reference(outcomes, "outcomes")? };
        // SAFETY: the caller's contract.
        let flag = unsafe { args::text(flag, flag_len, "flag")? };
        let expected = requested_type(r#type)?;
        let out = Out::new(out_read, "out_read")?;
        let read = if o.snapshot.is_ready() {
            o.read(o.snapshot.flag_index(flag), expected)
        } else {
            tandem_read::failed(Reason::Error, ErrorCode::ProviderNotReady)
        };
        // SAFETY: the caller's contract.
        unsafe { out.write(read) };
        Ok(())
    })
}

/// As `tandem_outcomes_read`, by flag index (`0..tandem_outcomes_count`): no key look-up.
///
/// # Errors
/// `TANDEM_STATUS_NOT_FOUND` (an index out of range), `_INVALID_ARGUMENT`, `_NULL_ARGUMENT`.
///
/// # Safety
/// `outcomes` is a live outcomes handle; `out_read` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_outcomes_read_index(
    outcomes: *const tandem_outcomes,
    index: usize,
    r#type: u32,
    out_read: *mut tandem_read,
) -> tandem_status {
    status(|| {
        // SAFETY: the caller's contract.
        let o = unsafe { args::reference(outcomes, "outcomes")? };
        let expected = requested_type(r#type)?;
        let out = Out::new(out_read, "out_read")?;
        let index = u32::try_from(index)
            .ok()
            .filter(|&i| (i as usize) < o.outcomes.len())
            .ok_or_else(|| {
                Failure::new(
                    tandem_status::NotFound,
                    format!(
                        "flag index {index} is out of range ({} flags)",
                        o.outcomes.len()
                    ),
                )
            })?;
        // SAFETY: the caller's contract.
        unsafe { out.write(o.read(Some(index), expected)) };
        Ok(())
    })
}
