//! The `policies` section: bundles are checked for shape here and kept for the policy module.

use serde_json::Value;

use super::diagnostics::Diagnostics;
use super::fields::{object, reject_unknown};

/// The fields of a policy bundle (DESIGN §5).
const BUNDLE_FIELDS: [&str; 11] = [
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
];

/// A policy bundle as written in the config; the policy module compiles it.
#[derive(Debug, Clone)]
pub(crate) struct PolicySource {
    #[expect(
        dead_code,
        reason = "the policy module compiles bundles from this (DESIGN §5)"
    )]
    pub(crate) bundle: Value,
}

pub(crate) fn parse_policy(
    value: &Value,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<PolicySource> {
    let map = object(value, path, "a policy bundle", diags)?;
    reject_unknown(map, path, &BUNDLE_FIELDS, diags).then(|| PolicySource {
        bundle: value.clone(),
    })
}
