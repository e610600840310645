//! No keyword is ignored in silence: every keyword of the JSON Schema 2020-12 meta-schemas is
//! enforced, an annotation or refused (`src/keywords.rs`), and a schema that uses a refused
//! keyword, an unknown one, or an enforced one in a form the types do not enforce, fails
//! generation with an error naming the keyword, the schema and the JSON pointer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptech_catalog::SchemaSet;
use proptech_codegen::keywords::{self, ANNOTATIONS, Class, ENFORCED, REFUSED};
use serde_json::{Value, json};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Every keyword the 2020-12 meta-schemas define: the members of their `properties`.
fn meta_keywords() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![here().join("metaschemas/draft2020-12")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("meta-schema directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("meta-schema");
            let schema: Value = serde_json::from_str(&text).expect("meta-schema JSON");
            let props = schema["properties"].as_object().expect("properties");
            found.extend(props.keys().cloned());
        }
    }
    found
}

#[test]
fn every_meta_schema_keyword_is_in_exactly_one_list() {
    let meta = meta_keywords();
    // All nine files were read: core, applicator, unevaluated, validation, meta-data,
    // format-annotation, format-assertion, content, and the draft's own schema.
    assert!(meta.len() >= 60, "only {} keywords found", meta.len());
    let mut wrong = Vec::new();
    for keyword in &meta {
        let lists = [ENFORCED, ANNOTATIONS, REFUSED]
            .iter()
            .filter(|l| l.contains(&keyword.as_str()))
            .count();
        if lists != 1 {
            wrong.push(format!("{keyword}: in {lists} lists"));
        }
    }
    // And the lists name nothing the meta-schemas do not define (a typo would hide a keyword).
    for keyword in ENFORCED.iter().chain(ANNOTATIONS).chain(REFUSED) {
        if !meta.contains(*keyword) {
            wrong.push(format!("{keyword}: not a 2020-12 keyword"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(keywords::classify("x-provider"), Class::Annotation);
    assert_eq!(keywords::classify("minimun"), Class::Unknown);
}

const EVENT: &str = "lavanda/events/v1.spaces.building.created.json";

/// The `basic` golden event with `patch` applied to its member `note` (`{"type": "string"}`).
fn with_note(dir: &Path, note: Value) -> SchemaSet {
    let base = here().join("schemas/basic").join(EVENT);
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(base).expect("basic event")).expect("JSON");
    schema["properties"]["note"] = note;
    let path = dir.join(EVENT);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("directory");
    std::fs::write(&path, serde_json::to_string_pretty(&schema).expect("JSON")).expect("write");
    // The set poses as Lavanda's: its descriptor says how its events are shaped.
    std::fs::copy(
        SchemaSet::workspace_root().join("lavanda/provider.toml"),
        dir.join("lavanda/provider.toml"),
    )
    .expect("the descriptor copies");
    SchemaSet::load(dir).expect("schema set loads")
}

fn render(case: &str, note: Value) -> Result<String, proptech_codegen::Error> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("keywords/{case}"));
    let _ = std::fs::remove_dir_all(&dir);
    let set = with_note(&dir, note);
    proptech_codegen::render_provider(&set, "lavanda").map(|f| f.contents)
}

fn expect_refused(case: &str, note: Value, keyword: &str) -> Result<(), String> {
    match render(case, note) {
        Err(e @ proptech_codegen::Error::Keyword { .. }) => {
            let want = format!(
                "{keyword} at {EVENT}#/properties/note is not enforced by the generated types"
            );
            if e.to_string() == want {
                Ok(())
            } else {
                Err(format!("{case}: got {e:?}, want {want}"))
            }
        }
        Err(other) => Err(format!("{case}: wrong error {other}")),
        Ok(_) => Err(format!("{case}: generated")),
    }
}

#[test]
fn a_refused_or_unknown_keyword_fails_generation_naming_it() {
    let mut failures = Vec::new();
    for keyword in REFUSED.iter().chain(&["minimun", "requried"]) {
        let mut note = json!({ "type": "string" });
        note[*keyword] = json!({});
        if let Err(e) = expect_refused(keyword, note, keyword) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_enforced_keyword_in_a_form_the_types_do_not_enforce_fails() {
    let cases = [
        // A length on a checked newtype, a length that is not a count.
        (
            "length_on_format",
            json!({"type": "string", "format": "date", "minLength": 2}),
            "minLength",
        ),
        (
            "length_not_count",
            json!({"type": "string", "maxLength": 1.5}),
            "maxLength",
        ),
        // Draft 4's boolean exclusive bound.
        (
            "boolean_bound",
            json!({"type": "number", "exclusiveMinimum": true}),
            "exclusiveMinimum",
        ),
        // A format without a checked type.
        (
            "unknown_format",
            json!({"type": "string", "format": "hostname"}),
            "format",
        ),
        // A pattern and a format together: the newtype checks only the pattern.
        (
            "pattern_and_format",
            json!({"type": "string", "format": "date", "pattern": "^[A-Z]{3}$"}),
            "format",
        ),
        // Typed values beside named members.
        (
            "typed_additional",
            json!({"type": "object", "properties": {"a": {"type": "string"}},
                   "additionalProperties": {"type": "string"}}),
            "additionalProperties",
        ),
        // A required member without a schema.
        (
            "required_without_property",
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}),
            "required",
        ),
        // An untyped value that keywords would constrain.
        ("untyped_bound", json!({"minimum": 1}), "minimum"),
        // A const that is not a string.
        (
            "numeric_const",
            json!({"type": "integer", "const": 3}),
            "const",
        ),
        // patternProperties open to other names (their values would be untyped).
        (
            "open_pattern_properties",
            json!({"type": "object", "patternProperties": {"^[A-Z]{3}$": {"type": "number"}}}),
            "patternProperties",
        ),
        // A oneOf of objects with no member that tells the branches apart.
        (
            "one_of_without_discriminator",
            json!({"oneOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}},
                {"type": "object", "properties": {"b": {"type": "string"}}}
            ]}),
            "oneOf",
        ),
        // prefixItems that allow a shorter or a longer array.
        (
            "open_prefix_items",
            json!({"type": "array", "prefixItems": [{"type": "string"}]}),
            "prefixItems",
        ),
        (
            "short_prefix_items",
            json!({"type": "array", "prefixItems": [{"type": "string"}], "items": false}),
            "minItems",
        ),
        // minItems on a plain array.
        (
            "min_items",
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1}),
            "minItems",
        ),
        // Bounds on a union's member types are not checked per variant.
        (
            "union_bound",
            json!({"type": ["string", "integer"], "minimum": 1}),
            "minimum",
        ),
    ];
    let err = render(
        "draft4_items",
        json!({"type": "array", "items": [{"type": "string"}]}),
    )
    .expect_err("items as an array");
    assert_eq!(
        err.to_string(),
        format!(
            "(not a schema) at {EVENT}#/properties/note/items is not enforced by the generated types"
        )
    );
    let failures: Vec<String> = cases
        .into_iter()
        .filter_map(|(case, note, keyword)| expect_refused(case, note, keyword).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn annotations_change_nothing_but_documentation() {
    let plain = render("plain", json!({ "type": "string" })).expect("generates");
    for keyword in ANNOTATIONS.iter().chain(&["x-anything"]) {
        if *keyword == "description" {
            continue;
        }
        let mut note = json!({ "type": "string" });
        note[*keyword] = json!(["an annotation"]);
        let got = render(keyword, note).unwrap_or_else(|e| panic!("{keyword}: {e}"));
        assert_eq!(got, plain, "{keyword} changed the generated code");
    }
}

#[test]
fn all_of_branches_that_conflict_or_close_the_object_fail() {
    let conflict = json!({"allOf": [
        {"properties": {"a": {"type": "string"}}},
        {"properties": {"a": {"type": "integer"}}}
    ]});
    let err = render("all_of_conflict", conflict).expect_err("a conflict");
    assert!(
        err.to_string()
            .contains("#/properties/note/allOf/1: allOf describes member \"a\" twice"),
        "{err}"
    );
    let closed = json!({"allOf": [{"type": "object", "additionalProperties": false}]});
    let err = render("all_of_closed", closed).expect_err("a closed branch");
    assert_eq!(
        err.to_string(),
        format!(
            "additionalProperties at {EVENT}#/properties/note/allOf/0 is not enforced by the generated types"
        )
    );
}
