//! `send` to a real `listen` process (the binary, on a free port), for every provider end to end,
//! checked from the listener's output; rejections, duplicates, `--repeat` and `--concurrency`.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{BIN, LAVANDA_SECRET, REPULL_SECRET, VALARA_SECRET, run, schema_file, scratch};

/// A `listen` process and everything it printed so far.
struct Listener {
    child: Child,
    base: String,
    output: Arc<Mutex<String>>,
}

impl Listener {
    fn start(extra: &[&str]) -> Listener {
        let mut command = Command::new(BIN);
        for name in crate::secret_variables() {
            command.env_remove(name);
        }
        let mut child = command
            .args(["listen", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("listen starts");
        let stdout = child.stdout.take().expect("stdout");
        let output = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut out = sink.lock().expect("lock");
                out.push_str(&line);
                out.push('\n');
            }
        });
        let mut listener = Listener {
            child,
            base: String::new(),
            output,
        };
        let first = listener.wait_for("listening on http://");
        let addr = first
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an address");
        listener.base = format!("http://{addr}");
        listener
    }

    /// Waits (at most 20 s) until the output contains `text`; returns the output.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.output.lock().expect("lock").clone();
            if out.contains(text) {
                return out;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("listen exited ({status}) before printing {text:?}:\n{out}");
            }
            assert!(Instant::now() < deadline, "no {text:?} in:\n{out}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self, provider: &str) -> String {
        format!("{}/webhooks/{provider}", self.base)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ids `send` reports for its 2xx answers: the last word before the latency.
fn sent_ids(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("200 "))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[words.len() - 3].to_owned()
        })
        .collect()
}

#[test]
fn every_provider_end_to_end() {
    let mut listener = Listener::start(&["--test-secrets"]);
    let cases = [
        ("valara", Some(VALARA_SECRET), 17),
        ("repull", Some(REPULL_SECRET), 15),
        ("lavanda", Some(LAVANDA_SECRET), 30),
        ("everreal", None, 28),
    ];
    for (provider, secret, events) in cases {
        let url = listener.url(provider);
        let mut args = vec![
            "send",
            "-p",
            provider,
            "--url",
            &url,
            "--all",
            "--concurrency",
            "4",
        ];
        if let Some(secret) = secret {
            args.extend(["--secret", secret]);
        }
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{provider}: {stdout}{stderr}");
        assert!(
            stdout.contains(&format!(
                "summary: sent {events}, 2xx {events}, non-2xx 0, no answer 0"
            )),
            "{stdout}"
        );
        let ids = sent_ids(&stdout);
        assert_eq!(ids.len(), events, "{stdout}");
        for id in ids {
            let note = if provider == "everreal" {
                "(unverified"
            } else {
                "(verified)"
            };
            let out = listener.wait_for(&format!(" id {id} {note}"));
            assert!(out.contains(&format!("received {provider} ")), "{out}");
        }
    }
    // Every event type of every provider reached the listener, typed.
    let out = listener.wait_for("received everreal UNIT_UPDATED");
    for event_type in [
        "listing.section_modified",
        "reservation.message.received",
        "v1.booking.created",
        "LISTING_CANDIDATE_APPLIED",
    ] {
        assert!(
            out.contains(&format!(" {event_type} id ")),
            "{event_type} not received:\n{out}"
        );
    }
    assert!(!out.contains("rejected"), "{out}");
}

