//! A targeting rule alone, outside any flag: `datalogic-rs` (a JSON Logic engine, no flag
//! semantics) beside Tandem's own rule engine (`tandem::targeting::Rule`).
//!
//! datalogic-rs evaluates over its arena values: the reused context is parsed once
//! (`ParsedData`), a fresh one is built in the arena, and the arena is reset after each
//! evaluation, as its docs advise for repeated calls. Tandem's public rule entry point takes a
//! `serde_json::Value` (the typed `Context` path is only reachable through a flag), so a fresh
//! context for it is a JSON object built per call.

use datalogic_rs::bumpalo::Bump;
use datalogic_rs::{DataValue, Logic, ParsedData};
use serde_json::{json, Value};
use tandem::targeting::{CompileOptions, Env, Rule};
use tandem_bench_peers::fresh::Input;

/// A compiled rule in datalogic-rs.
pub struct Datalogic {
    engine: datalogic_rs::Engine,
    logic: Logic,
}

impl std::fmt::Debug for Datalogic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Datalogic")
    }
}

/// A fresh input as a datalogic-rs object in `arena`.
pub fn context<'a>(input: &Input<'_>, arena: &'a Bump) -> &'a DataValue<'a> {
    let text = |s: &str| DataValue::from_str_in(s, arena);
    let fields = arena.alloc([
        ("targetingKey", text(input.targeting_key)),
        ("age", DataValue::from_i64(input.age)),
        ("country", text(input.country)),
        ("plan", text(input.plan)),
        ("platform", text(input.platform)),
        ("appVersion", text(input.app_version)),
        ("locale", text(input.locale)),
        ("email", text(input.email)),
        ("beta", DataValue::bool(input.beta)),
        ("sessions", DataValue::from_i64(input.sessions)),
    ]);
    arena.alloc(DataValue::Object(fields))
}

impl Datalogic {
    /// Compiles a rule.
    pub fn compile(rule: &Value) -> Result<Self, String> {
        let engine = datalogic_rs::Engine::new();
        let logic = engine
            .compile(rule.to_string().as_str())
            .map_err(|e| e.to_string())?;
        Ok(Self { engine, logic })
    }

    /// The reused context, parsed once.
    pub fn parse_context(json: &str) -> Result<ParsedData, String> {
        ParsedData::from_json(json).map_err(|e| e.to_string())
    }

    /// Evaluates over the reused context; the result is handed to `f` as a string.
    pub fn eval_parsed<R>(
        &self,
        data: &ParsedData,
        arena: &mut Bump,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        let out = match self.engine.evaluate(&self.logic, data, arena) {
            Ok(value) => f(value.as_str()),
            Err(_) => f(None),
        };
        arena.reset();
        out
    }

    /// Builds a fresh context in the arena and evaluates over it.
    pub fn eval_fresh<R>(
        &self,
        input: &Input<'_>,
        arena: &mut Bump,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        let out = {
            let data = context(input, arena);
            match self.engine.evaluate(&self.logic, data, arena) {
                Ok(value) => f(value.as_str()),
                Err(_) => f(None),
            }
        };
        arena.reset();
        out
    }
}

/// A compiled rule in Tandem's targeting engine.
#[derive(Debug)]
pub struct TandemRule {
    rule: Rule,
    flag_key: String,
}

/// A fresh input as the JSON object Tandem's rule entry point reads.
pub fn json_context(input: &Input<'_>) -> Value {
    json!({
        "targetingKey": input.targeting_key,
        "age": input.age,
        "country": input.country,
        "plan": input.plan,
        "platform": input.platform,
        "appVersion": input.app_version,
        "locale": input.locale,
        "email": input.email,
        "beta": input.beta,
        "sessions": input.sessions,
    })
}

impl TandemRule {
    /// Compiles a rule; `flag_key` is what `$flagd.flagKey` and `fractional` would read.
    pub fn compile(rule: &Value, flag_key: &str) -> Result<Self, String> {
        let compiled =
            Rule::compile(rule, &CompileOptions::default()).map_err(|e| e.to_string())?;
        Ok(Self {
            rule: compiled.rule,
            flag_key: flag_key.to_owned(),
        })
    }

    /// Evaluates over a JSON context; the result is handed to `f` as a string.
    pub fn eval<R>(&self, data: &Value, f: impl FnOnce(Option<&str>) -> R) -> R {
        let env = Env {
            flag_key: &self.flag_key,
            timestamp: 0,
        };
        match self.rule.evaluate(data, &env) {
            Ok(value) => f(value.as_str()),
            Err(_) => f(None),
        }
    }
}
