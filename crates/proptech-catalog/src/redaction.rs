//! Where a delivery holds personal data: the instance paths of the members a schema marks
//! `x-personal-data`, read from an event's inlined schema ([`crate::dereference`]).
//!
//! The generator hands these paths to the typed crate (its redacting `Debug` and `redacted()`),
//! and the partner bundle lists them per event. A marked member is personal as a whole: the walk
//! does not descend below it.

use serde_json::Value;

use crate::personal::PERSONAL_DATA_KEYWORD as MARK;

/// One step of an instance path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The member of an object with this name.
    Member(String),
    /// Every item of an array, or every value of an object whose members are not named
    /// (`additionalProperties`, `patternProperties`).
    Any,
}

/// A member a schema marks as personal data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonalPath {
    /// Where the member is, from the schema's root.
    pub path: Vec<Step>,
    /// The mark's category, as written (`contact`, `identity`, `address`, `free-text`,
    /// `network`).
    pub category: String,
}

impl PersonalPath {
    /// The path as the reference pages write a field (`data.guests[].email`).
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Member(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Any => out.push_str("[]"),
            }
        }
        out
    }
}

/// How deep the walk goes: deeper than any schema of the set, shallower than a stack overflow.
const MAX_DEPTH: usize = 64;

/// Every member `schema` (an inlined schema: no `$ref`) marks as personal data, in schema order,
/// each once. Branches of `allOf`/`anyOf`/`oneOf` and conditionals contribute at the same path.
pub fn personal_paths(schema: &Value) -> Vec<PersonalPath> {
    let mut out = Vec::new();
    walk(schema, &mut Vec::new(), &mut out, 0);
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

fn walk(schema: &Value, at: &mut Vec<Step>, out: &mut Vec<PersonalPath>, depth: usize) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(category) = object.get(MARK).and_then(Value::as_str)
        && !at.is_empty()
    {
        out.push(PersonalPath {
            path: at.clone(),
            category: category.to_owned(),
        });
        return;
    }
    for (name, member) in object
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        at.push(Step::Member(name.clone()));
        walk(member, at, out, depth + 1);
        at.pop();
    }
    let any: Vec<&Value> = ["items", "additionalProperties", "unevaluatedProperties"]
        .iter()
        .filter_map(|k| object.get(*k))
        .chain(
            ["prefixItems"]
                .iter()
                .filter_map(|k| object.get(*k).and_then(Value::as_array))
                .flatten(),
        )
        .chain(
            object
                .get("patternProperties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values()),
        )
        .collect();
    for sub in any {
        at.push(Step::Any);
        walk(sub, at, out, depth + 1);
        at.pop();
    }
    let same: Vec<&Value> = ["allOf", "anyOf", "oneOf"]
        .iter()
        .filter_map(|k| object.get(*k).and_then(Value::as_array))
        .flatten()
        .chain(["if", "then", "else"].iter().filter_map(|k| object.get(*k)))
        .collect();
    for sub in same {
        walk(sub, at, out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dotted(schema: &Value) -> Vec<(String, String)> {
        personal_paths(schema)
            .iter()
            .map(|p| (p.dotted(), p.category.clone()))
            .collect()
    }

    #[test]
    fn marks_are_found_through_members_items_maps_and_branches() {
        let schema = json!({
            "properties": {
                "data": { "properties": {
                    "guest": { "properties": {
                        "email": { "type": "string", "x-personal-data": "contact" },
                        "nights": { "type": "integer" }
                    }},
                    "guests": { "items": { "properties": {
                        "name": { "x-personal-data": "identity" }
                    }}},
                    "by_room": { "additionalProperties": { "x-personal-data": "free-text" } },
                    "either": { "oneOf": [
                        { "properties": { "ip": { "x-personal-data": "network" } } },
                        { "properties": { "ip": { "x-personal-data": "network" } } }
                    ]}
                }}
            }
        });
        assert_eq!(
            dotted(&schema),
            [
                ("data.guest.email", "contact"),
                ("data.guests[].name", "identity"),
                ("data.by_room[]", "free-text"),
                ("data.either.ip", "network"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    #[test]
    fn a_marked_object_is_personal_as_a_whole() {
        let schema = json!({ "properties": { "address": {
            "x-personal-data": "address",
            "properties": { "street": { "x-personal-data": "address" } }
        }}});
        assert_eq!(
            dotted(&schema),
            [("address".to_owned(), "address".to_owned())]
        );
    }

    #[test]
    fn a_mark_on_the_root_marks_no_member() {
        assert!(personal_paths(&json!({ "x-personal-data": "contact" })).is_empty());
    }
}
