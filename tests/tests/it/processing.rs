//! At-least-once, never-twice processing, on the in-memory store and on a real Redis: a handler
//! that fails, panics or times out leaves the delivery to its retry, which is processed exactly
//! once; a duplicate in flight is answered 409, one done is acknowledged without running the
//! handler; an unreachable store is a 503. Then an HTTP load run with concurrent clients,
//! duplicates and injected failures.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::redis_server::RedisServer;
use crate::support::signing::{sign_repull, sign_valara};
use proptech_events::receive::{
    Durability, IdempotencyStore, InMemoryStore, Options, Processed, RedisStore, RepullReceiver,
    ValaraReceiver,
};

const REPULL_SECRET: &str = "whsec_k7d9f2example";
const VALARA_SECRET: &str = "test_secret_001";

fn repull_body(id: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"repull.ping","deliveryId":"{id}","createdAt":"{created_at}","data":{{"message":"Ping from Repull."}}}}"#,
                    created_at = crate::support::clock::created_at_now()
    )
    .into_bytes()
}

fn repull_headers(body: &[u8]) -> Vec<(String, String)> {
    vec![(
        "X-Repull-Signature".into(),
        sign_repull(REPULL_SECRET, body),
    )]
}

fn repull(store: Arc<dyn IdempotencyStore>, handler_timeout: u64) -> RepullReceiver {
    RepullReceiver::new([REPULL_SECRET])
        .expect("secret")
        .with_options(Options::default().with_handler_timeout(handler_timeout))
        .with_store(store)
}

