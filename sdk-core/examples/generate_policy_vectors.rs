//! Writes `testdata/policies.json`, the cross-language vectors of DESIGN §5 (policy decisions):
//!
//! ```text
//! cargo run -p tandem --example generate_policy_vectors > testdata/policies.json
//! ```
//!
//! The bundles and contexts are written out below; every expected value (feature vectors,
//! scores, probabilities, draws, actions, propensities, the bundles' self-check vectors and
//! digests) comes from `tandem::policy`. No RNG and no clock, so running it again reproduces the
//! file byte for byte. `sdk-core/tests/policy_vectors.rs` includes this file as a module and
//! fails when the checked-in file differs from [`render`].
//!
//! Units whose draw lies within 1e-9 of a cumulative-probability boundary are skipped, so an
//! implementation whose probabilities differ from the core's in the last bits (allowed: 1e-9)
//! still picks the same actions.

use std::io::Write;
use std::process::ExitCode;

use serde_json::{json, Map, Value};
use tandem::policy::{canonical_digest, Bundle};
use tandem::Context;

/// The command that regenerates the file, recorded in it.
const GENERATOR: &str =
    "cargo run -p tandem --example generate_policy_vectors > testdata/policies.json";

/// Draws this close to a boundary are skipped (see the module docs).
const BOUNDARY_MARGIN: f64 = 1e-9;

/// Decisions per bundle and context.
const UNITS_PER_CONTEXT: usize = 4;

