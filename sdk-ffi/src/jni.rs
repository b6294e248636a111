//! The JVM entry points of `bindings/kotlin-jvm` (`dev.tandem.Native`): each forwards to the C
//! ABI function of the same name, so the JVM and Android get exactly the C semantics (argument
//! checks, statuses, last errors, panic boundary).
//!
//! Text crosses as UTF-8 `byte[]` (never JNI's modified UTF-8); handles as `long`; statuses as
//! `int` (the `tandem_status` numbers); outputs through one-element arrays. A `byte[]` result
//! is `null` on failure, and `Native.lastStatus()` / `Native.lastError()` say why.
use std::cell::Cell;
use std::ffi::c_char;
use std::ptr::{null, null_mut};

use jni_sys::{
    jboolean, jbyteArray, jclass, jdouble, jint, jlong, jobjectArray, jsize, JNIEnv, JNI_FALSE,
    JNI_TRUE,
};

use crate::client::{self, tandem_client, tandem_client_options, tandem_stats};
use crate::context::tandem_context;
use crate::error::tandem_status;
use crate::error::Failure;
use crate::evaluate::{tandem_eval_options, tandem_result};
use crate::outcomes::{tandem_outcomes, tandem_read};
use crate::panic::{guard, status, PanicValue};

thread_local! {
    static LAST_STATUS: Cell<u32> = const { Cell::new(0) };
}

impl PanicValue for jbyteArray {
    fn panic_value() -> Self {
        null_mut()
    }
}

