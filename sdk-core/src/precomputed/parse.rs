//! Reading a payload into a snapshot, checking everything it claims: a payload crosses the
//! network to a client, so nothing in it is trusted more than a config would be.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Entry, Payload, PAYLOAD_VERSION};
use crate::context::{json_type_name, AttributesBuilder};
use crate::error::{Error, ErrorKind};
use crate::evaluation::{ErrorCode, Message, Outcome, OutcomeDecision, Reason};
use crate::float_text::Plain;
use crate::hashing::{fast_map, FastMap};
use crate::limits::Limits;
use crate::policy::MAX_ACTIONS;
use crate::snapshot::tables::{
    ActionEntry, ExperimentEntry, FlagEntry, Json, Name, PolicyEntry, Tables, VariantEntry,
    Variants,
};
use crate::snapshot::{Snapshot, Source};

/// How far the probabilities of a decision may sum from 1 (DESIGN §5 makes them exact; this
/// leaves room for the rounding of their decimal text only).
const SUM_TOLERANCE: f64 = 1e-9;

/// A problem with a JSON path relative to one entry (`.reason: ...`).
type Res<T> = Result<T, String>;

/// Parses a payload into a snapshot serving it.
///
/// # Errors
/// [`ErrorKind::LimitExceeded`] over [`Limits::max_payload_bytes`] or more entries than
/// [`Limits::max_flags`]; [`ErrorKind::InvalidJson`] for text that is not JSON;
/// [`ErrorKind::InvalidConfig`] with a JSON path for anything that is not a valid payload: a
/// wrong type, an unknown reason or error code, a duplicate flag key, a unit longer than
/// [`Limits::max_unit_bytes`], a decision whose indexes, counts or probabilities do not hold
/// together.
pub(crate) fn parse(json: &str, limits: &Limits, generation: u64) -> Result<Snapshot, Error> {
    let invalid = |message: String| Error::new(ErrorKind::InvalidConfig, message);
    if json.len() > limits.max_payload_bytes {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "$: the payload is {} bytes, more than the limit of {} (max_payload_bytes)",
                json.len(),
                limits.max_payload_bytes
            ),
        ));
    }
    // Checked: a payload that repeats a key would mean different things to different readers.
    let root = crate::json_checked::parse_unique(json, limits.max_json_depth, "")?;
    if root.get("v").and_then(Value::as_u64) != Some(PAYLOAD_VERSION) {
        return Err(invalid(format!("v: must be {PAYLOAD_VERSION}")));
    }
    let revision = match root.get("revision") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(invalid(format!(
                "revision: must be a string, not {}",
                json_type_name(other)
            )))
        }
    };
    let Some(items) = root.get("flags").and_then(Value::as_array) else {
        return Err(invalid(
            "flags: must be an array of evaluation details".into(),
        ));
    };
    if items.len() > limits.max_flags {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "flags: {} entries, more than the limit of {} (max_flags)",
                items.len(),
                limits.max_flags
            ),
        ));
    }
    let mut builder = Builder {
        tables: Tables::with_flags(items.len()),
        experiments: fast_map(0),
        holdouts: fast_map(0),
        holdout_names: Vec::new(),
        variants: Variants::default(),
        policies: fast_map(0),
        max_unit_bytes: limits.max_unit_bytes,
        max_decision_context_bytes: limits.max_decision_context_bytes,
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let entry = builder
            .entry(item, i)
            .map_err(|m| invalid(format!("flags[{i}]{m}")))?;
        entries.push(entry);
    }
    let mut tables = builder.tables;
    tables.set_holdouts(builder.holdout_names);
    tables.set_metadata = match root.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(Json::new(m.clone())),
        Some(_) => return Err(invalid("metadata: must be an object".into())),
    };
    // A payload serves results, not rules: it reads no context attribute.
    let attributes = AttributesBuilder::default().build();
    Ok(Snapshot::new(
        generation,
        revision,
        Source::Precomputed(Box::new(Payload { entries })),
        tables,
        attributes,
    ))
}

/// What identifies a policy in a payload: `(policyId, version, digest)`.
type PolicyIdentity = (Box<str>, Box<str>, Box<str>);

struct Builder {
    tables: Tables,
    experiments: FastMap<Box<str>, u32>,
    holdouts: FastMap<Box<str>, u32>,
    holdout_names: Vec<Name>,
    /// The variants, sharing equal names and values.
    variants: Variants,
    /// `(policyId, version, digest)` → policy index.
    policies: FastMap<PolicyIdentity, u32>,
    max_unit_bytes: usize,
    max_decision_context_bytes: usize,
}

fn text<'v>(map: &'v Map<String, Value>, field: &str, at: &str) -> Res<Option<&'v str>> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{at}.{field}: must be a string, not {}",
            json_type_name(other)
        )),
    }
}

fn index(count: usize) -> Res<u32> {
    u32::try_from(count).map_err(|_| ": too many entries".to_owned())
}

