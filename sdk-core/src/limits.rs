//! Hard limits against hostile or accidental oversized input.

/// Limits applied when loading a config and compiling its rules, and to the client's inputs
/// (contexts, units, payloads, snapshots, events). Each one, when exceeded, is a clear error
/// naming the limit; nothing is truncated silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest config document, in bytes.
    pub max_document_bytes: usize,
    /// Deepest JSON nesting anywhere in the document (objects and arrays; the root object is
    /// level 1). Default 256, also the most the parser accepts (larger values act as 256): a
    /// flagd file's 100-deep `if` chain takes about 206 levels (3 for `flags.<key>.targeting`, 2
    /// per `if`, 3 for its last condition). The parser itself uses no stack per level; this
    /// bounds what later recurses over the parsed value (drop, clone, serialization), so a
    /// document at 256 levels loads and serves on a 512 KiB thread stack. A rule that deep is
    /// then held to [`Limits::max_rule_depth`], which counts operators, not JSON levels: an `if`
    /// is one operator but two JSON levels, so a rule depth of about 128 lets every rule the
    /// JSON limit admits compile.
    pub max_json_depth: usize,
    /// Most flags in one config.
    pub max_flags: usize,
    /// Most variants in one flag.
    pub max_variants: usize,
    /// Deepest JSON Logic rule: each operator, and each array in expression position, is one
    /// level, and so is each `$ref` hop into `$evaluators` (a chain of `$ref`s longer than
    /// this is an error at the `$ref` that starts it). 128 leaves room for the deeply nested
    /// `if` chains of real flagd files (a 100-deep chain with its conditions needs about 102)
    /// while every recursion over a rule (compiling, evaluating, dropping) stays within a
    /// 512 KiB thread stack. A rule this deep is about 2 levels of JSON per level, plus
    /// `flags.<key>.targeting`, which the document's `max_json_depth` must allow.
    pub max_rule_depth: usize,
    /// Most operator nodes in one rule, counting each `$evaluators` entry it reaches by
    /// `$ref` at its full size every time. Literal arrays (allow-lists) and `preserve`d
    /// literals count as one node whatever their size: they compile to constants (`in`
    /// against one is a hash look-up).
    pub max_rule_nodes: usize,
    /// Most compiled elements (operator nodes and literal values, allow-list entries
    /// included) in all the rules of one document together, each `$evaluators` entry counted
    /// once however many rules use it: bounds the memory of the compiled rules (about 50
    /// bytes an element, plus string bytes). A rule written out identically in several places
    /// is compiled once and shared, but counts at every place, as if compiled again.
    pub max_total_rule_elements: usize,
    /// Most experiments in one config.
    pub max_experiments: usize,
    /// Most policies in one config.
    pub max_policies: usize,
    /// Most holdouts in one config. Every experiment a holdout covers checks it on each
    /// evaluation (one hash), and each experiment keeps the holdouts that cover it, so this
    /// bounds both: 100 holdouts × 5,000 experiments is 500,000 checks kept at most.
    pub max_holdouts: usize,
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
            max_json_depth: 256,
            max_flags: 20_000,
            max_variants: 1_000,
            max_rule_depth: 128,
            max_rule_nodes: 10_000,
            max_total_rule_elements: 2_000_000,
            max_experiments: 5_000,
            max_policies: 1_000,
            max_holdouts: 100,
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
