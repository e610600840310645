//! The OpenAPI 3.1 document of one provider (`openapi/<provider>.json`): one `webhooks` entry per
//! event, for the API tooling that reads OpenAPI rather than AsyncAPI.
//!
//! Each entry is the request the provider sends: its headers (signature, id, timestamp: the
//! descriptor's) as parameters, the event's canonical 2020-12 schema as the request body (OpenAPI
//! 3.1 takes JSON Schema 2020-12 as is; each `$defs` entry moves to `components/schemas`, where
//! references in an OpenAPI document resolve), the documented sample and signature test vector as
//! examples, and the answers a receiver built with the `proptech-events` crate gives as responses
//! ([`RESPONSES`], the processing table of the crate guide's processing chapter).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::Error;
use crate::delivery::Delivery;
use crate::events::{Event, Vector};

/// Where the schemas live in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// The component that describes the body of every answer but a success.
const ERROR_BODY: &str = "proptech.ReceiverError";

/// One answer of a receiver: its status and when it is given, as the crate guide's processing
/// table says. `retry_after` marks the answers that carry a `Retry-After` header.
#[derive(Debug, Clone, Copy)]
pub struct Response {
    /// The HTTP status (`2XX` for the handler's own success).
    pub status: &'static str,
    /// When a receiver answers so, and what the provider then does.
    pub description: &'static str,
    /// Whether the answer carries `Retry-After`.
    pub retry_after: bool,
}

/// The answers of a receiver built with the `proptech-events` crate, by status: the rows of the
/// processing table in the crate guide's processing chapter (a test holds the two together).
pub const RESPONSES: &[Response] = &[
    Response {
        status: "200",
        description: "A duplicate of a delivery already processed: `{\"duplicate\": key}`, the \
                      handler not run. The provider stops.",
        retry_after: false,
    },
    Response {
        status: "2XX",
        description: "The handler succeeded: its own answer. The provider stops.",
        retry_after: false,
    },
    Response {
        status: "400",
        description: "A bad header or body: malformed JSON, a schema violation, a member of the \
                      wrong type. The provider retries the same bytes, rejected again.",
        retry_after: false,
    },
    Response {
        status: "401",
        description: "A bad signature, a missing or bad signature header, a stale timestamp or \
                      `createdAt`. The provider retries the same bytes, rejected again.",
        retry_after: false,
    },
    Response {
        status: "408",
        description: "The body was not received within the server's deadline. The provider \
                      retries.",
        retry_after: false,
    },
    Response {
        status: "409",
        description: "A duplicate of a delivery in flight (`Retry-After: 5`): the attempt in \
                      flight may still fail, so this one is not acknowledged. The provider \
                      retries.",
        retry_after: true,
    },
    Response {
        status: "413",
        description: "The body is larger than the receiver's limit. The provider retries the \
                      same bytes, rejected again.",
        retry_after: false,
    },
    Response {
        status: "500",
        description: "The handler failed or panicked; the delivery is released. The provider \
                      retries.",
        retry_after: false,
    },
    Response {
        status: "503",
        description: "The idempotency store is full (`store_full`, `Retry-After: 60`) or \
                      unreachable (`Retry-After: 10`), or the handler could not hand the \
                      delivery on (`retry_later`, its `Retry-After`); nothing is claimed. The \
                      provider retries.",
        retry_after: true,
    },
    Response {
        status: "504",
        description: "The handler timed out; the delivery is released. The provider retries.",
        retry_after: false,
    },
];

