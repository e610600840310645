//! `drift`: what live deliveries carry that the schemas do not say. Reads observed deliveries
//! (files, or the Redis streams the receivers append to) and reports, per provider and event, the
//! members no schema describes (path, JSON types, count, first and last seen, one example), enum
//! values outside the schema, event types this version does not know, and members the schema
//! requires that deliveries lack. `--json` writes the report `cargo xtask drift apply` reads.
//!
//! Each delivery is judged against its event's schema with every object that lists its members
//! closed (`unevaluatedProperties: false`), so a member the schema does not describe is named,
//! with its place, by the `jsonschema` crate rather than by a walk of our own.

use std::collections::BTreeMap;
use std::process::ExitCode;

use proptech_events::Provider;
use proptech_events::receive::Escaped;
use serde_json::{Map, Value, json};

use crate::cli::DriftArgs;
use crate::{Failure, Outcome};

/// One delivery as observed: who sent it, its body, and when it was seen (RFC 3339).
struct Observed {
    provider: Provider,
    body: Vec<u8>,
    seen: String,
}

/// Counts and dates of one finding.
#[derive(Default)]
struct Seen {
    count: u64,
    first: String,
    last: String,
}

impl Seen {
    fn note(&mut self, at: &str) {
        self.count += 1;
        if self.first.is_empty() || at < self.first.as_str() {
            self.first = at.to_owned();
        }
        if at > self.last.as_str() {
            self.last = at.to_owned();
        }
    }

    fn json(&self) -> Value {
        json!({ "count": self.count, "first_seen": self.first, "last_seen": self.last })
    }
}

/// A member no schema describes, at one path.
#[derive(Default)]
struct Member {
    seen: Seen,
    types: std::collections::BTreeSet<&'static str>,
    example: Option<Value>,
}

/// What one event's deliveries showed.
#[derive(Default)]
struct EventDrift {
    deliveries: u64,
    members: BTreeMap<String, Member>,
    enum_values: BTreeMap<(String, String), (Seen, Value)>,
    missing: BTreeMap<String, Seen>,
    other: BTreeMap<(String, String), Seen>,
}

/// What one provider's deliveries showed.
#[derive(Default)]
struct ProviderDrift {
    deliveries: u64,
    unknown_types: BTreeMap<String, Seen>,
    unreadable: BTreeMap<String, Seen>,
    events: BTreeMap<String, EventDrift>,
}

/// Runs `drift`.
pub fn run(args: &DriftArgs) -> Outcome {
    let observed = if args.stream {
        from_stream(args)?
    } else {
        let provider = args.provider.map(Provider::from).ok_or_else(|| {
            Failure::usage("name the provider of the files with --provider (or read --stream)")
        })?;
        from_files(provider, &args.files)?
    };
    let mut validators: BTreeMap<(Provider, String), jsonschema::Validator> = BTreeMap::new();
    let mut report: BTreeMap<Provider, ProviderDrift> = BTreeMap::new();
    for delivery in &observed {
        let drift = report.entry(delivery.provider).or_default();
        drift.deliveries += 1;
        let Ok(body) = serde_json::from_slice::<Value>(&delivery.body) else {
            drift
                .unreadable
                .entry("not JSON".to_owned())
                .or_default()
                .note(&delivery.seen);
            continue;
        };
        let type_member = delivery.provider.contract().type_member;
        let Some(event_type) = body.get(type_member).and_then(Value::as_str) else {
            drift
                .unreadable
                .entry(format!("no string {type_member}"))
                .or_default()
                .note(&delivery.seen);
            continue;
        };
        let Some(info) = delivery.provider.event(event_type) else {
            drift
                .unknown_types
                .entry(event_type.to_owned())
                .or_default()
                .note(&delivery.seen);
            continue;
        };
        let key = (delivery.provider, event_type.to_owned());
        if !validators.contains_key(&key) {
            let validator = closed_validator(info.json_schema).map_err(|e| Failure {
                message: format!(
                    "{}: the embedded schema does not compile: {e}",
                    Escaped(event_type)
                ),
                code: 1,
            })?;
            validators.insert(key.clone(), validator);
        }
        let event = drift.events.entry(event_type.to_owned()).or_default();
        event.deliveries += 1;
        note_errors(&validators[&key], &body, &delivery.seen, event);
    }
    let value = to_json(&report, observed.len());
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print_text(&value);
    }
    Ok(ExitCode::SUCCESS)
}

/// The event's schema with every object that lists its members and says nothing of others
/// closed, compiled.
fn closed_validator(schema: &str) -> Result<jsonschema::Validator, String> {
    let mut schema: Value = serde_json::from_str(schema).map_err(|e| e.to_string())?;
    close(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
}

fn close(schema: &mut Value) {
    let Value::Object(map) = schema else {
        if let Value::Array(items) = schema {
            items.iter_mut().for_each(close);
        }
        return;
    };
    let open = map.contains_key("properties")
        && ![
            "additionalProperties",
            "unevaluatedProperties",
            "patternProperties",
        ]
        .iter()
        .any(|k| map.contains_key(*k));
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "examples" | "const" | "enum" | "default" | "required" => {}
            k if k.starts_with("x-") => {}
            "properties" | "patternProperties" | "$defs" | "dependentSchemas" => {
                if let Value::Object(members) = child {
                    members.values_mut().for_each(close);
                }
            }
            _ => close(child),
        }
    }
    if open {
        map.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
    }
}

