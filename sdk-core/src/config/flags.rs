//! Flags, exactly as flagd's flag-definition schema has them, plus `$policy` variants.

use serde_json::{Map, Value};

use super::diagnostics::{Diagnostics, Severity};
use super::rules::DocumentRules;
use crate::hashing::same_bytes;
use crate::json_checked::Tree;
use crate::json_path;
use crate::limits::Limits;
use crate::targeting::{Rule, Split};

/// Whether a flag is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagState {
    Enabled,
    Disabled,
}

/// One named value of a flag.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub(crate) name: Box<str>,
    pub(crate) value: Value,
    /// `Some(id)` when the value is `{"$policy": "id"}`: a policy bundle picks the value.
    pub(crate) policy: Option<Box<str>>,
}

/// A compiled flag.
#[derive(Debug, Clone)]
pub(crate) struct Flag {
    pub(crate) variants: Vec<Variant>,
    pub(crate) default_variant: Option<usize>,
    pub(crate) targeting: Option<Rule>,
    /// The targeting as a [`Split`] when it is exactly a canonical `fractional`: served
    /// without walking the rule, with the same result.
    pub(crate) split: Option<Split>,
    /// Whether the targeting may read `$flagd.timestamp`: only then does an evaluation read
    /// the host clock for it.
    pub(crate) reads_clock: bool,
    /// Flag-set metadata overlaid with the flag's own, as flagd resolves it.
    pub(crate) metadata: Option<Map<String, Value>>,
    /// Indexes into the config's experiments that name this flag, in config order.
    pub(crate) experiments: Vec<usize>,
}

impl Flag {
    /// The index of the variant called `name`.
    pub(crate) fn variant_index(&self, name: &str) -> Option<usize> {
        // Inline comparison: a `memcmp` call per short name cost more than the comparison. A
        // plain loop: the size-tuned wasm build keeps `Iterator::position` as a call.
        for (index, variant) in self.variants.iter().enumerate() {
            if same_bytes(variant.name.as_bytes(), name.as_bytes()) {
                return Some(index);
            }
        }
        None
    }
}

/// Parses one flag. Problems go to `diags`; an error-severity problem makes the caller keep the
/// flag as broken, so the returned value is only used when none was pushed. The flag's tree is
/// taken, so it is dropped as soon as the flag is built.
pub(crate) fn parse_flag<'t>(
    value: &Tree<'t>,
    path: &str,
    set_metadata: Option<&Map<String, Value>>,
    rules: &DocumentRules<'t>,
    limits: &Limits,
    extra_fields: &[&str],
    diags: &mut Diagnostics,
) -> Option<Flag> {
    let Tree::Object(fields) = value else {
        diags.error(
            path,
            format!("a flag must be an object, not {}", value.type_name()),
        );
        return None;
    };
    // One pass over the fields, each known one taken by name (no hashed look-ups).
    let [mut state, mut variants, mut default_variant, mut targeting, mut metadata] =
        [None, None, None, None, None];
    for (key, value) in fields {
        let slot = match key {
            "state" => &mut state,
            "variants" => &mut variants,
            "defaultVariant" => &mut default_variant,
            "targeting" => &mut targeting,
            "metadata" => &mut metadata,
            other => {
                if !extra_fields.contains(&other) {
                    // flagd's schema lets flags carry extra fields, so this is only a warning.
                    // Built only when kept: a flag may have a million of them.
                    diags.push_with(Severity::Warning, || {
                        (
                            json_path::key(path, key),
                            "unknown field in a flag (ignored)".to_owned(),
                        )
                    });
                }
                continue;
            }
        };
        *slot = Some(value);
    }
    let state = parse_state(state, path, diags);
    let variants = parse_variants(variants, path, limits, diags);
    let default_variant = parse_default_variant(default_variant, &variants, path, diags);
    let targeting = parse_targeting(targeting, path, rules, diags);
    let own_metadata = metadata
        .as_ref()
        .and_then(|m| parse_metadata(m, &json_path::key(path, "metadata"), diags));
    let metadata = merge_metadata(set_metadata, own_metadata);
    // The state is checked here; whether a flag is disabled is kept for every flag, broken or
    // not, by the document loader (`Config::disabled`).
    state?;
    let mut flag = Flag {
        variants: variants?,
        default_variant: default_variant?,
        targeting: targeting?,
        split: None,
        reads_clock: false,
        metadata,
        experiments: Vec::new(),
    };
    flag.split = flag
        .targeting
        .as_ref()
        .and_then(|rule| Split::of(rule, |name| flag.variant_index(name)));
    flag.reads_clock = flag.targeting.as_ref().is_some_and(Rule::reads_environment);
    Some(flag)
}

