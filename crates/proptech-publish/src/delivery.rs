//! The providers' delivery contracts, as their descriptors (`schemas/<provider>/provider.toml`)
//! state them: headers, verification and retries.

use std::collections::BTreeMap;

use proptech_catalog::SchemaSet;

use crate::Error;

pub use proptech_catalog::Header;

/// How one provider delivers its events, as its docs state it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The provider's display name.
    pub name: String,
    /// The HTTP method of a delivery.
    pub method: String,
    /// The content type of a delivery's body.
    pub content_type: String,
    /// The body field naming the event type.
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
    pub header: Vec<Header>,
}

/// Every provider's delivery contract, read from its descriptor, keyed by provider.
pub fn load(set: &SchemaSet) -> Result<BTreeMap<String, Delivery>, Error> {
    let mut all = BTreeMap::new();
    for p in set.providers() {
        let id_field = p
            .id_field()
            .ok_or_else(|| Error::Delivery(format!("{}: no delivery id", p.name)))?;
        all.insert(
            p.name.clone(),
            Delivery {
                name: p.display_name.clone(),
                method: p.delivery.method.clone(),
                content_type: p.delivery.content_type.clone(),
                type_field: p.envelope.type_member.clone(),
                id_field,
                verification: p.delivery.verification.clone(),
                verification_source: p.delivery.verification_source.clone(),
                retries: p.delivery.retries.clone(),
                retries_source: p.delivery.retries_source.clone(),
                header: p.headers.clone(),
            },
        );
    }
    Ok(all)
}
