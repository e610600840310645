//! `queue` against a real `redis-server`: entries a consumer gave up on are listed with their
//! errors, counted by `stats`, and `replay` brings back exactly the selected ones, once, to be
//! handled once.

use std::time::Duration;

use proptech_events::Provider;
use proptech_events::receive::stream::{Consumed, Consumer, Outcome, RedisStreamSink};

use crate::redis_server::RedisServer;
use crate::run;

fn body(id: &str, event_type: &str) -> Vec<u8> {
    let data = match event_type {
        "reservation.updated" => serde_json::json!({
            "id": 7, "confirmationCode": "HMA1", "changes": {}, "updatedAt": "2026-05-01T12:00:00Z",
        }),
        _ => serde_json::json!({ "message": "Ping from Repull." }),
    };
    serde_json::to_vec(&serde_json::json!({
        "type": event_type, "deliveryId": id, "createdAt": "2026-05-01T12:00:00Z", "data": data,
    }))
    .expect("json")
}

async fn consumer(server: &RedisServer) -> Consumer {
    let conn = redis::aio::ConnectionManager::new(redis::Client::open(server.url()).expect("url"))
        .await
        .expect("connects");
    let consumer = Consumer::with_connection(conn, "c1")
        .with_lease(Duration::from_millis(50))
        .with_block(Duration::from_millis(20))
        .with_max_attempts(1);
    consumer.ensure_groups().await.expect("groups");
    consumer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_counted_and_replayed_once() {
    let Some(server) = RedisServer::start("cli_queue", false) else {
        return;
    };
    let url = server.url();
    let conn = redis::aio::ConnectionManager::new(redis::Client::open(url.clone()).expect("url"))
        .await
        .expect("connects");
    let sink = RedisStreamSink::with_connection(conn);
    for (id, event_type) in [
        ("d-1", "repull.ping"),
        ("d-2", "reservation.updated"),
        ("d-3", "repull.ping"),
    ] {
        sink.append(Provider::Repull, id, event_type, &body(id, event_type))
            .await
            .expect("appended");
    }
    // A handler that fails everything, on its only attempt: three dead letters.
    let consumer = consumer(&server).await;
    let failing =
        |c: Consumed| async move { Err::<(), _>(format!("no handler for {}\nyet", c.event_type)) };
    let outcomes = consumer.poll(&failing).await.expect("polls");
    assert_eq!(outcomes.len(), 3);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::DeadLettered { .. }))
    );

    let (code, out, err) = run(&["queue", "stats", "--redis", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("proptech:events: 3 entries, 0 not yet read, 0 pending"),
        "{out}"
    );
    assert!(out.contains("dead letters: 3"), "{out}");

    let (code, out, err) = run(&["queue", "dead", "--redis", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 dead letters"), "{out}");
    // The error is printed escaped: its newline cannot start a line of its own.
    assert!(
        out.contains("repull reservation.updated d-2")
            && out.contains("after 1 attempts): no handler for reservation.updated\\nyet"),
        "{out}"
    );
    let (_, json, _) = run(&["queue", "dead", "--json", "--redis", &url]);
    let list: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    assert_eq!(list[1]["delivery_id"], "d-2");
    assert_eq!(list[1]["error"], "no handler for reservation.updated\nyet");

    // Nothing was received after this time: nothing to replay.
    let (code, out, _) = run(&[
        "queue",
        "replay",
        "--since",
        "2999-01-01T00:00:00Z",
        "--redis",
        &url,
    ]);
    assert_eq!((code, out.trim_end()), (0, "0 dead letters replayed"));
    let (code, _, err) = run(&["queue", "replay", "--since", "yesterday", "--redis", &url]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--since \"yesterday\" is not an RFC 3339 time"),
        "{err}"
    );

    let (code, out, err) = run(&[
        "queue",
        "replay",
        "--provider",
        "repull",
        "--event",
        "reservation.updated",
        "--redis",
        &url,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("replayed repull reservation.updated d-2 -> proptech:events")
            && out.contains("1 dead letters replayed"),
        "{out}"
    );
    let (_, out, _) = run(&[
        "queue",
        "replay",
        "--event",
        "reservation.updated",
        "--redis",
        &url,
    ]);
    assert!(
        out.contains("0 dead letters replayed"),
        "replayed once: {out}"
    );

    // The replayed entry is handled once, by a handler that now succeeds.
    let handled = std::sync::Mutex::new(Vec::new());
    let working = |c: Consumed| {
        handled.lock().expect("lock").push(c.delivery_id.clone());
        async { Ok::<(), String>(()) }
    };
    for _ in 0..5 {
        consumer.poll(&working).await.expect("polls");
    }
    assert_eq!(*handled.lock().expect("lock"), ["d-2"]);
    let (_, out, _) = run(&["queue", "stats", "--json", "--redis", &url]);
    let stats: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(stats["dead_letters"], 2, "{stats}");
    assert_eq!(stats["streams"][0]["length"], 4, "{stats}");
    assert_eq!(stats["streams"][0]["pending"], 0, "{stats}");
}

#[test]
fn an_unreachable_redis_is_one_line_naming_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}");
    let (code, out, err) = run(&["queue", "stats", "--redis", &url]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("cannot connect to Redis")
            && err.contains(&format!("redis://:***@127.0.0.1:{port}"))
            && !err.contains("hunter2")
            && !err.contains("idempotency store"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
