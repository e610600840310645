//! The example receiver run as a user runs it (its `run`, in a child process, configured by the
//! environment, logging to stderr), under its bounds, from outside over real HTTP:
//!
//! - a store sized for about 100 entries under 2,000 distinct signed deliveries, each sent
//!   twice: full, it answers 503 with `Retry-After`; it processes at most what fits, none twice,
//!   and answers no 500;
//! - the same store with a 2-second dedupe window and a provider-like client that retries: every
//!   delivery is processed exactly once in the end;
//! - the same on Redis with `maxmemory`, under a flood of 1 MiB unsigned EverReal posts;
//! - a Redis whose `maxmemory-policy` could evict the store's keys is refused at start-up;
//! - slow clients (half the headers, half the body) are cut off within the configured deadlines,
//!   and a capped server still serves once they are;
//! - a delivery with control characters cannot add a line to the log;
//! - `/metrics` counts what a client sent: received, rejected by code, duplicates, processed,
//!   handler runs.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::signing::{sign_lavanda, sign_repull, sign_valara};
use serde_json::Value;

use crate::support::clock::created_at_now;
use crate::support::redis_server::RedisServer;

const VALARA_SECRET: &str = "test_secret_001";
const REPULL_SECRET: &str = "whsec_k7d9f2example";
const LAVANDA_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The example's `run`, in this test binary started again as a child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by the tests of this module"]
async fn child_example() {
    if std::env::var("PROPTECH_CHILD_EXAMPLE").is_err() {
        return;
    }
    crate::receiver::run(std::future::pending())
        .await
        .expect("serves");
}

