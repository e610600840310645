//! Bundling: one schema made self-contained, with every resource it references (the envelope,
//! shared definitions) copied under its `$defs`, so it can be used without the rest of the set.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{Error, SchemaSet};

/// Resolves a `$ref` written in the file at `base` to (file path, JSON pointer).
pub fn resolve_ref(base: &str, reference: &str) -> (String, String) {
    let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    if file.is_empty() {
        return (base.to_owned(), fragment.to_owned());
    }
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for segment in file.split('/') {
        match segment {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    (parts.join("/"), fragment.to_owned())
}

/// The key a referenced resource gets under the bundle's `$defs`: its file stem, then the pointer.
fn def_key(root_path: &str, file: &str, pointer: &str) -> String {
    let provider_dir = root_path.split('/').next().unwrap_or_default();
    let stem = file
        .strip_prefix(&format!("{provider_dir}/"))
        .unwrap_or(file)
        .trim_end_matches(".json")
        .replace('/', ".");
    let tail: Vec<&str> = pointer
        .split('/')
        .filter(|s| !s.is_empty() && *s != "$defs")
        .collect();
    if tail.is_empty() {
        stem
    } else {
        format!("{stem}.{}", tail.join("."))
    }
}

/// The schema at `path`, self-contained: every `$ref` points into its own `$defs`.
pub fn bundle(set: &SchemaSet, path: &str) -> Result<Value, Error> {
    let doc = set
        .get(path)
        .ok_or_else(|| Error::Bundle(format!("no schema {path}")))?;
    let mut root = doc.value.clone();
    let mut defs: BTreeMap<String, Value> = BTreeMap::new();
    // (key, file the value came from) of defs still to rewrite.
    let mut pending: Vec<(String, String)> = Vec::new();
    rewrite(set, path, path, &mut root, &mut defs, &mut pending)?;
    while let Some((key, origin)) = pending.pop() {
        // The def stays in `defs` while it is rewritten, so a reference back to it is not queued
        // again.
        let mut value = defs.get(&key).cloned().unwrap_or(Value::Null);
        rewrite(set, path, &origin, &mut value, &mut defs, &mut pending)?;
        if let Value::Object(map) = &mut value {
            map.remove("$id");
            map.remove("$schema");
            map.remove("$defs");
        }
        defs.insert(key, value);
    }
    if !defs.is_empty() {
        let map = root
            .as_object_mut()
            .ok_or_else(|| Error::Bundle(format!("{path} is not an object")))?;
        let slot = map
            .entry("$defs")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(existing) = slot {
            existing.extend(defs);
        }
    }
    Ok(root)
}

/// Rewrites every `$ref` inside `value` (which came from the file `origin`) to point into the
/// bundle's `$defs`, queuing the resources it reaches.
fn rewrite(
    set: &SchemaSet,
    root_path: &str,
    origin: &str,
    value: &mut Value,
    defs: &mut BTreeMap<String, Value>,
    pending: &mut Vec<(String, String)>,
) -> Result<(), Error> {
    match value {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "examples" || k == "const" || k == "enum" {
                    continue;
                }
                if k == "$ref" {
                    let Some(reference) = child.as_str() else {
                        continue;
                    };
                    let target = set.follow(origin, reference)?;
                    let (file, pointer) = (&target.file, &target.pointer);
                    if file == root_path && is_root_local(pointer) {
                        continue;
                    }
                    let key = def_key(root_path, file, pointer);
                    if !defs.contains_key(&key) && !pending.iter().any(|(p, _)| *p == key) {
                        defs.insert(key.clone(), target.value.clone());
                        pending.push((key.clone(), file.clone()));
                    }
                    *child = Value::String(format!("#/$defs/{key}"));
                } else {
                    rewrite(set, root_path, origin, child, defs, pending)?;
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite(set, root_path, origin, child, defs, pending)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_root_local(pointer: &str) -> bool {
    pointer.starts_with("/$defs/")
}
