//! Writing a payload with a direct serializer: every piece of text that does not depend on the
//! context (keys, variant names, values, metadata) was serialized once when the snapshot loaded,
//! so a payload is mostly copies of those pieces into one reused buffer.

use serde::Serialize;

use super::PAYLOAD_VERSION;
use crate::evaluation::{Outcome, Reason};
use crate::snapshot::Snapshot;

/// A payload being written into a byte buffer.
///
/// The text so far is `buf[..len]`; `buf[len..]` is initialized scratch that the next pieces
/// overwrite, and [`PayloadWriter::finish`] cuts the buffer to the text. Pieces are copied
/// with [`copy`] rather than appended: in the size-tuned wasm build every `Vec` append stays a
/// call (to `reserve`, then a `memory.copy`, which V8 runs as a call out of the wasm code),
/// and a payload is hundreds of short pieces — they were a third of a 50-flag precompute in
/// Node.
pub(crate) struct PayloadWriter<'a> {
    buf: &'a mut Vec<u8>,
    len: usize,
    snapshot: &'a Snapshot,
    entries: usize,
}

/// The scratch one growth adds: copied from here, because `Vec::resize` fills a byte at a
/// time in the size-tuned wasm build.
static SCRATCH: [u8; 512] = [0; 512];

impl<'a> PayloadWriter<'a> {
    /// Starts the payload of `snapshot` in `buf`, replacing what `buf` held (its bytes are
    /// reused as scratch, and its storage kept).
    pub(crate) fn begin(buf: &'a mut Vec<u8>, snapshot: &'a Snapshot) -> Self {
        let mut writer = Self {
            buf,
            len: 0,
            snapshot,
            entries: 0,
        };
        writer.put(b"{\"v\":");
        writer.serialize(&PAYLOAD_VERSION);
        if let Some(revision) = snapshot.revision() {
            writer.field("revision");
            writer.serialize(revision);
        }
        if let Some(metadata) = snapshot.flag_metadata_json(None) {
            writer.field("metadata");
            writer.put(metadata.as_bytes());
        }
        writer.put(b",\"flags\":[");
        writer
    }

    /// Ends the payload: the buffer then holds exactly its text.
    pub(crate) fn finish(mut self) {
        self.put(b"]}");
        self.buf.truncate(self.len);
    }

