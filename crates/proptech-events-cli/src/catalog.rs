//! `events`: the catalog embedded in the crate (event type, category, documentation status, schema)
//! and the embedded samples; also the fresh samples `send --event` posts.

use std::process::ExitCode;

use comfy_table::{Table, presets};
use proptech_events::{EventInfo, Provider};
use serde_json::Value;

use crate::cli::{EventsArgs, EventsCommand};
use crate::generated::samples::SAMPLES;
use crate::style::{self, BOLD, DIM};
use crate::{Failure, Outcome};

/// The catalog of `provider`, as the crate embeds it.
pub fn events(provider: Provider) -> &'static [EventInfo] {
    provider.events()
}

/// The member of a delivery that names its event type.
pub fn type_member(provider: Provider) -> &'static str {
    provider.contract().type_member
}

/// The catalog entry of `event_type`, or an error listing where to look.
pub fn event(provider: Provider, event_type: &str) -> Result<&'static EventInfo, Failure> {
    events(provider)
        .iter()
        .find(|e| e.event_type == event_type)
        .ok_or_else(|| {
            Failure::usage(format!(
                "{provider} has no event type {event_type:?}; `proptech-events events --provider {provider}` lists them"
            ))
        })
}

/// The embedded sample of an event: where it comes from and its pretty JSON.
pub fn sample(provider: Provider, event_type: &str) -> Option<(&'static str, &'static str)> {
    SAMPLES
        .iter()
        .find(|(p, t, _, _)| *p == provider.as_str() && *t == event_type)
        .map(|(_, _, what, json)| (*what, *json))
}

/// The ids and timestamp a fresh delivery carries.
#[derive(Debug, Clone)]
pub struct Fresh {
    /// The delivery id (the contract's id member or id header).
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// A ULID-shaped random id (26 Crockford base32 characters, the first 0-7): it fits an id or
/// nonce member that must be a ULID, optionally prefixed.
fn ulid() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut n = u128::from_be_bytes(*uuid::Uuid::new_v4().as_bytes());
    let mut out = [0u8; 26];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// The documented sample of `event_type` with fresh ids and timestamps, as compact JSON bytes.
pub fn fresh_sample(provider: Provider, event_type: &str) -> Result<(Vec<u8>, Fresh), Failure> {
    event(provider, event_type)?;
    let (_, json) = sample(provider, event_type).ok_or_else(|| {
        Failure::usage(format!("no sample of {provider} {event_type} is embedded"))
    })?;
    let mut body: Value = serde_json::from_str(json)
        .map_err(|e| Failure::usage(format!("the embedded sample is not JSON: {e}")))?;
    let now = chrono::Utc::now();
    let timestamp = now.timestamp();
    let stamp = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let contract = provider.contract();
    let info = event(provider, event_type)?;
    let schema: Value = serde_json::from_str(info.json_schema).unwrap_or_default();
    // An id member whose schema says `format: uuid` gets a UUID; any other id a prefixed ULID
    // (the form the providers' samples show); an id that travels in a header, Svix's `msg_` form.
    let id = match contract.id_member {
        Some(member) if schema["properties"][member]["format"] == "uuid" => {
            uuid::Uuid::new_v4().to_string()
        }
        Some(_) => format!("evt_{}", ulid()),
        None => format!("msg_{}", ulid()),
    };
    if let Some(member) = contract.id_member {
        body[member] = Value::from(id.clone());
    }
    if let Some(nonce) = &contract.nonce {
        body[nonce.member] = Value::from(ulid());
    }
    if let Some(member) = contract.timestamp_member {
        body[member] = Value::from(timestamp);
    }
    if let Some(horizon) = &contract.horizon {
        body[horizon.member] = Value::from(stamp);
    }
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| Failure::usage(format!("cannot serialise the sample: {e}")))?;
    Ok((bytes, Fresh { id, timestamp }))
}

/// Runs `events`.
pub fn run(args: &EventsArgs) -> Outcome {
    if let Some(EventsCommand::Show {
        provider,
        event_type,
    }) = &args.show
    {
        return show(provider.map(Provider::from), event_type);
    }
    let providers: Vec<Provider> = match args.provider {
        Some(p) => vec![p.into()],
        None => Provider::ALL.to_vec(),
    };
    let search = args.search.as_deref().map(str::to_lowercase);
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["PROVIDER", "EVENT TYPE", "CATEGORY", "DOCUMENTATION"]);
    let mut count = 0;
    for provider in providers {
        for e in events(provider) {
            let hit = search.as_deref().is_none_or(|s| {
                e.event_type.to_lowercase().contains(s) || e.category.to_lowercase().contains(s)
            });
            if hit {
                table.add_row([
                    provider.as_str(),
                    e.event_type,
                    e.category,
                    e.documentation_status.as_str(),
                ]);
                count += 1;
            }
        }
    }
    if count == 0 {
        return Err(Failure {
            message: format!(
                "no event matches {:?}; try a shorter search, or none",
                args.search.as_deref().unwrap_or_default()
            ),
            code: 1,
        });
    }
    anstream::println!("{}", trimmed(&table));
    anstream::println!("{}", style::paint(DIM, format!("{count} events")));
    Ok(ExitCode::SUCCESS)
}

