//! The example receiver, served on 127.0.0.1:0, receiving signed deliveries of all four providers
//! over real HTTP: the status codes, and a retried delivery processed exactly once. Also: the
//! example refuses to start without secrets unless told to use the documented test ones.

use crate::receiver;

use crate::support::signing::{sign_lavanda, sign_repull, sign_valara};
use serde_json::Value;

const VALARA_SECRET: &str = "test_secret_001";
const REPULL_SECRET: &str = "whsec_k7d9f2example";
const LAVANDA_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../schemas/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(secs).expect("fits")
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn processed(&self) -> u64 {
        let resp = self
            .http
            .get(format!("{}/stats", self.base))
            .send()
            .await
            .expect("stats");
        let v: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
        v["processed"].as_u64().expect("a count")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_receiver_verifies_dedupes_and_answers() {
    let app = receiver::app(receiver::Config {
        valara: vec!["rotated-out".into(), VALARA_SECRET.into()],
        repull: vec![REPULL_SECRET.into()],
        lavanda: vec![LAVANDA_SECRET.into()],
        // Small, so the oversized body below is written whole before the early 413 answer.
        max_body: 16 * 1024,
        redis_url: None,
        ..receiver::Config::with_test_secrets()
    })
    .await
    .expect("secrets");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client {
        http: reqwest::Client::new(),
        base,
    };

    // Valara: the seed 001 sample, stamped now and signed.
    let ts = now();
    let text = String::from_utf8(fixture("valara/fixtures/listing.updated.json")).expect("utf8");
    let body = text.replace("1745339401", &ts.to_string()).into_bytes();
    let headers = vec![
        ("X-Webhook-Signature", sign_valara(VALARA_SECRET, ts, &body)),
        ("X-Webhook-Timestamp", ts.to_string()),
        (
            "X-Webhook-Event-Id",
            "evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2".to_owned(),
        ),
    ];
    let (status, answer) = client
        .post("/webhooks/valara", &headers, body.clone())
        .await;
    assert_eq!(
        (status, answer["event_type"].as_str()),
        (200, Some("listing.updated")),
        "{answer}"
    );
    let (status, answer) = client
        .post("/webhooks/valara", &headers, body.clone())
        .await;
    assert_eq!(
        (
            status,
            answer["duplicate"]
                .as_str()
                .map(|k| k.starts_with("valara"))
        ),
        (200, Some(true)),
        "a retry is acknowledged, not processed: {answer}"
    );
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    let (status, answer) = client.post("/webhooks/valara", &headers, tampered).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("bad_signature"))
    );
    let (status, answer) = client.post("/webhooks/valara", &headers[1..], body).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("missing_header"))
    );

    // Repull: a sample, then its retry (same deliveryId).
    let body = crate::support::clock::restamped(&fixture(
        "repull/fixtures/reservation.created.event-page.json",
    ));
    let headers = vec![("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let (status, answer) = client
        .post("/webhooks/repull", &headers, body.clone())
        .await;
    assert_eq!(
        (status, answer["processed"].as_str()),
        (200, Some("evt_01HX5XPQ2K")),
        "{answer}"
    );
    let (status, _) = client.post("/webhooks/repull", &headers, body).await;
    assert_eq!(status, 200);
    let garbage = b"{not json".to_vec();
    let headers = vec![("X-Repull-Signature", sign_repull(REPULL_SECRET, &garbage))];
    let (status, answer) = client.post("/webhooks/repull", &headers, garbage).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("malformed_json"))
    );
    let huge = vec![b' '; 16 * 1024 + 1];
    let (status, answer) = client.post("/webhooks/repull", &[], huge).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (413, Some("body_too_large"))
    );

    // Lavanda through Svix headers.
    let body = fixture("lavanda/fixtures/v1.crm.lead.created.json");
    let ts = now();
    let headers = vec![
        ("svix-id", "msg_2Xfa".to_owned()),
        ("svix-timestamp", ts.to_string()),
        (
            "svix-signature",
            sign_lavanda(&[LAVANDA_SECRET], "msg_2Xfa", ts, &body).expect("sign"),
        ),
    ];
    let (status, answer) = client
        .post("/webhooks/lavanda", &headers, body.clone())
        .await;
    assert_eq!(
        (status, answer["event_type"].as_str()),
        (200, Some("v1.crm.lead.created")),
        "{answer}"
    );
    let (status, _) = client.post("/webhooks/lavanda", &headers, body).await;
    assert_eq!(status, 200);

    // EverReal: no signature to check; deduplicated on uuid.
    let body = br#"{"uuid":"7f0c","operation":"UNIT_CREATED","subdomain":"acme","language":"de","createdAt":"2026-05-01T12:00:00Z","data":{"id":"u1"}}"#.to_vec();
    let (status, answer) = client.post("/webhooks/everreal", &[], body.clone()).await;
    assert_eq!(
        (status, answer["event_type"].as_str()),
        (200, Some("UNIT_CREATED")),
        "{answer}"
    );
    let (status, _) = client.post("/webhooks/everreal", &[], body).await;
    assert_eq!(status, 200);

    // Four distinct deliveries, each sent twice: processed exactly once each.
    assert_eq!(client.processed().await, 4);
    server.abort();
}

/// The example binary, run as a user runs it: without secrets it refuses to start, naming the
/// variable; with `PROPTECH_TEST_SECRETS=1` it starts on the documented test secrets.
#[test]
fn the_example_refuses_to_start_without_secrets() {
    let config = |vars: &[(&str, &str)]| {
        // The same reading as the binary's, in a child process so this test's environment is
        // left alone.
        let exe = std::env::current_exe().expect("test binary");
        let mut cmd = std::process::Command::new(exe);
        cmd.args([
            "--exact",
            "receiver_server::config_probe",
            "--ignored",
            "--nocapture",
        ])
        .env_remove("VALARA_SECRET")
        .env_remove("REPULL_SECRET")
        .env_remove("LAVANDA_SECRET")
        .env_remove("PROPTECH_TEST_SECRETS")
        .env("PROPTECH_CONFIG_PROBE", "1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let none = config(&[]);
    assert!(
        none.contains("probe: refused: VALARA_SECRET is not set"),
        "{none}"
    );
    let some = config(&[("VALARA_SECRET", "s1"), ("REPULL_SECRET", "s2")]);
    assert!(
        some.contains("probe: refused: LAVANDA_SECRET is not set"),
        "{some}"
    );
    let test = config(&[("PROPTECH_TEST_SECRETS", "1")]);
    assert!(
        test.contains("probe: started with valara [\"test_secret_001\"]"),
        "{test}"
    );
    let own = config(&[
        ("PROPTECH_TEST_SECRETS", "1"),
        ("VALARA_SECRET", "mine,old"),
    ]);
    assert!(
        own.contains("probe: started with valara [\"mine\", \"old\"]"),
        "set secrets win over the test ones: {own}"
    );
}

/// Run by `the_example_refuses_to_start_without_secrets` in a child process.
#[test]
#[ignore = "run in a child process by the_example_refuses_to_start_without_secrets"]
fn config_probe() {
    if std::env::var("PROPTECH_CONFIG_PROBE").is_err() {
        return;
    }
    match receiver::Config::from_env() {
        Ok(c) => println!("probe: started with valara {:?}", c.valara),
        Err(why) => println!("probe: refused: {why}"),
    }
}
