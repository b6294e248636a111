//! The client handle: one `tandem::Client` shared by every thread of the host, with the last
//! error of the calls made on it.
//!
//! A `tandem_client *` is an `Arc` turned into a pointer: `tandem_client_free` drops the
//! caller's reference, and an outcomes handle (`tandem_client_evaluate_all`) holds one of its
//! own, so it stays usable after the client is freed.

use std::ffi::{c_char, c_void};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tandem::{Capacities, Client, Clock, Timestamp};

use crate::args::{self, Out};
use crate::buffer::give;
use crate::context::tandem_context;
use crate::error::{copy_message, tandem_status, Failure};
use crate::evaluate::{eval_options, tandem_eval_options};
use crate::panic::{guard, status};

/// A client: a loaded config (or precomputed payload) and the state that survives updates
/// (event queue, exposure deduplication, sticky assignments).
///
/// Ownership: created by `tandem_client_new` / `tandem_client_new_precomputed`, released once
/// with `tandem_client_free`. Threads: every function may be called on one client from many
/// threads at once, an update included; evaluations never wait for an update's parse, and each
/// evaluation reads one whole snapshot. Lifetime: results and outcomes keep what they need
/// (the snapshot, and for outcomes the client itself) after the client is updated or freed.
#[derive(Debug)]
pub struct tandem_client {
    pub(crate) inner: Client,
    last_error: Mutex<Option<Box<str>>>,
}

impl tandem_client {
    /// Records a failure of a call on this client, and returns it for the thread's record.
    pub(crate) fn fail(&self, failure: impl Into<Failure>) -> Failure {
        let failure = failure.into();
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((*failure.message).into());
        failure
    }
}

/// Reads the host's clock: milliseconds since the Unix epoch (UTC). Called at most once per
/// evaluation, from any thread that evaluates, never under a Tandem lock: it must be
/// thread-safe and must not call back into Tandem.
pub type tandem_clock_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> i64>;

/// How a client is built. Start from `tandem_client_options_default`, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tandem_client_options {
    /// The host's clock; NULL reads the system clock (`CLOCK_REALTIME`).
    pub clock: tandem_clock_fn,
    /// Passed to `clock` on every call (may be NULL); must stay valid while the client lives.
    pub clock_user_data: *mut c_void,
    /// 64 bits from the operating system's random source (`tandem_entropy`, or the platform's
    /// own: `SecRandomCopyBytes`, `getrandom`). They key the hash maps of user input so units
    /// crafted to collide cost no more than others; they change no result.
    pub entropy: u64,
    /// Events held until drained (0: the default, 1,000); when full the oldest are dropped.
    pub events_capacity: usize,
    /// Recent exposures remembered for deduplication (0: the default, 10,000).
    pub exposure_dedup_capacity: usize,
    /// Sticky assignments held (0: the default, 10,000).
    pub sticky_capacity: usize,
}

struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |m| -m),
        };
        Timestamp::from_unix_millis(millis)
    }
}

struct HostClock {
    read: unsafe extern "C" fn(*mut c_void) -> i64,
    user_data: *mut c_void,
}

// SAFETY: the options' contract makes the callback and its user data thread-safe.
unsafe impl Send for HostClock {}
// SAFETY: as above.
unsafe impl Sync for HostClock {}

impl Clock for HostClock {
    fn now(&self) -> Timestamp {
        // SAFETY: the host's callback, called as its contract says.
        Timestamp::from_unix_millis(unsafe { (self.read)(self.user_data) })
    }
}

/// 64 bits from `/dev/urandom` (Linux, Android, iOS, macOS all have it).
fn os_entropy() -> Result<u64, Failure> {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|_| {
            Failure::new(
                tandem_status::Io,
                "cannot read the operating system's random source (/dev/urandom)",
            )
        })?;
    Ok(u64::from_ne_bytes(bytes))
}

/// Writes 64 bits read from the operating system's random source (`/dev/urandom`) to
/// `*out_entropy`: what `tandem_client_options.entropy` should hold.
///
/// # Errors
/// `TANDEM_STATUS_IO` when the random source cannot be read; `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `out_entropy` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_entropy(out_entropy: *mut u64) -> tandem_status {
    status(|| {
        let out = Out::new(out_entropy, "out_entropy")?;
        let entropy = os_entropy()?;
        // SAFETY: the caller's contract.
        unsafe { out.write(entropy) };
        Ok(())
    })
}

/// Fills `*out_options` with the defaults: the system clock, entropy from the operating
/// system (`tandem_entropy`), default capacities.
///
/// # Errors
/// As `tandem_entropy`.
///
/// # Safety
/// `out_options` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_options_default(
    out_options: *mut tandem_client_options,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_options, "out_options")?;
        let options = default_options()?;
        // SAFETY: the caller's contract.
        unsafe { out.write(options) };
        Ok(())
    })
}

