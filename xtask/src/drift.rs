//! `cargo xtask drift apply REPORT`: turns a drift report (`proptech-events drift --json`) into a
//! proposed change of `schemas/`: each member the deliveries carried and no schema describes
//! becomes an optional member with the observed JSON type, and each enum value outside its enum
//! joins it. Everything it writes is marked `x-observed` (counts and dates): observed, not
//! documented, which the evidence lint accepts as its own kind of evidence and the reference pages
//! show apart. Unknown event types and missing required members are listed, not applied: they
//! need the provider's docs.
//!
//! `--schemas DIR` applies it to another schema set. Review the diff, run `cargo xtask gen`, and
//! `cargo xtask compat` calls the change compatible.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use proptech_catalog::{OBSERVED_KEYWORD, SchemaSet};
use serde_json::{Map, Value, json};

/// The change a report proposes, file by file (paths under `schemas/`), and what it left alone.
#[derive(Debug, Default)]
pub struct Proposal {
    /// The changed schema files, whole.
    pub files: BTreeMap<String, Value>,
    /// One line per change made.
    pub applied: Vec<String>,
    /// One line per finding left for a person.
    pub skipped: Vec<String>,
}

/// Applies the report at `report` to `schemas` (default: the workspace's `schemas/`), writing the
/// changed files.
pub fn apply(report: &Path, schemas: Option<&Path>) -> Result<()> {
    let text = std::fs::read_to_string(report).with_context(|| report.display().to_string())?;
    let report: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", report.display()))?;
    let root = schemas.map_or_else(
        || crate::workspace_root().join("schemas"),
        Path::to_path_buf,
    );
    let set = SchemaSet::load(&root)?;
    let proposal = propose(&set, &report)?;
    for (file, value) in &proposal.files {
        let path = root.join(file);
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| path.display().to_string())?;
    }
    for line in &proposal.applied {
        println!("applied: {line}");
    }
    for line in &proposal.skipped {
        println!("left for the docs: {line}");
    }
    println!(
        "{} changes in {} files; review them, then run `cargo xtask gen`",
        proposal.applied.len(),
        proposal.files.len()
    );
    Ok(())
}