impl PanicValue for jlong {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for jint {
    fn panic_value() -> Self {
        tandem_status::Panic as jint
    }
}

/// Records a status for `Native.lastStatus()` and returns it as a `jint`.
fn note(status: tandem_status) -> jint {
    if status != tandem_status::Ok {
        let _ = LAST_STATUS.try_with(|last| last.set(status as u32));
    }
    status as jint
}

/// The JNI function table of `env`.
///
/// # Safety
/// `env` is the `JNIEnv` the JVM passed to this native call.
unsafe fn table<'a>(env: *mut JNIEnv) -> Result<&'a jni_sys::JNINativeInterface_, Failure> {
    // SAFETY: the JVM passes a valid environment pointer to every native method.
    unsafe { env.as_ref().and_then(|e| e.as_ref()) }
        .ok_or_else(|| Failure::new(tandem_status::NullArgument, "JNIEnv is NULL"))
}

fn missing(name: &'static str) -> Failure {
    Failure::new(
        tandem_status::UnknownError,
        format!("the JVM has no JNI function {name}"),
    )
}

/// Copies a Java `byte[]` (UTF-8 text); `None` for `null`.
///
/// # Safety
/// `env` is the call's environment; `array` is a local reference to a `byte[]` or null.
unsafe fn bytes(env: *mut JNIEnv, array: jbyteArray) -> Result<Option<Vec<u8>>, Failure> {
    if array.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's contract.
    let jni = unsafe { table(env)? };
    let length = jni
        .GetArrayLength
        .ok_or_else(|| missing("GetArrayLength"))?;
    let region = jni
        .GetByteArrayRegion
        .ok_or_else(|| missing("GetByteArrayRegion"))?;
    // SAFETY: a valid array reference (the caller's contract).
    let len = unsafe { length(env, array) };
    let len_usize = usize::try_from(len).unwrap_or(0);
    let mut out = vec![0u8; len_usize];
    // SAFETY: `out` has room for `len` bytes; `jbyte` and `u8` have the same layout.
    unsafe { region(env, array, 0, len, out.as_mut_ptr().cast()) };
    Ok(Some(out))
}

/// A required text argument as (pointer, length) for the C functions; NULL for `null`, which
/// the C function reports as `NULL_ARGUMENT`.
fn raw(text: &Option<Vec<u8>>) -> (*const c_char, usize) {
    match text {
        Some(bytes) => (bytes.as_ptr().cast(), bytes.len()),
        None => (null(), 0),
    }
}

/// A new Java `byte[]` holding `data`.
///
/// # Safety
/// `env` is the call's environment.
unsafe fn new_bytes(env: *mut JNIEnv, data: &[u8]) -> Result<jbyteArray, Failure> {
    // SAFETY: the caller's contract.
    let jni = unsafe { table(env)? };
    let new = jni.NewByteArray.ok_or_else(|| missing("NewByteArray"))?;
    let set = jni
        .SetByteArrayRegion
        .ok_or_else(|| missing("SetByteArrayRegion"))?;
    let len = jsize::try_from(data.len()).map_err(|_| {
        Failure::new(
            tandem_status::LimitExceeded,
            "text too long for a Java array",
        )
    })?;
    // SAFETY: the environment is valid; a failed allocation returns NULL with an exception set.
    let array = unsafe { new(env, len) };
    if array.is_null() {
        return Err(Failure::new(
            tandem_status::UnknownError,
            "the JVM is out of memory",
        ));
    }
    // SAFETY: `array` has `len` elements; `data` has `len` bytes.
    unsafe { set(env, array, 0, len, data.as_ptr().cast()) };
    Ok(array)
}

/// Writes `value` into `array[0]` of a Java `long[]`.
///
/// # Safety
/// `env` is the call's environment; `array` is a `long[]` of length ≥ 1.
unsafe fn put_long(
    env: *mut JNIEnv,
    array: jni_sys::jlongArray,
    value: jlong,
) -> Result<(), Failure> {
    if array.is_null() {
        return Err(Failure::null("out"));
    }
    // SAFETY: the caller's contract.
    let set = unsafe { table(env)? }
        .SetLongArrayRegion
        .ok_or_else(|| missing("SetLongArrayRegion"))?;
    // SAFETY: one element written into a non-empty array (the Kotlin wrapper passes length 1).
    unsafe { set(env, array, 0, 1, &value) };
    Ok(())
}

/// Runs a JNI body that yields a status, under the panic boundary.
fn call(body: impl FnOnce() -> Result<tandem_status, Failure>) -> jint {
    let mut result = tandem_status::Ok;
    let boundary = status(|| {
        result = body()?;
        Ok(())
    });
    note(if boundary == tandem_status::Ok {
        result
    } else {
        boundary
    })
}

/// Runs a JNI body that yields a `byte[]` (null on failure).
fn call_bytes(body: impl FnOnce() -> Result<jbyteArray, Failure>) -> jbyteArray {
    let mut array = null_mut();
    let boundary = status(|| {
        array = body()?;
        Ok(())
    });
    if boundary != tandem_status::Ok {
        note(boundary);
        return null_mut();
    }
    array
}

/// Builds a client handle from a config or payload with the JVM's options.
#[allow(clippy::too_many_arguments, reason = "the JNI signature, forwarded")]
unsafe fn new_client(
    env: *mut JNIEnv,
    text: jbyteArray,
    precomputed: bool,
    entropy: jlong,
    has_entropy: jboolean,
    fixed_now: jlong,
    has_fixed_now: jboolean,
    events: jlong,
    out: jni_sys::jlongArray,
) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let text = unsafe { bytes(env, text)? };
        let mut options = client::default_options()?;
        if has_entropy == JNI_TRUE {
            options.entropy = entropy as u64;
        }
        options.events_capacity = usize::try_from(events).unwrap_or(0);
        let fixed = (has_fixed_now == JNI_TRUE).then_some(fixed_now);
        // SAFETY: `options` is a live local.
        let client = unsafe { client::build_at(&options as *const tandem_client_options, fixed)? };
        let client = match (&text, precomputed) {
            (None, false) => client,
            (None, true) => return Err(Failure::null("payload")),
            (Some(text), false) => {
                client.update(std::str::from_utf8(text).map_err(|_| {
                    Failure::new(tandem_status::InvalidUtf8, "config is not UTF-8")
                })?)?;
                client
            }
            (Some(text), true) => {
                client.update_precomputed(std::str::from_utf8(text).map_err(|_| {
                    Failure::new(tandem_status::InvalidUtf8, "payload is not UTF-8")
                })?)?;
                client
            }
        };
        let handle = client::into_handle(client);
        // SAFETY: the JVM's arguments; on failure the handle is released again.
        if let Err(failure) = unsafe { put_long(env, out, handle as jlong) } {
            // SAFETY: the handle was just made and is not shared.
            unsafe { client::tandem_client_free(handle) };
            return Err(failure);
        }
        Ok(tandem_status::Ok)
    })
}

