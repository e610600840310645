//! The catalog of one provider's events (`catalog/<provider>.json`).
//!
//! It mirrors what the providers' own catalog endpoints and pages list (Valara
//! `GET /api/v1/webhooks/events`, Repull `GET /v1/webhooks/event-types`: event type, category,
//! description, a link to the reference page), and adds what the bundle knows on top: the
//! documentation status, the provider's payload version, the schema's location and the sample.
//! The response bodies of those endpoints are not printed in the docs, so field names follow the
//! columns of their catalog pages.

use serde_json::{Value, json};

use crate::events::Event;

/// The catalog document for `provider`'s `events`, in the bundle of `version`.
pub fn catalog(provider: &str, version: &str, events: &[&Event]) -> Value {
    let entries: Vec<Value> = events.iter().map(|e| entry(e)).collect();
    json!({
        "provider": provider,
        "bundle_version": version,
        "events": entries,
    })
}

fn entry(event: &Event) -> Value {
    let mut entry = json!({
        "event_type": event.event_type,
        "category": event.category,
        "description": event.description,
        "documentation_status": event.documentation_status,
    });
    if let Some(api_version) = &event.api_version {
        entry["api_version"] = json!(api_version);
    }
    entry["schema"] = json!(event.id);
    entry["schema_path"] = json!(format!("schemas/{}", event.schema_path));
    entry["page"] = json!(format!(
        "reference/{}/{}.html",
        event.provider, event.event_type
    ));
    entry["personal_data"] = event
        .personal_data
        .iter()
        .map(|(path, category)| json!({ "path": path, "category": category }))
        .collect();
    entry["sample"] = event
        .sample
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or(Value::Null);
    entry
}
