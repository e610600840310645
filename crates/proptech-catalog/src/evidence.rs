//! The evidence table (`schemas/evidence.toml`): for every `enum`, `pattern`, `format`, `const` and
//! `required` in the schemas, and every `x-personal-data` mark, the words of the document it comes
//! from.
//!
//! A constraint rejects deliveries, so none may stand on a guess; a personal-data mark tells
//! receivers which members hold a person's data, so none may either. Each entry of the table names
//! the schemas and the locations (JSON pointers of the keyword) it covers, the keyword, the
//! document file and a quote from it; the lint suite checks that every constraint and mark is
//! covered, that every entry covers something, and that every quote is really in its document. The
//! same file records the `[[not-personal]]` decisions (see [`crate::personal`]).

use std::path::Path;

use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Deserialize;
use serde_json::Value;

use crate::Error;
use crate::personal::{NotPersonal, PERSONAL_DATA_KEYWORD};

/// The keywords that need evidence: the five constraints, and the personal-data mark
/// ([`PERSONAL_DATA_KEYWORD`]), which constrains nothing but tells receivers which members hold a
/// person's data.
pub const CONSTRAINT_KEYWORDS: [&str; 6] = [
    "enum",
    "pattern",
    "format",
    "const",
    "required",
    PERSONAL_DATA_KEYWORD,
];

/// One row of the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Schema paths under `schemas/` it covers (globs; `*` stays inside one path segment).
    pub schemas: Vec<String>,
    /// JSON pointers of the keyword inside those schemas (globs, `*` stays inside one segment).
    pub at: Vec<String>,
    /// The keyword: one of [`CONSTRAINT_KEYWORDS`].
    pub keyword: String,
    /// The provider document the quote is from: a file of the provider docs
    /// (`002_ea16d0cd40556098.txt`, `extra/valara/listing-created.txt`).
    pub document: String,
    /// The document's words, as they stand there (whitespace may differ).
    pub quote: String,
    /// The erratum that explains the reading, where the document alone does not settle it.
    #[serde(default)]
    pub erratum: Option<String>,
}

/// `schemas/evidence.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceTable {
    /// The rows, in file order.
    pub evidence: Vec<Evidence>,
    /// The recorded decisions that a property whose name looks personal is not (`[[not-personal]]`),
    /// in file order.
    #[serde(default, rename = "not-personal")]
    pub not_personal: Vec<NotPersonal>,
}

/// One constrained keyword in one schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Constraint {
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// JSON pointer of the keyword inside the schema, e.g. `/properties/data/required`.
    pub pointer: String,
    /// The keyword.
    pub keyword: String,
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{} ({})", self.schema, self.pointer, self.keyword)
    }
}

/// Keywords whose value is a map from names to subschemas.
const SCHEMA_MAPS: [&str; 4] = [
    "properties",
    "$defs",
    "patternProperties",
    "dependentSchemas",
];
/// Keywords whose value is one subschema.
const SCHEMA_VALUES: [&str; 9] = [
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
];
/// Keywords whose value is an array of subschemas.
const SCHEMA_ARRAYS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Every constraint in `schema` (the file at `path`), in document order. Only schema positions
/// are walked: property names, `examples` and annotation values are not constraints.
pub fn constraints(path: &str, schema: &Value) -> Vec<Constraint> {
    let mut out = Vec::new();
    walk_keywords(schema, &mut |pointer, keyword, value| {
        if CONSTRAINT_KEYWORDS.contains(&keyword) && (keyword != "required" || value.is_array()) {
            out.push(Constraint {
                schema: path.to_owned(),
                pointer: pointer.to_owned(),
                keyword: keyword.to_owned(),
            });
        }
    });
    out
}

/// The annotation `cargo xtask drift apply` writes on what live deliveries showed and the docs do
/// not: its own kind of evidence (counts and dates of observation, not a quote).
pub const OBSERVED_KEYWORD: &str = "x-observed";

