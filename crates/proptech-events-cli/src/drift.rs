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
    /// Findings past [`MAX_LISTED`] distinct ones of a kind: counted, not listed.
    not_listed: u64,
}

/// What one provider's deliveries showed.
#[derive(Default)]
struct ProviderDrift {
    deliveries: u64,
    unknown_types: BTreeMap<String, Seen>,
    unreadable: BTreeMap<String, Seen>,
    events: BTreeMap<String, EventDrift>,
    /// Unknown event types past [`MAX_LISTED`]: counted, not listed.
    not_listed: u64,
}

/// Runs `drift`.
pub fn run(args: &DriftArgs) -> Outcome {
    let mut judge = Judge::default();
    // One delivery at a time: memory holds the report, not the deliveries.
    if args.stream {
        from_stream(args, &mut |o| judge.add(&o))?;
    } else {
        let provider = args.provider.map(Provider::from).ok_or_else(|| {
            Failure::usage("name the provider of the files with --provider (or read --stream)")
        })?;
        from_files(provider, &args.files, &mut |o| judge.add(&o))?;
    }
    let value = to_json(&judge.report, judge.deliveries);
    let text = if args.json {
        let mut text = terminal_safe(&serde_json::to_string_pretty(&value).unwrap_or_default());
        text.push('\n');
        text
    } else {
        text_report(&value)
    };
    // A closed pipe (`| head`) ends the output, not the process with a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// The report being built, and the compiled schemas it judges with.
#[derive(Default)]
struct Judge {
    validators: BTreeMap<(Provider, String), jsonschema::Validator>,
    report: BTreeMap<Provider, ProviderDrift>,
    deliveries: usize,
}

impl Judge {
    fn add(&mut self, delivery: &Observed) -> Result<(), Failure> {
        self.deliveries += 1;
        let drift = self.report.entry(delivery.provider).or_default();
        drift.deliveries += 1;
        let Ok(body) = serde_json::from_slice::<Value>(&delivery.body) else {
            drift
                .unreadable
                .entry("not JSON (or a number no f64 holds)".to_owned())
                .or_default()
                .note(&delivery.seen);
            return Ok(());
        };
        let type_member = delivery.provider.contract().type_member;
        let Some(event_type) = body.get(type_member).and_then(Value::as_str) else {
            drift
                .unreadable
                .entry(format!("no string {type_member}"))
                .or_default()
                .note(&delivery.seen);
            return Ok(());
        };
        let Some(info) = delivery.provider.event(event_type) else {
            if drift.unknown_types.contains_key(event_type)
                || drift.unknown_types.len() < MAX_LISTED
            {
                drift
                    .unknown_types
                    .entry(event_type.to_owned())
                    .or_default()
                    .note(&delivery.seen);
            } else {
                drift.not_listed += 1;
            }
            return Ok(());
        };
        let key = (delivery.provider, event_type.to_owned());
        if !self.validators.contains_key(&key) {
            let validator = closed_validator(info.json_schema).map_err(|e| Failure {
                message: format!(
                    "{}: the embedded schema does not compile: {e}",
                    Escaped(event_type)
                ),
                code: 1,
            })?;
            self.validators.insert(key.clone(), validator);
        }
        let event = drift.events.entry(event_type.to_owned()).or_default();
        event.deliveries += 1;
        note_errors(&self.validators[&key], &body, &delivery.seen, event);
        Ok(())
    }
}

/// JSON text with the characters a terminal or an editor acts on (C0 and C1 controls, DEL, line
/// and paragraph separators, bidirectional overrides) written as `\u` escapes. They only occur
/// inside strings, where the escape means the same.
fn terminal_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let risky = matches!(c, '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if risky {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
            "properties" | "patternProperties" | "$defs" => {
                if let Value::Object(members) = child {
                    members.values_mut().for_each(close);
                }
            }
            // A closed branch or condition would change its verdict (a closed `if` stops
            // matching, a closed `not` starts passing): only plain object schemas are closed.
            "allOf" | "anyOf" | "oneOf" | "if" | "then" | "else" | "not" | "contains"
            | "propertyNames" | "dependentSchemas" => {}
            _ => close(child),
        }
    }
    if open {
        map.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
    }
}