macro_rules! jni_fn {
    ($name:ident ( $env:ident $(, $arg:ident : $ty:ty)* ) -> $ret:ty $body:block) => {
        #[doc = concat!("JNI: `dev.tandem.Native.", stringify!($name), "`.")]
        ///
        /// # Safety
        /// Called by the JVM with the arguments `Native` declares.
        #[no_mangle]
        pub unsafe extern "system" fn $name($env: *mut JNIEnv, _class: jclass $(, $arg: $ty)*) -> $ret {
            let _ = $env;
            $body
        }
    };
}

jni_fn!(Java_dev_tandem_Native_lastStatus(env) -> jint {
    guard(|| LAST_STATUS.try_with(Cell::get).unwrap_or(0) as jint)
});

jni_fn!(Java_dev_tandem_Native_lastError(env) -> jbyteArray {
    call_bytes(|| {
        let mut buf = vec![0u8; 1024];
        // SAFETY: `buf` is writable for its length.
        let len = unsafe { crate::error::tandem_last_error(buf.as_mut_ptr().cast(), buf.len()) };
        buf.truncate(len.min(1023));
        // SAFETY: the call's environment.
        unsafe { new_bytes(env, &buf) }
    })
});

jni_fn!(Java_dev_tandem_Native_clientNew(env, config: jbyteArray, entropy: jlong, has_entropy: jboolean,
        fixed_now: jlong, has_fixed_now: jboolean, events: jlong, out: jni_sys::jlongArray) -> jint {
    // SAFETY: forwarded.
    unsafe { new_client(env, config, false, entropy, has_entropy, fixed_now, has_fixed_now, events, out) }
});

jni_fn!(Java_dev_tandem_Native_clientNewPrecomputed(env, payload: jbyteArray, entropy: jlong,
        has_entropy: jboolean, fixed_now: jlong, has_fixed_now: jboolean, events: jlong,
        out: jni_sys::jlongArray) -> jint {
    // SAFETY: forwarded.
    unsafe { new_client(env, payload, true, entropy, has_entropy, fixed_now, has_fixed_now, events, out) }
});

jni_fn!(Java_dev_tandem_Native_clientFree(env, client: jlong) -> () {
    // SAFETY: a handle the wrapper owns, freed once.
    unsafe { client::tandem_client_free(client as *mut tandem_client) }
});

jni_fn!(Java_dev_tandem_Native_clientUpdate(env, client: jlong, config: jbyteArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let config = unsafe { bytes(env, config)? };
        let (ptr, len) = raw(&config);
        // SAFETY: a live handle; the text lives through the call.
        Ok(unsafe { client::tandem_client_update(client as *mut tandem_client, ptr, len) })
    })
});

jni_fn!(Java_dev_tandem_Native_clientUpdatePrecomputed(env, client: jlong, payload: jbyteArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let payload = unsafe { bytes(env, payload)? };
        let (ptr, len) = raw(&payload);
        // SAFETY: a live handle; the text lives through the call.
        Ok(unsafe { client::tandem_client_update_precomputed(client as *mut tandem_client, ptr, len) })
    })
});

jni_fn!(Java_dev_tandem_Native_clientLastError(env, client: jlong) -> jbyteArray {
    call_bytes(|| {
        let handle = client as *const tandem_client;
        // SAFETY: a live handle; NULL with length 0 asks for the length.
        let len = unsafe { client::tandem_client_last_error(handle, null_mut(), 0) };
        let mut buf = vec![0u8; len + 1];
        // SAFETY: `buf` is writable for its length.
        unsafe { client::tandem_client_last_error(handle, buf.as_mut_ptr().cast(), buf.len()) };
        buf.truncate(len);
        // SAFETY: the call's environment.
        unsafe { new_bytes(env, &buf) }
    })
});

