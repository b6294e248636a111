//! The client: a loaded config plus the host's clock and the client's bounded state (event
//! queue, exposure deduplication, sticky assignments); the entry point of every surface.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use crate::bucketing;
use crate::clock::Clock;
use crate::config::{Config, Diagnostic};
use crate::context::Context;
use crate::error::{Error, ErrorKind};
use crate::evaluation::{self, EvalOptions, EvaluationDetails, FlagType, Inputs};
use crate::events::{DecisionEvent, Event, EventQueue, Exposure, LruSet, Stats, Track};
use crate::experiments::StickyStore;
use crate::limits::Limits;
use crate::precomputed::{Precomputed, PAYLOAD_VERSION};

/// Sizes of the client's bounded state. Memory stays within them however many distinct units
/// the client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacities {
    /// Events held until the host drains them; when full the oldest are dropped and counted.
    pub events: usize,
    /// Recent (unit, flag, experiment, variant) exposures remembered to log each only once.
    pub exposure_dedup: usize,
    /// Sticky assignments held (oldest forgotten first).
    pub sticky: usize,
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

/// What a client serves from.
#[derive(Debug)]
enum Source {
    /// A config: every flag evaluated for each context.
    Config(Config),
    /// One user's precomputed results (no rules).
    Precomputed(Precomputed),
}

/// The event queue and what deduplicates exposures, behind one lock.
#[derive(Debug)]
struct EventState {
    queue: EventQueue,
    seen: LruSet,
    deduplicated: u64,
}

/// Evaluates flags from one config, locally. Shareable across threads; an
/// [`update`](Client::update) swaps the whole config at once and keeps the last good one when
/// the new one fails to load.
pub struct Client {
    source: Option<Source>,
    clock: Box<dyn Clock>,
    limits: Limits,
    sticky: Mutex<StickyStore>,
    events: Mutex<EventState>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("source", &self.source)
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
    /// `PROVIDER_NOT_READY` until [`update`](Client::update) succeeds.
    pub fn new(clock: impl Clock + 'static) -> Self {
        let capacities = Capacities::default();
        Self {
            source: None,
            clock: Box::new(clock),
            limits: Limits::default(),
            sticky: Mutex::new(StickyStore::new(capacities.sticky)),
            events: Mutex::new(EventState {
                queue: EventQueue::new(capacities.events),
                seen: LruSet::new(capacities.exposure_dedup),
                deduplicated: 0,
            }),
        }
    }

    /// A client serving `json`.
    ///
    /// # Errors
    /// As [`Config::parse`]: when the document cannot be loaded at all. Problems inside single
    /// flags are not errors; see [`Client::diagnostics`].
    pub fn from_json(json: &str, clock: impl Clock + 'static) -> Result<Self, Error> {
        let mut client = Self::new(clock);
        client.update(json)?;
        Ok(client)
    }

    /// Replaces the limits used by later [`update`](Client::update)s.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Resizes the client's bounded state (empties the queue, the deduplication window and the
    /// sticky assignments: call it before use).
    pub fn with_capacities(mut self, capacities: Capacities) -> Self {
        self.sticky = Mutex::new(StickyStore::new(capacities.sticky));
        self.events = Mutex::new(EventState {
            queue: EventQueue::new(capacities.events),
            seen: LruSet::new(capacities.exposure_dedup),
            deduplicated: 0,
        });
        self
    }

    /// Loads a new config. On failure the previous config keeps serving and the error is
    /// returned. Sticky assignments of experiments that are no longer running are forgotten.
    ///
    /// # Errors
    /// As [`Config::parse`].
    pub fn update(&mut self, json: &str) -> Result<&Config, Error> {
        let config = Config::parse(json, &self.limits)?;
        lock(&self.sticky).retain_experiments(|key| config.experiment_is_running(key));
        match self.source.insert(Source::Config(config)) {
            Source::Config(config) => Ok(config),
            // Unreachable: the source was set to a config on the line above.
            Source::Precomputed(_) => Err(Error::new(
                ErrorKind::InvalidConfig,
                "$: internal error: the config was not kept",
            )),
        }
    }

    /// A client serving one user's precomputed payload (made by [`Client::precompute`]): no
    /// rules, only that user's results. The context passed to evaluations is not read.
    ///
    /// # Errors
    /// A payload that is not valid JSON or not a payload ([`ErrorKind::InvalidConfig`] with a
    /// JSON path), or one over [`Limits::max_document_bytes`].
    pub fn from_precomputed(json: &str, clock: impl Clock + 'static) -> Result<Self, Error> {
        let mut client = Self::new(clock);
        client.update_precomputed(json)?;
        Ok(client)
    }

    /// Replaces what the client serves with a precomputed payload; on failure the previous
    /// source keeps serving.
    ///
    /// # Errors
    /// As [`Client::from_precomputed`].
    pub fn update_precomputed(&mut self, json: &str) -> Result<(), Error> {
        let payload = Precomputed::parse(json, self.limits.max_document_bytes)?;
        self.source = Some(Source::Precomputed(payload));
        Ok(())
    }

