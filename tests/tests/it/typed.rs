//! The typed crate against the corpus: every documented sample and hand-made instance parses into
//! its own variant and serialises back to the same JSON; unknown event types and enum values are
//! kept; the negative corpus is rejected by the typed parse as by the schema, except where the
//! open-world rule deliberately makes the types more lenient.

use proptech_conformance::seeds::providers;
use proptech_conformance::{NegativeCase, NegativeCorpus, schema_set, tests_dir};
use proptech_events::{AnyEvent, ParseErrorKind, Provider};
use serde_json::Value;

fn provider(name: &str) -> Provider {
    name.parse().unwrap_or_else(|e| panic!("{e}"))
}

/// The JSON of a typed event, serialised back.
fn reserialized(event: &AnyEvent) -> Value {
    serde_json::to_value(event).expect("a typed event serialises")
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

/// Parses `body` as an event of `event_type`: the right variant, never `Unknown`, and back to the
/// same JSON. Returns the parsed event for the snapshot.
fn parse_known(provider_name: &str, event_type: &str, body: &[u8]) -> AnyEvent {
    let event = proptech_events::parse(provider(provider_name), body)
        .unwrap_or_else(|e| panic!("{provider_name}/{event_type}: {e}"));
    assert!(
        !is_unknown(&event) && event.unknown().is_none(),
        "{provider_name}/{event_type} parsed as Unknown"
    );
    assert_eq!(event.event_type(), event_type);
    assert_eq!(event.provider().as_str(), provider_name);
    let input: Value = serde_json::from_slice(body).expect("the body is JSON");
    assert_eq!(
        reserialized(&event),
        input,
        "{provider_name}/{event_type} does not serialise back to its input"
    );
    event
}

#[test]
fn documented_samples_parse_into_their_variant_and_round_trip() {
    let set = schema_set();
    let errata = set.errata().expect("errata load");
    let fixtures = set.fixtures().expect("fixtures load");
    insta::glob!("../../../schemas", "*/fixtures/*.json", |path| {
        let key = format!(
            "{}/{}",
            path.parent()
                .and_then(std::path::Path::parent)
                .and_then(std::path::Path::file_name)
                .and_then(|f| f.to_str())
                .unwrap_or_default(),
            path.file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default()
        );
        let fixture = fixtures
            .iter()
            .find(|f| f.key() == key)
            .expect("listed fixture");
        let Some(event) = set.get(&fixture.schema).and_then(|d| d.event()) else {
            return; // a request or resource body, not an event
        };
        let sample: Value = proptech_catalog::read_json(path).expect("fixture is JSON");
        let corrected = errata
            .corrected(&key, Some(event.event_type), &sample)
            .expect("errata fixes apply");
        let failing = corrected.is_none() && !errata.expected_errors(&key).is_empty();
        let body = match &corrected {
            Some(fixed) => serde_json::to_vec(fixed).expect("serialises"),
            None => std::fs::read(path).expect("readable"),
        };
        if failing {
            // The errata say this sample breaks its schema and cannot be corrected: the typed
            // parse must refuse it too, and say where.
            let err = proptech_events::parse(provider(event.provider), &body)
                .expect_err("an uncorrectable sample is rejected");
            insta::assert_snapshot!(format!("rejected as its errata say: {err}"));
        } else {
            let parsed = parse_known(event.provider, event.event_type, &body);
            insta::assert_debug_snapshot!(parsed);
        }
    });
}

#[test]
fn hand_made_instances_parse_into_their_variant_and_round_trip() {
    let set = schema_set();
    let mut seen = 0;
    for provider_name in providers() {
        let provider_name = provider_name.as_str();
        let dir = tests_dir().join("valid").join(provider_name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("dir entry").path();
            let file = path
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default();
            let Some(event) = set
                .get(&format!("{provider_name}/events/{file}"))
                .and_then(|d| d.event())
            else {
                continue;
            };
            let body = std::fs::read(&path).expect("readable");
            parse_known(provider_name, event.event_type, &body);
            seen += 1;
        }
    }
    assert_eq!(
        seen, 44,
        "hand-made instances cover the 44 events with no documented sample"
    );
}

#[test]
fn every_event_type_has_a_variant() {
    let set = schema_set();
    for provider_name in providers() {
        let provider_name = provider_name.as_str();
        let known: Vec<&str> = provider(provider_name)
            .events()
            .iter()
            .map(|e| e.event_type)
            .collect();
        let mut schemas: Vec<&str> = set
            .events()
            .filter(|e| e.provider == provider_name)
            .map(|e| e.event_type)
            .collect();
        schemas.sort_unstable();
        assert_eq!(known, schemas, "{provider_name}");
    }
}

#[test]
fn an_unknown_event_type_is_kept_whole() {
    for (provider_name, field, body) in [
        (
            "valara",
            "event_type",
            r#"{"event_type":"listing.teleported","event_id":"x","weird":[1,2]}"#,
        ),
        (
            "repull",
            "type",
            r#"{"type":"sync.completed","deliveryId":"d","data":{"n":1}}"#,
        ),
        (
            "lavanda",
            "type",
            r#"{"id":"a","type":"v2.spaces.unit.created","unit":{"id":"1"}}"#,
        ),
        (
            "everreal",
            "operation",
            r#"{"uuid":"u","operation":"PROTOCOL_SIGNED","data":null}"#,
        ),
    ] {
        let event = proptech_events::parse(provider(provider_name), body.as_bytes())
            .unwrap_or_else(|e| panic!("{provider_name}: {e}"));
        assert!(is_unknown(&event), "{provider_name}: {event:?}");
        let unknown = event
            .unknown()
            .expect("the accessor finds the Unknown variant");
        assert_eq!(unknown.event_type, event.event_type());
        let raw = serde_json::to_string(&event).expect("serialises");
        assert_eq!(
            raw, body,
            "{provider_name}: the raw body is kept byte for byte"
        );
        let expected: Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(
            event.event_type(),
            expected[field].as_str().unwrap_or_default()
        );
    }
}

#[test]
fn an_unknown_enum_value_lands_in_the_catch_all_and_round_trips() {
    use proptech_events::valara::{Event, UserRole};
    let path = tests_dir().join("valid/valara/user.deactivated.json");
    let mut value = proptech_catalog::read_json(&path).expect("instance");
    value["data"]["role"] = Value::from("superhero");
    let body = serde_json::to_vec(&value).expect("serialises");
    let Ok(AnyEvent::Valara(Event::UserDeactivated(e))) =
        proptech_events::parse(Provider::Valara, &body)
    else {
        panic!("user.deactivated with a new role does not parse");
    };
    assert_eq!(e.data.role, UserRole::from("superhero"));
    assert!(!e.data.role.is_documented());
    assert_eq!(e.data.role.as_str(), "superhero");
    assert_eq!(UserRole::from("agent"), UserRole::Agent);
    assert_eq!(
        serde_json::to_value(&e).expect("serialises")["data"]["role"],
        "superhero"
    );
}

#[test]
fn errors_name_the_event_type_and_the_json_path() {
    let path = schema_set()
        .fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.key() == "repull/reservation.created.event-page.json")
        .expect("the reservation.created event page sample")
        .path;
    let mut value = proptech_catalog::read_json(&path).expect("sample");
    value["data"]["pricing"]["total"] = Value::from(13.2);
    let err = proptech_events::parse(Provider::Repull, &serde_json::to_vec(&value).expect("ser"))
        .expect_err("a number where the samples show a decimal string is rejected");
    assert_eq!(err.kind, ParseErrorKind::Data);
    assert_eq!(err.event_type.as_deref(), Some("reservation.created"));
    assert_eq!(err.path, "/data/pricing/total");
    insta::assert_snapshot!(err.to_string());

    let err = proptech_events::parse(Provider::Repull, b"{\"data\": {}}").expect_err("no type");
    assert_eq!(err.kind, ParseErrorKind::MissingEventType);
    let err = proptech_events::parse(Provider::Repull, b"[1, 2]").expect_err("not an object");
    assert_eq!(err.kind, ParseErrorKind::Syntax);
    let err =
        proptech_events::parse(Provider::Repull, b"{\"type\": 7}").expect_err("type not a string");
    assert_eq!(
        (err.kind, err.path.as_str()),
        (ParseErrorKind::MissingEventType, "/type")
    );
}

