//! Hard limits against hostile or accidental oversized input.

/// Limits applied when loading a config and compiling its rules. Each one, when exceeded, is a
/// clear error naming the limit; nothing is truncated silently.
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
    /// bytes an element, plus string bytes).
    pub max_total_rule_elements: usize,
    /// Most experiments in one config.
    pub max_experiments: usize,
    /// Most policies in one config.
    pub max_policies: usize,
    /// Largest evaluation context accepted by [`crate::Context::from_json`], in bytes.
    pub max_context_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 16 * 1024 * 1024,
            max_json_depth: 64,
            max_flags: 20_000,
            max_variants: 1_000,
            max_rule_depth: 128,
            max_rule_nodes: 10_000,
            max_total_rule_elements: 2_000_000,
            max_experiments: 5_000,
            max_policies: 1_000,
            max_context_bytes: 1024 * 1024,
        }
    }
}
