//! `Client`: the core's [`tandem::Client`] for JavaScript hosts.
//!
//! Two evaluation paths (DESIGN §7), each one boundary crossing:
//!
//! - **Static context** (browsers, apps): `setContext` evaluates every flag
//!   ([`tandem::Client::evaluate_all`]) and leaves the encoded outcomes ([`crate::outcome`]) in
//!   wasm memory for the JS side to copy; the JS getters serve from that copy and call
//!   `recordRead` on the first read of a flag that logs an exposure or a decision, or whose
//!   value fails the requested type ([`tandem::Client::record_read`]).
//! - **Dynamic context** (edge workers, servers): JS writes the context's typed attributes
//!   ([`crate::context`]) into input buffers in wasm memory (`reserveInput`), and
//!   `evaluateInput` takes the flag's index and the lengths, evaluates one flag, logs it, and
//!   writes its encoded outcome to a fixed buffer that the JS side reads in place: integers in,
//!   integers out, no argument copied through wasm-bindgen.
//!
//! Type codes: 0 any, 1 boolean, 2 string, 3 integer, 4 float (any number), 5 object.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tandem::{
    Capacities, Client, Context, ErrorCode, ErrorKind, EvalOptions, Outcome, Reader, Snapshot,
    Timestamp,
};
use wasm_bindgen::prelude::*;

use crate::context::malformed;
use crate::error::{js_result, WasmError};
use crate::outcome::{self, STRIDE};
use crate::snapshot::{flag_type, tables_json};

/// The clock reads `Date.now()` while the fixed time holds this value.
const HOST_CLOCK: i64 = i64::MIN;

/// A host-clock reading: `Date.now()`, or the fixed time the host set (tests, replays).
fn read_clock(fixed: &AtomicI64) -> Timestamp {
    match fixed.load(Ordering::Relaxed) {
        HOST_CLOCK => Timestamp::from_unix_millis(host_now()),
        millis => Timestamp::from_unix_millis(millis),
    }
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn host_now() -> i64 {
    // Milliseconds since the epoch fit an i64 for the next 290 million years.
    js_sys::Date::now() as i64
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn host_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn entropy() -> u64 {
    // Entropy keys hash maps against crafted collisions and changes no result: should the
    // host have no `crypto.getRandomValues`, a time-derived key still beats a constant one.
    getrandom::u64().unwrap_or_else(|_| host_now().unsigned_abs())
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn entropy() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(host_now())
}

fn millis(value: f64) -> i64 {
    if value.is_finite() {
        // Saturating float-to-int cast; the clamp keeps HOST_CLOCK unreachable.
        (value as i64).max(HOST_CLOCK + 1)
    } else {
        0
    }
}

/// Options of one evaluation, as JS passes them.
fn options<'a>(
    decision_key: &'a Option<String>,
    eligible: &'a Option<Vec<&'a str>>,
) -> EvalOptions<'a> {
    EvalOptions {
        decision_key: decision_key.as_deref().unwrap_or(""),
        eligible_actions: eligible.as_deref(),
        now: None,
    }
}

/// A Tandem client (see the module docs). Built empty (every flag `PROVIDER_NOT_READY`) and
/// loaded with `update` (a config, full build) or `updatePrecomputed` (a payload).
#[wasm_bindgen(js_name = Client)]
#[derive(Debug)]
pub struct WasmClient {
    client: Client,
    fixed_now: Arc<AtomicI64>,
    /// The snapshot being served: updates go through this object, so it is always current.
    snapshot: Arc<Snapshot>,
    /// The dynamic path's context, refilled per call (its storage is reused); `setContext`
    /// fills it too and swaps it with the static context.
    ctx: Context,
    /// The static path: the snapshot and context of the last `setContext`, and its outcomes.
    static_snapshot: Arc<Snapshot>,
    static_ctx: Context,
    outcomes: Vec<Outcome>,
    static_out: Vec<i32>,
    /// The result of the last `evaluate` or `recordRead`.
    output: Output,
    /// The dynamic path's input, which JS writes in place (`reserveInput`).
    input: InputBuffers,
    /// The last `precompute` payload: one buffer kept from call to call, so that a payload is
    /// written into storage that fits it rather than a new `Vec` grown (and copied) a few
    /// times per call.
    payload: Vec<u8>,
}

