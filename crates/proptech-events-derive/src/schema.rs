//! Reading an embedded schema at compile time: walking down to the sub-schema at an instance path.

use std::collections::BTreeSet;

use serde_json::Value;

/// A schema node. `cargo xtask gen` inlines every `$ref` of the embedded schemas (with
/// `proptech_catalog::dereference`), so a node is a plain tree: no resolver here.
pub struct Node {
    pub schema: Value,
}

impl Node {
    pub fn new(schema: &Value) -> Self {
        Node {
            schema: schema.clone(),
        }
    }

    /// The sub-schema at the instance path `pointer` (`/data/guests`; array indexes step into
    /// `items`), or the segment that does not exist.
    pub fn at(doc: &Value, pointer: &str) -> Result<Node, String> {
        let mut node = Node::new(doc);
        let mut walked = String::new();
        for seg in pointer.split('/').skip(1) {
            let next = if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
                node.schema.get("items")
            } else {
                node.schema.get("properties").and_then(|p| p.get(seg))
            };
            match next {
                Some(s) => node = Node::new(s),
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
