//! The Rust types never drift from the schemas: for every event, the schema schemars derives from
//! the generated type must agree with the source schema on property names, required members,
//! types, `null`, enum and const values, formats, patterns, array items and map values.

use std::collections::BTreeSet;

use serde_json::Value;

/// A schema with the document it lives in, its `$ref`s followed and merged with their siblings.
#[derive(Clone)]
struct Node<'a> {
    doc: &'a Value,
    schema: Value,
}

/// Follows `$ref`s (all local after bundling), merged with their siblings; a `$ref` that does not
/// resolve fails the test.
fn resolve(doc: &Value, schema: &Value) -> Value {
    proptech_catalog::merge_local_ref(doc, schema).unwrap_or_else(|e| panic!("{e}"))
}

impl<'a> Node<'a> {
    fn new(doc: &'a Value, schema: &Value) -> Self {
        Node {
            doc,
            schema: resolve(doc, schema),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.schema.get(key)
    }

    fn child(&self, schema: &Value) -> Node<'a> {
        Node::new(self.doc, schema)
    }

    /// The `type` set of the schema, with `null` in it if the value may be null. An `anyOf` of a
    /// schema and `{"type": "null"}` (how schemars writes `Option<Named>`) counts as that schema
    /// plus null.
    fn types(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        match self.get("type") {
            Some(Value::String(t)) => {
                out.insert(t.clone());
            }
            Some(Value::Array(ts)) => {
                out.extend(ts.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
        if out.is_empty() {
            if self.get("properties").is_some() {
                out.insert("object".into());
            } else if let Some(values) = self.get("enum").and_then(Value::as_array) {
                out.extend(values.iter().map(json_type));
            } else if let Some(c) = self.get("const") {
                out.insert(json_type(c));
            }
        }
        for alts in ["anyOf", "oneOf"] {
            if let Some(alts) = self.get(alts).and_then(Value::as_array) {
                for alt in alts {
                    out.extend(self.child(alt).types());
                }
            }
        }
        out
    }

    /// The non-null alternative of an `anyOf: [X, {type: null}]`, or the schema itself.
    fn non_null(self) -> Node<'a> {
        if let Some(alts) = self.get("anyOf").and_then(Value::as_array) {
            let mut non_null: Vec<_> = alts
                .iter()
                .map(|a| self.child(a))
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null.len() == 1 {
                return non_null.remove(0);
            }
        }
        self
    }

    /// The enum (or const) values, if the schema is closed over a set of values.
    fn values(&self) -> Option<BTreeSet<String>> {
        if let Some(values) = self.get("enum").and_then(Value::as_array) {
            return Some(
                values
                    .iter()
                    .map(Value::to_string)
                    .filter(|v| v != "null")
                    .collect(),
            );
        }
        self.get("const").map(|c| BTreeSet::from([c.to_string()]))
    }

    fn required(&self) -> BTreeSet<String> {
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
}

fn json_type(v: &Value) -> String {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
    .into()
}

/// Compares a source schema with the derived one at `at`; `optional` says the member may be absent,
/// which schemars expresses by allowing `null` too.
fn compare(source: Node, derived: Node, at: &str, optional: bool, out: &mut Vec<String>) {
    let mut s_types = source.types();
    let mut d_types = derived.types();
    // "integer" is a "number": the source may say number where the type keeps any JSON number.
    let s_null = s_types.remove("null");
    let d_null = d_types.remove("null");
    if s_types.is_empty() {
        // Untyped in the source: the Rust type must accept anything too.
        if !d_types.is_empty() {
            out.push(format!("{at}: source is untyped, Rust type is {d_types:?}"));
        }
        return;
    }
    if s_types != d_types {
        out.push(format!(
            "{at}: type {s_types:?} in the schema, {d_types:?} in Rust"
        ));
        return;
    }
    if s_null && !d_null {
        out.push(format!(
            "{at}: the schema allows null, the Rust type does not"
        ));
    }
    if d_null && !s_null && !optional {
        out.push(format!(
            "{at}: the Rust type allows null, the schema does not"
        ));
    }
    let derived = derived.non_null();
    if let Some(values) = source.values() {
        match derived.values() {
            Some(d) if d == values => {}
            d => out.push(format!(
                "{at}: values {values:?} in the schema, {d:?} in Rust"
            )),
        }
    }
    for key in ["format", "pattern"] {
        let s = source.get(key).and_then(Value::as_str);
        if s.is_some()
            && source.get("anyOf").is_none()
            && s != derived.get(key).and_then(Value::as_str)
        {
            out.push(format!(
                "{at}: {key} {s:?} in the schema, {:?} in Rust",
                derived.get(key)
            ));
        }
    }
    if let (Some(si), Some(di)) = (source.get("items"), derived.get("items")) {
        let (si, di) = (source.child(si), derived.child(di));
        compare(si, di, &format!("{at}/items"), false, out);
    }
    if let Some(sp) = source.get("properties").and_then(Value::as_object) {
        let Some(dp) = derived.get("properties").and_then(Value::as_object) else {
            out.push(format!(
                "{at}: the schema has properties, the Rust type has none"
            ));
            return;
        };
        let s_names: BTreeSet<&String> = sp.keys().collect();
        let d_names: BTreeSet<&String> = dp.keys().collect();
        if s_names != d_names {
            out.push(format!(
                "{at}: properties {s_names:?} in the schema, {d_names:?} in Rust"
            ));
        }
        let s_req = source.required();
        let d_req = derived.required();
        if s_req != d_req {
            out.push(format!(
                "{at}: required {s_req:?} in the schema, {d_req:?} in Rust"
            ));
        }
        for (name, s) in sp {
            if let Some(d) = dp.get(name) {
                let optional = !s_req.contains(name);
                let (s, d) = (source.child(s), derived.child(d));
                compare(s, d, &format!("{at}/{name}"), optional, out);
            }
        }
    } else if let Some(Value::Object(_)) = source.get("additionalProperties") {
        match (
            source.get("additionalProperties"),
            derived.get("additionalProperties"),
        ) {
            (Some(s), Some(d)) => {
                let (s, d) = (source.child(s), derived.child(d));
                compare(s, d, &format!("{at}/*"), false, out)
            }
            _ => out.push(format!("{at}: the schema is a map, the Rust type is not")),
        }
    }
}

/// The source schema, self-contained, exactly as the derive embeds it for the event.
fn bundled(provider: &str, event_type: &str) -> Value {
    let events = match provider {
        "valara" => proptech_events::valara::EVENTS,
        "repull" => proptech_events::repull::EVENTS,
        "lavanda" => proptech_events::lavanda::EVENTS,
        _ => proptech_events::everreal::EVENTS,
    };
    let info = events
        .iter()
        .find(|e| e.event_type == event_type)
        .expect("every derived schema is in the catalog");
    serde_json::from_str(info.json_schema).expect("the embedded schema is JSON")
}

#[test]
fn every_rust_type_agrees_with_its_schema() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (provider, derived) in [
        ("valara", proptech_events::valara::derived_schemas()),
        ("repull", proptech_events::repull::derived_schemas()),
        ("lavanda", proptech_events::lavanda::derived_schemas()),
        ("everreal", proptech_events::everreal::derived_schemas()),
    ] {
        for (event_type, schema) in derived {
            let source = bundled(provider, event_type);
            let derived = serde_json::to_value(&schema).expect("schema serialises");
            let mut out = Vec::new();
            compare(
                Node::new(&source, &source),
                Node::new(&derived, &derived),
                "",
                false,
                &mut out,
            );
            problems.extend(
                out.into_iter()
                    .map(|p| format!("{provider}/{event_type}{p}")),
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 90);
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The comparison has teeth: a schema with a changed type, a renamed property, a dropped enum
/// value or a new required member is reported.
/// A kind of drift, and how to make it in a source schema.
type Drift<'a> = (&'a str, &'a dyn Fn(&mut Value));

#[test]
fn the_comparison_catches_drift() {
    let derived = proptech_events::valara::derived_schemas()
        .into_iter()
        .find(|(t, _)| *t == "invoice.payment_made")
        .map(|(_, s)| serde_json::to_value(&s).expect("serialises"))
        .expect("derived");
    let source = bundled("valara", "invoice.payment_made");
    let check = |mutate: &dyn Fn(&mut Value)| {
        let mut s = source.clone();
        mutate(&mut s);
        let mut out = Vec::new();
        compare(
            Node::new(&s, &s),
            Node::new(&derived, &derived),
            "",
            false,
            &mut out,
        );
        out
    };
    assert!(check(&|_| ()).is_empty());
    let data = "/properties/data/properties";
    let cases: [Drift; 5] = [
        ("type", &|s| {
            s.pointer_mut(&format!("{data}/amount/type"))
                .map(|t| *t = "string".into())
                .unwrap_or(())
        }),
        ("properties", &|s| {
            let props = s
                .pointer_mut(data)
                .and_then(Value::as_object_mut)
                .expect("props");
            let v = props.remove("invoice_id").expect("member");
            props.insert("invoiceId".into(), v);
        }),
        ("values", &|s| {
            s.pointer_mut(&format!("{data}/payment_method/enum"))
                .and_then(Value::as_array_mut)
                .map(|e| e.truncate(2))
                .unwrap_or(())
        }),
        ("required", &|s| {
            s.pointer_mut("/properties/data/required")
                .and_then(Value::as_array_mut)
                .map(|r| r.push("listing_number".into()))
                .unwrap_or(())
        }),
        ("null", &|s| {
            s.pointer_mut(&format!("{data}/currency"))
                .and_then(Value::as_object_mut)
                .map(|c| {
                    c.insert("type".into(), serde_json::json!(["string", "null"]));
                })
                .unwrap_or(())
        }),
    ];
    for (what, mutate) in cases {
        let out = check(mutate);
        assert!(
            out.iter().any(|p| p.contains(what)),
            "{what} drift not caught: {out:?}"
        );
    }
}