impl Builder {
    fn entry(&mut self, item: &Value, position: usize) -> Res<Entry> {
        let Value::Object(map) = item else {
            return Err(": must be an object".into());
        };
        let key = text(map, "key", "")?.ok_or(".key: missing")?;
        let reason = text(map, "reason", "")?
            .and_then(Reason::from_name)
            .ok_or(".reason: must be an OpenFeature reason")?;
        let error_code = text(map, "errorCode", "")?
            .map(|c| ErrorCode::from_name(c).ok_or(".errorCode: unknown error code"))
            .transpose()?;
        let message =
            text(map, "errorMessage", "")?.map_or(Message::None, |m| Message::Owned(m.into()));
        let metadata = match map.get("flagMetadata") {
            None | Some(Value::Null) => None,
            Some(m @ Value::Object(_)) => Some(Json::new(m.clone())),
            Some(_) => return Err(".flagMetadata: must be an object".into()),
        };
        let value = map.get("value").filter(|v| !v.is_null());
        let variant_name = text(map, "variant", "")?;
        if value.is_some() && variant_name.is_none() {
            return Err(".variant: missing (a served value names its variant)".into());
        }
        let mut variants = Vec::new();
        let variant = match (value, variant_name) {
            (Some(value), Some(name)) => {
                variants.push(self.variants.entry(name, Some(value), None));
                Some(0)
            }
            _ => None,
        };
        let unit = text(map, "unit", "")?;
        if unit.is_some_and(|u| u.is_empty() || u.len() > self.max_unit_bytes) {
            return Err(format!(
                ".unit: must be a non-empty string of at most {} bytes",
                self.max_unit_bytes
            ));
        }
        let flag = index(position)?;
        let mut outcome = Outcome {
            variant,
            error_code,
            message,
            exposed: unit.is_some(),
            ..Outcome::fallback(Some(flag), reason)
        };
        if let Some(experiment) = map.get("experiment").filter(|e| !e.is_null()) {
            self.experiment(experiment, &mut outcome, &mut variants, variant_name)?;
        }
        if outcome.exposed && outcome.experiment.is_none() {
            return Err(".unit: an exposure needs an experiment".into());
        }
        if let Some(decision) = map.get("decision").filter(|d| !d.is_null()) {
            let value = value.ok_or(".decision: a decision needs the value it chose")?;
            outcome.decision = Some(Box::new(self.decision(decision, value)?));
        }
        let pushed = self.tables.push_flag(FlagEntry {
            key: Name::new(key),
            variants,
            metadata,
        });
        if pushed.is_none() {
            return Err(".key: duplicate flag key".into());
        }
        Ok(Entry {
            outcome,
            unit: unit.map(Into::into),
        })
    }

    fn experiment(
        &mut self,
        value: &Value,
        outcome: &mut Outcome,
        variants: &mut Vec<VariantEntry>,
        served: Option<&str>,
    ) -> Res<()> {
        let Value::Object(map) = value else {
            return Err(".experiment: must be an object".into());
        };
        let at = ".experiment";
        let key = text(map, "key", at)?.ok_or(".experiment.key: missing")?;
        let layer = text(map, "layer", at)?;
        outcome.experiment = Some(match self.experiments.get(key) {
            Some(&i) => i,
            None => {
                let i = index(self.tables.experiments.len())?;
                self.tables.experiments.push(ExperimentEntry {
                    key: Name::new(key),
                    layer: layer.map(Name::new),
                });
                self.experiments.insert(key.into(), i);
                i
            }
        });
        outcome.skipped = text(map, "skipped", at)?
            .map(|c| ErrorCode::from_name(c).ok_or(".experiment.skipped: unknown error code"))
            .transpose()?;
        if let Some(holdout) = text(map, "holdout", at)? {
            outcome.holdout = Some(match self.holdouts.get(holdout) {
                Some(&i) => i,
                None => {
                    let i = index(self.holdout_names.len())?;
                    self.holdout_names.push(Name::new(holdout));
                    self.holdouts.insert(holdout.into(), i);
                    i
                }
            });
        }
        // The arm: the served variant, or a second name when the arm failed.
        outcome.arm = match text(map, "variant", at)? {
            None => None,
            Some(arm) if Some(arm) == served => Some(0),
            Some(arm) => {
                variants.push(self.variants.entry(arm, None, None));
                Some(index(variants.len() - 1)?)
            }
        };
        Ok(())
    }

