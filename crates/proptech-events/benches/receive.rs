//! The receive path of each provider over its documented samples, every row measured in the same
//! run so that the ratios hold on any machine: a parse into `serde_json::Value`, the bare typed
//! parse, the floor (HMAC + bare typed parse), the naive validated route, `receive` with and
//! without `validate`, the `standardwebhooks` crate's `verify` plus the same typed parse (for a
//! provider that speaks Standard Webhooks), and `process` over fresh deliveries, in memory and on
//! Redis; then `process` on Redis with 64 deliveries in flight over one multiplexed connection,
//! with its latency percentiles written beside criterion's estimates. `cargo xtask bench` runs it
//! and prints the table.

// criterion_group! defines an undocumented function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use proptech_events::__private::ProviderEvent;
use proptech_events::Provider;
use proptech_events::receive::{
    Claim, ClaimToken, Delivery, Durability, InMemoryStore, Options, Processed, Receiver,
    RedisStore, Visit, dispatch, process,
};

const NOW: i64 = 1_800_000_000;

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

/// The clock now, in Unix seconds: `process` reads the real clock, so its deliveries are dated
/// and signed now.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `id` with its last characters replaced by the decimal digits of `n`: a fresh id of the same
/// length that keeps the id's shape (a ULID, a UUID's last group, a nanoid all take digits).
fn fresh_id(id: &str, n: u64) -> String {
    let digits = format!("{n:08}");
    let keep = id.len().saturating_sub(digits.len());
    match id.get(..keep) {
        Some(head) => format!("{head}{digits}"),
        None => format!("{id}{digits}"),
    }
}

/// Deliveries ready to receive: each one's headers and body.
type Signed = Vec<(Vec<(String, String)>, Vec<u8>)>;

/// Fresh deliveries of `samples` for `process`: each with new ids (and nonce), dated and signed
/// at `at`, so none is a duplicate of another.
fn fresh<R: Receiver>(
    secret: &str,
    samples: &[(String, Vec<u8>)],
    counter: &mut u64,
    at: i64,
) -> Signed {
    let contract = R::CONTRACT;
    samples
        .iter()
        .map(|(_, body)| {
            *counter += 1;
            let n = *counter;
            let mut value: serde_json::Value = serde_json::from_slice(body).expect("JSON");
            let mut id = format!("msg_bench{n}");
            if let Some(member) = contract.id_member {
                id = fresh_id(value[member].as_str().unwrap_or("bench"), n);
                value[member] = id.clone().into();
            }
            if let Some(nonce) = &contract.nonce {
                let old = value[nonce.member].as_str().unwrap_or("nonce").to_owned();
                value[nonce.member] = fresh_id(&old, n).into();
            }
            if let Some(member) = contract.timestamp_member {
                value[member] = at.into();
            }
            if let Some(horizon) = &contract.horizon {
                let date = chrono::DateTime::from_timestamp(at, 0).expect("a date");
                value[horizon.member] = date.to_rfc3339().into();
            }
            let body = serde_json::to_vec_pretty(&value).expect("JSON");
            let headers = R::sign(&[secret], &id, at, &body)
                .expect("signs")
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v))
                .collect();
            (headers, body)
        })
        .collect()
}

/// Headers as the `standardwebhooks` crate reads them.
fn header_map(headers: &[(String, String)]) -> http::HeaderMap {
    headers
        .iter()
        .map(|(n, v)| {
            (
                http::HeaderName::from_bytes(n.as_bytes()).expect("a header name"),
                http::HeaderValue::from_str(v).expect("a header value"),
            )
        })
        .collect()
}

