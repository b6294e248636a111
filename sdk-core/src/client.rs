//! The client: the current [`Snapshot`] behind a pointer that updates swap, and the state that
//! lives beside it and survives updates (the host's clock, the event log, sticky assignments).
//! The entry point of every surface (DESIGN §7).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::context::Context;
use crate::error::{Error, ErrorKind};
use crate::evaluation::call::{Call, Now};
use crate::evaluation::typed::check_type;
use crate::evaluation::{
    as_integer, EvalOptions, EvaluationDetails, FlagType, Outcome, SnapshotRef,
};
use crate::events::{Event, EventLog, Stats, Track};
use crate::experiments::StickyStore;
use crate::limits::Limits;
use crate::precomputed;
use crate::reader::Reader;
use crate::snapshot::Snapshot;

/// Sizes of the client's bounded state. Memory stays within them however many distinct units
/// the client sees. Each is clamped to `1..=`[`Capacities::MAX`], so no arithmetic on them can
/// overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacities {
    /// Events held until the host drains them; when full the oldest are dropped and counted.
    pub events: usize,
    /// Recent (unit, flag, experiment, variant) exposures remembered to log each only once.
    pub exposure_dedup: usize,
    /// Sticky assignments held (oldest forgotten first).
    pub sticky: usize,
}

impl Capacities {
    /// The largest value of each capacity (16,777,216).
    pub const MAX: usize = 1 << 24;

    fn clamped(self) -> Self {
        let clamp = |n: usize| n.clamp(1, Self::MAX);
        Self {
            events: clamp(self.events),
            exposure_dedup: clamp(self.exposure_dedup),
            sticky: clamp(self.sticky),
        }
    }
}

impl Default for Capacities {
    fn default() -> Self {
        Self {
            events: 1_000,
            exposure_dedup: 10_000,
            sticky: 10_000,
        }
    }
}

/// Evaluates flags locally. `Send + Sync`, every method takes `&self`: one client serves many
/// threads, and an [`update`](Client::update) parses with no lock held, then swaps the snapshot
/// pointer, so evaluating threads never wait for a parse. A failed update keeps the last good
/// snapshot serving.
pub struct Client {
    current: RwLock<Arc<Snapshot>>,
    generations: AtomicU64,
    clock: Box<dyn Clock>,
    limits: Limits,
    capacities: Capacities,
    entropy: u64,
    log: EventLog,
    sticky: Mutex<StickyStore>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("snapshot", &self.snapshot().generation())
            .field("limits", &self.limits)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain data; the data is
/// still consistent enough to keep serving, which beats failing every later evaluation.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Client {
    /// A client with no config yet: every evaluation returns the caller's default with
    /// `PROVIDER_NOT_READY` until an update succeeds.
    ///
    /// `entropy` comes from the host's random source (the core draws no randomness): it keys
    /// the hash maps of user input — exposure deduplication and sticky assignments — so units
    /// crafted to collide cost no more than any others (DESIGN §6). It changes no result.
    pub fn new(clock: impl Clock + 'static, entropy: u64) -> Self {
        let capacities = Capacities::default();
        Self {
            current: RwLock::new(Arc::new(Snapshot::empty(0))),
            generations: AtomicU64::new(1),
            clock: Box::new(clock),
            limits: Limits::default(),
            capacities,
            entropy,
            log: EventLog::new(capacities.events, capacities.exposure_dedup, entropy),
            sticky: Mutex::new(StickyStore::new(capacities.sticky, entropy)),
        }
    }

    /// A client serving the config `json`.
    ///
    /// # Errors
    /// As [`crate::Config::parse`]: when the document cannot be loaded at all. Problems inside
    /// single flags are not errors; see [`Snapshot::diagnostics`].
    ///
    /// ```
    /// use tandem::{Client, Context, FixedClock};
    ///
    /// let client = Client::from_json(
    ///     r#"{"flags": {"f": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#,
    ///     FixedClock::at_unix_seconds(0),
    ///     0x5eed,
    /// )?;
    /// assert!(client.get_bool("f", &Context::new(), false).value);
    /// # Ok::<(), tandem::Error>(())
    /// ```
    #[cfg(feature = "config")]
    pub fn from_json(json: &str, clock: impl Clock + 'static, entropy: u64) -> Result<Self, Error> {
        let client = Self::new(clock, entropy);
        client.update(json)?;
        Ok(client)
    }