pub(crate) fn default_options() -> Result<tandem_client_options, Failure> {
    Ok(tandem_client_options {
        clock: None,
        clock_user_data: std::ptr::null_mut(),
        entropy: os_entropy()?,
        events_capacity: 0,
        exposure_dedup_capacity: 0,
        sticky_capacity: 0,
    })
}

/// The clock of a client: the host's callback, the system clock, or (the JVM binding's tests
/// and log replays) a fixed time.
enum HostTime {
    System(SystemClock),
    Callback(HostClock),
    Fixed(Timestamp),
}

impl Clock for HostTime {
    fn now(&self) -> Timestamp {
        match self {
            HostTime::System(clock) => clock.now(),
            HostTime::Callback(clock) => clock.now(),
            HostTime::Fixed(time) => *time,
        }
    }
}

/// A client with no config, built from `options` (NULL: the defaults).
///
/// # Safety
/// `options` is NULL or readable.
pub(crate) unsafe fn build(options: *const tandem_client_options) -> Result<Client, Failure> {
    // SAFETY: forwarded.
    unsafe { build_at(options, None) }
}

/// [`build`], with a fixed clock when `fixed_now` is given (milliseconds since the epoch).
///
/// # Safety
/// `options` is NULL or readable.
pub(crate) unsafe fn build_at(
    options: *const tandem_client_options,
    fixed_now: Option<i64>,
) -> Result<Client, Failure> {
    // SAFETY: the caller's contract.
    let options = match unsafe { options.as_ref() } {
        Some(options) => *options,
        None => default_options()?,
    };
    let clock = match (fixed_now, options.clock) {
        (Some(millis), _) => HostTime::Fixed(Timestamp::from_unix_millis(millis)),
        (None, Some(read)) => HostTime::Callback(HostClock {
            read,
            user_data: options.clock_user_data,
        }),
        (None, None) => HostTime::System(SystemClock),
    };
    let client = Client::new(clock, options.entropy);
    let defaults = Capacities::default();
    let or_default = |n: usize, default: usize| if n == 0 { default } else { n };
    Ok(client.with_capacities(Capacities {
        events: or_default(options.events_capacity, defaults.events),
        exposure_dedup: or_default(options.exposure_dedup_capacity, defaults.exposure_dedup),
        sticky: or_default(options.sticky_capacity, defaults.sticky),
    }))
}

pub(crate) fn into_handle(client: Client) -> *mut tandem_client {
    Arc::into_raw(Arc::new(tandem_client {
        inner: client,
        last_error: Mutex::new(None),
    }))
    .cast_mut()
}

/// A client serving the config `config` (`config_len` bytes of flagd/Tandem JSON), or nothing
/// yet when `config` is NULL (every evaluation answers `PROVIDER_NOT_READY` until
/// `tandem_client_update` succeeds). `options` NULL: the defaults
/// (`tandem_client_options_default`).
///
/// Problems inside single flags are not failures: those flags answer `PARSE_ERROR`.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_JSON`, `_INVALID_CONFIG`, `_LIMIT_EXCEEDED` for a config that cannot
/// be loaded at all (`tandem_last_error` has the message, with a JSON path);
/// `_INVALID_UTF8`, `_NULL_ARGUMENT` (`out_client`), `_IO` (default entropy).
///
/// # Safety
/// `config` is NULL or readable for `config_len` bytes; `options` is NULL or readable;
/// `out_client` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_new(
    config: *const c_char,
    config_len: usize,
    options: *const tandem_client_options,
    out_client: *mut *mut tandem_client,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_client, "out_client")?;
        // SAFETY: the caller's contract.
        let config = unsafe { args::optional_text(config, config_len, "config")? };
        // SAFETY: the caller's contract.
        let client = unsafe { build(options)? };
        if let Some(config) = config {
            client.update(config)?;
        }
        // SAFETY: the caller's contract.
        unsafe { out.write(into_handle(client)) };
        Ok(())
    })
}

/// A client serving one user's precomputed payload (`tandem_client_precompute` wrote it): no
/// rules, only that user's results, logged when read as from a config.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_JSON`, `_INVALID_CONFIG` (a payload that does not hold together, with
/// a JSON path), `_LIMIT_EXCEEDED`, `_INVALID_UTF8`, `_NULL_ARGUMENT`, `_IO`.
///
/// # Safety
/// `payload` is readable for `payload_len` bytes; `options` is NULL or readable; `out_client`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_new_precomputed(
    payload: *const c_char,
    payload_len: usize,
    options: *const tandem_client_options,
    out_client: *mut *mut tandem_client,
) -> tandem_status {
    status(|| {
        let out = Out::new(out_client, "out_client")?;
        // SAFETY: the caller's contract.
        let payload = unsafe { args::text(payload, payload_len, "payload")? };
        // SAFETY: the caller's contract.
        let client = unsafe { build(options)? };
        client.update_precomputed(payload)?;
        // SAFETY: the caller's contract.
        unsafe { out.write(into_handle(client)) };
        Ok(())
    })
}

