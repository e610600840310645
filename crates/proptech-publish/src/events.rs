//! The events of the schema set as the publications present them: annotations, sample, and the
//! field tables of the envelope and the data block, read off the bundled schemas.

use std::collections::BTreeMap;

use proptech_catalog::{RefError, SchemaSet, SignatureVector, merge_local_ref, required_of};
use serde_json::Value;

use crate::Error;

/// How deep field tables descend into nested objects and arrays (and type labels into `items`
/// and `anyOf`).
const MAX_DEPTH: usize = 8;

/// One event, with everything the catalog, AsyncAPI document and reference page show of it.
#[derive(Debug, Clone)]
pub struct Event {
    /// The provider.
    pub provider: String,
    /// The event type exactly as the provider sends it.
    pub event_type: String,
    /// The catalog category.
    pub category: String,
    /// The schema's title.
    pub title: String,
    /// What the event means, from the docs.
    pub description: String,
    /// How completely the docs describe the payload: `complete`, `partial` or `undocumented`.
    pub documentation_status: String,
    /// The provider's own payload version, where it has one (Valara's `api_version`).
    pub api_version: Option<String>,
    /// When the provider emits it, where the docs say.
    pub emitted_when: Option<String>,
    /// The pages the schema was written from.
    pub sources: Vec<String>,
    /// The schema's path under `schemas/`.
    pub schema_path: String,
    /// The schema's `$id`.
    pub id: String,
    /// The documented sample, if the docs print one.
    pub sample: Option<Sample>,
    /// Whether the event wraps its data in the provider's envelope (all but Lavanda's do).
    pub has_envelope: bool,
    /// The envelope's fields (for Lavanda, which has none, the event's `id` and `type`).
    pub envelope_fields: Vec<Field>,
    /// The fields of the event-specific data block.
    pub data_fields: Vec<Field>,
    /// Whether the data block admits properties the docs do not list.
    pub data_open: bool,
    /// The readings of the docs this event's schema rests on (errata that name the schema):
    /// (id, how the schema resolves it).
    pub assumptions: Vec<(String, String)>,
    /// The members the schema marks as personal data (`x-personal-data`): their path from the
    /// delivery's root, written as the field tables write it, and their category.
    pub personal_data: Vec<(String, String)>,
}

/// A documented sample payload.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The payload (as corrected by the errata, the same value as the schema's `examples`).
    pub value: Value,
    /// Where the docs print it: the page and section, when it is kept as a fixture.
    pub source: Option<String>,
    /// The errata that concern the printed sample: (id, how the schema resolves it).
    pub errata: Vec<(String, String)>,
}

impl Sample {
    /// One line saying where the sample comes from and which errata corrected it.
    pub fn summary(&self) -> String {
        let mut summary = match &self.source {
            Some(source) => format!("The sample the docs print ({source})"),
            None => "The sample the docs print".to_owned(),
        };
        if !self.errata.is_empty() {
            let ids: Vec<&str> = self.errata.iter().map(|(id, _)| id.as_str()).collect();
            let (noun, verb) = if ids.len() == 1 {
                ("erratum", "resolves")
            } else {
                ("errata", "resolve")
            };
            summary.push_str(&format!(
                ", corrected as {noun} {} {verb} it; the reference page says how",
                ids.join(", ")
            ));
        }
        summary
    }
}

/// One row of a field table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's path from the table's object: `a`, `a.b`, `a[].b`.
    pub path: String,
    /// Its type, in words: `string (date-time)`, `one of "a", "b"`, `array of integer`.
    pub ty: String,
    /// Whether its parent object requires it.
    pub required: bool,
    /// What it is, from the docs.
    pub description: String,
    /// The category of personal data it holds (`x-personal-data`), if the schema marks it.
    pub personal: Option<String>,
    /// What live deliveries showed of it where the docs do not (`x-observed`, written by `cargo
    /// xtask drift apply`): the member itself, or enum values beyond the documented ones.
    pub observed: Option<String>,
}

/// Every event of the schema set, in catalog order, plus the provider-wide facts the pages need.
#[derive(Debug, Clone)]
pub struct Events {
    events: Vec<Event>,
    vectors: Vec<Vector>,
}