/// Takes a buffer a C function returned and copies it into a Java `byte[]`.
///
/// # Safety
/// `env` is the call's environment.
unsafe fn buffer_call(
    env: *mut JNIEnv,
    produce: impl FnOnce(*mut *mut c_char, *mut usize) -> tandem_status,
) -> jbyteArray {
    call_bytes(|| {
        let mut buf: *mut c_char = null_mut();
        let mut len = 0usize;
        let status = produce(&mut buf, &mut len);
        if status != tandem_status::Ok {
            note(status);
            return Ok(null_mut());
        }
        // SAFETY: a buffer of `len` bytes the C function returned.
        let data = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        // SAFETY: the call's environment.
        let array = unsafe { new_bytes(env, data) };
        // SAFETY: freed once, with its length.
        unsafe { crate::buffer::tandem_buf_free(buf, len) };
        array
    })
}

jni_fn!(Java_dev_tandem_Native_clientDrainEvents(env, client: jlong) -> jbyteArray {
    // SAFETY: a live handle; the out-parameters are the closure's locals.
    unsafe {
        buffer_call(env, |buf, len| {
            client::tandem_client_drain_events(client as *mut tandem_client, buf, len)
        })
    }
});

jni_fn!(Java_dev_tandem_Native_clientExportSticky(env, client: jlong) -> jbyteArray {
    // SAFETY: a live handle; the out-parameters are the closure's locals.
    unsafe {
        buffer_call(env, |buf, len| {
            client::tandem_client_export_sticky(client as *const tandem_client, buf, len)
        })
    }
});

jni_fn!(Java_dev_tandem_Native_clientImportSticky(env, client: jlong, snapshot: jbyteArray,
        out: jni_sys::jlongArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let snapshot = unsafe { bytes(env, snapshot)? };
        let (ptr, len) = raw(&snapshot);
        let mut kept = 0usize;
        // SAFETY: a live handle; the text and `kept` live through the call.
        let status = unsafe {
            client::tandem_client_import_sticky(client as *mut tandem_client, ptr, len, &mut kept)
        };
        if status == tandem_status::Ok {
            // SAFETY: the JVM's arguments.
            unsafe { put_long(env, out, jlong::try_from(kept).unwrap_or(jlong::MAX))? };
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_clientTrack(env, client: jlong, name: jbyteArray, unit: jbyteArray,
        value: jdouble, has_value: jboolean, properties: jbyteArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let (name, unit, properties) =
            unsafe { (bytes(env, name)?, bytes(env, unit)?, bytes(env, properties)?) };
        let ((n, nl), (u, ul), (p, pl)) = (raw(&name), raw(&unit), raw(&properties));
        let value = (has_value == JNI_TRUE).then_some(value);
        let value_ptr = value.as_ref().map_or(null(), |v| v as *const f64);
        // SAFETY: a live handle; every text lives through the call.
        Ok(unsafe {
            client::tandem_client_track(client as *mut tandem_client, n, nl, u, ul, value_ptr, p, pl)
        })
    })
});

jni_fn!(Java_dev_tandem_Native_clientStats(env, client: jlong, out: jni_sys::jlongArray) -> jint {
    call(|| {
        let mut stats = tandem_stats::default();
        // SAFETY: a live handle; `stats` is a local.
        let status = unsafe { client::tandem_client_stats(client as *const tandem_client, &mut stats) };
        if status != tandem_status::Ok {
            return Ok(status);
        }
        let values = [stats.queued, stats.dropped, stats.deduplicated, stats.decisions,
            stats.sticky_assignments].map(|v| jlong::try_from(v).unwrap_or(jlong::MAX));
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: the call's environment; the wrapper passes a `long[5]`.
        let set = unsafe { table(env)? }.SetLongArrayRegion.ok_or_else(|| missing("SetLongArrayRegion"))?;
        // SAFETY: five elements into the wrapper's `long[5]`.
        unsafe { set(env, out, 0, 5, values.as_ptr()) };
        Ok(tandem_status::Ok)
    })
});

jni_fn!(Java_dev_tandem_Native_clientPrecompute(env, client: jlong, context: jlong) -> jbyteArray {
    // SAFETY: live handles; the out-parameters are the closure's locals.
    unsafe {
        buffer_call(env, |buf, len| {
            client::tandem_client_precompute(client as *const tandem_client,
                context as *const tandem_context, null(), buf, len)
        })
    }
});

