//! CloudEvents: every valid sample of every event, delivered as its provider delivers it (signed
//! with the documented test secret, or unsigned for EverReal), received, and written as a
//! CloudEvent by `to_cloud_event`. Each one's structured JSON is judged by the CNCF's CloudEvents
//! 1.0 JSON schema (`tests/cloudevents/cloudevents.json`, not written by this project), read back
//! through the CloudEvents SDK unchanged, and carries the attributes the crate documents: the
//! delivery's id, `<provider>.<event type>`, the descriptor's source, the schema's `$id`, and the
//! delivery's JSON as data. The stream sink writes the same structured JSON to a real Redis.

use cloudevents::AttributesReader;
use proptech_conformance::schema_set;
use proptech_events::Provider;
use proptech_events::receive::stream::{RedisStreamSink, Streams};
use proptech_events::receive::{Delivery, Receiver, Visit, dispatch};
use proptech_publish::samples::{Sample, samples};
use serde_json::Value;

use crate::support::redis_server::RedisServer;
use crate::support::signing::delivered_now;

/// The CNCF's schema of the CloudEvents JSON format.
fn schema() -> jsonschema::Validator {
    let path = proptech_conformance::tests_dir().join("cloudevents/cloudevents.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the schema reads"))
            .expect("JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the CloudEvents schema compiles")
}

fn valid_samples() -> Vec<Sample> {
    let valid = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("valid");
    samples(schema_set(), &valid)
        .expect("the sample corpus builds")
        .into_iter()
        .filter(|s| s.valid)
        .collect()
}

/// Receives `body` (already signed into `headers`) and writes it as a CloudEvent.
struct ToCloudEvent<'a> {
    headers: &'a [(String, String)],
    body: &'a [u8],
}

impl Visit for ToCloudEvent<'_> {
    type Output = Result<(cloudevents::Event, String), String>;

    fn visit<R: Receiver>(self) -> Self::Output {
        let receiver = match R::unverified() {
            Some(r) => r,
            None => R::with_secrets([R::CONTRACT.test_secret.expect("a test secret")])
                .expect("the test secret"),
        };
        let delivery = receiver
            .receive(self.headers, self.body)
            .map_err(|e| format!("not received: {e}"))?;
        let event = delivery.to_cloud_event().map_err(|e| e.to_string())?;
        Ok((event, delivery.id().to_owned()))
    }

    fn disabled(self, provider: Provider) -> Self::Output {
        Err(format!("{provider} is off in this build"))
    }
}

