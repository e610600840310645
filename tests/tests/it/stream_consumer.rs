//! After the receiver, on a real `redis-server`: a `kill -9` of Redis under load loses no
//! acknowledged delivery; a receiver refuses Redis settings that would; a consumer process killed
//! in the middle of a handler leaves its entries to the other, each handled and acknowledged
//! once; a poison entry ends as a dead letter and, replayed, is handled once; shuffled deliveries
//! for one reservation are marked stale exactly when an event already handled is newer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptech_events::Provider;
use proptech_events::receive::Durability;
use proptech_events::receive::stream::{
    self, Consumed, Consumer, Order, Outcome, RedisStreamSink, ReplayFilter, Streams,
};
use redis::aio::ConnectionManager;

use crate::receiver;
use crate::support::redis_server::RedisServer;
use crate::support::signing::sign_repull;

const REPULL_SECRET: &str = "whsec_k7d9f2example";

/// A Repull delivery of `event_type` about reservation `reservation`, created at `created_at`.
fn repull(id: &str, event_type: &str, created_at: &str, reservation: u64) -> Vec<u8> {
    let data = match event_type {
        "reservation.updated" => serde_json::json!({
            "id": reservation, "confirmationCode": "HMA1234567",
            "changes": {}, "updatedAt": created_at,
        }),
        "payment.completed" => serde_json::json!({
            "id": format!("pay_{id}"), "reservationId": reservation, "amount": "10.00",
            "currency": "USD", "method": "card", "capturedAt": created_at,
        }),
        _ => serde_json::json!({ "message": "Ping from Repull." }),
    };
    serde_json::to_vec(&serde_json::json!({
        "type": event_type, "deliveryId": id, "createdAt": created_at, "data": data,
    }))
    .expect("json")
}

async fn manager(server: &RedisServer) -> ConnectionManager {
    ConnectionManager::new(redis::Client::open(server.url()).expect("url"))
        .await
        .expect("connects")
}

/// The delivery ids in the signed stream, with how often each appears.
fn stream_ids(server: &RedisServer) -> HashMap<String, usize> {
    let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(Streams::default().signed())
        .arg("-")
        .arg("+")
        .query(&mut server.connection())
        .expect("xrange");
    let mut ids = HashMap::new();
    for entry in entries.ids {
        let id: String = entry.get("id").expect("an id field");
        *ids.entry(id).or_default() += 1;
    }
    ids
}

