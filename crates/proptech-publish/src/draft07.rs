//! The JSON Schema draft-07 translation of the bundled 2020-12 schemas: one function that both
//! the AsyncAPI payloads and the bundle's `draft-07/` twins (the schemas code generators such as
//! typify, json-schema-to-typescript and datamodel-code-generator read) are made with.
//!
//! The translation is without loss for the keywords the schema set uses: a `$ref` beside other
//! keywords becomes an `allOf` member (draft-07 ignores such siblings), `$defs` entries move to
//! where the target document keeps its definitions (`definitions` in a twin,
//! `components.schemas` in an AsyncAPI document), and `format: uuid`, which draft-07 does not
//! define, is kept and backed by the equivalent `pattern`.
//!
//! Two rewrites keep the meaning and make the schemas read well to code generators: a `type`
//! beside `anyOf`/`oneOf` is repeated in each member, and an `anyOf` whose members exclude each
//! other is written as `oneOf`.

use serde_json::{Map, Value, json};

/// What `format: uuid` (RFC 4122's hyphenated hex form) asserts, for draft-07 validators that do
/// not know the format.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The `$schema` of every twin.
pub const DIALECT: &str = "http://json-schema.org/draft-07/schema#";

/// Where the twins live in the bundle: `draft-07/<path under schemas/>`.
pub const DIR: &str = "draft-07";

/// Where a twin keeps its definitions (the bundled schema's `$defs`).
const DEFINITIONS: &str = "#/definitions/";

