//! Writing a payload with a direct serializer: every piece of text that does not depend on the
//! context (keys, variant names, values, metadata) was serialized once when the snapshot loaded,
//! so a payload is mostly copies of those pieces into one reused buffer.

use std::borrow::Cow;

use serde::Serialize;

use super::PAYLOAD_VERSION;
use crate::evaluation::{Outcome, Reason};
use crate::snapshot::Snapshot;

/// Appends `value` as JSON. Writing into a `Vec` cannot fail, and the values written here
/// (strings, finite numbers) always serialize.
fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(&mut *out, value);
}

fn field(out: &mut Vec<u8>, name: &str) {
    out.push(b',');
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Writes a whole payload for the outcomes `entries` yields (each with the unit its exposure
/// names), replacing what `out` held.
pub(crate) fn write_payload<'u>(
    out: &mut Vec<u8>,
    snapshot: &Snapshot,
    entries: impl Iterator<Item = (Outcome, Option<Cow<'u, str>>)>,
) {
    out.clear();
    out.extend_from_slice(b"{\"v\":");
    json(out, &PAYLOAD_VERSION);
    if let Some(revision) = snapshot.revision() {
        field(out, "revision");
        json(out, revision);
    }
    if let Some(metadata) = snapshot.flag_metadata_json(None) {
        field(out, "metadata");
        out.extend_from_slice(metadata.as_bytes());
    }
    out.extend_from_slice(b",\"flags\":[");
    for (i, (outcome, unit)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_entry(out, snapshot, &outcome, unit.as_deref());
    }
    out.extend_from_slice(b"]}");
}

/// Appends `"<code>"`: reasons and error codes are ASCII identifiers that need no escape
/// (pinned by the codes' tests), so they skip the serializer.
fn code(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// `,"reason":"<REASON>"` in one piece: every entry has one.
fn reason_field(reason: Reason) -> &'static [u8] {
    match reason {
        Reason::Static => b",\"reason\":\"STATIC\"",
        Reason::Default => b",\"reason\":\"DEFAULT\"",
        Reason::TargetingMatch => b",\"reason\":\"TARGETING_MATCH\"",
        Reason::Split => b",\"reason\":\"SPLIT\"",
        Reason::Disabled => b",\"reason\":\"DISABLED\"",
        Reason::Error => b",\"reason\":\"ERROR\"",
    }
}

fn write_entry(out: &mut Vec<u8>, snapshot: &Snapshot, outcome: &Outcome, unit: Option<&str>) {
    let Some(flag) = outcome.flag else {
        return;
    };
    let tables = &snapshot.tables;
    let entry = tables.flag(flag);
    out.extend_from_slice(b"{\"key\":");
    out.extend_from_slice(entry.map_or("\"\"", |f| &*f.key.json).as_bytes());
    if let Some(value) = snapshot.value_json(outcome) {
        out.extend_from_slice(b",\"value\":");
        out.extend_from_slice(value.as_bytes());
        if let Some(variant) = outcome.variant.and_then(|v| tables.variant(flag, v)) {
            out.extend_from_slice(b",\"variant\":");
            out.extend_from_slice(variant.name.json.as_bytes());
        }
    }
    out.extend_from_slice(reason_field(outcome.reason));
    if let Some(error) = outcome.error_code {
        out.extend_from_slice(b",\"errorCode\":");
        code(out, error.as_str());
    }
    if let Some(message) = snapshot.error_message(outcome) {
        field(out, "errorMessage");
        json(out, message);
    }
    if let Some(metadata) = entry.and_then(|f| f.metadata.as_ref()) {
        field(out, "flagMetadata");
        out.extend_from_slice(metadata.text.as_bytes());
    }
    if let Some(experiment) = outcome.experiment {
        let experiment_entry = tables.experiments.get(experiment as usize);
        out.extend_from_slice(b",\"experiment\":{\"key\":");
        out.extend_from_slice(experiment_entry.map_or("\"\"", |e| &*e.key.json).as_bytes());
        if let Some(layer) = experiment_entry.and_then(|e| e.layer.as_ref()) {
            field(out, "layer");
            out.extend_from_slice(layer.json.as_bytes());
        }
        if let Some(holdout) = outcome
            .holdout
            .and_then(|h| tables.holdouts.get(h as usize))
        {
            field(out, "holdout");
            out.extend_from_slice(holdout.json.as_bytes());
        }
        if let Some(skipped) = outcome.skipped {
            field(out, "skipped");
            code(out, skipped.as_str());
        }
        if let Some(arm) = outcome.arm.and_then(|v| tables.variant(flag, v)) {
            field(out, "variant");
            out.extend_from_slice(arm.name.json.as_bytes());
        }
        out.push(b'}');
    }
    if let (true, Some(unit)) = (outcome.exposed, unit) {
        field(out, "unit");
        json(out, unit);
    }
    if let Some(d) = &outcome.decision {
        field(out, "decision");
        out.extend_from_slice(b"{\"policyId\":");
        json(out, snapshot.policy_id(d.policy).unwrap_or(""));
        field(out, "version");
        json(out, snapshot.policy_version(d.policy).unwrap_or(""));
        field(out, "digest");
        json(out, snapshot.policy_digest(d.policy).unwrap_or(""));
        field(out, "decisionKey");
        json(out, &*d.decision_key);
        field(out, "unit");
        json(out, &*d.unit);
        field(out, "draw");
        json(out, &d.draw);
        field(out, "action");
        json(out, snapshot.action_key(d.policy, d.action).unwrap_or(""));
        field(out, "actionIndex");
        json(out, &d.action);
        field(out, "propensity");
        json(out, &d.propensity);
        field(out, "probabilities");
        json(out, &d.probabilities);
        field(out, "scores");
        json(out, &d.scores);
        field(out, "optimalityGap");
        json(out, &d.optimality_gap);
        if let Some(context) = &d.context {
            field(out, "context");
            json(out, context);
        }
        if d.context_omitted {
            field(out, "contextOmitted");
            json(out, &true);
        }
        out.push(b'}');
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::codes::REASONS;

    /// Each reason's piece is the field the serializer would write.
    #[test]
    fn reason_fields_are_the_serialized_reasons() {
        for reason in REASONS {
            let expected = format!(",\"reason\":{}", serde_json::json!(reason.as_str()));
            assert_eq!(reason_field(reason), expected.as_bytes());
        }
    }
}
