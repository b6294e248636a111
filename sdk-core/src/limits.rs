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
        }
    }
}
