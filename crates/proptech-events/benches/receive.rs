//! The receive path of each provider over its documented samples: signature check, typed parse,
//! schema validation and the whole pipeline, against a bare serde_json typed parse of the same
//! bytes measured in the same run. `cargo xtask bench` runs it and prints the README's table.

// criterion_group! defines an undocumented function.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proptech_events::__private::ProviderEvent;
use proptech_events::Provider;
use proptech_events::receive::{
    Delivery, InMemoryStore, Options, Receiver, RedisStore, RepullReceiver, Visit, dispatch,
};

/// The `X-Repull-Signature` value Repull sends for `body`.
fn sign_repull(secret: &str, body: &[u8]) -> String {
    RepullReceiver::signature(&[secret], "", 0, body).expect("any secret signs")
}

const NOW: i64 = 1_800_000_000;
const REPULL: &str = "whsec_k7d9f2example";

/// The samples of `provider` whose file is named after their event type, dated `NOW` where the
/// contract reads a date (so every one is inside its windows), with a placeholder event type
/// (erratum repull-type-placeholder) filled in.
fn fixtures(provider: Provider) -> Vec<(String, Vec<u8>)> {
    let contract = provider.contract();
    let dir = format!(
        "{}/../../schemas/{provider}/fixtures",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(event_type) = name.strip_suffix(".json") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("fixture");
        let text = text.replace("<event.type>", event_type);
        let mut value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        if value[contract.type_member].as_str() != Some(event_type) {
            continue;
        }
        if let Some(member) = contract.timestamp_member {
            value[member] = NOW.into();
        }
        if let Some(horizon) = &contract.horizon {
            let date = chrono::DateTime::from_timestamp(NOW, 0).expect("a date");
            value[horizon.member] = date.to_rfc3339().into();
        }
        out.push((
            event_type.to_owned(),
            serde_json::to_vec_pretty(&value).expect("JSON"),
        ));
    }
    out
}

/// The headers a sender of `body` attaches, signed with the contract's test secret.
fn headers<R: Receiver>(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    let contract = R::CONTRACT;
    let value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    let id = contract
        .id_member
        .and_then(|m| value[m].as_str())
        .unwrap_or("msg_1");
    R::sign(&[secret], id, NOW, body)
        .expect("signs")
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect()
}

/// One provider's receive path, against a bare typed parse of the same bytes.
struct Bench<'c> {
    c: &'c mut Criterion,
}

impl Visit for Bench<'_> {
    type Output = ();

    fn disabled(self, _: Provider) {}

    fn visit<R: Receiver>(self) {
        let contract = R::CONTRACT;
        let provider = contract.provider;
        let Some(secret) = contract.test_secret else {
            return; // a provider that signs nothing has no signature to check
        };
        let samples = fixtures(provider);
        // Headers are prepared once: signing is the sender's cost, not the receiver's.
        let headers: Vec<Vec<(String, String)>> = samples
            .iter()
            .map(|(_, b)| headers::<R>(secret, b))
            .collect();
        let mut group = self.c.benchmark_group(provider.as_str());
        group.throughput(Throughput::Elements(samples.len() as u64));
        // The baseline: a bare typed parse of the delivery, which finds the event type and parses
        // the bytes with serde_json into that event's Rust type.
        group.bench_function(BenchmarkId::from_parameter("bare_parse"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box(proptech_events::parse(provider, body).expect("parses"));
                }
            })
        });
        // The signature alone: the sender's MAC of the body (what a receiver recomputes).
        let mac = |body: &[u8]| R::signature(&[secret], "msg_1", NOW, body).expect("signs");
        group.bench_function(BenchmarkId::from_parameter("hmac"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box(mac(body));
                }
            })
        });
        group.bench_function(BenchmarkId::from_parameter("hmac_plus_bare_parse"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box(mac(body));
                    std::hint::black_box(proptech_events::parse(provider, body).expect("parses"));
                }
            })
        });
        let validators: Vec<_> = samples
            .iter()
            .map(|(t, _)| {
                let info = provider
                    .events()
                    .iter()
                    .find(|e| e.event_type == t)
                    .expect("known");
                let schema: serde_json::Value =
                    serde_json::from_str(info.json_schema).expect("schema");
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .expect("compiles")
            })
            .collect();
        group.bench_function(
            BenchmarkId::from_parameter("hmac_plus_naive_validate"),
            |b| {
                // The naive route: parse into a JSON value, validate it, then build the typed event
                // from the value.
                b.iter(|| {
                    for ((t, body), v) in samples.iter().zip(&validators) {
                        std::hint::black_box(mac(body));
                        let value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
                        assert!(v.iter_errors(&value).next().is_none());
                        std::hint::black_box(
                            R::Event::parse_value_typed(t.clone(), value, body).expect("parses"),
                        );
                    }
                })
            },
        );
        for (label, validate) in [
            ("verify_and_parse", false),
            ("verify_parse_and_validate", true),
        ] {
            let options = Options::default().with_validate(validate);
            let receiver = R::with_secrets([secret])
                .expect("secret")
                .with_options(options);
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| {
                    for ((_, body), h) in samples.iter().zip(&headers) {
                        let delivery = receiver.receive_at(h, body, NOW).expect("verifies");
                        std::hint::black_box(delivery.event());
                    }
                })
            });
        }
        group.finish();
    }
}