/// Releases the caller's reference to a client. NULL is ignored. Results and outcomes made
/// from it stay valid until they are freed themselves.
///
/// # Safety
/// `client` is NULL or a client not yet freed, which no other call is using.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_free(client: *mut tandem_client) {
    guard(|| {
        if !client.is_null() {
            // SAFETY: a pointer from `Arc::into_raw`, released once (the caller's contract).
            drop(unsafe { Arc::from_raw(client.cast_const()) });
        }
    });
}

/// Runs `body` on a client argument, recording a failure on the handle too.
///
/// # Safety
/// `client` is NULL or a live client.
pub(crate) unsafe fn with_client(
    client: *const tandem_client,
    body: impl FnOnce(&tandem_client) -> Result<(), Failure>,
) -> tandem_status {
    status(|| {
        // SAFETY: the caller's contract.
        let client = unsafe { args::reference(client, "client")? };
        body(client).map_err(|failure| client.fail(failure))
    })
}

/// Loads a new config: parsed and compiled with no lock held, then swapped in. Evaluations on
/// other threads go on meanwhile with the previous config and never wait for the parse. On
/// failure the previous config keeps serving. Sticky assignments, queued events and the
/// deduplication window survive.
///
/// # Errors
/// As `tandem_client_new`; the message is also on the client (`tandem_client_last_error`).
///
/// # Safety
/// `client` is a live client; `config` is readable for `config_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_update(
    client: *mut tandem_client,
    config: *const c_char,
    config_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let config = args::text(config, config_len, "config")?;
            client.inner.update(config)?;
            Ok(())
        })
    }
}

/// Serves a precomputed payload from now on; on failure the previous snapshot keeps serving.
///
/// # Errors
/// As `tandem_client_new_precomputed`.
///
/// # Safety
/// `client` is a live client; `payload` is readable for `payload_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_update_precomputed(
    client: *mut tandem_client,
    payload: *const c_char,
    payload_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let payload = args::text(payload, payload_len, "payload")?;
            client.inner.update_precomputed(payload)?;
            Ok(())
        })
    }
}

/// The message of the last failed call on this client (from any thread), copied into `buf`
/// (`len` bytes, NUL-terminated, cut to fit; NULL with `len` 0 only asks for the length).
/// Returns the message's full length, 0 when no call on this client has failed (or `client` is
/// NULL). With many threads failing at once it is one of their messages: the thread's own is
/// `tandem_last_error`.
///
/// # Safety
/// `client` is NULL or a live client; `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_last_error(
    client: *const tandem_client,
    buf: *mut c_char,
    len: usize,
) -> usize {
    guard(|| {
        // SAFETY: the caller's contract.
        let Some(client) = (unsafe { client.as_ref() }) else {
            return 0;
        };
        let message = client
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // SAFETY: the caller's contract.
        unsafe { copy_message(message.as_deref(), buf, len) }
    })
}

/// Queues an outcome event (a conversion, a guardrail metric) for `unit`: `name` and `unit`
/// are required; `value` NULL means none (a non-finite one is dropped); `properties_json` NULL
/// means none, else a JSON object.
///
/// # Errors
/// `TANDEM_STATUS_INVALID_ARGUMENT` (an empty name or unit, properties that are not an
/// object), `_LIMIT_EXCEEDED` (name, unit or properties over their limits), `_INVALID_JSON`,
/// `_INVALID_UTF8`, `_NULL_ARGUMENT`. Nothing is queued then.
///
/// # Safety
/// `client` is a live client; the text arguments are readable for their lengths; `value` is
/// NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_track(
    client: *mut tandem_client,
    name: *const c_char,
    name_len: usize,
    unit: *const c_char,
    unit_len: usize,
    value: *const f64,
    properties_json: *const c_char,
    properties_len: usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let name = args::text(name, name_len, "name")?;
            let unit = args::text(unit, unit_len, "unit")?;
            let value = value.as_ref().copied();
            let properties =
                match args::optional_text(properties_json, properties_len, "properties_json")? {
                    None => serde_json::Map::new(),
                    Some(text) => parse_properties(text, client)?,
                };
            client.inner.track(name, unit, value, properties)?;
            Ok(())
        })
    }
}