/// Whether `c` stands on observation alone: an `enum` every value of which its schema object's
/// [`OBSERVED_KEYWORD`] lists as seen in deliveries (`cargo xtask drift apply` writes them so).
/// Documented values, and every other constraint, still need a quote.
fn observed(schema: &Value, c: &Constraint) -> bool {
    if c.keyword != "enum" {
        return false;
    }
    let holder = c.pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
    let Some(object) = schema.pointer(holder) else {
        return false;
    };
    let seen: Vec<&Value> = object
        .get(OBSERVED_KEYWORD)
        .and_then(|o| o.get("values"))
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(|v| v.get("value")).collect())
        .unwrap_or_default();
    object
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|values| !values.is_empty() && values.iter().all(|v| seen.contains(&v)))
}

/// Calls `visit(pointer, keyword, value)` for every keyword of every schema object in `schema`, in
/// document order, each keyword before the subschemas under it; `pointer` is the JSON pointer of
/// the keyword. Only schema positions are walked (`properties`, `$defs`, `items`, `allOf`, …):
/// property names, `examples` and annotation values are never taken for schemas.
pub(crate) fn walk_keywords(schema: &Value, visit: &mut impl FnMut(&str, &str, &Value)) {
    walk(schema, "", visit);
}

fn walk(schema: &Value, at: &str, visit: &mut impl FnMut(&str, &str, &Value)) {
    let Value::Object(map) = schema else { return };
    for (k, v) in map {
        let here = format!("{at}/{}", escape(k));
        visit(&here, k, v);
        if SCHEMA_MAPS.contains(&k.as_str()) {
            if let Value::Object(children) = v {
                for (name, child) in children {
                    walk(child, &format!("{here}/{}", escape(name)), visit);
                }
            }
        } else if SCHEMA_VALUES.contains(&k.as_str()) {
            walk(v, &here, visit);
        } else if SCHEMA_ARRAYS.contains(&k.as_str())
            && let Value::Array(items) = v
        {
            for (i, child) in items.iter().enumerate() {
                walk(child, &format!("{here}/{i}"), visit);
            }
        }
    }
}

/// `segment` escaped for a JSON pointer (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// `pattern` compiled as a glob whose `*` stays inside one path segment.
pub(crate) fn matcher(pattern: &str) -> Result<GlobMatcher, Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g: Glob| g.compile_matcher())
        .map_err(|e| Error::Evidence(format!("bad glob {pattern:?}: {e}")))
}

/// The table with its globs compiled.
#[derive(Debug)]
pub struct EvidenceIndex<'a> {
    rows: Vec<(&'a Evidence, Vec<GlobMatcher>, Vec<GlobMatcher>)>,
}

impl EvidenceTable {
    /// Loads `evidence.toml`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        crate::read_toml(path)
    }

    /// Compiles the globs; fails on a bad glob or an unknown keyword.
    pub fn index(&self) -> Result<EvidenceIndex<'_>, Error> {
        let mut rows = Vec::new();
        for e in &self.evidence {
            if !CONSTRAINT_KEYWORDS.contains(&e.keyword.as_str()) {
                return Err(Error::Evidence(format!(
                    "evidence for {:?} at {:?}: keyword must be one of {CONSTRAINT_KEYWORDS:?}",
                    e.keyword, e.at
                )));
            }
            if e.quote.trim().is_empty() || e.document.trim().is_empty() {
                return Err(Error::Evidence(format!(
                    "evidence for {} at {:?} needs a document and a quote",
                    e.keyword, e.at
                )));
            }
            let schemas = e
                .schemas
                .iter()
                .map(|p| matcher(p))
                .collect::<Result<_, _>>()?;
            let at = e.at.iter().map(|p| matcher(p)).collect::<Result<_, _>>()?;
            rows.push((e, schemas, at));
        }
        Ok(EvidenceIndex { rows })
    }
}

/// What [`EvidenceIndex::audit`] found.
#[derive(Debug, Default)]
pub struct Audit {
    /// Constraints no row covers.
    pub unannotated: Vec<Constraint>,
    /// Rows (by index in the table) that cover no constraint: stale evidence.
    pub unused: Vec<usize>,
    /// How many constraints were seen.
    pub seen: usize,
}