/// The change `report` proposes to `set`.
pub fn propose(set: &SchemaSet, report: &Value) -> Result<Proposal> {
    if report.get("proptech_events_drift") != Some(&json!(1)) {
        bail!("not a drift report (`proptech-events drift --json` writes one)");
    }
    let mut proposal = Proposal::default();
    let empty = Map::new();
    for (provider, p) in report["providers"].as_object().unwrap_or(&empty) {
        for t in p["unknown_event_types"].as_array().into_iter().flatten() {
            proposal.skipped.push(format!(
                "{provider}: event type {} ({} deliveries) has no schema",
                t["event_type"], t["count"]
            ));
        }
        for (event_type, e) in p["events"].as_object().unwrap_or(&empty) {
            let Some(event) = set.event(provider, event_type).or_else(|| {
                set.events()
                    .find(|ev| ev.provider == provider.as_str() && ev.event_type == event_type)
            }) else {
                proposal.skipped.push(format!(
                    "{provider} {event_type}: no schema in this set (a report of another version?)"
                ));
                continue;
            };
            let file = event.doc.path.clone();
            for m in e["unknown_members"].as_array().into_iter().flatten() {
                let path = m["path"].as_str().context("a member without a path")?;
                let (holder, name) = match locate_parent(set, &mut proposal.files, &file, path) {
                    Ok(place) => place,
                    Err(why) => {
                        proposal
                            .skipped
                            .push(format!("{provider} {event_type}: member {path}: {why:#}"));
                        continue;
                    }
                };
                let schema = member_schema(m)?;
                let object = object_at(&mut proposal.files, set, &holder)?;
                let properties = object
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .context("properties is not an object")?;
                if properties.contains_key(&name) {
                    // Two events share the definition: the first placed it.
                    continue;
                }
                properties.insert(name.clone(), schema);
                proposal.applied.push(format!(
                    "{provider} {event_type}: member {path} in {}#{}",
                    holder.0, holder.1
                ));
            }
            for v in e["unknown_enum_values"].as_array().into_iter().flatten() {
                let path = v["path"].as_str().context("a value without a path")?;
                let holder = match locate(set, &mut proposal.files, &file, path) {
                    Ok(place) => place,
                    Err(why) => {
                        proposal
                            .skipped
                            .push(format!("{provider} {event_type}: value at {path}: {why:#}"));
                        continue;
                    }
                };
                let object = object_at(&mut proposal.files, set, &holder)?;
                let Some(Value::Array(values)) = object.get_mut("enum") else {
                    proposal.skipped.push(format!(
                        "{provider} {event_type}: value {} at {path}: no enum there",
                        v["value"]
                    ));
                    continue;
                };
                if values.contains(&v["value"]) {
                    continue;
                }
                values.push(v["value"].clone());
                let mut seen = observation(v);
                seen.insert("value".to_owned(), v["value"].clone());
                let mark = object
                    .entry(OBSERVED_KEYWORD)
                    .or_insert_with(|| json!({ "values": [] }));
                match mark.get_mut("values").and_then(Value::as_array_mut) {
                    Some(list) => list.push(Value::Object(seen)),
                    None => bail!("{}#{}: x-observed without values", holder.0, holder.1),
                }
                proposal.applied.push(format!(
                    "{provider} {event_type}: value {} at {path} in {}#{}",
                    v["value"], holder.0, holder.1
                ));
            }
            for r in e["missing_required"].as_array().into_iter().flatten() {
                proposal.skipped.push(format!(
                    "{provider} {event_type}: required {} missing in {} deliveries",
                    r["path"], r["count"]
                ));
            }
            for o in e["other_violations"].as_array().into_iter().flatten() {
                proposal.skipped.push(format!(
                    "{provider} {event_type}: {} at {} in {} deliveries",
                    o["keyword"], o["path"], o["count"]
                ));
            }
        }
    }
    Ok(proposal)
}

/// `{count, first_seen, last_seen}` of a finding.
fn observation(finding: &Value) -> Map<String, Value> {
    ["count", "first_seen", "last_seen"]
        .iter()
        .map(|k| ((*k).to_owned(), finding[*k].clone()))
        .collect()
}

/// The schema of an observed member: its observed JSON type(s), open, marked `x-observed`.
fn member_schema(m: &Value) -> Result<Value> {
    let types: Vec<&str> = m["types"]
        .as_array()
        .context("a member without types")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut schema = Map::new();
    schema.insert(
        "description".to_owned(),
        json!("Observed in live deliveries; the provider's docs do not describe it."),
    );
    // Integers seen beside other numbers are numbers.
    let mut types: Vec<&str> = if types.contains(&"number") {
        types.into_iter().filter(|t| *t != "integer").collect()
    } else {
        types
    };
    types.dedup();
    match types.as_slice() {
        [] => {}
        [one] => {
            schema.insert("type".to_owned(), json!(one));
        }
        many => {
            schema.insert("type".to_owned(), json!(many));
        }
    }
    schema.insert(OBSERVED_KEYWORD.to_owned(), Value::Object(observation(m)));
    Ok(Value::Object(schema))
}

/// A place in the schema set: a file under `schemas/` and a JSON pointer in it.
type Place = (String, String);

fn tokens(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The current text of a file: the proposal's copy if it changed one, else the set's.
fn current<'a>(
    files: &'a BTreeMap<String, Value>,
    set: &'a SchemaSet,
    file: &str,
) -> Result<&'a Value> {
    match files.get(file) {
        Some(v) => Ok(v),
        None => Ok(&set
            .get(file)
            .with_context(|| format!("{file}: not in the schema set"))?
            .value),
    }
}

/// The schema object at `place`, in the proposal's copy of its file (copied in on first use).
fn object_at<'a>(
    files: &'a mut BTreeMap<String, Value>,
    set: &SchemaSet,
    place: &Place,
) -> Result<&'a mut Map<String, Value>> {
    if !files.contains_key(&place.0) {
        let value = current(files, set, &place.0)?.clone();
        files.insert(place.0.clone(), value);
    }
    files
        .get_mut(&place.0)
        .and_then(|v| v.pointer_mut(&place.1))
        .and_then(Value::as_object_mut)
        .with_context(|| format!("{}#{}: not a schema object", place.0, place.1))
}