fn receive_path(c: &mut Criterion) {
    for provider in Provider::ALL {
        dispatch(provider, Bench { c: &mut *c });
    }
}

/// A `redis-server` on a free loopback port, persistence off, killed when dropped; `None` (with
/// a notice) when it is not installed.
struct Redis(std::process::Child, String);

impl Redis {
    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .ok()?
            .port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("redis-server is not installed: the Redis row is not measured");
            return None;
        };
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..200 {
            let ping = redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if ping.is_ok() {
                return Some(Redis(child, url));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The cost of processing one new Repull delivery (the `repull.ping` sample with a fresh
/// `deliveryId`, signed in the untimed setup): verify and parse alone, then `process` with the
/// in-memory store (claim + complete), then with Redis on loopback (two round trips).
fn process_route(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut counter = 0u64;
    let mut fresh = move || {
        counter += 1;
        let body = format!(
            r#"{{"type":"repull.ping","deliveryId":"bench-{counter}","createdAt":"2026-05-01T12:34:56Z","data":{{"message":"Ping from Repull."}}}}"#
        )
        .into_bytes();
        let headers = vec![("X-Repull-Signature".to_owned(), sign_repull(REPULL, &body))];
        (headers, body)
    };
    let mut group = c.benchmark_group("process");
    group.throughput(Throughput::Elements(1));
    let plain = RepullReceiver::new([REPULL]).expect("secret");
    group.bench_function(BenchmarkId::from_parameter("verify_and_parse"), |b| {
        b.iter_batched(
            &mut fresh,
            |(h, body)| plain.receive(&h, &body).expect("verifies"),
            BatchSize::SmallInput,
        )
    });
    let memory = RepullReceiver::new([REPULL])
        .expect("secret")
        .with_store(Arc::new(InMemoryStore::default()));
    group.bench_function(BenchmarkId::from_parameter("process_in_memory"), |b| {
        b.iter_batched(
            &mut fresh,
            |(h, body)| {
                runtime
                    .block_on(memory.process(&h, &body, |d| async move { Ok::<_, ()>(d) }))
                    .expect("processed")
            },
            BatchSize::SmallInput,
        )
    });
    if let Some(server) = Redis::start() {
        let store = runtime
            .block_on(RedisStore::connect_with(
                &server.1,
                proptech_events::receive::Durability::AcceptLoss,
            ))
            .expect("connects");
        let redis = RepullReceiver::new([REPULL])
            .expect("secret")
            .with_store(Arc::new(store));
        group.bench_function(BenchmarkId::from_parameter("process_redis"), |b| {
            b.iter_batched(
                &mut fresh,
                |(h, body)| {
                    runtime
                        .block_on(redis.process(&h, &body, |d| async move { Ok::<_, ()>(d) }))
                        .expect("processed")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, receive_path, process_route);
criterion_main!(benches);
