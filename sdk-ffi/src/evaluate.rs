//! Evaluating one flag: typed getters (the value written to an out-parameter, no allocation
//! unless a result is asked for), the details call (any type, the caller's default as JSON,
//! per-call options), and the result handle.

use std::ffi::c_char;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Value;
use tandem::{EvalOptions, EvaluationDetails, FlagType, Timestamp};

use crate::args::{self, Out};
use crate::buffer::give;
use crate::client::{tandem_client, with_client};
use crate::codes::{error_code, flag_type, reason_code};
use crate::context::tandem_context;
use crate::error::{tandem_status, Failure};
use crate::panic::guard;

/// The result of evaluating one flag: value, variant, reason, error code and message, flag
/// metadata, experiment and policy decision (OpenFeature's evaluation details).
///
/// Ownership: written by an evaluation, freed once with `tandem_result_free`. Lifetime: it
/// holds the snapshot it was evaluated on, so every string it returns stays valid until the
/// result is freed, however the client is updated or freed meanwhile. Threads: read-only; any
/// thread may read it.
#[derive(Debug)]
pub struct tandem_result {
    details: EvaluationDetails<'static, Held>,
    /// The served value as JSON text when the snapshot does not hold it (the caller's default).
    default_json: Option<Box<str>>,
}

/// The value a result holds: a string flag's value stays shared with the snapshot (no copy on
/// the string getter's path); other values are JSON.
#[derive(Debug)]
enum Held {
    Json(Value),
    Str(Arc<str>),
}

impl Held {
    fn as_str(&self) -> Option<&str> {
        match self {
            Held::Json(value) => value.as_str(),
            Held::Str(text) => Some(text),
        }
    }
}

impl Serialize for Held {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Held::Json(value) => value.serialize(serializer),
            Held::Str(text) => serializer.serialize_str(text),
        }
    }
}

impl tandem_result {
    fn new(details: EvaluationDetails<'static, Held>) -> Box<Self> {
        let default_json = match details.snapshot().value_json(details.outcome()) {
            Some(_) => None,
            // Strings and JSON values always serialize.
            None => Some(
                serde_json::to_string(&details.value)
                    .unwrap_or_else(|_| "null".to_owned())
                    .into_boxed_str(),
            ),
        };
        Box::new(Self {
            details,
            default_json,
        })
    }

    fn value_json(&self) -> &str {
        match &self.default_json {
            Some(text) => text,
            None => self
                .details
                .snapshot()
                .value_json(self.details.outcome())
                .unwrap_or("null"),
        }
    }
}

/// Per-call options of `tandem_client_evaluate` and `tandem_client_precompute`. Zero-filled
/// means none.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tandem_eval_options {
    /// Mixed into a policy's draw for per-request randomisation (NULL: none).
    pub decision_key: *const c_char,
    /// The length of `decision_key` in bytes.
    pub decision_key_len: usize,
    /// The eligible action keys of a policy as a JSON array of strings (NULL: every action).
    pub eligible_json: *const c_char,
    /// The length of `eligible_json` in bytes.
    pub eligible_json_len: usize,
    /// The time the evaluation sees, in milliseconds since the Unix epoch, when `has_now`.
    pub now_unix_millis: i64,
    /// Whether `now_unix_millis` overrides the client's clock.
    pub has_now: bool,
}

/// Per-call options read from C: the eligible keys are owned, and [`Options::get`] lends them
/// to the core's `EvalOptions`.
pub(crate) struct Options<'a> {
    decision_key: &'a str,
    eligible: Option<Vec<String>>,
    now: Option<Timestamp>,
}

