//! Unleash's engine (`unleash-yggdrasil`), as its own bench calls it: an `EngineState` fed the
//! client features, `is_enabled` for a boolean flag, `get_variant` for a string (its payload),
//! `resolve_all` for every flag. Its context holds the targeting key as `userId` and every other
//! attribute as a string property.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tandem_bench_peers::convert::unleash::convert;
use tandem_bench_peers::flagd::Document;
use tandem_bench_peers::fresh::Input;
use unleash_yggdrasil::{ClientFeatures, Context, EngineState, ResolvedToggle};

use super::Engine;

/// Unleash with a config applied.
pub struct Unleash {
    engine: EngineState,
}

impl std::fmt::Debug for Unleash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unleash")
    }
}

fn no_context() -> Context {
    Context {
        user_id: None,
        session_id: None,
        environment: None,
        app_name: None,
        current_time: None,
        remote_address: None,
        properties: None,
    }
}

impl Engine for Unleash {
    type Loaded = EngineState;
    type Ctx = Context;
    type All = Option<HashMap<String, ResolvedToggle>>;

    fn native_config(flagd: &str) -> Result<String, String> {
        let doc = Document::parse(flagd).map_err(|e| e.to_string())?;
        convert(&doc)
            .map(|config| config.to_string())
            .map_err(|e| e.to_string())
    }

    fn load(config: &str) -> Result<EngineState, String> {
        let features: ClientFeatures = serde_json::from_str(config).map_err(|e| e.to_string())?;
        let engine = EngineState::default();
        match engine.apply_client_features(features) {
            None => Ok(engine),
            Some(warnings) => Err(format!("{} compile warnings", warnings.len())),
        }
    }

    fn ready(engine: EngineState) -> Self {
        Self { engine }
    }

    fn static_context(json: &Value) -> Context {
        let mut ctx = no_context();
        let mut properties = HashMap::new();
        for (name, value) in json.as_object().into_iter().flatten() {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if name == "targetingKey" {
                ctx.user_id = Some(text);
            } else {
                properties.insert(name.clone(), text);
            }
        }
        ctx.properties = Some(properties);
        ctx
    }

    fn context(input: &Input<'_>) -> Context {
        // Unleash properties are strings: the caller formats its numbers and booleans.
        let mut properties = HashMap::with_capacity(9);
        properties.insert("age".to_owned(), input.age.to_string());
        properties.insert("country".to_owned(), input.country.to_owned());
        properties.insert("plan".to_owned(), input.plan.to_owned());
        properties.insert("platform".to_owned(), input.platform.to_owned());
        properties.insert("appVersion".to_owned(), input.app_version.to_owned());
        properties.insert("locale".to_owned(), input.locale.to_owned());
        properties.insert("email".to_owned(), input.email.to_owned());
        properties.insert("beta".to_owned(), input.beta.to_string());
        properties.insert("sessions".to_owned(), input.sessions.to_string());
        Context {
            user_id: Some(input.targeting_key.to_owned()),
            properties: Some(properties),
            ..no_context()
        }
    }

    fn get_bool(&self, flag: &str, ctx: &Context) -> Option<bool> {
        Some(self.engine.is_enabled(flag, ctx, &None))
    }

    fn get_str<R>(&self, flag: &str, ctx: &Context, f: impl FnOnce(Option<&str>) -> R) -> R {
        let variant = self.engine.get_variant(flag, ctx, &None);
        f(variant
            .payload
            .as_ref()
            .filter(|_| variant.enabled)
            .map(|p| p.value.as_str()))
    }

    fn evaluate_all(&self, ctx: &Context, all: &mut Self::All) {
        *all = self.engine.resolve_all(ctx, &None);
    }

    fn all_len(all: &Self::All) -> usize {
        all.as_ref().map_or(0, HashMap::len)
    }

    fn all_values(&self, all: &Self::All) -> BTreeMap<String, Value> {
        all.iter()
            .flatten()
            .map(|(name, toggle)| {
                // A toggle with variants serves its variant's payload; one without serves
                // whether it is enabled.
                let value = match (&toggle.variant.payload, toggle.variant.enabled) {
                    (Some(payload), true) => Value::String(payload.value.clone()),
                    _ => Value::Bool(toggle.enabled),
                };
                (name.clone(), value)
            })
            .collect()
    }
}