fn parse_properties(
    text: &str,
    client: &tandem_client,
) -> Result<serde_json::Map<String, serde_json::Value>, Failure> {
    let limit = client.inner.limits().max_track_properties_bytes;
    if text.len() > limit {
        return Err(Failure::new(
            tandem_status::LimitExceeded,
            format!(
                "track: the properties' JSON is {} bytes, more than the limit of {limit}",
                text.len()
            ),
        ));
    }
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::new(
            tandem_status::InvalidArgument,
            "track: the properties must be a JSON object",
        )),
        Err(e) => Err(Failure::new(
            tandem_status::InvalidJson,
            format!("track: the properties are not JSON ({e})"),
        )),
    }
}

/// Takes every queued event, oldest first, as one JSON array text (DESIGN §6): `*out_json`
/// and `*out_len`, freed with `tandem_buf_free`.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `client` is a live client; the out-parameters are writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_drain_events(
    client: *mut tandem_client,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let (out_json, out_len) = (
                Out::new(out_json, "out_json")?,
                Out::new(out_len, "out_len")?,
            );
            give(
                client.inner.drain_events_json().into_bytes(),
                out_json,
                out_len,
            );
            Ok(())
        })
    }
}

/// Counters about a client's bounded state.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct tandem_stats {
    /// Events waiting to be drained.
    pub queued: u64,
    /// Events dropped (oldest first) because the queue was full, since the client started.
    pub dropped: u64,
    /// Exposures not queued because the same one was logged recently.
    pub deduplicated: u64,
    /// Decision events queued since the client started.
    pub decisions: u64,
    /// Sticky assignments held.
    pub sticky_assignments: u64,
}

/// Writes the client's counters to `*out_stats`.
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `client` is a live client; `out_stats` is writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_stats(
    client: *const tandem_client,
    out_stats: *mut tandem_stats,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let out = Out::new(out_stats, "out_stats")?;
            let stats = client.inner.stats();
            let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            out.write(tandem_stats {
                queued: wide(stats.queued),
                dropped: stats.dropped,
                deduplicated: stats.deduplicated,
                decisions: stats.decisions,
                sticky_assignments: wide(stats.sticky_assignments),
            });
            Ok(())
        })
    }
}

/// The sticky assignments as a compact JSON snapshot for the host to persist (`*out_json`,
/// `*out_len`, freed with `tandem_buf_free`).
///
/// # Errors
/// `TANDEM_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// `client` is a live client; the out-parameters are writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_export_sticky(
    client: *const tandem_client,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let (out_json, out_len) = (
                Out::new(out_json, "out_json")?,
                Out::new(out_len, "out_len")?,
            );
            give(client.inner.export_sticky().into_bytes(), out_json, out_len);
            Ok(())
        })
    }
}

/// Restores sticky assignments from a snapshot made by `tandem_client_export_sticky`, and
/// writes how many of its entries the client now holds to `*out_kept` (NULL: not wanted).
/// Entries of stopped experiments, over-long units and entries beyond the capacity are not
/// kept.
///
/// # Errors
/// `TANDEM_STATUS_LIMIT_EXCEEDED`, `_INVALID_JSON`, `_INVALID_CONFIG` (nothing is imported
/// then), `_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// `client` is a live client; `json` is readable for `json_len` bytes; `out_kept` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_import_sticky(
    client: *mut tandem_client,
    json: *const c_char,
    json_len: usize,
    out_kept: *mut usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let json = args::text(json, json_len, "json")?;
            let kept = client.inner.import_sticky(json)?;
            if let Some(out) = Out::optional(out_kept) {
                out.write(kept);
            }
            Ok(())
        })
    }
}

/// Evaluates every flag for one context and writes the precomputed payload that
/// `tandem_client_new_precomputed` serves (that user's results only) to `*out_json`,
/// `*out_len` (freed with `tandem_buf_free`). Logs nothing. `options` NULL: none.
///
/// # Errors
/// `TANDEM_STATUS_NOT_READY` when the client serves nothing yet; `_INVALID_JSON` (options'
/// eligible list), `_INVALID_UTF8`, `_NULL_ARGUMENT`.
///
/// # Safety
/// `client` and `context` are live handles; `options` is NULL or readable (with its texts);
/// the out-parameters are writable.
#[no_mangle]
pub unsafe extern "C" fn tandem_client_precompute(
    client: *const tandem_client,
    context: *const tandem_context,
    options: *const tandem_eval_options,
    out_json: *mut *mut c_char,
    out_len: *mut usize,
) -> tandem_status {
    // SAFETY: forwarded.
    unsafe {
        with_client(client, |client| {
            let context = args::reference(context, "context")?;
            let (out_json, out_len) = (
                Out::new(out_json, "out_json")?,
                Out::new(out_len, "out_len")?,
            );
            let mut payload = Vec::new();
            eval_options(options)?.with(|options| {
                client
                    .inner
                    .precompute_into(&context.ctx, options, &mut payload)
            })?;
            give(payload, out_json, out_len);
            Ok(())
        })
    }
}
