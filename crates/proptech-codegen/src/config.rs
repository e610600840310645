//! `codegen.toml`: what the generator needs to know that the schemas cannot say.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The generator's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Per provider, by its directory name under `schemas/`.
    pub provider: BTreeMap<String, ProviderConfig>,
    /// Names of the checked newtypes, by the pattern they check.
    pub pattern: BTreeMap<String, PatternConfig>,
}

/// How one provider's events are shaped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The provider's name as written in prose.
    pub name: String,
    /// The member that carries the event type (in the envelope, or in the flat event).
    pub type_field: String,
    /// The envelope schema, relative to the provider's directory; none for flat events.
    #[serde(default)]
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
    /// The configuration that ships with the generator.
    pub fn builtin() -> Result<Self, toml::de::Error> {
        toml::from_str(include_str!("../codegen.toml"))
    }
}
