//! Receiving: the documented test vectors verify, and every kind of bad input gets its expected,
//! typed rejection. Built with overflow checks on (the test profile), nothing may panic.

use hmac::Mac;
use proptech_events::receive::{
    EverrealReceiver, LavandaReceiver, Options, ReceiveError, Receiver, RepullReceiver,
    SecretError, Unverified, ValaraReceiver, Verified,
};
use proptech_events::{everreal, repull, valara};

/// The `webhook-signature` value for `body`: one `v1,<base64>` entry per secret.
fn sign_lavanda<S: AsRef<str>>(
    secrets: &[S],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, proptech_events::receive::SecretError> {
    <proptech_events::receive::LavandaReceiver as proptech_events::receive::Receiver>::signature(
        secrets, id, timestamp, body,
    )
}

/// The `X-Repull-Signature` value Repull sends for `body`.
fn sign_repull(secret: &str, body: &[u8]) -> String {
    <proptech_events::receive::RepullReceiver as proptech_events::receive::Receiver>::signature(
        &[secret],
        "",
        0,
        body,
    )
    .expect("any secret signs")
}

/// The `X-Webhook-Signature` value Valara sends for `body` at `timestamp`.
fn sign_valara(secret: &str, timestamp: i64, body: &[u8]) -> String {
    <proptech_events::receive::ValaraReceiver as proptech_events::receive::Receiver>::signature(
        &[secret],
        "",
        timestamp,
        body,
    )
    .expect("any secret signs")
}

const LAVANDA_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ROTATED_SECRET: &str = "whsec_c2VjcmV0LW9mLWEtcm90YXRlZC1lbmRwb2ludA==";
const REPULL_SECRET: &str = "whsec_k7d9f2example";
const VALARA_SECRET: &str = "test_secret_001";
const NOW: i64 = 1_800_000_000;
/// 2026-05-02T00:00:00Z: inside Repull's replay horizon of its samples (`createdAt` 2026-05-01).
const REPULL_NOW: i64 = 1_777_680_000;
const EVT: &str = "evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2";

fn schemas() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(schemas().join(path)).expect("fixture")
}

