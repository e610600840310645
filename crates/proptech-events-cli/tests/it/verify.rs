//! `verify`: a captured delivery that verifies, and one of each failure class, explained.

use crate::{LAVANDA_SECRET, REPULL_SECRET, VALARA_SECRET, run, schema_file, scratch};

const SIGNATURE: &str =
    "X-Webhook-Signature: sha256=4f35d1f6e790fd669a03753a27e8e3bb0a1cb152254e76c307721a12d080dd48";
const TIMESTAMP: &str = "X-Webhook-Timestamp: 1745339401";
const EVENT_ID: &str = "X-Webhook-Event-Id: evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2";

/// `verify` of a Valara capture of the documented vector, with `headers`, at `now`.
fn valara(body: &str, headers: &[&str], now: &str) -> (i32, String, String) {
    let mut args = vec!["verify", "-p", "valara", "-s", VALARA_SECRET, "--now", now];
    for h in headers {
        args.extend(["-H", h]);
    }
    args.push(body);
    run(&args)
}

fn documented_body() -> Vec<u8> {
    std::fs::read(schema_file("valara/fixtures/listing.updated.json")).expect("fixture")
}

#[test]
fn the_documented_vector_verifies() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, _) = valara(&body, &[SIGNATURE, TIMESTAMP, EVENT_ID], "1745339401");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.starts_with("verified: valara listing.updated (id evt_4HVGMBFKYZ6D7ETQ43T30RNRQ2)"),
        "{stdout}"
    );
}

#[test]
fn a_missing_header_is_named() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, _) = valara(&body, &[SIGNATURE, EVENT_ID], "1745339401");
    assert_eq!(code, 1);
    assert!(stdout.contains("[missing_header]"), "{stdout}");
    assert!(
        stdout.contains("The X-Webhook-Timestamp header is missing."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Headers given: X-Webhook-Signature, X-Webhook-Event-Id."),
        "{stdout}"
    );
}

#[test]
fn a_malformed_header_is_named_with_what_is_wrong() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, _) = valara(
        &body,
        &["X-Webhook-Signature: 4f35d1f6", TIMESTAMP, EVENT_ID],
        "1745339401",
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("The X-Webhook-Signature header is malformed: expected sha256=<hex>."),
        "{stdout}"
    );
    let (code, stdout, _) = valara(
        &body,
        &[SIGNATURE, "X-Webhook-Timestamp: 17453394o1", EVENT_ID],
        "1745339401",
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "The X-Webhook-Timestamp header is malformed: expected Unix seconds as digits"
        ),
        "{stdout}"
    );
}

