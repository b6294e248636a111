//! Precomputed payloads (DESIGN §7): an edge worker evaluates every flag for one user and sends
//! only that user's results — no targeting rules, no other users' data; a client built from the
//! payload serves it and logs each exposure when the app reads the flag.
//!
//! Format: `{"v": 1, "revision": "...", "flags": [details, ...]}` where each entry is the
//! evaluation details' JSON (`key, value, variant, reason, errorCode, errorMessage, flagMetadata,
//! experiment`) plus `unit` when reading the flag logs an exposure. `value` is `null` when the
//! caller's default is to be served.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::context::json_type_name;
use crate::error::{Error, ErrorKind};
use crate::evaluation::{ErrorCode, EvaluationDetails, ExperimentDetails, FlagType, Reason};
use crate::hashing::{fast_map, FastMap};
use crate::policy::Decision;

/// The payload format version.
pub(crate) const PAYLOAD_VERSION: u64 = 1;

/// One flag's precomputed result.
#[derive(Debug, Clone)]
struct Entry {
    value: Value,
    variant: Option<Box<str>>,
    reason: Reason,
    error_code: Option<ErrorCode>,
    error_message: Option<Box<str>>,
    metadata: Option<Map<String, Value>>,
    experiment: Option<ExperimentEntry>,
    /// The unit an exposure is logged for when the flag is read.
    unit: Option<Box<str>>,
    /// The policy decision that chose `value`, logged as a decision event when read.
    decision: Option<DecisionEntry>,
}

/// A policy decision as the payload carries it (the `decision` object of the details' JSON).
#[derive(Debug, Clone)]
struct DecisionEntry {
    policy_id: Box<str>,
    version: Box<str>,
    digest: Box<str>,
    decision_key: Box<str>,
    unit: Box<str>,
    draw: f64,
    action: Box<str>,
    action_index: usize,
    propensity: f64,
    probabilities: Vec<f64>,
    scores: Vec<f64>,
    optimality_gap: f64,
}

#[derive(Debug, Clone)]
struct ExperimentEntry {
    key: Box<str>,
    layer: Option<Box<str>>,
    holdout: Option<Box<str>>,
    skipped: Option<ErrorCode>,
}

/// A parsed payload, served by a client built with `Client::from_precomputed`.
#[derive(Debug, Clone)]
pub(crate) struct Precomputed {
    revision: Option<String>,
    flags: FastMap<Box<str>, Entry>,
}

/// A served result and, when an experiment applied, the unit to log its exposure for.
pub(crate) struct Served<'a, 'd> {
    pub(crate) details: EvaluationDetails<'a, &'d Value>,
    pub(crate) exposed_unit: Option<&'a str>,
}

impl Precomputed {
    pub(crate) fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    /// Parses a payload.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidJson`] or [`ErrorKind::InvalidConfig`] (with a JSON path) for a
    /// payload that is not one.
    pub(crate) fn parse(json: &str, max_bytes: usize) -> Result<Self, Error> {
        let invalid = |message: String| Error::new(ErrorKind::InvalidConfig, message);
        if json.len() > max_bytes {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "$: the payload is {} bytes, more than the limit of {max_bytes}",
                    json.len()
                ),
            ));
        }
        let root: Value = serde_json::from_str(json)
            .map_err(|e| Error::new(ErrorKind::InvalidJson, format!("$: not valid JSON: {e}")))?;
        if root.get("v").and_then(Value::as_u64) != Some(PAYLOAD_VERSION) {
            return Err(invalid(format!("v: must be {PAYLOAD_VERSION}")));
        }
        let revision = match root.get("revision") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
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
        let mut flags = fast_map(items.len());
        for (i, item) in items.iter().enumerate() {
            let (key, entry) = parse_entry(item).map_err(|m| invalid(format!("flags[{i}]{m}")))?;
            flags.insert(key, entry);
        }
        Ok(Self { revision, flags })
    }

    /// The result for `flag_key`, checked against `expected`, as the config-backed client would
    /// have returned it.
    pub(crate) fn serve<'a: 'd, 'd>(
        &'a self,
        flag_key: &'a str,
        default: &'d Value,
        expected: FlagType,
    ) -> Served<'a, 'd> {
        let mut details = EvaluationDetails {
            flag_key,
            value: default,
            variant: None,
            reason: Reason::Error,
            error_code: Some(ErrorCode::FlagNotFound),
            error_message: Some("flag not found".into()),
            flag_metadata: None,
            experiment: None,
            decision: None,
        };
        let Some(entry) = self.flags.get(flag_key) else {
            return Served {
                details,
                exposed_unit: None,
            };
        };
        details.reason = entry.reason;
        details.error_code = entry.error_code;
        details.error_message = entry.error_message.as_deref().map(Into::into);
        details.flag_metadata = entry.metadata.as_ref();
        details.experiment = entry.experiment.as_ref().map(|e| ExperimentDetails {
            key: &e.key,
            layer: e.layer.as_deref(),
            holdout: e.holdout.as_deref(),
            skipped: e.skipped,
        });
        if entry.value.is_null() {
            // No variant (or an error without one): the caller's default, as computed.
            return Served {
                details,
                exposed_unit: entry.unit.as_deref(),
            };
        }
        if entry.error_code.is_some() {
            // An error that still serves a value (a failed policy falls back to the flag's
            // static default variant), when it has the requested type.
            if expected.matches(&entry.value) {
                details.value = &entry.value;
                details.variant = entry.variant.as_deref();
            }
            return Served {
                details,
                exposed_unit: entry.unit.as_deref(),
            };
        }
        if !expected.matches(&entry.value) {
            // As the config client answers: an error, not an experiment's assignment.
            details.experiment = None;
            details.reason = Reason::Error;
            details.error_code = Some(ErrorCode::TypeMismatch);
            details.error_message = Some(
                format!(
                    "the flag's value is {}, not the requested {}",
                    json_type_name(&entry.value),
                    expected.name()
                )
                .into(),
            );
            return Served {
                details,
                exposed_unit: None,
            };
        }
        details.value = &entry.value;
        details.variant = entry.variant.as_deref();
        details.decision = entry.decision.as_ref().map(|d| {
            Box::new(Decision {
                policy_id: &d.policy_id,
                version: &d.version,
                digest: &d.digest,
                decision_key: &d.decision_key,
                unit: Cow::Borrowed(&d.unit),
                draw: d.draw,
                action: &d.action,
                action_index: d.action_index,
                value: &entry.value,
                propensity: d.propensity,
                probabilities: d.probabilities.clone(),
                scores: d.scores.clone(),
                optimality_gap: d.optimality_gap,
            })
        });
        Served {
            details,
            exposed_unit: entry.unit.as_deref(),
        }
    }
}