/// `events show TYPE`: the catalog entry, the fields with their documentation, the sample.
fn show(provider: Option<Provider>, event_type: &str) -> Outcome {
    let matches: Vec<(Provider, &EventInfo)> = Provider::ALL
        .into_iter()
        .filter(|p| provider.is_none_or(|only| only == *p))
        .flat_map(|p| events(p).iter().map(move |e| (p, e)))
        .filter(|(_, e)| e.event_type == event_type)
        .collect();
    let (provider, info) = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(Failure::usage(format!(
                "no event type {event_type:?}{}; `proptech-events events` lists them",
                provider.map(|p| format!(" for {p}")).unwrap_or_default()
            )));
        }
        several => {
            let names: Vec<&str> = several.iter().map(|(p, _)| p.as_str()).collect();
            return Err(Failure::usage(format!(
                "{event_type} is an event of {}: pass --provider",
                names.join(" and ")
            )));
        }
    };
    let schema: Value = serde_json::from_str(info.json_schema)
        .map_err(|e| Failure::usage(format!("the embedded schema is not JSON: {e}")))?;
    anstream::println!(
        "{} {}",
        style::paint(BOLD, provider),
        style::paint(BOLD, info.event_type)
    );
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        anstream::println!("{d}");
    }
    anstream::println!("category:      {}", info.category);
    anstream::println!("documentation: {}", info.documentation_status);
    if let Some(id) = schema.get("$id").and_then(Value::as_str) {
        anstream::println!("schema:        {id}");
    }
    anstream::println!("\n{}", style::paint(BOLD, "fields"));
    let mut rows = Vec::new();
    fields(&schema, &schema, "", 0, &mut rows);
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["PATH", "TYPE", "REQUIRED", "DESCRIPTION"]);
    for row in rows {
        table.add_row(row);
    }
    anstream::println!("{}", trimmed(&table));
    match sample(provider, info.event_type) {
        Some((what, json)) => {
            anstream::println!(
                "\n{} {}",
                style::paint(BOLD, "sample"),
                style::paint(DIM, format!("({what})"))
            );
            anstream::println!("{json}");
        }
        None => anstream::println!("\n(no sample)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The table without the padding at the end of its lines.
fn trimmed(table: &Table) -> String {
    table
        .lines()
        .map(|line| line.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `schema` with a local `$ref` followed (its siblings win).
fn deref<'a>(root: &'a Value, schema: &'a Value, depth: usize) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) if depth < 16 => root
            .pointer(r.strip_prefix('#').unwrap_or(r))
            .map_or(schema, |target| deref(root, target, depth + 1)),
        _ => schema,
    }
}

/// A short description of a schema's type: `string (date-time)`, `integer`, `"a" | "b"`, ….
fn type_of(root: &Value, schema: &Value) -> String {
    let target = deref(root, schema, 0);
    let pick = |key: &str| schema.get(key).or_else(|| target.get(key));
    if let Some(c) = pick("const") {
        return c.to_string();
    }
    if let Some(Value::Array(values)) = pick("enum") {
        let shown: Vec<String> = values.iter().take(6).map(Value::to_string).collect();
        let more = if values.len() > 6 { " | …" } else { "" };
        return format!("{}{more}", shown.join(" | "));
    }
    if let Some(Value::Array(options)) = pick("anyOf").or_else(|| pick("oneOf")) {
        let shown: Vec<String> = options.iter().map(|o| type_of(root, o)).collect();
        return shown.join(" | ");
    }
    let ty = match pick("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_owned(),
    };
    match pick("format").and_then(Value::as_str) {
        Some(f) => format!("{ty} ({f})"),
        None => ty,
    }
}

/// One row per member, depth first: JSON pointer, type, required, description.
fn fields(root: &Value, schema: &Value, path: &str, depth: usize, rows: &mut Vec<[String; 4]>) {
    if depth > 8 {
        return;
    }
    let target = deref(root, schema, 0);
    // A `$ref` beside `properties` means both apply: the referenced members (the envelope) in
    // their order, each replaced by the schema's own where it has one, then the schema's others.
    let own = schema.get("properties").and_then(Value::as_object);
    let referenced = if std::ptr::eq(target, schema) {
        None
    } else {
        target.get("properties").and_then(Value::as_object)
    };
    let mut properties: Vec<(&String, &Value)> = Vec::new();
    for (name, member) in referenced.into_iter().flatten() {
        properties.push((name, own.and_then(|o| o.get(name)).unwrap_or(member)));
    }
    for (name, member) in own.into_iter().flatten() {
        if !referenced.is_some_and(|r| r.contains_key(name)) {
            properties.push((name, member));
        }
    }
    let required: Vec<&str> = [schema.get("required"), target.get("required")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    {
        for (name, member) in properties {
            let pointer = format!("{path}/{name}");
            let member_target = deref(root, member, 0);
            let description = member
                .get("description")
                .or_else(|| member_target.get("description"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let is_required = required.contains(&name.as_str());
            rows.push([
                pointer.clone(),
                type_of(root, member),
                if is_required { "yes" } else { "no" }.to_owned(),
                description.to_owned(),
            ]);
            fields(root, member, &pointer, depth + 1, rows);
        }
    }
    if let Some(items) = schema.get("items").or_else(|| target.get("items")) {
        fields(root, items, &format!("{path}/0"), depth + 1, rows);
    }
}
