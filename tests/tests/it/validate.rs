//! Schema validation on receipt (the `validate` feature): over the whole corpus, a valid delivery
//! gives the same typed event with or without validation, and every negative case is refused as
//! a schema violation at the path the corpus names.

use crate::support::signing::{sign_lavanda, sign_repull, sign_valara};
use proptech_conformance::seeds::providers;
use proptech_conformance::{NegativeCorpus, schema_set, valid_instance};
use proptech_events::receive::{
    EverrealReceiver, LavandaReceiver, Options, ReceiveError, RepullReceiver, ValaraReceiver,
};
use serde_json::Value;

const NOW: i64 = 1_800_000_000;
/// 2026-05-02T00:00:00Z: Repull's samples (`createdAt` 2026-05-01) are inside its replay
/// horizon then.
const REPULL_NOW: i64 = 1_777_680_000;

fn options(validate: bool) -> Options {
    Options::default().with_validate(validate)
}

/// Signs `delivery` as `provider` would and receives it; the typed event as JSON, or the error.
fn receive(provider: &str, delivery: &Value, validate: bool) -> Result<Value, ReceiveError> {
    let mut delivery = delivery.clone();
    if provider == "valara" {
        delivery["timestamp"] = NOW.into();
    }
    let body = serde_json::to_vec(&delivery).expect("serialises");
    let to_json = |e: &dyn erased::Event| e.json();
    match provider {
        "valara" => {
            let id = delivery["event_id"].as_str().unwrap_or_default().to_owned();
            let headers = [
                ("X-Webhook-Signature", sign_valara("s", NOW, &body)),
                ("X-Webhook-Timestamp", NOW.to_string()),
                ("X-Webhook-Event-Id", id),
            ];
            let r = ValaraReceiver::new(["s"])
                .expect("secret")
                .with_options(options(validate));
            r.receive_at(&headers, &body, NOW)
                .map(|v| to_json(v.event()))
        }
        "repull" => {
            let headers = [("X-Repull-Signature", sign_repull("whsec_s", &body))];
            let r = RepullReceiver::new(["whsec_s"])
                .expect("secret")
                .with_options(options(validate));
            r.receive_at(&headers, &body, REPULL_NOW)
                .map(|v| to_json(v.event()))
        }
        "lavanda" => {
            let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let headers = [
                ("webhook-id", "msg_1".to_owned()),
                ("webhook-timestamp", NOW.to_string()),
                (
                    "webhook-signature",
                    sign_lavanda(&[secret], "msg_1", NOW, &body).expect("sign"),
                ),
            ];
            let r = LavandaReceiver::new([secret])
                .expect("secret")
                .with_options(options(validate));
            r.receive_at(&headers, &body, NOW)
                .map(|v| to_json(v.event()))
        }
        _ => {
            let r = EverrealReceiver::unverified().with_options(options(validate));
            r.receive_unverified(&[("x", "y")], &body)
                .map(|v| to_json(v.event()))
        }
    }
}

/// The typed events of every provider, as JSON.
mod erased {
    pub trait Event {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Event for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("serialises")
        }
    }
}

#[test]
fn valid_deliveries_give_the_same_event_with_or_without_validation() {
    let mut count = 0;
    for event in schema_set().events() {
        let instance = valid_instance(&event.doc.path);
        let plain = receive(event.provider, &instance, false)
            .unwrap_or_else(|e| panic!("{}: {e}", event.doc.path));
        let validated = receive(event.provider, &instance, true)
            .unwrap_or_else(|e| panic!("{} (validated): {e}", event.doc.path));
        assert_eq!(plain, validated, "{}", event.doc.path);
        count += 1;
    }
    assert_eq!(count, 90);
}

/// The envelope members a receiver reads, and checks, before the schema: the event type, the id it
/// deduplicates on, and Valara's mirrored timestamp and nonce.
fn read_before_the_schema(provider: &str) -> &'static [&'static str] {
    match provider {
        "valara" => &["/event_type", "/event_id", "/timestamp", "/nonce"],
        "repull" => &["/type", "/deliveryId"],
        "lavanda" => &["/type"],
        _ => &["/operation", "/uuid"],
    }
}

#[test]
fn every_negative_case_is_refused_and_where_the_schema_applies_at_its_path() {
    let (mut at_path, mut earlier, mut unknown) = (0, 0, 0);
    for provider in providers() {
        let provider = provider.as_str();
        let corpus = NegativeCorpus::of(provider);
        for case in corpus
            .case
            .iter()
            .filter(|c| c.schema.starts_with("events/"))
        {
            let what = format!("{provider}/{} — {}", case.schema, case.what);
            let touched = case
                .remove
                .clone()
                .or_else(|| case.set.as_ref().map(|s| s.pointer.clone()))
                .unwrap_or_default();
            let payload = case.payload(provider).expect("case applies");
            let result = receive(provider, &payload, true);
            if read_before_the_schema(provider).contains(&touched.as_str()) {
                if case.expect.keyword == "const" {
                    // Another event type: one the schemas do not know, which `validate` refuses
                    // at the member that names it (without it, the types keep it as Unknown).
                    match &result {
                        Err(ReceiveError::SchemaViolation { instance_path, .. }) => {
                            assert_eq!(*instance_path, touched, "{what}");
                        }
                        other => panic!("{what}: {other:?}"),
                    }
                    let kept = receive(provider, &payload, false)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert!(
                        kept.get(touched.trim_start_matches('/')).is_some(),
                        "{what}"
                    );
                    unknown += 1;
                } else {
                    // Refused before the schema, by the envelope check that reads the member.
                    match result {
                        Err(ReceiveError::SchemaViolation { .. }) | Ok(_) => {
                            panic!("{what}: expected an envelope error, got {result:?}")
                        }
                        Err(_) => earlier += 1,
                    }
                }
                continue;
            }
            match result {
                Err(ReceiveError::SchemaViolation { instance_path, .. }) => {
                    assert_eq!(instance_path, case.expect.path, "{what}");
                    at_path += 1;
                }
                other => panic!("{what}: {other:?}"),
            }
        }
    }
    // Every event case of the corpus is one of the three.
    assert_eq!(
        (at_path, earlier, unknown),
        (137, 23, 90),
        "the corpus changed: review the counts"
    );
}

#[test]
fn validation_refuses_what_the_open_types_accept() {
    let mut delivery = valid_instance("valara/events/user.deactivated.json");
    delivery["data"]["role"] = "superhero".into();
    assert!(
        receive("valara", &delivery, false).is_ok(),
        "the types keep the new value"
    );
    match receive("valara", &delivery, true) {
        Err(ReceiveError::SchemaViolation {
            instance_path,
            message,
        }) => {
            assert_eq!(instance_path, "/data/role");
            assert!(message.contains("superhero"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // An event type no schema describes: kept as Unknown without `validate` (dated, as every
    // Repull delivery is), refused with it, at the member that names it.
    let unknown = serde_json::json!({
        "type": "sync.completed",
        "deliveryId": "d9",
        "createdAt": "2026-05-01T12:34:56Z",
    });
    assert!(receive("repull", &unknown, false).is_ok());
    match receive("repull", &unknown, true) {
        Err(ReceiveError::SchemaViolation {
            instance_path,
            message,
        }) => {
            assert_eq!(instance_path, "/type");
            assert!(message.contains("sync.completed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