/// One provider's receive path, against a bare typed parse of the same bytes.
struct Bench<'c> {
    c: &'c mut Criterion,
    runtime: &'c tokio::runtime::Runtime,
    redis: Option<&'c str>,
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
        // What serde_json does with the same bytes when it builds no Rust type of ours.
        group.bench_function(BenchmarkId::from_parameter("value_parse"), |b| {
            b.iter(|| {
                for (_, body) in &samples {
                    std::hint::black_box(
                        serde_json::from_slice::<serde_json::Value>(body).expect("JSON"),
                    );
                }
            })
        });
        // The bare typed parse of the delivery, which finds the event type and parses the bytes
        // with serde_json into that event's Rust type.
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
        // The floor: the MAC and the bare typed parse, nothing else.
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
                let info = provider.event(t).expect("known");
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
                        assert!(v.is_valid(&value));
                        std::hint::black_box(
                            R::Event::parse_value_typed(t.clone(), value, body).expect("parses"),
                        );
                    }
                })
            },
        );
        let receivers = [false, true].map(|validate| {
            R::with_secrets([secret])
                .expect("secret")
                .with_options(Options::default().with_validate(validate))
        });
        let receive_all = |receiver: &R| {
            for ((_, body), h) in samples.iter().zip(&headers) {
                let delivery = receiver.receive_at(h, body, NOW).expect("verifies");
                std::hint::black_box(delivery.event());
            }
        };
        for (label, receiver) in ["receive", "receive_validate"].iter().zip(&receivers) {
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| receive_all(receiver))
            });
        }
        // The `Value` parse, the bare typed parse, the floor, `receive` and `receive` with
        // `validate` again, timed in turns.
        let value = || {
            for (_, body) in &samples {
                std::hint::black_box(
                    serde_json::from_slice::<serde_json::Value>(body).expect("JSON"),
                );
            }
        };
        let bare = || {
            for (_, body) in &samples {
                std::hint::black_box(proptech_events::parse(provider, body).expect("parses"));
            }
        };
        let floor = || {
            for (_, body) in &samples {
                std::hint::black_box(mac(body));
                std::hint::black_box(proptech_events::parse(provider, body).expect("parses"));
            }
        };
        let [plain, validating] = &receivers;
        in_turns(
            provider,
            "receive_interleaved",
            samples.len(),
            &[
                ("value_ns", &value),
                ("bare_ns", &bare),
                ("floor_ns", &floor),
                ("receive_ns", &|| receive_all(plain)),
                ("receive_validate_ns", &|| receive_all(validating)),
            ],
        );
        // The `standardwebhooks` crate's `verify` and the same typed parse, for a provider whose
        // deliveries it verifies: what a user would otherwise write. It reads the real clock, so
        // its deliveries are signed now.
        let at = now();
        if let Ok(webhook) = standardwebhooks::Webhook::new(secret) {
            let signed_now: Vec<_> = fresh::<R>(secret, &samples, &mut 0, at)
                .into_iter()
                .map(|(h, body)| (header_map(&h), body))
                .collect();
            if signed_now
                .iter()
                .all(|(h, body)| webhook.verify(body, h).is_ok())
            {
                group.bench_function(
                    BenchmarkId::from_parameter("standardwebhooks_plus_bare_parse"),
                    |b| {
                        b.iter(|| {
                            for (h, body) in &signed_now {
                                webhook.verify(body, h).expect("verifies");
                                std::hint::black_box(
                                    proptech_events::parse(provider, body).expect("parses"),
                                );
                            }
                        })
                    },
                );
            }
        }
        // `process` over fresh deliveries (new ids, dated and signed in the untimed setup),
        // against `receive` over the same deliveries; the handler returns at once. A batch is the
        // samples over again until it holds at least `FRESH_BATCH` deliveries, so that the
        // runtime's `block_on` around each batch weighs the same for every provider (Valara has
        // one sample).
        let copies = FRESH_BATCH.div_ceil(samples.len());
        let cycled: Vec<(String, Vec<u8>)> = samples
            .iter()
            .cycle()
            .take(samples.len() * copies)
            .cloned()
            .collect();
        group.throughput(Throughput::Elements(cycled.len() as u64));
        // The receivers read `CLOCK`, which each batch moves on so that a store holds about
        // `STEADY` deliveries' entries: entries expire as fast as they come, as in a store that
        // has run for a dedupe window, instead of the store growing for the whole run.
        let plain = R::with_secrets([secret]).expect("secret").with_clock(clock);
        CLOCK.store(now(), Ordering::Relaxed);
        let window = {
            let (h, body) = &fresh::<R>(secret, &samples[..1], &mut 0, now())[0];
            let delivery = plain.receive(h, body).expect("verifies");
            delivery.dedupe_keys().iter().map(|k| k.window()).max()
        }
        .expect("a key");
        let step = (window as f64 * cycled.len() as f64 / STEADY as f64).ceil() as i64;
        // Each delivery's ids are numbered from one counter, whichever batch it is made for.
        let counter = std::cell::Cell::new(0u64);
        let made = |samples: &[(String, Vec<u8>)], at: i64| {
            let mut n = counter.get();
            let deliveries = fresh::<R>(secret, samples, &mut n, at);
            counter.set(n);
            deliveries
        };
        let tick = |step: i64| CLOCK.fetch_add(step, Ordering::Relaxed) + step;
        let mut batch = || made(&cycled, tick(step));
        // One batch made, then timed: the clock stays on its date while it is processed.
        group.bench_function(BenchmarkId::from_parameter("receive_fresh"), |b| {
            b.iter_batched(
                &mut batch,
                |deliveries| {
                    for (h, body) in &deliveries {
                        std::hint::black_box(plain.receive(h, body).expect("verifies"));
                    }
                    deliveries
                },
                BatchSize::PerIteration,
            )
        });
        let runtime = self.runtime;
        // The default store: `STEADY` deliveries fit in it.
        let memory = R::with_secrets([secret])
            .expect("secret")
            .with_clock(clock)
            .with_store(Arc::new(InMemoryStore::default()));
        group.bench_function(BenchmarkId::from_parameter("process_in_memory"), |b| {
            b.iter_batched(
                &mut batch,
                |deliveries| {
                    process_all(runtime, &memory, &deliveries);
                    deliveries
                },
                BatchSize::PerIteration,
            )
        });
        // Longer batches there: the runtime's `block_on` and the switch between routines, paid
        // once a batch, weigh on `process` alone.
        let long: Vec<(String, Vec<u8>)> = cycled
            .iter()
            .cycle()
            .take(cycled.len() * INTERLEAVED_COPIES)
            .cloned()
            .collect();
        interleaved(runtime, &plain, &memory, provider, || {
            made(&long, tick(step * INTERLEAVED_COPIES as i64))
        });
        if let Some(url) = self.redis {
            let store: Arc<dyn proptech_events::receive::IdempotencyStore> = Arc::new(
                runtime
                    .block_on(RedisStore::connect_with(url, Durability::AcceptLoss))
                    .expect("connects"),
            );
            let redis = R::with_secrets([secret])
                .expect("secret")
                .with_clock(clock)
                .with_store(Arc::clone(&store));
            group.bench_function(BenchmarkId::from_parameter("process_redis"), |b| {
                b.iter_batched(
                    &mut batch,
                    |deliveries| {
                        process_all(runtime, &redis, &deliveries);
                        deliveries
                    },
                    BatchSize::PerIteration,
                )
            });
            // Deliveries made ahead of the run, dated now, for a receiver on the real clock.
            let real = Arc::new(R::with_secrets([secret]).expect("secret").with_store(store));
            in_flight(runtime, &real, provider, || made(&cycled, now()));
        }
        group.finish();
    }
}