/// Buffers in wasm memory that JS writes a context's typed attributes into before
/// `evaluateInput`, so that the hot path copies nothing through wasm-bindgen's argument
/// conversions (each a heap allocation, a copy and a free per call).
#[derive(Debug, Default)]
struct InputBuffers {
    /// The `(tag, number)` pairs ([`crate::context`]).
    numbers: Vec<f64>,
    /// The string values, concatenated, as UTF-8.
    text: Vec<u8>,
}

impl InputBuffers {
    /// The first `numbers` numbers and `text_bytes` bytes of text, as JS wrote them.
    fn read(&self, numbers: usize, text_bytes: usize) -> Result<(&[f64], &str), WasmError> {
        let numbers = self
            .numbers
            .get(..numbers)
            .ok_or_else(|| malformed("more numbers than the input buffer holds"))?;
        let text = self
            .text
            .get(..text_bytes)
            .ok_or_else(|| malformed("more text than the input buffer holds"))?;
        let text = std::str::from_utf8(text).map_err(|_| malformed("the text is not UTF-8"))?;
        Ok((numbers, text))
    }

    /// Fills `ctx` from the typed attributes JS wrote (`numbers` numbers, `text_bytes` bytes
    /// of text), or from `ctx_json` when given (for snapshots that read the whole context).
    fn fill(
        &self,
        ctx: &mut Context,
        snapshot: &Snapshot,
        (numbers, text_bytes): (u32, u32),
        ctx_json: Option<&str>,
    ) -> Result<(), WasmError> {
        match ctx_json {
            Some(json) => crate::context::from_json(ctx, json),
            None => {
                let (numbers, text) = self.read(numbers as usize, text_bytes as usize)?;
                crate::context::fill(ctx, snapshot.attributes(), numbers, text)
            }
        }
    }
}

/// One encoded outcome with its rare string parts, kept apart from the client so that an
/// evaluation borrowing the client can write it.
#[derive(Debug)]
struct Output {
    /// Boxed: JS reads it in place, at an address that must not move.
    out: Box<[i32; STRIDE]>,
    message: Option<String>,
    decision: Option<String>,
}

impl Output {
    fn encode(&mut self, snapshot: &Snapshot, outcome: &Outcome) {
        let message = snapshot.error_message(outcome);
        self.message = message.map(str::to_owned);
        self.decision = outcome
            .decision
            .as_deref()
            .map(|d| outcome::decision_json(snapshot, d));
        outcome::encode(outcome, message.is_some(), &mut self.out[..]);
    }

    fn encode_context_error(&mut self, flag: Option<u32>, error: &WasmError) {
        let code = match error.kind {
            ErrorKind::InvalidJson => ErrorCode::ParseError,
            _ => ErrorCode::InvalidContext,
        };
        self.message = Some(error.message.clone());
        self.decision = None;
        outcome::encode_error(flag, code, &mut self.out[..]);
    }
}

#[wasm_bindgen(js_class = Client)]
impl WasmClient {
    /// A client with no config yet. `now`: a fixed clock in Unix milliseconds (`undefined`:
    /// `Date.now()`); the capacities of the event queue, the exposure deduplication window
    /// and the sticky store (`undefined`: the core's defaults).
    #[wasm_bindgen(constructor)]
    pub fn new(
        now: Option<f64>,
        events: Option<u32>,
        dedup: Option<u32>,
        sticky: Option<u32>,
    ) -> WasmClient {
        let fixed_now = Arc::new(AtomicI64::new(now.map_or(HOST_CLOCK, millis)));
        let clock = Arc::clone(&fixed_now);
        let defaults = Capacities::default();
        let capacities = Capacities {
            events: events.map_or(defaults.events, |n| n as usize),
            exposure_dedup: dedup.map_or(defaults.exposure_dedup, |n| n as usize),
            sticky: sticky.map_or(defaults.sticky, |n| n as usize),
        };
        let client = Client::new(move || read_clock(&clock), entropy()).with_capacities(capacities);
        let snapshot = client.snapshot();
        WasmClient {
            client,
            fixed_now,
            static_snapshot: Arc::clone(&snapshot),
            snapshot,
            ctx: Context::new(),
            static_ctx: Context::new(),
            outcomes: Vec::new(),
            static_out: Vec::new(),
            output: Output {
                out: Box::new([0; STRIDE]),
                message: None,
                decision: None,
            },
            input: InputBuffers::default(),
            payload: Vec::new(),
        }
    }