impl<'a> EvidenceIndex<'a> {
    /// The first row that covers `c`.
    pub fn evidence_for(&self, c: &Constraint) -> Option<&'a Evidence> {
        self.rows
            .iter()
            .find(|(e, schemas, at)| {
                e.keyword == c.keyword
                    && schemas.iter().any(|m| m.is_match(&c.schema))
                    && at.iter().any(|m| m.is_match(&c.pointer))
            })
            .map(|(e, _, _)| *e)
    }

    /// Checks every constraint of `docs` (path, schema) against the table.
    pub fn audit<'d>(&self, docs: impl IntoIterator<Item = (&'d str, &'d Value)>) -> Audit {
        let mut audit = Audit::default();
        let mut used = vec![false; self.rows.len()];
        for (path, value) in docs {
            for c in constraints(path, value) {
                audit.seen += 1;
                let mut covered = observed(value, &c);
                for (i, (e, schemas, at)) in self.rows.iter().enumerate() {
                    if e.keyword == c.keyword
                        && schemas.iter().any(|m| m.is_match(&c.schema))
                        && at.iter().any(|m| m.is_match(&c.pointer))
                    {
                        used[i] = true;
                        covered = true;
                    }
                }
                if !covered {
                    audit.unannotated.push(c);
                }
            }
        }
        audit.unused = used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| i)
            .collect();
        audit
    }
}

