//! Building a snapshot's tables and attribute list from a loaded config.

use std::sync::Arc;

use super::tables::{
    merged_metadata, ActionEntry, ExperimentEntry, FlagEntry, Json, Name, PolicyEntry, Tables,
    Variants,
};
use super::{Snapshot, Source};
use crate::config::{Config, Entity};
use crate::context::{Attributes, AttributesBuilder};
use crate::hashing::fast_map;

impl Snapshot {
    /// A snapshot serving `config`.
    pub(crate) fn from_config(config: Config, generation: u64) -> Self {
        let tables = tables(&config);
        let attributes = attributes(&config);
        let revision = config.revision().map(str::to_owned);
        Self::new(
            generation,
            revision.as_deref(),
            Source::Config(Box::new(config)),
            tables,
            attributes,
        )
    }
}

fn tables(config: &Config) -> Tables {
    let mut tables = Tables::with_flags(config.flags.len());
    tables.set_metadata = config
        .set_metadata
        .as_ref()
        .and_then(|m| merged_metadata(Some(m), None));
    let mut policy_index = fast_map(config.policies.len());
    for (i, (key, _)) in config.policies.iter().enumerate() {
        if let Ok(i) = u32::try_from(i) {
            policy_index.insert(&**key, i);
        }
    }
    let mut shared = Variants::default();
    for (key, entity) in &config.flags {
        let entry = match entity {
            Entity::Ready(flag) => FlagEntry {
                key: Name::new(key),
                variants: flag
                    .variants
                    .iter()
                    .map(|v| {
                        shared.entry(
                            &v.name,
                            v.policy.is_none().then_some(&v.value),
                            v.policy
                                .as_deref()
                                .and_then(|p| policy_index.get(p).copied()),
                        )
                    })
                    .collect(),
                metadata: merged_metadata(flag.metadata.as_ref(), None),
            },
            Entity::Broken(_) => FlagEntry {
                key: Name::new(key),
                variants: Vec::new(),
                metadata: merged_metadata(config.set_metadata.as_ref(), None),
            },
        };
        // Keys are unique in a config (duplicates are dropped at load) and counts fit u32
        // (limits), so every flag gets the index of its position.
        tables.push_flag(entry);
    }
    tables.experiments = config
        .experiments
        .iter()
        .map(|(key, entity)| ExperimentEntry {
            key: Name::new(key),
            layer: entity.ready().and_then(|e| e.layer()).map(Name::new),
        })
        .collect();
    tables.set_holdouts(
        config
            .holdouts
            .iter()
            .map(|(key, _)| Name::new(key))
            .collect(),
    );
    tables.policies = config
        .policies
        .iter()
        .map(|(key, entity)| match entity {
            Entity::Ready(bundle) => PolicyEntry {
                id: Name::new(bundle.id()),
                version: Name::new(bundle.version()),
                label: Arc::from(format!("{}@{}", bundle.id(), bundle.version())),
                digest: Name::new(bundle.digest()),
                actions: bundle
                    .actions()
                    .iter()
                    .map(|a| {
                        Some(ActionEntry {
                            key: Name::new(a.key()),
                            value: Json::new(a.value().clone()),
                        })
                    })
                    .collect(),
            },
            // A broken policy never decides; its entry only names it.
            Entity::Broken(_) => PolicyEntry {
                id: Name::new(key),
                version: Name::new(""),
                label: Arc::from(&**key),
                digest: Name::new(""),
                actions: Vec::new(),
            },
        })
        .collect();
    tables
}

/// Every context path the config's rules, experiment units and policies read.
fn attributes(config: &Config) -> Attributes {
    let mut builder = AttributesBuilder::default();
    for (_, entity) in &config.flags {
        if let Some(rule) = entity.ready().and_then(|f| f.targeting.as_ref()) {
            builder.add_rule(rule);
        }
    }
    for (_, entity) in &config.experiments {
        if let Some(experiment) = entity.ready() {
            builder.add_dotted(experiment.unit.as_str());
            if let Some(audience) = &experiment.audience {
                builder.add_rule(audience);
            }
        }
    }
    for (_, entity) in &config.policies {
        if let Some(bundle) = entity.ready() {
            for path in bundle.context_paths() {
                builder.add_dotted(path);
            }
        }
    }
    builder.build()
}
