//! `cargo xtask compat`'s comparison (`proptech_publish::compat::compare`) of a schema with a
//! mutated copy of itself.
//!
//! Input: a schema path under `schemas/` (`repull/events/listing.created.json`), a newline, then a
//! JSON text: the mutated copy. The original is the bundled schema of that path in this
//! workspace (none for a path the set does not have: the copy is then a new schema).
//!
//! Invariants, beyond "no panic" and libFuzzer's time and memory limits: comparing the copy with
//! the original renders a report, a changelog entry and a gate verdict; comparing the copy with
//! itself, with a clone, or with its members reordered reports no change at all.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use proptech_publish::compat::{Snapshot, compare};
use serde_json::Value;

/// Every schema of the workspace, bundled (self-contained), by path.
fn originals() -> &'static BTreeMap<String, Value> {
    static O: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    O.get_or_init(|| {
        let set = proptech_catalog::SchemaSet::load_workspace().expect("the schema set loads");
        proptech_publish::snapshot_of_set(&set, "0.2.0")
            .expect("the schema set bundles")
            .schemas
    })
}

/// `v` with every object's members in reverse order: the same JSON value.
fn reordered(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reordered(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reordered).collect()),
        other => other.clone(),
    }
}

fn snapshot(path: &str, schema: Option<&Value>) -> Snapshot {
    Snapshot::new(
        "0.2.0",
        schema
            .map(|s| BTreeMap::from([(path.to_owned(), s.clone())]))
            .unwrap_or_default(),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|b| *b == b'\n') else {
        return;
    };
    let Ok(path) = std::str::from_utf8(&data[..newline]) else {
        return;
    };
    let Ok(copy) = serde_json::from_slice::<Value>(&data[newline + 1..]) else {
        return;
    };
    let original = originals().get(path);
    let report = compare(&snapshot(path, original), &snapshot(path, Some(&copy)));
    let _ = report.render();
    let _ = report.changelog_entry();
    let _ = report.gate();
    let back = compare(&snapshot(path, Some(&copy)), &snapshot(path, original));
    let _ = back.render();

    for (what, same) in [
        ("itself", copy.clone()),
        ("its members reordered", reordered(&copy)),
    ] {
        let report = compare(&snapshot(path, Some(&copy)), &snapshot(path, Some(&same)));
        assert!(
            report.changes.is_empty(),
            "{path} compared with {what} reports changes:\n{}",
            report.render()
        );
    }
    if original == Some(&copy) {
        assert!(
            report.changes.is_empty(),
            "{path}: an identical copy reports changes"
        );
    }
});
