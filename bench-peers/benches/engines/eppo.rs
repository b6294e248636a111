//! Eppo's core (`eppo_core`), as its own bench calls it: a `Configuration` from the UFC JSON,
//! `get_assignment` with the expected type, the subject key apart from the attributes (numbers
//! numeric, strings and booleans categorical). Eppo has no plain "evaluate all" (its precomputed
//! configuration builds a client payload, the counterpart of Tandem's `precompute_into`), so
//! all flags is a loop over the configuration's own flag keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use eppo_core::eval::get_assignment;
use eppo_core::ufc::{AssignmentValue, UniversalFlagConfig, VariationType};
use eppo_core::{AttributeValue, Attributes, Configuration, SdkMetadata, Str};
use serde_json::Value;
use tandem_bench_peers::convert::eppo::convert;
use tandem_bench_peers::flagd::Document;
use tandem_bench_peers::fresh::Input;

use super::Engine;

/// Eppo with a configuration.
pub struct Eppo {
    configuration: Configuration,
    /// Read once, as Eppo's bench does: the evaluation takes the time as an argument.
    now: DateTime<Utc>,
}

impl std::fmt::Debug for Eppo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Eppo")
    }
}

/// The subject key and the other attributes.
pub type EppoContext = (Str, Arc<Attributes>);

fn assignment_value(value: &AssignmentValue) -> Value {
    match value {
        AssignmentValue::String(s) => Value::String(s.to_string()),
        AssignmentValue::Boolean(b) => Value::Bool(*b),
        AssignmentValue::Integer(i) => Value::from(*i),
        AssignmentValue::Numeric(n) => Value::from(*n),
        AssignmentValue::Json { parsed, .. } => (**parsed).clone(),
    }
}

impl Engine for Eppo {
    type Loaded = Configuration;
    type Ctx = EppoContext;
    type All = Vec<Option<AssignmentValue>>;

    fn native_config(flagd: &str) -> Result<String, String> {
        let doc = Document::parse(flagd).map_err(|e| e.to_string())?;
        convert(&doc)
            .map(|config| config.to_string())
            .map_err(|e| e.to_string())
    }

    fn load(config: &str) -> Result<Configuration, String> {
        let meta = SdkMetadata {
            name: "tandem-bench-peers",
            version: "0.1.0",
        };
        let flags = UniversalFlagConfig::from_json(meta, config.as_bytes().to_vec())
            .map_err(|e| e.to_string())?;
        Ok(Configuration::from_server_response(flags, None))
    }

    fn ready(configuration: Configuration) -> Self {
        Self {
            configuration,
            now: Utc::now(),
        }
    }

    fn static_context(json: &Value) -> EppoContext {
        let mut key = Str::from("");
        let mut attributes = Attributes::new();
        for (name, value) in json.as_object().into_iter().flatten() {
            let value: AttributeValue = match value {
                Value::String(s) if name == "targetingKey" => {
                    key = Str::from(s.as_str());
                    continue;
                }
                Value::String(s) => s.as_str().into(),
                Value::Bool(b) => (*b).into(),
                Value::Number(n) => n.as_f64().unwrap_or_default().into(),
                _ => continue,
            };
            attributes.insert(Str::from(name.as_str()), value);
        }
        (key, Arc::new(attributes))
    }

    fn context(input: &Input<'_>) -> EppoContext {
        let mut attributes = Attributes::with_capacity(9);
        let mut put = |name: &'static str, value: AttributeValue| {
            attributes.insert(Str::from_static_str(name), value);
        };
        // Numbers as Eppo's numeric attributes, the rest categorical.
        put("age", (input.age as f64).into());
        put("country", input.country.into());
        put("plan", input.plan.into());
        put("platform", input.platform.into());
        put("appVersion", input.app_version.into());
        put("locale", input.locale.into());
        put("email", input.email.into());
        put("beta", input.beta.into());
        put("sessions", (input.sessions as f64).into());
        (Str::from(input.targeting_key), Arc::new(attributes))
    }

    fn get_bool(&self, flag: &str, (key, attributes): &EppoContext) -> Option<bool> {
        let assignment = get_assignment(
            Some(&self.configuration),
            flag,
            key,
            attributes,
            Some(VariationType::Boolean),
            self.now,
        );
        match assignment {
            Ok(Some(assignment)) => match assignment.value {
                AssignmentValue::Boolean(value) => Some(value),
                _ => None,
            },
            _ => None,
        }
    }

    fn get_str<R>(
        &self,
        flag: &str,
        (key, attributes): &EppoContext,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        let assignment = get_assignment(
            Some(&self.configuration),
            flag,
            key,
            attributes,
            Some(VariationType::String),
            self.now,
        );
        match assignment {
            Ok(Some(assignment)) => match &assignment.value {
                AssignmentValue::String(value) => f(Some(value)),
                _ => f(None),
            },
            _ => f(None),
        }
    }

    fn evaluate_all(&self, (key, attributes): &EppoContext, all: &mut Self::All) {
        all.clear();
        for flag in self.configuration.flag_keys() {
            let assignment = get_assignment(
                Some(&self.configuration),
                flag,
                key,
                attributes,
                None,
                self.now,
            );
            all.push(assignment.ok().flatten().map(|a| a.value));
        }
    }

    fn all_len(all: &Self::All) -> usize {
        all.len()
    }

    fn all_values(&self, all: &Self::All) -> BTreeMap<String, Value> {
        // `flag_keys` walks the same unchanged map in the same order as `evaluate_all` did.
        self.configuration
            .flag_keys()
            .zip(all)
            .filter_map(|(key, value)| Some((key.to_string(), assignment_value(value.as_ref()?))))
            .collect()
    }
}