#[test]
fn rejections_duplicates_and_a_load_run() {
    let mut listener = Listener::start(&[
        "--secret",
        "repull=whsec_k7d9f2example",
        "--provider",
        "repull",
    ]);
    let url = listener.url("repull");

    // A wrong secret: the listener answers 401 and says why; send exits 1.
    let (code, stdout, _) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        &url,
        "-s",
        "whsec_wrong",
        "-e",
        "repull.ping",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("401 repull repull.ping"), "{stdout}");
    assert!(stdout.contains("non-2xx 1"), "{stdout}");
    listener.wait_for("rejected repull 401 bad_signature");

    // The same file twice: processed once, then acknowledged as a duplicate. (Its createdAt
    // is set to now: Repull replays a delivery for 7 days at most, and the listener refuses an
    // older one as stale.)
    let sample = std::fs::read_to_string(schema_file(
        "repull/fixtures/reservation.created.event-page.json",
    ))
    .expect("sample");
    let stamp = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let file = scratch(
        "reservation.created.now.json",
        sample
            .replace("2026-05-01T12:34:56.000Z", &stamp)
            .as_bytes(),
    );
    let (code, stdout, _) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        &url,
        "-s",
        REPULL_SECRET,
        &file,
        &file,
    ]);
    assert_eq!(code, 0, "{stdout}");
    let out = listener.wait_for("duplicate repull \"repull event evt_01HX5XPQ2K\"");
    assert_eq!(
        out.matches("received repull reservation.created id evt_01HX5XPQ2K")
            .count(),
        1,
        "{out}"
    );

    // --repeat with --concurrency: fresh ids each time, all processed.
    let (code, stdout, _) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        &url,
        "-s",
        REPULL_SECRET,
        "-e",
        "reservation.cancelled",
        "-e",
        "calendar.updated",
        "--repeat",
        "30",
        "--concurrency",
        "8",
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("summary: sent 60, 2xx 60, non-2xx 0"),
        "{stdout}"
    );
    assert!(stdout.contains("latency p50 "), "{stdout}");
    let ids = sent_ids(&stdout);
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 60);
    for id in &ids {
        listener.wait_for(&format!(" id {id} (verified)"));
    }

    // A provider the listener does not serve, and nothing listening at all.
    let (code, stdout, _) = run(&[
        "send",
        "-p",
        "valara",
        "--url",
        &listener.url("valara"),
        "-s",
        VALARA_SECRET,
        "-e",
        "user.signed_up",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.starts_with("404 "), "{stdout}");
    let (code, stdout, _) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        "http://127.0.0.1:9/webhooks/repull",
        "-s",
        REPULL_SECRET,
        "-e",
        "repull.ping",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("cannot connect"), "{stdout}");
    assert!(stdout.contains("no answer 1"), "{stdout}");
}

#[test]
fn listen_refuses_to_start_without_a_secret() {
    let (code, stdout, stderr) = run(&["listen", "--addr", "127.0.0.1:0"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: no secret for valara: pass --secret valara=<secret>, set VALARA_SECRET"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        "http://127.0.0.1:9/",
        "-e",
        "nope.nope",
        "-s",
        "k",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("repull has no event type \"nope.nope\""),
        "{stderr}"
    );
    // Plain http:// only, said in one line; nothing to send is an error too.
    let (code, _, stderr) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        "https://example.com/hook",
        "-e",
        "repull.ping",
        "-s",
        "k",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: send speaks plain http:// only"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let (code, _, stderr) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        "http://127.0.0.1:9/",
        "-s",
        "k",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nothing to send: pass --event TYPE, --all or a FILE"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        "send",
        "-p",
        "repull",
        "--url",
        "http://127.0.0.1:9/",
        "-e",
        "repull.ping",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("repull signs its deliveries: pass --secret"),
        "{stderr}"
    );
}

