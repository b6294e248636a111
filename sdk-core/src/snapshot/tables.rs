//! The per-snapshot tables (DESIGN §7): every string and value an [`crate::Outcome`] can refer
//! to, with its JSON text serialized once at load. Hosts cache them once per snapshot, so an
//! evaluation crosses a boundary as a few integers and a precomputed payload is written by
//! copying pre-serialized pieces.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::key_index::KeyIndex;
use crate::hashing::{fast_map, FastMap};

/// Serialized JSON text of a value that always serializes (strings, JSON values).
pub(crate) fn json_text<T: Serialize + ?Sized>(value: &T) -> Box<str> {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .into_boxed_str()
}

/// The JSON text of a string: quoted as it is when nothing in it needs an escape (serde_json
/// escapes only `"`, `\\` and control characters), with one allocation of the exact size;
/// the serializer otherwise. Names and string values of a config are mostly plain, and this
/// is done for every one of them at load.
fn string_json_text(text: &str) -> Box<str> {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        out.into_boxed_str()
    } else {
        json_text(text)
    }
}

/// A name with its JSON string text (quotes and escapes included).
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) text: Arc<str>,
    pub(crate) json: Box<str>,
}

impl Name {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: Arc::from(text),
            json: string_json_text(text),
        }
    }
}

/// A JSON value with its serialized text, and a string value also as a shared `str`, which the
/// typed string getter hands out without allocating.
#[derive(Debug, Clone)]
pub(crate) struct Json {
    pub(crate) value: Value,
    pub(crate) text: Box<str>,
    pub(crate) string: Option<Arc<str>>,
}