jni_fn!(Java_dev_tandem_Native_contextNew(env, json: jbyteArray, out: jni_sys::jlongArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let json = unsafe { bytes(env, json)? };
        let mut handle: *mut tandem_context = null_mut();
        // SAFETY: the text lives through the call; `handle` is a local.
        let status = unsafe {
            match &json {
                None => crate::context::tandem_context_new(&mut handle),
                Some(text) => crate::context::tandem_context_from_json(text.as_ptr().cast(), text.len(), &mut handle),
            }
        };
        if status == tandem_status::Ok {
            // SAFETY: the JVM's arguments.
            if let Err(failure) = unsafe { put_long(env, out, handle as jlong) } {
                // SAFETY: just made, not shared.
                unsafe { crate::context::tandem_context_free(handle) };
                return Err(failure);
            }
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_contextFree(env, context: jlong) -> () {
    // SAFETY: a handle the wrapper owns, freed once.
    unsafe { crate::context::tandem_context_free(context as *mut tandem_context) }
});

jni_fn!(Java_dev_tandem_Native_contextSet(env, context: jlong, kind: jint, name: jbyteArray,
        text: jbyteArray, number: jlong, real: jdouble, flag: jboolean) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let (name, text) = unsafe { (bytes(env, name)?, bytes(env, text)?) };
        let ((n, nl), (t, tl)) = (raw(&name), raw(&text));
        let ctx = context as *mut tandem_context;
        // SAFETY: a live handle the wrapper does not share during the call; texts live through it.
        Ok(unsafe {
            match kind {
                0 => crate::context::tandem_context_set_string(ctx, n, nl, t, tl),
                1 => crate::context::tandem_context_set_int(ctx, n, nl, number),
                2 => crate::context::tandem_context_set_double(ctx, n, nl, real),
                3 => crate::context::tandem_context_set_bool(ctx, n, nl, flag == JNI_TRUE),
                4 => crate::context::tandem_context_set_json(ctx, n, nl, t, tl),
                5 => crate::context::tandem_context_remove(ctx, n, nl),
                6 => crate::context::tandem_context_clear(ctx),
                _ => return Err(Failure::new(tandem_status::InvalidArgument, "unknown setter")),
            }
        })
    })
});

jni_fn!(Java_dev_tandem_Native_contextLen(env, context: jlong) -> jlong {
    // SAFETY: a live handle (or 0, which reads as 0).
    let len = unsafe { crate::context::tandem_context_len(context as *const tandem_context) };
    jlong::try_from(len).unwrap_or(jlong::MAX)
});