/// The OpenAPI 3.1 document for `provider`.
pub fn document(
    provider: &str,
    version: &str,
    delivery: &Delivery,
    events: &[&Event],
    bundled: &BTreeMap<String, Value>,
    vectors: &[&Vector],
) -> Result<Value, Error> {
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    let mut webhooks = Map::new();
    for event in events {
        let schema = bundled
            .get(&event.schema_path)
            .ok_or_else(|| Error::Schema {
                path: event.schema_path.clone(),
                message: "not in the bundle".to_owned(),
            })?;
        let mut schema = schema.clone();
        let defs = schema
            .as_object_mut()
            .and_then(|o| o.remove("$defs"))
            .unwrap_or_default();
        for (key, def) in defs.as_object().into_iter().flatten() {
            component_key(&event.schema_path, key)?;
            crate::share_definition(&mut schemas, &event.schema_path, key, relocate(def))?;
        }
        let key = component_key(&event.schema_path, &event.event_type)?;
        if schemas.contains_key(&key) || key == ERROR_BODY {
            return Err(Error::Schema {
                path: event.schema_path.clone(),
                message: format!("schema key {key} collides with another component"),
            });
        }
        if let Some(object) = schema.as_object_mut() {
            // The document's `jsonSchemaDialect` says the dialect, and an `$id` would move the
            // base its references resolve against away from the document.
            object.remove("$schema");
            object.remove("$id");
        }
        schemas.insert(key.clone(), relocate(&schema));
        webhooks.insert(
            event.event_type.clone(),
            json!({ delivery.method.to_lowercase(): operation(provider, event, delivery, vectors) }),
        );
    }
    if schemas.contains_key(ERROR_BODY) {
        return Err(Error::Schema {
            path: provider.to_owned(),
            message: format!(
                "a bundled definition is named {ERROR_BODY}, the receiver's error body"
            ),
        });
    }
    schemas.insert(
        ERROR_BODY.to_owned(),
        json!({
            "title": "Receiver error",
            "description": "The body of every answer but a success: a stable code and a fixed \
                            text (a receiver never echoes internal errors).",
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": { "type": "string", "description": "A stable, machine-readable code (`bad_signature`, `store_full`, …)." },
                "message": { "type": "string", "description": "What is wrong, in words." },
            },
        }),
    );

    let mut responses = Map::new();
    for r in RESPONSES {
        let mut response = json!({ "description": r.description });
        if r.status != "2XX" {
            let body = if r.status == "200" {
                json!({
                    "type": "object",
                    "required": ["duplicate"],
                    "properties": { "duplicate": { "type": "string", "description": "The dedupe key already processed." } },
                })
            } else {
                json!({ "$ref": format!("{COMPONENTS}{ERROR_BODY}") })
            };
            response["content"] = json!({ "application/json": { "schema": body } });
        }
        if r.retry_after {
            response["headers"] =
                json!({ "Retry-After": { "$ref": "#/components/headers/Retry-After" } });
        }
        responses.insert(r.status.to_owned(), response);
    }

    let mut parameters = Map::new();
    for header in &delivery.header {
        let mut schema = json!({ "type": "string" });
        if let Some(pattern) = &header.pattern {
            schema["pattern"] = json!(pattern);
        }
        parameters.insert(
            parameter_key(&header.name),
            json!({
                "name": header.name,
                "in": "header",
                "required": header.required,
                "description": format!("{} (source: {})", header.description, header.source),
                "schema": schema,
            }),
        );
    }

    let name = &delivery.name;
    let mut components = json!({
        "schemas": schemas,
        "responses": responses,
        "headers": {
            "Retry-After": {
                "description": "Seconds after which the provider's retry is welcome.",
                "schema": { "type": "integer", "minimum": 0 },
            }
        },
    });
    if !parameters.is_empty() {
        components["parameters"] = Value::Object(parameters);
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{name} webhooks"),
            "version": version,
            "description": format!(
                "The webhook deliveries {name} sends to a receiving endpoint: {} event types, one \
                 `webhooks` entry each. Request bodies are the canonical JSON Schema 2020-12 \
                 documents.\n\n## Verification\n\n{}\n\nSource: {}\n\n## Retries\n\n{}\n\n\
                 Source: {}",
                events.len(),
                delivery.verification.trim(),
                delivery.verification_source,
                delivery.retries.trim(),
                delivery.retries_source,
            ),
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": tags(events),
        "paths": {},
        "webhooks": webhooks,
        "components": components,
    }))
}

/// One webhook's operation: the request the provider sends, and the answers.
fn operation(provider: &str, event: &Event, delivery: &Delivery, vectors: &[&Vector]) -> Value {
    let mut description = event.description.clone();
    if let Some(when) = &event.emitted_when {
        description.push_str(&format!("\n\nEmitted when: {when}"));
    }
    description.push_str(&format!(
        "\n\nDocumentation status: {}.",
        event.documentation_status
    ));
    let mut examples = Map::new();
    if let Some(sample) = &event.sample {
        let summary = sample.summary();
        examples.insert(
            "documented-sample".to_owned(),
            json!({ "summary": summary, "value": sample.value }),
        );
    }
    for (i, vector) in vectors
        .iter()
        .filter(|v| v.event_type == event.event_type)
        .enumerate()
    {
        let headers: Vec<String> = vector
            .headers(&delivery.header)
            .into_iter()
            .map(|(name, value)| format!("`{name}: {value}`"))
            .collect();
        if let Ok(payload) = serde_json::from_str::<Value>(&vector.body) {
            let name = match i {
                0 => "signature-test-vector".to_owned(),
                i => format!("signature-test-vector-{}", i + 1),
            };
            examples.insert(
                name,
                json!({
                    "summary": "The documented signature test vector",
                    "description": format!(
                        "Signed with the secret `{}`, serialised exactly as the reference page \
                         shows it, these headers verify: {}.",
                        vector.vector.secret,
                        headers.join(", ")
                    ),
                    "value": payload,
                }),
            );
        }
    }
    let mut media = json!({
        "schema": { "$ref": format!("{COMPONENTS}{}", event.event_type) },
    });
    if !examples.is_empty() {
        media["examples"] = Value::Object(examples);
    }
    let parameters: Vec<Value> = delivery
        .header
        .iter()
        .map(|h| json!({ "$ref": format!("#/components/parameters/{}", parameter_key(&h.name)) }))
        .collect();
    let responses: Map<String, Value> = RESPONSES
        .iter()
        .map(|r| {
            (
                r.status.to_owned(),
                json!({ "$ref": format!("#/components/responses/{}", r.status) }),
            )
        })
        .collect();
    let mut op = json!({
        "operationId": format!("{provider}.{}", event.event_type),
        "summary": event.title,
        "description": description,
        "tags": [event.category],
        "externalDocs": {
            "description": "The canonical JSON Schema (draft 2020-12)",
            "url": event.id,
        },
        "requestBody": {
            "required": true,
            "content": { delivery.content_type.clone(): media },
        },
        "responses": responses,
    });
    if !parameters.is_empty() {
        op["parameters"] = json!(parameters);
    }
    op
}

