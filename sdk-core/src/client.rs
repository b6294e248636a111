//! The client: a loaded config plus the host's clock; the entry point of every surface.

use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::config::{Config, Diagnostic};
use crate::context::Context;
use crate::error::Error;
use crate::evaluation::{self, EvaluationDetails, FlagType};
use crate::limits::Limits;

/// Evaluates flags from one config, locally. Cheap to query from many call sites; an
/// [`update`](Client::update) swaps the whole config at once and keeps the last good one when
/// the new one fails to load.
pub struct Client {
    config: Option<Config>,
    clock: Box<dyn Clock>,
    limits: Limits,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with no config yet: every evaluation returns the caller's default with
    /// `PROVIDER_NOT_READY` until [`update`](Client::update) succeeds.
    pub fn new(clock: impl Clock + 'static) -> Self {
        Self {
            config: None,
            clock: Box::new(clock),
            limits: Limits::default(),
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

    /// Loads a new config. On failure the previous config keeps serving and the error is
    /// returned.
    ///
    /// # Errors
    /// As [`Config::parse`].
    pub fn update(&mut self, json: &str) -> Result<&Config, Error> {
        let config = Config::parse(json, &self.limits)?;
        Ok(self.config.insert(config))
    }

    /// The config being served, if any.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    /// The problems found in the config being served.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.config.as_ref().map_or(&[], Config::diagnostics)
    }

    /// Evaluates a flag, checking its value against `expected` (DESIGN §3). Never panics: every
    /// failure is a reason and an error code, with `default` as the value.
    pub fn evaluate<'a: 'd, 'd>(
        &'a self,
        flag_key: &'a str,
        ctx: &Context,
        default: &'d Value,
        expected: FlagType,
    ) -> EvaluationDetails<'a, &'d Value> {
        evaluation::resolve(
            self.config.as_ref(),
            flag_key,
            ctx,
            &*self.clock,
            default,
            expected,
        )
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
