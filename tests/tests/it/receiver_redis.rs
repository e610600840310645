//! The example receiver on a real Redis: two receiver processes sharing one Redis process each
//! delivery exactly once (the stream `proptech:events` holds each id once), the consumer example
//! reads and acknowledges them, and a Redis outage answers 503 and loses nothing.

use crate::receiver;
use proptech_events::receive::stream::{Consumer, Outcome, Streams};

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::redis_server::RedisServer;
use crate::support::signing::{sign_lavanda, sign_repull};

const REPULL_SECRET: &str = "whsec_k7d9f2example";
const LAVANDA_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The receiver's settings on `redis_url`; `persistent` says whether that Redis writes each
/// command to disk before answering (else the receiver is told to accept the loss in a crash).
fn config(redis_url: &str, persistent: bool) -> receiver::Config {
    receiver::Config {
        redis_accept_loss: !persistent,
        valara: vec!["test_secret_001".into()],
        repull: vec![REPULL_SECRET.into()],
        lavanda: vec![LAVANDA_SECRET.into()],
        max_body: 1 << 20,
        redis_url: Some(redis_url.to_owned()),
        ..receiver::Config::with_test_secrets()
    }
}

/// A delivery: path, headers, body and id.
struct Delivery {
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    id: String,
}

fn deliveries(n: usize, tag: &str) -> Vec<Delivery> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let lavanda = std::fs::read(format!(
        "{}/../schemas/lavanda/fixtures/v1.crm.lead.created.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                let id = format!("{tag}-repull-{i}");
                let body = format!(
                    r#"{{"type":"repull.ping","deliveryId":"{id}","createdAt":"{created_at}","data":{{"message":"Ping from Repull."}}}}"#,
                    created_at = crate::support::clock::created_at_now()
                )
                .into_bytes();
                Delivery {
                    path: "/webhooks/repull",
                    headers: vec![("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))],
                    body,
                    id,
                }
            } else {
                let id = format!("msg_{tag}_{i}");
                let signature =
                    sign_lavanda(&[LAVANDA_SECRET], &id, now, &lavanda).expect("sign");
                Delivery {
                    path: "/webhooks/lavanda",
                    headers: vec![
                        ("webhook-id", id.clone()),
                        ("webhook-timestamp", now.to_string()),
                        ("webhook-signature", signature),
                    ],
                    body: lavanda.clone(),
                    id,
                }
            }
        })
        .collect()
}

async fn post(http: &reqwest::Client, base: &str, d: &Delivery) -> u16 {
    let mut req = http.post(format!("{base}{}", d.path)).body(d.body.clone());
    for (k, v) in &d.headers {
        req = req.header(*k, v);
    }
    match req.send().await {
        Ok(resp) => resp.status().as_u16(),
        Err(e) => panic!("the receiver answers: {e}"),
    }
}

/// The ids in the stream, with how often each appears.
fn stream_ids(server: &RedisServer) -> HashMap<String, usize> {
    let mut conn = server.connection();
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(Streams::default().signed())
        .arg("-")
        .arg("+")
        .query(&mut conn)
        .expect("xrange");
    let mut ids = HashMap::new();
    for entry in entries.ids {
        let id: String = entry.get("id").expect("an id field");
        for field in ["provider", "event_type", "body"] {
            assert!(entry.map.contains_key(field), "{field} in {entry:?}");
        }
        *ids.entry(id).or_default() += 1;
    }
    ids
}

/// A receiver process: this test binary again, running `child_receiver_process`.
struct ReceiverProcess {
    child: Child,
    base: String,
}

impl ReceiverProcess {
    fn start(redis_url: &str) -> Self {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new(exe)
            .args([
                "--exact",
                "receiver_redis::child_receiver_process",
                "--ignored",
                "--nocapture",
            ])
            .env("PROPTECH_CHILD_REDIS_URL", redis_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the child prints its address")
                .expect("a line");
            if let Some(addr) = line.strip_prefix("LISTENING ") {
                break format!("http://{addr}");
            }
        };
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ReceiverProcess { child, base }
    }
}

