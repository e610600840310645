//! `codegen.toml`, and the parts of each provider's descriptor the event types need: what the
//! generator needs to know that the schemas cannot say.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The generator's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Per provider, by its directory name under `schemas/`: read from the schema set's
    /// descriptors (`<provider>/provider.toml`), never from `codegen.toml`.
    #[serde(skip)]
    pub provider: BTreeMap<String, ProviderConfig>,
    /// Names of the checked newtypes, by the pattern they check.
    pub pattern: BTreeMap<String, PatternConfig>,
}

/// How one provider's events are shaped.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider's name as written in prose.
    pub name: String,
    /// The member that carries the event type (in the envelope, or in the flat event).
    pub type_field: String,
    /// The envelope schema, relative to the provider's directory; none for flat events.
    pub envelope: Option<String>,
}

/// The Rust newtype of one pattern.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// The type's name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
}

impl Config {
    /// The configuration that ships with the generator, without providers.
    pub fn builtin() -> Result<Self, toml::de::Error> {
        toml::from_str(include_str!("../codegen.toml"))
    }

    /// The built-in configuration with the providers of `set`, as their descriptors describe them.
    pub fn for_set(set: &proptech_catalog::SchemaSet) -> Result<Self, toml::de::Error> {
        let mut config = Self::builtin()?;
        for d in set.providers() {
            config.provider.insert(
                d.name.clone(),
                ProviderConfig {
                    name: d.display_name.clone(),
                    type_field: d.envelope.type_member.clone(),
                    envelope: d.envelope.schema.clone(),
                },
            );
        }
        Ok(config)
    }
}