/// Whitespace-insensitive containment: `quote`'s words appear, in order and adjacent, in `text`.
/// Documents are stored with their line breaks and indentation as recovered, so runs of
/// whitespace count as one space.
pub fn quoted_in(text: &str, quote: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let quote = squash(quote);
    !quote.is_empty() && squash(text).contains(&quote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(toml_text: &str) -> EvidenceTable {
        toml::from_str(toml_text).expect("table parses")
    }

    const ONE_ROW: &str = r#"
        [[evidence]]
        schemas = ["acme/events/*.json"]
        at = ["/properties/data/properties/kind/enum"]
        keyword = "enum"
        document = "acme.txt"
        quote = "kind \"a\" | \"b\""
    "#;

    #[test]
    fn an_enum_all_of_whose_values_were_observed_needs_no_quote_and_no_other_does() {
        let table = table(ONE_ROW);
        let index = table.index().expect("compiles");
        let level = |enum_values: Value, observed: Value| {
            json!({ "properties": { "data": { "properties": { "level": {
                "enum": enum_values, "x-observed": { "values": observed } } } } } })
        };
        let seen = |v: &str| json!({ "value": v, "count": 1 });
        let all = level(json!(["low", "high"]), json!([seen("low"), seen("high")]));
        let audit = index.audit([("acme/events/e.json", &all)]);
        assert!(audit.unannotated.is_empty(), "{:?}", audit.unannotated);
        assert_eq!(audit.seen, 1);
        for partly in [
            level(json!(["low", "high"]), json!([seen("high")])),
            level(json!(["low"]), json!([])),
        ] {
            let audit = index.audit([("acme/events/e.json", &partly)]);
            assert_eq!(audit.unannotated.len(), 1, "{partly}");
        }
    }

    #[test]
    fn constraints_are_found_in_schema_positions_only() {
        let schema = json!({
            "required": ["data"],
            "properties": {
                "required": { "description": "a property named required", "type": "string" },
                "data": {
                    "type": "object",
                    "properties": {
                        "kind": { "enum": ["a", "b"] },
                        "email": { "type": "string", "x-personal-data": "contact" }
                    },
                    "anyOf": [{ "required": ["kind"] }]
                }
            },
            "$defs": { "id": { "pattern": "^x$", "format": "uuid" } },
            "examples": [{ "required": ["not a constraint"], "const": 1, "x-personal-data": "contact" }]
        });
        let found: Vec<String> = constraints("acme/events/e.json", &schema)
            .iter()
            .map(|c| format!("{} {}", c.pointer, c.keyword))
            .collect();
        assert_eq!(
            found,
            [
                "/required required",
                "/properties/data/properties/kind/enum enum",
                "/properties/data/properties/email/x-personal-data x-personal-data",
                "/properties/data/anyOf/0/required required",
                "/$defs/id/pattern pattern",
                "/$defs/id/format format",
            ]
        );
    }

    #[test]
    fn a_new_unannotated_constraint_fails_the_audit() {
        let t = table(ONE_ROW);
        let index = t.index().expect("globs compile");
        let annotated = json!({
            "properties": { "data": { "properties": { "kind": { "enum": ["a", "b"] } } } }
        });
        let audit = index.audit([("acme/events/e.json", &annotated)]);
        assert!(audit.unannotated.is_empty(), "{:?}", audit.unannotated);
        assert!(audit.unused.is_empty());
        assert_eq!(audit.seen, 1);

        // The same schema with a pattern nobody gave evidence for.
        let mut stricter = annotated.clone();
        stricter["properties"]["data"]["properties"]["name"] = json!({ "pattern": "^[A-Z]+$" });
        let audit = index.audit([("acme/events/e.json", &stricter)]);
        assert_eq!(
            audit.unannotated,
            [Constraint {
                schema: "acme/events/e.json".into(),
                pointer: "/properties/data/properties/name/pattern".into(),
                keyword: "pattern".into(),
            }]
        );

        // Evidence for one location does not cover another, nor another keyword, nor another file.
        let elsewhere = json!({ "properties": { "data": { "properties": {
            "other": { "enum": ["x"] }, "kind": { "const": "a" } } } } });
        let audit = index.audit([
            ("acme/events/e.json", &elsewhere),
            ("acme/other.json", &annotated),
        ]);
        assert_eq!(audit.unannotated.len(), 3, "{:?}", audit.unannotated);
        assert_eq!(
            audit.unused,
            [0],
            "the other file's enum is not covered either"
        );
    }

    #[test]
    fn a_personal_data_mark_needs_its_own_row() {
        let t = table(
            r#"
            [[evidence]]
            schemas = ["acme/events/*.json"]
            at = ["/properties/data/properties/email/x-personal-data"]
            keyword = "x-personal-data"
            document = "acme.txt"
            quote = "\"email\": \"jo@example.com\""
        "#,
        );
        let index = t
            .index()
            .expect("x-personal-data is a keyword rows may name");
        let marked = json!({ "properties": { "data": { "properties": {
            "email": { "type": "string", "format": "email", "x-personal-data": "contact" },
            "phone": { "type": "string", "x-personal-data": "contact" } } } } });
        let audit = index.audit([("acme/events/e.json", &marked)]);
        assert_eq!(audit.seen, 3);
        let unannotated: Vec<String> = audit.unannotated.iter().map(ToString::to_string).collect();
        assert_eq!(
            unannotated,
            [
                "acme/events/e.json#/properties/data/properties/email/format (format)",
                "acme/events/e.json#/properties/data/properties/phone/x-personal-data (x-personal-data)",
            ],
            "a mark's row covers neither another keyword nor another member"
        );
        assert!(audit.unused.is_empty());
    }

    #[test]
    fn a_row_that_covers_nothing_is_reported() {
        let t = table(ONE_ROW);
        let index = t.index().expect("globs compile");
        let audit = index.audit([("acme/events/e.json", &json!({ "type": "object" }))]);
        assert_eq!(audit.unused, [0]);
    }

    #[test]
    fn star_stays_inside_one_segment() {
        let t = table(
            r#"
            [[evidence]]
            schemas = ["acme/*.json"]
            at = ["/properties/*/format"]
            keyword = "format"
            document = "acme.txt"
            quote = "x"
        "#,
        );
        let index = t.index().expect("globs compile");
        let deep =
            json!({ "properties": { "a": { "properties": { "b": { "format": "email" } } } } });
        let audit = index.audit([("acme/events/e.json", &deep), ("acme/r.json", &deep)]);
        assert_eq!(audit.unannotated.len(), 2, "{:?}", audit.unannotated);
    }

    #[test]
    fn a_bad_keyword_or_an_empty_quote_is_refused() {
        let bad = table(&ONE_ROW.replace("keyword = \"enum\"", "keyword = \"type\""));
        assert!(bad.index().is_err());
        let empty = table(&ONE_ROW.replace("kind \\\"a\\\" | \\\"b\\\"", " "));
        assert!(empty.index().is_err());
    }

    #[test]
    fn quotes_match_across_whitespace_only() {
        assert!(quoted_in("a  b\n  c d", "b c"));
        assert!(!quoted_in("a b c", "a c"));
        assert!(!quoted_in("a b c", "  "));
    }
}