/// The fewest deliveries in one batch of `process` and of the `receive` row beside it.
const FRESH_BATCH: usize = 32;

/// About how many deliveries' entries the in-memory store holds while `process` is measured:
/// two thirds of the default store's 174,762 entries.
const STEADY: usize = 120_000;

/// The clock of the receivers of `process` and of the `receive` row beside it, in Unix seconds.
static CLOCK: AtomicI64 = AtomicI64::new(0);

fn clock() -> i64 {
    CLOCK.load(Ordering::Relaxed)
}

/// Processes `deliveries` one after the other with a handler that returns at once, each a new
/// delivery.
fn process_all<R: Receiver>(runtime: &tokio::runtime::Runtime, receiver: &R, deliveries: &Signed) {
    runtime.block_on(async {
        for (h, body) in deliveries {
            let done = process(receiver, h, body, |_| async { Ok::<_, ()>(()) }).await;
            assert!(matches!(done, Ok(Processed::Handled(_))), "{done:?}");
        }
    });
}

/// Writes `report` to `target/criterion/<provider>/<name>/<file>`, beside criterion's estimates,
/// for `cargo xtask bench`, and prints it.
fn write_report(provider: Provider, name: &str, file: &str, report: &serde_json::Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/criterion")
        .join(provider.as_str())
        .join(name);
    std::fs::create_dir_all(&dir).expect("criterion's folder");
    std::fs::write(dir.join(file), report.to_string()).expect("written");
    println!("{provider}/{name}: {report}");
}

/// How many rounds [`in_turns`] times.
const TURNS: usize = 3_000;

/// Times each of `routines` (each over `per_run` deliveries) [`TURNS`] times, one after the
/// other in a rotating order, and writes the mean per delivery of each as JSON to
/// `target/criterion/<provider>/<name>/ratio.json` for `cargo xtask bench`: rows timed apart move
/// with the machine's state between them, rows timed in turns much less.
fn in_turns(provider: Provider, name: &str, per_run: usize, routines: &[(&str, &dyn Fn())]) {
    // Each turn runs a routine over at least `FRESH_BATCH` deliveries, so that reading the clock
    // weighs little whatever the provider's number of samples.
    let reps = FRESH_BATCH.div_ceil(per_run);
    let mut totals = vec![0f64; routines.len()];
    for turn in 0..TURNS {
        for i in 0..routines.len() {
            let i = (i + turn) % routines.len();
            let started = std::time::Instant::now();
            for _ in 0..reps {
                (routines[i].1)();
            }
            totals[i] += started.elapsed().as_secs_f64();
        }
    }
    let mut report = serde_json::Map::new();
    for ((label, _), total) in routines.iter().zip(totals) {
        let ns = total * 1e9 / (TURNS * reps * per_run) as f64;
        report.insert((*label).to_owned(), ns.into());
    }
    let report = serde_json::Value::Object(report);
    write_report(provider, name, "ratio.json", &report);
}

/// How many batches [`interleaved`] times.
const INTERLEAVED_BATCHES: usize = 150;

