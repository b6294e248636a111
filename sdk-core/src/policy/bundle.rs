//! A policy bundle: loading (parse, validate, digest, self-check) and deciding.

use serde_json::{Map, Value};

use super::decision::Decision;
use super::digest::{canonical_digest, DIGEST_PREFIX};
use super::error::{BundleError, DecisionError};
use super::exploration::{best, walk, Eligible, Exploration, MAX_ACTIONS};
use super::features::Features;
use super::lookup::{Keys, KeysBuilder, Source};
use super::read::{self, Path, Res};
use super::scorer::{with_buffer, Scorer};
use crate::bucketing::{normalize_unit, policy_draw};
use crate::context::Context;
use crate::float_text::Plain;
use crate::hashing::{fast_map, FastMap};
use crate::limits::Limits;

/// The fields of a bundle (docs/policy-bundles.md).
const BUNDLE_FIELDS: [&str; 12] = [
    "id",
    "version",
    "actions",
    "unit",
    "salt",
    "features",
    "scorer",
    "exploration",
    "vectors",
    "digest",
    "description",
    "log_context",
];

/// Most self-check vectors: they run at every load, so their number is bounded too.
pub(crate) const MAX_VECTORS: usize = 100;

/// How far a computed probability may be from a self-check vector's.
pub(crate) const VECTOR_TOLERANCE: f64 = 1e-9;

/// One action of a bundle: its key and the value a flag serves when it is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    key: Box<str>,
    value: Value,
}

impl Action {
    /// The action's key, unique within the bundle.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The action's value (any JSON).
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// A loaded, validated policy bundle (docs/policy-bundles.md). Immutable and cheap to share
/// across threads; every decision reads it without locking.
///
/// ```
/// use tandem::{policy::Bundle, Context};
///
/// let bundle = Bundle::from_json(r#"{
///   "id": "greeting", "version": 1,
///   "actions": [{"key": "formal", "value": "Good day"}, {"key": "casual", "value": "Hi"}],
///   "features": [{"name": "age", "source": "age", "kind": "numeric",
///                 "transform": {"standardize": {"mean": 40, "std": 10}}, "missing": 40}],
///   "scorer": {"linear": {"weights": [[1.0], [-1.0]], "bias": [0.0, 0.0]}},
///   "exploration": {"epsilon_greedy": {"epsilon": 0.2}},
///   "vectors": [{"context": {"age": 50}, "probabilities": [0.9, 0.1]}]
/// }"#)?;
/// let ctx = Context::from_json(r#"{"targetingKey": "user-1", "age": 25}"#)?;
/// let decision = bundle.decide(&ctx, "", None)?;
/// assert_eq!(decision.probabilities[..], [0.1, 0.9]);
/// assert_eq!(decision.propensity, decision.probabilities[decision.action_index]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Bundle {
    id: Box<str>,
    version: Box<str>,
    description: Option<Box<str>>,
    actions: Vec<Action>,
    index: FastMap<Box<str>, usize>,
    /// Every top-level context key the bundle reads, for a one-pass lookup.
    keys: Keys,
    unit: Source,
    /// Every action, the eligible set of a decision without restrictions.
    all: Eligible,
    unit_path: Box<str>,
    salt: Box<str>,
    /// Whether decision events carry the context values the bundle read.
    log_context: bool,
    features: Features,
    scorer: Scorer,
    exploration: Exploration,
    digest: Box<str>,
}