    /// Fixes the clock at `now` (Unix milliseconds), or returns it to `Date.now()`.
    #[wasm_bindgen(js_name = setNow)]
    pub fn set_now(&self, now: Option<f64>) {
        self.fixed_now
            .store(now.map_or(HOST_CLOCK, millis), Ordering::Relaxed);
    }

    /// Loads a config (full build). On failure the last good config keeps serving and a
    /// `TandemError` is thrown. Returns the new snapshot's generation.
    #[cfg(feature = "config")]
    pub fn update(&mut self, json: &str) -> Result<f64, JsValue> {
        self.snapshot = js_result(self.client.update(json))?;
        Ok(self.generation())
    }

    /// Serves a precomputed payload (made by `precompute`). On failure the previous snapshot
    /// keeps serving and a `TandemError` is thrown. Returns the new snapshot's generation.
    #[wasm_bindgen(js_name = updatePrecomputed)]
    pub fn update_precomputed(&mut self, json: &str) -> Result<f64, JsValue> {
        self.snapshot = js_result(self.client.update_precomputed(json))?;
        Ok(self.generation())
    }

    /// The generation of the snapshot being served (the key of the JS side's table cache).
    pub fn generation(&self) -> f64 {
        // Generations count updates: far below 2^53.
        self.snapshot.generation() as f64
    }

    /// The tables of the snapshot being served, as JSON text ([`crate::snapshot`]).
    pub fn tables(&self) -> String {
        tables_json(&self.snapshot)
    }

    /// The address of the one-outcome buffer in wasm memory (stable for the client's life).
    #[wasm_bindgen(js_name = outPtr)]
    pub fn out_ptr(&self) -> usize {
        self.output.out.as_ptr() as usize
    }

    /// Takes the error message of the last encoded outcome, if it had one.
    #[wasm_bindgen(js_name = takeMessage)]
    pub fn take_message(&mut self) -> Option<String> {
        self.output.message.take()
    }

    /// Takes the decision of the last encoded outcome as JSON text, if a policy decided it.
    #[wasm_bindgen(js_name = takeDecision)]
    pub fn take_decision(&mut self) -> Option<String> {
        self.output.decision.take()
    }

    /// Grows the input buffers to hold at least `numbers` numbers and `text_bytes` bytes of
    /// text (they never shrink). Their addresses may change: JS reads `inputNumbersPtr` and
    /// `inputTextPtr` again afterwards.
    #[wasm_bindgen(js_name = reserveInput)]
    pub fn reserve_input(&mut self, numbers: u32, text_bytes: u32) {
        let (numbers, text_bytes) = (numbers as usize, text_bytes as usize);
        if self.input.numbers.len() < numbers {
            self.input.numbers.resize(numbers, 0.0);
        }
        if self.input.text.len() < text_bytes {
            self.input.text.resize(text_bytes, 0);
        }
    }

    /// The address of the input numbers in wasm memory (8-byte aligned).
    #[wasm_bindgen(js_name = inputNumbersPtr)]
    pub fn input_numbers_ptr(&self) -> usize {
        self.input.numbers.as_ptr() as usize
    }

    /// The address of the input text in wasm memory.
    #[wasm_bindgen(js_name = inputTextPtr)]
    pub fn input_text_ptr(&self) -> usize {
        self.input.text.as_ptr() as usize
    }

    /// Dynamic context, the hot path: evaluates the flag at index `flag` of the current
    /// snapshot for the typed attributes JS wrote into the input buffers (`numbers` numbers,
    /// `text_bytes` bytes of UTF-8 text), type-checks it against `type_code`, logs it, and
    /// writes the outcome to the buffer at `outPtr`. Never throws: a context that does not
    /// hold together is an `INVALID_CONTEXT` (or `PARSE_ERROR` for bad JSON) outcome.
    #[wasm_bindgen(js_name = evaluateInput)]
    pub fn evaluate_input(&mut self, flag: u32, type_code: u32, numbers: u32, text_bytes: u32) {
        let snapshot = Arc::clone(&self.snapshot);
        let filled = self
            .input
            .fill(&mut self.ctx, &snapshot, (numbers, text_bytes), None);
        if let Err(error) = filled {
            return self.output.encode_context_error(Some(flag), &error);
        }
        let reader = Reader::new(&self.client, Arc::clone(&snapshot));
        let outcome = reader.evaluate_index(
            flag,
            &self.ctx,
            flag_type(type_code),
            &EvalOptions::default(),
        );
        self.output.encode(&snapshot, &outcome);
    }