/// Every case, against one store.
async fn semantics(store: Arc<dyn IdempotencyStore>, name: &str) {
    let receiver = repull(Arc::clone(&store), 1);
    let runs = AtomicUsize::new(0);
    let run_id = format!("{name}-{}", std::process::id());

    // A handler that fails on the first attempt: the retry is processed, exactly once.
    let body = repull_body(&format!("fail-once-{run_id}"));
    let headers = repull_headers(&body);
    let first = receiver
        .process(&headers, &body, |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>("database down")
        })
        .await;
    let err = first.expect_err("the handler failed");
    assert_eq!(
        (err.code(), err.status()),
        ("handler_failed", 500),
        "{name}"
    );
    let retry = receiver
        .process(&headers, &body, |d| {
            runs.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, String>(d.id().to_owned()) }
        })
        .await;
    assert!(
        matches!(retry, Ok(Processed::Handled(_))),
        "{name}: {retry:?}"
    );
    let again = receiver
        .process(&headers, &body, |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(String::new())
        })
        .await;
    assert!(
        matches!(again, Ok(Processed::Duplicate { .. })),
        "{name}: {again:?}"
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "{name}: failed once, processed once"
    );

    // A panic, then a timeout: each releases; the retry is processed.
    for (what, code, status) in [
        ("panic", "handler_panicked", 500),
        ("timeout", "handler_timed_out", 504),
    ] {
        let body = repull_body(&format!("{what}-{run_id}"));
        let headers = repull_headers(&body);
        let err = receiver
            .process(&headers, &body, |_| async move {
                if what == "panic" {
                    panic!("the handler's bug");
                }
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok::<(), String>(())
            })
            .await
            .expect_err("failed");
        assert_eq!(
            (err.code(), err.status()),
            (code, status),
            "{name} {what}: {err}"
        );
        let retry = receiver
            .process(&headers, &body, |_| async { Ok::<_, String>(()) })
            .await;
        assert!(
            matches!(retry, Ok(Processed::Handled(()))),
            "{name} {what}: {retry:?}"
        );
    }

    // A duplicate while the first attempt is in flight: 409, and the first one completes.
    let body = repull_body(&format!("in-flight-{run_id}"));
    let headers = repull_headers(&body);
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (finish_tx, finish_rx) = tokio::sync::oneshot::channel::<()>();
    let slow = async {
        receiver
            .process(&headers, &body, |_| async move {
                let _ = started_tx.send(());
                let _ = finish_rx.await;
                Ok::<_, String>("slow")
            })
            .await
    };
    let duplicate = async {
        let _ = started_rx.await;
        let answer = receiver
            .process(&headers, &body, |_| async { Ok::<_, String>("duplicate") })
            .await;
        let _ = finish_tx.send(());
        answer
    };
    let (slow, duplicate) = tokio::join!(slow, duplicate);
    assert!(
        matches!(slow, Ok(Processed::Handled("slow"))),
        "{name}: {slow:?}"
    );
    let err = duplicate.expect_err("in flight");
    assert_eq!((err.code(), err.status()), ("in_flight", 409), "{name}");

    // Valara: the nonce and the event id both go through the store; a failed attempt releases
    // both, so the retry (same nonce) is processed.
    let valara = ValaraReceiver::new([VALARA_SECRET])
        .expect("secret")
        .with_store(Arc::clone(&store));
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let text = std::fs::read_to_string(format!(
        "{}/../schemas/valara/fixtures/listing.updated.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let event_id = format!(
        "evt_{}",
        &format!("{:0>26}", run_id.len() + ts as usize)[..26]
    );
    let body = text
        .replace("1745339401", &ts.to_string())
        .replace("evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2", &event_id)
        .replace(
            "5T6JYV65WQN356K4XSQMD277XJ",
            &format!("{:0>26}", run_id.len() * 7 + ts as usize + name.len()),
        )
        .into_bytes();
    let headers = vec![
        ("X-Webhook-Signature", sign_valara(VALARA_SECRET, ts, &body)),
        ("X-Webhook-Timestamp", ts.to_string()),
        ("X-Webhook-Event-Id", event_id.clone()),
    ];
    let failed = valara
        .process(&headers, &body, |_| async { Err::<(), _>("queue down") })
        .await;
    assert_eq!(failed.expect_err("failed").code(), "handler_failed");
    let retry = valara
        .process(&headers, &body, |_| async { Ok::<_, String>(()) })
        .await;
    assert!(
        matches!(retry, Ok(Processed::Handled(()))),
        "{name}: {retry:?}"
    );
    let replay = valara
        .process(&headers, &body, |_| async { Ok::<_, String>(()) })
        .await;
    assert!(
        matches!(replay, Ok(Processed::Duplicate { .. })),
        "{name}: {replay:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_processes_at_least_once_and_never_twice() {
    semantics(Arc::new(InMemoryStore::default()), "memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_processes_at_least_once_and_never_twice() {
    let Some(server) = RedisServer::start("redis_semantics", false) else {
        return;
    };
    // A server without persistence: what a crash would lose is not what this test is about.
    let store = RedisStore::connect_with(&server.url(), Durability::AcceptLoss)
        .await
        .expect("connects");
    semantics(Arc::new(store.clone()), "redis").await;

    // Keys are fixed-size digests with a TTL (the lease, then the window once done, under the
    // done key: the claim key renamed).
    let mut conn = server.connection();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("proptech:idem:*")
        .query(&mut conn)
        .expect("keys");
    assert!(!keys.is_empty());
    for key in &keys {
        let digest = key
            .strip_prefix("proptech:idem:s:")
            .map(|k| k.strip_suffix(":done").unwrap_or(k));
        assert_eq!(digest.map(str::len), Some(64), "{key}");
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut conn).expect("ttl");
        assert!(ttl > 0, "{key} has a TTL");
    }

    // The store unreachable: 503, never 2xx, and the handler never runs.
    drop(server);
    let receiver = repull(Arc::new(store), 1);
    let body = repull_body("while-redis-is-down");
    let ran = AtomicUsize::new(0);
    let err = receiver
        .process(&repull_headers(&body), &body, |_| async {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(())
        })
        .await
        .expect_err("no store");
    assert_eq!(
        (err.code(), err.status()),
        ("store_unavailable", 503),
        "{err}"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// The load run: `clients` tasks post `unique` deliveries over HTTP to a receiver whose handler
/// fails on the first attempt of every fifth delivery; each delivery is sent 1 to 3 times
/// (duplicates, some concurrent), and each client retries a non-2xx answer like a provider does.
/// The set processed must equal the set of unique deliveries, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_load_run_loses_nothing_and_processes_nothing_twice() {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::FromRef;
    use proptech_events::receive::Verified;

    #[derive(Clone)]
    struct St {
        repull: Arc<RepullReceiver>,
        processed: Arc<Mutex<HashMap<String, usize>>>,
        attempts: Arc<Mutex<HashMap<String, usize>>>,
        failures: Arc<AtomicUsize>,
    }
    impl FromRef<St> for Arc<RepullReceiver> {
        fn from_ref(s: &St) -> Self {
            Arc::clone(&s.repull)
        }
    }
    async fn handle(
        s: St,
        d: Verified<proptech_events::repull::Event>,
        _: Bytes,
    ) -> Result<&'static str, String> {
        let id = d.id().to_owned();
        let attempt = {
            let mut a = s.attempts.lock().expect("lock");
            let n = a.entry(id.clone()).or_default();
            *n += 1;
            *n
        };
        let index: usize = id.trim_start_matches("load-").parse().expect("index");
        if index.is_multiple_of(5) && attempt == 1 {
            s.failures.fetch_add(1, Ordering::SeqCst);
            return Err("injected failure".into());
        }
        tokio::task::yield_now().await;
        *s.processed.lock().expect("lock").entry(id).or_default() += 1;
        Ok("ok")
    }

    let state = St {
        repull: Arc::new(repull(Arc::new(InMemoryStore::default()), 5)),
        processed: Arc::default(),
        attempts: Arc::default(),
        failures: Arc::default(),
    };
    let app: Router = Router::new()
        .route("/webhooks/repull", RepullReceiver::route(handle))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let (unique, clients) = (2_000usize, 16usize);
    // Delivery i is sent 1 + i % 3 times: 4,000 sends for 2,000 deliveries.
    let sends: Vec<usize> = (0..unique)
        .flat_map(|i| std::iter::repeat_n(i, 1 + i % 3))
        .collect();
    let duplicates = sends.len() - unique;
    let sends = Arc::new(sends);
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(HashMap::<u16, usize>::new()));
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (sends, next, answers, http, base) = (
                Arc::clone(&sends),
                Arc::clone(&next),
                Arc::clone(&answers),
                http.clone(),
                base.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&i) = sends.get(n) else { break };
                    let body = repull_body(&format!("load-{i}"));
                    let signature = sign_repull(REPULL_SECRET, &body);
                    // Retry like a provider: until a 2xx (bounded, so a bug fails the test).
                    for attempt in 0.. {
                        assert!(attempt < 200, "load-{i} never acknowledged");
                        let status = http
                            .post(format!("{base}/webhooks/repull"))
                            .header("X-Repull-Signature", &signature)
                            .body(body.clone())
                            .send()
                            .await
                            .expect("answers")
                            .status()
                            .as_u16();
                        *answers.lock().expect("lock").entry(status).or_default() += 1;
                        if (200..300).contains(&status) {
                            break;
                        }
                        assert!(
                            matches!(status, 409 | 500),
                            "only in-flight and injected failures: {status}"
                        );
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client");
    }
    server.abort();

    let processed = state.processed.lock().expect("lock").clone();
    let lost = (0..unique)
        .filter(|i| !processed.contains_key(&format!("load-{i}")))
        .count();
    let twice = processed.values().filter(|n| **n > 1).count();
    let failures = state.failures.load(Ordering::SeqCst);
    let answers = answers.lock().expect("lock").clone();
    println!(
        "load run: {unique} deliveries, {} sends ({duplicates} duplicates), {clients} clients, \
         {failures} failures injected; processed {} ids, lost {lost}, processed twice {twice}; \
         answers {answers:?}",
        sends.len(),
        processed.len()
    );
    assert_eq!(failures, unique / 5, "every fifth delivery failed once");
    assert_eq!(lost, 0, "nothing lost");
    assert_eq!(twice, 0, "nothing processed twice");
    assert_eq!(
        processed.len(),
        unique,
        "the processed set is the unique set"
    );
    assert_eq!(
        answers.get(&500).copied(),
        Some(failures),
        "each failure answered 500"
    );
}