/// A documented signature test vector, with the exact body bytes it signs.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The provider whose docs print it.
    pub provider: String,
    /// The secret, timestamp, event id and signature the docs print.
    pub vector: SignatureVector,
    /// The event type of the signed sample.
    pub event_type: String,
    /// The exact bytes of the signed body.
    pub body: String,
}

impl Vector {
    /// The headers that carry this vector's signature, timestamp and id, by the names `headers`
    /// (a provider's descriptor) gives them, in that order.
    pub fn headers<'a>(&self, headers: &'a [proptech_catalog::Header]) -> Vec<(&'a str, String)> {
        headers
            .iter()
            .filter_map(|header| {
                let value = match header.carries.as_deref() {
                    Some("signature") => self.vector.signature.clone(),
                    Some("timestamp") => self.vector.timestamp.to_string(),
                    Some("id") => self.vector.event_id.clone(),
                    _ => return None,
                };
                Some((header.name.as_str(), value))
            })
            .collect()
    }
}

impl Events {
    /// Reads every event of `set`, ordered by provider, then as the provider's catalog lists them.
    pub fn load(set: &SchemaSet) -> Result<Self, Error> {
        Self::from_bundled(set, &crate::bundled_schemas(set)?)
    }

    /// As [`Events::load`], reading the field tables off `bundled` ([`crate::bundled_schemas`] of
    /// `set`) instead of bundling every event again.
    pub fn from_bundled(set: &SchemaSet, bundled: &BTreeMap<String, Value>) -> Result<Self, Error> {
        let catalogs = set.catalogs()?;
        let fixtures = set.fixtures()?;
        let errata = set.errata()?;
        let mut events = Vec::new();
        for provider in set.provider_names() {
            let catalog = catalogs.get(provider).ok_or_else(|| Error::Schema {
                path: "catalog.toml".to_owned(),
                message: format!("no catalog for {provider}"),
            })?;
            for (category, event_type) in catalog.events() {
                let schema = set
                    .event(provider, event_type)
                    .ok_or_else(|| Error::Schema {
                        path: format!("{provider}/events/{event_type}.json"),
                        message: "the catalog names this event but it has no schema".to_owned(),
                    })?;
                let path = schema.doc.path.clone();
                let bundled = bundled.get(&path).ok_or_else(|| Error::Schema {
                    path: path.clone(),
                    message: "not among the bundled schemas".to_owned(),
                })?;
                let sample = schema
                    .doc
                    .value
                    .get("examples")
                    .and_then(Value::as_array)
                    .and_then(|e| e.first())
                    .map(|value| {
                        let fixture = fixtures.iter().find(|f| f.schema == path);
                        Sample {
                            value: value.clone(),
                            source: fixture
                                .map(|f| format!("{}, section “{}”", f.document, f.section)),
                            errata: fixture
                                .map(|f| {
                                    errata
                                        .for_fixture(&f.key())
                                        .map(|e| (e.id.clone(), e.resolution.clone()))
                                        .collect()
                                })
                                .unwrap_or_default(),
                        }
                    });
                let tables = field_tables(bundled).map_err(|err| Error::Schema {
                    path: path.clone(),
                    message: err.to_string(),
                })?;
                let personal_data = proptech_catalog::dereference(bundled)
                    .map_err(|err| Error::Schema {
                        path: path.clone(),
                        message: err.to_string(),
                    })
                    .map(|inlined| {
                        proptech_catalog::redaction::personal_paths(&inlined)
                            .into_iter()
                            .map(|p| (p.dotted(), p.category))
                            .collect()
                    })?;
                let text = |k: &str| schema.doc.str(k).map(str::to_owned);
                events.push(Event {
                    personal_data,
                    provider: provider.to_owned(),
                    event_type: event_type.to_owned(),
                    category: category.to_owned(),
                    title: text("title").unwrap_or_default(),
                    description: text("description").unwrap_or_default(),
                    documentation_status: text("x-documentation-status").unwrap_or_default(),
                    api_version: text("x-api-version"),
                    emitted_when: text("x-emitted-when"),
                    sources: schema
                        .doc
                        .value
                        .get("x-source")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    id: schema.doc.expected_id(),
                    schema_path: path,
                    sample,
                    has_envelope: tables.has_envelope,
                    envelope_fields: tables.envelope,
                    data_fields: tables.data,
                    data_open: tables.data_open,
                    assumptions: errata
                        .for_schema(&schema.doc.path)
                        .map(|e| (e.id.clone(), e.resolution.clone()))
                        .collect(),
                });
            }
        }
        let mut vectors = Vec::new();
        for fixture in &fixtures {
            if let Some(vector) = &fixture.vector {
                let body = std::fs::read_to_string(&fixture.path).map_err(|e| Error::Schema {
                    path: fixture.key(),
                    message: e.to_string(),
                })?;
                let event_type = set
                    .get(&fixture.schema)
                    .and_then(|d| d.event())
                    .map(|e| e.event_type.to_owned())
                    .unwrap_or_default();
                vectors.push(Vector {
                    provider: fixture.provider.clone(),
                    vector: vector.clone(),
                    event_type,
                    body,
                });
            }
        }
        Ok(Self { events, vectors })
    }