    /// The config being served, if the client serves a config.
    pub fn config(&self) -> Option<&Config> {
        match &self.source {
            Some(Source::Config(config)) => Some(config),
            _ => None,
        }
    }

    /// The problems found in the config being served.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.config().map_or(&[], Config::diagnostics)
    }

    fn revision(&self) -> Option<&str> {
        match &self.source {
            Some(Source::Config(config)) => config.revision(),
            Some(Source::Precomputed(payload)) => payload.revision(),
            None => None,
        }
    }

    /// Evaluates every flag for one context and returns the payload a client built with
    /// [`Client::from_precomputed`] serves: that user's values, variants, reasons and the
    /// exposure each would log — no rules, no other users' data. Logs no exposure itself: the
    /// reading client does, when the app reads the flag.
    ///
    /// # Errors
    /// [`ErrorKind::NotReady`] when the client serves no config.
    pub fn precompute(&self, ctx: &Context) -> Result<String, Error> {
        let Some(config) = self.config() else {
            return Err(Error::new(
                ErrorKind::NotReady,
                "no config has been loaded yet",
            ));
        };
        let inputs = self.inputs();
        let flags: Vec<Value> = config
            .flag_keys()
            .map(|key| {
                let resolution = evaluation::resolve(
                    &inputs,
                    key,
                    ctx,
                    &Value::Null,
                    FlagType::Any,
                    &EvalOptions::default(),
                );
                let mut entry = serde_json::to_value(&resolution.details).unwrap_or(Value::Null);
                if let (Some(unit), Value::Object(map)) = (resolution.exposed_unit, &mut entry) {
                    map.insert("unit".to_owned(), Value::String(unit.into_owned()));
                }
                entry
            })
            .collect();
        let mut payload = Map::new();
        payload.insert("v".to_owned(), Value::from(PAYLOAD_VERSION));
        if let Some(revision) = config.revision() {
            payload.insert("revision".to_owned(), Value::from(revision));
        }
        payload.insert("flags".to_owned(), Value::Array(flags));
        Ok(Value::Object(payload).to_string())
    }

    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            config: self.config(),
            clock: &*self.clock,
            sticky: &self.sticky,
        }
    }

    /// Evaluates a flag, checking its value against `expected` (DESIGN §3), and queues an
    /// exposure event when an experiment assigned the variant (and a decision event when a
    /// policy chose the value). Never panics: every failure is a reason and an error code, with
    /// `default` as the value.
    pub fn evaluate<'a: 'd, 'd>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: &'d Value,
        expected: FlagType,
    ) -> EvaluationDetails<'a, &'d Value> {
        self.evaluate_with(flag_key, ctx, default, expected, &EvalOptions::default())
    }

    /// [`Client::evaluate`] with per-call options: a decision key for per-request
    /// randomisation of policies, and the eligible actions.
    pub fn evaluate_with<'a: 'd, 'd>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: &'d Value,
        expected: FlagType,
        options: &EvalOptions<'a>,
    ) -> EvaluationDetails<'a, &'d Value> {
        if let Some(Source::Precomputed(payload)) = &self.source {
            let served = payload.serve(flag_key, default, expected);
            if let Some(unit) = served.exposed_unit {
                self.log_exposure(&served.details, unit);
            }
            if served.details.decision.is_some() {
                self.log_decision(&served.details);
            }
            return served.details;
        }
        let resolution =
            evaluation::resolve(&self.inputs(), flag_key, ctx, default, expected, options);
        if let Some(unit) = &resolution.exposed_unit {
            self.log_exposure(&resolution.details, unit);
        }
        if resolution.details.decision.is_some() {
            self.log_decision(&resolution.details);
        }
        resolution.details
    }

    /// Queues `event` unless an event with the same `dedup_key` was queued recently.
    fn log_once(&self, dedup_key: u64, event: impl FnOnce() -> Event) {
        let mut events = lock(&self.events);
        if !events.seen.insert(dedup_key) {
            events.deduplicated += 1;
            return;
        }
        events.queue.push(event());
    }

    fn log_decision(&self, details: &EvaluationDetails<'_, &Value>) {
        let Some(decision) = &details.decision else {
            return;
        };
        let variant = details.variant.unwrap_or("");
        let key = bucketing::hash_parts(&[
            decision.unit.as_bytes(),
            &[0],
            details.flag_key.as_bytes(),
            &[0],
            variant.as_bytes(),
            &[0],
            decision.policy_id.as_bytes(),
            &[0],
            decision.version.as_bytes(),
            &[0],
            decision.action.as_bytes(),
            &[0],
            decision.decision_key.as_bytes(),
        ]);
        self.log_once(key, || {
            Event::Decision(DecisionEvent {
                flag: details.flag_key.to_owned(),
                variant: variant.to_owned(),
                experiment: details.experiment.map(|e| e.key.to_owned()),
                layer: details.experiment.and_then(|e| e.layer).map(str::to_owned),
                unit: decision.unit.clone().into_owned(),
                reason: details.reason.as_str(),
                revision: self.revision().map(str::to_owned),
                policy: format!("{}@{}", decision.policy_id, decision.version),
                digest: decision.digest.to_owned(),
                action: decision.action.to_owned(),
                propensity: decision.propensity,
                probabilities: decision.probabilities.clone(),
                optimality_gap: decision.optimality_gap,
                decision_key: decision.decision_key.to_owned(),
                timestamp: self.clock.now().unix_millis(),
            })
        });
    }

    fn log_exposure(&self, details: &EvaluationDetails<'_, &Value>, unit: &str) {
        let Some(experiment) = &details.experiment else {
            return;
        };
        let variant = details.variant.unwrap_or("");
        let key = bucketing::hash_parts(&[
            unit.as_bytes(),
            &[0],
            details.flag_key.as_bytes(),
            &[0],
            experiment.key.as_bytes(),
            &[0],
            variant.as_bytes(),
        ]);
        self.log_once(key, || {
            Event::Exposure(Exposure {
                flag: details.flag_key.to_owned(),
                variant: details.variant.map(str::to_owned),
                experiment: experiment.key.to_owned(),
                layer: experiment.layer.map(str::to_owned),
                holdout: experiment.holdout.map(str::to_owned),
                unit: unit.to_owned(),
                reason: details.reason.as_str(),
                revision: self.revision().map(str::to_owned),
                timestamp: self.clock.now().unix_millis(),
            })
        });
    }

    /// Queues an outcome event (a conversion, a guardrail metric) for `unit`.
    pub fn track(
        &self,
        name: &str,
        unit: &str,
        value: Option<f64>,
        properties: Map<String, Value>,
    ) {
        let track = Track {
            name: name.to_owned(),
            unit: unit.to_owned(),
            value: value.filter(|v| v.is_finite()),
            properties,
            timestamp: self.clock.now().unix_millis(),
        };
        lock(&self.events).queue.push(Event::Track(track));
    }

    /// Takes every queued event, oldest first.
    pub fn drain_events(&self) -> Vec<Event> {
        lock(&self.events).queue.drain()
    }

    /// Takes every queued event as one JSON array text (what hosts ship).
    pub fn drain_events_json(&self) -> String {
        // Events hold only strings, numbers and JSON values: serializing cannot fail.
        serde_json::to_string(&self.drain_events()).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Counters about the queue, deduplication and sticky assignments.
    pub fn stats(&self) -> Stats {
        let events = lock(&self.events);
        Stats {
            queued: events.queue.len(),
            dropped: events.queue.dropped(),
            deduplicated: events.deduplicated,
            sticky_assignments: lock(&self.sticky).len(),
        }
    }

    /// The sticky assignments as a compact JSON snapshot for the host to persist.
    pub fn export_sticky(&self) -> String {
        lock(&self.sticky).export().to_string()
    }

    /// Restores sticky assignments from a snapshot made by [`Client::export_sticky`]. Entries of
    /// experiments that are not running in the current config are ignored.
    ///
    /// # Errors
    /// A malformed snapshot; nothing is imported then.
    pub fn import_sticky(&self, snapshot: &str) -> Result<usize, Error> {
        let mut store = lock(&self.sticky);
        let count = store.import(snapshot)?;
        if let Some(config) = self.config() {
            store.retain_experiments(|key| config.experiment_is_running(key));
        }
        Ok(count)
    }

    // The typed getters pass `null` as the fallback and map it to their typed default: variant
    // values are never null, so `null` can only be the fallback.

    /// A boolean flag.
    pub fn get_bool<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: bool,
    ) -> EvaluationDetails<'a, bool> {
        let details = self.evaluate(flag_key, ctx, &Value::Null, FlagType::Boolean);
        details.map(|v| v.as_bool().unwrap_or(default))
    }

    /// A string flag.
    pub fn get_string<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: &'a str,
    ) -> EvaluationDetails<'a, &'a str> {
        let details = self.evaluate(flag_key, ctx, &Value::Null, FlagType::String);
        details.map(|v| v.as_str().unwrap_or(default))
    }

    /// An integer flag (an integer-valued number that fits `i64`).
    pub fn get_int<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: i64,
    ) -> EvaluationDetails<'a, i64> {
        let details = self.evaluate(flag_key, ctx, &Value::Null, FlagType::Integer);
        details.map(|v| evaluation::as_integer(v).unwrap_or(default))
    }

    /// A number flag.
    pub fn get_float<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: f64,
    ) -> EvaluationDetails<'a, f64> {
        let details = self.evaluate(flag_key, ctx, &Value::Null, FlagType::Float);
        details.map(|v| v.as_f64().unwrap_or(default))
    }

    /// An object flag.
    pub fn get_object<'a>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: &'a Map<String, Value>,
    ) -> EvaluationDetails<'a, &'a Map<String, Value>> {
        let details = self.evaluate(flag_key, ctx, &Value::Null, FlagType::Object);
        details.map(|v| v.as_object().unwrap_or(default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_shareable_across_threads() {
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<Client>();
    }
}