jni_fn!(Java_dev_tandem_Native_getBool(env, client: jlong, flag: jbyteArray, context: jlong,
        default: jboolean, out: jni_sys::jbooleanArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let flag = unsafe { bytes(env, flag)? };
        let (f, fl) = raw(&flag);
        let mut value = false;
        // SAFETY: live handles; locals for the outputs.
        let status = unsafe {
            crate::evaluate::tandem_client_get_bool(client as *const tandem_client, f, fl,
                context as *const tandem_context, default == JNI_TRUE, &mut value, null_mut())
        };
        if status == tandem_status::Ok {
            if out.is_null() {
                return Err(Failure::null("out"));
            }
            let set = unsafe { table(env)? }.SetBooleanArrayRegion.ok_or_else(|| missing("SetBooleanArrayRegion"))?;
            let v: jboolean = if value { JNI_TRUE } else { JNI_FALSE };
            // SAFETY: one element into the wrapper's `boolean[1]`.
            unsafe { set(env, out, 0, 1, &v) };
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_getLong(env, client: jlong, flag: jbyteArray, context: jlong,
        default: jlong, out: jni_sys::jlongArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let flag = unsafe { bytes(env, flag)? };
        let (f, fl) = raw(&flag);
        let mut value = 0i64;
        // SAFETY: live handles; locals for the outputs.
        let status = unsafe {
            crate::evaluate::tandem_client_get_int(client as *const tandem_client, f, fl,
                context as *const tandem_context, default, &mut value, null_mut())
        };
        if status == tandem_status::Ok {
            // SAFETY: the JVM's arguments.
            unsafe { put_long(env, out, value)? };
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_getDouble(env, client: jlong, flag: jbyteArray, context: jlong,
        default: jdouble, out: jni_sys::jdoubleArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let flag = unsafe { bytes(env, flag)? };
        let (f, fl) = raw(&flag);
        let mut value = 0f64;
        // SAFETY: live handles; locals for the outputs.
        let status = unsafe {
            crate::evaluate::tandem_client_get_double(client as *const tandem_client, f, fl,
                context as *const tandem_context, default, &mut value, null_mut())
        };
        if status == tandem_status::Ok {
            if out.is_null() {
                return Err(Failure::null("out"));
            }
            let set = unsafe { table(env)? }.SetDoubleArrayRegion.ok_or_else(|| missing("SetDoubleArrayRegion"))?;
            // SAFETY: one element into the wrapper's `double[1]`.
            unsafe { set(env, out, 0, 1, &value) };
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_getString(env, client: jlong, flag: jbyteArray, context: jlong,
        default: jbyteArray) -> jbyteArray {
    call_bytes(|| {
        // SAFETY: the JVM's arguments.
        let (flag, default) = unsafe { (bytes(env, flag)?, bytes(env, default)?) };
        let ((f, fl), (d, dl)) = (raw(&flag), raw(&default));
        let mut result: *mut tandem_result = null_mut();
        // SAFETY: live handles; texts live through the call; `result` is a local.
        let status = unsafe {
            crate::evaluate::tandem_client_get_string(client as *const tandem_client, f, fl,
                context as *const tandem_context, d, dl, &mut result)
        };
        if status != tandem_status::Ok {
            note(status);
            return Ok(null_mut());
        }
        let mut text: *const c_char = null();
        let mut len = 0usize;
        // SAFETY: a live result; the string borrows it until it is freed below.
        let array = unsafe {
            if crate::evaluate::tandem_result_string(result, &mut text, &mut len) {
                new_bytes(env, std::slice::from_raw_parts(text.cast::<u8>(), len))
            } else {
                new_bytes(env, b"")
            }
        };
        // SAFETY: freed once.
        unsafe { crate::evaluate::tandem_result_free(result) };
        array
    })
});

jni_fn!(Java_dev_tandem_Native_evaluate(env, client: jlong, flag: jbyteArray, context: jlong,
        kind: jint, default_json: jbyteArray, decision_key: jbyteArray, eligible_json: jbyteArray,
        out: jni_sys::jlongArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let (flag, default, key, eligible) = unsafe {
            (bytes(env, flag)?, bytes(env, default_json)?, bytes(env, decision_key)?,
             bytes(env, eligible_json)?)
        };
        let ((f, fl), (d, dl), (k, kl), (e, el)) = (raw(&flag), raw(&default), raw(&key), raw(&eligible));
        let options = tandem_eval_options {
            decision_key: k, decision_key_len: kl, eligible_json: e, eligible_json_len: el,
            now_unix_millis: 0, has_now: false,
        };
        let mut result: *mut tandem_result = null_mut();
        // SAFETY: live handles; texts and options live through the call.
        let status = unsafe {
            crate::evaluate::tandem_client_evaluate(client as *const tandem_client, f, fl,
                context as *const tandem_context, kind as u32, d, dl, &options, &mut result)
        };
        if status == tandem_status::Ok {
            // SAFETY: the JVM's arguments.
            if let Err(failure) = unsafe { put_long(env, out, result as jlong) } {
                // SAFETY: just made, not shared.
                unsafe { crate::evaluate::tandem_result_free(result) };
                return Err(failure);
            }
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_resultFree(env, result: jlong) -> () {
    // SAFETY: a handle the wrapper owns, freed once.
    unsafe { crate::evaluate::tandem_result_free(result as *mut tandem_result) }
});

jni_fn!(Java_dev_tandem_Native_resultCodes(env, result: jlong) -> jlong {
    let r = result as *const tandem_result;
    // SAFETY: a live handle (or 0).
    let (reason, code) = unsafe {
        (crate::evaluate::tandem_result_reason(r), crate::evaluate::tandem_result_error_code(r))
    };
    // Both in one crossing: reason in the high half, error code in the low.
    (jlong::from(reason) << 32) | jlong::from(code)
});

jni_fn!(Java_dev_tandem_Native_resultDetailsJson(env, result: jlong) -> jbyteArray {
    // SAFETY: a live handle; the out-parameters are the closure's locals.
    unsafe {
        buffer_call(env, |buf, len| {
            crate::evaluate::tandem_result_details_json(result as *const tandem_result, buf, len)
        })
    }
});

jni_fn!(Java_dev_tandem_Native_evaluateAll(env, client: jlong, context: jlong, out: jni_sys::jlongArray) -> jint {
    call(|| {
        let mut outcomes: *mut tandem_outcomes = null_mut();
        // SAFETY: live handles; `outcomes` is a local.
        let status = unsafe {
            crate::outcomes::tandem_client_evaluate_all(client as *const tandem_client,
                context as *const tandem_context, &mut outcomes)
        };
        if status == tandem_status::Ok {
            // SAFETY: the JVM's arguments.
            if let Err(failure) = unsafe { put_long(env, out, outcomes as jlong) } {
                // SAFETY: just made, not shared.
                unsafe { crate::outcomes::tandem_outcomes_free(outcomes) };
                return Err(failure);
            }
        }
        Ok(status)
    })
});

jni_fn!(Java_dev_tandem_Native_outcomesFree(env, outcomes: jlong) -> () {
    // SAFETY: a handle the wrapper owns, freed once.
    unsafe { crate::outcomes::tandem_outcomes_free(outcomes as *mut tandem_outcomes) }
});

jni_fn!(Java_dev_tandem_Native_outcomesCount(env, outcomes: jlong) -> jlong {
    // SAFETY: a live handle (or 0).
    let n = unsafe { crate::outcomes::tandem_outcomes_count(outcomes as *const tandem_outcomes) };
    jlong::try_from(n).unwrap_or(jlong::MAX)
});

jni_fn!(Java_dev_tandem_Native_outcomesFlagKey(env, outcomes: jlong, index: jlong) -> jbyteArray {
    call_bytes(|| {
        let mut text: *const c_char = null();
        let mut len = 0usize;
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        // SAFETY: a live handle; locals for the outputs.
        if !unsafe { crate::outcomes::tandem_outcomes_flag_key(outcomes as *const tandem_outcomes, index, &mut text, &mut len) } {
            return Ok(null_mut());
        }
        // SAFETY: the key borrows the live handle; the call's environment.
        unsafe { new_bytes(env, std::slice::from_raw_parts(text.cast::<u8>(), len)) }
    })
});

jni_fn!(Java_dev_tandem_Native_outcomesRead(env, outcomes: jlong, flag: jbyteArray, kind: jint,
        codes: jni_sys::jintArray, texts: jobjectArray) -> jint {
    call(|| {
        // SAFETY: the JVM's arguments.
        let flag = unsafe { bytes(env, flag)? };
        let (f, fl) = raw(&flag);
        let mut read = tandem_read {
            reason: 0, error_code: 0, value_json: null(), value_json_len: 0, variant: null(),
            variant_len: 0,
        };
        // SAFETY: a live handle; `read` is a local.
        let status = unsafe {
            crate::outcomes::tandem_outcomes_read(outcomes as *const tandem_outcomes, f, fl,
                kind as u32, &mut read)
        };
        if status != tandem_status::Ok {
            return Ok(status);
        }
        if codes.is_null() || texts.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: the call's environment.
        let jni = unsafe { table(env)? };
        let set_ints = jni.SetIntArrayRegion.ok_or_else(|| missing("SetIntArrayRegion"))?;
        let set_object = jni.SetObjectArrayElement.ok_or_else(|| missing("SetObjectArrayElement"))?;
        let values = [read.reason as jint, read.error_code as jint];
        // SAFETY: two elements into the wrapper's `int[2]`.
        unsafe { set_ints(env, codes, 0, 2, values.as_ptr()) };
        for (slot, (ptr, len)) in [(read.value_json, read.value_json_len), (read.variant, read.variant_len)]
            .into_iter()
            .enumerate()
        {
            let array = if ptr.is_null() {
                null_mut()
            } else {
                // SAFETY: the text borrows the live handle.
                unsafe { new_bytes(env, std::slice::from_raw_parts(ptr.cast::<u8>(), len))? }
            };
            // SAFETY: the wrapper's `byte[][2]`; slot is 0 or 1.
            unsafe { set_object(env, texts, slot as jsize, array) };
        }
        Ok(tandem_status::Ok)
    })
});