    /// Every event, in order.
    pub fn all(&self) -> &[Event] {
        &self.events
    }

    /// The events of one provider, in its catalog's order.
    pub fn provider(&self, provider: &str) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| e.provider == provider)
            .collect()
    }

    /// The documented signature test vectors of one provider.
    pub fn vectors(&self, provider: &str) -> impl Iterator<Item = &Vector> {
        let provider = provider.to_owned();
        self.vectors.iter().filter(move |v| v.provider == provider)
    }
}

/// The field tables of one event.
struct Tables {
    has_envelope: bool,
    envelope: Vec<Field>,
    data: Vec<Field>,
    data_open: bool,
}

/// The envelope's field table, the data block's, and whether the data block is open.
///
/// An event schema that references an envelope has its data block under `data`; one that does not
/// (Lavanda) is a flat object whose `id` and `type` play the envelope's part. Fails, naming the
/// reference, on a `$ref` that does not resolve inside the bundled schema.
fn field_tables(bundled: &Value) -> Result<Tables, RefError> {
    let root = merge_local_ref(bundled, bundled)?;
    let has_envelope = bundled.get("$ref").is_some();
    let required = required_of(&root);
    let mut tables = Tables {
        has_envelope,
        envelope: Vec::new(),
        data: Vec::new(),
        // Without an envelope the event itself is the data block.
        data_open: has_envelope || is_open(&root),
    };
    let Some(props) = root.get("properties").and_then(Value::as_object) else {
        return Ok(tables);
    };
    for (name, schema) in props {
        let is_required = required.contains(name.as_str());
        let in_envelope = if has_envelope {
            name != "data"
        } else {
            name == "id" || name == "type"
        };
        if in_envelope {
            tables
                .envelope
                .push(field(bundled, name.clone(), schema, is_required)?);
        } else if has_envelope {
            let block = merge_local_ref(bundled, schema)?;
            tables.data_open = is_open(&block);
            flatten(bundled, &block, "", &mut tables.data, 0)?;
        } else {
            flatten_property(bundled, name, schema, is_required, &mut tables.data, 0)?;
        }
    }
    Ok(tables)
}

fn is_open(schema: &Value) -> bool {
    !matches!(schema.get("additionalProperties"), Some(Value::Bool(false)))
}

fn field(doc: &Value, path: String, schema: &Value, required: bool) -> Result<Field, RefError> {
    let resolved = merge_local_ref(doc, schema)?;
    Ok(Field {
        path,
        ty: type_label(doc, &resolved, 0)?,
        required,
        description: description(schema, &resolved),
        personal: personal(doc, &resolved, 0)?,
        observed: observed(&resolved),
    })
}

