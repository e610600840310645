//! The mutants of the differential test (`tests/tests/it/differential.rs`), shared with the
//! generator's construct corpus (`crates/proptech-codegen/tests/golden_compile.rs`): each member
//! deleted, each value replaced by a value of each JSON type, by out-of-range numbers and by
//! strings breaking formats and patterns, and an unknown member added to each object.

use serde_json::{Value, json};

/// The replacement values: one of each JSON type, out-of-range numbers, strings that break every
/// format and pattern the schemas use.
pub fn replacements() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        // 2^64 and -2^63 - 1: beyond u64 and i64.
        serde_json::from_str("18446744073709551616").expect("a number"),
        serde_json::from_str("-9223372036854775809").expect("a number"),
        json!(""),
        json!("not a date, uuid, email, uri or pattern"),
        // Forms `uuid::Uuid` parses that the `uuid` format (RFC 4122's hyphenated text) does not.
        json!("67e5504410b1426f9247bb680e5fe0c8"),
        json!("{67e55044-10b1-426f-9247-bb680e5fe0c8}"),
        json!("urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8"),
        json!([]),
        json!(["mutant"]),
        json!({}),
        json!({ "mutant": 1 }),
    ]
}

/// The JSON pointers of every value in `v`, root first, in document order.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every mutant of `v`, each with a description, with [`replacements`].
pub fn mutants(v: &Value) -> Vec<(String, Value)> {
    mutants_with(v, &replacements())
}

/// Every mutant of `v`, each with a description, replacing values with `replacements`.
pub fn mutants_with(v: &Value, replacements: &[Value]) -> Vec<(String, Value)> {
    let mut ptrs = Vec::new();
    pointers(v, String::new(), &mut ptrs);
    let mut out = Vec::new();
    for p in &ptrs {
        let target = v.pointer(p).cloned().unwrap_or(Value::Null);
        if let Some((parent, key)) = p.rsplit_once('/')
            && v.pointer(parent).is_some_and(Value::is_object)
        {
            let mut m = v.clone();
            let key = key.replace("~1", "/").replace("~0", "~");
            if let Some(o) = m.pointer_mut(parent).and_then(Value::as_object_mut) {
                o.shift_remove(&key);
            }
            out.push((format!("delete {p}"), m));
        }
        if !p.is_empty() {
            for r in replacements {
                if *r == target {
                    continue;
                }
                let mut m = v.clone();
                if let Some(slot) = m.pointer_mut(p) {
                    *slot = r.clone();
                }
                out.push((format!("set {p} = {r}"), m));
            }
        }
        if target.is_object() {
            let mut m = v.clone();
            if let Some(o) = m.pointer_mut(p).and_then(Value::as_object_mut) {
                o.insert("x-mutant-member".into(), json!({ "added": [1, "two"] }));
            }
            out.push((format!("add an unknown member to {p:?}"), m));
        }
    }
    out
}
