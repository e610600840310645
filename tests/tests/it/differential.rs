//! The typed parse against the schemas, judged by an independent validator (the `jsonschema`
//! crate, formats asserted) over systematic mutants of every valid instance the project ships: the
//! documented samples after errata, the hand-made instances of `tests/valid/`, and the schemas'
//! `examples`.
//!
//! Each mutant deletes one member, replaces one value with a value of each JSON type (and with
//! out-of-range numbers and strings that break formats and patterns), or adds an unknown member to
//! one object. The typed parse must accept exactly what the schema accepts, with two deliberate
//! exceptions: a value outside a closed `enum` (or `const`) kept in the enum's catch-all, and an
//! event type the crate does not know kept in `Unknown`. Every accepted mutant must serialise back
//! to JSON equal to itself, unknown members included.

use std::collections::BTreeMap;

use proptech_conformance::{schema_set, tests_dir, violations};
use proptech_events::{AnyEvent, Provider};
use serde_json::{Value, json};

/// A valid instance to mutate: where it comes from, its provider and its event schema.
struct Seed {
    origin: String,
    provider: String,
    schema: String,
    value: Value,
}

/// Every valid event instance the project ships.
fn seeds() -> Vec<Seed> {
    let set = schema_set();
    let errata = set.errata().expect("errata load");
    let mut out = Vec::new();
    // The documented samples, corrected by their errata; a sample its errata call uncorrectable is
    // not valid, so not a seed.
    let fixtures = set.fixtures().expect("fixtures load");
    for fixture in &fixtures {
        let Some(event) = set.get(&fixture.schema).and_then(|d| d.event()) else {
            continue; // a request or resource body, not an event
        };
        let key = fixture.key();
        let sample = proptech_catalog::read_json(&fixture.path).expect("fixture is JSON");
        let corrected = errata
            .corrected(&key, Some(event.event_type), &sample)
            .expect("errata fixes apply");
        if corrected.is_none() && !errata.expected_errors(&key).is_empty() {
            continue;
        }
        out.push(Seed {
            origin: format!("fixture {key}"),
            provider: fixture.provider.clone(),
            schema: fixture.schema.clone(),
            value: corrected.unwrap_or(sample),
        });
    }
    for event in set.events() {
        let path = &event.doc.path;
        // The schema's own examples.
        for (i, example) in event
            .doc
            .value
            .get("examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push(Seed {
                origin: format!("{path} examples[{i}]"),
                provider: event.provider.to_owned(),
                schema: path.clone(),
                value: example.clone(),
            });
        }
        // The hand-made instance, if there is one.
        let file = path.rsplit('/').next().unwrap_or(path);
        let hand_made = tests_dir().join("valid").join(event.provider).join(file);
        if hand_made.exists() {
            out.push(Seed {
                origin: format!("tests/valid/{}/{file}", event.provider),
                provider: event.provider.to_owned(),
                schema: path.clone(),
                value: proptech_catalog::read_json(&hand_made).expect("hand-made instance"),
            });
        }
    }
    out
}

