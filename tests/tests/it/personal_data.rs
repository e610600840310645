//! Personal data stays out of text. For every valid sample of every event (the documented samples
//! and the hand-made instances, the corpus the partner checks use), and for mutants of them whose
//! personal values break their type: no value the schema marks `x-personal-data` appears in the
//! typed event's `Debug`, in `redacted()`, in a receiver's error (with and without schema
//! validation) or in the `tracing` output of the example receiver logging `?event` over real
//! HTTP; the unmarked values still do. The marked values are read off the schemas by the suite's
//! own walk (`proptech_conformance::personal`), not by the crate's redaction.

use std::io::Write;
use std::sync::{Arc, Mutex};

use proptech_conformance::personal::{Values, event_schema, values};
use proptech_conformance::schema_set;
use proptech_events::Provider;
use proptech_events::receive::{Options, Receiver, Visit, dispatch};
use proptech_publish::samples::{Sample, samples};
use serde_json::Value;

use crate::receiver;

/// The valid samples of every event, each with its values sorted by its schema.
fn corpus() -> Vec<(Sample, Values)> {
    let set = schema_set();
    let valid = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("valid");
    samples(set, &valid)
        .expect("the sample corpus builds")
        .into_iter()
        .filter(|s| s.valid)
        .map(|s| {
            let schema = event_schema(set, &s.provider, &s.event_type);
            let v = values(&schema, &s.value);
            (s, v)
        })
        .collect()
}

fn provider(name: &str) -> Provider {
    name.parse().expect("a provider of this build")
}

/// `text` holds none of `personal`, each as written and as JSON escapes it.
fn assert_hides(text: &str, personal: &[&str], what: &str) {
    for p in personal {
        let escaped = serde_json::to_string(p).expect("a string");
        let escaped = &escaped[1..escaped.len() - 1];
        assert!(
            !text.contains(p) && !text.contains(escaped),
            "{what} shows the personal value {p:?}:\n{text}"
        );
    }
}

/// The same members at every level, values aside (a marked one is a placeholder string, or `null`).
fn same_shape(original: &Value, redacted: &Value, at: &str) {
    match (original, redacted) {
        (Value::Object(a), Value::Object(b)) => {
            let (ka, kb): (Vec<_>, Vec<_>) = (a.keys().collect(), b.keys().collect());
            assert_eq!(ka, kb, "members at {at:?}");
            for (k, v) in a {
                same_shape(v, &b[k], &format!("{at}/{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_shape(x, y, &format!("{at}/{i}"));
            }
        }
        (_, Value::String(s)) if s.starts_with("[redacted: ") => {}
        (_, Value::String(s)) if s == proptech_events::personal::UNDESCRIBED => {}
        (a, b) => assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "{at}: {a} became {b}"
        ),
    }
}

#[test]
fn debug_and_redacted_show_no_marked_value_and_every_plain_one() {
    let corpus = corpus();
    let (mut personal_checked, mut plain_checked) = (0usize, 0usize);
    let mut providers_with_personal = std::collections::BTreeSet::new();
    for (sample, v) in &corpus {
        let what = format!(
            "{} {} ({})",
            sample.provider, sample.event_type, sample.what
        );
        let body = serde_json::to_vec(&sample.value).expect("serialises");
        let event = proptech_events::parse(provider(&sample.provider), &body)
            .unwrap_or_else(|e| panic!("{what}: a valid sample parses: {e}"));
        let (personal, plain) = (v.telling_personal(), v.telling_plain());
        personal_checked += personal.len();
        plain_checked += plain.len();
        if !personal.is_empty() {
            providers_with_personal.insert(sample.provider.clone());
        }

        let debug = format!("{event:?}");
        assert_hides(&debug, &personal, &format!("{what}: Debug"));
        for u in &plain {
            assert!(
                debug.contains(&format!("{u:?}")),
                "{what}: Debug lost the plain value {u:?}:\n{debug}"
            );
        }

        let redacted = event.redacted();
        let text = redacted.to_string();
        assert_hides(&text, &personal, &format!("{what}: redacted()"));
        for u in &plain {
            let json = serde_json::to_string(u).expect("a string");
            assert!(
                text.contains(&json),
                "{what}: redacted() lost the plain value {u:?}:\n{text}"
            );
        }
        same_shape(&sample.value, &redacted, "");
    }
    eprintln!(
        "{} samples: {personal_checked} personal values hidden, {plain_checked} plain values shown",
        corpus.len()
    );
    assert!(corpus.len() >= 90, "only {} samples", corpus.len());
    assert!(
        personal_checked >= 40,
        "only {personal_checked} personal values in the corpus: are the marks there?"
    );
    let mut all: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
    all.sort_unstable();
    assert_eq!(
        providers_with_personal
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        all,
        "every provider's samples carry personal data the test looks for"
    );
}

/// The concrete JSON pointers in `value` of a member path (`None` steps into any item or value).
fn pointers(value: &Value, path: &[Option<&str>], at: String, out: &mut Vec<String>) {
    let Some((first, rest)) = path.split_first() else {
        out.push(at);
        return;
    };
    match (first, value) {
        (Some(name), Value::Object(m)) => {
            if let Some(v) = m.get(*name) {
                let token = name.replace('~', "~0").replace('/', "~1");
                pointers(v, rest, format!("{at}/{token}"), out);
            }
        }
        (None, Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, rest, format!("{at}/{i}"), out);
            }
        }
        (None, Value::Object(m)) => {
            for (k, v) in m {
                let token = k.replace('~', "~0").replace('/', "~1");
                pointers(v, rest, format!("{at}/{token}"), out);
            }
        }
        _ => {}
    }
}

