//! GrowthBook's Rust SDK (`growthbook-rust`), as its own bench's `evaluate_core` calls it:
//! `GrowthBook::check` on the core struct built from the decoded features payload, attributes
//! as the SDK's typed `GrowthBookAttribute`s. GrowthBook has no "evaluate all": all flags is a
//! loop over its own feature map.

use std::collections::{BTreeMap, HashMap};

use growthbook_rust::dto::GrowthBookResponse;
use growthbook_rust::growthbook::GrowthBook as Core;
use growthbook_rust::model_public::{FeatureResult, GrowthBookAttribute, GrowthBookAttributeValue};
use serde_json::Value;
use tandem_bench_peers::convert::growthbook::convert;
use tandem_bench_peers::flagd::Document;
use tandem_bench_peers::fresh::Input;

use super::Engine;

/// GrowthBook with its features.
#[derive(Debug)]
pub struct GrowthBook {
    core: Core,
}

/// The SDK's attribute list (`None`: no attributes).
pub type GrowthBookContext = Option<Vec<GrowthBookAttribute>>;

fn attribute(name: &str, value: GrowthBookAttributeValue) -> GrowthBookAttribute {
    GrowthBookAttribute::new(name.to_owned(), value)
}

fn string(value: &str) -> GrowthBookAttributeValue {
    GrowthBookAttributeValue::String(value.to_owned())
}

impl Engine for GrowthBook {
    type Loaded = Core;
    type Ctx = GrowthBookContext;
    type All = Vec<FeatureResult>;

    fn native_config(flagd: &str) -> Result<String, String> {
        let doc = Document::parse(flagd).map_err(|e| e.to_string())?;
        convert(&doc)
            .map(|config| config.to_string())
            .map_err(|e| e.to_string())
    }

    fn load(config: &str) -> Result<Core, String> {
        // The SDK's offline load without its client wrapper (which copies the features once
        // more): decode the payload, build the core.
        let response: GrowthBookResponse =
            serde_json::from_str(config).map_err(|e| e.to_string())?;
        Ok(Core {
            forced_variations: response.forced_variations,
            features: response.features.unwrap_or_default(),
            attributes: None,
            sticky_bucket_service: None,
            saved_groups: HashMap::new(),
        })
    }

    fn ready(core: Core) -> Self {
        Self { core }
    }

    fn static_context(json: &Value) -> GrowthBookContext {
        GrowthBookAttribute::from(json.clone()).ok()
    }

    fn context(input: &Input<'_>) -> GrowthBookContext {
        Some(vec![
            attribute("targetingKey", string(input.targeting_key)),
            attribute("age", GrowthBookAttributeValue::Int(input.age)),
            attribute("country", string(input.country)),
            attribute("plan", string(input.plan)),
            attribute("platform", string(input.platform)),
            attribute("appVersion", string(input.app_version)),
            attribute("locale", string(input.locale)),
            attribute("email", string(input.email)),
            attribute("beta", GrowthBookAttributeValue::Bool(input.beta)),
            attribute("sessions", GrowthBookAttributeValue::Int(input.sessions)),
        ])
    }

    fn get_bool(&self, flag: &str, ctx: &GrowthBookContext) -> Option<bool> {
        self.core.check(flag, ctx).value.as_bool()
    }

    fn get_str<R>(
        &self,
        flag: &str,
        ctx: &GrowthBookContext,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        f(self.core.check(flag, ctx).value.as_str())
    }

    fn evaluate_all(&self, ctx: &GrowthBookContext, all: &mut Vec<FeatureResult>) {
        all.clear();
        all.extend(
            self.core
                .features
                .keys()
                .map(|key| self.core.check(key, ctx)),
        );
    }

    fn all_len(all: &Vec<FeatureResult>) -> usize {
        all.len()
    }

    fn all_values(&self, all: &Vec<FeatureResult>) -> BTreeMap<String, Value> {
        // The same unchanged map, walked in the same order as `evaluate_all` did.
        self.core
            .features
            .keys()
            .zip(all)
            .map(|(key, result)| (key.clone(), result.value.clone()))
            .collect()
    }
}