/// Entries read by the group and not acknowledged.
fn pending(server: &RedisServer) -> i64 {
    let summary: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg(Streams::default().signed())
        .arg(Streams::default().group())
        .query(&mut server.connection())
        .expect("xpending");
    redis::from_redis_value(&summary[0]).expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_refuses_redis_settings_that_lose_acknowledged_deliveries() {
    let Some(server) = RedisServer::start("durability_settings", false) else {
        return;
    };
    let config = || receiver::Config {
        redis_url: Some(server.url()),
        ..receiver::Config::with_test_secrets()
    };
    let mut admin = server.connection();
    let refused = receiver::app(config()).await.expect_err("refused");
    assert!(
        refused.to_string().contains("appendonly") && refused.to_string().contains("AcceptLoss"),
        "{refused}"
    );
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query(&mut admin)
        .expect("config set");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendfsync")
        .arg("everysec")
        .query(&mut admin)
        .expect("config set");
    let refused = receiver::app(config()).await.expect_err("refused");
    assert!(
        refused.to_string().contains("appendfsync") && refused.to_string().contains("always"),
        "{refused}"
    );
    // Accepting the loss by name starts it; so does `appendfsync always`.
    let accepting = receiver::Config {
        redis_accept_loss: true,
        ..config()
    };
    assert!(receiver::app(accepting).await.is_ok());
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendfsync")
        .arg("always")
        .query(&mut admin)
        .expect("config set");
    assert!(receiver::app(config()).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_of_redis_under_load_loses_no_acknowledged_delivery() {
    // `appendonly yes`, `appendfsync always`: the settings the receiver checks at start-up.
    let Some(server) = RedisServer::start("kill_redis", true) else {
        return;
    };
    let server = Arc::new(Mutex::new(server));
    let url = server.lock().expect("lock").url();
    let app = receiver::app(receiver::Config {
        redis_url: Some(url),
        ..receiver::Config::with_test_secrets()
    })
    .await
    .expect("the receiver accepts a durable Redis");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });

    let total = 600;
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let senders: Vec<_> = (0..8)
        .map(|_| {
            let (next, acknowledged, refused) = (
                Arc::clone(&next),
                Arc::clone(&acknowledged),
                Arc::clone(&refused),
            );
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        return;
                    }
                    let id = format!("crash-{i}");
                    let now = crate::support::clock::created_at_now();
                    let body = repull(&id, "repull.ping", &now, 0);
                    let answer = http
                        .post(format!("{base}/webhooks/repull"))
                        .header("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))
                        .body(body)
                        .send()
                        .await
                        .expect("the receiver answers");
                    if answer.status().is_success() {
                        acknowledged.lock().expect("lock").push(id);
                    } else {
                        assert!(
                            matches!(answer.status().as_u16(), 503 | 409 | 500),
                            "{id}: {}",
                            answer.status()
                        );
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    // Kill Redis once a fifth of the deliveries were acknowledged, with eight in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().expect("lock").len() < total / 5 {
        assert!(Instant::now() < deadline, "no progress before the kill");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let at_kill = acknowledged.lock().expect("lock").len();
    server.lock().expect("lock").stop();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.lock().expect("lock").restart();
    for sender in senders {
        sender.await.expect("sender");
    }
    serve.abort();
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let ids = stream_ids(&server.lock().expect("lock"));
    println!(
        "{} acknowledged ({at_kill} when Redis was killed), {} refused during the outage, {} in \
         the stream after the restart",
        acknowledged.len(),
        refused.load(Ordering::SeqCst),
        ids.len()
    );
    assert!(
        acknowledged.len() > at_kill,
        "deliveries were acknowledged after the restart too"
    );
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !ids.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged deliveries missing after kill -9 and restart: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
}

/// A consumer process: this test binary again, running `child_consumer`.
struct ConsumerProcess(Child);

impl ConsumerProcess {
    /// Starts a consumer named `name`; with `stall_at`, its handler stops for good in its
    /// `stall_at`-th call (after marking `test:stalled`), as a process stopped in the middle of
    /// a handler.
    fn start(url: &str, name: &str, stall_at: Option<usize>) -> Self {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new(exe);
        child
            .args([
                "--exact",
                "stream_consumer::child_consumer",
                "--ignored",
                "--nocapture",
            ])
            .env("PROPTECH_CHILD_CONSUMER_URL", url)
            .env("PROPTECH_CHILD_CONSUMER_NAME", name)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(n) = stall_at {
            child.env("PROPTECH_CHILD_CONSUMER_STALL_AT", n.to_string());
        }
        let mut child = child.spawn().expect("spawns");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("the child says it is consuming")
                .expect("a line");
            if line == "CONSUMING" {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        ConsumerProcess(child)
    }

    /// SIGKILL.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ConsumerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The consumer process `ConsumerProcess` starts: records each handler's start and end, and each
/// acknowledgement, in Redis hashes keyed by delivery id and entry id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by a_killed_consumers_entries_are_reclaimed_and_each_handled_once"]
async fn child_consumer() {
    let Ok(url) = std::env::var("PROPTECH_CHILD_CONSUMER_URL") else {
        return;
    };
    let name = std::env::var("PROPTECH_CHILD_CONSUMER_NAME").expect("a name");
    let stall_at: Option<usize> = std::env::var("PROPTECH_CHILD_CONSUMER_STALL_AT")
        .ok()
        .and_then(|n| n.parse().ok());
    // The survivor takes one entry per poll. The victim reads eight at a time and stalls on the
    // first of a batch: it holds eight unacknowledged entries, and every acknowledgement it made
    // was recorded (after each poll) before it stalled.
    let batch = if stall_at.is_some() { 8 } else { 1 };
    let consumer = Consumer::connect(&url, name, Durability::AcceptLoss)
        .await
        .expect("connects")
        .with_lease(Duration::from_millis(1_000))
        .with_block(Duration::from_millis(100))
        .with_batch(batch);
    consumer.ensure_groups().await.expect("groups");
    let conn = ConnectionManager::new(redis::Client::open(url).expect("url"))
        .await
        .expect("connects");
    let calls = AtomicUsize::new(0);
    let handler = |c: Consumed| {
        let mut conn = conn.clone();
        let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let _: i64 = redis::cmd("HINCRBY")
                .arg("test:started")
                .arg(&c.delivery_id)
                .arg(1)
                .query_async(&mut conn)
                .await?;
            if stall_at == Some(call) {
                let _: () = redis::cmd("SET")
                    .arg("test:stalled")
                    .arg(&c.delivery_id)
                    .query_async(&mut conn)
                    .await?;
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            let _: i64 = redis::cmd("HINCRBY")
                .arg("test:finished")
                .arg(&c.delivery_id)
                .arg(1)
                .query_async(&mut conn)
                .await?;
            Ok::<(), redis::RedisError>(())
        }
    };
    println!("CONSUMING");
    let mut conn = conn.clone();
    loop {
        for outcome in consumer.poll(&handler).await.expect("polls") {
            let (hash, entry) = match &outcome {
                Outcome::Handled { entry } => ("test:acked", entry),
                Outcome::AlreadyAcknowledged { entry } => ("test:late", entry),
                _ => ("test:other", &String::new()),
            };
            let _: i64 = redis::cmd("HINCRBY")
                .arg(hash)
                .arg(entry)
                .arg(1)
                .query_async(&mut conn)
                .await
                .expect("records");
        }
    }
}

fn hash(server: &RedisServer, key: &str) -> HashMap<String, i64> {
    redis::cmd("HGETALL")
        .arg(key)
        .query(&mut server.connection())
        .expect("hgetall")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_consumers_entries_are_reclaimed_and_each_handled_once() {
    let Some(server) = RedisServer::start("consumer_crash", false) else {
        return;
    };
    let sink = RedisStreamSink::with_connection(manager(&server).await);
    let total = 300;
    let mut entries = Vec::new();
    for i in 0..total {
        let id = format!("job-{i}");
        let body = repull(&id, "repull.ping", "2026-05-01T12:34:56Z", 0);
        let entry = sink
            .append(Provider::Repull, &id, "repull.ping", &body)
            .await
            .expect("appended");
        entries.push(entry);
    }
    // The victim stops in the middle of its 41st handler (the first of its sixth batch of
    // eight); the other consumer goes on.
    let mut victim = ConsumerProcess::start(&server.url(), "victim", Some(41));
    let _other = ConsumerProcess::start(&server.url(), "survivor", None);
    let deadline = Instant::now() + Duration::from_secs(30);
    let stalled: String = loop {
        let stalled: Option<String> = redis::cmd("GET")
            .arg("test:stalled")
            .query(&mut server.connection())
            .expect("get");
        if let Some(id) = stalled {
            break id;
        }
        assert!(Instant::now() < deadline, "the victim never stalled");
        std::thread::sleep(Duration::from_millis(5));
    };
    let held: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg(Streams::default().signed())
        .arg(Streams::default().group())
        .arg("-")
        .arg("+")
        .arg(100)
        .arg("victim")
        .query(&mut server.connection())
        .expect("xpending");
    assert!(
        held.len() >= 2,
        "the victim holds entries when killed: {held:?}"
    );
    victim.kill();
    // The survivor reclaims the victim's pending entries once idle for the lease (1 s).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let finished = hash(&server, "test:finished");
        // The consumer records its acknowledgements after each poll: wait for those too.
        let recorded = hash(&server, "test:acked").values().sum::<i64>();
        if finished.len() == total && pending(&server) == 0 && recorded >= total as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {total} handled, {} pending",
            finished.len(),
            pending(&server)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (started, finished, acked) = (
        hash(&server, "test:started"),
        hash(&server, "test:finished"),
        hash(&server, "test:acked"),
    );
    assert_eq!(
        started.get(&stalled),
        Some(&2),
        "the stalled entry was started by the victim, then by the survivor"
    );
    for i in 0..total {
        let id = format!("job-{i}");
        assert_eq!(finished.get(&id), Some(&1), "{id} handled to the end once");
    }
    for entry in &entries {
        assert_eq!(acked.get(entry), Some(&1), "{entry} acknowledged once");
    }
    assert_eq!(acked.len(), total, "nothing else acknowledged");
    assert!(
        hash(&server, "test:late").is_empty() && hash(&server, "test:other").is_empty(),
        "no entry was acknowledged twice, failed or dead-lettered"
    );
    println!(
        "the victim stalled on {stalled} holding {} entries; all {total} handled once",
        held.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_entry_is_dead_lettered_then_replayed_and_handled_once() {
    let Some(server) = RedisServer::start("poison", false) else {
        return;
    };
    let conn = manager(&server).await;
    let sink = RedisStreamSink::with_connection(conn.clone());
    for i in 0..5 {
        let id = format!("p-{i}");
        let body = repull(&id, "repull.ping", "2026-05-01T12:34:56Z", 0);
        sink.append(Provider::Repull, &id, "repull.ping", &body)
            .await
            .expect("appended");
    }
    let consumer = Consumer::with_connection(manager(&server).await, "c1")
        .with_lease(Duration::from_millis(50))
        .with_block(Duration::from_millis(20))
        .with_max_attempts(3);
    consumer.ensure_groups().await.expect("groups");
    let poisoned = AtomicUsize::new(1);
    let handled = Mutex::new(HashMap::<String, Vec<u64>>::new());
    let handler = |c: Consumed| {
        let fail = c.delivery_id == "p-2" && poisoned.load(Ordering::SeqCst) == 1;
        if !fail {
            handled
                .lock()
                .expect("lock")
                .entry(c.delivery_id.clone())
                .or_default()
                .push(c.attempt);
        }
        async move {
            if fail {
                Err(format!("cannot handle {}", c.delivery_id))
            } else {
                Ok(())
            }
        }
    };
    let mut outcomes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !outcomes
        .iter()
        .any(|o| matches!(o, Outcome::DeadLettered { .. }))
    {
        assert!(
            Instant::now() < deadline,
            "never dead-lettered: {outcomes:?}"
        );
        outcomes.extend(consumer.poll(&handler).await.expect("polls"));
    }
    let failures: Vec<u64> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Failed { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(failures, [1, 2], "two failed attempts before the last");
    let dead = stream::dead_letters(&conn, &Streams::default(), 10)
        .await
        .expect("reads");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        (
            dead[0].delivery_id.as_str(),
            dead[0].attempts,
            dead[0].error.as_str()
        ),
        ("p-2", 3, "cannot handle p-2")
    );
    assert_eq!(pending(&server), 0, "the dead letter is acknowledged here");

    // Fixed: the operator replays it with the CLI's library call (the CLI test runs the binary).
    poisoned.store(0, Ordering::SeqCst);
    let mut filter = ReplayFilter::default();
    filter.provider = Some("repull".into());
    let replayed = stream::replay(&conn, &Streams::default(), &filter)
        .await
        .expect("replays");
    assert_eq!(replayed.len(), 1);
    let again = stream::replay(&conn, &Streams::default(), &filter)
        .await
        .expect("replays");
    assert!(again.is_empty(), "a dead letter is replayed once");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !handled.lock().expect("lock").contains_key("p-2") {
        assert!(
            Instant::now() < deadline,
            "the replayed entry was not handled"
        );
        consumer.poll(&handler).await.expect("polls");
    }
    // A few more polls: nothing is handed over again.
    for _ in 0..5 {
        assert!(consumer.poll(&handler).await.expect("polls").is_empty());
    }
    let handled = handled.into_inner().expect("lock");
    for i in 0..5 {
        assert_eq!(
            handled.get(&format!("p-{i}")).map(Vec::len),
            Some(1),
            "p-{i} handled once: {handled:?}"
        );
    }
    assert_eq!(pending(&server), 0);
    assert!(
        stream::dead_letters(&conn, &Streams::default(), 10)
            .await
            .expect("reads")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuffled_deliveries_for_one_reservation_are_marked_stale_never_dropped() {
    let Some(server) = RedisServer::start("ordering", false) else {
        return;
    };
    let sink = RedisStreamSink::with_connection(manager(&server).await);
    // 40 events about reservation 7 (updates and payments), minute by minute, sent shuffled by a
    // fixed permutation; a ping and an event about another reservation in between.
    let n = 40u64;
    let mut order: Vec<u64> = (0..n).collect();
    // Fisher-Yates with a fixed linear congruential generator: the same shuffle every run.
    let mut state = 0x2545_f491_u64;
    for i in (1..order.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut sent = Vec::new();
    for (k, i) in order.iter().enumerate() {
        let created_at = format!("2026-05-01T{:02}:{:02}:00Z", 10 + i / 60, i % 60);
        let event_type = if i % 2 == 0 {
            "reservation.updated"
        } else {
            "payment.completed"
        };
        let id = format!("o-{i}");
        let body = repull(&id, event_type, &created_at, 7);
        sink.append(Provider::Repull, &id, event_type, &body)
            .await
            .expect("appended");
        sent.push((id, *i));
        if k == 10 {
            let body = repull("other", "reservation.updated", "2026-05-01T09:00:00Z", 8);
            sink.append(Provider::Repull, "other", "reservation.updated", &body)
                .await
                .expect("appended");
            let body = repull("ping", "repull.ping", "2026-05-01T09:00:00Z", 0);
            sink.append(Provider::Repull, "ping", "repull.ping", &body)
                .await
                .expect("appended");
        }
    }
    let consumer = Consumer::with_connection(manager(&server).await, "c1")
        .with_block(Duration::from_millis(20))
        .with_ordering(Duration::from_secs(3_600));
    consumer.ensure_groups().await.expect("groups");
    let seen = Mutex::new(Vec::new());
    let handler = |c: Consumed| {
        seen.lock()
            .expect("lock")
            .push((c.delivery_id.clone(), c.order));
        async { Ok::<(), std::convert::Infallible>(()) }
    };
    loop {
        if consumer.poll(&handler).await.expect("polls").is_empty() {
            break;
        }
    }
    let seen = seen.into_inner().expect("lock");
    assert_eq!(seen.len(), sent.len() + 2, "every delivery handed over");
    let orders: HashMap<&str, Order> = seen.iter().map(|(id, o)| (id.as_str(), *o)).collect();
    assert_eq!(
        orders["ping"],
        Order::Unordered,
        "a ping is about no entity"
    );
    assert_eq!(
        orders["other"],
        Order::InOrder,
        "another reservation's older event is not stale"
    );
    // The oracle: stale exactly when an earlier-handled event of the reservation is newer.
    let mut newest: Option<u64> = None;
    let mut stale = 0;
    for (id, minute) in &sent {
        let expected_stale = newest.is_some_and(|n| n > *minute);
        match orders[id.as_str()] {
            Order::Stale { newest: n, time } => {
                assert!(expected_stale, "{id} marked stale wrongly");
                assert!(n > time, "{id}: newest {n} after {time}");
                stale += 1;
            }
            Order::InOrder => assert!(!expected_stale, "{id} should be stale"),
            other => panic!("{id}: {other:?}"),
        }
        newest = Some(newest.map_or(*minute, |n| n.max(*minute)));
    }
    println!("{stale} of {n} shuffled events marked stale");
    assert!(stale > 0 && stale < n as usize);
}

#[test]
fn consumer_metrics_count_handled_dead_lettered_and_stale_entries() {
    let Some(server) = RedisServer::start("consumer_metrics", false) else {
        return;
    };
    // A recorder of this test's own (thread-local), on a runtime on this thread.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let sink = RedisStreamSink::with_connection(manager(&server).await);
            for (id, event_type, at) in [
                ("ok", "repull.ping", "2026-05-01T12:00:00Z"),
                ("bad", "repull.ping", "2026-05-01T12:00:00Z"),
                ("new", "reservation.updated", "2026-05-01T12:00:00Z"),
                ("old", "reservation.updated", "2026-05-01T11:00:00Z"),
            ] {
                sink.append(
                    Provider::Repull,
                    id,
                    event_type,
                    &repull(id, event_type, at, 7),
                )
                .await
                .expect("appended");
            }
            let consumer = Consumer::with_connection(manager(&server).await, "c1")
                .with_block(Duration::from_millis(20))
                .with_max_attempts(1)
                .with_ordering(Duration::from_secs(60));
            consumer.ensure_groups().await.expect("groups");
            let handler = |c: Consumed| async move {
                if c.delivery_id == "bad" {
                    Err("refused")
                } else {
                    Ok(())
                }
            };
            while !consumer.poll(&handler).await.expect("polls").is_empty() {}
        });
    });
    let text = handle.render();
    for (name, expected) in [
        ("proptech_stream_handled_total", "3"),
        ("proptech_stream_dead_lettered_total", "1"),
        ("proptech_stream_stale_total", "1"),
        ("proptech_stream_handler_duration_seconds_count", "4"),
    ] {
        let line = format!("{name}{{provider=\"repull\"}} {expected}");
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(!text.contains("proptech_stream_failed_total"), "{text}");
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
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
async fn each_delivery_and_entry_closes_a_span_with_its_outcome() {
    let Some(server) = RedisServer::start("spans", false) else {
        return;
    };
    let logs = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = receiver::app(receiver::Config {
        redis_url: Some(server.url()),
        redis_accept_loss: true,
        ..receiver::Config::with_test_secrets()
    })
    .await
    .expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let body = repull(
        "span-1",
        "repull.ping",
        &crate::support::clock::created_at_now(),
        0,
    );
    for signature in [
        sign_repull(REPULL_SECRET, &body),
        sign_repull(REPULL_SECRET, &body),
        "0".repeat(64),
    ] {
        http.post(format!("{base}/webhooks/repull"))
            .header("X-Repull-Signature", signature)
            .body(body.clone())
            .send()
            .await
            .expect("answers");
    }
    serve.abort();
    let consumer = Consumer::with_connection(manager(&server).await, "c1")
        .with_block(Duration::from_millis(20));
    consumer.ensure_groups().await.expect("groups");
    let handler = |_: Consumed| async { Ok::<(), String>(()) };
    while !consumer.poll(&handler).await.expect("polls").is_empty() {}
    let text = String::from_utf8(logs.0.lock().expect("lock").clone()).expect("UTF-8");
    let closed = |span: &str, fields: &[&str]| {
        text.lines()
            .filter(|l| l.contains(&format!("{span}{{")) && l.contains(": close "))
            .filter(|l| fields.iter().all(|f| l.contains(f)))
            .count()
    };
    let delivery = [
        "provider=\"repull\"",
        "event_type=repull.ping",
        "delivery=span-1",
    ];
    for (outcome, count) in [("processed", 1), ("duplicate", 1)] {
        let outcome = format!("outcome=\"{outcome}\"");
        let fields = [&delivery[..], &[outcome.as_str(), "duration_ms="]].concat();
        assert_eq!(closed("receive", &fields), count, "{fields:?} in\n{text}");
    }
    // A forged delivery is rejected before its id is read: provider and outcome only.
    assert_eq!(
        closed(
            "receive",
            &["provider=\"repull\"", "outcome=\"bad_signature\""]
        ),
        1,
        "{text}"
    );
    assert_eq!(closed("process", &["keys=1"]), 2, "{text}");
    let consumed = [&delivery[..], &["outcome=\"handled\"", "attempt=1"]].concat();
    assert_eq!(closed("consume", &consumed), 1, "{consumed:?} in\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_moves_each_letter_once_while_consumers_dead_letter_it_again() {
    let Some(server) = RedisServer::start("replay_race", false) else {
        return;
    };
    // 30 entries no build can parse: a consumer dead-letters each at once, again after a replay.
    let mut admin = server.connection();
    for i in 0..30 {
        let _: String = redis::cmd("XADD")
            .arg(Streams::default().signed())
            .arg("*")
            .arg("provider")
            .arg("nope")
            .arg("id")
            .arg(format!("r-{i}"))
            .arg("event_type")
            .arg("x")
            .arg("body")
            .arg("{}")
            .query(&mut admin)
            .expect("xadd");
    }
    let consumer = Consumer::with_connection(manager(&server).await, "busy")
        .with_block(Duration::from_millis(5))
        .with_max_attempts(1);
    consumer.ensure_groups().await.expect("groups");
    let handler = |_: Consumed| async { Ok::<(), String>(()) };
    while !consumer.poll(&handler).await.expect("polls").is_empty() {}
    let conn = manager(&server).await;
    assert_eq!(
        stream::dead_letters(&conn, &Streams::default(), 100)
            .await
            .expect("reads")
            .len(),
        30
    );
    // The consumer keeps polling while the replay runs, dead-lettering every replayed entry again.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let handler = |_: Consumed| async { Ok::<(), String>(()) };
            while !stop.load(Ordering::SeqCst) {
                consumer.poll(&handler).await.expect("polls");
            }
        })
    };
    let replayed = stream::replay(&conn, &Streams::default(), &ReplayFilter::default())
        .await
        .expect("replays");
    stop.store(true, Ordering::SeqCst);
    busy.await.expect("consumer");
    let mut ids: Vec<&str> = replayed
        .iter()
        .map(|r| r.letter.delivery_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        (replayed.len(), ids.len()),
        (30, 30),
        "each letter moved once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_stops_writing_to_disk_gets_no_acknowledgement_until_it_does_again() {
    let Some(server) = RedisServer::start("settings_change", true) else {
        return;
    };
    let app = receiver::app(receiver::Config {
        redis_url: Some(server.url()),
        ..receiver::Config::with_test_secrets()
    })
    .await
    .expect("a durable Redis");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let serve = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post = |id: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let body = repull(
                id,
                "repull.ping",
                &crate::support::clock::created_at_now(),
                0,
            );
            http.post(format!("{base}/webhooks/repull"))
                .header("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))
                .body(body)
                .send()
                .await
                .expect("answers")
                .status()
                .as_u16()
        }
    };
    let set = |value: &str| {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("appendonly")
            .arg(value)
            .query(&mut server.connection())
            .expect("config set");
    };
    assert_eq!(post("before").await, 200);
    set("no");
    // Noticed within a second: every append after that is refused, for the provider's retry.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(post("during").await, 503);
    set("yes");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(post("during").await, 200, "the retry is processed");
    assert_eq!(post("after").await, 200);
    serve.abort();
    let ids = stream_ids(&server);
    assert_eq!(
        (ids.get("before"), ids.get("during"), ids.get("after")),
        (Some(&1), Some(&1), Some(&1)),
        "{ids:?}"
    );
}