impl Drop for ReceiverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The example receiver in its own process (started by the tests below).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by two_receiver_processes_on_one_redis_process_each_delivery_once"]
async fn child_receiver_process() {
    let Ok(url) = std::env::var("PROPTECH_CHILD_REDIS_URL") else {
        return;
    };
    let app = receiver::app(config(&url, false)).await.expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("LISTENING {}", listener.local_addr().expect("addr"));
    axum::serve(listener, app).await.expect("serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_receiver_processes_on_one_redis_process_each_delivery_once() {
    let Some(server) = RedisServer::start("two_processes", false) else {
        return;
    };
    let (a, b) = (
        ReceiverProcess::start(&server.url()),
        ReceiverProcess::start(&server.url()),
    );
    let http = reqwest::Client::new();
    let batch = deliveries(200, "multi");
    // Each delivery is posted to both processes at once, three times over.
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for round in 0..3 {
        let sends = batch.iter().flat_map(|d| {
            [&a.base, &b.base].map(|base| {
                let http = http.clone();
                async move { post(&http, base, d).await }
            })
        });
        for status in futures_join_all(sends).await {
            *statuses.entry(status).or_default() += 1;
        }
        let _ = round;
    }
    // Whatever was answered 409 (in flight on the other process) is retried until acknowledged.
    for d in &batch {
        let mut tries = 0;
        while post(&http, &a.base, d).await != 200 {
            tries += 1;
            assert!(tries < 100, "{} never acknowledged", d.id);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    println!("answers from two processes: {statuses:?}");
    assert!(
        statuses.keys().all(|s| matches!(s, 200 | 409)),
        "only acknowledged or in flight: {statuses:?}"
    );
    let ids = stream_ids(&server);
    for d in &batch {
        assert_eq!(
            ids.get(&d.id),
            Some(&1),
            "{} exactly once in the stream",
            d.id
        );
    }
    assert_eq!(ids.len(), batch.len(), "nothing else in the stream");

    // A consumer of the group reads every entry, parsed, and acknowledges it.
    let client = redis::Client::open(server.url()).expect("url");
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("connects");
    let consumer = Consumer::with_connection(conn, "c1").with_block(Duration::from_millis(100));
    consumer.ensure_groups().await.expect("group");
    let seen = std::sync::Mutex::new(Vec::new());
    let handler = |c: proptech_events::receive::stream::Consumed| {
        seen.lock()
            .expect("lock")
            .push((c.delivery_id.clone(), c.event.event_type().to_owned()));
        async { Ok::<(), std::convert::Infallible>(()) }
    };
    let mut handled = 0;
    loop {
        let outcomes = consumer.poll(&handler).await.expect("reads");
        if outcomes.is_empty() {
            break;
        }
        for outcome in outcomes {
            assert!(matches!(outcome, Outcome::Handled { .. }), "{outcome:?}");
            handled += 1;
        }
    }
    assert_eq!(handled, batch.len());
    let seen = seen.into_inner().expect("lock");
    let mut ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    let mut sent: Vec<&str> = batch.iter().map(|d| d.id.as_str()).collect();
    sent.sort_unstable();
    assert_eq!(ids, sent, "each delivery handed to the handler once");
    // XPENDING's summary starts with the number of entries read but not acknowledged.
    let pending: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg(Streams::default().signed())
        .arg(Streams::default().group())
        .query(&mut server.connection())
        .expect("xpending");
    let unacknowledged: i64 = redis::from_redis_value(&pending[0]).expect("a count");
    assert_eq!(unacknowledged, 0, "every entry read was acknowledged");
}

/// Runs the futures concurrently (on this task), in order of the results.
async fn futures_join_all<F: std::future::Future<Output = u16>>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    // Poll them together: a simple join over a vector.
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results = vec![None; pending.len()];
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.expect("ready")));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_answers_503_and_loses_nothing() {
    let Some(mut server) = RedisServer::start("outage", true) else {
        return;
    };
    let app = receiver::app(config(&server.url(), true))
        .await
        .expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let batch = deliveries(60, "outage");
    let (before, during) = batch.split_at(20);
    let mut acknowledged = Vec::new();
    for d in before {
        assert_eq!(post(&http, &base, d).await, 200, "{}", d.id);
        acknowledged.push(d.id.clone());
    }

    server.stop();
    // The store's error (a refused connection) is logged, never answered.
    let probe = &during[0];
    let mut request = http
        .post(format!("{base}{}", probe.path))
        .body(probe.body.clone());
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    let text = request
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("a body");
    let answer: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (answer["error"].as_str(), answer["message"].as_str()),
        (
            Some("store_unavailable"),
            Some("the receiver cannot record deliveries now; retry later")
        ),
        "{answer}"
    );
    let started = Instant::now();
    let statuses = futures_join_all(during.iter().map(|d| post(&http, &base, d))).await;
    for (d, status) in during.iter().zip(&statuses) {
        assert_eq!(*status, 503, "{}: the store is down, never 2xx", d.id);
    }
    println!(
        "{} deliveries answered 503 in {:?}",
        during.len(),
        started.elapsed()
    );

    server.restart();
    let started = Instant::now();
    // The provider retries everything not acknowledged (and, for good measure, the rest too).
    let deadline = Instant::now() + Duration::from_secs(30);
    for d in &batch {
        loop {
            let status = post(&http, &base, d).await;
            if status == 200 {
                break;
            }
            assert!(
                matches!(status, 503 | 409 | 500),
                "{}: unexpected {status}",
                d.id
            );
            assert!(Instant::now() < deadline, "{} never acknowledged", d.id);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!("all acknowledged {:?} after the restart", started.elapsed());
    serve.abort();
    let ids = stream_ids(&server);
    for d in &batch {
        assert_eq!(ids.get(&d.id), Some(&1), "{} processed exactly once", d.id);
    }
    assert_eq!(ids.len(), batch.len());
}