fn code<T>(r: &Result<T, ReceiveError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// The seed 001 body, re-stamped at `ts`.
fn valara_body(ts: i64) -> Vec<u8> {
    let text = String::from_utf8(fixture("valara/fixtures/listing.updated.json")).expect("utf8");
    text.replace("1745339401", &ts.to_string()).into_bytes()
}

/// Valara's signature over any timestamp text (the public signer takes a number).
fn sign_valara_text(ts: &str, body: &[u8]) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(VALARA_SECRET.as_bytes()).expect("key");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Valara headers for `body`, signed over the timestamp text `ts`.
fn valara_headers(body: &[u8], ts: &str, event_id: &str) -> Vec<(String, String)> {
    vec![
        ("X-Webhook-Signature".into(), sign_valara_text(ts, body)),
        ("X-Webhook-Timestamp".into(), ts.into()),
        ("X-Webhook-Event-Id".into(), event_id.into()),
    ]
}

fn valara() -> ValaraReceiver {
    ValaraReceiver::new([VALARA_SECRET]).expect("secret")
}

// ------------------------------------------------------------------------------------------------
// Documented vectors
// ------------------------------------------------------------------------------------------------

#[test]
fn the_valara_seed_001_vector_verifies() {
    let set = proptech_catalog::SchemaSet::load(schemas()).expect("schema set");
    let fixture = set
        .fixtures()
        .expect("fixtures")
        .into_iter()
        .find(|f| f.key() == "valara/listing.updated.json")
        .expect("the seed 001 sample");
    let vector = fixture.vector.expect("the documented signature");
    let body = std::fs::read(&fixture.path).expect("body");
    assert_eq!(
        sign_valara(&vector.secret, vector.timestamp, &body),
        vector.signature
    );
    let headers = [
        ("X-Webhook-Signature", vector.signature.clone()),
        ("X-Webhook-Timestamp", vector.timestamp.to_string()),
        ("X-Webhook-Event-Id", vector.event_id.clone()),
    ];
    let receiver = ValaraReceiver::new([&vector.secret]).expect("secret");
    let got: Verified<valara::Event> = receiver
        .receive_at(&headers, &body, vector.timestamp + 30)
        .expect("the vector verifies");
    assert_eq!(got.id(), vector.event_id);
    assert_eq!(got.timestamp(), Some(vector.timestamp));
    assert!(matches!(got.into_event(), valara::Event::ListingUpdated(_)));
}

#[test]
fn the_standard_webhooks_vector_verifies() {
    // The Standard Webhooks specification's reference vector.
    let (id, ts, body) = (
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
    );
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert_eq!(
        sign_lavanda(&[LAVANDA_SECRET], id, ts, body).expect("secret"),
        expected
    );
    let headers = [
        ("webhook-id", id),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", expected),
    ];
    // The signature verifies; the vector's body is not a Lavanda event, so parsing stops there.
    let receiver = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
    let err = receiver
        .receive_at(&headers, body, ts)
        .expect_err("not an event");
    assert_eq!(err.code(), "type_mismatch", "{err}");
    // Without the whsec_ prefix the secret is the same key.
    let bare = LavandaReceiver::new([&LAVANDA_SECRET[6..]]).expect("secret");
    assert_eq!(code(&bare.receive_at(&headers, body, ts)), "type_mismatch");
    let other = LavandaReceiver::new([ROTATED_SECRET]).expect("secret");
    assert_eq!(code(&other.receive_at(&headers, body, ts)), "bad_signature");
}

#[test]
fn every_provider_round_trips_signer_and_verifier() {
    let body = valara_body(NOW);
    let headers = [
        (
            "X-Webhook-Signature",
            sign_valara(VALARA_SECRET, NOW, &body),
        ),
        ("X-Webhook-Timestamp", NOW.to_string()),
        ("X-Webhook-Event-Id", EVT.to_owned()),
    ];
    let v = valara().with_clock(|| NOW);
    assert_eq!(code(&v.receive(&headers, &body)), "ok");

    let body = fixture("repull/fixtures/reservation.created.event-page.json");
    let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let r = RepullReceiver::new([REPULL_SECRET])
        .expect("secret")
        .with_clock(|| REPULL_NOW);
    let got = r.receive(&headers, &body).expect("verifies");
    assert!(matches!(got.event(), repull::Event::ReservationCreated(_)));
    assert_eq!((got.id(), got.timestamp()), ("evt_01HX5XPQ2K", None));
    let again = r
        .receive(&headers, &body)
        .expect("receive does not deduplicate");
    assert_eq!(
        again.dedupe_keys(),
        got.dedupe_keys(),
        "a retry reuses the deliveryId, so its key"
    );

    let body = fixture("lavanda/fixtures/v1.booking.created.json");
    let sig = sign_lavanda(&[LAVANDA_SECRET], "msg_1", NOW, &body).expect("secret");
    let headers = [
        ("svix-id", "msg_1".to_owned()),
        ("svix-timestamp", NOW.to_string()),
        ("svix-signature", sig),
    ];
    let l = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
    assert_eq!(
        code(&l.receive_at(&headers, &body, NOW)),
        "ok",
        "svix- headers are read too"
    );
}

#[test]
fn everreal_is_unverified_by_name_and_by_type() {
    let body = br#"{"uuid":"u-1","operation":"OWNER_CREATED","subdomain":"acme","language":"de","createdAt":"2026-05-01T12:00:00Z","data":{}}"#;
    let receiver = EverrealReceiver::unverified();
    let got: Unverified<everreal::Event> = receiver
        .receive_unverified(&[("x", "y")], body)
        .expect("parses");
    assert_eq!(got.id(), "u-1");
    assert_eq!(got.event().event_type(), "OWNER_CREATED");
    assert_eq!(
        got.dedupe_keys()[0].partition(),
        proptech_events::receive::Partition::Unverified
    );
}

// ------------------------------------------------------------------------------------------------
// Bad input, each with its expected result
// ------------------------------------------------------------------------------------------------

#[test]
fn valara_bad_input() {
    let mut report = Vec::new();
    let mut check =
        |what: &str, expected: &str, result: Result<Verified<valara::Event>, ReceiveError>| {
            let got = code(&result);
            let detail = result.err().map(|e| e.to_string()).unwrap_or_default();
            report.push(format!("{what}: {got} {detail}"));
            assert_eq!(got, expected, "{what}: {detail}");
        };
    let body = valara_body(NOW);
    let ok = valara_headers(&body, &NOW.to_string(), EVT);
    check("valid", "ok", valara().receive_at(&ok, &body, NOW));

    let mut changed = body.clone();
    changed[10] ^= 1;
    check(
        "one byte of the body changed",
        "bad_signature",
        valara().receive_at(&ok, &changed, NOW),
    );
    let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let reserialized = serde_json::to_vec(&value).expect("ser");
    check(
        "body re-serialised",
        "bad_signature",
        valara().receive_at(&ok, &reserialized, NOW),
    );

    for missing in [
        "X-Webhook-Signature",
        "X-Webhook-Timestamp",
        "X-Webhook-Event-Id",
    ] {
        let headers: Vec<_> = ok.iter().filter(|(k, _)| k != missing).cloned().collect();
        check(
            &format!("{missing} missing"),
            "missing_header",
            valara().receive_at(&headers, &body, NOW),
        );
    }
    let upper: Vec<_> = ok
        .iter()
        .map(|(k, v)| (k.to_uppercase(), v.clone()))
        .collect();
    check(
        "header names in upper case",
        "ok",
        valara().receive_at(&upper, &body, NOW),
    );
    let lower: Vec<_> = ok
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    check(
        "header names in lower case",
        "ok",
        valara().receive_at(&lower, &body, NOW),
    );
    let mut map = http::HeaderMap::new();
    for (k, v) in &ok {
        map.insert(
            http::HeaderName::try_from(k.as_str()).expect("name"),
            v.parse().expect("value"),
        );
    }
    check(
        "an http::HeaderMap",
        "ok",
        valara().receive_at(&map, &body, NOW),
    );

    let with = |sig: &str| {
        let mut h = ok.clone();
        h[0].1 = sig.to_owned();
        valara().receive_at(&h, &body, NOW)
    };
    let good = ok[0].1.clone();
    check(
        "signature without sha256=",
        "invalid_header",
        with(&good[7..]),
    );
    check(
        "signature truncated",
        "invalid_header",
        with(&good[..good.len() - 2]),
    );
    check(
        "signature not hex",
        "invalid_header",
        with(&format!("sha256={}", "zz".repeat(32))),
    );
    check(
        "signature of another secret",
        "bad_signature",
        with(&sign_valara("other", NOW, &body)),
    );
    check("signature empty", "invalid_header", with(""));

    // Timestamps at the window's edge and one second past it, both ways; extremes.
    for (what, ts, expected) in [
        ("300 s behind", NOW - 300, "ok"),
        ("301 s behind", NOW - 301, "timestamp_out_of_window"),
        ("300 s ahead", NOW + 300, "ok"),
        ("301 s ahead", NOW + 301, "timestamp_out_of_window"),
        ("i64::MAX", i64::MAX, "timestamp_out_of_window"),
        ("zero", 0, "timestamp_out_of_window"),
    ] {
        let body = valara_body(ts);
        let headers = valara_headers(&body, &ts.to_string(), EVT);
        check(
            &format!("timestamp {what}"),
            expected,
            valara().receive_at(&headers, &body, NOW),
        );
    }
    for text in [
        i64::MIN.to_string(),
        "-1".into(),
        "12345678901234567890".into(),
        String::new(),
        format!("+{NOW}"),
        format!(" {NOW}"),
        format!("{NOW}.0"),
    ] {
        let headers = valara_headers(&body, &text, EVT);
        check(
            &format!("timestamp {text:?}"),
            "invalid_header",
            valara().receive_at(&headers, &body, NOW),
        );
    }

    let other_id = valara_headers(&body, &NOW.to_string(), "evt_01HY0000000000000000000000");
    check(
        "event id header differs from the body",
        "header_body_mismatch",
        valara().receive_at(&other_id, &body, NOW),
    );
    let later = valara_body(NOW + 5);
    let mismatch = valara_headers(&later, &NOW.to_string(), EVT);
    check(
        "timestamp header differs from the body",
        "header_body_mismatch",
        valara().receive_at(&mismatch, &later, NOW),
    );

    let receiver = valara();
    check("first delivery", "ok", receiver.receive_at(&ok, &body, NOW));
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn valara_verifies_under_any_active_secret() {
    let body = valara_body(NOW);
    let headers = valara_headers(&body, &NOW.to_string(), EVT);
    for secrets in [
        vec!["old", VALARA_SECRET],
        vec![VALARA_SECRET, "old"],
        vec!["a", VALARA_SECRET, "b"],
    ] {
        let r = ValaraReceiver::new(secrets.clone()).expect("secrets");
        assert_eq!(
            code(&r.receive_at(&headers, &body, NOW)),
            "ok",
            "{secrets:?}"
        );
    }
    let r = ValaraReceiver::new(["a", "b"]).expect("secrets");
    assert_eq!(code(&r.receive_at(&headers, &body, NOW)), "bad_signature");
}

#[test]
fn lavanda_signatures_among_decoys() {
    let body = fixture("lavanda/fixtures/v1.booking.created.json");
    let good = sign_lavanda(&[LAVANDA_SECRET], "msg_2", NOW, &body).expect("sign");
    let decoy = sign_lavanda(&[ROTATED_SECRET], "msg_2", NOW, &body).expect("sign");
    let run = |sig: String| {
        let headers = [
            ("webhook-id", "msg_2".to_owned()),
            ("webhook-timestamp", NOW.to_string()),
            ("webhook-signature", sig),
        ];
        let receiver = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
        code(&receiver.receive_at(&headers, &body, NOW))
    };
    assert_eq!(run(format!("{good} {decoy} {decoy}")), "ok", "first");
    assert_eq!(run(format!("{decoy} {good} {decoy}")), "ok", "middle");
    assert_eq!(run(format!("{decoy} {decoy} {good}")), "ok", "last");
    assert_eq!(
        run(format!("{decoy} {decoy}")),
        "bad_signature",
        "only decoys"
    );
    assert_eq!(run("v1,".into()), "invalid_header", "v1, alone");
    assert_eq!(
        run("v1,!!!not-base64!!!".into()),
        "invalid_header",
        "not base64"
    );
    assert_eq!(
        run(good[..good.len() - 8].to_owned()),
        "bad_signature",
        "truncated"
    );
    assert_eq!(
        run(good.replace("v1,", "v2,")),
        "invalid_header",
        "another version only"
    );
    assert_eq!(
        run(format!("v2,{} {good}", &good[3..])),
        "ok",
        "unknown versions are skipped"
    );

    let rotated = LavandaReceiver::new([ROTATED_SECRET, LAVANDA_SECRET]).expect("secrets");
    let sig = sign_lavanda(&[LAVANDA_SECRET], "msg_3", NOW, &body).expect("sign");
    let headers = [
        ("webhook-id", "msg_3".to_owned()),
        ("webhook-timestamp", NOW.to_string()),
        ("webhook-signature", sig),
    ];
    assert_eq!(code(&rotated.receive_at(&headers, &body, NOW)), "ok");
    for (what, ts, expected) in [
        ("at the edge behind", NOW - 300, "ok"),
        ("past the edge behind", NOW - 301, "timestamp_out_of_window"),
        ("at the edge ahead", NOW + 300, "ok"),
        ("past the edge ahead", NOW + 301, "timestamp_out_of_window"),
    ] {
        let id = format!("msg_{ts}");
        let headers = [
            ("webhook-id", id.clone()),
            ("webhook-timestamp", ts.to_string()),
            (
                "webhook-signature",
                sign_lavanda(&[LAVANDA_SECRET], &id, ts, &body).expect("sign"),
            ),
        ];
        let receiver = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
        assert_eq!(
            code(&receiver.receive_at(&headers, &body, NOW)),
            expected,
            "{what}"
        );
    }
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let h: Vec<_> = headers
            .iter()
            .filter(|(k, _)| *k != missing)
            .cloned()
            .collect();
        let receiver = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
        let err = receiver.receive_at(&h, &body, NOW).expect_err("missing");
        assert!(
            matches!(err, ReceiveError::MissingHeader { name } if name == missing),
            "{err}"
        );
    }
}

#[test]
fn secrets_are_checked_when_a_receiver_is_built() {
    assert_eq!(ValaraReceiver::new([""]).unwrap_err(), SecretError::Empty);
    assert_eq!(
        RepullReceiver::new(Vec::<String>::new()).unwrap_err(),
        SecretError::NoSecrets
    );
    assert_eq!(
        LavandaReceiver::new(["whsec_"]).unwrap_err(),
        SecretError::Empty
    );
    assert!(matches!(
        LavandaReceiver::new(["whsec_not base64!"]).unwrap_err(),
        SecretError::NotBase64
    ));
    // Repull's key is the literal string: the same secret without its prefix is another key.
    let body = fixture("repull/fixtures/reservation.created.event-page.json");
    let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let without = RepullReceiver::new([&REPULL_SECRET[6..]])
        .expect("secret")
        .with_clock(|| REPULL_NOW);
    assert_eq!(code(&without.receive(&headers, &body)), "bad_signature");
    let repull_bad = |sig: &str| {
        let r = RepullReceiver::new([REPULL_SECRET])
            .expect("secret")
            .with_clock(|| REPULL_NOW);
        code(&r.receive(&[("X-Repull-Signature", sig)], &body))
    };
    assert_eq!(repull_bad("not hex"), "invalid_header");
    assert_eq!(repull_bad(&headers[0].1[..60]), "invalid_header");
    assert_eq!(
        repull_bad(&format!("sha256={}", headers[0].1)),
        "invalid_header"
    );
}

#[test]
fn hostile_bodies_are_rejected_without_panicking() {
    let run = |body: &[u8]| {
        let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, body))];
        RepullReceiver::new([REPULL_SECRET])
            .expect("secret")
            .with_clock(|| REPULL_NOW)
            .receive(&headers, body)
    };
    let mut deep = vec![b'['; 100_000];
    deep.extend(vec![b']'; 100_000]);
    // Deep inside a member typed as free JSON, where the parser has to descend.
    let mut deep_data = br#"{"type":"ai.operation.completed","deliveryId":"d","createdAt":"2026-05-01T12:34:56Z","data":{"operationId":"o","type":"t","inputSummary":"s","tokensUsed":1,"completedAt":"2026-05-01T12:34:56Z","output":{"deep":"#.to_vec();
    deep_data.extend(vec![b'['; 100_000]);
    deep_data.extend(vec![b']'; 100_000]);
    deep_data.extend(b"}}}");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not UTF-8", b"{\"type\":\"\xff\xfe\",\"deliveryId\":\"d\"}".to_vec(), "malformed_json"),
        ("JSON nested 100,000 deep", deep, "malformed_json"),
        ("a free-JSON member nested 100,000 deep", deep_data, "malformed_json"),
        (
            "duplicate keys",
            br#"{"type":"repull.ping","type":"repull.ping","deliveryId":"d","createdAt":"2026-05-01T12:34:56Z","data":{"message":"m"}}"#.to_vec(),
            "type_mismatch",
        ),
        (
            "1e400 in a known member",
            br#"{"type":"ai.operation.completed","deliveryId":"d2","createdAt":"2026-05-01T12:34:56Z","data":{"operationId":"o","type":"t","inputSummary":"s","output":{},"tokensUsed":1e400,"completedAt":"2026-05-01T12:34:56Z"}}"#.to_vec(),
            "malformed_json",
        ),
        (
            "1e400 in an unknown member, skipped like any unknown member",
            br#"{"type":"repull.ping","deliveryId":"d5","createdAt":"2026-05-01T12:34:56Z","data":{"message":"m","n":1e400}}"#.to_vec(),
            "ok",
        ),
        ("not an object", b"[1,2,3]".to_vec(), "malformed_json"),
        ("empty", Vec::new(), "malformed_json"),
        (
            "an unknown event type",
            br#"{"type":"sync.completed","deliveryId":"d3","createdAt":"2026-05-01T12:34:56Z"}"#.to_vec(),
            "ok",
        ),
        (
            "an unknown event type, undated",
            br#"{"type":"sync.completed","deliveryId":"d4"}"#.to_vec(),
            "type_mismatch",
        ),
    ];
    let mut report = Vec::new();
    for (what, body, expected) in cases {
        let result = run(&body);
        let detail = result
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default();
        report.push(format!("{what}: {} {detail}", code(&result)));
        assert_eq!(code(&result), expected, "{what}: {detail}");
    }
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn a_body_over_the_limit_is_rejected_before_anything_else() {
    let limit = Options::default().with_max_body(1024);
    let big = vec![b' '; 1025];
    let r = RepullReceiver::new([REPULL_SECRET])
        .expect("secret")
        .with_options(limit.clone());
    // The headers are not even looked at: the size is checked first.
    let err = r.receive(&[("x", "y")], &big).expect_err("too large");
    assert!(
        matches!(
            err,
            ReceiveError::BodyTooLarge {
                size: 1025,
                limit: 1024
            }
        ),
        "{err}"
    );
    let v = valara().with_options(limit.clone());
    assert_eq!(code(&v.receive(&[("x", "y")], &big)), "body_too_large");
    let l = LavandaReceiver::new([LAVANDA_SECRET])
        .expect("secret")
        .with_options(limit.clone());
    assert_eq!(code(&l.receive(&[("x", "y")], &big)), "body_too_large");
    let e = EverrealReceiver::unverified().with_options(limit);
    assert_eq!(
        code(&e.receive_unverified(&[("x", "y")], &big)),
        "body_too_large"
    );
}