/// A delivery of `value` as `provider` sends it now (the `n`th: fresh id), received and written as
/// a CloudEvent (with the delivery's id), and the headers and body it was sent with.
struct Converted {
    event: Result<(cloudevents::Event, String), String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn convert(provider: Provider, value: &Value, n: u64) -> Converted {
    let raw = serde_json::to_vec(value).expect("JSON");
    let (headers, body) = delivered_now(provider, &raw, n);
    let event = dispatch(
        provider,
        ToCloudEvent {
            headers: &headers,
            body: &body,
        },
    );
    Converted {
        event,
        headers,
        body,
    }
}

/// What the source of `provider`'s CloudEvents is for `body`, read off the descriptor.
fn expected_source(provider: &str, body: &Value) -> String {
    let descriptor = schema_set()
        .providers()
        .iter()
        .find(|p| p.name == provider)
        .expect("a descriptor");
    let c = descriptor
        .cloudevents
        .as_ref()
        .expect("every provider says its CloudEvents source");
    match c.source_member() {
        Some(member) => c.source.replace(
            &format!("{{{member}}}"),
            body[member].as_str().expect("a string member"),
        ),
        None => c.source.clone(),
    }
}

#[test]
fn every_sample_is_a_cloud_event_the_spec_schema_accepts_and_the_sdk_reads_back() {
    let schema = schema();
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for (n, sample) in valid_samples().iter().enumerate() {
        let provider: Provider = sample.provider.parse().expect("a provider");
        let what = format!(
            "{} {} ({})",
            sample.provider, sample.event_type, sample.what
        );
        let Converted { event, body, .. } = convert(provider, &sample.value, n as u64 + 1);
        let (event, id) = event.unwrap_or_else(|e| panic!("{what}: {e}"));
        let delivered: Value = serde_json::from_slice(&body).expect("JSON");

        let structured = serde_json::to_value(&event).expect("structured JSON");
        let errors: Vec<String> = schema
            .iter_errors(&structured)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{structured:#}");
        let back: cloudevents::Event =
            serde_json::from_value(structured.clone()).expect("the SDK reads it");
        assert_eq!(back, event, "{what}: changed through the SDK");

        assert_eq!(structured["specversion"], "1.0", "{what}");
        assert_eq!(event.id(), id, "{what}");
        assert_eq!(
            event.ty(),
            format!("{}.{}", sample.provider, sample.event_type),
            "{what}"
        );
        assert_eq!(
            event.source(),
            &expected_source(&sample.provider, &delivered),
            "{what}"
        );
        let info = provider.event(&sample.event_type).expect("a known event");
        let schema_id: Value =
            serde_json::from_str::<Value>(info.json_schema).expect("JSON")["$id"].clone();
        assert_eq!(
            event.dataschema().map(|u| Value::from(u.as_str())),
            Some(schema_id),
            "{what}"
        );
        assert_eq!(structured["datacontenttype"], "application/json", "{what}");
        assert_eq!(
            structured["data"], delivered,
            "{what}: the data is not the delivery"
        );
        assert!(event.time().is_some(), "{what}: no time");
        *checked.entry(sample.provider.clone()).or_default() += 1;
    }
    assert_eq!(
        checked.len(),
        schema_set().provider_names().len(),
        "{checked:?}"
    );
}

#[test]
fn the_time_is_the_member_the_descriptor_names_else_the_signed_timestamp() {
    for sample in valid_samples() {
        let provider: Provider = sample.provider.parse().expect("a provider");
        let Converted {
            event,
            headers,
            body,
        } = convert(provider, &sample.value, 1);
        let (event, _) = event.expect("a CloudEvent");
        let delivered: Value = serde_json::from_slice(&body).expect("JSON");
        let time = event.time().expect("a time");
        match provider
            .contract()
            .cloudevents
            .as_ref()
            .and_then(|c| c.time_member)
        {
            Some(member) => {
                let text = delivered[member].as_str().expect("a date-time");
                let parsed = chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
                assert_eq!(*time, parsed, "{} {}", sample.provider, sample.event_type);
            }
            None => {
                let signed = headers
                    .iter()
                    .find(|(name, _)| name.to_ascii_lowercase().contains("timestamp"))
                    .map(|(_, v)| v.parse::<i64>().expect("seconds"))
                    .expect("a signed timestamp");
                assert_eq!(
                    time.timestamp(),
                    signed,
                    "{} {}",
                    sample.provider,
                    sample.event_type
                );
            }
        }
    }
}

#[test]
fn a_source_member_that_is_not_a_dns_label_is_refused_not_written_into_the_host() {
    let sample = valid_samples()
        .into_iter()
        .find(|s| {
            let provider: Provider = s.provider.parse().expect("a provider");
            provider
                .contract()
                .cloudevents
                .as_ref()
                .is_some_and(|c| c.source.contains('{'))
        })
        .expect("a provider whose source names a member");
    let provider: Provider = sample.provider.parse().expect("a provider");
    let mut value = sample.value.clone();
    let member = schema_set()
        .providers()
        .iter()
        .find(|p| p.name == sample.provider)
        .and_then(|p| p.cloudevents.clone())
        .and_then(|c| c.source_member().map(str::to_owned))
        .expect("a member");
    value[&member] = Value::from("evil.example/x?");
    let err = convert(provider, &value, 1)
        .event
        .expect_err("not a DNS label");
    assert!(!err.starts_with("not received"), "{err}");
    assert!(err.contains(&member), "{err}");
    assert!(!err.contains("evil"), "the value is echoed: {err}");
}

#[tokio::test]
async fn the_stream_sink_writes_cloud_events_as_structured_json() {
    let Some(server) = RedisServer::start("cloudevents_sink", false) else {
        return;
    };
    let conn = redis::aio::ConnectionManager::new(redis::Client::open(server.url()).expect("url"))
        .await
        .expect("connects");
    let sink = RedisStreamSink::with_connection(conn);
    let schema = schema();
    let mut written = Vec::new();
    for (n, sample) in valid_samples().iter().enumerate() {
        let provider: Provider = sample.provider.parse().expect("a provider");
        let (event, _) = convert(provider, &sample.value, n as u64 + 1)
            .event
            .expect("a CloudEvent");
        sink.append_cloud_event(provider, &event)
            .await
            .expect("appended");
        written.push((provider, sample.event_type.clone(), event));
    }
    let mut read = 0;
    for (provider, event_type, event) in &written {
        let stream = Streams::default().cloud_events_for(*provider).to_owned();
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .query(&mut server.connection())
            .expect("xrange");
        let found = entries
            .ids
            .iter()
            .find(|e| e.get::<String>("id").as_deref() == Some(event.id()));
        let entry = found.unwrap_or_else(|| panic!("{} not in {stream}", event.id()));
        assert_eq!(
            entry.get::<String>("event_type").as_deref(),
            Some(event_type.as_str())
        );
        let body: Vec<u8> = entry.get("body").expect("a body");
        let value: Value = serde_json::from_slice(&body).expect("JSON");
        assert!(schema.is_valid(&value), "{value:#}");
        let back: cloudevents::Event = serde_json::from_value(value).expect("the SDK reads it");
        assert_eq!(&back, event);
        read += 1;
    }
    assert_eq!(read, written.len());
    assert!(read > 100, "only {read}");
    // The streams consumers read hold deliveries only: no CloudEvent reaches them.
    for stream in [Streams::default().signed(), Streams::default().unverified()] {
        let len: usize = redis::cmd("XLEN")
            .arg(stream)
            .query(&mut server.connection())
            .expect("xlen");
        assert_eq!(len, 0, "{stream} holds CloudEvents");
    }
}