/// The replacement values: one of each JSON type, out-of-range numbers, strings that break every
/// format and pattern the schemas use.
fn replacements() -> Vec<Value> {
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

/// Every mutant of `v`, each with a description.
fn mutants(v: &Value) -> Vec<(String, Value)> {
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
            for r in replacements() {
                if r == target {
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

fn is_unknown(event: &AnyEvent) -> bool {
    matches!(
        event,
        AnyEvent::Valara(proptech_events::valara::Event::Unknown(_))
            | AnyEvent::Repull(proptech_events::repull::Event::Unknown(_))
            | AnyEvent::Lavanda(proptech_events::lavanda::Event::Unknown(_))
            | AnyEvent::Everreal(proptech_events::everreal::Event::Unknown(_))
    )
}

fn type_field(provider: &str) -> &'static str {
    match provider {
        "valara" => "/event_type",
        "everreal" => "/operation",
        _ => "/type",
    }
}

#[derive(Default)]
struct Tally {
    mutants: usize,
    both_accept: usize,
    both_reject: usize,
    catch_all: usize,
    unknown: usize,
}

#[test]
fn typed_parse_accepts_exactly_what_the_schema_accepts() {
    let seeds = seeds();
    assert!(seeds.len() >= 134, "{} seeds", seeds.len());
    let mut tally = Tally::default();
    let mut per_provider: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for seed in &seeds {
        let provider: Provider = seed.provider.parse().expect("provider");
        // The seed itself: valid, and parsed into its own variant.
        let seed_errors = violations(&seed.schema, &seed.value);
        assert!(
            seed_errors.is_empty(),
            "{}: the seed is not valid: {seed_errors:?}",
            seed.origin
        );
        for (what, mutant) in mutants(&seed.value) {
            tally.mutants += 1;
            *per_provider.entry(seed.provider.clone()).or_default() += 1;
            let errors = violations(&seed.schema, &mutant);
            let body = serde_json::to_vec(&mutant).expect("serialises");
            let typed = proptech_events::parse(provider, &body);
            let at = format!("{} — {what}", seed.origin);
            match (errors.is_empty(), typed) {
                (true, Ok(event)) => {
                    tally.both_accept += 1;
                    if is_unknown(&event) {
                        problems.push(format!("{at}: valid, but parsed as Unknown"));
                    }
                    let back = serde_json::to_value(&event).expect("serialises");
                    if back != mutant {
                        problems.push(format!(
                            "{at}: does not round-trip:\n    sent {mutant}\n    back {back}"
                        ));
                    }
                }
                (true, Err(e)) => {
                    problems.push(format!("{at}: valid, but the typed parse rejects it: {e}"))
                }
                (false, Err(_)) => tally.both_reject += 1,
                (false, Ok(event)) => {
                    let only_values = errors
                        .iter()
                        .all(|v| v.keyword == "enum" || v.keyword == "const");
                    let type_changed = errors.iter().any(|v| {
                        v.keyword == "const" && v.instance_path == type_field(&seed.provider)
                    });
                    let back = serde_json::to_value(&event).expect("serialises");
                    if is_unknown(&event) && type_changed {
                        tally.unknown += 1;
                    } else if !is_unknown(&event) && only_values && back == mutant {
                        tally.catch_all += 1;
                    } else {
                        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
                        problems.push(format!(
                            "{at}: the schema rejects it ({}), the typed parse accepts it",
                            errors.join("; ")
                        ));
                    }
                }
            }
        }
    }
    println!(
        "{} seeds, {} mutants ({}): {} accepted by both and round-tripped, {} rejected by both, \
         {} kept in an enum's catch-all, {} kept as Unknown",
        seeds.len(),
        tally.mutants,
        per_provider
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        tally.both_accept,
        tally.both_reject,
        tally.catch_all,
        tally.unknown,
    );
    assert!(
        problems.is_empty(),
        "{} disagreements between the schemas and the typed parse:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        tally.both_accept > 0 && tally.both_reject > 0 && tally.catch_all > 0 && tally.unknown > 0
    );
}

/// Unknown members are kept at every level, readable without matching on JSON, and written back as
/// sent, even a number no `f64` holds.
#[test]
fn unknown_members_are_kept_and_readable() {
    let path = tests_dir().join("valid/valara/user.deactivated.json");
    let mut value = proptech_catalog::read_json(&path).expect("instance");
    value["data"]["nickname"] = json!("Ace");
    let body = serde_json::to_vec(&value).expect("serialises");
    let Ok(AnyEvent::Valara(proptech_events::valara::Event::UserDeactivated(e))) =
        proptech_events::parse(Provider::Valara, &body)
    else {
        panic!("user.deactivated with a new member does not parse");
    };
    let nickname = e.data.unknown_member("nickname").expect("kept");
    assert_eq!(nickname.get(), r#""Ace""#);
    assert_eq!(e.data.unknown_members().len(), 1);
    assert_eq!(serde_json::to_value(&e).expect("serialises"), value);

    let body = br#"{"type":"repull.ping","deliveryId":"d5","createdAt":"2026-05-01T12:34:56Z","data":{"message":"m","n":1e400,"o":{"p":[1,2]}}}"#;
    let Ok(AnyEvent::Repull(proptech_events::repull::Event::RepullPing(ping))) =
        proptech_events::parse(Provider::Repull, body)
    else {
        panic!("repull.ping with new members does not parse");
    };
    assert_eq!(
        ping.data.unknown_member("n").map(|n| n.get()),
        Some("1e400")
    );
    let back = serde_json::to_string(&ping).expect("serialises");
    assert!(
        back.contains(r#""n":1e400,"o":{"p":[1,2]}"#),
        "kept as sent: {back}"
    );
    let _: &[(String, Box<serde_json::value::RawValue>)] = ping.data.unknown_members();
}
