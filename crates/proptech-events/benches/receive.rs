//! The receive path of each provider over its documented samples: signature check, typed parse,
//! schema validation and the whole pipeline, against a bare serde_json typed parse of the same
//! bytes measured in the same run. `cargo xtask bench` runs it and prints the README's table.

// criterion_group! defines an undocumented function.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::Mac;
use proptech_events::receive::{
    InMemoryStore, LavandaReceiver, Options, RedisStore, RepullReceiver, ValaraReceiver,
    sign_lavanda, sign_repull, sign_valara,
};

const NOW: i64 = 1_800_000_000;
const VALARA: &str = "test_secret_001";
const REPULL: &str = "whsec_k7d9f2example";
const LAVANDA: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn fixtures(provider: &str) -> Vec<(String, Vec<u8>)> {
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
        let text = match provider {
            // The catalog samples carry a placeholder type (erratum repull-type-placeholder).
            "repull" => text.replace("<event.type>", event_type),
            "valara" => text.replace("1745339401", &NOW.to_string()),
            _ => text,
        };
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let field = if provider == "valara" {
            "event_type"
        } else {
            "type"
        };
        if value[field].as_str() == Some(event_type) {
            out.push((event_type.to_owned(), text.into_bytes()));
        }
    }
    out
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

macro_rules! provider_bench {
    ($c:expr, $name:literal, $module:ident, $receive:expr, $headers:expr, $hmac:expr) => {{
        let samples = fixtures($name);
        // Headers are prepared once: signing is the sender's cost, not the receiver's.
        let headers: Vec<Vec<(String, String)>> =
            samples.iter().map(|(_, b)| $headers(b)).collect();
        let mut group = $c.benchmark_group($name);
        group.throughput(Throughput::Elements(samples.len() as u64));
        // The baseline: a bare typed parse of the delivery, which finds the event type and parses
        // the bytes with serde_json into that event's Rust type.
        group.bench_function(BenchmarkId::from_parameter("bare_parse"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box(proptech_events::$module::parse(body).expect("parses"));
                }
            })
        });
        group.bench_function(BenchmarkId::from_parameter("hmac"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box($hmac(body));
                }
            })
        });
        group.bench_function(BenchmarkId::from_parameter("hmac_plus_bare_parse"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box($hmac(body));
                    std::hint::black_box(proptech_events::$module::parse(body).expect("parses"));
                }
            })
        });
        let validators: Vec<_> = samples
            .iter()
            .map(|(t, _)| {
                let info = proptech_events::$module::EVENTS
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
                        std::hint::black_box($hmac(body));
                        let value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
                        assert!(v.iter_errors(&value).next().is_none());
                        std::hint::black_box(
                            proptech_events::$module::parse_value_typed(t.clone(), value, body)
                                .expect("parses"),
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
            let receive = $receive(options);
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| {
                    for ((_, body), h) in samples.iter().zip(&headers) {
                        std::hint::black_box(receive(h, body).expect("verifies"));
                    }
                })
            });
        }
        group.finish();
    }};
}

fn valara_headers(body: &[u8]) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    vec![
        ("X-Webhook-Signature".into(), sign_valara(VALARA, NOW, body)),
        ("X-Webhook-Timestamp".into(), NOW.to_string()),
        (
            "X-Webhook-Event-Id".into(),
            v["event_id"].as_str().unwrap_or_default().to_owned(),
        ),
    ]
}

fn lavanda_headers(body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("webhook-id".into(), "msg_1".into()),
        ("webhook-timestamp".into(), NOW.to_string()),
        (
            "webhook-signature".into(),
            sign_lavanda(&[LAVANDA], "msg_1", NOW, body).expect("sign"),
        ),
    ]
}

fn repull_headers(body: &[u8]) -> Vec<(String, String)> {
    vec![("X-Repull-Signature".into(), sign_repull(REPULL, body))]
}

fn receive_path(c: &mut Criterion) {
    let lavanda_key: Vec<u8> = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&LAVANDA[6..])
            .expect("key")
    };
    provider_bench!(
        c,
        "valara",
        valara,
        |o: Options| {
            let r = ValaraReceiver::new([VALARA])
                .expect("secret")
                .with_options(o);
            move |h: &Vec<(String, String)>, body: &Vec<u8>| {
                r.receive_at(h, body, NOW).map(|v| v.into_event())
            }
        },
        valara_headers,
        |body: &[u8]| hmac(VALARA.as_bytes(), &[NOW.to_string().as_bytes(), b".", body])
    );
    provider_bench!(
        c,
        "repull",
        repull,
        |o: Options| {
            let r = RepullReceiver::new([REPULL])
                .expect("secret")
                .with_options(o);
            move |h: &Vec<(String, String)>, body: &Vec<u8>| {
                r.receive_at(h, body, NOW).map(|v| v.into_event())
            }
        },
        repull_headers,
        |body: &[u8]| hmac(REPULL.as_bytes(), &[body])
    );
    provider_bench!(
        c,
        "lavanda",
        lavanda,
        |o: Options| {
            let r = LavandaReceiver::new([LAVANDA])
                .expect("secret")
                .with_options(o);
            move |h: &Vec<(String, String)>, body: &Vec<u8>| {
                r.receive_at(h, body, NOW).map(|v| v.into_event())
            }
        },
        lavanda_headers,
        |body: &[u8]| hmac(
            &lavanda_key,
            &[b"msg_1.", NOW.to_string().as_bytes(), b".", body]
        )
    );
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
    let mut group = c.benchmark_group("repull_process");
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
            .block_on(RedisStore::connect(&server.1))
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