    /// Appends `bytes`.
    #[cfg_attr(target_arch = "wasm32", inline(always))]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.buf.get_mut(self.len..end) {
            Some(scratch) => copy(scratch, bytes),
            None => self.grow_and_put(bytes),
        }
        self.len = end;
    }

    /// [`PayloadWriter::put`] past the scratch: more scratch after the piece (a buffer that
    /// is reused grows to fit once, then stops growing).
    #[cold]
    #[inline(never)]
    fn grow_and_put(&mut self, bytes: &[u8]) {
        self.buf.truncate(self.len);
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(&SCRATCH);
    }

    /// Appends `value` as JSON, through the serializer (the scratch is dropped, and given back
    /// by the next growth). Writing into a `Vec` cannot fail, and the values written here
    /// (strings, finite numbers) always serialize.
    fn serialize<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.buf.truncate(self.len);
        let _ = serde_json::to_writer(&mut *self.buf, value);
        self.len = self.buf.len();
    }

    /// Appends a string as JSON: quoted as it is when nothing in it needs an escape (the
    /// serializer escapes only `"`, `\\` and control characters), else through the serializer.
    fn string(&mut self, text: &str) {
        if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.code(text);
        } else {
            self.serialize(text);
        }
    }

    fn field(&mut self, name: &str) {
        self.put(b",\"");
        self.put(name.as_bytes());
        self.put(b"\":");
    }

    /// Appends `"<code>"` for text that needs no escape: reasons and error codes are ASCII
    /// identifiers (pinned by the codes' tests), so they skip the serializer and the scan.
    fn code(&mut self, name: &str) {
        self.put(b"\"");
        self.put(name.as_bytes());
        self.put(b"\"");
    }

    /// Appends the entry of `outcome`, with the unit its exposure names.
    pub(crate) fn entry(&mut self, outcome: &Outcome, unit: Option<&str>) {
        if self.entries > 0 {
            self.put(b",");
        }
        self.entries += 1;
        let Some(flag) = outcome.flag else {
            return;
        };
        let snapshot = self.snapshot;
        let tables = &snapshot.tables;
        let entry = tables.flag(flag);
        self.put(b"{\"key\":");
        self.put(entry.map_or("\"\"", |f| &*f.key.json).as_bytes());
        if let Some(value) = snapshot.value_json(outcome) {
            self.put(b",\"value\":");
            self.put(value.as_bytes());
            let variant = outcome
                .variant
                .and_then(|v| entry?.variants.get(v as usize));
            if let Some(variant) = variant {
                self.put(b",\"variant\":");
                self.put(variant.name.json.as_bytes());
            }
        }
        self.put(reason_field(outcome.reason));
        if let Some(error) = outcome.error_code {
            self.put(b",\"errorCode\":");
            self.code(error.as_str());
        }
        if let Some(message) = snapshot.error_message(outcome) {
            self.field("errorMessage");
            self.string(message);
        }
        if let Some(metadata) = entry.and_then(|f| f.metadata.as_ref()) {
            self.field("flagMetadata");
            self.put(metadata.text.as_bytes());
        }
        if let Some(experiment) = outcome.experiment {
            self.experiment(outcome, flag, experiment);
        }
        if let (true, Some(unit)) = (outcome.exposed, unit) {
            self.field("unit");
            self.string(unit);
        }
        if outcome.decision.is_some() {
            self.decision(outcome);
        }
        self.put(b"}");
    }

    fn experiment(&mut self, outcome: &Outcome, flag: u32, experiment: u32) {
        let tables = &self.snapshot.tables;
        let experiment_entry = tables.experiments.get(experiment as usize);
        self.put(b",\"experiment\":{\"key\":");
        self.put(experiment_entry.map_or("\"\"", |e| &*e.key.json).as_bytes());
        if let Some(layer) = experiment_entry.and_then(|e| e.layer.as_ref()) {
            self.field("layer");
            self.put(layer.json.as_bytes());
        }
        if let Some(holdout) = outcome
            .holdout
            .and_then(|h| tables.holdouts.get(h as usize))
        {
            self.field("holdout");
            self.put(holdout.json.as_bytes());
        }
        if let Some(skipped) = outcome.skipped {
            self.field("skipped");
            self.code(skipped.as_str());
        }
        if let Some(arm) = outcome.arm.and_then(|v| tables.variant(flag, v)) {
            self.field("variant");
            self.put(arm.name.json.as_bytes());
        }
        self.put(b"}");
    }

    fn decision(&mut self, outcome: &Outcome) {
        let Some(d) = &outcome.decision else {
            return;
        };
        let snapshot = self.snapshot;
        self.field("decision");
        self.put(b"{\"policyId\":");
        self.serialize(snapshot.policy_id(d.policy).unwrap_or(""));
        self.field("version");
        self.serialize(snapshot.policy_version(d.policy).unwrap_or(""));
        self.field("digest");
        self.serialize(snapshot.policy_digest(d.policy).unwrap_or(""));
        self.field("decisionKey");
        self.serialize(&*d.decision_key);
        self.field("unit");
        self.serialize(&*d.unit);
        self.field("draw");
        self.serialize(&d.draw);
        self.field("action");
        self.serialize(snapshot.action_key(d.policy, d.action).unwrap_or(""));
        self.field("actionIndex");
        self.serialize(&d.action);
        self.field("propensity");
        self.serialize(&d.propensity);
        self.field("probabilities");
        self.serialize(&d.probabilities);
        self.field("scores");
        self.serialize(&d.scores);
        self.field("optimalityGap");
        self.serialize(&d.optimality_gap);
        if let Some(context) = &d.context {
            self.field("context");
            self.serialize(context);
        }
        if d.context_omitted {
            self.field("contextOmitted");
            self.serialize(&true);
        }
        self.put(b"}");
    }
}

