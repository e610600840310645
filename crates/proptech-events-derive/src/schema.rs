//! Reading a bundled schema at compile time: following `$ref`s, merging their siblings, and
//! walking down to the sub-schema at an instance path.

use std::collections::BTreeSet;

use serde_json::Value;

/// A schema node with `$ref`s followed; a `$ref` with siblings means both apply, so the target's
/// `properties` and `required` are merged with the siblings'.
pub struct Node {
    pub schema: Value,
}

/// Follows local `$ref`s inside `doc`, merging siblings into the target.
pub fn resolve(doc: &Value, schema: &Value) -> Value {
    let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
        return schema.clone();
    };
    let Some(target) = doc.pointer(r.strip_prefix('#').unwrap_or(r)) else {
        return schema.clone();
    };
    let mut merged = resolve(doc, target);
    let (Some(out), Some(siblings)) = (merged.as_object_mut(), schema.as_object()) else {
        return merged;
    };
    for (k, v) in siblings {
        match (k.as_str(), out.get_mut(k)) {
            ("$ref", _) => {}
            ("properties", Some(Value::Object(base))) => {
                for (name, prop) in v.as_object().into_iter().flatten() {
                    base.insert(name.clone(), prop.clone());
                }
            }
            ("required", Some(Value::Array(base))) => {
                for name in v.as_array().into_iter().flatten() {
                    if !base.contains(name) {
                        base.push(name.clone());
                    }
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    merged
}

impl Node {
    pub fn new(doc: &Value, schema: &Value) -> Self {
        Node {
            schema: resolve(doc, schema),
        }
    }

    /// The sub-schema at the instance path `pointer` (`/data/guests`; array indexes step into
    /// `items`), or the segment that does not exist.
    pub fn at(doc: &Value, pointer: &str) -> Result<Node, String> {
        let mut node = Node::new(doc, doc);
        let mut walked = String::new();
        for seg in pointer.split('/').skip(1) {
            let next = if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
                node.schema.get("items")
            } else {
                node.schema.get("properties").and_then(|p| p.get(seg))
            };
            match next {
                Some(s) => node = Node::new(doc, s),
                None => {
                    let there = node
                        .property_names()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(format!(
                        "no `{seg}` at {}; there: {}",
                        if walked.is_empty() {
                            "the top level"
                        } else {
                            &walked
                        },
                        if there.is_empty() {
                            "no documented members"
                        } else {
                            &there
                        }
                    ));
                }
            }
            walked.push('/');
            walked.push_str(seg);
        }
        Ok(node)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.schema.get(key)
    }

    pub fn property_names(&self) -> BTreeSet<String> {
        self.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn required(&self) -> BTreeSet<String> {
        self.get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The JSON types the schema allows (`null` included), inferred from `enum`/`const`/
    /// `properties` when `type` is absent; empty means any value.
    pub fn types(&self) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        let mut add = |t: &str| {
            out.insert(match t {
                "string" => "string",
                "integer" => "integer",
                "number" => "number",
                "boolean" => "boolean",
                "array" => "array",
                "object" => "object",
                _ => "null",
            });
        };
        match self.get("type") {
            Some(Value::String(t)) => add(t),
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(&mut add),
            _ => {
                if self.get("properties").is_some() {
                    add("object");
                }
                let values = self
                    .get("enum")
                    .and_then(Value::as_array)
                    .cloned()
                    .or_else(|| self.get("const").map(|c| vec![c.clone()]))
                    .unwrap_or_default();
                for v in values {
                    add(match v {
                        Value::String(_) => "string",
                        Value::Bool(_) => "boolean",
                        Value::Number(_) => "number",
                        Value::Array(_) => "array",
                        Value::Object(_) => "object",
                        Value::Null => "null",
                    });
                }
            }
        }
        out
    }

    pub fn format(&self) -> Option<&str> {
        self.get("format").and_then(Value::as_str)
    }

    /// A short description of what the schema allows, for messages.
    pub fn describe(&self) -> String {
        let types: Vec<&str> = self.types().into_iter().collect();
        let mut out = if types.is_empty() {
            "any value".to_owned()
        } else {
            types.join(" | ")
        };
        if let Some(f) = self.format() {
            out.push_str(&format!(" (format {f})"));
        }
        if let Some(values) = self.get("enum").and_then(Value::as_array) {
            let values: Vec<String> = values.iter().map(Value::to_string).collect();
            out.push_str(&format!(" (one of {})", values.join(", ")));
        }
        for (key, word) in [("minimum", "minimum"), ("maximum", "maximum")] {
            if let Some(v) = self.get(key) {
                out.push_str(&format!(" ({word} {v})"));
            }
        }
        out
    }

    pub fn bound(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }
}