#[test]
fn check_signature_names_what_was_signed_and_ignores_the_window() {
    // Valara: the seed vector, checked years after its timestamp: the signature still matches.
    let body = fixture("valara/fixtures/listing.updated.json");
    let headers = valara_headers(&body, "1745339401", EVT);
    let check = valara().check_signature(&headers, &body).expect("headers");
    assert!(check.matches);
    assert_eq!(check.header, "X-Webhook-Signature");
    assert_eq!(check.signed_prefix, "1745339401.");
    assert_eq!(check.timestamp, Some(1_745_339_401));
    let mut signed = b"1745339401.".to_vec();
    signed.extend_from_slice(&body);
    assert_eq!(check.signed_content(&body), signed);
    let mut newline = body.clone();
    newline.push(b'\n');
    assert!(
        !valara()
            .check_signature(&headers, &newline)
            .expect("headers")
            .matches
    );
    let missing = [("X-Webhook-Signature", "sha256=00")];
    let err = valara()
        .check_signature(&missing, &body)
        .expect_err("no timestamp");
    assert!(matches!(
        err,
        ReceiveError::MissingHeader {
            name: "X-Webhook-Timestamp"
        }
    ));

    // Repull signs the body alone.
    let body = fixture("repull/fixtures/repull.ping.json");
    let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let r = RepullReceiver::new([REPULL_SECRET])
        .expect("secret")
        .with_clock(|| REPULL_NOW);
    let check = r.check_signature(&headers, &body).expect("header");
    assert!(check.matches);
    assert_eq!((check.signed_prefix.as_str(), check.timestamp), ("", None));
    let other = RepullReceiver::new(["whsec_other"])
        .expect("secret")
        .with_clock(|| REPULL_NOW);
    assert!(
        !other
            .check_signature(&headers, &body)
            .expect("header")
            .matches
    );
    let bad = [("X-Repull-Signature", "zz")];
    assert_eq!(
        r.check_signature(&bad, &body).expect_err("not hex").code(),
        "invalid_header"
    );

    // Lavanda: the Standard Webhooks vector, far outside the window.
    let body = br#"{"test": 2432232314}"#;
    let headers = [
        ("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        ("svix-timestamp", "1614265330"),
        (
            "svix-signature",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ),
    ];
    let l = LavandaReceiver::new([LAVANDA_SECRET]).expect("secret");
    let check = l.check_signature(&headers, body).expect("headers");
    assert!(check.matches);
    assert_eq!(check.header, "svix-signature");
    assert_eq!(
        check.signed_prefix,
        "msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330."
    );
    assert!(
        !l.check_signature(&headers, br#"{"test":2432232314}"#)
            .expect("headers")
            .matches
    );
}

#[cfg(feature = "validate")]
#[test]
fn schema_violations_lists_every_violation_with_its_expectation() {
    use proptech_events::Provider;
    use proptech_events::receive::schema_violations;

    let mut delivery: serde_json::Value =
        serde_json::from_slice(&fixture("repull/fixtures/reservation.cancelled.json"))
            .expect("json");
    // The printed sample has a placeholder type (errata.toml).
    delivery["type"] = serde_json::json!("reservation.cancelled");
    assert_eq!(
        schema_violations(Provider::Repull, "reservation.cancelled", &delivery),
        Some(vec![]),
        "the documented sample is valid"
    );
    delivery["data"]["id"] = serde_json::json!("215906");
    delivery["createdAt"] = serde_json::json!("yesterday");
    let violations =
        schema_violations(Provider::Repull, "reservation.cancelled", &delivery).expect("known");
    let id = violations
        .iter()
        .find(|v| v.instance_path == "/data/id")
        .expect("the id's type");
    assert_eq!(id.keyword, "type");
    assert_eq!(id.expected, Some(serde_json::json!("integer")));
    assert!(id.description.is_some(), "{id:?}");
    let created = violations
        .iter()
        .find(|v| v.instance_path == "/createdAt")
        .expect("the date-time");
    assert_eq!(created.keyword, "format");
    assert_eq!(created.expected, Some(serde_json::json!("date-time")));
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert_eq!(
        schema_violations(Provider::Repull, "no.such.event", &delivery),
        None
    );
}

#[test]
fn repull_rejects_a_delivery_older_than_its_replay_horizon() {
    let body = fixture("repull/fixtures/repull.ping.json");
    let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let r = RepullReceiver::new([REPULL_SECRET]).expect("secret");
    let created = 1_777_638_896; // the sample's createdAt, 2026-05-01T12:34:56Z
    let documented = proptech_events::Provider::Repull
        .contract()
        .horizon
        .as_ref();
    assert_eq!(
        documented.map(|h| h.seconds),
        Some(7 * 86_400),
        "the 7 days Repull replays"
    );
    let horizon = 7 * 86_400 + Options::default().tolerance;
    assert_eq!(r.horizon(), Some(horizon));
    let edge = created + i64::try_from(horizon).expect("fits");
    assert!(
        r.receive_at(&headers, &body, edge).is_ok(),
        "at the horizon"
    );
    let err = r
        .receive_at(&headers, &body, edge + 1)
        .expect_err("past it");
    assert_eq!((err.code(), err.status()), ("stale", 401), "{err}");
    assert!(err.to_string().contains("2026-05-01T12:34:56"), "{err}");
    // Dated ahead of the clock by more than the tolerance: it would never grow stale.
    let ahead = created - i64::try_from(Options::default().tolerance).expect("fits") - 1;
    let err = r
        .receive_at(&headers, &body, ahead)
        .expect_err("from the future");
    assert_eq!(err.code(), "timestamp_out_of_window", "{err}");
    assert!(
        r.receive_at(&headers, &body, ahead + 1).is_ok(),
        "within the tolerance"
    );
    // A forged body is refused for its signature before its age is looked at.
    let forged = [("X-Repull-Signature", sign_repull("whsec_other", &body))];
    assert_eq!(
        code(&r.receive_at(&forged, &body, edge + 1)),
        "bad_signature"
    );
    // Every delivery young enough to pass is still remembered once done: the keys outlive the
    // horizon, whatever the configured dedupe window.
    let short = r.with_options(Options::default().with_dedupe_window(60));
    // A delivery dated the tolerance ahead is accepted until the horizon and the tolerance have
    // passed since it arrived: its id is kept that long.
    let keep = horizon + Options::default().tolerance;
    assert_eq!(short.dedupe_window(), keep);
    let got = short.receive_at(&headers, &body, edge).expect("inside");
    assert!(got.dedupe_keys().iter().all(|k| k.window() == keep));
}

#[test]
fn repull_refuses_an_undated_delivery_and_an_empty_id() {
    let r = RepullReceiver::new([REPULL_SECRET]).expect("secret");
    let now = 1_777_680_000;
    let signed = |body: &str| {
        let headers = [(
            "X-Repull-Signature",
            sign_repull(REPULL_SECRET, body.as_bytes()),
        )];
        r.receive_at(&headers, body.as_bytes(), now)
            .map(|d| d.id().to_owned())
            .map_err(|e| (e.code(), e.to_string()))
    };
    // An event type this version does not know holds its body to nothing: without its date it
    // could be replayed for ever once its id has left the store.
    for dated in [
        String::new(),
        r#","createdAt":null"#.to_owned(),
        r#","createdAt":"2020-01-01 junk""#.to_owned(),
    ] {
        let body = format!(r#"{{"type":"reservation.future_thing","deliveryId":"d1"{dated}}}"#);
        let err = signed(&body).expect_err("undated");
        assert_eq!(err.0, "type_mismatch", "{body}: {}", err.1);
        assert!(err.1.contains("/createdAt"), "{}", err.1);
    }
    let dated = r#"{"type":"reservation.future_thing","deliveryId":"d1","createdAt":"2026-05-01T12:34:56Z"}"#;
    assert_eq!(signed(dated), Ok("d1".to_owned()));
    let empty =
        r#"{"type":"reservation.future_thing","deliveryId":"","createdAt":"2026-05-01T12:34:56Z"}"#;
    let err = signed(empty).expect_err("an empty id");
    assert_eq!(err.0, "type_mismatch", "{}", err.1);
    assert!(err.1.contains("/deliveryId"), "{}", err.1);
}

#[test]
fn valaras_nonce_window_covers_the_tolerance() {
    let v = ValaraReceiver::new([VALARA_SECRET]).expect("secret");
    assert_eq!(v.nonce_window(), Some(600), "the documented 10 minutes");
    let wide = v.with_options(Options::default().with_tolerance(900));
    assert_eq!(
        wide.nonce_window(),
        Some(1_800),
        "a timestamp is accepted for twice the tolerance, so its nonce is kept as long"
    );
}

#[cfg(feature = "process")]
#[test]
fn namespaces_keep_tenants_sharing_a_store_apart() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let store: std::sync::Arc<dyn proptech_events::receive::IdempotencyStore> =
        std::sync::Arc::new(proptech_events::receive::InMemoryStore::default());
    let body = fixture("repull/fixtures/repull.ping.json");
    let headers = [("X-Repull-Signature", sign_repull(REPULL_SECRET, &body))];
    let tenant = |name: &str| {
        RepullReceiver::new([REPULL_SECRET])
            .expect("secret")
            .with_clock(|| REPULL_NOW)
            .with_store(std::sync::Arc::clone(&store))
            .with_namespace(name)
    };
    let handled = |r: &RepullReceiver| {
        matches!(
            runtime.block_on(r.process(&headers, &body, |_| async { Ok::<_, String>(()) })),
            Ok(proptech_events::receive::Processed::Handled(()))
        )
    };
    let (a, b) = (tenant("tenant-a"), tenant("tenant-b"));
    assert!(handled(&a), "tenant a processes the delivery");
    assert!(
        handled(&b),
        "tenant b processes its own delivery of the same id"
    );
    assert!(
        !handled(&a),
        "a duplicate within one tenant is not processed again"
    );
}
