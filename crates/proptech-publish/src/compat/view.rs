//! The resolver and merged view: `$ref`s followed, `allOf` parts merged into one view of a
//! schema object.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::escape;
/// A subschema inside one root document, with its JSON pointer from that root.
#[derive(Debug, Clone)]
pub(super) struct Loc<'a> {
    pub(super) value: &'a Value,
    pub(super) ptr: String,
}

impl<'a> Loc<'a> {
    pub(super) fn root(value: &'a Value) -> Self {
        Loc {
            value,
            ptr: String::new(),
        }
    }

    pub(super) fn child(&self, value: &'a Value, path: &str) -> Self {
        Loc {
            value,
            ptr: format!("{}/{path}", self.ptr),
        }
    }
}

/// Resolves a local `$ref` (`#`, `#/$defs/...`) against `root`, through the catalog's resolver.
pub(super) fn resolve<'a>(root: &'a Value, reference: &str) -> Option<Loc<'a>> {
    proptech_catalog::local_ref(root, reference).map(|(ptr, value)| Loc { value, ptr })
}

/// Which way a bound is stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// A lower bound: larger is stricter.
    Lower,
    /// An upper bound: smaller is stricter.
    Upper,
}

pub(super) const BOUNDS: [(&str, Bound); 12] = [
    ("minimum", Bound::Lower),
    ("exclusiveMinimum", Bound::Lower),
    ("maximum", Bound::Upper),
    ("exclusiveMaximum", Bound::Upper),
    ("minLength", Bound::Lower),
    ("maxLength", Bound::Upper),
    ("minItems", Bound::Lower),
    ("maxItems", Bound::Upper),
    ("minProperties", Bound::Lower),
    ("maxProperties", Bound::Upper),
    ("minContains", Bound::Lower),
    ("maxContains", Bound::Upper),
];

/// Keywords that only document: their changes are [`ChangeKind::Documentation`], except the
/// three `x-*` annotations with a kind of their own.
pub(super) fn is_annotation(keyword: &str) -> bool {
    keyword.starts_with("x-")
        || matches!(
            keyword,
            "description"
                | "title"
                | "examples"
                | "default"
                | "deprecated"
                | "readOnly"
                | "writeOnly"
                | "$comment"
                | "$schema"
                | "$id"
                | "$anchor"
                | "$dynamicAnchor"
        )
}

/// An `anyOf` or `oneOf` of one part of a view.
#[derive(Debug)]
pub(super) struct Composition<'a> {
    pub(super) keyword: &'static str,
    pub(super) branches: Vec<Loc<'a>>,
}

/// What a set of subschemas that all apply to the same instance says, merged.
#[derive(Debug, Default)]
pub(super) struct View<'a> {
    /// A `false` schema is among them: nothing is accepted.
    pub(super) never: bool,
    /// The accepted JSON types; `None` for any.
    pub(super) types: Option<BTreeSet<&'a str>>,
    pub(super) constant: Option<&'a Value>,
    pub(super) allowed: Option<Vec<&'a Value>>,
    pub(super) format: Option<&'a str>,
    pub(super) patterns: BTreeSet<&'a str>,
    pub(super) bounds: BTreeMap<&'static str, (f64, &'a Value)>,
    pub(super) multiple_of: Option<(f64, &'a Value)>,
    pub(super) unique_items: bool,
    pub(super) required: BTreeSet<&'a str>,
    pub(super) properties: BTreeMap<&'a str, Vec<Loc<'a>>>,
    pub(super) closed: bool,
    pub(super) additional: Vec<Loc<'a>>,
    pub(super) items: Vec<Loc<'a>>,
    pub(super) compositions: Vec<Composition<'a>>,
    pub(super) annotations: BTreeMap<&'a str, &'a Value>,
    /// Keywords this module does not classify, and unresolvable `$ref`s.
    pub(super) other: BTreeMap<&'a str, Vec<&'a Value>>,
}

/// Whether a `type` set accepts instances of type `ty`.
pub(super) fn accepts(types: &BTreeSet<&str>, ty: &str) -> bool {
    types.contains(ty) || (ty == "integer" && types.contains("number"))
}