/// What the typed parse must do with a negative case.
#[derive(Debug, PartialEq)]
enum Typed {
    /// Reject it, as the schema does.
    Rejected,
    /// Open-world exception: a type field naming another event parses as that provider's
    /// `Unknown`, keeping the delivery.
    LandsInUnknown,
    /// Open-world exception: a value outside a closed `enum` parses into the enum's opaque
    /// catch-all.
    LandsInCatchAll,
}

/// The deliberate leniencies of the types, and nothing else.
fn expected(provider_name: &str, case: &NegativeCase) -> Typed {
    let type_field = match provider_name {
        "valara" => "/event_type",
        "everreal" => "/operation",
        _ => "/type",
    };
    match case.expect.keyword.as_str() {
        "const" if case.expect.path == type_field => Typed::LandsInUnknown,
        "enum" => Typed::LandsInCatchAll,
        _ => Typed::Rejected,
    }
}

#[test]
fn the_negative_corpus_is_rejected_by_the_typed_parse() {
    let mut report = String::new();
    let mut problems = Vec::new();
    for provider_name in providers() {
        let provider_name = provider_name.as_str();
        let corpus = NegativeCorpus::of(provider_name);
        for case in corpus
            .case
            .iter()
            .filter(|c| c.schema.starts_with("events/"))
        {
            let payload = case.payload(provider_name).expect("case applies");
            let body = serde_json::to_vec(&payload).expect("serialises");
            let result = proptech_events::parse(provider(provider_name), &body);
            let actual = match &result {
                Err(_) => Typed::Rejected,
                Ok(e) if is_unknown(e) => Typed::LandsInUnknown,
                Ok(e) => {
                    let sent = &payload;
                    let back = reserialized(e);
                    // Kept exactly: the undocumented value is in the catch-all, not dropped.
                    if &back == sent {
                        Typed::LandsInCatchAll
                    } else {
                        Typed::Rejected
                    }
                }
            };
            let want = expected(provider_name, case);
            let line = match &result {
                Err(e) => format!(
                    "{provider_name}/{} — {}: rejected: {e}",
                    case.schema, case.what
                ),
                Ok(_) => format!(
                    "{provider_name}/{} — {}: {actual:?}",
                    case.schema, case.what
                ),
            };
            report.push_str(&line);
            report.push('\n');
            if actual != want {
                problems.push(format!("{line} (expected {want:?})"));
            }
        }
    }
    insta::assert_snapshot!(report);
    assert!(
        problems.is_empty(),
        "schema and types disagree:\n{}",
        problems.join("\n")
    );
}