/// The instance path of `error`, with each array index and each key of a map (a member matched
/// by `additionalProperties` or `patternProperties`) written `*`: one member of every element is
/// one path, and a member named `7` stays `7`. Read off the error's evaluation path (which
/// keyword took each step); where that cannot be aligned, array indices are found in `body`.
fn generalised(error: &jsonschema::ValidationError<'_>, body: &Value) -> String {
    let instance: Vec<String> = tokens(&error.instance_path().to_string());
    let evaluation = tokens(&error.evaluation_path().to_string());
    let mut steps = Vec::new();
    // The last token is the failing keyword itself, not a step.
    let mut keywords = evaluation
        .iter()
        .take(evaluation.len().saturating_sub(1))
        .peekable();
    while let Some(keyword) = keywords.next() {
        match keyword.as_str() {
            "properties" => {
                if let Some(name) = keywords.next() {
                    steps.push(escape_token(name));
                }
            }
            "patternProperties" | "prefixItems" => {
                keywords.next();
                steps.push("*".to_owned());
            }
            "additionalProperties"
            | "unevaluatedProperties"
            | "items"
            | "additionalItems"
            | "unevaluatedItems"
            | "contains" => steps.push("*".to_owned()),
            "$defs" | "definitions" | "dependentSchemas" | "allOf" | "anyOf" | "oneOf" => {
                keywords.next();
            }
            _ => {}
        }
    }
    if steps.len() == instance.len() {
        return steps.iter().map(|t| format!("/{t}")).collect();
    }
    // Not aligned: only array indices are known, from the instance.
    let mut at = body;
    let mut out = String::new();
    for token in &instance {
        let (next, written) = match at {
            Value::Array(items) => (
                token.parse::<usize>().ok().and_then(|i| items.get(i)),
                "*".to_owned(),
            ),
            Value::Object(members) => (members.get(token), escape_token(token)),
            _ => (None, escape_token(token)),
        };
        out.push('/');
        out.push_str(&written);
        at = next.unwrap_or(&Value::Null);
    }
    out
}

/// The decoded tokens of a JSON pointer.
fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
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

/// The most distinct findings of one kind kept per event: past it, findings are only counted
/// (`not_listed`), so a body with a million distinct members costs no more than this.
const MAX_LISTED: usize = 1_000;

/// An example value as the report shows it: whole when short, else what it was.
fn example(value: &Value) -> Value {
    const MAX: usize = 200;
    match value {
        Value::String(s) if s.len() > MAX => {
            let cut = (0..=MAX)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            Value::String(format!("{}… ({} bytes)", &s[..cut], s.len()))
        }
        Value::Array(_) | Value::Object(_) if value.to_string().len() > MAX => {
            Value::String(format!(
                "({} bytes of {}, not shown)",
                value.to_string().len(),
                json_type(value)
            ))
        }
        _ => value.clone(),
    }
}