impl<'a> View<'a> {
    pub(super) fn collect(root: &'a Value, locs: &[Loc<'a>]) -> Self {
        let mut view = View::default();
        let mut seen = BTreeSet::new();
        for loc in locs {
            view.absorb(root, loc, &mut seen);
        }
        view
    }

    pub(super) fn other(&mut self, keyword: &'a str, value: &'a Value) {
        self.other.entry(keyword).or_default().push(value);
    }

    pub(super) fn absorb(&mut self, root: &'a Value, loc: &Loc<'a>, seen: &mut BTreeSet<String>) {
        // A location met twice adds nothing (a conjunction is idempotent); this also ends
        // `$ref` cycles.
        if !seen.insert(loc.ptr.clone()) {
            return;
        }
        let map = match loc.value {
            Value::Object(map) => map,
            Value::Bool(true) => return,
            Value::Bool(false) => {
                self.never = true;
                return;
            }
            other => {
                self.other("(not a schema)", other);
                return;
            }
        };
        for (keyword, value) in map {
            let keyword = keyword.as_str();
            match keyword {
                "$ref" | "allOf" | "$defs" | "definitions" => {}
                "type" => match type_set(value) {
                    Some(set) => {
                        self.types = Some(match self.types.take() {
                            None => set,
                            Some(current) => intersect(&current, &set),
                        });
                    }
                    None => self.other(keyword, value),
                },
                "const" => {
                    self.constant.get_or_insert(value);
                }
                "enum" => match value.as_array() {
                    Some(values) => {
                        self.allowed = Some(match self.allowed.take() {
                            None => values.iter().collect(),
                            Some(current) => {
                                current.into_iter().filter(|v| values.contains(v)).collect()
                            }
                        });
                    }
                    None => self.other(keyword, value),
                },
                "format" => match value.as_str() {
                    Some(format) => {
                        self.format.get_or_insert(format);
                    }
                    None => self.other(keyword, value),
                },
                "pattern" => match value.as_str() {
                    Some(pattern) => {
                        self.patterns.insert(pattern);
                    }
                    None => self.other(keyword, value),
                },
                "multipleOf" => match value.as_f64() {
                    Some(n) => {
                        self.multiple_of.get_or_insert((n, value));
                    }
                    None => self.other(keyword, value),
                },
                "uniqueItems" => match value.as_bool() {
                    Some(unique) => self.unique_items |= unique,
                    None => self.other(keyword, value),
                },
                "required" => match string_list(value) {
                    Some(names) => self.required.extend(names),
                    None => self.other(keyword, value),
                },
                "properties" => match value.as_object() {
                    Some(properties) => {
                        for (name, schema) in properties {
                            let at = loc.child(schema, &format!("properties/{}", escape(name)));
                            self.properties.entry(name.as_str()).or_default().push(at);
                        }
                    }
                    None => self.other(keyword, value),
                },
                "additionalProperties" => match value {
                    Value::Bool(false) => self.closed = true,
                    Value::Bool(true) => {}
                    Value::Object(_) => self.additional.push(loc.child(value, keyword)),
                    _ => self.other(keyword, value),
                },
                "items" => match value {
                    Value::Object(_) | Value::Bool(_) => self.items.push(loc.child(value, keyword)),
                    _ => self.other(keyword, value),
                },
                "anyOf" | "oneOf" => match value.as_array() {
                    Some(branches) => self.compositions.push(Composition {
                        keyword: if keyword == "anyOf" { "anyOf" } else { "oneOf" },
                        branches: branches
                            .iter()
                            .enumerate()
                            .map(|(i, b)| loc.child(b, &format!("{keyword}/{i}")))
                            .collect(),
                    }),
                    None => self.other(keyword, value),
                },
                _ if is_annotation(keyword) => {
                    self.annotations.entry(keyword).or_insert(value);
                }
                _ => match (BOUNDS.iter().find(|(name, _)| *name == keyword), value) {
                    (Some(&(name, direction)), Value::Number(n)) => {
                        let n = n.as_f64().unwrap_or(f64::NAN);
                        let entry = self.bounds.entry(name).or_insert((n, value));
                        let stricter = match direction {
                            Bound::Lower => n > entry.0,
                            Bound::Upper => n < entry.0,
                        };
                        if stricter {
                            *entry = (n, value);
                        }
                    }
                    _ => self.other(keyword, value),
                },
            }
        }
        if let Some(reference) = map.get("$ref") {
            match reference.as_str().and_then(|r| resolve(root, r)) {
                Some(target) => self.absorb(root, &target, seen),
                None => self.other("$ref", reference),
            }
        }
        match map.get("allOf") {
            Some(Value::Array(parts)) => {
                for (i, part) in parts.iter().enumerate() {
                    self.absorb(root, &loc.child(part, &format!("allOf/{i}")), seen);
                }
            }
            Some(other) => self.other("allOf", other),
            None => {}
        }
    }

    /// The accepted types, in words: `string | null`, `any`.
    pub(super) fn type_text(&self) -> String {
        if self.never {
            return "nothing".to_owned();
        }
        match &self.types {
            None => "any".to_owned(),
            Some(set) if set.is_empty() => "nothing".to_owned(),
            Some(set) => set.iter().copied().collect::<Vec<_>>().join(" | "),
        }
    }
}

pub(super) fn type_set(value: &Value) -> Option<BTreeSet<&str>> {
    match value {
        Value::String(ty) => Some(BTreeSet::from([ty.as_str()])),
        Value::Array(_) => string_list(value).map(|names| names.into_iter().collect()),
        _ => None,
    }
}

pub(super) fn string_list(value: &Value) -> Option<Vec<&str>> {
    value.as_array()?.iter().map(Value::as_str).collect()
}

/// The types both sets accept (`integer` is a subset of `number`).
pub(super) fn intersect<'a>(a: &BTreeSet<&'a str>, b: &BTreeSet<&'a str>) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for &ty in a {
        if b.contains(ty) {
            out.insert(ty);
        } else if (ty == "integer" && b.contains("number"))
            || (ty == "number" && b.contains("integer"))
        {
            out.insert("integer");
        }
    }
    out
}

/// A value in a detail: compact JSON in backticks.
pub(super) fn code(value: &Value) -> String {
    format!("`{value}`")
}

pub(super) fn code_list(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| code(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short scalar annotation as text, `None` if it is long or structured.
pub(super) fn short(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.chars().count() <= 60 && !s.contains('\n') => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) | Value::Null => Some(value.to_string()),
        _ => None,
    }
}
