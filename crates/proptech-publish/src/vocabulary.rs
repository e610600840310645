//! `vocabulary.json`: the annotation keywords (`x-provider`, `x-event-type`, …) the bundled
//! schemas carry, in one file, so that a strict validator can be told about them in one line
//! (Ajv: `ajv.addVocabulary(vocabulary.keywords)`).
//!
//! The list is not kept by hand beside the schemas: [`vocabulary`] collects every `x-` keyword the
//! bundle's schemas use and refuses one this module has no description of, so a keyword cannot
//! reach partners undeclared.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::Error;

/// The bundle path of the vocabulary file.
pub const PATH: &str = "vocabulary.json";

/// Every annotation keyword the schemas may carry, with what it says (as `schemas/README.md`
/// documents it).
pub const KEYWORDS: &[(&str, &str)] = &[
    (
        "x-api-version",
        "The provider's own payload version (`api_version`) the event schema describes.",
    ),
    (
        "x-category",
        "The category the provider's catalog files the event under.",
    ),
    (
        "x-documentation-status",
        "`complete`: the docs give every field of the payload; `partial`: the docs were cut \
         short, so the documented fields are typed and the rest is open; `undocumented`: the docs \
         name the event but not its payload.",
    ),
    (
        "x-emitted-when",
        "When the provider emits the event, as documented.",
    ),
    (
        "x-event-type",
        "The event type exactly as the provider sends it.",
    ),
    (
        "x-observed",
        "Seen in live deliveries, not documented by the provider (written by `cargo xtask drift \
         apply`): on a member, `{count, first_seen, last_seen}`; beside an enum, `{values: [{value, \
         count, first_seen, last_seen}]}` for the values beyond the documented ones.",
    ),
    (
        "x-personal-data",
        "What a member holding a person's data holds: `contact`, `identity`, `address`, \
         `free-text` or `network`.",
    ),
    (
        "x-provider",
        "The provider whose deliveries the schema describes.",
    ),
    (
        "x-source",
        "The documentation page(s) the schema is traced to.",
    ),
];

/// The vocabulary file for `schemas`: the keywords they use, sorted, each with its description.
///
/// Fails on an `x-` keyword that [`KEYWORDS`] does not describe, naming the schema and where in it.
pub fn vocabulary<'a>(
    schemas: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<Value, Error> {
    let mut used = BTreeSet::new();
    for (path, schema) in schemas {
        collect(schema, &mut String::new(), &mut |keyword, at| {
            if KEYWORDS.iter().any(|(k, _)| *k == keyword) {
                used.insert(keyword.to_owned());
                Ok(())
            } else {
                Err(Error::Schema {
                    path: path.to_owned(),
                    message: format!(
                        "annotation keyword {keyword:?} at {at} is not in the bundle's vocabulary \
                         (crates/proptech-publish/src/vocabulary.rs): describe it there"
                    ),
                })
            }
        })?;
    }
    let descriptions: serde_json::Map<String, Value> = KEYWORDS
        .iter()
        .filter(|(k, _)| used.contains(*k))
        .map(|(k, d)| ((*k).to_owned(), Value::String((*d).to_owned())))
        .collect();
    Ok(json!({
        "description": "The annotation keywords of the bundle's schemas. They never constrain an \
            instance. A strict validator needs them declared: with Ajv, \
            `ajv.addVocabulary(vocabulary.keywords)`.",
        "keywords": used,
        "descriptions": descriptions,
    }))
}

/// Calls `found` with every `x-` keyword of the schema `value` and the JSON pointer of the
/// schema object holding it. Keys under `properties`, `$defs` and `definitions` name members and
/// definitions, not keywords; `examples`, `const`, `enum` and `default` hold instances.
fn collect(
    value: &Value,
    at: &mut String,
    found: &mut impl FnMut(&str, &str) -> Result<(), Error>,
) -> Result<(), Error> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key.starts_with("x-") {
                    found(key, if at.is_empty() { "/" } else { at })?;
                }
                let len = at.len();
                at.push('/');
                at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match key.as_str() {
                    "properties" | "patternProperties" | "$defs" | "definitions"
                    | "dependentSchemas" => {
                        if let Value::Object(members) = child {
                            for (name, schema) in members {
                                let len = at.len();
                                at.push('/');
                                at.push_str(&name.replace('~', "~0").replace('/', "~1"));
                                collect(schema, at, found)?;
                                at.truncate(len);
                            }
                        }
                    }
                    "examples" | "const" | "enum" | "default" => {}
                    _ if key.starts_with("x-") => {}
                    _ => collect(child, at, found)?,
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                collect(item, at, found)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_keywords_used_and_no_member_named_like_one() {
        let schema = json!({
            "x-provider": "acme",
            "properties": {
                "x-custom-member": { "type": "string", "x-personal-data": "contact" }
            },
            "examples": [{ "x-not-a-keyword": 1 }]
        });
        let v = vocabulary([("acme/events/a.json", &schema)]).expect("describes them");
        assert_eq!(v["keywords"], json!(["x-personal-data", "x-provider"]));
        assert!(v["descriptions"]["x-provider"].is_string());
    }

    #[test]
    fn refuses_an_undescribed_keyword_naming_where_it_is() {
        let schema = json!({ "properties": { "a": { "items": { "x-new": true } } } });
        let err = vocabulary([("acme/events/a.json", &schema)])
            .expect_err("x-new is not described")
            .to_string();
        assert!(err.contains("acme/events/a.json"), "{err}");
        assert!(err.contains("\"x-new\" at /properties/a/items"), "{err}");
    }
}