/// One entry; errors are the rest of a JSON path (`.reason: ...`).
fn parse_entry(item: &Value) -> Result<(Box<str>, Entry), String> {
    let Value::Object(map) = item else {
        return Err(": must be an object".into());
    };
    let text = |field: &str| -> Result<Option<Box<str>>, String> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str().into())),
            Some(_) => Err(format!(".{field}: must be a string")),
        }
    };
    let key = text("key")?.ok_or(".key: missing")?;
    let reason = text("reason")?
        .and_then(|r| Reason::from_name(&r))
        .ok_or(".reason: must be an OpenFeature reason")?;
    let error_code = match text("errorCode")? {
        None => None,
        Some(code) => Some(ErrorCode::from_name(&code).ok_or(".errorCode: unknown error code")?),
    };
    let metadata = match map.get("flagMetadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err(".flagMetadata: must be an object".into()),
    };
    let experiment = match map.get("experiment") {
        None | Some(Value::Null) => None,
        Some(e) => Some(parse_experiment(e)?),
    };
    let entry = Entry {
        value: map.get("value").cloned().unwrap_or(Value::Null),
        variant: text("variant")?,
        reason,
        error_code,
        error_message: text("errorMessage")?,
        metadata,
        experiment,
        unit: text("unit")?,
        decision: match map.get("decision") {
            None | Some(Value::Null) => None,
            Some(d) => Some(parse_decision(d)?),
        },
    };
    Ok((key, entry))
}

fn parse_experiment(value: &Value) -> Result<ExperimentEntry, String> {
    let field = |name: &str| -> Result<Option<Box<str>>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str().into())),
            Some(_) => Err(format!(".experiment.{name}: must be a string")),
        }
    };
    let skipped = match field("skipped")? {
        None => None,
        Some(code) => {
            Some(ErrorCode::from_name(&code).ok_or(".experiment.skipped: unknown error code")?)
        }
    };
    Ok(ExperimentEntry {
        key: field("key")?.ok_or(".experiment.key: missing")?,
        layer: field("layer")?,
        holdout: field("holdout")?,
        skipped,
    })
}

fn parse_decision(value: &Value) -> Result<DecisionEntry, String> {
    let text = |name: &str| -> Result<Box<str>, String> {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(Into::into)
            .ok_or_else(|| format!(".decision.{name}: must be a string"))
    };
    let number = |name: &str| -> Result<f64, String> {
        value
            .get(name)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!(".decision.{name}: must be a number"))
    };
    let numbers = |name: &str| -> Result<Vec<f64>, String> {
        value
            .get(name)
            .and_then(Value::as_array)
            .and_then(|items| items.iter().map(Value::as_f64).collect())
            .ok_or_else(|| format!(".decision.{name}: must be an array of numbers"))
    };
    Ok(DecisionEntry {
        policy_id: text("policyId")?,
        version: text("version")?,
        digest: text("digest")?,
        decision_key: text("decisionKey")?,
        unit: text("unit")?,
        draw: number("draw")?,
        action: text("action")?,
        action_index: value
            .get("actionIndex")
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok())
            .ok_or(".decision.actionIndex: must be an index")?,
        propensity: number("propensity")?,
        probabilities: numbers("probabilities")?,
        scores: numbers("scores")?,
        optimality_gap: number("optimalityGap")?,
    })
}