/// An instance path with array indices written `*`, so one member of every element is one path.
fn generalised(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|t| {
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                t
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn escape_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn note_errors(
    validator: &jsonschema::Validator,
    body: &Value,
    seen: &str,
    event: &mut EventDrift,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    for error in validator.iter_errors(body) {
        let at = error.instance_path().to_string();
        match error.kind() {
            Kind::UnevaluatedProperties { unexpected }
            | Kind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    let pointer = format!("{at}/{}", escape_token(name));
                    let value = body.pointer(&pointer).cloned().unwrap_or(Value::Null);
                    let member = event.members.entry(generalised(&pointer)).or_default();
                    member.seen.note(seen);
                    member.types.insert(json_type(&value));
                    member.example.get_or_insert(value);
                }
            }
            Kind::Enum { .. } => {
                let value = error.instance().clone().into_owned();
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                let entry = event
                    .enum_values
                    .entry((generalised(&at), text))
                    .or_insert_with(|| (Seen::default(), value));
                entry.0.note(seen);
            }
            Kind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                let path = generalised(&format!("{at}/{}", escape_token(&name)));
                event.missing.entry(path).or_default().note(seen);
            }
            kind => {
                let keyword = kind.keyword().to_owned();
                event
                    .other
                    .entry((generalised(&at), keyword))
                    .or_default()
                    .note(seen);
            }
        }
    }
}

/// The report as JSON: the document `cargo xtask drift apply` reads.
fn to_json(report: &BTreeMap<Provider, ProviderDrift>, deliveries: usize) -> Value {
    let mut providers = Map::new();
    for (provider, drift) in report {
        let mut events = Map::new();
        for (event_type, e) in &drift.events {
            let members: Vec<Value> = e
                .members
                .iter()
                .map(|(path, m)| {
                    let mut v = m.seen.json();
                    v["path"] = json!(path);
                    v["types"] = json!(m.types);
                    v["example"] = m.example.clone().unwrap_or(Value::Null);
                    v
                })
                .collect();
            let enum_values: Vec<Value> = e
                .enum_values
                .iter()
                .map(|((path, _), (seen, value))| {
                    let mut v = seen.json();
                    v["path"] = json!(path);
                    v["value"] = value.clone();
                    v
                })
                .collect();
            let missing: Vec<Value> = e
                .missing
                .iter()
                .map(|(path, seen)| {
                    let mut v = seen.json();
                    v["path"] = json!(path);
                    v
                })
                .collect();
            let other: Vec<Value> = e
                .other
                .iter()
                .map(|((path, keyword), seen)| {
                    let mut v = seen.json();
                    v["path"] = json!(path);
                    v["keyword"] = json!(keyword);
                    v
                })
                .collect();
            events.insert(
                event_type.clone(),
                json!({
                    "deliveries": e.deliveries,
                    "unknown_members": members,
                    "unknown_enum_values": enum_values,
                    "missing_required": missing,
                    "other_violations": other,
                }),
            );
        }
        let named = |m: &BTreeMap<String, Seen>, key: &str| -> Vec<Value> {
            m.iter()
                .map(|(name, seen)| {
                    let mut v = seen.json();
                    v[key] = json!(name);
                    v
                })
                .collect()
        };
        providers.insert(
            provider.as_str().to_owned(),
            json!({
                "deliveries": drift.deliveries,
                "unknown_event_types": named(&drift.unknown_types, "event_type"),
                "unreadable": named(&drift.unreadable, "reason"),
                "events": events,
            }),
        );
    }
    json!({
        "proptech_events_drift": 1,
        "deliveries": deliveries,
        "providers": providers,
    })
}