/// The path of a failure is noted on the way out of the one parse: an element of an array is named
/// by its index, and a generated type parsed on its own (straight through serde_json, outside
/// `parse`) leaves nothing behind for the next failure's path.
#[test]
fn a_failure_in_an_array_names_its_index_and_no_path_leaks_between_parses() {
    let path = schema_set()
        .fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.key() == "lavanda/v1.availability.unit_availability.updated.json")
        .expect("the unit availability sample")
        .path;
    let sample = proptech_catalog::read_json(&path).expect("sample");

    let mut broken = sample.clone();
    broken["availability"][2]["span"]["to"] = Value::from("not a date-time");
    let bytes = serde_json::to_vec(&broken).expect("ser");
    // Parsed on its own first: it fails, and must note nothing.
    serde_json::from_slice::<proptech_events::lavanda::AvailabilityUnitAvailabilityUpdated>(&bytes)
        .expect_err("a bad date-time is rejected");
    let mut other = sample.clone();
    other["unit"]["id"] = Value::from(5);
    let err = proptech_events::parse(Provider::Lavanda, &serde_json::to_vec(&other).expect("ser"))
        .expect_err("a number where the schema wants a string is rejected");
    assert_eq!(
        (err.kind, err.path.as_str()),
        (ParseErrorKind::Data, "/unit/id")
    );

    let err = proptech_events::parse(Provider::Lavanda, &bytes).expect_err("rejected");
    assert_eq!(err.kind, ParseErrorKind::Data);
    assert_eq!(err.path, "/availability/2/span/to");
    // And the same instance, judged by the schema, fails at the same place.
    let violations = proptech_conformance::violations(
        "lavanda/events/v1.availability.unit_availability.updated.json",
        &broken,
    );
    assert!(
        violations
            .iter()
            .any(|v| v.instance_path == "/availability/2/span/to"),
        "{violations:?}"
    );
}

/// Found by the `parse` fuzz target: a `uuid` with upper-case hex digits (valid for the format)
/// came back in lower case, because `uuid::Uuid` writes its own text. `proptech_events::Uuid` keeps
/// the text it was sent as; the value is still there as a `uuid::Uuid`.
#[test]
fn uuids_come_back_as_sent() {
    let body = br#"{
  "type": "connection.disconnected",
  "deliveryId": "evt_01HX5XPQ2K",
  "createdAt": "2026-05-01T12:34:56.000Z",
  "data": {
    "workspaceId": "47f8883d-28c2-4d2c-b020-c7cef1Aff62c",
    "accountId": "acc_01HX5XPQ2K",
    "provider": "airbnb",
    "disconnectedAt": "2026-05-01T17:00:00.000Z",
    "reason": "revoked_by_user"
  }
}"#;
    let Ok(AnyEvent::Repull(proptech_events::repull::Event::ConnectionDisconnected(e))) =
        proptech_events::parse(Provider::Repull, body)
    else {
        panic!("connection.disconnected does not parse");
    };
    assert_eq!(
        e.data.workspace_id.as_str(),
        "47f8883d-28c2-4d2c-b020-c7cef1Aff62c"
    );
    assert_eq!(
        e.data.workspace_id.get().to_string(),
        "47f8883d-28c2-4d2c-b020-c7cef1aff62c"
    );
    let sent: Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(serde_json::to_value(&e).expect("serialises"), sent);
}