// The paths of a flag's fields are built only for a message: a valid flag needs none, and
// building five or more per flag was a few percent of loading a large config.

fn parse_state(
    value: Option<&Tree<'_>>,
    flag_path: &str,
    diags: &mut Diagnostics,
) -> Option<FlagState> {
    let path = || json_path::key(flag_path, "state");
    match value {
        Some(Tree::String(s)) if *s == "ENABLED" => Some(FlagState::Enabled),
        Some(Tree::String(s)) if *s == "DISABLED" => Some(FlagState::Disabled),
        Some(_) => {
            diags.error(&path(), r#"must be "ENABLED" or "DISABLED""#);
            None
        }
        None => {
            diags.error(&path(), r#"missing (required: "ENABLED" or "DISABLED")"#);
            None
        }
    }
}

/// The JSON type of a variant value; all variants of a flag share one (flagd's typed flags).
fn variant_type(value: &Tree<'_>) -> Option<&'static str> {
    match value {
        Tree::Bool(_) => Some("boolean"),
        Tree::String(_) => Some("string"),
        Tree::Number(_) => Some("number"),
        Tree::Object(_) => Some("object"),
        Tree::Null | Tree::Array(_) => None,
    }
}

fn parse_variants(
    value: Option<&Tree<'_>>,
    flag_path: &str,
    limits: &Limits,
    diags: &mut Diagnostics,
) -> Option<Vec<Variant>> {
    let path = || json_path::key(flag_path, "variants");
    let map = match value {
        Some(Tree::Object(map)) if !map.is_empty() => map,
        Some(Tree::Object(_)) => {
            diags.error(&path(), "a flag needs at least one variant");
            return None;
        }
        Some(other) => {
            diags.error(
                &path(),
                format!("must be an object, not {}", other.type_name()),
            );
            return None;
        }
        None => {
            diags.error(&path(), "missing (required: an object of named values)");
            return None;
        }
    };
    if map.len() > limits.max_variants {
        diags.error(
            &path(),
            format!(
                "{} variants, more than the limit of {}",
                map.len(),
                limits.max_variants
            ),
        );
        return None;
    }
    let mut ok = true;
    // The first typed variant's type, and its index in `variants` (named in messages).
    let mut first_type: Option<(&'static str, usize)> = None;
    let mut variants = Vec::with_capacity(map.len());
    for (name, value) in map {
        let variant_path = |name: &str| json_path::key(&path(), name);
        if name.is_empty() {
            diags.error(&variant_path(name), "a variant name must not be empty");
            ok = false;
            continue;
        }
        let policy = policy_reference(value);
        if let Some(Err(message)) = &policy {
            diags.error(&variant_path(name), message.clone());
            ok = false;
            continue;
        }
        let policy = policy.and_then(Result::ok);
        let name: Box<str> = name.into();
        if policy.is_none() {
            match (variant_type(value), &first_type) {
                (None, _) => {
                    diags.error(
                        &variant_path(&name),
                        format!(
                            "a variant value must be a boolean, string, number or object, not {}",
                            value.type_name()
                        ),
                    );
                    ok = false;
                }
                (Some(ty), Some((first, first_index))) if ty != *first => {
                    let first_name = variants.get(*first_index).map_or("", |v: &Variant| &v.name);
                    diags.error(
                        &variant_path(&name),
                        format!(
                            "variant is a {ty} but variant \"{first_name}\" is a {first}: \
                             all variants of a flag have one type"
                        ),
                    );
                    ok = false;
                }
                (Some(ty), None) => first_type = Some((ty, variants.len())),
                (Some(_), Some(_)) => {}
            }
        }
        variants.push(Variant {
            name,
            value: value.to_value(),
            policy,
        });
    }
    ok.then_some(variants)
}

/// `Some(Ok(id))` for `{"$policy": "id"}`, `Some(Err(..))` for a malformed policy reference,
/// `None` for an ordinary value.
fn policy_reference(value: &Tree<'_>) -> Option<Result<Box<str>, String>> {
    let Tree::Object(map) = value else {
        return None;
    };
    let target = map.get("$policy")?;
    if map.len() != 1 {
        return Some(Err(
            r#"a policy variant is exactly {"$policy": "<policy id>"}, with no other fields"#
                .into(),
        ));
    }
    match target {
        Tree::String(id) if !id.is_empty() => Some(Ok((**id).into())),
        _ => Some(Err("$policy must name a policy (a non-empty string)".into())),
    }
}

/// `Some(Some(i))` for a default variant, `Some(None)` for none (the caller's default), `None` on
/// error.
fn parse_default_variant(
    value: Option<&Tree<'_>>,
    variants: &Option<Vec<Variant>>,
    flag_path: &str,
    diags: &mut Diagnostics,
) -> Option<Option<usize>> {
    let path = || json_path::key(flag_path, "defaultVariant");
    match value {
        // flagd reads an empty `defaultVariant` as "no default": the caller's default is served.
        None | Some(Tree::Null) => Some(None),
        Some(Tree::String("")) => Some(None),
        Some(Tree::String(name)) => {
            // Without valid variants the flag is broken already; don't pile on a second message.
            let variants = variants.as_ref()?;
            match variants.iter().position(|v| *v.name == **name) {
                Some(index) => Some(Some(index)),
                None => {
                    diags.error(
                        &path(),
                        format!("\"{name}\" is not one of the flag's variants"),
                    );
                    None
                }
            }
        }
        Some(other) => {
            diags.error(
                &path(),
                format!("must be a variant name or null, not {}", other.type_name()),
            );
            None
        }
    }
}

fn parse_targeting<'t>(
    value: Option<&Tree<'t>>,
    flag_path: &str,
    rules: &DocumentRules<'t>,
    diags: &mut Diagnostics,
) -> Option<Option<Rule>> {
    let path = || json_path::key(flag_path, "targeting");
    match value {
        // flagd treats an absent, null or empty targeting object as "no targeting".
        None | Some(Tree::Null) => Some(None),
        Some(Tree::Object(map)) if map.is_empty() => Some(None),
        Some(rule @ Tree::Object(_)) => rules.compile(rule, &path, diags).map(Some),
        Some(other) => {
            diags.error(
                &path(),
                format!(
                    "must be a JSON Logic rule (an object), not {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// A path inside a rule (`if[0].in[1]`), appended to the rule's own path.
pub(crate) fn rule_path(base: &str, relative: &str) -> String {
    if relative.is_empty() || relative.starts_with('[') {
        format!("{base}{relative}")
    } else {
        format!("{base}.{relative}")
    }
}

/// Metadata: an object of boolean, string or number values (flagd's schema).
pub(crate) fn parse_metadata(
    value: &Tree<'_>,
    path: &str,
    diags: &mut Diagnostics,
) -> Option<Map<String, Value>> {
    let Tree::Object(map) = value else {
        diags.error(
            path,
            format!("metadata must be an object, not {}", value.type_name()),
        );
        return None;
    };
    let mut ok = true;
    for (key, entry) in map {
        if !matches!(entry, Tree::Bool(_) | Tree::String(_) | Tree::Number(_)) {
            diags.push_with(Severity::Error, || {
                (
                    json_path::key(path, key),
                    format!(
                        "a metadata value must be a boolean, string or number, not {}",
                        entry.type_name()
                    ),
                )
            });
            ok = false;
        }
    }
    ok.then(|| map.to_map())
}

fn merge_metadata(
    set: Option<&Map<String, Value>>,
    own: Option<Map<String, Value>>,
) -> Option<Map<String, Value>> {
    match (set, own) {
        (None, own) => own,
        (Some(set), None) => Some(set.clone()),
        (Some(set), Some(own)) => {
            let mut merged = set.clone();
            merged.extend(own);
            Some(merged)
        }
    }
}