fn print_text(report: &Value) {
    println!("{} deliveries read", report["deliveries"]);
    let empty = Map::new();
    for (provider, p) in report["providers"].as_object().unwrap_or(&empty) {
        println!("\n{provider}: {} deliveries", p["deliveries"]);
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        for t in list(&p["unknown_event_types"]) {
            println!(
                "  unknown event type {} ({} seen, {} .. {})",
                Escaped(t["event_type"].as_str().unwrap_or_default()),
                t["count"],
                t["first_seen"].as_str().unwrap_or_default(),
                t["last_seen"].as_str().unwrap_or_default()
            );
        }
        for t in list(&p["unreadable"]) {
            println!(
                "  unreadable: {} ({} seen)",
                t["reason"].as_str().unwrap_or_default(),
                t["count"]
            );
        }
        for (event_type, e) in p["events"].as_object().unwrap_or(&empty) {
            let findings = [
                "unknown_members",
                "unknown_enum_values",
                "missing_required",
                "other_violations",
            ]
            .iter()
            .map(|k| list(&e[*k]).len())
            .sum::<usize>();
            if findings == 0 {
                continue;
            }
            println!("  {} ({} deliveries)", Escaped(event_type), e["deliveries"]);
            for m in list(&e["unknown_members"]) {
                let example = m["example"].to_string();
                let example: String = example.chars().take(60).collect();
                println!(
                    "    new member {} {} ({} seen, {} .. {}) e.g. {}",
                    Escaped(m["path"].as_str().unwrap_or_default()),
                    m["types"],
                    m["count"],
                    m["first_seen"].as_str().unwrap_or_default(),
                    m["last_seen"].as_str().unwrap_or_default(),
                    Escaped(&example)
                );
            }
            for v in list(&e["unknown_enum_values"]) {
                println!(
                    "    new value {} at {} ({} seen)",
                    Escaped(&v["value"].to_string()),
                    Escaped(v["path"].as_str().unwrap_or_default()),
                    v["count"]
                );
            }
            for v in list(&e["missing_required"]) {
                println!(
                    "    required member missing: {} ({} deliveries)",
                    Escaped(v["path"].as_str().unwrap_or_default()),
                    v["count"]
                );
            }
            for v in list(&e["other_violations"]) {
                println!(
                    "    {} at {} ({} deliveries)",
                    Escaped(v["keyword"].as_str().unwrap_or_default()),
                    Escaped(v["path"].as_str().unwrap_or_default()),
                    v["count"]
                );
            }
        }
    }
}

fn from_files(provider: Provider, files: &[String]) -> Result<Vec<Observed>, Failure> {
    let mut out = Vec::new();
    for file in files {
        let body = crate::read_input(file)?;
        let seen = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from)
            .unwrap_or_else(chrono::Utc::now)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.push(Observed {
            provider,
            body,
            seen,
        });
    }
    Ok(out)
}

fn from_stream(args: &DriftArgs) -> Result<Vec<Observed>, Failure> {
    let url = args
        .redis
        .clone()
        .or_else(|| std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let streams = proptech_events::receive::stream::Streams::with_prefix(&args.prefix);
    let failed = |what: &str, e: &dyn std::fmt::Display| Failure {
        message: format!("{what}: {}", Escaped(&e.to_string())),
        code: 1,
    };
    let client = redis::Client::open(url.as_str()).map_err(|e| failed("the Redis URL", &e))?;
    let mut conn = client
        .get_connection()
        .map_err(|e| failed("cannot reach Redis", &e))?;
    let mut out = Vec::new();
    for stream in [streams.signed(), streams.unverified()] {
        let mut after = "-".to_owned();
        loop {
            let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(stream)
                .arg(&after)
                .arg("+")
                .arg("COUNT")
                .arg(1000)
                .query(&mut conn)
                .map_err(|e| failed(&format!("reading {stream}"), &e))?;
            if reply.ids.is_empty() {
                break;
            }
            for entry in &reply.ids {
                let provider: Option<String> = entry.get("provider");
                let body: Option<Vec<u8>> = entry.get("body");
                let (Some(provider), Some(body)) = (provider, body) else {
                    continue;
                };
                let Ok(provider) = provider.parse::<Provider>() else {
                    continue;
                };
                let ms = entry
                    .id
                    .split('-')
                    .next()
                    .and_then(|m| m.parse::<i64>().ok())
                    .unwrap_or_default();
                let seen = chrono::DateTime::from_timestamp_millis(ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                out.push(Observed {
                    provider,
                    body,
                    seen,
                });
                if out.len() >= args.limit {
                    return Ok(out);
                }
            }
            after = format!(
                "({}",
                reply.ids.last().map(|e| e.id.as_str()).unwrap_or("+")
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_names_members_no_schema_describes_and_keeps_described_ones() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": { "const": "x" },
                "data": { "type": "object", "properties": { "a": { "type": "string", "enum": ["A"] } } },
                "open": { "type": "object", "additionalProperties": true }
            }
        });
        let validator = closed_validator(&schema.to_string()).expect("compiles");
        let body = json!({
            "type": "x",
            "data": { "a": "B", "new": [1] },
            "open": { "anything": 1 },
            "top": null
        });
        let mut event = EventDrift::default();
        note_errors(&validator, &body, "2026-12-01T00:00:00Z", &mut event);
        let members: Vec<&String> = event.members.keys().collect();
        assert_eq!(members, ["/data/new", "/top"]);
        assert_eq!(
            event.members["/data/new"].types.iter().collect::<Vec<_>>(),
            [&"array"]
        );
        assert_eq!(
            event.enum_values.keys().next(),
            Some(&("/data/a".to_owned(), "B".to_owned()))
        );
        let missing = json!({ "data": {} });
        note_errors(&validator, &missing, "2026-12-02T00:00:00Z", &mut event);
        assert!(
            event.missing.contains_key("/type"),
            "{:?}",
            event.missing.keys()
        );
    }

    #[test]
    fn array_indices_are_one_path() {
        assert_eq!(generalised("/data/items/12/name"), "/data/items/*/name");
        assert_eq!(generalised("/data/0x/1"), "/data/0x/*");
    }
}
