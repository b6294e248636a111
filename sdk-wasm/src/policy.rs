//! DESIGN §5 policy bundles for JS: load a sealed bundle and decide for a context — what a
//! browser that personalizes on-device runs with the client build, pinned by
//! `testdata/policies.json`.

use tandem::policy::{Bundle, DecisionError};
use tandem::{Context, ErrorKind};
use wasm_bindgen::prelude::*;

use crate::error::{js_result, WasmError};

/// A loaded, verified policy bundle.
#[wasm_bindgen(js_name = PolicyBundle)]
#[derive(Debug)]
pub struct WasmBundle {
    bundle: Bundle,
}

fn context(json: &str) -> Result<Context, JsValue> {
    js_result(Context::from_json(json))
}

fn decision_error(error: &DecisionError) -> JsValue {
    let js = WasmError::new(ErrorKind::InvalidContext, error.to_string()).to_js();
    // Setting a property on a fresh Error object cannot fail.
    let code = match error {
        DecisionError::UnitMissing => tandem::ErrorCode::TargetingKeyMissing,
        DecisionError::UnitInvalid => tandem::ErrorCode::InvalidContext,
        _ => tandem::ErrorCode::General,
    };
    let _ = js_sys::Reflect::set(&js, &"errorCode".into(), &code.as_str().into());
    js
}

#[wasm_bindgen(js_class = PolicyBundle)]
impl WasmBundle {
    /// Loads and verifies a bundle (digest, self-check vectors). Throws a `TandemError`
    /// (`INVALID_CONFIG`) naming the JSON path of the problem.
    #[wasm_bindgen(constructor)]
    pub fn new(json: &str) -> Result<WasmBundle, JsValue> {
        Bundle::from_json(json)
            .map(|bundle| WasmBundle { bundle })
            .map_err(|e| WasmError::new(ErrorKind::InvalidConfig, e.to_string()).to_js())
    }

    /// The bundle's `id`.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.bundle.id().to_owned()
    }

    /// The bundle's canonical digest.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.bundle.digest().to_owned()
    }

    /// The feature vector for a context (JSON object text); NaN for a missing value.
    pub fn features(&self, ctx_json: &str) -> Result<Vec<f64>, JsValue> {
        Ok(self.bundle.features(&context(ctx_json)?))
    }

    /// The raw scores (before the link) for a context.
    #[wasm_bindgen(js_name = rawScores)]
    pub fn raw_scores(&self, ctx_json: &str) -> Result<Vec<f64>, JsValue> {
        self.bundle
            .raw_scores(&context(ctx_json)?)
            .map_err(|e| decision_error(&e))
    }

    /// Decides for a context (JSON object text): the decision as JSON text (`policyId`,
    /// `version`, `digest`, `decisionKey`, `unit`, `draw`, `action`, `actionIndex`, `value`,
    /// `propensity`, `probabilities`, `scores`, `optimalityGap`). Throws a `TandemError`
    /// whose `errorCode` is the OpenFeature code (`TARGETING_KEY_MISSING`, ...) when the
    /// bundle cannot decide.
    pub fn decide(
        &self,
        ctx_json: &str,
        decision_key: Option<String>,
        eligible: Option<Vec<String>>,
    ) -> Result<String, JsValue> {
        let ctx = context(ctx_json)?;
        let eligible: Option<Vec<&str>> = eligible
            .as_ref()
            .map(|keys| keys.iter().map(String::as_str).collect());
        let decision = self
            .bundle
            .decide(
                &ctx,
                decision_key.as_deref().unwrap_or(""),
                eligible.as_deref(),
            )
            .map_err(|e| decision_error(&e))?;
        serde_json::to_string(&decision).map_err(|_| {
            WasmError::new(ErrorKind::InvalidJson, "decision: not serializable").to_js()
        })
    }
}