impl Json {
    pub(crate) fn new(value: Value) -> Self {
        let text = match &value {
            Value::String(s) => string_json_text(s),
            Value::Bool(b) => Box::from(if *b { "true" } else { "false" }),
            other => json_text(other),
        };
        let string = value.as_str().map(Arc::from);
        Self {
            value,
            text,
            string,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct VariantEntry {
    /// Shared among the snapshot's variants of this name ([`Variants`]).
    pub(crate) name: Arc<Name>,
    /// `None` for a name a precomputed payload gives without a value (an experiment's arm that
    /// was not served). Shared among equal strings and booleans ([`Variants`]).
    pub(crate) value: Option<Arc<Json>>,
    /// The policy this variant runs (an index into the policy table).
    pub(crate) policy: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) struct FlagEntry {
    pub(crate) key: Name,
    pub(crate) variants: Vec<VariantEntry>,
    /// The flag's metadata merged over the flag set's (the set's alone for a broken flag).
    pub(crate) metadata: Option<Json>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExperimentEntry {
    pub(crate) key: Name,
    pub(crate) layer: Option<Name>,
}

#[derive(Debug, Clone)]
pub(crate) struct ActionEntry {
    pub(crate) key: Name,
    pub(crate) value: Json,
}

#[derive(Debug, Clone)]
pub(crate) struct PolicyEntry {
    pub(crate) id: Name,
    pub(crate) version: Name,
    /// `<id>@<version>`, as decision events name the policy.
    pub(crate) label: Arc<str>,
    pub(crate) digest: Name,
    /// Indexed by action; a precomputed payload knows only the actions it chose (`None` for the
    /// others).
    pub(crate) actions: Vec<Option<ActionEntry>>,
}

/// Builds the variants of a snapshot's flags, sharing one [`Name`] among the variants of the
/// same name and one [`Json`] among equal string and boolean values: configs repeat a few
/// names and values across their flags (`on`/`off`, `true`/`false`, `control`/`treatment`),
/// and each copy cost two to five allocations at load and as many frees at drop.
#[derive(Debug, Default)]
pub(crate) struct Variants {
    names: FastMap<Arc<str>, Arc<Name>>,
    strings: FastMap<Arc<str>, Arc<Json>>,
    booleans: [Option<Arc<Json>>; 2],
}

impl Variants {
    /// The variant `name` with `value` (`None`: a name without a value) and `policy`.
    pub(crate) fn entry(
        &mut self,
        name: &str,
        value: Option<&Value>,
        policy: Option<u32>,
    ) -> VariantEntry {
        let name = match self.names.get(name) {
            Some(shared) => Arc::clone(shared),
            None => {
                let shared = Arc::new(Name::new(name));
                self.names
                    .insert(Arc::clone(&shared.text), Arc::clone(&shared));
                shared
            }
        };
        VariantEntry {
            name,
            value: value.map(|v| self.value(v)),
            policy,
        }
    }

    fn value(&mut self, value: &Value) -> Arc<Json> {
        let shared = match value {
            Value::String(text) => self.strings.get(text.as_str()),
            Value::Bool(false) => self.booleans[0].as_ref(),
            Value::Bool(true) => self.booleans[1].as_ref(),
            _ => None,
        };
        if let Some(shared) = shared {
            return Arc::clone(shared);
        }
        let json = Arc::new(Json::new(value.clone()));
        match (value, &json.string) {
            (Value::String(_), Some(text)) => {
                self.strings.insert(Arc::clone(text), Arc::clone(&json));
            }
            (Value::Bool(false), _) => self.booleans[0] = Some(Arc::clone(&json)),
            (Value::Bool(true), _) => self.booleans[1] = Some(Arc::clone(&json)),
            _ => {}
        }
        json
    }
}

/// Every table of one snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    pub(crate) flags: Vec<FlagEntry>,
    pub(crate) flag_index: KeyIndex,
    /// The flag set's metadata: what a flag that is not found reports.
    pub(crate) set_metadata: Option<Json>,
    pub(crate) experiments: Vec<ExperimentEntry>,
    pub(crate) holdouts: Vec<Name>,
    pub(crate) holdout_index: FastMap<Arc<str>, u32>,
    pub(crate) policies: Vec<PolicyEntry>,
}

impl Tables {
    pub(crate) fn with_flags(capacity: usize) -> Self {
        Self {
            flags: Vec::with_capacity(capacity),
            flag_index: KeyIndex::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Appends a flag and indexes its key; `None` when the key is taken or the table is full.
    pub(crate) fn push_flag(&mut self, entry: FlagEntry) -> Option<u32> {
        let index = self.flag_index.push(&entry.key.text)?;
        self.flags.push(entry);
        Some(index)
    }

    /// Sets the holdout table and its index.
    pub(crate) fn set_holdouts(&mut self, holdouts: Vec<Name>) {
        self.holdout_index = fast_map(holdouts.len());
        for (i, name) in holdouts.iter().enumerate() {
            if let Ok(i) = u32::try_from(i) {
                self.holdout_index.insert(Arc::clone(&name.text), i);
            }
        }
        self.holdouts = holdouts;
    }

    pub(crate) fn holdout_index(&self, key: &str) -> Option<u32> {
        self.holdout_index.get(key).copied()
    }

    pub(crate) fn flag(&self, flag: u32) -> Option<&FlagEntry> {
        self.flags.get(flag as usize)
    }

    pub(crate) fn variant(&self, flag: u32, variant: u32) -> Option<&VariantEntry> {
        self.flag(flag)?.variants.get(variant as usize)
    }

    pub(crate) fn action(&self, policy: u32, action: u32) -> Option<&ActionEntry> {
        self.policies
            .get(policy as usize)?
            .actions
            .get(action as usize)?
            .as_ref()
    }
}

/// A flag's metadata merged over the flag set's, as flagd resolves it.
pub(crate) fn merged_metadata(
    set: Option<&Map<String, Value>>,
    own: Option<&Map<String, Value>>,
) -> Option<Json> {
    let merged = match (set, own) {
        (None, None) => return None,
        (Some(set), None) => set.clone(),
        (None, Some(own)) => own.clone(),
        (Some(set), Some(own)) => {
            let mut merged = set.clone();
            merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            merged
        }
    };
    Some(Json::new(Value::Object(merged)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn variants_share_equal_names_and_scalar_values_only() {
        let mut variants = Variants::default();
        let on = variants.entry("on", Some(&Value::Bool(true)), None);
        let on_again = variants.entry("on", Some(&Value::Bool(true)), Some(3));
        assert!(Arc::ptr_eq(&on.name, &on_again.name));
        let (a, b) = (on.value.unwrap(), on_again.value.unwrap());
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(on_again.policy, Some(3));
        // A string that reads like a boolean is its own value, with its own text.
        let text = variants
            .entry("on", Some(&Value::from("true")), None)
            .value
            .unwrap();
        assert!(!Arc::ptr_eq(&text, &a));
        assert_eq!((&*text.text, &*a.text), ("\"true\"", "true"));
        assert_eq!(text.string.as_deref(), Some("true"));
        let off = variants
            .entry("off", Some(&Value::Bool(false)), None)
            .value
            .unwrap();
        assert_eq!((&off.value, &*off.text), (&Value::Bool(false), "false"));
        // Numbers and objects are not shared, and keep their own value.
        let one = variants.entry("n", Some(&json!(1.5)), None).value.unwrap();
        let other = variants.entry("n", Some(&json!(2)), None).value.unwrap();
        assert_eq!((&*one.text, &*other.text), ("1.5", "2"));
        // A name without a value stays without one.
        assert!(variants.entry("arm", None, None).value.is_none());
    }

    /// The fast path writes what serde_json writes, escapes or not.
    #[test]
    fn string_text_is_serde_jsons() {
        for text in [
            "",
            "plain",
            "checkout-button",
            "quote\"d",
            "back\\slash",
            "tab\there",
            "nul\u{0}",
            "\u{1f}",
            "\u{7f}del",
            "ünïcødé ✓",
            "</script>",
        ] {
            assert_eq!(
                &*string_json_text(text),
                serde_json::to_string(text).unwrap()
            );
            let json = Json::new(Value::from(text));
            assert_eq!(&*json.text, serde_json::to_string(text).unwrap());
        }
        for value in [true, false] {
            assert_eq!(&*Json::new(Value::Bool(value)).text, value.to_string());
        }
    }
}
