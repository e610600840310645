//! Titles for the types code generators make from the bundled schemas.
//!
//! Generators (typify, json-schema-to-typescript, datamodel-code-generator) name a type after its
//! schema's `title`; without one they fall back to names like `Variant0`, or (typify) fail on a
//! nested object they cannot name. Every schema node that becomes a named type (an object, an enum
//! or `const`, an `anyOf`/`oneOf` union, a patterned or length-bounded string) gets a title derived
//! from where it sits: the event (`ListingUpdated`), then each step of the path to it (a property
//! name, `Item` for array items, `Value` for map values, the member's type for a union member),
//! so `data.changes` of `listing.updated` is `ListingUpdatedDataChanges`. A bundled definition is
//! named after its key (`Money`, `Envelope`). The names depend only on the event type and the
//! path, so they stay the same from release to release while the schema keeps its shape. Titles
//! the schema already has are kept.

use proptech_catalog::names::{event_name, pascal};
use serde_json::Value;

/// Adds a title to every node of `schema` (the bundled schema at `path` under `schemas/`) that a
/// generator turns into a named type and that has none.
pub fn add_titles(schema: &mut Value, path: &str) {
    let base = root_name(schema, path);
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for (key, def) in defs.iter_mut() {
            walk(def, &pascal(key.strip_prefix("defs.").unwrap_or(key)));
        }
    }
    walk(schema, &base);
}

/// The name of a schema's root: the event's type name, or the file's stem for envelopes and
/// request bodies.
fn root_name(schema: &Value, path: &str) -> String {
    match schema.get("x-event-type").and_then(Value::as_str) {
        Some(event_type) => event_name(event_type),
        None => {
            let file = path.rsplit('/').next().unwrap_or(path);
            pascal(file.strip_suffix(".json").unwrap_or(file))
        }
    }
}

/// Whether a generator turns `schema` into a type of its own, which needs a name.
fn is_named(schema: &serde_json::Map<String, Value>) -> bool {
    let has_type = |t: &str| match schema.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(types)) => types.iter().any(|v| v == t),
        _ => false,
    };
    ["properties", "enum", "const", "anyOf", "oneOf"]
        .iter()
        .any(|k| schema.contains_key(*k))
        || has_type("object")
        || (has_type("string")
            && ["pattern", "minLength", "maxLength"]
                .iter()
                .any(|k| schema.contains_key(*k)))
}

fn walk(schema: &mut Value, name: &str) {
    let Value::Object(map) = schema else {
        return;
    };
    if is_named(map) && !map.contains_key("title") {
        map.insert("title".to_owned(), Value::String(name.to_owned()));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (prop, child) in props.iter_mut() {
            walk(child, &format!("{name}{}", pascal(prop)));
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("patternProperties") {
        for child in props.values_mut() {
            walk(child, &format!("{name}Value"));
        }
    }
    if let Some(child) = map.get_mut("additionalProperties") {
        walk(child, &format!("{name}Value"));
    }
    match map.get_mut("items") {
        Some(Value::Array(items)) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk(child, &format!("{name}Item{}", i + 1));
            }
        }
        Some(child) => walk(child, &format!("{name}Item")),
        None => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            let suffixes = member_suffixes(members);
            for (child, suffix) in members.iter_mut().zip(suffixes) {
                walk(child, &format!("{name}{suffix}"));
            }
        }
    }
}

/// The name step of each member of a union: its type (`String`, `Object`) when that tells the
/// members apart, else its position (`Variant1`, `Variant2`, …).
fn member_suffixes(members: &[Value]) -> Vec<String> {
    let by_type: Vec<Option<String>> = members
        .iter()
        .map(|m| m.get("type").and_then(Value::as_str).map(pascal))
        .collect();
    let distinct: std::collections::BTreeSet<&String> = by_type.iter().flatten().collect();
    if distinct.len() == members.len() {
        by_type.into_iter().flatten().collect()
    } else {
        (1..=members.len()).map(|i| format!("Variant{i}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_types_are_named_by_event_and_path() {
        let mut schema = json!({
            "title": "Repull listing.updated",
            "x-event-type": "listing.updated",
            "properties": {
                "type": { "const": "listing.updated" },
                "data": {
                    "type": "object",
                    "properties": {
                        "title": { "type": "string" },
                        "changes": { "type": "object", "additionalProperties": { "$ref": "#/$defs/defs.change" } },
                        "photos": { "type": "array", "items": { "type": "object", "title": "Photo" } },
                        "price": { "anyOf": [{ "type": "string", "pattern": "^[0-9]+$" }, { "type": "null" }] }
                    }
                }
            },
            "$defs": { "defs.change": { "type": "object" } }
        });
        add_titles(&mut schema, "repull/events/listing.updated.json");
        assert_eq!(
            schema["title"], "Repull listing.updated",
            "an authored title stays"
        );
        assert_eq!(schema["properties"]["type"]["title"], "ListingUpdatedType");
        let data = &schema["properties"]["data"];
        assert_eq!(data["title"], "ListingUpdatedData");
        assert!(
            data["properties"]["title"].get("title").is_none(),
            "a plain string needs no name"
        );
        assert_eq!(
            data["properties"]["changes"]["title"],
            "ListingUpdatedDataChanges"
        );
        assert_eq!(data["properties"]["photos"]["items"]["title"], "Photo");
        assert_eq!(
            data["properties"]["price"]["title"],
            "ListingUpdatedDataPrice"
        );
        assert_eq!(
            data["properties"]["price"]["anyOf"][0]["title"],
            "ListingUpdatedDataPriceString"
        );
        assert_eq!(schema["$defs"]["defs.change"]["title"], "Change");
    }
}