impl Bundle {
    /// Parses and loads a bundle from JSON text: see [`Bundle::from_value`].
    ///
    /// # Errors
    /// A [`BundleError`] with an empty path when the text is larger than the config limit
    /// ([`Limits::max_document_bytes`]) or not JSON; otherwise as [`Bundle::from_value`].
    pub fn from_json(json: &str) -> Result<Self, BundleError> {
        let limit = Limits::default().max_document_bytes;
        if json.len() > limit {
            return Err(BundleError::new(
                "",
                format!(
                    "the bundle is {} bytes, more than the limit of {limit}",
                    json.len()
                ),
            ));
        }
        let value: Value = serde_json::from_str(json)
            .map_err(|e| BundleError::new("", format!("not JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// Loads a bundle: validates every field (shapes, limits, finite numbers), verifies the
    /// `digest` when present, and runs the self-check `vectors`.
    ///
    /// # Errors
    /// A [`BundleError`] whose path (relative to the bundle) names the first problem found: a
    /// wrong type or shape, an unknown field, transform, scorer or exploration rule, a limit
    /// exceeded, a dimension that does not match `d` or `A`, a `digest` that does not match
    /// the content, or a self-check vector the bundle does not reproduce.
    pub fn from_value(bundle: &Value) -> Result<Self, BundleError> {
        let root = Path::Root;
        let map = read::fields(bundle, root, "a policy bundle", &BUNDLE_FIELDS)?;
        let id = read::required_text(map, "id", root, "a non-empty string")?;
        let version = parse_version(
            read::required(map, "version", root, "an integer or a string")?,
            root.key("version"),
        )?;
        let (actions, index) = parse_actions(
            read::required(map, "actions", root, "an array of actions")?,
            root.key("actions"),
        )?;
        let unit_path = match map.get("unit") {
            None => "targetingKey",
            Some(unit) => read::text(unit, root.key("unit"))?,
        };
        let salt = match map.get("salt") {
            None => format!("policy/{id}"),
            Some(Value::String(salt)) => salt.clone(),
            Some(other) => return Err(read::wrong_type(root.key("salt"), "a string", other)),
        };
        let log_context = match map.get("log_context") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(read::wrong_type(
                    root.key("log_context"),
                    "a boolean",
                    other,
                ))
            }
        };
        let description = match map.get("description") {
            None => None,
            Some(Value::String(text)) => Some(text.as_str().into()),
            Some(other) => {
                return Err(read::wrong_type(root.key("description"), "a string", other))
            }
        };
        let mut keys = KeysBuilder::default();
        let unit = keys.source(unit_path);
        let features_path = root.key("features");
        let features = Features::parse(
            read::required(map, "features", root, "an array of feature specs")?,
            features_path,
            &mut keys,
        )?;
        let scorer = Scorer::parse(
            read::required(map, "scorer", root, "linear, mlp or trees")?,
            root.key("scorer"),
            features.width(),
            actions.len(),
        )?;
        if let (Some(i), false) = (features.first_nan_missing(), scorer.is_trees()) {
            return Err(features_path
                .index(i)
                .key("missing")
                .error("null (NaN) is only for trees scorers; use a number or \"indicator\""));
        }
        let exploration = Exploration::parse(
            read::required(
                map,
                "exploration",
                root,
                "greedy, epsilon_greedy, softmax or igw",
            )?,
            root.key("exploration"),
        )?;
        let vectors = read::array(
            read::required(map, "vectors", root, "an array (may be empty)")?,
            root.key("vectors"),
            "`vectors`",
        )?;
        if vectors.len() > MAX_VECTORS {
            return Err(root.key("vectors").error(format!(
                "{} self-check vectors, more than the limit of {MAX_VECTORS}",
                vectors.len()
            )));
        }
        let digest = canonical_digest(bundle);
        if let Some(declared) = map.get("digest") {
            verify_digest(declared, &digest, root.key("digest"))?;
        }
        let all = Eligible::all(actions.len());
        let loaded = Self {
            id: id.into(),
            version,
            description,
            actions,
            index,
            keys: keys.build(),
            unit,
            all,
            unit_path: unit_path.into(),
            salt: salt.into(),
            log_context,
            features,
            scorer,
            exploration,
            digest: digest.into(),
        };
        for (i, vector) in vectors.iter().enumerate() {
            loaded.self_check(vector, i, root.key("vectors").index(i))?;
        }
        Ok(loaded)
    }

    /// The bundle's `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The bundle's `version` as text (an integer version in decimal).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The canonical digest of the bundle (`xxh3-128:` + 32 hex digits), computed at load
    /// whether or not the bundle declared one (a declared one has been verified to equal it).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The bundle's `description`, when it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The actions, in bundle order (the order of scores and probabilities).
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The context path of the unit (default `targetingKey`).
    pub fn unit_path(&self) -> &str {
        &self.unit_path
    }

    /// Whether the bundle asks for its decision events to carry the context values it read
    /// (`log_context`), so other bundles can be evaluated offline on the logged decisions.
    pub fn logs_context(&self) -> bool {
        self.log_context
    }

    /// Every context path the bundle reads (its unit and its features' sources), as written.
    pub(crate) fn context_paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys.paths()
    }

    /// The salt of the policy draw (default `policy/<id>`).
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// `d`: the length of the feature vector.
    pub fn feature_width(&self) -> usize {
        self.features.width()
    }

    /// The feature vector `x` built from a context, for inspection and tests.
    pub fn features(&self, ctx: &Context) -> Vec<f64> {
        let mut x = vec![0.0; self.features.width()];
        self.keys
            .resolve(ctx, |found| self.features.build(found, &mut x));
        x
    }

    /// The scorer's output for a context before exploration: one score per action, and for
    /// trees the raw margins (the bundle's link not applied). For verification against the
    /// library that trained the model.
    ///
    /// # Errors
    /// None today: the result may hold non-finite values, which [`Bundle::decide`] rejects.
    /// The `Result` leaves room for scorers that can fail.
    pub fn raw_scores(&self, ctx: &Context) -> Result<Vec<f64>, DecisionError> {
        let mut scores = vec![0.0; self.actions.len()];
        self.keys
            .resolve(ctx, |found| self.score(found, &mut scores, true));
        Ok(scores)
    }

    /// Makes one decision: features → scores → probabilities over the eligible actions → the
    /// policy draw `u` (DESIGN §4) for the unit and `decision_key` → the action whose
    /// cumulative probability first exceeds `u`.
    ///
    /// `eligible` restricts the actions (by key; `None` for all): the exploration rule runs
    /// over the eligible ones as if they were the only ones, and the others get probability 0.
    ///
    /// Allocates only the result's two vectors (and the unit's text when the unit is a
    /// number): the context is read in one pass and the feature vector lives on the stack for
    /// bundles of up to 64 columns and 64 context keys.
    ///
    /// # Errors
    /// [`DecisionError::UnitMissing`] / [`DecisionError::UnitInvalid`] when the context has no
    /// usable unit at the bundle's `unit` path, [`DecisionError::UnknownAction`] for an
    /// eligible key the bundle does not have, [`DecisionError::NoEligibleAction`] for an empty
    /// eligible list, and [`DecisionError::NonFiniteScore`] when a score overflowed.
    pub fn decide<'a>(
        &'a self,
        ctx: &'a Context,
        decision_key: &'a str,
        eligible: Option<&[&str]>,
    ) -> Result<Decision<'a>, DecisionError> {
        let (unit, eligible, scores, probabilities) = self.keys.resolve(ctx, |found| {
            let unit = normalize_unit(self.unit.get(found))?;
            let eligible = self.eligible(eligible)?;
            let (scores, probabilities) = self.probabilities(found, &eligible)?;
            Ok::<_, DecisionError>((unit, eligible, scores, probabilities))
        })?;
        let draw = policy_draw(&self.salt, &unit, decision_key);
        let action_index = walk(&probabilities, draw).ok_or(DecisionError::NoEligibleAction)?;
        let action = self
            .actions
            .get(action_index)
            .ok_or(DecisionError::NoEligibleAction)?;
        let score_of = |a: Option<usize>| a.and_then(|a| scores.get(a)).copied().unwrap_or(0.0);
        let optimality_gap = score_of(best(&scores, &eligible)) - score_of(Some(action_index));
        Ok(Decision {
            policy_id: &self.id,
            version: &self.version,
            digest: &self.digest,
            decision_key,
            unit,
            draw,
            action: &action.key,
            action_index,
            value: &action.value,
            propensity: probabilities.get(action_index).copied().unwrap_or(0.0),
            probabilities: probabilities.into(),
            scores: scores.into(),
            optimality_gap,
        })
    }

    /// Scores (after the link) and probabilities for the context values `found`.
    fn probabilities(
        &self,
        found: &[Option<&Value>],
        eligible: &Eligible,
    ) -> Result<(Vec<f64>, Vec<f64>), DecisionError> {
        let mut scores = vec![0.0; self.actions.len()];
        self.score(found, &mut scores, false);
        if let Some(action) = scores.iter().position(|s| !s.is_finite()) {
            return Err(DecisionError::NonFiniteScore { action });
        }
        let mut probabilities = vec![0.0; self.actions.len()];
        self.exploration
            .probabilities(&scores, eligible, &mut probabilities);
        Ok((scores, probabilities))
    }

    fn score(&self, found: &[Option<&Value>], out: &mut [f64], raw: bool) {
        with_buffer(self.features.width(), |x| {
            self.features.build(found, x);
            if raw {
                self.scorer.raw(x, out);
            } else {
                self.scorer.scores(x, out);
            }
        });
    }

    fn eligible(&self, keys: Option<&[&str]>) -> Result<Eligible, DecisionError> {
        let Some(keys) = keys else {
            return Ok(self.all);
        };
        let mut set = Eligible::none();
        for (index, key) in keys.iter().enumerate() {
            let action = self
                .index
                .get(*key)
                .ok_or(DecisionError::UnknownAction { index })?;
            set.insert(*action);
        }
        if set.count() == 0 {
            return Err(DecisionError::NoEligibleAction);
        }
        Ok(set)
    }

    /// Runs self-check vector `i`: its context must give its probabilities within 1e-9.
    fn self_check(&self, vector: &Value, i: usize, path: Path<'_>) -> Res<()> {
        let map = read::fields(
            vector,
            path,
            "a self-check vector",
            &["context", "probabilities"],
        )?;
        let context = read::required(map, "context", path, "the context object")?;
        read::object(context, path.key("context"), "`context`")?;
        let context = Context::from_value(context.clone())
            .map_err(|e| path.key("context").error(e.message().to_owned()))?;
        let expected_path = path.key("probabilities");
        let mut expected = Vec::new();
        read::numbers_into(
            read::required(map, "probabilities", path, "one probability per action")?,
            expected_path,
            self.actions.len(),
            "`probabilities`",
            &mut expected,
        )?;
        let eligible = self.all;
        let (_, actual) = self
            .keys
            .resolve(&context, |found| self.probabilities(found, &eligible))
            .map_err(|e| path.error(format!("self-check vector {i} fails: {e}")))?;
        for (a, (got, want)) in actual.iter().zip(&expected).enumerate() {
            if (got - want).abs() > VECTOR_TOLERANCE || got.is_nan() {
                let key = self.actions.get(a).map_or("", |action| &*action.key);
                return Err(expected_path.index(a).error(format!(
                    "self-check vector {i} fails: the bundle gives action {a} ({key:?}) \
                     probability {}, the vector says {}",
                    Plain(*got),
                    Plain(*want)
                )));
            }
        }
        Ok(())
    }
}

