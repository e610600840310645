//! `dereference`: every `$ref` inlined and merged with its siblings, recursion refused, and the
//! schema set's own bundles judged the same before and after.

use proptech_catalog::{RefError, SchemaSet, bundle::bundle, dereference};
use serde_json::{Value, json};

#[test]
fn inlines_refs_and_merges_siblings() {
    let doc = json!({
        "type": "object",
        "properties": {
            "data": {
                "$ref": "#/$defs/payload",
                "properties": { "extra": { "type": "string" } },
                "required": ["extra"]
            },
            "list": { "type": "array", "items": { "$ref": "#/$defs/item" } },
            "enum": { "enum": [{ "$ref": "kept as a value" }] }
        },
        "$defs": {
            "payload": { "$ref": "#/$defs/base" },
            "base": {
                "type": "object",
                "properties": { "id": { "type": "string" } },
                "required": ["id"]
            },
            "item": { "anyOf": [{ "$ref": "#/$defs/base" }, { "type": "null" }] }
        }
    });
    let out = dereference(&doc).expect("resolves");
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "data": {
                    "type": "object",
                    "properties": { "id": { "type": "string" }, "extra": { "type": "string" } },
                    "required": ["id", "extra"]
                },
                "list": {
                    "type": "array",
                    "items": { "anyOf": [
                        {
                            "type": "object",
                            "properties": { "id": { "type": "string" } },
                            "required": ["id"]
                        },
                        { "type": "null" }
                    ] }
                },
                "enum": { "enum": [{ "$ref": "kept as a value" }] }
            }
        })
    );
}

#[test]
fn refuses_a_recursive_schema_and_a_dangling_ref() {
    let recursive = json!({
        "$ref": "#/$defs/node",
        "$defs": { "node": { "type": "object", "properties": { "next": { "$ref": "#/$defs/node" } } } }
    });
    let err = dereference(&recursive).expect_err("no finite form");
    assert_eq!(err, RefError::Recursive);
    assert!(err.to_string().contains("recursive"), "{err}");
    let dangling = json!({ "properties": { "a": { "$ref": "#/$defs/missing" } } });
    let err = dereference(&dangling).expect_err("does not resolve");
    assert_eq!(
        err,
        RefError::Unresolved {
            reference: "#/$defs/missing".to_owned()
        }
    );
    assert!(err.to_string().contains("#/$defs/missing"), "{err}");
}

/// Every event's bundle, inlined, accepts and rejects each fixture, and each fixture with one
/// member removed at any depth, exactly as the bundle does (judged by the `jsonschema` crate),
/// and keeps no `$ref`.
#[test]
fn inlined_bundles_judge_fixtures_and_their_mutants_as_the_bundles_do() {
    let set = SchemaSet::load_workspace().expect("schemas load");
    let fixtures = set.fixtures().expect("fixtures load");
    let (mut judged, mut rejected) = (0, 0);
    for event in set.events() {
        let path = &event.doc.path;
        let bundled = bundle(&set, path).expect("bundles");
        let inlined = dereference(&bundled).expect("inlines");
        assert!(!inlined.to_string().contains("\"$ref\""), "{path}");
        let a = jsonschema::validator_for(&bundled).expect("bundle compiles");
        let b = jsonschema::validator_for(&inlined).expect("inlined compiles");
        for fixture in fixtures.iter().filter(|f| &f.schema == path) {
            let text = std::fs::read_to_string(&fixture.path).expect("fixture reads");
            let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
            for instance in std::iter::once(value.clone()).chain(without_each_member(&value)) {
                let verdict = a.is_valid(&instance);
                assert_eq!(
                    verdict,
                    b.is_valid(&instance),
                    "{} on {path}: {instance}",
                    fixture.key()
                );
                judged += 1;
                rejected += usize::from(!verdict);
            }
        }
    }
    assert!(judged >= 500, "only {judged} instances judged");
    assert!(
        rejected >= 100,
        "only {rejected} instances rejected: the mutants test too little"
    );
}

/// `value` with one object member removed, for every member at every depth.
fn without_each_member(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for key in map.keys() {
                let mut copy = map.clone();
                copy.remove(key);
                out.push(Value::Object(copy));
            }
            for (key, child) in map {
                for mutant in without_each_member(child) {
                    let mut copy = map.clone();
                    copy.insert(key.clone(), mutant);
                    out.push(Value::Object(copy));
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                for mutant in without_each_member(child) {
                    let mut copy = items.clone();
                    copy[i] = mutant;
                    out.push(Value::Array(copy));
                }
            }
        }
        _ => {}
    }
    out
}