impl<'a> Options<'a> {
    /// Runs `body` with the core's options.
    pub(crate) fn with<R>(&self, body: impl FnOnce(&EvalOptions<'_>) -> R) -> R {
        let eligible: Option<Vec<&str>> = self
            .eligible
            .as_ref()
            .map(|keys| keys.iter().map(String::as_str).collect());
        body(&EvalOptions {
            decision_key: self.decision_key,
            eligible_actions: eligible.as_deref(),
            now: self.now,
        })
    }
}

/// The options' decision key, eligible actions and time.
///
/// # Safety
/// `options` is NULL or readable, with texts readable for their lengths.
pub(crate) unsafe fn eval_options<'a>(
    options: *const tandem_eval_options,
) -> Result<Options<'a>, Failure> {
    // SAFETY: the caller's contract.
    let Some(options) = (unsafe { options.as_ref() }) else {
        return Ok(Options {
            decision_key: "",
            eligible: None,
            now: None,
        });
    };
    // SAFETY: the caller's contract.
    let decision_key = unsafe {
        args::optional_text(
            options.decision_key,
            options.decision_key_len,
            "decision_key",
        )?
    };
    // SAFETY: the caller's contract.
    let eligible = unsafe {
        args::optional_text(
            options.eligible_json,
            options.eligible_json_len,
            "eligible_json",
        )?
    };
    let eligible = eligible
        .map(|text| {
            serde_json::from_str::<Vec<String>>(text).map_err(|e| {
                Failure::new(
                    tandem_status::InvalidJson,
                    format!("eligible_json: not a JSON array of strings ({e})"),
                )
            })
        })
        .transpose()?;
    let now = options
        .has_now
        .then(|| Timestamp::from_unix_millis(options.now_unix_millis));
    Ok(Options {
        decision_key: decision_key.unwrap_or(""),
        eligible,
        now,
    })
}

/// The common part of the typed getters: checks the arguments, evaluates, writes the value and
/// (when asked) a result.
#[allow(
    clippy::too_many_arguments,
    reason = "the getters' own C arguments, forwarded, and the two closures that type them"
)]
unsafe fn typed<T: Copy>(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    out_value: *mut T,
    out_result: *mut *mut tandem_result,
    evaluate: impl FnOnce(&tandem::Client, &str, &tandem::Context) -> EvaluationDetails<'static, T>,
    to_json: impl FnOnce(T) -> Value,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let flag = args::text(flag, flag_len, "flag")?;
            let context = args::reference(context, "context")?;
            let out_value = Out::new(out_value, "out_value")?;
            let out_result = Out::optional(out_result);
            let details = evaluate(&client.inner, flag, &context.ctx);
            out_value.write(details.value);
            if let Some(out_result) = out_result {
                let details = details.map(|value| Held::Json(to_json(value)));
                out_result.write(Box::into_raw(tandem_result::new(details)));
            }
            Ok(())
        })
    }
}

/// Evaluates a boolean flag for `context` and writes its value to `*out_value` (the caller's
/// `default_value` when the flag is missing, failed, disabled or not a boolean), logging its
/// exposure and decision. `out_result` NULL: no result is made (no allocation); else a result
/// with the details is written there, to be freed with `tandem_result_free`.
///
/// An evaluation never fails: a flag that cannot be served is the default with a reason and an
/// error code (in the result). The status is for the arguments.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`, `_INVALID_UTF8` (`flag`).
///
/// # Safety
/// `client` and `context` are live handles; `flag` is readable for `flag_len` bytes;
/// `out_value` is writable; `out_result` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_get_bool(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    default_value: bool,
    out_value: *mut bool,
    out_result: *mut *mut tandem_result,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        typed(
            client,
            flag,
            flag_len,
            context,
            out_value,
            out_result,
            |c, f, ctx| c.get_bool(f, ctx, default_value),
            Value::Bool,
        )
    }
}

/// As `tandem_client_get_bool`, for an integer flag (an integer-valued number that fits
/// `int64_t`).
///
/// # Errors
/// As `tandem_client_get_bool`.
///
/// # Safety
/// As `tandem_client_get_bool`.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_get_int(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    default_value: i64,
    out_value: *mut i64,
    out_result: *mut *mut tandem_result,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        typed(
            client,
            flag,
            flag_len,
            context,
            out_value,
            out_result,
            |c, f, ctx| c.get_int(f, ctx, default_value),
            Value::from,
        )
    }
}