/// Translates a bundled 2020-12 schema to draft-07, with its references to the bundle's `$defs`
/// rewritten to `definitions` (a prefix such as `#/components/schemas/`). `$schema`, `$id` and
/// `$defs` are left out: where the definitions go is the caller's choice.
pub fn translate(schema: &Value, definitions: &str) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut reference = None;
            for (key, child) in map {
                match key.as_str() {
                    "$schema" | "$id" | "$defs" => {}
                    "$ref" => {
                        reference = child.as_str().map(|r| {
                            let key = r.strip_prefix("#/$defs/").unwrap_or(r);
                            format!("{definitions}{key}")
                        });
                    }
                    // Instance data and annotations, not subschemas.
                    "examples" | "const" | "enum" | "default" | "required" => {
                        out.insert(key.clone(), child.clone());
                    }
                    k if k.starts_with("x-") => {
                        out.insert(key.clone(), child.clone());
                    }
                    "properties" | "patternProperties" => {
                        let converted: Map<String, Value> = child
                            .as_object()
                            .map(|props| {
                                props
                                    .iter()
                                    .map(|(name, s)| (name.clone(), translate(s, definitions)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(key.clone(), Value::Object(converted));
                    }
                    _ => {
                        out.insert(key.clone(), translate(child, definitions));
                    }
                }
            }
            if out.get("format").and_then(Value::as_str) == Some("uuid") {
                let uuid = json!({ "pattern": UUID_PATTERN });
                if out.contains_key("pattern") {
                    match out.get_mut("allOf") {
                        Some(Value::Array(all_of)) => all_of.push(uuid),
                        _ => {
                            out.insert("allOf".to_owned(), json!([uuid]));
                        }
                    }
                } else {
                    out.insert("pattern".to_owned(), json!(UUID_PATTERN));
                }
            }
            type_union_members(&mut out);
            exclusive_any_of(&mut out);
            match reference {
                None => Value::Object(out),
                Some(reference) if out.is_empty() => json!({ "$ref": reference }),
                Some(reference) => {
                    let mut all_of = vec![json!({ "$ref": reference })];
                    if let Some(Value::Array(existing)) = out.remove("allOf") {
                        all_of.extend(existing);
                    }
                    out.insert("allOf".to_owned(), Value::Array(all_of));
                    Value::Object(out)
                }
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| translate(item, definitions))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Copies a `type` that sits beside `anyOf`/`oneOf` into each member without one. The schema means
/// the same (`type` applies to the instance whichever member matches), but generators build each
/// member's type from the member alone: `{"format": "date-time"}` without its `type` is a schema
/// typify cannot make a type of.
fn type_union_members(schema: &mut Map<String, Value>) {
    let Some(ty) = schema.get("type").cloned() else {
        return;
    };
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = schema.get_mut(key) {
            for member in members {
                if let Value::Object(member) = member
                    && !member.contains_key("type")
                    && !member.contains_key("$ref")
                {
                    member.insert("type".to_owned(), ty.clone());
                }
            }
        }
    }
}

/// Writes an `anyOf` whose members no instance can match two of as the `oneOf` it is equivalent
/// to. Generators read `oneOf` as a sum type (an enum), but many turn `anyOf` into something
/// else: typify makes a struct of optional flattened members, which cannot hold a string.
fn exclusive_any_of(schema: &mut Map<String, Value>) {
    if schema.contains_key("oneOf") {
        return;
    }
    let Some(Value::Array(members)) = schema.get("anyOf") else {
        return;
    };
    let exclusive = members.len() > 1
        && members.iter().enumerate().all(|(i, a)| {
            members[i + 1..]
                .iter()
                .all(|b| disjoint(a, b) || disjoint(b, a))
        });
    if exclusive && let Some(members) = schema.remove("anyOf") {
        schema.insert("oneOf".to_owned(), members);
    }
}

/// Whether no instance matches both `a` and `b`, as far as this can tell: their `type`s share
/// nothing, or `a` allows a finite set of values (`enum`, `const`) none of which `b` accepts.
fn disjoint(a: &Value, b: &Value) -> bool {
    let types = |s: &Value| -> Option<Vec<String>> {
        match s.get("type")? {
            Value::String(t) => Some(vec![t.clone()]),
            Value::Array(ts) => Some(
                ts.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => None,
        }
    };
    if let (Some(ta), Some(tb)) = (types(a), types(b)) {
        let overlap = |x: &str, y: &str| {
            x == y || matches!((x, y), ("integer", "number") | ("number", "integer"))
        };
        if !ta.iter().any(|x| tb.iter().any(|y| overlap(x, y))) {
            return true;
        }
    }
    let values: Vec<&Value> = match (a.get("enum"), a.get("const")) {
        (Some(Value::Array(values)), _) => values.iter().collect(),
        (None, Some(value)) => vec![value],
        _ => return false,
    };
    // `b` judged alone: a member that refers elsewhere cannot be, so it counts as overlapping.
    if b.to_string().contains("\"$ref\"") {
        return false;
    }
    let Ok(validator) = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(b)
    else {
        return false;
    };
    values.iter().all(|v| !validator.is_valid(v))
}

/// The draft-07 twin of a bundled schema: self-contained, its `$defs` under `definitions`, with
/// `$schema` set to draft-07 and `$id` naming its place in the bundle (`<base>draft-07/<path>`).
pub fn twin(bundled: &Value, id: &str) -> Value {
    let mut out = Map::new();
    out.insert("$schema".to_owned(), json!(DIALECT));
    out.insert("$id".to_owned(), json!(id));
    if let Value::Object(body) = translate(bundled, DEFINITIONS) {
        out.extend(body);
    }
    if let Some(defs) = bundled.get("$defs").and_then(Value::as_object) {
        let definitions: Map<String, Value> = defs
            .iter()
            .map(|(key, def)| (key.clone(), translate(def, DEFINITIONS)))
            .collect();
        out.insert("definitions".to_owned(), Value::Object(definitions));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_any_of_of_exclusive_members_becomes_one_of() {
        let open_end = json!({
            "type": "string",
            "anyOf": [{ "format": "date-time" }, { "enum": ["-Infinity"] }]
        });
        assert_eq!(
            translate(&open_end, DEFINITIONS),
            json!({
                "type": "string",
                "oneOf": [
                    { "format": "date-time", "type": "string" },
                    { "enum": ["-Infinity"], "type": "string" }
                ]
            })
        );
        // "2026-01-01T00:00:00Z" matches both members: the `anyOf` stays.
        let overlapping = json!({
            "anyOf": [
                { "type": "string", "format": "date-time" },
                { "enum": ["2026-01-01T00:00:00Z"] }
            ]
        });
        assert_eq!(translate(&overlapping, DEFINITIONS), overlapping);
        let by_type = json!({ "anyOf": [{ "type": "string" }, { "type": "null" }] });
        assert!(translate(&by_type, DEFINITIONS).get("oneOf").is_some());
    }

    #[test]
    fn a_twin_moves_defs_to_definitions_and_refs_with_siblings_to_all_of() {
        let bundled = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://example.com/p/events/e.json",
            "$ref": "#/$defs/envelope",
            "properties": { "id": { "type": "string", "format": "uuid" } },
            "$defs": { "envelope": { "type": "object", "required": ["id"] } }
        });
        let twin = twin(&bundled, "https://example.com/draft-07/p/events/e.json");
        assert_eq!(
            twin,
            json!({
                "$schema": DIALECT,
                "$id": "https://example.com/draft-07/p/events/e.json",
                "properties": {
                    "id": { "type": "string", "format": "uuid", "pattern": UUID_PATTERN }
                },
                "allOf": [{ "$ref": "#/definitions/envelope" }],
                "definitions": { "envelope": { "type": "object", "required": ["id"] } }
            })
        );
    }
}
