//! `sign`: its headers checked by an implementation of each documented recipe written here, with
//! `hmac` and `sha2`, and by the published test vectors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{LAVANDA_SECRET, REPULL_SECRET, VALARA_SECRET, run, schema_file, scratch};

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The `Name: value` lines, as pairs.
fn headers(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("Name: value");
            (n.to_owned(), v.to_owned())
        })
        .collect()
}

fn get<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    &headers
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
        .1
}

#[test]
fn the_standard_webhooks_vector_for_lavanda() {
    let body = scratch("sw-vector.json", br#"{"test": 2432232314}"#);
    let (code, stdout, stderr) = run(&[
        "sign",
        "--provider",
        "lavanda",
        "--secret",
        LAVANDA_SECRET,
        "--id",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "--timestamp",
        "1614265330",
        &body,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let h = headers(&stdout);
    assert_eq!(get(&h, "webhook-id"), "msg_p5jXN8AQM9LWM0D4loKWxJek");
    assert_eq!(get(&h, "webhook-timestamp"), "1614265330");
    assert_eq!(
        get(&h, "webhook-signature"),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn the_valara_vector_of_the_docs() {
    // Valara's docs print this signature for the sample body, secret and timestamp.
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, stderr) = run(&["sign", "-p", "valara", "-s", VALARA_SECRET, &body]);
    assert_eq!(code, 0, "{stderr}");
    let h = headers(&stdout);
    assert_eq!(
        get(&h, "X-Webhook-Signature"),
        "sha256=4f35d1f6e790fd669a03753a27e8e3bb0a1cb152254e76c307721a12d080dd48"
    );
    assert_eq!(get(&h, "X-Webhook-Timestamp"), "1745339401");
    assert_eq!(
        get(&h, "X-Webhook-Event-Id"),
        "evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2"
    );
}

#[test]
fn every_recipe_recomputed_independently() {
    // A body none of the vectors use, with a trailing newline that must be signed too.
    let bytes = b"{\"event_id\":\"evt_01J0000000000000000000000Z\",\"timestamp\":1800000123,\"x\":\"\xc3\xa9\"}\n";
    let body = scratch("independent.json", bytes);

    // Valara: "sha256=" + hex(HMAC(secret, "{timestamp}.{body}")).
    let (_, stdout, _) = run(&["sign", "-p", "valara", "-s", "k-valara", &body]);
    let h = headers(&stdout);
    let mut signed = b"1800000123.".to_vec();
    signed.extend_from_slice(bytes);
    assert_eq!(
        get(&h, "X-Webhook-Signature"),
        format!("sha256={}", hex::encode(hmac(b"k-valara", &signed)))
    );
    assert_eq!(
        get(&h, "X-Webhook-Event-Id"),
        "evt_01J0000000000000000000000Z"
    );

    // Repull: hex(HMAC(the whole whsec_ string, body)).
    let (_, stdout, _) = run(&["sign", "-p", "repull", "-s", REPULL_SECRET, &body]);
    let h = headers(&stdout);
    assert_eq!(
        get(&h, "X-Repull-Signature"),
        hex::encode(hmac(REPULL_SECRET.as_bytes(), bytes))
    );

    // Lavanda: "v1," + base64(HMAC(base64-decoded secret, "{id}.{timestamp}.{body}")).
    let (_, stdout, _) = run(&[
        "sign",
        "-p",
        "lavanda",
        "-s",
        LAVANDA_SECRET,
        "--id",
        "msg_x",
        "--timestamp",
        "42",
        &body,
    ]);
    let h = headers(&stdout);
    let key = STANDARD.decode(&LAVANDA_SECRET[6..]).expect("base64");
    let mut signed = b"msg_x.42.".to_vec();
    signed.extend_from_slice(bytes);
    assert_eq!(
        get(&h, "webhook-signature"),
        format!("v1,{}", STANDARD.encode(hmac(&key, &signed)))
    );
    // Without --id and --timestamp: a fresh msg_ id and the current time.
    let (_, stdout, _) = run(&["sign", "-p", "lavanda", "-s", LAVANDA_SECRET, &body]);
    let h = headers(&stdout);
    assert!(get(&h, "webhook-id").starts_with("msg_"));
    let ts: i64 = get(&h, "webhook-timestamp").parse().expect("digits");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!((now - ts).abs() < 60, "{ts} vs {now}");
}

#[test]
fn everreal_signs_nothing_and_bad_input_is_one_line() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, stderr) = run(&["sign", "-p", "everreal", "-s", "unused", &body]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "Content-Type: application/json\n");
    assert!(
        stderr.contains("EverReal documents no signature"),
        "{stderr}"
    );

    let no_timestamp = scratch("no-ts.json", br#"{"event_id":"evt_1"}"#);
    let (code, stdout, stderr) = run(&["sign", "-p", "valara", "-s", "k", &no_timestamp]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("pass --timestamp"), "{stderr}");

    let (code, _, stderr) = run(&["sign", "-p", "lavanda", "-s", "whsec_!!!", &no_timestamp]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not valid base64"), "{stderr}");
    assert!(
        !stderr.contains('!') && !stderr.contains("symbol") && !stderr.contains("offset"),
        "a secret's text and its faults are never echoed: {stderr}"
    );

    let (code, _, stderr) = run(&["sign", "-p", "repull", "-s", "k", "/no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: cannot read /no/such/file.json"),
        "{stderr}"
    );
}
