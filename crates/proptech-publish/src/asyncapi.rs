//! The AsyncAPI 3.0 document of one provider (`asyncapi/<provider>.json`): the receiving
//! endpoint, one message per event with its payload schema, headers and sample.
//!
//! Payload schemas are written as JSON Schema draft-07 (`schemaFormat:
//! application/schema+json;version=draft-07`), the JSON Schema dialect AsyncAPI tools parse and
//! validate, translated from the bundled 2020-12 schemas by [`draft07::translate`], the same
//! translation as the bundle's `draft-07/` twins; each `$defs` entry moves to `components.schemas`
//! (references in an AsyncAPI document resolve against the document, not the schema). Every
//! message links the canonical 2020-12 schema by its `$id`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::Error;
use crate::delivery::Delivery;
use crate::draft07;
use crate::events::{Event, Vector};

pub use crate::draft07::UUID_PATTERN;

/// Where the payload schemas and their shared definitions live in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// The `schemaFormat` of every payload.
pub const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-07";

/// The AsyncAPI document for `provider`.
pub fn document(
    provider: &str,
    version: &str,
    delivery: &Delivery,
    events: &[&Event],
    bundled: &BTreeMap<String, Value>,
    vectors: &[&Vector],
) -> Result<Value, Error> {
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operation_messages = Vec::new();
    for event in events {
        let schema = bundled
            .get(&event.schema_path)
            .ok_or_else(|| Error::Schema {
                path: event.schema_path.clone(),
                message: "not in the bundle".to_owned(),
            })?;
        if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
            for (key, def) in defs {
                let converted = draft07::translate(def, COMPONENTS);
                crate::share_definition(&mut schemas, &event.schema_path, key, converted)?;
            }
        }
        let key = event.event_type.clone();
        if schemas.contains_key(&key) {
            return Err(Error::Schema {
                path: event.schema_path.clone(),
                message: format!("payload key {key} collides with a bundled definition"),
            });
        }
        schemas.insert(key.clone(), draft07::translate(schema, COMPONENTS));
        messages.insert(key.clone(), message(event, delivery, vectors));
        channel_messages.insert(
            key.clone(),
            json!({ "$ref": format!("#/components/messages/{}", pointer_escape(&key)) }),
        );
        operation_messages.push(
            json!({ "$ref": format!("#/channels/deliveries/messages/{}", pointer_escape(&key)) }),
        );
    }

    let mut components = json!({
        "schemas": schemas,
        "messages": messages,
    });
    if !delivery.header.is_empty() {
        components["messageTraits"] = json!({ "delivery": { "headers": headers(delivery) } });
    }

    let name = &delivery.name;
    Ok(json!({
        "asyncapi": "3.0.0",
        "id": format!("urn:proptech-events:{provider}"),
        "info": {
            "title": format!("{name} webhooks"),
            "version": version,
            "description": format!(
                "The webhook deliveries {name} sends to a receiving endpoint: {} event types. \
                 Payload schemas are draft-07 translations of the canonical JSON Schema 2020-12 \
                 documents each message links.\n\n## Verification\n\n{}\n\nSource: {}\n\n\
                 ## Retries\n\n{}\n\nSource: {}",
                events.len(),
                delivery.verification.trim(),
                delivery.verification_source,
                delivery.retries.trim(),
                delivery.retries_source,
            ),
            "tags": [{ "name": provider }],
        },
        "defaultContentType": delivery.content_type,
        "servers": {
            "receiver": {
                "host": "receiver.example.com",
                "protocol": "https",
                "description": format!(
                    "Your endpoint: {name} sends each delivery as an HTTP {} to the URL you \
                     register. The host and path here stand in for yours.",
                    delivery.method
                ),
            }
        },
        "channels": {
            "deliveries": {
                "address": format!("/webhooks/{provider}"),
                "title": format!("{name} deliveries"),
                "description": format!(
                    "One HTTP {} per event. The event type is in the body's `{}`; \
                     dedupe on `{}`.",
                    delivery.method, delivery.type_field, delivery.id_field
                ),
                "messages": channel_messages,
                "bindings": { "http": { "bindingVersion": "0.3.0" } },
            }
        },
        "operations": {
            "receiveDelivery": {
                "action": "receive",
                "channel": { "$ref": "#/channels/deliveries" },
                "title": format!("Receive a {name} delivery"),
                "description": delivery.verification.trim(),
                "messages": operation_messages,
                "bindings": { "http": { "method": delivery.method, "bindingVersion": "0.3.0" } },
            }
        },
        "components": components,
    }))
}

/// The headers every delivery of the provider carries, as a schema.
fn headers(delivery: &Delivery) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for header in &delivery.header {
        let mut schema = json!({
            "type": "string",
            "description": format!("{} (source: {})", header.description, header.source),
        });
        if let Some(pattern) = &header.pattern {
            schema["pattern"] = json!(pattern);
        }
        properties.insert(header.name.clone(), schema);
        if header.required {
            required.push(header.name.clone());
        }
    }
    json!({ "type": "object", "required": required, "properties": properties })
}

fn message(event: &Event, delivery: &Delivery, vectors: &[&Vector]) -> Value {
    let mut description = event.description.clone();
    if let Some(when) = &event.emitted_when {
        description.push_str(&format!("\n\nEmitted when: {when}"));
    }
    description.push_str(&format!(
        "\n\nDocumentation status: {}.",
        event.documentation_status
    ));
    let mut message = json!({
        "name": event.event_type,
        "title": event.title,
        "summary": event.description,
        "description": description,
        "contentType": delivery.content_type,
        "tags": [{ "name": event.category }],
        "externalDocs": {
            "description": "The canonical JSON Schema (draft 2020-12)",
            "url": event.id,
        },
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": { "$ref": format!("#/components/schemas/{}", pointer_escape(&event.event_type)) },
        },
        "x-documentation-status": event.documentation_status,
    });
    if !delivery.header.is_empty() {
        message["traits"] = json!([{ "$ref": "#/components/messageTraits/delivery" }]);
    }
    if let Some(api_version) = &event.api_version {
        message["x-api-version"] = json!(api_version);
    }
    let mut examples = Vec::new();
    if let Some(sample) = &event.sample {
        let summary = sample.summary();
        examples.push(json!({
            "name": "documented-sample",
            "summary": summary,
            "payload": sample.value,
        }));
    }
    for vector in vectors.iter().filter(|v| v.event_type == event.event_type) {
        let headers: Map<String, Value> = vector
            .headers(&delivery.header)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value)))
            .collect();
        if let Ok(payload) = serde_json::from_str::<Value>(&vector.body) {
            examples.push(json!({
                "name": "signature-test-vector",
                "summary": format!(
                    "The documented signature test vector (secret `{}`): these headers sign the \
                     payload serialised exactly as the reference page shows it",
                    vector.vector.secret
                ),
                "headers": headers,
                "payload": payload,
            }));
        }
    }
    if !examples.is_empty() {
        message["examples"] = json!(examples);
    }
    message
}

/// Escapes a JSON Pointer reference token (`~` and `/`).
fn pointer_escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
