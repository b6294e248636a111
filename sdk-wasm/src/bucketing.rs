//! DESIGN §4 bucketing for JS: the same hashes, buckets, allocations, holdouts and policy
//! draws as every other surface, pinned by `testdata/bucketing.json`. The 64-bit hash crosses
//! as 16 hex digits: it does not fit a JS number.

use serde_json::Value;
use tandem::bucketing;
use wasm_bindgen::prelude::*;

use crate::error::WasmError;

/// `h(salt, unit)` as 16 lower-case hex digits.
#[wasm_bindgen(js_name = bucketHash)]
pub fn hash(salt: &str, unit: &str) -> String {
    format!("{:016x}", bucketing::hash(salt, unit))
}

/// `bucket(salt, unit)` in `[0, 10000)`.
#[wasm_bindgen(js_name = bucket)]
pub fn bucket(salt: &str, unit: &str) -> u32 {
    bucketing::bucket(salt, unit)
}

/// The allocated arm's index for integer `weights`, or -1 when they add up to 0.
#[wasm_bindgen(js_name = allocate)]
pub fn allocate(salt: &str, unit: &str, weights: &[u32]) -> i32 {
    bucketing::allocate(salt, unit, weights)
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(-1)
}

/// `round(percent × 100)`, clamped to `[0, 10000]`.
#[wasm_bindgen(js_name = holdoutThreshold)]
pub fn holdout_threshold(percent: f64) -> u32 {
    bucketing::holdout_threshold(percent)
}

/// Whether a holdout of `percent` catches the unit.
#[wasm_bindgen(js_name = heldOut)]
pub fn held_out(salt: &str, unit: &str, percent: f64) -> bool {
    bucketing::held_out(salt, unit, percent)
}

/// The policy draw in `[0, 1)`.
#[wasm_bindgen(js_name = policyDraw)]
pub fn policy_draw(salt: &str, unit: &str, decision_key: &str) -> f64 {
    bucketing::policy_draw(salt, unit, decision_key)
}

/// The unit a context value normalises to (DESIGN §4), from the value's JSON text, so that
/// integers beyond a double's precision keep their digits. Throws a `TandemError` whose
/// `problem` is `TARGETING_KEY_MISSING` or `INVALID_CONTEXT` for a value that is not a unit.
#[wasm_bindgen(js_name = normalizeUnit)]
pub fn normalize_unit(json: Option<String>) -> Result<String, JsValue> {
    let value: Option<Value> =
        match json {
            None => None,
            Some(text) => Some(serde_json::from_str(&text).map_err(|_| {
                WasmError::new(tandem::ErrorKind::InvalidJson, "unit: not JSON text")
            })?),
        };
    match bucketing::normalize_unit(value.as_ref()) {
        Ok(unit) => Ok(unit.into_owned()),
        Err(problem) => {
            let code = match problem {
                bucketing::UnitProblem::Missing => tandem::ErrorCode::TargetingKeyMissing,
                _ => tandem::ErrorCode::InvalidContext,
            };
            let error = WasmError::new(tandem::ErrorKind::InvalidContext, "not a unit").to_js();
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&error, &"problem".into(), &code.as_str().into());
            Err(error)
        }
    }
}