fn note_errors(
    validator: &jsonschema::Validator,
    body: &Value,
    seen: &str,
    event: &mut EventDrift,
) {
    use jsonschema::error::ValidationErrorKind as Kind;
    // Each finding counts once per delivery, however often the delivery repeats it (array
    // elements, a member two closed schemas both name).
    let mut members: BTreeMap<String, (std::collections::BTreeSet<&'static str>, Value)> =
        BTreeMap::new();
    let mut values: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut missing = std::collections::BTreeSet::new();
    let mut other = std::collections::BTreeSet::new();
    for error in validator.iter_errors(body) {
        let at = error.instance_path().to_string();
        let path = generalised(&error, body);
        match error.kind() {
            Kind::UnevaluatedProperties { unexpected }
            | Kind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    let key = format!("{path}/{}", escape_token(name));
                    if members.len() >= MAX_LISTED && !members.contains_key(&key) {
                        // One delivery holds no more than the report lists of it.
                        event.not_listed += 1;
                        continue;
                    }
                    let value = body
                        .pointer(&format!("{at}/{}", escape_token(name)))
                        .unwrap_or(&Value::Null);
                    let entry = members
                        .entry(key)
                        .or_insert_with(|| (Default::default(), example(value)));
                    entry.0.insert(json_type(value));
                }
            }
            Kind::Enum { options } => {
                // A value of another type than the enum's is a type error, not a new value.
                let value = error.instance().clone().into_owned();
                let same_type = options
                    .as_array()
                    .is_some_and(|o| o.iter().any(|v| json_type(v) == json_type(&value)));
                if same_type && !value.is_array() && !value.is_object() {
                    values.insert((path, value.to_string()), value);
                } else {
                    other.insert((path, "type".to_owned()));
                }
            }
            Kind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                missing.insert(format!("{path}/{}", escape_token(&name)));
            }
            kind => {
                other.insert((path, kind.keyword().to_owned()));
            }
        }
    }
    for (path, (types, value)) in members {
        if !event.members.contains_key(&path) && event.members.len() >= MAX_LISTED {
            event.not_listed += 1;
            continue;
        }
        let member = event.members.entry(path).or_default();
        member.seen.note(seen);
        member.types.extend(types);
        member.example.get_or_insert(value);
    }
    for (key, value) in values {
        if !event.enum_values.contains_key(&key) && event.enum_values.len() >= MAX_LISTED {
            event.not_listed += 1;
            continue;
        }
        event
            .enum_values
            .entry(key)
            .or_insert_with(|| (Seen::default(), value))
            .0
            .note(seen);
    }
    for path in missing {
        if !event.missing.contains_key(&path) && event.missing.len() >= MAX_LISTED {
            event.not_listed += 1;
            continue;
        }
        event.missing.entry(path).or_default().note(seen);
    }
    for key in other {
        if !event.other.contains_key(&key) && event.other.len() >= MAX_LISTED {
            event.not_listed += 1;
            continue;
        }
        event.other.entry(key).or_default().note(seen);
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
                    "not_listed": e.not_listed,
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
                "unknown_event_types_not_listed": drift.not_listed,
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

/// The report as text, every value from a delivery escaped and long ones cut.
fn text_report(report: &Value) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{} deliveries read", report["deliveries"]);
    let empty = Map::new();
    for (provider, p) in report["providers"].as_object().unwrap_or(&empty) {
        let _ = writeln!(out, "\n{provider}: {} deliveries", p["deliveries"]);
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        for t in list(&p["unknown_event_types"]) {
            let _ = writeln!(
                out,
                "  unknown event type {} ({} seen, {} .. {})",
                Escaped(&cut(t["event_type"].as_str().unwrap_or_default())),
                t["count"],
                t["first_seen"].as_str().unwrap_or_default(),
                t["last_seen"].as_str().unwrap_or_default()
            );
        }
        for t in list(&p["unreadable"]) {
            let _ = writeln!(
                out,
                "  unreadable: {} ({} seen)",
                t["reason"].as_str().unwrap_or_default(),
                t["count"]
            );
        }
        for (event_type, e) in p["events"].as_object().unwrap_or(&empty) {
            let findings = e["not_listed"].as_u64().unwrap_or_default() as usize
                + [
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
            let _ = writeln!(
                out,
                "  {} ({} deliveries)",
                Escaped(event_type),
                e["deliveries"]
            );
            for m in list(&e["unknown_members"]) {
                let example = m["example"].to_string();
                let example: String = example.chars().take(60).collect();
                let _ = writeln!(
                    out,
                    "    new member {} {} ({} seen, {} .. {}) e.g. {}",
                    Escaped(&cut(m["path"].as_str().unwrap_or_default())),
                    m["types"],
                    m["count"],
                    m["first_seen"].as_str().unwrap_or_default(),
                    m["last_seen"].as_str().unwrap_or_default(),
                    Escaped(&example)
                );
            }
            for v in list(&e["unknown_enum_values"]) {
                let _ = writeln!(
                    out,
                    "    new value {} at {} ({} seen)",
                    Escaped(&cut(&v["value"].to_string())),
                    Escaped(&cut(v["path"].as_str().unwrap_or_default())),
                    v["count"]
                );
            }
            for v in list(&e["missing_required"]) {
                let _ = writeln!(
                    out,
                    "    required member missing: {} ({} deliveries)",
                    Escaped(&cut(v["path"].as_str().unwrap_or_default())),
                    v["count"]
                );
            }
            if e["not_listed"].as_u64().unwrap_or_default() > 0 {
                let _ = writeln!(
                    out,
                    "    and {} more findings, counted but not listed",
                    e["not_listed"]
                );
            }
            for v in list(&e["other_violations"]) {
                let _ = writeln!(
                    out,
                    "    {} at {} ({} deliveries)",
                    Escaped(v["keyword"].as_str().unwrap_or_default()),
                    Escaped(&cut(v["path"].as_str().unwrap_or_default())),
                    v["count"]
                );
            }
        }
    }
    out
}

/// `text` cut to 120 characters, for one line of text output.
fn cut(text: &str) -> String {
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

fn from_files(
    provider: Provider,
    files: &[String],
    judge: &mut dyn FnMut(Observed) -> Result<(), Failure>,
) -> Result<(), Failure> {
    for file in files {
        let body = crate::read_input(file)?;
        let seen = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from)
            .unwrap_or_else(chrono::Utc::now)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        judge(Observed {
            provider,
            body,
            seen,
        })?;
    }
    Ok(())
}

fn from_stream(
    args: &DriftArgs,
    judge: &mut dyn FnMut(Observed) -> Result<(), Failure>,
) -> Result<(), Failure> {
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
    let mut read = 0;
    if args.limit == 0 {
        return Ok(());
    }
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
                judge(Observed {
                    provider,
                    body,
                    seen,
                })?;
                read += 1;
                if read >= args.limit {
                    return Ok(());
                }
            }
            after = format!(
                "({}",
                reply.ids.last().map(|e| e.id.as_str()).unwrap_or("+")
            );
        }
    }
    Ok(())
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
            Some(&("/data/a".to_owned(), "\"B\"".to_owned()))
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
    fn array_indices_and_map_keys_are_one_path_and_each_finding_counts_once_a_delivery() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "items": { "type": "array", "items": { "type": "object", "properties": { "a": {} } } },
                "changes": { "type": "object", "additionalProperties": {
                    "type": "object", "properties": { "from": {}, "to": {} } } },
                "named": { "type": "object", "properties": { "7": { "type": "object", "properties": {} } } }
            }
        });
        let validator = closed_validator(&schema.to_string()).expect("compiles");
        let body = json!({
            "items": [{ "a": 1, "b": 1 }, { "a": 2, "b": "x" }, { "b": null }],
            "changes": { "k0": { "from": 1, "zz": 1 }, "k1": { "zz": 2 } },
            "named": { "7": { "new": true } }
        });
        let mut event = EventDrift::default();
        note_errors(&validator, &body, "2026-12-01T00:00:00Z", &mut event);
        let paths: Vec<&String> = event.members.keys().collect();
        assert_eq!(paths, ["/changes/*/zz", "/items/*/b", "/named/7/new"]);
        assert!(
            event.members.values().all(|m| m.seen.count == 1),
            "counted per delivery"
        );
        let types: Vec<&&str> = event.members["/items/*/b"].types.iter().collect();
        assert_eq!(types, [&"integer", &"null", &"string"]);
    }

    #[test]
    fn branches_and_conditions_are_not_closed() {
        let schema = json!({
            "type": "object",
            "properties": { "a": {}, "b": {} },
            "if": { "properties": { "a": { "const": 1 } } },
            "then": { "required": ["b"] },
            "not": { "properties": { "a": { "const": 2 } }, "required": ["a"] }
        });
        let validator = closed_validator(&schema.to_string()).expect("compiles");
        let mut event = EventDrift::default();
        note_errors(
            &validator,
            &json!({ "a": 1, "b": 0 }),
            "2026-12-01T00:00:00Z",
            &mut event,
        );
        assert!(
            event.other.is_empty() && event.members.is_empty(),
            "{:?}",
            event.other.keys()
        );
    }

    #[test]
    fn findings_past_the_cap_are_counted_not_listed() {
        let schema = json!({ "type": "object", "properties": { "a": {} } });
        let validator = closed_validator(&schema.to_string()).expect("compiles");
        let body: Value = (0..MAX_LISTED + 5)
            .map(|i| (format!("m{i}"), json!(1)))
            .collect::<Map<String, Value>>()
            .into();
        let mut event = EventDrift::default();
        note_errors(&validator, &body, "2026-12-01T00:00:00Z", &mut event);
        assert_eq!(event.members.len(), MAX_LISTED);
        assert_eq!(event.not_listed, 5);
    }

    #[test]
    fn an_enum_of_strings_does_not_take_a_number_or_an_object() {
        let schema = json!({ "type": "object", "properties": { "s": { "enum": ["a"] } } });
        let validator = closed_validator(&schema.to_string()).expect("compiles");
        let mut event = EventDrift::default();
        for v in [json!("b"), json!(1), json!({ "x": 1 }), json!("1")] {
            note_errors(
                &validator,
                &json!({ "s": v }),
                "2026-12-01T00:00:00Z",
                &mut event,
            );
        }
        let values: Vec<&String> = event.enum_values.keys().map(|(_, v)| v).collect();
        assert_eq!(values, ["\"1\"", "\"b\""]);
        assert_eq!(event.other.values().map(|s| s.count).sum::<u64>(), 2);
    }

    #[test]
    fn json_output_escapes_what_a_terminal_acts_on() {
        let text =
            serde_json::to_string(&json!({ "k": "a\u{9b}b\u{202e}c\u{2028}" })).expect("JSON");
        let safe = terminal_safe(&text);
        assert_eq!(safe, r#"{"k":"a\u009bb\u202ec\u2028"}"#);
        let back: Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["k"], "a\u{9b}b\u{202e}c\u{2028}");
    }
}
