//! The personal values of an instance, read off its event schema by walking the two together: the
//! oracle of the leak tests, written apart from the crate's own redaction (which works from paths
//! the generator lists) so that the two can disagree.

use proptech_catalog::{SchemaSet, bundle::bundle, dereference};
use serde_json::Value;

/// The string values of one instance, sorted by what its schema says of them.
#[derive(Debug, Default, Clone)]
pub struct Values {
    /// Every string or number (as written) under a member marked `x-personal-data`.
    pub personal: Vec<String>,
    /// Every string the schema describes as a plain string (no `enum`, no `const`, not inside an
    /// alternative) with no mark on the way to it.
    pub plain: Vec<String>,
}

impl Values {
    /// The personal values a leak test can look for: at least three characters long, and not
    /// found in a plain value of the same instance (text that also stands unmarked elsewhere
    /// cannot tell a leak from a legitimate print).
    pub fn telling_personal(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .personal
            .iter()
            .map(String::as_str)
            .filter(|p| p.chars().count() >= 3)
            .filter(|p| !self.plain.iter().any(|u| u.contains(p)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The plain values a test can expect to see: at least three characters long and containing
    /// no personal value.
    pub fn telling_plain(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .plain
            .iter()
            .map(String::as_str)
            .filter(|u| u.chars().count() >= 3)
            .filter(|u| !self.personal.iter().any(|p| u.contains(p.as_str())))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The inlined schema of `provider`'s `event_type`.
pub fn event_schema(set: &SchemaSet, provider: &str, event_type: &str) -> Value {
    let path = format!("{provider}/events/{event_type}.json");
    let bundled = bundle(set, &path).unwrap_or_else(|e| panic!("{path} bundles: {e}"));
    dereference(&bundled).unwrap_or_else(|e| panic!("{path} inlines: {e}"))
}

/// The values of `instance` sorted by `schema` (inlined).
pub fn values(schema: &Value, instance: &Value) -> Values {
    let mut out = Values::default();
    walk(schema, instance, Mark::No, &mut out, 0);
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    No,
    /// Inside an alternative: not plain, not marked (unless a mark is found below).
    Alternative,
    Yes,
}

fn walk(schema: &Value, instance: &Value, mark: Mark, out: &mut Values, depth: usize) {
    if depth > 64 {
        return;
    }
    let mark = if schema.get("x-personal-data").is_some() {
        Mark::Yes
    } else {
        mark
    };
    if mark == Mark::Yes {
        leaves(instance, &mut out.personal);
        return;
    }
    // Alternatives: every branch may mark; nothing under them counts as plain.
    let mut mark = mark;
    for key in ["anyOf", "oneOf", "allOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(branch, instance, Mark::Alternative, out, depth + 1);
            mark = Mark::Alternative;
        }
    }
    match instance {
        Value::Object(members) => {
            for (name, value) in members {
                let sub = schema
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                if let Some(sub) = sub {
                    walk(sub, value, mark, out, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let sub = schema
                    .get("prefixItems")
                    .and_then(|p| p.get(i))
                    .or_else(|| schema.get("items"));
                if let Some(sub) = sub {
                    walk(sub, item, mark, out, depth + 1);
                }
            }
        }
        Value::String(s)
            if mark == Mark::No
                && schema.get("enum").is_none()
                && schema.get("const").is_none()
                && schema.get("type").is_some_and(|t| t == "string") =>
        {
            out.plain.push(s.clone());
        }
        _ => {}
    }
}

fn leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
        Value::Object(members) => members.values().for_each(|v| leaves(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn marked_and_plain_values_are_told_apart() {
        let schema = json!({ "properties": {
            "name": { "type": "string", "x-personal-data": "identity" },
            "city": { "type": "string" },
            "status": { "type": "string", "enum": ["a"] },
            "guests": { "items": { "properties": {
                "email": { "type": "string", "x-personal-data": "contact" },
                "note": { "type": "string" }
            }}}
        }});
        let v = values(
            &schema,
            &json!({ "name": "Ana Ruiz", "city": "Lisbon", "status": "a", "extra": "x",
                     "guests": [{ "email": "a@b.example", "note": "late arrival" }] }),
        );
        assert_eq!(v.personal, ["Ana Ruiz", "a@b.example"]);
        assert_eq!(v.plain, ["Lisbon", "late arrival"]);
    }
}