/// Writes `request` on a fresh connection to `base` and reads until the listener closes it (at
/// most 20 s); what came back and how long the connection lasted.
fn raw_exchange(base: &str, request: &[u8]) -> (String, Duration) {
    use std::io::{Read as _, Write as _};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream.write_all(request).expect("writes");
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let started = Instant::now();
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(20) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => read.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    (
        String::from_utf8_lossy(&read).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn listen_cuts_off_slow_clients_and_prints_no_line_a_delivery_forges() {
    let mut listener = Listener::start(&[
        "--test-secrets",
        "--provider",
        "repull",
        "--header-timeout",
        "1",
        "--body-timeout",
        "2",
        "--store-bytes",
        "40000",
    ]);

    // Half the headers: closed by the 1 s deadline.
    let (_, lasted) = raw_exchange(
        &listener.base,
        b"POST /webhooks/repull HTTP/1.1\r\nHost: x\r\n",
    );
    assert!(
        lasted >= Duration::from_millis(800) && lasted < Duration::from_secs(6),
        "{lasted:?}"
    );
    // Half a declared body: 408 by the 2 s deadline.
    let mut slow =
        b"POST /webhooks/repull HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n".to_vec();
    slow.extend(vec![b' '; 50_000]);
    let (answer, lasted) = raw_exchange(&listener.base, &slow);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(lasted < Duration::from_secs(8), "{lasted:?}");

    // A signed delivery whose type and id carry a forged line and an escape sequence (in the
    // id's first bytes too, which the duplicate line prints).
    let forged = "\nreceived repull reservation.created id evt_forged (verified)\u{1b}[2J\u{9b}2J\u{85}\u{2028}";
    let body = serde_json::to_vec(&serde_json::json!({
        "type": format!("reservation.created{forged}"),
        "deliveryId": format!("evt_1\u{9b}2J\u{85}\u{202e}\u{7f}{forged}"),
        "createdAt": chrono::Utc::now().to_rfc3339(),
        "data": {},
    }))
    .expect("json");
    let signature = {
        use hmac::Mac as _;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(REPULL_SECRET.as_bytes()).expect("key");
        mac.update(&body);
        hex::encode(mac.finalize().into_bytes())
    };
    let mut request = format!(
        "POST /webhooks/repull HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Repull-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend(&body);
    let (answer, _) = raw_exchange(&listener.base, &request);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    listener.wait_for("received repull reservation.created");
    // The same delivery again: the duplicate line names its key, escaped too.
    let (answer, _) = raw_exchange(&listener.base, &request);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let out = listener.wait_for("already processed");
    assert!(
        !out.lines()
            .any(|l| l.starts_with("received repull reservation.created id evt_forged")),
        "{out}"
    );
    assert!(
        !out.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{2028}'),
        "a character a terminal acts on reached it raw: {out:?}"
    );
    assert!(out.contains(r"\nreceived repull"), "{out}");
}

/// The bodies `listen` printed in full (`--show-personal-data`), each with its provider and event
/// type: the lines after a `received` line, up to the closing brace of the pretty JSON.
fn printed_bodies(out: &str) -> Vec<(String, String, serde_json::Value)> {
    let mut bodies = Vec::new();
    let mut lines = out.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("received ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (provider, event_type) = (words.next(), words.next());
        let mut json = String::new();
        for body_line in lines.by_ref() {
            json.push_str(body_line);
            json.push('\n');
            if body_line == "}" {
                break;
            }
        }
        if let (Some(p), Some(t), Ok(v)) = (provider, event_type, serde_json::from_str(&json)) {
            bodies.push((p.to_owned(), t.to_owned(), v));
        }
    }
    bodies
}

/// `listen` prints every member the schemas mark as personal data redacted, and whole with
/// `--show-personal-data`: every documented sample of every provider sent to both, the personal
/// values read off the schemas by the conformance suite's own walk.
#[test]
fn listen_prints_personal_data_only_when_asked() {
    let mut shown = Listener::start(&["--test-secrets", "--show-personal-data"]);
    let mut redacted = Listener::start(&["--test-secrets"]);
    let providers = [
        ("valara", Some(VALARA_SECRET)),
        ("repull", Some(REPULL_SECRET)),
        ("lavanda", Some(LAVANDA_SECRET)),
        ("everreal", None),
    ];
    for listener in [&shown, &redacted] {
        for (provider, secret) in providers {
            let url = listener.url(provider);
            let mut args = vec!["send", "-p", provider, "--url", &url, "--all"];
            if let Some(secret) = secret {
                args.extend(["--secret", secret]);
            }
            let (code, stdout, stderr) = run(&args);
            assert_eq!(code, 0, "{provider}: {stdout}{stderr}");
        }
    }
    let full = shown.wait_for("received everreal UNIT_UPDATED");
    let out = redacted.wait_for("received everreal UNIT_UPDATED");
    // Every delivery is printed by the time the last one is (each send waits for its answers).
    let bodies = printed_bodies(&full);
    assert_eq!(bodies.len(), 90, "{full}");
    let set = proptech_conformance::schema_set();
    let mut all = proptech_conformance::personal::Values::default();
    for (provider, event_type, body) in &bodies {
        // The ids and timestamps `send` stamps differ from one send to the other: left out.
        let contract = provider
            .parse::<proptech_events::Provider>()
            .expect("a provider")
            .contract();
        let mut body = body.clone();
        let stamped = [
            contract.id_member,
            contract.timestamp_member,
            contract.nonce.as_ref().map(|n| n.member),
            contract.horizon.as_ref().map(|h| h.member),
        ];
        for member in stamped.into_iter().flatten() {
            if let Some(members) = body.as_object_mut() {
                members.remove(member);
            }
        }
        let schema = proptech_conformance::personal::event_schema(set, provider, event_type);
        let v = proptech_conformance::personal::values(&schema, &body);
        all.personal.extend(v.personal);
        all.plain.extend(v.plain);
    }
    let personal = all.telling_personal();
    assert!(
        personal.len() >= 15,
        "only {} personal values",
        personal.len()
    );
    // As JSON writes them (listen prints JSON).
    let json = |s: &str| serde_json::to_string(s).expect("a string");
    for p in &personal {
        let p = json(p);
        let p = &p[1..p.len() - 1];
        assert!(full.contains(p), "--show-personal-data hid {p:?}");
        assert!(
            !out.contains(p),
            "listen printed the personal value {p:?}:\n{out}"
        );
    }
    let placeholders = out.matches("[redacted: ").count();
    assert!(
        placeholders >= personal.len(),
        "{placeholders} placeholders for {} personal values",
        personal.len()
    );
    for u in all.telling_plain() {
        assert!(out.contains(&json(u)), "listen hid the plain value {u:?}");
    }
}