/// The document's tags: the events' categories, in order of first use.
fn tags(events: &[&Event]) -> Value {
    let mut seen: Vec<&str> = Vec::new();
    for event in events {
        if !seen.contains(&event.category.as_str()) {
            seen.push(&event.category);
        }
    }
    Value::Array(seen.into_iter().map(|c| json!({ "name": c })).collect())
}

/// A component key for `name`: OpenAPI 3.1 allows `[a-zA-Z0-9._-]` only.
fn component_key(path: &str, name: &str) -> Result<String, Error> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        Ok(name.to_owned())
    } else {
        Err(Error::Schema {
            path: path.to_owned(),
            message: format!("{name:?} cannot be an OpenAPI component key ([a-zA-Z0-9._-] only)"),
        })
    }
}

/// The parameter key of a header: its name, lower-cased (header names are case-insensitive).
fn parameter_key(header: &str) -> String {
    header
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `schema` with every reference to its own `$defs` pointed at `components/schemas`, and a `$ref`
/// beside keywords that constrain written as the first member of an `allOf` (the same in 2020-12;
/// OpenAPI tools such as openapi-typescript read a `$ref` and drop its siblings).
fn relocate(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut reference = None;
            for (k, v) in map {
                let v = match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        reference = Some(match r.strip_prefix("#/$defs/") {
                            Some(def) => Value::String(format!("{COMPONENTS}{def}")),
                            None => v.clone(),
                        });
                        continue;
                    }
                    // Instances and annotations, not schemas.
                    ("examples" | "const" | "enum" | "default", _) => v.clone(),
                    (k, _) if k.starts_with("x-") => v.clone(),
                    // Names of members and definitions, each holding a schema.
                    (
                        "properties" | "patternProperties" | "$defs" | "definitions"
                        | "dependentSchemas",
                        Value::Object(members),
                    ) => Value::Object(
                        members
                            .iter()
                            .map(|(name, s)| (name.clone(), relocate(s)))
                            .collect(),
                    ),
                    _ => relocate(v),
                };
                out.insert(k.clone(), v);
            }
            let annotations_only = out
                .keys()
                .all(|k| matches!(k.as_str(), "description" | "title") || k.starts_with("x-"));
            match reference {
                None => {}
                Some(reference) if annotations_only => {
                    out.insert("$ref".to_owned(), reference);
                }
                Some(reference) => {
                    let mut all_of = vec![json!({ "$ref": reference })];
                    if let Some(Value::Array(existing)) = out.remove("allOf") {
                        all_of.extend(existing);
                    }
                    out.insert("allOf".to_owned(), Value::Array(all_of));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(relocate).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_to_definitions_move_to_the_components_and_instances_stay() {
        let schema = json!({
            "properties": {
                "a": { "$ref": "#/$defs/defs.money", "description": "kept beside" },
                "b": { "items": { "$ref": "#/$defs/x" } },
                "c": { "const": { "$ref": "#/$defs/not-a-reference" } },
                "examples": { "$ref": "#/$defs/x" }
            }
        });
        assert_eq!(
            relocate(&schema),
            json!({
                "properties": {
                    "a": { "$ref": "#/components/schemas/defs.money", "description": "kept beside" },
                    "b": { "items": { "$ref": "#/components/schemas/x" } },
                    "c": { "const": { "$ref": "#/$defs/not-a-reference" } },
                    "examples": { "$ref": "#/components/schemas/x" }
                }
            })
        );
    }

    #[test]
    fn a_reference_beside_constraints_becomes_an_all_of_member() {
        let schema = json!({
            "$ref": "#/$defs/envelope",
            "type": "object",
            "allOf": [{ "required": ["a"] }],
            "properties": { "a": { "const": 1 } }
        });
        assert_eq!(
            relocate(&schema),
            json!({
                "type": "object",
                "allOf": [{ "$ref": "#/components/schemas/envelope" }, { "required": ["a"] }],
                "properties": { "a": { "const": 1 } }
            })
        );
    }

    #[test]
    fn a_name_openapi_cannot_key_is_refused() {
        assert!(component_key("a.json", "v1.booking.created").is_ok());
        let err = component_key("a.json", "booking created")
            .expect_err("a space")
            .to_string();
        assert!(err.contains("\"booking created\""), "{err}");
    }
}