/// The example receiver in a child process, and every line it wrote to stderr.
struct Example {
    child: Child,
    base: String,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Example {
    /// Starts the example with the documented test secrets and `env`; `None` when it exited
    /// instead of listening, with what it printed.
    fn try_start(env: &[(&str, String)]) -> Result<Self, String> {
        let exe = std::env::current_exe().expect("test binary");
        let mut command = Command::new(exe);
        command
            .args([
                "--exact",
                "receiver_limits::child_example",
                "--ignored",
                "--nocapture",
            ])
            .env("PROPTECH_CHILD_EXAMPLE", "1")
            .env("PROPTECH_TEST_SECRETS", "1")
            .env("PROPTECH_ADDR", "127.0.0.1:0");
        for name in [
            "REDIS_URL",
            "PROPTECH_REDIS_ACCEPT_LOSS",
            "VALARA_SECRET",
            "REPULL_SECRET",
            "LAVANDA_SECRET",
            "PROPTECH_MAX_BODY",
            "PROPTECH_STORE_BYTES",
            "PROPTECH_DEDUPE_WINDOW",
        ] {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut early = Vec::new();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("receiving webhooks on http://") {
                        break rest.split(' ').next().expect("an address").to_owned();
                    }
                    early.push(line);
                }
                _ => {
                    let status = child.wait().expect("exits");
                    return Err(format!("exited ({status}):\n{}", early.join("\n")));
                }
            }
        };
        let log = Arc::new(Mutex::new(early));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().expect("log").push(line);
            }
        });
        Ok(Example {
            child,
            base: format!("http://{addr}"),
            addr,
            log,
        })
    }

    fn start(env: &[(&str, String)]) -> Self {
        Self::try_start(env).unwrap_or_else(|why| panic!("the example did not start: {why}"))
    }

    /// Every line the example wrote so far.
    fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// The log once `count` of its lines contain `text` (or after 10 s, as it is then): the
    /// example writes a line before it answers, but this side reads its stderr on a thread of
    /// its own, which may not have read it yet.
    fn log_once(&self, text: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.iter().filter(|l| l.contains(text)).count() >= count || Instant::now() > deadline
            {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    async fn processed(&self, http: &reqwest::Client) -> u64 {
        let text = http
            .get(format!("{}/stats", self.base))
            .send()
            .await
            .expect("stats")
            .text()
            .await
            .expect("a body");
        let v: Value = serde_json::from_str(&text).expect("json");
        v["processed"].as_u64().expect("a count")
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A signed delivery, as a provider sends it.
#[derive(Clone)]
struct Delivery {
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    id: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// 26 Crockford base32 characters, distinct per `n`.
fn ulid(n: usize) -> String {
    format!("01J{n:0>23}")
}

fn repull(id: &str) -> Delivery {
    let body = format!(
        r#"{{"type":"repull.ping","deliveryId":"{id}","createdAt":"{}","data":{{"message":"Ping from Repull."}}}}"#,
        created_at_now()
    )
    .into_bytes();
    Delivery {
        path: "/webhooks/repull",
        headers: vec![("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))],
        body,
        id: id.to_owned(),
    }
}

fn valara(n: usize) -> Delivery {
    let ts = now();
    let id = format!("evt_{}", ulid(n));
    let body = format!(
        r#"{{"event_id":"{id}","event_type":"listing.updated","api_version":"2026-04-17","timestamp":{ts},"nonce":"{}","data":{{"agency_id":"user_01HXAGENCY0000000000000","listing_number":"abc1234","changed_by":"apikey:key_01HXAPIKEY000000000000","changes":{{}}}}}}"#,
        ulid(n + 500_000)
    )
    .into_bytes();
    Delivery {
        path: "/webhooks/valara",
        headers: vec![
            ("X-Webhook-Signature", sign_valara(VALARA_SECRET, ts, &body)),
            ("X-Webhook-Timestamp", ts.to_string()),
            ("X-Webhook-Event-Id", id.clone()),
        ],
        body,
        id,
    }
}

fn lavanda(n: usize) -> Delivery {
    let body = std::fs::read(format!(
        "{}/../schemas/lavanda/fixtures/v1.crm.lead.created.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    signed_lavanda(format!("msg_limits{n}"), body)
}

/// A Lavanda delivery signed now: Svix signs each attempt with its own timestamp.
fn signed_lavanda(id: String, body: Vec<u8>) -> Delivery {
    let ts = now();
    let signature = sign_lavanda(&[LAVANDA_SECRET], &id, ts, &body).expect("signs");
    Delivery {
        path: "/webhooks/lavanda",
        headers: vec![
            ("webhook-id", id.clone()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signature),
        ],
        body,
        id,
    }
}

/// An unsigned EverReal delivery of about `size` bytes (an unknown member pads it).
fn everreal(n: usize, size: usize) -> Delivery {
    let uuid = format!("7f0c9a4e-0000-4000-8000-{n:012}");
    let body = format!(
        r#"{{"uuid":"{uuid}","operation":"UNIT_CREATED","subdomain":"acme","language":"de","createdAt":"{}","data":{{"id":"u1"}},"padding":"{}"}}"#,
        created_at_now(),
        "x".repeat(size)
    )
    .into_bytes();
    Delivery {
        path: "/webhooks/everreal",
        headers: Vec::new(),
        body,
        id: uuid,
    }
}

/// `CONFIG SET name value` on a running Redis.
fn config_set(admin: &mut redis::Connection, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(admin)
        .unwrap_or_else(|e| panic!("CONFIG SET {name} {value}: {e}"));
}

/// What one send got back.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Value,
    retry_after: Option<String>,
}

async fn send(http: &reqwest::Client, base: &str, d: &Delivery) -> Answer {
    let mut request = http.post(format!("{base}{}", d.path)).body(d.body.clone());
    for (name, value) in &d.headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the receiver answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        retry_after,
    }
}

/// Sends every delivery once, `concurrency` at a time; the answers in order.
async fn send_all(
    http: &reqwest::Client,
    base: &str,
    batch: &[Delivery],
    concurrency: usize,
) -> Vec<Answer> {
    let next = Arc::new(Mutex::new(0usize));
    let answers = Arc::new(Mutex::new(vec![None; batch.len()]));
    let batch = Arc::new(batch.to_vec());
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, base) = (http.clone(), base.to_owned());
            let (next, answers, batch) =
                (Arc::clone(&next), Arc::clone(&answers), Arc::clone(&batch));
            tokio::spawn(async move {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(d) = batch.get(i) else { break };
                    let answer = send(&http, &base, d).await;
                    answers.lock().expect("lock")[i] = Some(answer);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let answers = answers.lock().expect("lock").clone();
    answers.into_iter().map(|a| a.expect("answered")).collect()
}

/// What a run's answers add up to: how often each id was processed, and every status.
#[derive(Debug, Default)]
struct Tally {
    processed: HashMap<String, usize>,
    statuses: HashMap<u16, usize>,
}

impl Tally {
    fn add(&mut self, d: &Delivery, a: &Answer) {
        *self.statuses.entry(a.status).or_default() += 1;
        if a.body.get("processed").is_some() {
            *self.processed.entry(d.id.clone()).or_default() += 1;
        }
        match a.status {
            200 => {}
            409 | 503 => assert!(
                a.retry_after.is_some(),
                "{}: {} without Retry-After: {}",
                d.id,
                a.status,
                a.body
            ),
            other => panic!("{}: answered {other}: {}", d.id, a.body),
        }
    }

    fn twice(&self) -> Vec<&String> {
        self.processed
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, _)| id)
            .collect()
    }

    fn processed_total(&self) -> u64 {
        self.processed.values().map(|n| *n as u64).sum()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_refuses_and_processes_nothing_twice() {
    let example = Example::start(&[("PROPTECH_STORE_BYTES", "40000".into())]);
    let http = reqwest::Client::new();
    // A Valara delivery takes two entries (nonce and event id), the others one.
    let batch: Vec<Delivery> = (0..2_000)
        .map(|i| {
            if i % 4 == 0 {
                valara(i)
            } else {
                repull(&format!("full-{i}"))
            }
        })
        .collect();
    let mut tally = Tally::default();
    let first = send_all(&http, &example.base, &batch, 16).await;
    let second = send_all(&http, &example.base, &batch, 16).await;
    for (d, (a, b)) in batch.iter().zip(first.iter().zip(&second)) {
        tally.add(d, a);
        tally.add(d, b);
        if a.body.get("processed").is_some() {
            assert_eq!(
                (b.status, b.body.get("duplicate").is_some()),
                (200, true),
                "{}: processed, then {}",
                d.id,
                b.body
            );
        }
    }
    let capacity = 40_000 / proptech_events::receive::ENTRY_BYTES;
    let handled = example.processed(&http).await;
    println!(
        "statuses {:?}; {} processed (capacity {capacity} entries)",
        tally.statuses,
        tally.processed_total()
    );
    assert!(
        tally.twice().is_empty(),
        "processed twice: {:?}",
        tally.twice()
    );
    assert_eq!(
        handled,
        tally.processed_total(),
        "the handler ran exactly for the deliveries answered as processed"
    );
    assert!(handled > 0 && handled <= capacity as u64, "{handled}");
    assert!(
        tally.statuses.get(&503).copied().unwrap_or(0) > 1_000,
        "a full store refuses: {:?}",
        tally.statuses
    );
    let full = first
        .iter()
        .chain(&second)
        .find(|a| a.status == 503)
        .expect("a 503");
    assert_eq!(full.body["error"], "store_full", "{}", full.body);
    assert_eq!(full.retry_after.as_deref(), Some("60"));
    let warnings = example
        .log_once("the idempotency store is full", 1)
        .iter()
        .filter(|l| l.contains("the idempotency store is full"))
        .count();
    assert_eq!(warnings, 1, "logged once per minute, not per delivery");
}

/// Each delivery sent by two racing attempts, each retried every 50 ms until it is answered 2xx
/// (a provider that retries), `concurrency` deliveries at a time.
async fn deliver_with_retries(
    http: &reqwest::Client,
    base: &str,
    batch: &[Delivery],
    concurrency: usize,
    deadline: Instant,
) -> Tally {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(Mutex::new(0usize));
    let batch = Arc::new(batch.to_vec());
    let workers: Vec<_> = (0..concurrency * 2)
        .map(|w| {
            let (http, base) = (http.clone(), base.to_owned());
            let (tally, next, batch) = (Arc::clone(&tally), Arc::clone(&next), Arc::clone(&batch));
            tokio::spawn(async move {
                // Workers go in pairs: both of a pair send the same delivery.
                let _ = w;
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        let i = *n / 2;
                        *n += 1;
                        i
                    };
                    let Some(d) = batch.get(i) else { break };
                    loop {
                        let d = &if d.path == "/webhooks/lavanda" {
                            signed_lavanda(d.id.clone(), d.body.clone())
                        } else {
                            d.clone()
                        };
                        let a = send(&http, &base, d).await;
                        tally.lock().expect("lock").add(d, &a);
                        if a.status == 200 {
                            break;
                        }
                        assert!(Instant::now() < deadline, "{}: still {}", d.id, a.body);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    Arc::into_inner(tally)
        .expect("one owner")
        .into_inner()
        .expect("lock")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrying_provider_gets_every_delivery_processed_once_as_entries_expire() {
    // Keys live for the dedupe window, and never less than the provider's own horizon: twice the
    // tolerance for Lavanda (4 s here), 7 days for Repull (so Repull is not in this run), the
    // window itself for EverReal.
    let example = Example::start(&[
        ("PROPTECH_STORE_BYTES", "40000".into()),
        ("PROPTECH_DEDUPE_WINDOW", "2".into()),
        ("PROPTECH_TOLERANCE", "2".into()),
    ]);
    let http = reqwest::Client::new();
    let batch: Vec<Delivery> = (0..400)
        .map(|i| {
            if i % 3 == 0 {
                everreal(i, 16)
            } else {
                lavanda(i)
            }
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(240);
    let tally = deliver_with_retries(&http, &example.base, &batch, 16, deadline).await;
    println!("statuses {:?}", tally.statuses);
    assert!(
        tally.twice().is_empty(),
        "processed twice: {:?}",
        tally.twice()
    );
    let missing: Vec<_> = batch
        .iter()
        .filter(|d| !tally.processed.contains_key(&d.id))
        .map(|d| &d.id)
        .collect();
    assert!(missing.is_empty(), "never processed: {missing:?}");
    assert!(
        tally.statuses.get(&503).copied().unwrap_or(0) > 0,
        "the store was full at times: {:?}",
        tally.statuses
    );
    assert_eq!(example.processed(&http).await, batch.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_full_store_and_an_unsigned_flood_process_nothing_twice() {
    let Some(server) = RedisServer::start("limits_full", false) else {
        return;
    };
    let mut admin = server.connection();
    config_set(&mut admin, "maxmemory", "24mb");
    // A server without persistence (the test is about memory): the loss in a crash is accepted.
    let example = Example::start(&[
        ("REDIS_URL", server.url()),
        ("PROPTECH_REDIS_ACCEPT_LOSS", "1".into()),
        ("PROPTECH_UNVERIFIED_MAX_BODY", (2 << 20).to_string()),
        ("PROPTECH_UNVERIFIED_STREAM_MAX", "4".into()),
    ]);
    let http = reqwest::Client::new();

    // 40 unsigned posts of 1 MiB while 2,000 signed deliveries are sent twice.
    let flood: Vec<Delivery> = (0..40).map(|i| everreal(i, 1 << 20)).collect();
    let batch: Vec<Delivery> = (0..2_000)
        .map(|i| repull(&format!("redis-full-{i}")))
        .collect();
    let (flooded, first) = tokio::join!(
        send_all(&http, &example.base, &flood, 4),
        send_all(&http, &example.base, &batch, 12)
    );
    let flood_statuses: Vec<u16> = flooded.iter().map(|a| a.status).collect();
    let appended = flood_statuses.iter().filter(|s| **s == 200).count();
    assert!(
        appended <= 4,
        "the unverified stream holds at most 4: {flood_statuses:?}"
    );
    for a in &flooded {
        assert!(matches!(a.status, 200 | 503), "{}: {}", a.status, a.body);
    }
    let mut tally = Tally::default();
    for (d, a) in batch.iter().zip(&first) {
        tally.add(d, a);
    }
    // The flood neither evicted nor crowded out signed deliveries: each was processed.
    assert_eq!(
        tally.processed.len(),
        batch.len(),
        "statuses {:?}",
        tally.statuses
    );

    // Redis full: a new delivery is refused with 503; a processed one is still a duplicate.
    config_set(&mut admin, "maxmemory", "1");
    let late: Vec<Delivery> = (0..50)
        .map(|i| repull(&format!("redis-late-{i}")))
        .collect();
    let refused = send_all(&http, &example.base, &late, 8).await;
    for (d, a) in late.iter().zip(&refused) {
        assert_eq!(
            (a.status, a.body["error"].as_str()),
            (503, Some("store_full")),
            "{}: {}",
            d.id,
            a.body
        );
        tally.add(d, a);
    }
    let again = send_all(&http, &example.base, &batch, 12).await;
    for (d, a) in batch.iter().zip(&again) {
        assert_eq!(
            (a.status, a.body.get("duplicate").is_some()),
            (200, true),
            "{}: {}",
            d.id,
            a.body
        );
        tally.add(d, a);
    }
    // Room again: the refused deliveries are processed on retry, once.
    config_set(&mut admin, "maxmemory", "24mb");
    for (d, a) in late
        .iter()
        .zip(send_all(&http, &example.base, &late, 8).await)
    {
        assert_eq!(a.status, 200, "{}: {}", d.id, a.body);
        tally.add(d, &a);
    }
    assert!(
        tally.twice().is_empty(),
        "processed twice: {:?}",
        tally.twice()
    );
    assert_eq!(
        example.processed(&http).await,
        (batch.len() + late.len() + appended) as u64
    );
    // The stream holds each signed delivery once.
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg("proptech:events")
        .arg("-")
        .arg("+")
        .query(&mut admin)
        .expect("xrange");
    let ids: Vec<String> = entries
        .ids
        .iter()
        .map(|e| e.get::<String>("id").expect("an id"))
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (batch.len() + late.len(), batch.len() + late.len())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_unsigned_posts_stop_at_half_of_maxmemory_and_signed_ones_go_on() {
    let Some(server) = RedisServer::start("limits_share", false) else {
        return;
    };
    let mut admin = server.connection();
    config_set(&mut admin, "maxmemory", "16mb");
    // Every default bound: 1,000 stream entries of at most 64 KiB would be 64 MiB.
    let example = Example::start(&[
        ("REDIS_URL", server.url()),
        ("PROPTECH_REDIS_ACCEPT_LOSS", "1".into()),
    ]);
    let http = reqwest::Client::new();
    let flood: Vec<Delivery> = (0..300).map(|i| everreal(i, 60_000)).collect();
    let answers = send_all(&http, &example.base, &flood, 16).await;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for a in &answers {
        *statuses.entry(a.status).or_default() += 1;
        assert!(matches!(a.status, 200 | 503), "{}: {}", a.status, a.body);
    }
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query(&mut admin)
        .expect("info");
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory");
    println!("flood statuses {statuses:?}; Redis uses {used} of 16 MiB");
    assert!(statuses.get(&503).copied().unwrap_or(0) > 0, "{statuses:?}");
    // Half of maxmemory, plus at most one body per request in flight when it was reached.
    assert!(used < (8 << 20) + 16 * 70_000, "{used}");
    let signed: Vec<Delivery> = (0..30)
        .map(|i| match i % 3 {
            0 => valara(900_000 + i),
            1 => lavanda(900_000 + i),
            _ => repull(&format!("after-flood-{i}")),
        })
        .collect();
    for (d, a) in signed
        .iter()
        .zip(send_all(&http, &example.base, &signed, 4).await)
    {
        assert_eq!(
            (a.status, a.body.get("processed").is_some()),
            (200, true),
            "{}: {}",
            d.id,
            a.body
        );
    }
}

#[test]
fn a_redis_that_may_evict_the_stores_keys_is_refused_at_start_up() {
    let Some(server) = RedisServer::start("limits_policy", false) else {
        return;
    };
    let mut admin = server.connection();
    config_set(&mut admin, "maxmemory-policy", "volatile-ttl");
    let refused = Example::try_start(&[("REDIS_URL", server.url())])
        .err()
        .expect("refused");
    assert!(
        refused.contains("maxmemory-policy") && refused.contains("noeviction"),
        "{refused}"
    );
}

/// Reads until the server closes the connection or `limit` passes; what was read and when the
/// connection closed.
fn read_until_closed(
    stream: &mut std::net::TcpStream,
    limit: Duration,
) -> (String, Option<Duration>) {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => {
                return (
                    String::from_utf8_lossy(&read).into_owned(),
                    Some(started.elapsed()),
                );
            }
            Ok(n) => read.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                return (
                    String::from_utf8_lossy(&read).into_owned(),
                    Some(started.elapsed()),
                );
            }
        }
    }
    (String::from_utf8_lossy(&read).into_owned(), None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_within_the_deadlines() {
    let example = Example::start(&[
        ("PROPTECH_HEADER_TIMEOUT", "1".into()),
        ("PROPTECH_BODY_TIMEOUT", "2".into()),
        ("PROPTECH_MAX_CONNECTIONS", "3".into()),
    ]);
    let addr = example.addr.clone();
    let (headers, body, capped) = tokio::task::spawn_blocking(move || {
        // Half the headers, then nothing.
        let mut half = std::net::TcpStream::connect(&addr).expect("connects");
        half.write_all(b"POST /webhooks/repull HTTP/1.1\r\nHost: x\r\n")
            .expect("writes");
        let headers = read_until_closed(&mut half, Duration::from_secs(20));

        // Whole headers, half of a declared 1 MB body, then nothing.
        let mut slow = std::net::TcpStream::connect(&addr).expect("connects");
        slow.write_all(
            b"POST /webhooks/repull HTTP/1.1\r\nHost: x\r\nX-Repull-Signature: 00\r\nContent-Length: 1000000\r\n\r\n",
        )
        .expect("writes");
        slow.write_all(&vec![b' '; 500_000]).expect("writes");
        let body = read_until_closed(&mut slow, Duration::from_secs(20));

        // Three idle connections hold every slot; a fourth client is served once they are cut.
        let idle: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(&addr).expect("connects"))
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut client = std::net::TcpStream::connect(&addr).expect("connects");
        client
            .write_all(b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("writes");
        let (answer, _) = read_until_closed(&mut client, Duration::from_secs(20));
        drop(idle);
        (headers, body, (answer, started.elapsed()))
    })
    .await
    .expect("clients");

    let (_, closed) = headers;
    let closed = closed.expect("a half-sent header block is cut off");
    assert!(
        closed >= Duration::from_millis(800) && closed < Duration::from_secs(6),
        "headers: closed after {closed:?} with a 1 s deadline"
    );
    let (answer, closed) = body;
    let closed = closed.expect("a half-sent body is cut off");
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("body_not_received"),
        "{answer}"
    );
    assert!(
        closed >= Duration::from_millis(1_500) && closed < Duration::from_secs(8),
        "body: closed after {closed:?} with a 2 s deadline"
    );
    let (answer, waited) = capped;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        waited >= Duration::from_millis(500),
        "the fourth connection waited for a slot: {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cannot_add_a_line_to_the_log() {
    let example = Example::start(&[]);
    let http = reqwest::Client::new();
    let forged =
        "\nprocessed #999: repull reservation.created (forged)\u{1b}[2J\r\u{9b}2J\u{85}\u{2028}";
    // A signed Repull delivery (anyone can sign with the documented test secret) of an event
    // type this version does not know, so it is kept and handed on as it came.
    let body = serde_json::to_vec(&serde_json::json!({
        "type": format!("reservation.created{forged}"),
        "deliveryId": format!("evt_1{forged}"),
        "createdAt": created_at_now(),
        "data": {},
    }))
    .expect("json");
    let repull = Delivery {
        path: "/webhooks/repull",
        headers: vec![("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))],
        body,
        id: String::new(),
    };
    let body = serde_json::to_vec(&serde_json::json!({
        "uuid": "7f0c9a4e-0000-4000-8000-000000000001",
        "operation": format!("UNIT_CREATED{forged}"),
        "subdomain": "acme",
        "language": "de",
        "createdAt": created_at_now(),
        "data": {},
    }))
    .expect("json");
    let everreal = Delivery {
        path: "/webhooks/everreal",
        headers: Vec::new(),
        body,
        id: String::new(),
    };
    for d in [&repull, &everreal] {
        let a = send(&http, &example.base, d).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(example.processed(&http).await, 2);
    let log = example.log_once("processed #", 2);
    let processed: Vec<&String> = log.iter().filter(|l| l.contains("processed #")).collect();
    assert_eq!(processed.len(), 2, "{log:#?}");
    assert!(
        log.iter().all(|l| !l.starts_with("processed #999")
            && !l.chars().any(|c| c.is_control() || c == '\u{2028}')),
        "{log:#?}"
    );
    assert!(
        processed.iter().all(|l| l.contains(r"\nprocessed #999")),
        "{processed:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_handler_error_or_panic_text_reaches_an_answer() {
    use axum::body::Bytes;
    use proptech_events::receive::RepullReceiver;

    const SECRET_TEXT: &str = "postgres://admin:hunter2@db.internal";
    let receiver = Arc::new(RepullReceiver::new([REPULL_SECRET]).expect("secret"));
    let app = axum::Router::new()
        .route(
            "/fails",
            RepullReceiver::route(|_: Arc<RepullReceiver>, _, _: Bytes| async move {
                Err::<&'static str, _>(format!("cannot connect to {SECRET_TEXT}"))
            }),
        )
        .route(
            "/panics",
            RepullReceiver::route(|_: Arc<RepullReceiver>, _, _: Bytes| async move {
                if SECRET_TEXT.is_empty() {
                    return Ok::<&'static str, String>("never");
                }
                panic!("lost {SECRET_TEXT}")
            }),
        )
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    for (path, code) in [
        ("/fails", "handler_failed"),
        ("/panics", "handler_panicked"),
    ] {
        let mut d = repull(&format!("internal{path}"));
        d.path = if path == "/fails" {
            "/fails"
        } else {
            "/panics"
        };
        let a = send(&http, &base, &d).await;
        assert_eq!((a.status, a.body["error"].as_str()), (500, Some(code)));
        let text = a.body.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("db.internal") && !text.contains("lost"),
            "{text}"
        );
        assert_eq!(
            a.body["message"], "the delivery could not be processed; retry later",
            "{text}"
        );
    }
}

/// The value of the Prometheus sample `name{labels}` in `text` (0 when absent: a counter never
/// incremented is not printed).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            let rest = rest.strip_suffix('}').unwrap_or(rest);
            let mut have: Vec<&str> = rest.split(',').filter(|p| !p.is_empty()).collect();
            let mut want: Vec<String> =
                labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            have.sort_unstable();
            want.sort_unstable();
            metric == name && have == want
        })
        .map_or(0.0, |(_, v)| v.parse().expect("a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_a_client_sent() {
    let example = Example::start(&[("PROPTECH_MAX_BODY", "4096".into())]);
    let http = reqwest::Client::new();
    let fresh: Vec<Delivery> = (0..30).map(|i| repull(&format!("m-{i}"))).collect();
    let mut forged: Vec<Delivery> = (0..5).map(|i| repull(&format!("f-{i}"))).collect();
    for d in &mut forged {
        d.headers = vec![("X-Repull-Signature", "0".repeat(64))];
    }
    let mut huge = repull("huge");
    huge.body.extend(std::iter::repeat_n(b' ', 8 << 10));
    let unsigned: Vec<Delivery> = (0..3).map(|i| everreal(i, 10)).collect();
    let statuses = |answers: Vec<Answer>| answers.iter().map(|a| a.status).collect::<Vec<u16>>();
    assert!(
        statuses(send_all(&http, &example.base, &fresh, 4).await)
            .iter()
            .all(|s| *s == 200)
    );
    let again = statuses(send_all(&http, &example.base, &fresh[..10], 4).await);
    assert!(
        again.iter().all(|s| *s == 200),
        "duplicates are acknowledged: {again:?}"
    );
    assert!(
        statuses(send_all(&http, &example.base, &forged, 4).await)
            .iter()
            .all(|s| *s == 401)
    );
    assert_eq!(
        statuses(send_all(&http, &example.base, &[huge], 1).await),
        [413]
    );
    assert!(
        statuses(send_all(&http, &example.base, &unsigned, 2).await)
            .iter()
            .all(|s| *s == 200)
    );

    let text = http
        .get(format!("{}/metrics", example.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("a body");
    let repull = [("provider", "repull")];
    let counts = [
        (
            "proptech_deliveries_received_total",
            &repull[..],
            30.0 + 10.0 + 5.0 + 1.0,
        ),
        ("proptech_deliveries_processed_total", &repull[..], 30.0),
        ("proptech_deliveries_duplicate_total", &repull[..], 10.0),
        (
            "proptech_deliveries_rejected_total",
            &[("provider", "repull"), ("code", "bad_signature")][..],
            5.0,
        ),
        (
            "proptech_deliveries_rejected_total",
            &[("provider", "repull"), ("code", "body_too_large")][..],
            1.0,
        ),
        ("proptech_handler_duration_seconds_count", &repull[..], 30.0),
        (
            "proptech_deliveries_received_total",
            &[("provider", "everreal")][..],
            3.0,
        ),
        (
            "proptech_deliveries_processed_total",
            &[("provider", "everreal")][..],
            3.0,
        ),
        (
            "proptech_deliveries_failed_total",
            &[("provider", "repull"), ("code", "in_flight")][..],
            0.0,
        ),
    ];
    for (name, labels, expected) in counts {
        assert_eq!(
            sample(&text, name, labels),
            expected,
            "{name}{labels:?} in\n{text}"
        );
    }
}
