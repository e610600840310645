//! Every JSON Schema 2020-12 keyword, in one of three lists: enforced by the generated types,
//! an annotation (no effect on validation), or refused. The model builder asks [`classify`] about
//! every keyword of every schema it reads, and accepts an enforced keyword only in the shapes it
//! turns into Rust (`minimum` on a number, `additionalProperties` beside `properties` only as
//! `false`, ...); anything else fails generation with [`crate::Error::Keyword`], naming the keyword,
//! the schema and the JSON pointer. So no keyword is ignored in silence, and the typed parse
//! accepts what the `jsonschema` crate accepts. `tests/keywords.rs` proves that every keyword of
//! the 2020-12 meta-schemas is in exactly one list.

/// Keywords the generated types or their `Deserialize` enforce, in the shapes the generator
/// supports. Core keywords that only identify or hold schemas (`$schema`, `$id`, `$defs`) are here
/// because they need nothing enforced: `$defs` entries are read when a `$ref` reaches them.
pub const ENFORCED: &[&str] = &[
    // Core.
    "$schema",
    "$id",
    "$defs",
    "$ref",
    // Any instance.
    "type",
    "enum",
    "const",
    "anyOf",
    "allOf",
    "oneOf",
    // Strings.
    "pattern",
    "format",
    "minLength",
    "maxLength",
    // Numbers.
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    // Arrays.
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    // Objects.
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
];

/// Keywords that annotate and never change what validates: documentation, examples, defaults,
/// comments. Besides these, every keyword starting with [`EXTENSION_PREFIX`] is an annotation.
pub const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    "$comment",
];

/// The prefix of this project's extension keywords (`x-provider`, `x-source`, ...): annotations.
pub const EXTENSION_PREFIX: &str = "x-";

/// JSON Schema 2020-12 keywords the generated types do not enforce: generation fails where a
/// schema uses one. The content vocabulary is here rather than among the annotations because
/// validators may assert it; the draft 2019-09 keywords the 2020-12 meta-schema still lists
/// (`definitions`, `dependencies`, `$recursiveRef`, `$recursiveAnchor`) are here too.
pub const REFUSED: &[&str] = &[
    // Core.
    "$anchor",
    "$dynamicAnchor",
    "$dynamicRef",
    "$vocabulary",
    // Applicators.
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "contains",
    "propertyNames",
    // Unevaluated.
    "unevaluatedItems",
    "unevaluatedProperties",
    // Validation.
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "dependentRequired",
    // Content.
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    // Kept by the 2020-12 meta-schema for older drafts.
    "definitions",
    "dependencies",
    "$recursiveAnchor",
    "$recursiveRef",
];

/// What the generator does with a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// In [`ENFORCED`].
    Enforced,
    /// In [`ANNOTATIONS`], or an extension keyword.
    Annotation,
    /// In [`REFUSED`].
    Refused,
    /// Not a JSON Schema 2020-12 keyword nor an extension: refused too, so that a misspelt
    /// keyword (`minimun`) is not ignored in silence.
    Unknown,
}

/// The class of `keyword`.
pub fn classify(keyword: &str) -> Class {
    if ENFORCED.contains(&keyword) {
        Class::Enforced
    } else if ANNOTATIONS.contains(&keyword) || keyword.starts_with(EXTENSION_PREFIX) {
        Class::Annotation
    } else if REFUSED.contains(&keyword) {
        Class::Refused
    } else {
        Class::Unknown
    }
}

/// `pointer` with one more reference token, escaped as RFC 6901 requires.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}