fn parse_version(value: &Value, path: Path<'_>) -> Res<Box<str>> {
    match value {
        Value::String(s) if !s.is_empty() => Ok(s.as_str().into()),
        Value::Number(n) if n.as_u64().is_some() => Ok(n.to_string().into()),
        _ => Err(path.error("must be an integer ≥ 0 or a non-empty string")),
    }
}

type ActionIndex = FastMap<Box<str>, usize>;

fn parse_actions(value: &Value, path: Path<'_>) -> Res<(Vec<Action>, ActionIndex)> {
    let items = read::array(value, path, "`actions`")?;
    if items.is_empty() || items.len() > MAX_ACTIONS {
        return Err(path.error(format!(
            "must have 1 to {MAX_ACTIONS} actions, not {}",
            items.len()
        )));
    }
    let mut actions = Vec::with_capacity(items.len());
    let mut index = fast_map(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let map: &Map<String, Value> = read::fields(item, at, "an action", &["key", "value"])?;
        let key = read::required_text(map, "key", at, "a non-empty string")?;
        let value = read::required(map, "value", at, "the action's value (any JSON)")?;
        if index.insert(Box::from(key), i).is_some() {
            return Err(at.key("key").error(format!("duplicate action key {key:?}")));
        }
        actions.push(Action {
            key: key.into(),
            value: value.clone(),
        });
    }
    Ok((actions, index))
}

fn verify_digest(declared: &Value, computed: &str, path: Path<'_>) -> Res<()> {
    let Value::String(declared) = declared else {
        return Err(read::wrong_type(path, "a string", declared));
    };
    let well_formed = declared.strip_prefix(DIGEST_PREFIX).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if !well_formed {
        return Err(path.error("must be \"xxh3-128:\" followed by 32 lower-case hex digits"));
    }
    if declared != computed {
        return Err(path.error(format!(
            "does not match the bundle's content (its canonical digest is {computed}); \
             the bundle was changed after sealing"
        )));
    }
    Ok(())
}