    /// Dynamic context, every option: a flag by key (also one the snapshot lacks), the
    /// context in the input buffers or as JSON text (`ctx_json`, for snapshots that read the
    /// whole context), a decision key and eligible actions for policies. Writes the outcome as
    /// `evaluateInput`.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = evaluateWith)]
    pub fn evaluate_with(
        &mut self,
        key: &str,
        type_code: u32,
        numbers: u32,
        text_bytes: u32,
        ctx_json: Option<String>,
        decision_key: Option<String>,
        eligible: Option<Vec<String>>,
    ) {
        let snapshot = Arc::clone(&self.snapshot);
        let filled = self.input.fill(
            &mut self.ctx,
            &snapshot,
            (numbers, text_bytes),
            ctx_json.as_deref(),
        );
        if let Err(error) = filled {
            return self
                .output
                .encode_context_error(snapshot.flag_index(key), &error);
        }
        let eligible: Option<Vec<&str>> = eligible
            .as_ref()
            .map(|keys| keys.iter().map(String::as_str).collect());
        let reader = Reader::new(&self.client, Arc::clone(&snapshot));
        let details = reader.evaluate_with(
            key,
            &self.ctx,
            &serde_json::Value::Null,
            flag_type(type_code),
            &options(&decision_key, &eligible),
        );
        self.output.encode(&snapshot, details.outcome());
    }

    /// Static context: evaluates every flag of the current snapshot for the typed attributes
    /// (or the whole context as JSON text), logging nothing, and keeps the outcomes for
    /// `recordRead`. Returns the number of flags; their encoded outcomes are at `staticPtr`.
    ///
    /// Throws a `TandemError` (`INVALID_CONTEXT`, `LIMIT_EXCEEDED`, `INVALID_JSON`) for a
    /// context that does not hold together; the previous context stays set then.
    #[wasm_bindgen(js_name = setContext)]
    pub fn set_context(
        &mut self,
        numbers: u32,
        text_bytes: u32,
        ctx_json: Option<String>,
    ) -> Result<u32, JsValue> {
        let snapshot = Arc::clone(&self.snapshot);
        // Filled into the dynamic path's context (refilled on every use) and swapped in on
        // success, so both keep their storage and a failure leaves the static context as it was.
        self.input.fill(
            &mut self.ctx,
            &snapshot,
            (numbers, text_bytes),
            ctx_json.as_deref(),
        )?;
        let reader = Reader::new(&self.client, Arc::clone(&snapshot));
        reader.evaluate_all(&self.ctx, &EvalOptions::default(), &mut self.outcomes);
        self.static_out.clear();
        self.static_out.resize(self.outcomes.len() * STRIDE, 0);
        for (outcome, out) in self
            .outcomes
            .iter()
            .zip(self.static_out.chunks_exact_mut(STRIDE))
        {
            let has_message = snapshot.error_message(outcome).is_some();
            outcome::encode(outcome, has_message, out);
        }
        std::mem::swap(&mut self.ctx, &mut self.static_ctx);
        self.static_snapshot = snapshot;
        Ok(u32::try_from(self.outcomes.len()).unwrap_or(u32::MAX))
    }

    /// The address of the static outcomes in wasm memory (valid until the next `setContext`).
    #[wasm_bindgen(js_name = staticPtr)]
    pub fn static_ptr(&self) -> usize {
        self.static_out.as_ptr() as usize
    }

    /// The generation of the snapshot the static outcomes index.
    #[wasm_bindgen(js_name = staticGeneration)]
    pub fn static_generation(&self) -> f64 {
        self.static_snapshot.generation() as f64
    }

    /// The error message of static outcome `flag`.
    #[wasm_bindgen(js_name = staticMessage)]
    pub fn static_message(&self, flag: u32) -> Option<String> {
        let outcome = self.outcomes.get(flag as usize)?;
        self.static_snapshot
            .error_message(outcome)
            .map(str::to_owned)
    }

    /// Static context, first read of flag `flag` as `type_code`: the core's type check, the
    /// exposure (deduplicated) and the decision are logged, and the outcome to act on is
    /// written to the buffer at `outPtr` (with its message and decision to take).
    #[wasm_bindgen(js_name = recordRead)]
    pub fn record_read(&mut self, flag: u32, type_code: u32) {
        let snapshot = Arc::clone(&self.static_snapshot);
        let Some(outcome) = self.outcomes.get(flag as usize) else {
            return self.output.encode_context_error(
                None,
                &WasmError::new(ErrorKind::InvalidArgument, "no such flag in the context"),
            );
        };
        let read =
            self.client
                .record_read(&snapshot, &self.static_ctx, outcome, flag_type(type_code));
        self.output.encode(&snapshot, &read);
    }