/// One step of a walk: from the schema at `at`, into member `token` (`*`: the items), following
/// `$ref`s; `None` when no schema on the way names it.
fn step(
    set: &SchemaSet,
    files: &BTreeMap<String, Value>,
    at: &Place,
    token: &str,
) -> Result<Option<Place>> {
    let mut at = at.clone();
    for _ in 0..32 {
        let node = current(files, set, &at.0)?
            .pointer(&at.1)
            .with_context(|| format!("{}#{}: nothing there", at.0, at.1))?;
        if token == "*" {
            // An array's elements, or the values of a map.
            for keyword in ["items", "additionalProperties"] {
                if node.get(keyword).is_some_and(Value::is_object) {
                    return Ok(Some((at.0.clone(), format!("{}/{keyword}", at.1))));
                }
            }
        } else if node.get("properties").and_then(|p| p.get(token)).is_some() {
            return Ok(Some((
                at.0.clone(),
                format!("{}/properties/{}", at.1, escape(token)),
            )));
        }
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => at = follow(set, &at, reference)?,
            None => return Ok(None),
        }
    }
    bail!("{}#{}: a $ref cycle", at.0, at.1)
}

/// Where the member at `path` (an instance path, `*` for array items) is described.
fn locate(
    set: &SchemaSet,
    files: &mut BTreeMap<String, Value>,
    file: &str,
    path: &str,
) -> Result<Place> {
    let mut at: Place = (file.to_owned(), String::new());
    for token in tokens(path) {
        at = step(set, files, &at, &token)?
            .with_context(|| format!("{file}: no schema describes {path} (at {token})"))?;
    }
    // The member's own schema may be a `$ref` to the definition holding its enum.
    for _ in 0..32 {
        let node = current(files, set, &at.0)?.pointer(&at.1);
        match node.and_then(|n| n.get("$ref")).and_then(Value::as_str) {
            Some(reference) if node.and_then(|n| n.get("enum")).is_none() => {
                at = follow(set, &at, reference)?;
            }
            _ => return Ok(at),
        }
    }
    bail!("{}#{}: a $ref cycle", at.0, at.1)
}

/// The schema object that should describe the new member at `path`, and the member's name: the
/// object schema its parent path leads to (following `$ref`s to where `properties` are written).
fn locate_parent(
    set: &SchemaSet,
    files: &mut BTreeMap<String, Value>,
    file: &str,
    path: &str,
) -> Result<(Place, String)> {
    let mut tokens = tokens(path);
    let name = tokens
        .pop()
        .filter(|n| n != "*")
        .with_context(|| format!("{path}: not a member path"))?;
    let mut at: Place = (file.to_owned(), String::new());
    for token in &tokens {
        at = step(set, files, &at, token)?
            .with_context(|| format!("{file}: no schema describes the parent of {path}"))?;
    }
    // Where the parent's members are written: past `$ref`s that lead to `properties`, and from
    // an event's root to its envelope (the root only fixes the envelope's type and data).
    for _ in 0..32 {
        let node = current(files, set, &at.0)?
            .pointer(&at.1)
            .with_context(|| format!("{}#{}: nothing there", at.0, at.1))?;
        let root = at.0 == file && at.1.is_empty();
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) if root || node.get("properties").is_none() => {
                at = follow(set, &at, reference)?;
            }
            _ => return Ok((at, name)),
        }
    }
    bail!("{}#{}: a $ref cycle", at.0, at.1)
}

/// Where `reference`, written at `at`, leads.
fn follow(set: &SchemaSet, at: &Place, reference: &str) -> Result<Place> {
    let target = set.follow(&at.0, reference)?;
    let pointer = if target.pointer.is_empty() || target.pointer.starts_with('/') {
        target.pointer
    } else {
        format!("/{}", target.pointer)
    };
    Ok((target.file, pointer))
}