/// Mutants of `sample` whose marked values no longer fit their type: each wrapped in an object,
/// and each string with text appended (which breaks a `format`, where there is one).
fn mutants(sample: &Sample) -> Vec<Value> {
    let info = provider(&sample.provider)
        .events()
        .iter()
        .find(|e| e.event_type == sample.event_type)
        .expect("a known event type");
    let mut out = Vec::new();
    for member in info.personal_data {
        let path: Vec<Option<&str>> = member
            .path
            .iter()
            .map(|s| match s {
                proptech_events::personal::Step::Member(m) => Some(*m),
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        pointers(&sample.value, &path, String::new(), &mut found);
        for pointer in found {
            let original = sample.value.pointer(&pointer).cloned().unwrap_or_default();
            let mut wrapped = sample.value.clone();
            if let Some(slot) = wrapped.pointer_mut(&pointer) {
                *slot = serde_json::json!({ "wrapped": original.clone() });
                out.push(wrapped);
            }
            if let Value::String(s) = &original {
                let mut appended = sample.value.clone();
                if let Some(slot) = appended.pointer_mut(&pointer) {
                    *slot = Value::String(format!("{s} <not valid>"));
                    out.push(appended);
                }
            }
            // The object holding it, sent in another shape: inside a list, or as its JSON text.
            let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
            if !parent.is_empty() {
                let holder = sample.value.pointer(parent).cloned().unwrap_or_default();
                for shape in [
                    Value::Array(vec![holder.clone()]),
                    Value::String(holder.to_string()),
                ] {
                    let mut reshaped = sample.value.clone();
                    if let Some(slot) = reshaped.pointer_mut(parent) {
                        *slot = shape;
                        out.push(reshaped);
                    }
                }
            }
        }
    }
    out
}

/// Receives `body` with schema validation on and off and returns the error texts, if rejected.
struct ReceiveBoth<'a> {
    body: &'a [u8],
}

impl Visit for ReceiveBoth<'_> {
    type Output = Vec<String>;

    fn visit<R: Receiver>(self) -> Vec<String> {
        let mut texts = Vec::new();
        for validate in [false, true] {
            let options = Options::default().with_validate(validate);
            let receiver = match R::unverified() {
                Some(r) => r,
                None => R::with_secrets([R::CONTRACT.test_secret.expect("a test secret")])
                    .expect("the test secret"),
            }
            .with_options(options);
            let (headers, body) =
                crate::support::signing::delivered_now(R::CONTRACT.provider, self.body, 1);
            if let Err(e) = receiver.receive(&headers, &body) {
                texts.push(format!("{e} / {e:?}"));
            }
        }
        texts
    }

    fn disabled(self, _: Provider) -> Vec<String> {
        Vec::new()
    }
}