/// The `x-observed` mark of a field, in words: when deliveries showed the member, or which enum
/// values they showed beyond the documented ones.
fn observed(resolved: &Value) -> Option<String> {
    let mark = resolved.get(proptech_catalog::OBSERVED_KEYWORD)?;
    let when = |m: &Value| {
        let count = m["count"].as_u64().unwrap_or_default();
        format!(
            "{count} {}, {} to {}",
            if count == 1 { "delivery" } else { "deliveries" },
            m["first_seen"].as_str().unwrap_or("?"),
            m["last_seen"].as_str().unwrap_or("?")
        )
    };
    match mark.get("values").and_then(Value::as_array) {
        Some(values) => Some(
            values
                .iter()
                .map(|v| format!("value {} ({})", v["value"], when(v)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        None => Some(format!("member ({})", when(mark))),
    }
}

/// The personal-data mark of a field: on it (or what its `$ref` names), else on its items or
/// values, as the typed crate reads it.
fn personal(doc: &Value, resolved: &Value, depth: usize) -> Result<Option<String>, RefError> {
    use proptech_catalog::personal::PERSONAL_DATA_KEYWORD as MARK;
    if let Some(category) = resolved.get(MARK).and_then(Value::as_str) {
        return Ok(Some(category.to_owned()));
    }
    if depth >= MAX_DEPTH || resolved.get("properties").is_some() {
        return Ok(None);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = resolved.get(key).filter(|v| v.is_object())
            && let Some(category) = personal(doc, &merge_local_ref(doc, inner)?, depth + 1)?
        {
            return Ok(Some(category));
        }
    }
    Ok(None)
}

/// The description at the property (which may override its `$ref` target's), else the target's.
fn description(schema: &Value, resolved: &Value) -> String {
    schema
        .get("description")
        .or_else(|| resolved.get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Adds a row for every property of `object`, and rows for their nested fields.
fn flatten(
    doc: &Value,
    object: &Value,
    prefix: &str,
    out: &mut Vec<Field>,
    depth: usize,
) -> Result<(), RefError> {
    let required = required_of(object);
    for (name, schema) in object
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = format!("{prefix}{name}");
        let is_required = required.contains(name.as_str());
        flatten_property(doc, &path, schema, is_required, out, depth)?;
    }
    Ok(())
}

fn flatten_property(
    doc: &Value,
    path: &str,
    schema: &Value,
    required: bool,
    out: &mut Vec<Field>,
    depth: usize,
) -> Result<(), RefError> {
    out.push(field(doc, path.to_owned(), schema, required)?);
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let resolved = merge_local_ref(doc, schema)?;
    if resolved.get("properties").is_some() {
        flatten(doc, &resolved, &format!("{path}."), out, depth + 1)?;
    } else if let Some(items) = resolved.get("items") {
        let items = merge_local_ref(doc, items)?;
        if items.get("properties").is_some() {
            flatten(doc, &items, &format!("{path}[]."), out, depth + 1)?;
        }
    }
    Ok(())
}

/// A schema's type in words, for a field table.
pub fn type_label(doc: &Value, schema: &Value, depth: usize) -> Result<String, RefError> {
    let schema = merge_local_ref(doc, schema)?;
    if let Some(value) = schema.get("const") {
        return Ok(format!("always `{value}`"));
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        return Ok(format!("one of {}", values.join(", ")));
    }
    if let Some(Value::Array(options)) = schema.get("anyOf").or_else(|| schema.get("oneOf"))
        && depth < MAX_DEPTH
    {
        let labels = options
            .iter()
            .map(|o| type_label(doc, o, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(labels.join(" or "));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return Ok("any".to_owned());
    }
    let mut labels = Vec::with_capacity(types.len());
    for t in types {
        labels.push(match t {
            "array" => {
                let items = match schema.get("items").filter(|_| depth < MAX_DEPTH) {
                    Some(items) => type_label(doc, items, depth + 1)?,
                    None => "any".to_owned(),
                };
                format!("array of {items}")
            }
            "string" => {
                let mut label = "string".to_owned();
                if let Some(format) = schema.get("format").and_then(Value::as_str) {
                    label.push_str(&format!(" ({format})"));
                }
                if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                    label.push_str(&format!(" matching `{pattern}`"));
                }
                label
            }
            "integer" | "number" => {
                let mut label = t.to_owned();
                if let Some(min) = schema.get("minimum") {
                    label.push_str(&format!(" ≥ {min}"));
                }
                if let Some(max) = schema.get("maximum") {
                    label.push_str(&format!(" ≤ {max}"));
                }
                label
            }
            other => other.to_owned(),
        });
    }
    Ok(labels.join(" or "))
}
