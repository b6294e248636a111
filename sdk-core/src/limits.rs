//! Hard limits against hostile or accidental oversized input.

/// Limits applied when loading a config and compiling its rules, and to the client's inputs
/// (contexts, units, payloads, snapshots, events). Each one, when exceeded, is a clear error
/// naming the limit; nothing is truncated silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest config document, in bytes.
    pub max_document_bytes: usize,
    /// Deepest JSON nesting anywhere in the document (objects and arrays). The JSON parser stops
    /// at 127 levels on its own, so larger values act as 127.
    pub max_json_depth: usize,
    /// Most flags in one config.
    pub max_flags: usize,
    /// Most variants in one flag.
    pub max_variants: usize,
    /// Deepest JSON Logic rule (operators nested in operators).
    pub max_rule_depth: usize,
    /// Most JSON Logic nodes in one rule (after `$ref` expansion).
    pub max_rule_nodes: usize,
    /// Most experiments in one config.
    pub max_experiments: usize,
    /// Most policies in one config.
    pub max_policies: usize,
    /// Largest evaluation context accepted by [`crate::Context::from_json`], in bytes.
    pub max_context_bytes: usize,
    /// Longest unit of randomisation, in bytes of UTF-8 (DESIGN §6): a longer unit is not a
    /// valid unit (`INVALID_CONTEXT`, the experiment is skipped), so no event, sticky entry or
    /// deduplication key holds more than this of user input.
    pub max_unit_bytes: usize,
    /// Largest precomputed payload a client accepts, in bytes.
    pub max_payload_bytes: usize,
    /// Largest sticky snapshot [`crate::Client::import_sticky`] accepts, in bytes.
    pub max_sticky_snapshot_bytes: usize,
    /// Longest `track` event name, in bytes.
    pub max_track_name_bytes: usize,
    /// Largest `track` properties object, in bytes of its JSON text.
    pub max_track_properties_bytes: usize,
    /// Largest context a decision event carries for a bundle with `log_context`, in bytes of
    /// its JSON text; a larger one is left out (`contextOmitted`), so logs do not become a
    /// second copy of user data.
    pub max_decision_context_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 16 * 1024 * 1024,
            max_json_depth: 64,
            max_flags: 20_000,
            max_variants: 1_000,
            max_rule_depth: 48,
            max_rule_nodes: 10_000,
            max_experiments: 5_000,
            max_policies: 1_000,
            max_context_bytes: 1024 * 1024,
            max_unit_bytes: 1024,
            max_payload_bytes: 8 * 1024 * 1024,
            max_sticky_snapshot_bytes: 16 * 1024 * 1024,
            max_track_name_bytes: 256,
            max_track_properties_bytes: 16 * 1024,
            max_decision_context_bytes: 4 * 1024,
        }
    }
}
