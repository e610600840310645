//! The providers' delivery contracts (`schemas/delivery.toml`): headers, verification and retries.

use std::collections::BTreeMap;

use proptech_catalog::SchemaSet;
use serde::Deserialize;

use crate::Error;

/// How one provider delivers its events, as its docs state it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The provider's display name.
    pub name: String,
    /// The HTTP method of a delivery.
    pub method: String,
    /// The content type of a delivery's body.
    pub content_type: String,
    /// The body field (or header) naming the event type.
    pub type_field: String,
    /// The body field (or header) receivers dedupe on.
    pub id_field: String,
    /// The verification contract, in Markdown.
    pub verification: String,
    /// The page the verification contract comes from.
    pub verification_source: String,
    /// The retry behaviour, in Markdown.
    pub retries: String,
    /// The page the retry behaviour comes from.
    pub retries_source: String,
    /// The HTTP headers every delivery carries (none where the docs name none).
    #[serde(default)]
    pub header: Vec<Header>,
}

/// An HTTP header a provider sets on every delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The header's name, as the docs spell it.
    pub name: String,
    /// What it carries.
    pub description: String,
    /// A pattern its value matches, where the docs state its form.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Whether every delivery carries it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Which part of a signature test vector it holds: `signature`, `timestamp` or `id`.
    #[serde(default)]
    pub carries: Option<String>,
    /// The page that documents it.
    pub source: String,
}

fn yes() -> bool {
    true
}

/// Loads `delivery.toml` through the catalog, keyed by provider.
pub fn load(set: &SchemaSet) -> Result<BTreeMap<String, Delivery>, Error> {
    let text = set
        .delivery_toml()
        .map_err(|e| Error::Delivery(e.to_string()))?;
    toml::from_str(&text).map_err(|e| Error::Delivery(e.to_string()))
}