/// Copies `src` into `dst` (of the same length). Pieces of up to 32 bytes — keys, names,
/// values, the fixed field names — are copied as two overlapping words (or bytes) each way,
/// with no call and no loop; longer ones by `copy_from_slice`. In the size-tuned wasm build a
/// `copy_from_slice` of a length not known at compile time is a `memory.copy`, which V8 runs
/// as a call out of the wasm code: several times the cost of the few loads and stores here.
#[cfg_attr(target_arch = "wasm32", inline(always))]
fn copy(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 32 {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        copy_ends::<16>(dst, src);
    } else if n >= 8 {
        copy_ends::<8>(dst, src);
    } else if n >= 4 {
        copy_ends::<4>(dst, src);
    } else if let (Some(d), Some(s)) = (dst.first_mut(), src.first()) {
        // 1 to 3 bytes: the first, the second and the last cover them all.
        *d = *s;
        if let (Some(d), Some(s)) = (dst.get_mut(1), src.get(1)) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_mut(), src.last()) {
            *d = *s;
        }
    }
}

/// Copies the first and the last `W` bytes of `src` (`W <= src.len() <= 2 * W`) into `dst`:
/// the two chunks overlap and cover the whole. Through `as_chunks`, which the size-tuned wasm
/// build inlines (`first_chunk` and `last_chunk` stay calls there).
#[cfg_attr(target_arch = "wasm32", inline(always))]
fn copy_ends<const W: usize>(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if let (Some(d), Some(s)) = (
        dst.as_chunks_mut::<W>().0.first_mut(),
        src.as_chunks::<W>().0.first(),
    ) {
        *d = *s;
    }
    let at = n.saturating_sub(W);
    if let (Some(d), Some(s)) = (
        dst.get_mut(at..)
            .and_then(|d| d.as_chunks_mut::<W>().0.first_mut()),
        src.get(at..).and_then(|s| s.as_chunks::<W>().0.first()),
    ) {
        *d = *s;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::codes::REASONS;

    /// Pieces of every length up to past the longest copied by words arrive whole, and
    /// nothing around them is touched.
    #[test]
    fn copy_copies_every_length() {
        let src: Vec<u8> = (1..=70).collect();
        for n in 0..=src.len() {
            let mut dst = [0u8; 72];
            copy(&mut dst[1..=n], &src[..n]);
            assert_eq!(&dst[1..=n], &src[..n], "length {n}");
            assert!(
                dst[0] == 0 && dst[n + 1..].iter().all(|&b| b == 0),
                "length {n}"
            );
        }
    }

    /// Pieces written past the scratch grow it, and the buffer ends as exactly the text,
    /// whatever it held before.
    #[test]
    fn the_writer_grows_and_ends_at_the_text() {
        let snapshot = Snapshot::empty(0);
        for held in [Vec::new(), vec![b'x'; 3], vec![b'y'; 5000]] {
            let mut buf = held;
            let mut writer = PayloadWriter::begin(&mut buf, &snapshot);
            let mut expected = b"{\"v\":1,\"flags\":[".to_vec();
            for i in 0..400u32 {
                let piece = format!("{i:0width$}", width = (i % 40) as usize);
                writer.put(piece.as_bytes());
                expected.extend_from_slice(piece.as_bytes());
            }
            writer.finish();
            expected.extend_from_slice(b"]}");
            assert_eq!(
                String::from_utf8_lossy(&buf),
                String::from_utf8_lossy(&expected)
            );
        }
    }

    /// Each reason's piece is the field the serializer would write.
    #[test]
    fn reason_fields_are_the_serialized_reasons() {
        for reason in REASONS {
            let expected = format!(",\"reason\":{}", serde_json::json!(reason.as_str()));
            assert_eq!(reason_field(reason), expected.as_bytes());
        }
    }
}
