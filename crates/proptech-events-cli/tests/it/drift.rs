//! `drift` against a real `redis-server` and against files: what deliveries carry beyond the
//! schemas is reported per provider and event, with counts, and nothing is reported for the
//! documented samples.

use proptech_events::Provider;
use proptech_events::receive::stream::RedisStreamSink;
use serde_json::{Value, json};

use crate::redis_server::RedisServer;
use crate::run;

fn ping(id: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "repull.ping", "deliveryId": id, "createdAt": "2026-05-01T12:00:00Z", "data": data,
    }))
    .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_s_new_members_and_event_types_are_reported() {
    let Some(server) = RedisServer::start("cli_drift", false) else {
        return;
    };
    let url = server.url();
    let conn = redis::aio::ConnectionManager::new(redis::Client::open(url.clone()).expect("url"))
        .await
        .expect("connects");
    let sink = RedisStreamSink::with_connection(conn);
    let entries = [
        ("d-1", "repull.ping", ping("d-1", json!({ "message": "hi" }))),
        ("d-2", "repull.ping", ping("d-2", json!({ "message": "hi", "region": "eu" }))),
        ("d-3", "repull.ping", ping("d-3", json!({ "message": "hi", "region": 7 }))),
        (
            "d-4",
            "reservation.archived",
            br#"{"type":"reservation.archived","deliveryId":"d-4","createdAt":"2026-05-01T12:00:00Z","data":{}}"#.to_vec(),
        ),
    ];
    for (id, event_type, body) in &entries {
        sink.append(Provider::Repull, id, event_type, body)
            .await
            .expect("appended");
    }
    let (code, out, err) = run(&["drift", "--stream", "--redis", &url, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("JSON");
    let repull = &report["providers"]["repull"];
    assert_eq!(repull["deliveries"], 4);
    assert_eq!(
        repull["unknown_event_types"][0]["event_type"],
        "reservation.archived"
    );
    let member = &repull["events"]["repull.ping"]["unknown_members"][0];
    assert_eq!(member["path"], "/data/region");
    assert_eq!(member["types"], json!(["integer", "string"]));
    assert_eq!(member["count"], 2);
    assert_eq!(repull["events"]["repull.ping"]["deliveries"], 3);

    let (code, text, err) = run(&["drift", "--stream", "--redis", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("new member /data/region"), "{text}");
    assert!(
        text.contains("unknown event type reservation.archived"),
        "{text}"
    );
}

#[test]
fn files_need_their_provider_and_a_sample_shows_no_drift() {
    let (code, _, err) = run(&["drift", "some.json"]);
    assert_eq!(code, 2, "{err}");
    let dir = std::env::temp_dir().join(format!("cli-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("ping.json");
    std::fs::write(&file, ping("d-1", json!({ "message": "hi" }))).expect("writes");
    let (code, out, err) = run(&[
        "drift",
        "--provider",
        "repull",
        "--json",
        file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("JSON");
    let ping = &report["providers"]["repull"]["events"]["repull.ping"];
    for finding in [
        "unknown_members",
        "unknown_enum_values",
        "missing_required",
        "other_violations",
    ] {
        assert_eq!(ping[finding], json!([]), "{finding}");
    }
}