#[test]
fn receiver_errors_quote_no_marked_value() {
    let mut rejected = 0usize;
    for (sample, _) in corpus() {
        for mutant in mutants(&sample) {
            let set = schema_set();
            let v = values(
                &event_schema(set, &sample.provider, &sample.event_type),
                &sample.value,
            );
            let body = serde_json::to_vec(&mutant).expect("serialises");
            for text in dispatch(provider(&sample.provider), ReceiveBoth { body: &body }) {
                rejected += 1;
                let what = format!("{} {}: rejection", sample.provider, sample.event_type);
                assert_hides(&text, &v.telling_personal(), &what);
            }
        }
    }
    eprintln!("{rejected} rejections of personal values checked");
    assert!(
        rejected >= 40,
        "only {rejected} rejections: are the mutants rejected?"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("unpoisoned").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_example_receiver_logs_events_without_their_personal_values() {
    let logs = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = receiver::app(receiver::Config {
        redis_url: None,
        ..receiver::Config::with_test_secrets()
    })
    .await
    .expect("the test secrets");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let mut personal: Vec<String> = Vec::new();
    let mut plain: Vec<String> = Vec::new();
    let (mut ok, mut refused, mut n) = (0usize, 0usize, 0u64);
    for (sample, v) in corpus() {
        let p = provider(&sample.provider);
        personal.extend(v.telling_personal().into_iter().map(str::to_owned));
        let mut bodies = vec![(true, sample.value.clone())];
        bodies.extend(mutants(&sample).into_iter().map(|m| (false, m)));
        for (valid, body) in bodies {
            n += 1;
            let (headers, body) = crate::support::signing::delivered_now(
                p,
                &serde_json::to_vec(&body).expect("JSON"),
                n,
            );
            // Its ids and timestamps are fresh: the plain values it carries are the stamped ones.
            let stamped: Value = serde_json::from_slice(&body).expect("JSON");
            let mut request = http.post(format!("{base}/webhooks/{p}")).body(body);
            for (k, val) in &headers {
                request = request.header(k, val);
            }
            let status = request.send().await.expect("an answer").status().as_u16();
            if valid {
                assert_eq!(status, 200, "{} {}", sample.provider, sample.event_type);
                ok += 1;
                let schema = event_schema(schema_set(), &sample.provider, &sample.event_type);
                let stamped = values(&schema, &stamped);
                plain.extend(stamped.telling_plain().into_iter().map(str::to_owned));
            } else if status != 200 {
                refused += 1;
            }
        }
    }
    server.abort();
    let text = String::from_utf8(logs.0.lock().expect("unpoisoned").clone()).expect("UTF-8");
    // One log holds every sample: a personal value that is also a plain value of another sample
    // (an applicant's city that is a listing's city elsewhere) cannot tell a leak apart.
    let personal: Vec<&str> = personal
        .iter()
        .map(String::as_str)
        .filter(|p| !plain.iter().any(|u| u.contains(p)))
        .collect();
    assert_hides(&text, &personal, "the receiver's tracing output");
    let shown = plain
        .iter()
        .filter(|u| text.contains(&format!("{u:?}")))
        .count();
    eprintln!(
        "{ok} deliveries processed, {refused} mutants refused; {shown} of {} plain values in the \
         log, none of {} personal ones",
        plain.len(),
        personal.len()
    );
    assert!(
        refused > 0,
        "no mutant was refused: the rejection path went unlogged"
    );
    assert_eq!(
        shown,
        plain.len(),
        "the example logs `?event`: every plain value of a processed delivery is in the log"
    );
}

#[test]
fn event_info_lists_the_marks_the_schemas_carry() {
    let set = schema_set();
    let mut total = 0;
    for p in Provider::ALL {
        for info in p.events() {
            let schema = event_schema(set, p.as_str(), info.event_type);
            let text = schema.to_string();
            let marks = text.matches("\"x-personal-data\"").count();
            // Every mark of the inlined schema is a listed member, unless it sits below another.
            assert!(
                info.personal_data.len() <= marks,
                "{p} {}: {} listed, {marks} marks",
                info.event_type,
                info.personal_data.len()
            );
            assert_eq!(
                info.personal_data.is_empty(),
                marks == 0,
                "{p} {}",
                info.event_type
            );
            total += info.personal_data.len();
        }
    }
    assert!(total > 0, "no event lists personal data");
}

/// What no schema describes is not shown either: a member a provider adds tomorrow (in `Debug`
/// by name only, in `redacted()` as a placeholder) and a delivery of an unknown event type (its
/// size, or its event type alone).
#[test]
fn members_and_event_types_no_schema_describes_are_not_shown() {
    let mut checked = 0;
    for (sample, _) in corpus() {
        let mut added = sample.value.clone();
        // Into the payload where there is an envelope (Valara's is closed), else the event.
        let holder = match added.get_mut("data") {
            Some(Value::Object(data)) => data,
            _ => members_of(&mut added),
        };
        holder.insert("guestPhoneAdded".to_owned(), Value::from("+34 600 111 222"));
        let p = provider(&sample.provider);
        let body = serde_json::to_vec(&added).expect("JSON");
        let event = proptech_events::parse(p, &body).expect("an unknown member parses");
        let debug = format!("{event:?}");
        assert!(debug.contains("guestPhoneAdded"), "{debug}");
        assert!(!debug.contains("+34 600 111"), "{debug}");
        let redacted = event.redacted().to_string();
        assert!(redacted.contains("guestPhoneAdded"), "{redacted}");
        assert!(!redacted.contains("+34 600 111"), "{redacted}");

        let type_member = p.contract().type_member;
        members_of(&mut added).insert(type_member.to_owned(), Value::from("brand.new.type"));
        let body = serde_json::to_vec(&added).expect("JSON");
        let event = proptech_events::parse(p, &body).expect("an unknown type parses");
        assert_eq!(event.event_type(), "brand.new.type");
        let debug = format!("{event:?}");
        let redacted = event.redacted().to_string();
        for text in [&debug, &redacted] {
            assert!(!text.contains("+34 600 111"), "{text}");
        }
        assert!(redacted.contains("brand.new.type"), "{redacted}");
        checked += 1;
    }
    assert!(checked >= 90, "only {checked} samples");
}

fn members_of(value: &mut Value) -> &mut serde_json::Map<String, Value> {
    value.as_object_mut().expect("an object")
}