#[test]
fn a_wrong_secret_shows_the_signed_string_but_never_the_secret() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, stdout, stderr) = run(&[
        "verify",
        "-p",
        "valara",
        "-s",
        "not-the-secret-xyz",
        "--now",
        "1745339401",
        "-H",
        SIGNATURE,
        "-H",
        TIMESTAMP,
        "-H",
        EVENT_ID,
        &body,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("[bad_signature]"), "{stdout}");
    // The exact signed string: the timestamp, a dot, the body's bytes (escaped).
    let escaped: String = String::from_utf8(documented_body())
        .expect("utf8")
        .escape_debug()
        .collect();
    assert!(
        stdout.contains(&format!(
            "signed content checked (367 bytes): \"1745339401.{escaped}\""
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("no given secret signs this body"),
        "{stdout}"
    );
    assert!(!stdout.contains("not-the-secret-xyz") && !stderr.contains("not-the-secret-xyz"));
}

#[test]
fn a_trailing_newline_is_found() {
    let mut bytes = documented_body();
    bytes.push(b'\n');
    let body = scratch("verify-newline.json", &bytes);
    let (code, stdout, _) = valara(&body, &[SIGNATURE, TIMESTAMP, EVENT_ID], "1745339401");
    assert_eq!(code, 1);
    assert!(
        stdout.contains("cause: the body's bytes differ from what was signed: the captured body ends with 1 byte(s) of whitespace (\"\\n\")"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "The signed body is 356 bytes, the captured one 357; they first differ at byte 356."
        ),
        "{stdout}"
    );
}

#[test]
fn re_serialised_json_is_found() {
    let value: serde_json::Value = serde_json::from_slice(&documented_body()).expect("json");
    let compact = serde_json::to_vec(&value).expect("json");
    let body = scratch("verify-compact.json", &compact);
    let (code, stdout, _) = valara(&body, &[SIGNATURE, TIMESTAMP, EVENT_ID], "1745339401");
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "the JSON was re-serialised: the provider signed it pretty-printed (2 spaces)"
        ),
        "{stdout}"
    );

    // The other way round: Repull signed compact bytes, the capture was pretty-printed.
    let signed = br#"{"type":"repull.ping","deliveryId":"evt_9","createdAt":"2026-05-01T12:34:56.000Z","data":{"message":"hi"}}"#;
    let (_, headers, _) = run(&[
        "sign",
        "-p",
        "repull",
        "-s",
        REPULL_SECRET,
        &scratch("verify-signed.json", signed),
    ]);
    let signature = headers
        .lines()
        .find(|l| l.starts_with("X-Repull-Signature"))
        .expect("header");
    let pretty = serde_json::to_vec_pretty(
        &serde_json::from_slice::<serde_json::Value>(signed).expect("json"),
    )
    .expect("json");
    let body = scratch("verify-pretty.json", &pretty);
    let (code, stdout, _) = run(&[
        "verify",
        "-p",
        "repull",
        "-s",
        REPULL_SECRET,
        "-H",
        signature,
        &body,
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("the provider signed its compact form"),
        "{stdout}"
    );
    assert!(stdout.contains("(repull signs the body alone"), "{stdout}");

    // And a Repull secret given without its whsec_ prefix.
    let body = scratch("verify-signed.json", signed);
    let (code, stdout, _) = run(&[
        "verify",
        "-p",
        "repull",
        "-s",
        "k7d9f2example",
        "-H",
        signature,
        &body,
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("whsec_ prefix included: the signature matches with the prefix added"),
        "{stdout}"
    );
    // The sample's createdAt (2026-05-01) is checked against the replay horizon: a clock
    // inside it verifies, as for an old capture; a later one is explained.
    let at = |now: &str| {
        run(&[
            "verify",
            "-p",
            "repull",
            "-s",
            REPULL_SECRET,
            "-H",
            signature,
            "--now",
            now,
            &body,
        ])
    };
    assert_eq!(at("1777680000").0, 0);
    let (code, stdout, _) = at("1800000000");
    assert_eq!(code, 1);
    assert!(
        stdout.contains("stale") && stdout.contains("--now"),
        "{stdout}"
    );
}

#[test]
fn a_timestamp_outside_the_window_says_by_how_much() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    // 1000 s after the signature: 700 s outside the ±300 s window.
    let (code, stdout, _) = valara(&body, &[SIGNATURE, TIMESTAMP, EVENT_ID], "1745340401");
    assert_eq!(code, 1);
    assert!(stdout.contains("[timestamp_out_of_window]"), "{stdout}");
    assert!(
        stdout.contains("The signature in X-Webhook-Signature matches these bytes"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "is 1000 s before now (1745340401); the window is ±300 s, so it is outside by 700 s"
        ),
        "{stdout}"
    );
    // A future timestamp, with a wider window.
    let (code, stdout, _) = run(&[
        "verify",
        "-p",
        "valara",
        "-s",
        VALARA_SECRET,
        "--now",
        "1745338401",
        "--tolerance",
        "600",
        "-H",
        SIGNATURE,
        "-H",
        TIMESTAMP,
        "-H",
        EVENT_ID,
        &body,
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "is 1000 s after now (1745338401); the window is ±600 s, so it is outside by 400 s"
        ),
        "{stdout}"
    );

    // Lavanda checks the window before the signature; verify still says whether it matches.
    let vector = scratch("verify-sw.json", br#"{"test": 2432232314}"#);
    let (code, stdout, _) = run(&[
        "verify",
        "-p",
        "lavanda",
        "-s",
        LAVANDA_SECRET,
        "--now",
        "1614266330",
        "-H",
        "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
        "-H",
        "webhook-timestamp: 1614265330",
        "-H",
        "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        &vector,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("signed content checked (60 bytes): \"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\\\"test\\\": 2432232314}\""), "{stdout}");
    assert!(
        stdout.contains("The signature in webhook-signature matches these bytes"),
        "{stdout}"
    );
    assert!(stdout.contains("outside by 700 s"), "{stdout}");
}

#[test]
fn unusable_arguments_exit_2() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    let (code, _, stderr) = run(&["verify", "-p", "valara", "-s", "k", "-H", "no colon", &body]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not `Name: value`"), "{stderr}");
    let (code, _, stderr) = run(&["verify", "-p", "valara", "-H", SIGNATURE, &body]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("pass the endpoint's signing secret with --secret"),
        "{stderr}"
    );
    let (code, stdout, _) = run(&[
        "verify",
        "-p",
        "everreal",
        &schema_file("../tests/valid/everreal/UNIT_CREATED.json"),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("EverReal documents no signature"),
        "{stdout}"
    );
}

#[test]
fn the_readme_walkthrough() {
    // printf '...' > body.json; sign; echo >> body.json; verify.
    let signed = br#"{"type":"repull.ping","deliveryId":"evt_1","createdAt":"2026-05-01T12:34:56Z","data":{"message":"hi"}}"#;
    let body = scratch("walkthrough.json", signed);
    let (code, headers, _) = run(&[
        "sign",
        "--provider",
        "repull",
        "--secret",
        REPULL_SECRET,
        &body,
    ]);
    assert_eq!(code, 0);
    let signature = headers
        .lines()
        .find(|l| l.contains("Signature"))
        .expect("the signature header");
    let mut changed = signed.to_vec();
    changed.push(b'\n');
    let body = scratch("walkthrough.json", &changed);
    let (code, stdout, _) = run(&[
        "verify",
        "--provider",
        "repull",
        "--secret",
        REPULL_SECRET,
        "-H",
        signature,
        &body,
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("cause: the body's bytes differ from what was signed: the captured body ends with 1 byte(s) of whitespace (\"\\n\")"), "{stdout}");
    assert!(
        stdout.contains(
            "The signed body is 102 bytes, the captured one 103; they first differ at byte 102."
        ),
        "{stdout}"
    );
}

#[test]
fn extreme_clocks_are_explained_without_overflow() {
    let body = schema_file("valara/fixtures/listing.updated.json");
    for now in ["--now=-9223372036854775808", "--now=9223372036854775807"] {
        let (code, stdout, stderr) = run(&[
            "verify",
            "-p",
            "valara",
            "-s",
            VALARA_SECRET,
            now,
            "-H",
            SIGNATURE,
            "-H",
            TIMESTAMP,
            "-H",
            EVENT_ID,
            &body,
        ]);
        assert_eq!(code, 1, "{now}: {stdout}{stderr}");
        assert!(stdout.contains("[timestamp_out_of_window]"), "{stdout}");
        assert!(stdout.contains("the window is ±300 s"), "{stdout}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