/// As `tandem_client_get_bool`, for a number flag.
///
/// # Errors
/// As `tandem_client_get_bool`.
///
/// # Safety
/// As `tandem_client_get_bool`.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_get_double(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    default_value: f64,
    out_value: *mut f64,
    out_result: *mut *mut tandem_result,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        typed(
            client,
            flag,
            flag_len,
            context,
            out_value,
            out_result,
            |c, f, ctx| c.get_float(f, ctx, default_value),
            Value::from,
        )
    }
}

/// Evaluates a string flag and writes a result to `*out_result` (freed with
/// `tandem_result_free`); `tandem_result_string` reads the value (the flag's, or the caller's
/// `default_value`), valid until the result is freed.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`, `_INVALID_UTF8`.
///
/// # Safety
/// `client` and `context` are live handles; `flag` and `default_value` are readable for their
/// lengths; `out_result` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_get_string(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    default_value: *const c_char,
    default_len: usize,
    out_result: *mut *mut tandem_result,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let flag = args::text(flag, flag_len, "flag")?;
            let context = args::reference(context, "context")?;
            let default = args::text(default_value, default_len, "default_value")?;
            let out = Out::new(out_result, "out_result")?;
            let details = client.inner.get_string(flag, &context.ctx, default);
            let details = details.map(Held::Str);
            out.write(Box::into_raw(tandem_result::new(details)));
            Ok(())
        })
    }
}

/// The details call: evaluates `flag` expecting `type` (a `tandem_flag_type`), with the
/// caller's default given as JSON text (`default_json`), per-call `options` (NULL: none), and
/// writes a result to `*out_result`. Logs the exposure and the decision like the getters.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_ARGUMENT` (an unknown type), `_INVALID_JSON` (the default, the
/// options' eligible list), `_NULL_ARGUMENT`, `_INVALID_UTF8`.
///
/// # Safety
/// `client` and `context` are live handles; the texts are readable for their lengths;
/// `options` is NULL or readable; `out_result` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_evaluate(
    client: *const tandem_client,
    flag: *const c_char,
    flag_len: usize,
    context: *const tandem_context,
    r#type: u32,
    default_json: *const c_char,
    default_json_len: usize,
    options: *const tandem_eval_options,
    out_result: *mut *mut tandem_result,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let flag = args::text(flag, flag_len, "flag")?;
            let context = args::reference(context, "context")?;
            let expected = requested_type(r#type)?;
            let default = args::text(default_json, default_json_len, "default_json")?;
            let out = Out::new(out_result, "out_result")?;
            let default: Value = serde_json::from_str(default).map_err(|e| {
                Failure::new(
                    tandem_status::InvalidJson,
                    format!("default_json is not JSON ({e})"),
                )
            })?;
            let details = eval_options(options)?.with(|options| {
                client
                    .inner
                    .evaluate_with(flag, &context.ctx, &default, expected, options)
            });
            out.write(Box::into_raw(tandem_result::new(details.map(Held::Json))));
            Ok(())
        })
    }
}

pub(crate) fn requested_type(code: u32) -> Result<FlagType, Failure> {
    flag_type(code).ok_or_else(|| {
        Failure::new(
            tandem_status::InvalidArgument,
            format!("{code} is not a tandem_flag_type (1 to 6)"),
        )
    })
}

/// Frees a result. NULL is ignored.
///
/// # Safety
/// `result` is NULL or a result not yet freed, which no other call is using.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_free(result: *mut tandem_result) {
    guard(|| {
        if !result.is_null() {
            // SAFETY: a pointer from `Box::into_raw`, freed once (the caller's contract).
            drop(unsafe { Box::from_raw(result) });
        }
    });
}

/// The reason (a `tandem_reason`); 0 for NULL.
///
/// # Safety
/// `result` is NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_reason(result: *const tandem_result) -> u32 {
    // SAFETY: the caller's contract.
    guard(|| unsafe { result.as_ref() }.map_or(0, |r| reason_code(r.details.reason)))
}