    /// Static context, a flag the snapshot does not have (or any flag by key): evaluated on
    /// the static context and snapshot, logged, and written to the buffer at `outPtr`.
    #[wasm_bindgen(js_name = readStaticKey)]
    pub fn read_static_key(&mut self, key: &str, type_code: u32) {
        let snapshot = Arc::clone(&self.static_snapshot);
        let reader = Reader::new(&self.client, Arc::clone(&snapshot));
        let details = reader.evaluate_with(
            key,
            &self.static_ctx,
            &serde_json::Value::Null,
            flag_type(type_code),
            &EvalOptions::default(),
        );
        self.output.encode(&snapshot, details.outcome());
    }

    /// One user's precomputed payload (DESIGN §7) for the typed attributes (or the whole
    /// context as JSON text), as UTF-8 JSON bytes ready for a `Response` body.
    ///
    /// Throws a `TandemError`: `NOT_READY` before a config is loaded, or a context error.
    pub fn precompute(
        &mut self,
        numbers: u32,
        text_bytes: u32,
        ctx_json: Option<String>,
        decision_key: Option<String>,
        eligible: Option<Vec<String>>,
    ) -> Result<js_sys::Uint8Array, JsValue> {
        let snapshot = Arc::clone(&self.snapshot);
        self.input.fill(
            &mut self.ctx,
            &snapshot,
            (numbers, text_bytes),
            ctx_json.as_deref(),
        )?;
        let eligible: Option<Vec<&str>> = eligible
            .as_ref()
            .map(|keys| keys.iter().map(String::as_str).collect());
        let options = options(&decision_key, &eligible);
        js_result(Reader::new(&self.client, snapshot).precompute_into(
            &self.ctx,
            &options,
            &mut self.payload,
        ))?;
        // Copied into a new JS array: the caller owns the bytes; the buffer stays for the
        // next call.
        Ok(js_sys::Uint8Array::from(self.payload.as_slice()))
    }

    /// Queues a `track` event; `properties` is a JSON object text. Throws a `TandemError`
    /// (`INVALID_ARGUMENT`, `LIMIT_EXCEEDED`, `INVALID_JSON`) and queues nothing on failure.
    pub fn track(
        &self,
        name: &str,
        unit: &str,
        value: Option<f64>,
        properties: Option<String>,
    ) -> Result<(), JsValue> {
        let properties = match properties {
            None => serde_json::Map::new(),
            Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(map)) => map,
                Ok(_) => {
                    return Err(WasmError::new(
                        ErrorKind::InvalidArgument,
                        "track: the properties must be a JSON object",
                    )
                    .into())
                }
                Err(_) => {
                    return Err(WasmError::new(
                        ErrorKind::InvalidJson,
                        "track: the properties are not JSON",
                    )
                    .into())
                }
            },
        };
        js_result(self.client.track(name, unit, value, properties))
    }

    /// Takes every queued event, oldest first, as one JSON array text.
    #[wasm_bindgen(js_name = drainEvents)]
    pub fn drain_events(&self) -> String {
        self.client.drain_events_json()
    }

    /// The counters (`queued`, `dropped`, `deduplicated`, `decisions`, `stickyAssignments`) as
    /// JSON text.
    pub fn stats(&self) -> String {
        let stats = self.client.stats();
        format!(
            "{{\"queued\":{},\"dropped\":{},\"deduplicated\":{},\"decisions\":{},\"stickyAssignments\":{}}}",
            stats.queued, stats.dropped, stats.deduplicated, stats.decisions, stats.sticky_assignments
        )
    }

    /// The sticky assignments as JSON text for the host to persist.
    #[wasm_bindgen(js_name = exportSticky)]
    pub fn export_sticky(&self) -> String {
        self.client.export_sticky()
    }

    /// Restores sticky assignments exported by `exportSticky`; returns how many the client
    /// holds afterwards. Throws a `TandemError` for a malformed or oversized snapshot.
    #[wasm_bindgen(js_name = importSticky)]
    pub fn import_sticky(&self, snapshot: &str) -> Result<u32, JsValue> {
        let held = js_result(self.client.import_sticky(snapshot))?;
        Ok(u32::try_from(held).unwrap_or(u32::MAX))
    }
}