    fn decision(&mut self, value: &Value, chosen: &Value) -> Res<OutcomeDecision> {
        let Value::Object(map) = value else {
            return Err(".decision: must be an object".into());
        };
        let at = ".decision";
        let required = |field: &str| -> Res<&str> {
            text(map, field, at)?.ok_or_else(|| format!("{at}.{field}: must be a string"))
        };
        let number = |field: &str| -> Res<f64> {
            map.get(field)
                .and_then(Value::as_f64)
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("{at}.{field}: must be a finite number"))
        };
        let numbers = |field: &str| -> Res<Vec<f64>> {
            let items = map
                .get(field)
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{at}.{field}: must be an array of numbers"))?;
            if items.is_empty() || items.len() > MAX_ACTIONS {
                return Err(format!(
                    "{at}.{field}: must hold 1 to {MAX_ACTIONS} numbers, not {}",
                    items.len()
                ));
            }
            items
                .iter()
                .map(|n| n.as_f64().filter(|n| n.is_finite()))
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(|| format!("{at}.{field}: must be an array of finite numbers"))
        };
        let probabilities = numbers("probabilities")?;
        let scores = numbers("scores")?;
        if scores.len() != probabilities.len() {
            return Err(format!(
                "{at}.scores: {} scores for {} probabilities",
                scores.len(),
                probabilities.len()
            ));
        }
        if let Some(i) = probabilities.iter().position(|p| !(0.0..=1.0).contains(p)) {
            return Err(format!("{at}.probabilities[{i}]: must be in [0, 1]"));
        }
        let sum: f64 = probabilities.iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(format!(
                "{at}.probabilities: must sum to 1 (within {}), not {}",
                Plain(SUM_TOLERANCE),
                Plain(sum)
            ));
        }
        let action = map
            .get("actionIndex")
            .and_then(Value::as_u64)
            .and_then(|a| usize::try_from(a).ok())
            .filter(|&a| a < probabilities.len())
            .ok_or_else(|| {
                format!(
                    "{at}.actionIndex: must be an index into the {} probabilities",
                    probabilities.len()
                )
            })?;
        let propensity = number("propensity")?;
        // Every index is in bounds (checked above).
        #[allow(clippy::indexing_slicing)]
        let chosen_probability = probabilities[action];
        if propensity != chosen_probability || propensity <= 0.0 {
            return Err(format!(
                "{at}.propensity: must equal the chosen action's probability, \
                 probabilities[{action}], and be above 0"
            ));
        }
        let draw = number("draw")?;
        if !(0.0..1.0).contains(&draw) {
            return Err(format!("{at}.draw: must be in [0, 1)"));
        }
        let unit = required("unit")?;
        if unit.is_empty() || unit.len() > self.max_unit_bytes {
            return Err(format!(
                "{at}.unit: must be a non-empty string of at most {} bytes",
                self.max_unit_bytes
            ));
        }
        let policy = self.policy(
            (
                required("policyId")?,
                required("version")?,
                required("digest")?,
            ),
            probabilities.len(),
            action,
            required("action")?,
            chosen,
        )?;
        let context = match map.get("context") {
            None | Some(Value::Null) => None,
            Some(Value::Object(context)) => {
                let size = serde_json::to_vec(context).map_or(usize::MAX, |t| t.len());
                if size > self.max_decision_context_bytes {
                    return Err(format!(
                        "{at}.context: {size} bytes, more than the limit of {} \
                         (max_decision_context_bytes)",
                        self.max_decision_context_bytes
                    ));
                }
                Some(Box::new(context.clone()))
            }
            Some(_) => return Err(format!("{at}.context: must be an object")),
        };
        let context_omitted = match map.get("contextOmitted") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(format!("{at}.contextOmitted: must be a boolean")),
        };
        Ok(OutcomeDecision {
            context,
            context_omitted,
            policy,
            action: index(action)?,
            propensity,
            probabilities,
            scores,
            optimality_gap: number("optimalityGap")?,
            draw,
            unit: unit.into(),
            decision_key: required("decisionKey")?.into(),
        })
    }

    /// The policy table entry of a decision, shared by decisions of the same policy.
    fn policy(
        &mut self,
        (id, version, digest): (&str, &str, &str),
        actions: usize,
        action: usize,
        key: &str,
        value: &Value,
    ) -> Res<u32> {
        let identity: PolicyIdentity = (id.into(), version.into(), digest.into());
        let policy = match self.policies.get(&identity) {
            Some(&p) => p,
            None => {
                let p = index(self.tables.policies.len())?;
                self.tables.policies.push(PolicyEntry {
                    id: Name::new(id),
                    version: Name::new(version),
                    label: Arc::from(format!("{id}@{version}")),
                    digest: Name::new(digest),
                    actions: vec![None; actions],
                });
                self.policies.insert(identity, p);
                p
            }
        };
        let entry = self
            .tables
            .policies
            .get_mut(policy as usize)
            .ok_or(".decision: internal error")?;
        if entry.actions.len() != actions {
            return Err(format!(
                ".decision.probabilities: {actions} actions, but another decision of the same \
                 policy has {}",
                entry.actions.len()
            ));
        }
        match entry.actions.get_mut(action) {
            Some(slot @ None) => {
                *slot = Some(ActionEntry {
                    key: Name::new(key),
                    value: Json::new(value.clone()),
                });
            }
            Some(Some(known)) if *known.key.text == *key && known.value.value == *value => {}
            _ => {
                return Err(format!(
                    ".decision.action: action {action} of this policy has another key or value \
                     in another entry"
                ))
            }
        }
        Ok(policy)
    }
}