/// The error code (a `tandem_error_code`; 0: none, also for NULL).
///
/// # Safety
/// `result` is NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_error_code(result: *const tandem_result) -> u32 {
    // SAFETY: the caller's contract.
    guard(|| unsafe { result.as_ref() }.map_or(0, |r| error_code(r.details.error_code)))
}

/// Writes a string of the result: `(*out_text, *out_len)` borrow the result (valid until it
/// is freed), are not NUL-terminated, and are written only when the function returns `true`.
unsafe fn text_of(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
    pick: impl FnOnce(&tandem_result) -> Option<&str>,
) -> bool {
    guard(|| {
        // SAFETY: the caller's contract.
        let Some(result) = (unsafe { result.as_ref() }) else {
            return false;
        };
        let (Some(out_text), Some(out_len)) = (Out::optional(out_text), Out::optional(out_len))
        else {
            return false;
        };
        let Some(text) = pick(result) else {
            return false;
        };
        // SAFETY: the caller's contract.
        unsafe {
            out_text.write(text.as_ptr().cast::<c_char>());
            out_len.write(text.len());
        }
        true
    })
}

/// The served value as JSON text (the flag's, or the caller's default), borrowed from the
/// result: valid until it is freed, not NUL-terminated. `false` (nothing written) for NULL
/// arguments.
///
/// # Safety
/// `result` is NULL or a live result; the out-parameters are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_value_json(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe { text_of(result, out_text, out_len, |r| Some(r.value_json())) }
}

/// The served value when it is a string (decoded, not JSON), borrowed as
/// `tandem_result_value_json`; `false` when it is not a string.
///
/// # Safety
/// As `tandem_result_value_json`.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_string(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe { text_of(result, out_text, out_len, |r| r.details.value.as_str()) }
}

/// The variant served, borrowed as `tandem_result_value_json`; `false` when the caller's
/// default was served.
///
/// # Safety
/// As `tandem_result_value_json`.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_variant(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe { text_of(result, out_text, out_len, |r| r.details.variant()) }
}

/// The flag key evaluated, borrowed as `tandem_result_value_json`.
///
/// # Safety
/// As `tandem_result_value_json`.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_flag_key(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe { text_of(result, out_text, out_len, |r| Some(r.details.flag_key())) }
}

/// The error message (never containing context values), borrowed as
/// `tandem_result_value_json`; `false` when there is none.
///
/// # Safety
/// As `tandem_result_value_json`.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_error_message(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe { text_of(result, out_text, out_len, |r| r.details.error_message()) }
}

/// The key of the experiment that assigned the unit (or held it out, or was skipped for want
/// of a unit), borrowed as `tandem_result_value_json`; `false` when none applied.
///
/// # Safety
/// As `tandem_result_value_json`.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_experiment(
    result: *const tandem_result,
    out_text: *mut *const c_char,
    out_len: *mut usize,
) -> bool {
    // SAFETY: forwarded.
    unsafe {
        text_of(result, out_text, out_len, |r| {
            r.details.experiment().map(|e| e.key)
        })
    }
}

/// The whole evaluation details as the CLI prints them (`key, value, variant, reason,
/// errorCode, errorMessage, flagMetadata, experiment, decision`; absent fields omitted), in a
/// new buffer `(*out_json, *out_len)` freed with `tandem_buf_free`.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `result` is a live result; the out-parameters are writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_result_details_json(
    result: *const tandem_result,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> tandem_status {
    crate::panic::status(|| {
        // SAFETY: the caller's contract.
        let result = unsafe { args::reference(result, "result")? };
        let (out_json, out_len) = (
            Out::new(out_json, "out_json")?,
            Out::new(out_len, "out_len")?,
        );
        // Details hold strings, numbers and JSON values only: serializing cannot fail.
        let text = serde_json::to_vec(&result.details).map_err(|e| {
            Failure::new(tandem_status::UnknownError, format!("internal error: {e}"))
        })?;
        // SAFETY: the caller's contract.
        unsafe { give(text, out_json, out_len) };
        Ok(())
    })
}