/// How many times a batch of [`interleaved`] holds the batch of the criterion rows: at least 256
/// deliveries.
const INTERLEAVED_COPIES: usize = 8;

/// `receive`, `process` in memory, and the work `process` cannot do without (`receive`, the
/// keys, their claim and completion in a store of the same size, called directly), timed batch
/// by batch over the same deliveries, taking turns at going first: the ratio of two criterion
/// rows measured a few seconds apart moves with the machine's state between them (by a fifth on
/// a shared 2-core machine), this one much less. Written as JSON to
/// `target/criterion/<provider>/process_interleaved/ratio.json` for `cargo xtask bench`.
fn interleaved<R: Receiver>(
    runtime: &tokio::runtime::Runtime,
    plain: &R,
    memory: &R,
    provider: Provider,
    mut batch: impl FnMut() -> Signed,
) {
    // The floor's own store, fed the same deliveries as `memory`'s, so it stays the same size.
    let store = InMemoryStore::default();
    let lease = memory.options().lease();
    let mut totals = [0f64; 3];
    let mut count = 0usize;
    for i in 0..INTERLEAVED_BATCHES {
        let deliveries = batch();
        count += deliveries.len();
        for turn in 0..3 {
            let routine = (i + turn) % 3;
            let started = std::time::Instant::now();
            match routine {
                0 => {
                    for (h, body) in &deliveries {
                        std::hint::black_box(plain.receive(h, body).expect("verifies"));
                    }
                }
                1 => process_all(runtime, memory, &deliveries),
                _ => {
                    for (h, body) in &deliveries {
                        let delivery = plain.receive(h, body).expect("verifies");
                        let keys = delivery.dedupe_keys();
                        let token = ClaimToken::random();
                        let claim = store.claim_now(&keys, token, lease, clock());
                        assert_eq!(claim, Claim::Claimed);
                        assert!(store.complete_now(&keys, token, clock()));
                        std::hint::black_box(delivery);
                    }
                }
            }
            totals[routine] += started.elapsed().as_secs_f64();
        }
    }
    let [receive, process, floor] = totals.map(|t| t * 1e9 / count as f64);
    let report = serde_json::json!({
        "deliveries": count,
        "receive_ns": receive,
        "process_ns": process,
        "process_floor_ns": floor,
    });
    write_report(provider, "process_interleaved", "ratio.json", &report);
}

/// How many deliveries `process` has in flight at once on Redis, and how many it processes in
/// all for the percentiles.
const IN_FLIGHT: usize = 64;
const IN_FLIGHT_TOTAL: usize = 20_000;

/// `process` on Redis with [`IN_FLIGHT`] deliveries in flight over the store's one multiplexed
/// connection: throughput and per-delivery latency percentiles, written as JSON to
/// `target/criterion/<provider>/process_redis_64/latency.json` for `cargo xtask bench`.
fn in_flight<R: Receiver>(
    runtime: &tokio::runtime::Runtime,
    receiver: &Arc<R>,
    provider: Provider,
    mut batch: impl FnMut() -> Signed,
) {
    let mut deliveries = Vec::with_capacity(IN_FLIGHT_TOTAL);
    while deliveries.len() < IN_FLIGHT_TOTAL {
        deliveries.extend(batch());
    }
    deliveries.truncate(IN_FLIGHT_TOTAL);
    let queue = Arc::new(std::sync::Mutex::new(deliveries));
    let started = std::time::Instant::now();
    let mut latencies: Vec<f64> = runtime.block_on(async {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (queue, receiver) = (Arc::clone(&queue), Arc::clone(receiver));
            workers.spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let next = queue.lock().expect("queue").pop();
                    let Some((h, body)) = next else { break };
                    let t = std::time::Instant::now();
                    let done = process(&*receiver, &h, &body, |_| async { Ok::<_, ()>(()) }).await;
                    mine.push(t.elapsed().as_secs_f64() * 1e6);
                    assert!(matches!(done, Ok(Processed::Handled(_))), "{done:?}");
                }
                mine
            });
        }
        let mut all = Vec::new();
        while let Some(mine) = workers.join_next().await {
            all.extend(mine.expect("a worker"));
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let report = serde_json::json!({
        "in_flight": IN_FLIGHT,
        "deliveries": latencies.len(),
        "per_second": latencies.len() as f64 / elapsed,
        "p50_us": at(0.50),
        "p99_us": at(0.99),
    });
    write_report(provider, "process_redis_64", "latency.json", &report);
}

fn receive_path(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = Redis::start();
    for provider in Provider::ALL {
        dispatch(
            provider,
            Bench {
                c: &mut *c,
                runtime: &runtime,
                redis: server.as_ref().map(|s| s.1.as_str()),
            },
        );
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

criterion_group!(benches, receive_path);
criterion_main!(benches);