    /// A client serving one user's precomputed payload (made by [`Client::precompute`]): no
    /// rules, only that user's results.
    ///
    /// # Errors
    /// As [`Client::update_precomputed`].
    pub fn from_precomputed(
        json: &str,
        clock: impl Clock + 'static,
        entropy: u64,
    ) -> Result<Self, Error> {
        let client = Self::new(clock, entropy);
        client.update_precomputed(json)?;
        Ok(client)
    }

    /// Replaces the limits used by later updates and evaluations.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Resizes the client's bounded state (empties the queue, the deduplication window and the
    /// sticky assignments: call it before use). Each capacity is clamped to
    /// `1..=`[`Capacities::MAX`].
    pub fn with_capacities(mut self, capacities: Capacities) -> Self {
        let capacities = capacities.clamped();
        self.capacities = capacities;
        self.log = EventLog::new(capacities.events, capacities.exposure_dedup, self.entropy);
        self.sticky = Mutex::new(StickyStore::new(capacities.sticky, self.entropy));
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The snapshot being served now. Evaluations started later may see a newer one.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The current snapshot, held for a run of evaluations: the [`Reader`]'s results borrow it,
    /// so a loop over many flags or contexts loads the snapshot pointer once, instead of once
    /// per call as the client's own getters do.
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(self, self.snapshot())
    }

    fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed)
    }

    /// Makes `snapshot` the one served. The previous one is dropped after the write lock is
    /// released (dropping a large config takes time that readers must not wait for).
    fn swap(&self, snapshot: Arc<Snapshot>) {
        let previous = {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            std::mem::replace(&mut *current, snapshot)
        };
        drop(previous);
    }

    /// Loads a new config: parses and compiles it with no lock held, then swaps it in. On
    /// failure the previous snapshot keeps serving and the error is returned. Sticky
    /// assignments survive, except those of experiments the new config stops, and of
    /// experiments missing from every config for more than a day of host time (a broken
    /// experiment keeps them; docs/host-api.md, "Sticky assignments across updates").
    ///
    /// # Errors
    /// As [`crate::Config::parse`].
    #[cfg(feature = "config")]
    pub fn update(&self, json: &str) -> Result<Arc<Snapshot>, Error> {
        let config = crate::config::Config::parse(json, &self.limits)?;
        let snapshot = Arc::new(Snapshot::from_config(config, self.next_generation()));
        let now = self.clock.now();
        if let Some(config) = snapshot.config() {
            lock(&self.sticky).retain_for(config, now);
        }
        self.swap(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// Serves a precomputed payload from now on; on failure the previous snapshot keeps
    /// serving.
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] over [`Limits::max_payload_bytes`] or [`Limits::max_flags`]
    /// entries, [`ErrorKind::InvalidJson`], or [`ErrorKind::InvalidConfig`] with a JSON path
    /// for a payload that does not hold together (see the `precomputed` module docs).
    pub fn update_precomputed(&self, json: &str) -> Result<Arc<Snapshot>, Error> {
        let snapshot = Arc::new(precomputed::parse(
            json,
            &self.limits,
            self.next_generation(),
        )?);
        self.swap(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    pub(crate) fn call<'a>(&'a self, options: &EvalOptions<'a>) -> Call<'a> {
        Call {
            options: *options,
            now: Now::new(&*self.clock, options.now),
            sticky: &self.sticky,
            max_unit_bytes: self.limits.max_unit_bytes,
            max_decision_context_bytes: self.limits.max_decision_context_bytes,
        }
    }

    /// Logs what reading `outcome` means: its exposure and its decision (DESIGN §6).
    #[inline]
    pub(crate) fn log(
        &self,
        snapshot: &Snapshot,
        ctx: &Context,
        outcome: &Outcome,
        call: &Call<'_>,
    ) {
        // Most reads log nothing: the check stays inline, the logging out of line.
        if outcome.exposed || outcome.decision.is_some() {
            self.log_events(snapshot, ctx, outcome, call);
        }
    }

    #[inline(never)]
    fn log_events(&self, snapshot: &Snapshot, ctx: &Context, outcome: &Outcome, call: &Call<'_>) {
        let unit = snapshot.exposure_unit(ctx, outcome, self.limits.max_unit_bytes);
        // Read before the log's lock is taken.
        let now = call.now.get();
        self.log.record(snapshot, outcome, unit.as_deref(), now);
    }

    /// One flag, typed and logged, as details holding or borrowing `snapshot`.
    pub(crate) fn details<'s, T>(
        &self,
        snapshot: SnapshotRef<'s>,
        flag_key: &str,
        ctx: &Context,
        expected: FlagType,
        options: &EvalOptions<'_>,
        value: impl FnOnce(&Snapshot, &Outcome) -> T,
    ) -> EvaluationDetails<'s, T> {
        let call = self.call(options);
        let mut outcome = snapshot.outcome_for_key(flag_key, ctx, &call);
        check_type(&snapshot, &mut outcome, expected);
        self.log(&snapshot, ctx, &outcome, &call);
        let value = value(&snapshot, &outcome);
        EvaluationDetails::new(snapshot, outcome, flag_key, value)
    }

    /// [`Client::details`] for the flag at index `flag`, the outcome alone.
    pub(crate) fn outcome_at(
        &self,
        snapshot: &Snapshot,
        flag: u32,
        ctx: &Context,
        expected: FlagType,
        options: &EvalOptions<'_>,
    ) -> Outcome {
        let call = self.call(options);
        let mut outcome = snapshot.outcome_for_index(flag, ctx, &call);
        check_type(snapshot, &mut outcome, expected);
        self.log(snapshot, ctx, &outcome, &call);
        outcome
    }

    /// Evaluates a flag, checking its value against `expected` (DESIGN §3), and logs the
    /// exposure when an experiment assigned the unit and the decision when a policy chose the
    /// value. Never panics: every failure is a reason and an error code, with `default` as the
    /// value.
    pub fn evaluate(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: &Value,
        expected: FlagType,
    ) -> EvaluationDetails<'static, Value> {
        self.evaluate_with(flag_key, ctx, default, expected, &EvalOptions::default())
    }

    /// [`Client::evaluate`] with per-call options: a decision key for per-request
    /// randomisation of policies, the eligible actions, the time.
    pub fn evaluate_with(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: &Value,
        expected: FlagType,
        options: &EvalOptions<'_>,
    ) -> EvaluationDetails<'static, Value> {
        self.details(
            SnapshotRef::Shared(self.snapshot()),
            flag_key,
            ctx,
            expected,
            options,
            |s, o| s.value(o).unwrap_or(default).clone(),
        )
    }

    /// A boolean flag.
    pub fn get_bool(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: bool,
    ) -> EvaluationDetails<'static, bool> {
        self.typed(flag_key, ctx, FlagType::Boolean, |s, o| {
            s.value(o).and_then(Value::as_bool).unwrap_or(default)
        })
    }

    /// A string flag. The value is shared with the snapshot (`Arc<str>`, dereferencing to
    /// `&str`): serving it copies no string; only the caller's default is copied, when served.
    pub fn get_string(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: &str,
    ) -> EvaluationDetails<'static, Arc<str>> {
        self.typed(flag_key, ctx, FlagType::String, |snapshot, outcome| {
            snapshot
                .value_str(outcome)
                .cloned()
                .unwrap_or_else(|| Arc::from(default))
        })
    }

    /// An integer flag (an integer-valued number that fits `i64`).
    pub fn get_int(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: i64,
    ) -> EvaluationDetails<'static, i64> {
        self.typed(flag_key, ctx, FlagType::Integer, |s, o| {
            s.value(o).and_then(as_integer).unwrap_or(default)
        })
    }

    /// A number flag.
    pub fn get_float(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: f64,
    ) -> EvaluationDetails<'static, f64> {
        self.typed(flag_key, ctx, FlagType::Float, |s, o| {
            s.value(o).and_then(Value::as_f64).unwrap_or(default)
        })
    }

    /// An object flag.
    pub fn get_object(
        &self,
        flag_key: &str,
        ctx: &Context,
        default: &Map<String, Value>,
    ) -> EvaluationDetails<'static, Map<String, Value>> {
        self.typed(flag_key, ctx, FlagType::Object, |s, o| {
            s.value(o)
                .and_then(Value::as_object)
                .unwrap_or(default)
                .clone()
        })
    }

    fn typed<T>(
        &self,
        flag_key: &str,
        ctx: &Context,
        expected: FlagType,
        value: impl FnOnce(&Snapshot, &Outcome) -> T,
    ) -> EvaluationDetails<'static, T> {
        self.details(
            SnapshotRef::Shared(self.snapshot()),
            flag_key,
            ctx,
            expected,
            &EvalOptions::default(),
            value,
        )
    }

    /// Evaluates every flag of the current snapshot for one context into `outcomes` (cleared
    /// first; its allocation is reused) and logs nothing: the static-context path (DESIGN §7)
    /// evaluates once per context, then logs what the app reads with
    /// [`Client::record_read`]. Returns the snapshot the outcomes index.
    pub fn evaluate_all(&self, ctx: &Context, outcomes: &mut Vec<Outcome>) -> Arc<Snapshot> {
        let reader = self.reader();
        reader.evaluate_all(ctx, &EvalOptions::default(), outcomes);
        reader.into_snapshot()
    }

    /// Logs what the app's first read of an outcome means — its exposure (deduplicated) and its
    /// decision (DESIGN §6) — after checking its value against `expected`, and returns the
    /// outcome the app should act on (the caller's default with `TYPE_MISMATCH` when the value
    /// has another type). `snapshot` and `ctx` are the ones the outcome was evaluated with.
    pub fn record_read(
        &self,
        snapshot: &Snapshot,
        ctx: &Context,
        outcome: &Outcome,
        expected: FlagType,
    ) -> Outcome {
        let mut outcome = outcome.clone();
        check_type(snapshot, &mut outcome, expected);
        self.log(snapshot, ctx, &outcome, &self.call(&EvalOptions::default()));
        outcome
    }

    /// Evaluates every flag for one context and writes the payload a client built with
    /// [`Client::from_precomputed`] serves — that user's values, variants, reasons and the
    /// exposure and decision each logs when read; no rules, no other users' data — into `out`
    /// (replacing its content, reusing its allocation). Logs nothing itself: the reading client
    /// does, when the app reads the flag.
    ///
    /// # Errors
    /// [`ErrorKind::NotReady`] when the client serves nothing yet.
    pub fn precompute_into(
        &self,
        ctx: &Context,
        options: &EvalOptions<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.reader().precompute_into(ctx, options, out)
    }

    /// [`Client::precompute_into`] as a new string.
    ///
    /// # Errors
    /// As [`Client::precompute_into`].
    pub fn precompute(&self, ctx: &Context) -> Result<String, Error> {
        let mut out = Vec::new();
        self.precompute_into(ctx, &EvalOptions::default(), &mut out)?;
        // The writer writes JSON text only, which is UTF-8.
        String::from_utf8(out)
            .map_err(|_| Error::new(ErrorKind::InvalidJson, "internal error: payload not UTF-8"))
    }

    /// Queues an outcome event (a conversion, a guardrail metric) for `unit`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidArgument`] for an empty name or unit; [`ErrorKind::LimitExceeded`]
    /// for a name over [`Limits::max_track_name_bytes`], a unit over
    /// [`Limits::max_unit_bytes`] or properties whose JSON is over
    /// [`Limits::max_track_properties_bytes`] (or nested deeper than a context may be). Nothing
    /// is queued then.
    pub fn track(
        &self,
        name: &str,
        unit: &str,
        value: Option<f64>,
        properties: Map<String, Value>,
    ) -> Result<(), Error> {
        let limits = &self.limits;
        if name.is_empty() || unit.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "track: the event name and the unit must not be empty",
            ));
        }
        let over = |what: &str, len: usize, max: usize| {
            Error::new(
                ErrorKind::LimitExceeded,
                format!("track: the {what} is {len} bytes, more than the limit of {max}"),
            )
        };
        if name.len() > limits.max_track_name_bytes {
            return Err(over("name", name.len(), limits.max_track_name_bytes));
        }
        if unit.len() > limits.max_unit_bytes {
            return Err(over("unit", unit.len(), limits.max_unit_bytes));
        }
        let properties = Value::Object(properties);
        if crate::context::json_depth(&properties) > crate::context::MAX_CONTEXT_DEPTH {
            crate::context::drop_deep(properties);
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                "track: the properties are nested too deeply",
            ));
        }
        let size = serde_json::to_vec(&properties).map_or(usize::MAX, |text| text.len());
        if size > limits.max_track_properties_bytes {
            return Err(over(
                "properties' JSON",
                size,
                limits.max_track_properties_bytes,
            ));
        }
        let Value::Object(properties) = properties else {
            return Ok(());
        };
        let timestamp = self.clock.now().unix_millis();
        self.log.track(Track {
            name: name.to_owned(),
            unit: unit.to_owned(),
            value: value.filter(|v| v.is_finite()),
            properties,
            timestamp,
        });
        Ok(())
    }

    /// Takes every queued event, oldest first.
    pub fn drain_events(&self) -> Vec<Event> {
        self.log.drain()
    }

    /// Takes every queued event as one JSON array text (what hosts ship).
    pub fn drain_events_json(&self) -> String {
        // Events hold only strings, numbers and JSON values: serializing cannot fail.
        serde_json::to_string(&self.drain_events()).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Counters about the queue, deduplication and sticky assignments.
    pub fn stats(&self) -> Stats {
        let counts = self.log.counts();
        Stats {
            queued: counts.queued,
            dropped: counts.dropped,
            deduplicated: counts.deduplicated,
            decisions: counts.decisions,
            sticky_assignments: lock(&self.sticky).len(),
        }
    }

    /// The sticky assignments as a compact JSON snapshot for the host to persist.
    pub fn export_sticky(&self) -> String {
        // `serde_json::to_string` rather than `Value`'s `Display`: the same text through the one
        // serializer instantiation (over `Vec<u8>`) the wasm builds already have.
        serde_json::to_string(&lock(&self.sticky).export()).unwrap_or_default()
    }

    /// Restores sticky assignments from a snapshot made by [`Client::export_sticky`], and
    /// returns how many of its entries the client now holds: entries of experiments the
    /// current config has stopped, entries whose unit is over [`Limits::max_unit_bytes`], and
    /// entries beyond the sticky capacity (the oldest go first) are not kept.
    ///
    /// # Errors
    /// [`ErrorKind::LimitExceeded`] for a snapshot over
    /// [`Limits::max_sticky_snapshot_bytes`]; a malformed snapshot
    /// ([`ErrorKind::InvalidJson`], [`ErrorKind::InvalidConfig`]). Nothing is imported then.
    pub fn import_sticky(&self, snapshot: &str) -> Result<usize, Error> {
        if snapshot.len() > self.limits.max_sticky_snapshot_bytes {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "sticky snapshot: {} bytes, more than the limit of {} \
                     (max_sticky_snapshot_bytes)",
                    snapshot.len(),
                    self.limits.max_sticky_snapshot_bytes
                ),
            ));
        }
        #[cfg(feature = "config")]
        let current = self.snapshot();
        #[cfg(feature = "config")]
        let stopped = |experiment: &str| {
            current.config().is_some_and(|c| {
                c.experiment_status(experiment)
                    == Some(Some(crate::config::ExperimentStatus::Stopped))
            })
        };
        #[cfg(not(feature = "config"))]
        let stopped = |_: &str| false;
        lock(&self.sticky).import(snapshot, self.limits.max_unit_bytes, stopped)
    }
}