fn main() -> ExitCode {
    let text = match render() {
        Ok(text) => text,
        Err(message) => {
            eprintln!("generate_policy_vectors: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("generate_policy_vectors: cannot write: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One bundle: its name in the file, the bundle without `vectors` and `digest`, and the
/// contexts (without unit) its cases use.
struct Spec {
    name: &'static str,
    bundle: Value,
    contexts: Vec<Value>,
    /// Eligible-action lists to try on the first context.
    restrictions: Vec<Vec<&'static str>>,
}

fn actions(keys: &[&str]) -> Value {
    keys.iter()
        .map(|k| json!({"key": k, "value": {"variant": k}}))
        .collect()
}

fn numeric(name: &str, transform: Value, missing: Value) -> Value {
    json!({"name": name, "source": name, "kind": "numeric", "transform": transform, "missing": missing})
}

/// The checkout model of docs/policy-bundles.md under each exploration rule.
fn linear(name: &'static str, version: u64, exploration: Value) -> Spec {
    Spec {
        name,
        bundle: json!({
            "id": "checkout-cb", "version": version,
            "actions": actions(&["blue", "green", "orange"]),
            "features": [
                numeric("age", json!({"standardize": {"mean": 35.0, "std": 12.5}}), json!(35.0)),
                numeric("tenure_days", json!("log1p"), json!(0)),
                {"name": "member", "source": "member", "kind": "boolean", "transform": "identity", "missing": false}],
            "scorer": {"linear": {
                "weights": [[0.4, 0.1, 0.3], [-0.2, 0.25, 0.0], [0.05, -0.1, 0.6]],
                "bias": [0.1, 0.3, -0.2]}},
            "exploration": exploration
        }),
        contexts: vec![
            json!({"age": 31, "tenure_days": 120, "member": true}),
            json!({"age": 58, "tenure_days": 4, "member": false}),
            json!({"age": "22", "tenure_days": 900}),
            json!({"age": null, "tenure_days": -3, "member": "yes"}),
            json!({}),
        ],
        restrictions: vec![vec!["green", "orange"], vec!["orange"]],
    }
}

fn mlp() -> Spec {
    Spec {
        name: "mlp-softmax",
        bundle: json!({
            "id": "home-feed", "version": "2026-11-01",
            "actions": actions(&["news", "sports", "music"]),
            "features": [
                numeric("minutes", json!({"min_max": {"min": 0, "max": 120}}), json!(30)),
                numeric("sessions", json!({"clip": {"lo": 0, "hi": 20}}), json!(1)),
                numeric("score", json!("identity"), json!(0.5)),
                numeric("age", json!({"standardize": {"mean": 40, "std": 15}}), json!(40))],
            "scorer": {"mlp": {"layers": [
                {"weights": [[0.5, -0.3, 0.8, 0.1], [-0.6, 0.2, 0.1, 0.7], [0.3, 0.3, -0.5, 0.2],
                             [0.9, -0.1, 0.0, -0.4], [-0.2, 0.5, 0.4, 0.3]],
                 "bias": [0.1, -0.1, 0.05, 0.0, 0.2], "activation": "relu"},
                {"weights": [[0.7, -0.2, 0.1, 0.4, -0.3], [0.2, 0.6, -0.4, 0.1, 0.5],
                             [-0.5, 0.3, 0.8, -0.1, 0.2], [0.1, 0.1, 0.1, 0.1, 0.1]],
                 "bias": [0.0, 0.1, -0.1, 0.05], "activation": "tanh"},
                {"weights": [[1.2, -0.7, 0.3, 0.5], [-0.4, 1.1, 0.6, -0.2], [0.3, 0.2, -0.9, 1.0]],
                 "bias": [0.0, -0.1, 0.1], "activation": "sigmoid"}]}},
            "exploration": {"softmax": {"temperature": 0.05, "floor": 0.02}}
        }),
        contexts: vec![
            json!({"minutes": 45, "sessions": 3, "score": 0.9, "age": 27}),
            json!({"minutes": 200, "sessions": 50, "score": -1.2, "age": 71}),
            json!({"minutes": 0, "sessions": 0, "score": 0, "age": 40}),
            json!({"score": "0.25"}),
        ],
        restrictions: vec![vec!["sports", "music"]],
    }
}

/// `rows` × `columns` weights in [−0.5, 0.5], a fixed pattern (no RNG): row 0 is all zeros,
/// a constant baseline action.
fn grid(rows: usize, columns: usize) -> Value {
    (0..rows)
        .map(|r| {
            (0..columns)
                .map(|c| {
                    let step = if r == 0 { 5 } else { (r * 7 + c * 3) % 11 };
                    // An integer from −5 to 5, over 10: one decimal digit, exact as written.
                    json!((step as f64 - 5.0) / 10.0)
                })
                .collect::<Value>()
        })
        .collect()
}

fn mixed_features() -> Spec {
    Spec {
        name: "features-igw",
        bundle: json!({
            "id": "onboarding-tips", "version": 7,
            "description": "every transform kind and missing rule, a nested unit and a custom salt",
            "unit": "user.id", "salt": "tips-2026",
            "actions": actions(&["none", "tour", "video", "checklist"]),
            "features": [
                {"name": "age_band", "source": "user.age", "kind": "numeric",
                 "transform": {"bucketize": {"edges": [18, 25, 40, 65]}}, "missing": "indicator"},
                {"name": "platform", "source": "platform", "kind": "categorical",
                 "transform": {"one_hot": {"categories": ["ios", "android", "web"]}}, "missing": "indicator"},
                {"name": "country", "source": "country", "kind": "categorical",
                 "transform": {"hash": {"buckets": 8}}, "missing": "??"},
                {"name": "returning", "source": "returning", "kind": "boolean",
                 "transform": {"one_hot": {"categories": [true, false]}}, "missing": false},
                {"name": "plan", "source": "plan_code", "kind": "categorical",
                 "transform": "identity", "missing": 0},
                {"name": "spend", "source": "spend", "kind": "numeric",
                 "transform": "log1p", "missing": "indicator"}],
            "scorer": {"linear": {"weights": grid(4, 23), "bias": [0.0, 0.1, 0.05, -0.05]}},
            "exploration": {"igw": {"gamma": 4, "floor": 0.1}}
        }),
        contexts: vec![
            json!({"user": {"age": 33}, "platform": "ios", "country": "SE", "returning": true, "plan_code": 2, "spend": 120.5}),
            json!({"user": {"age": 70}, "platform": "tv", "country": "JP", "returning": false, "plan_code": "3", "spend": "0"}),
            json!({"user": {"age": 18}, "platform": 7, "country": 46, "plan_code": "gold", "spend": -1}),
            json!({"user": {}, "country": "Åland"}),
        ],
        restrictions: vec![
            vec!["tour", "checklist"],
            vec!["none", "video", "checklist"],
        ],
    }
}

fn trees() -> Spec {
    let split = |feature: u32, threshold: f64, left: u32| {
        json!({"feature": feature, "threshold": threshold, "left": left, "right": left + 1,
               "default_left": true, "missing": "nan"})
    };
    Spec {
        name: "trees-epsilon",
        bundle: json!({
            "id": "upsell", "version": 3,
            "actions": actions(&["basic", "plus", "pro"]),
            "features": [
                numeric("visits", json!("identity"), Value::Null),
                numeric("cart", json!({"clip": {"lo": 0, "hi": 500}}), Value::Null)],
            "scorer": {"trees": {"source": "lightgbm", "base_score": [0.2, -0.1, -0.4], "link": "softmax",
                "trees": [
                    {"output": 0, "nodes": [split(0, 3.5, 1), {"leaf": 0.4}, {"leaf": -0.3}]},
                    {"output": 1, "nodes": [split(1, 80.0, 1), {"leaf": -0.2}, split(0, 10.0, 3), {"leaf": 0.5}, {"leaf": 0.9}]},
                    {"output": 2, "nodes": [split(1, 250.0, 1), {"leaf": -0.5}, {"leaf": 1.1}]}]}},
            "exploration": {"epsilon_greedy": {"epsilon": 0.15}}
        }),
        contexts: vec![
            json!({"visits": 2, "cart": 40}),
            json!({"visits": 12, "cart": 120}),
            json!({"visits": 5, "cart": 900}),
            json!({"cart": 100}),
        ],
        restrictions: vec![vec!["plus", "pro"]],
    }
}

fn specs() -> Vec<Spec> {
    vec![
        linear("linear-greedy", 1, json!("greedy")),
        linear(
            "linear-epsilon",
            2,
            json!({"epsilon_greedy": {"epsilon": 0.2}}),
        ),
        linear(
            "linear-softmax",
            3,
            json!({"softmax": {"temperature": 0.5, "floor": 0.1}}),
        ),
        linear(
            "linear-igw",
            4,
            json!({"igw": {"gamma": 50, "floor": 0.05}}),
        ),
        mlp(),
        mixed_features(),
        trees(),
    ]
}

/// `context` with `unit` at the dotted `path` (nested objects created as needed).
fn with_unit(context: &Value, path: &str, unit: Value) -> Value {
    let mut context = context.clone();
    let mut at = &mut context;
    let segments: Vec<&str> = path.split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let Value::Object(map) = at else {
            break;
        };
        if i + 1 == segments.len() {
            map.insert((*segment).to_owned(), unit);
            break;
        }
        at = map.entry(*segment).or_insert_with(|| json!({}));
    }
    context
}

fn load(name: &str, bundle: &Value) -> Result<Bundle, String> {
    Bundle::from_value(bundle).map_err(|e| format!("bundle {name}: {e}"))
}

fn context(value: Value) -> Result<Context, String> {
    Context::from_value(value).map_err(|e| e.to_string())
}

/// Sets a field of a bundle object.
fn set(bundle: &mut Value, key: &str, value: Value) {
    if let Some(map) = bundle.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// The bundle with self-check vectors (its first two contexts) and its digest.
fn seal(spec: &Spec) -> Result<Value, String> {
    let mut bundle = spec.bundle.clone();
    set(&mut bundle, "vectors", json!([]));
    let loaded = load(spec.name, &bundle)?;
    let mut vectors = Vec::new();
    for ctx in spec.contexts.iter().take(2) {
        let with_unit = context(with_unit(ctx, loaded.unit_path(), json!("vector")))?;
        let decision = loaded
            .decide(&with_unit, "", None)
            .map_err(|e| format!("bundle {}: {e}", spec.name))?;
        vectors.push(json!({"context": ctx, "probabilities": decision.probabilities}));
    }
    set(&mut bundle, "vectors", Value::Array(vectors));
    let digest = canonical_digest(&bundle);
    set(&mut bundle, "digest", json!(digest));
    load(spec.name, &bundle)?;
    Ok(bundle)
}

/// The distance from `u` to the nearest cumulative-probability boundary.
fn boundary_distance(probabilities: &[f64], u: f64) -> f64 {
    let mut cumulative = 0.0;
    let mut nearest = f64::INFINITY;
    for p in probabilities.iter().filter(|p| **p > 0.0) {
        cumulative += p;
        nearest = nearest.min((u - cumulative).abs());
    }
    nearest
}

/// One decision as a case line; `None` when its draw is too close to a boundary.
fn case(
    name: &str,
    bundle: &Bundle,
    ctx: &Value,
    decision_key: &str,
    eligible: Option<&[&str]>,
) -> Result<Option<Value>, String> {
    let built = context(ctx.clone())?;
    let d = bundle
        .decide(&built, decision_key, eligible)
        .map_err(|e| format!("bundle {name}: {e}"))?;
    if boundary_distance(&d.probabilities, d.draw) < BOUNDARY_MARGIN {
        return Ok(None);
    }
    let raw = bundle
        .raw_scores(&built)
        .map_err(|e| format!("bundle {name}: {e}"))?;
    Ok(Some(json!({
        "bundle": name, "context": ctx, "decision_key": decision_key, "eligible": eligible,
        "unit": d.unit, "features": bundle.features(&built), "raw_scores": raw,
        "scores": d.scores, "probabilities": d.probabilities, "draw": d.draw,
        "action": d.action, "action_index": d.action_index, "propensity": d.propensity,
        "optimality_gap": d.optimality_gap,
    })))
}

/// Cases of one bundle: several units per context (string and integer units, with and without
/// a decision key), and the restrictions on its first context.
fn cases(spec: &Spec, sealed: &Value) -> Result<Vec<Value>, String> {
    let bundle = load(spec.name, sealed)?;
    let mut out = Vec::new();
    let mut counter = 0u64;
    let mut next = |ctx: &Value, slot: usize, eligible: Option<&[&str]>| loop {
        counter += 1;
        // Every fourth unit is an integer (DESIGN §4 normalises it to its digits); every third
        // decision has a per-request key.
        let unit = if slot % 4 == 2 {
            json!(counter)
        } else {
            json!(format!("u{counter}"))
        };
        let key = if slot % 3 == 1 {
            format!("req-{counter}")
        } else {
            String::new()
        };
        let ctx = with_unit(ctx, bundle.unit_path(), unit);
        if let Some(case) = case(spec.name, &bundle, &ctx, &key, eligible)? {
            return Ok::<_, String>(case);
        }
    };
    for ctx in &spec.contexts {
        for slot in 0..UNITS_PER_CONTEXT {
            out.push(next(ctx, slot, None)?);
        }
    }
    let first = spec.contexts.first().cloned().unwrap_or_else(|| json!({}));
    for eligible in &spec.restrictions {
        for slot in 0..2 {
            out.push(next(&first, slot, Some(eligible))?);
        }
    }
    Ok(out)
}

/// Contexts whose unit is not a unit, with the code each maps to (DESIGN §4).
fn unit_errors(specs: &[(&Spec, Bundle)]) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (spec, bundle) in specs {
        let first = spec.contexts.first().cloned().unwrap_or_else(|| json!({}));
        let path = bundle.unit_path();
        let mut values = vec![None, Some(Value::Null), Some(json!(true)), Some(json!(1.5))];
        values.extend([Some(json!("")), Some(json!({"id": 1})), Some(json!([1]))]);
        for unit in values {
            let ctx = match unit {
                Some(unit) => with_unit(&first, path, unit),
                None => first.clone(),
            };
            let error = match bundle.decide(&context(ctx.clone())?, "", None) {
                Ok(_) => return Err(format!("bundle {}: {ctx} has a unit", spec.name)),
                Err(tandem::policy::DecisionError::UnitMissing) => "TARGETING_KEY_MISSING",
                Err(tandem::policy::DecisionError::UnitInvalid) => "INVALID_CONTEXT",
                Err(other) => return Err(format!("bundle {}: {other}", spec.name)),
            };
            out.push(json!({"bundle": spec.name, "context": ctx, "error": error}));
        }
    }
    Ok(out)
}

fn header() -> Vec<(&'static str, Value)> {
    vec![
        (
            "description",
            json!(
                "Tandem policy vectors (DESIGN §5, docs/policy-bundles.md): fixed bundles and \
                 contexts, with the feature vector, scores, probabilities, policy draw, action \
                 and propensity of each decision. Normative: every implementation must \
                 reproduce every case."
            ),
        ),
        ("generator", json!(GENERATOR)),
        (
            "note",
            json!(
                "Generated by sdk-core/examples/generate_policy_vectors.rs; never edit by hand. \
                 The bundles and contexts are written in the generator; every expected value \
                 (including each bundle's self-check vectors and digest) is computed by \
                 tandem::policy, the Rust core. Regenerating reproduces this file byte for \
                 byte; sdk-core/tests/policy_vectors.rs asserts every case and fails when the \
                 file differs from the generator's output. No case's draw lies within 1e-9 of a \
                 cumulative-probability boundary, so an implementation within the tolerance \
                 picks the same actions."
            ),
        ),
        (
            "tolerance",
            json!({
                "features, scores, raw_scores, probabilities, propensity, optimality_gap":
                    "1e-9 absolute (the core reproduces them bit for bit; another \
                     implementation may sum in another order)",
                "draw, unit, action, action_index": "exact",
            }),
        ),
        (
            "fields",
            json!({
                "bundles": "name → a complete bundle (with self-check vectors and digest): load \
                            it as is",
                "bundle": "the name of the case's bundle",
                "context": "input: the evaluation context, unit included",
                "decision_key": "input: the draw's decision key",
                "eligible": "input: the eligible action keys, or null for all",
                "unit": "the normalised unit the draw hashed",
                "features": "the feature vector x (null stands for NaN: a missing value that \
                             trees route)",
                "raw_scores": "the scorer's output before exploration (trees: margins, no link)",
                "scores": "the scores exploration saw (trees: after the link)",
                "probabilities": "one per action, 0 for ineligible actions",
                "draw": "the policy draw u (DESIGN §4) of the bundle's salt, the unit and the \
                         decision key",
                "action, action_index": "the first action whose cumulative probability \
                                         exceeds the draw",
                "propensity": "the chosen action's probability",
                "optimality_gap": "best eligible score − chosen score",
                "unit_errors": "contexts without a usable unit and the error code each gives",
            }),
        ),
    ]
}

/// Appends `"name": [` + one compact JSON line per item + `]`.
fn write_lines(out: &mut String, name: &str, items: &[Value]) -> Result<(), String> {
    out.push_str(&format!("  {}: [\n", json!(name)));
    for (i, item) in items.iter().enumerate() {
        let line = serde_json::to_string(item).map_err(|e| e.to_string())?;
        let comma = if i + 1 < items.len() { "," } else { "" };
        out.push_str(&format!("    {line}{comma}\n"));
    }
    out.push_str("  ]");
    Ok(())
}

/// The whole `testdata/policies.json`.
///
/// # Errors
/// When a bundle or context written here does not load or decide (a bug in this file), or
/// serialization fails.
pub(crate) fn render() -> Result<String, String> {
    let specs = specs();
    let mut bundles = Map::new();
    let mut all_cases = Vec::new();
    let mut loaded = Vec::new();
    for spec in &specs {
        let sealed = seal(spec)?;
        all_cases.extend(cases(spec, &sealed)?);
        if matches!(spec.name, "linear-greedy" | "features-igw") {
            loaded.push((spec, load(spec.name, &sealed)?));
        }
        bundles.insert(spec.name.to_owned(), sealed);
    }
    let mut out = String::from("{\n");
    for (name, value) in header() {
        let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
        // JSON strings hold no raw newline, so this only indents the nested lines.
        let text = text.replace('\n', "\n  ");
        out.push_str(&format!("  {}: {text},\n", json!(name)));
    }
    out.push_str("  \"bundles\": {\n");
    for (i, (name, bundle)) in bundles.iter().enumerate() {
        let line = serde_json::to_string(bundle).map_err(|e| e.to_string())?;
        let comma = if i + 1 < bundles.len() { "," } else { "" };
        out.push_str(&format!("    {}: {line}{comma}\n", json!(name)));
    }
    out.push_str("  },\n");
    write_lines(&mut out, "unit_errors", &unit_errors(&loaded)?)?;
    out.push_str(",\n");
    write_lines(&mut out, "cases", &all_cases)?;
    out.push_str("\n}\n");
    Ok(out)
}
