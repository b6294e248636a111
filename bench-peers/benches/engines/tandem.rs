//! Tandem through its Rust API: a `Client` built from the config text, evaluated through a
//! `Reader` (the snapshot held for a run of evaluations, as Eppo's bench holds its
//! `Configuration` and GrowthBook's its `GrowthBook`), contexts built with the typed setters.

use std::collections::BTreeMap;

use serde_json::Value;
use tandem::{Client, Context, EvalOptions, FixedClock, Outcome, Reader};
use tandem_bench_peers::fresh::Input;

use super::Engine;

/// Mid-December 2026, fixed: evaluation reads no wall clock.
const NOW: i64 = 1_796_000_000;

/// A loaded Tandem client and a reader of its snapshot.
#[derive(Debug)]
pub struct Tandem {
    reader: Reader<'static>,
}

/// The flagd text as it is: Tandem loads flagd files natively.
pub fn flagd_config(flagd: &str) -> Result<String, String> {
    Ok(flagd.to_owned())
}

/// Tandem's experiment form of the splits ([`tandem_bench_peers::convert::tandem`]).
pub fn experiment_config(flagd: &str) -> Result<String, String> {
    tandem_bench_peers::convert::tandem::experiments(flagd)
        .map(|config| config.to_string())
        .map_err(|e| e.to_string())
}

/// The ten attributes of a fresh input, set into `ctx` with the typed setters.
pub fn fill(ctx: &mut Context, input: &Input<'_>) {
    ctx.set_str("targetingKey", input.targeting_key);
    ctx.set_int("age", input.age);
    ctx.set_str("country", input.country);
    ctx.set_str("plan", input.plan);
    ctx.set_str("platform", input.platform);
    ctx.set_str("appVersion", input.app_version);
    ctx.set_str("locale", input.locale);
    ctx.set_str("email", input.email);
    ctx.set_bool("beta", input.beta);
    ctx.set_int("sessions", input.sessions);
}

/// The host-API way the bindings reuse one context: cleared, then refilled.
pub fn refill(ctx: &mut Context, input: &Input<'_>) {
    ctx.clear();
    fill(ctx, input);
}

impl Engine for Tandem {
    type Loaded = Client;
    type Ctx = Context;
    type All = Vec<Outcome>;

    fn native_config(flagd: &str) -> Result<String, String> {
        flagd_config(flagd)
    }

    fn load(config: &str) -> Result<Client, String> {
        Client::from_json(config, FixedClock::at_unix_seconds(NOW), 7).map_err(|e| e.to_string())
    }

    fn ready(loaded: Client) -> Self {
        // A `Reader` borrows its client; the bench keeps a handful of clients for the whole
        // process, so leaking them is the simple way to hold both.
        let client: &'static Client = Box::leak(Box::new(loaded));
        Self {
            reader: client.reader(),
        }
    }

    fn static_context(json: &Value) -> Context {
        Context::from_value(json.clone()).unwrap_or_default()
    }

    fn context(input: &Input<'_>) -> Context {
        let mut ctx = Context::with_capacity(10);
        fill(&mut ctx, input);
        ctx
    }

    fn get_bool(&self, flag: &str, ctx: &Context) -> Option<bool> {
        let details = self.reader.get_bool(flag, ctx, false);
        details.error_code.is_none().then_some(details.value)
    }

    fn get_str<R>(&self, flag: &str, ctx: &Context, f: impl FnOnce(Option<&str>) -> R) -> R {
        let details = self.reader.get_string(flag, ctx, "");
        f(details.error_code.is_none().then_some(details.value))
    }

    fn evaluate_all(&self, ctx: &Context, all: &mut Vec<Outcome>) {
        self.reader.evaluate_all(ctx, &EvalOptions::default(), all);
    }

    fn all_len(all: &Vec<Outcome>) -> usize {
        all.len()
    }

    fn all_values(&self, all: &Vec<Outcome>) -> BTreeMap<String, Value> {
        let snapshot = self.reader.snapshot();
        all.iter()
            .filter(|o| o.error_code.is_none())
            .filter_map(|o| {
                let key = snapshot.flag_key(o.flag?)?;
                Some((key.to_owned(), snapshot.value(o)?.clone()))
            })
            .collect()
    }
}

/// Tandem with its experiment form of the splits; the same calls.
#[derive(Debug)]
pub struct TandemExperiment(pub Tandem);

impl Engine for TandemExperiment {
    type Loaded = Client;
    type Ctx = Context;
    type All = Vec<Outcome>;

    fn native_config(flagd: &str) -> Result<String, String> {
        experiment_config(flagd)
    }
    fn load(config: &str) -> Result<Client, String> {
        Tandem::load(config)
    }
    fn ready(loaded: Client) -> Self {
        Self(Tandem::ready(loaded))
    }
    fn static_context(json: &Value) -> Context {
        Tandem::static_context(json)
    }
    fn context(input: &Input<'_>) -> Context {
        Tandem::context(input)
    }
    fn get_bool(&self, flag: &str, ctx: &Context) -> Option<bool> {
        self.0.get_bool(flag, ctx)
    }
    fn get_str<R>(&self, flag: &str, ctx: &Context, f: impl FnOnce(Option<&str>) -> R) -> R {
        self.0.get_str(flag, ctx, f)
    }
    fn evaluate_all(&self, ctx: &Context, all: &mut Vec<Outcome>) {
        self.0.evaluate_all(ctx, all);
    }
    fn all_len(all: &Vec<Outcome>) -> usize {
        all.len()
    }
    fn all_values(&self, all: &Vec<Outcome>) -> BTreeMap<String, Value> {
        self.0.all_values(all)
    }
}
