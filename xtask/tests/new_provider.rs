//! A provider the project has never seen, added as data only: in a copy of the workspace, a
//! made-up provider (two events; an HMAC-SHA512 recipe, base64, over `{timestamp}:{body}`) is
//! written as schemas and a descriptor, `cargo xtask gen` writes its Rust, and then, with no
//! hand-written Rust changed, the crate builds with that provider's feature alone, the CLI lists,
//! validates, signs, verifies and serves its events, a delivery signed by Python's `hmac` is
//! received over HTTP, and the published AsyncAPI document passes the official parser.
//!
//! It follows the procedure of `schemas/README.md` ("Adding a provider"). It builds a second copy
//! of the workspace's crates (sharing the dependency build), so it is `#[ignore]`d here and run by
//! `.ci/run` once the partner tools are installed.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SECRET: &str = "acme_signing_secret_7";
const TIMESTAMP: i64 = 1_800_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// Every file git tracks, copied under `to`.
fn copy_workspace(to: &Path) {
    let root = root();
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .expect("git ls-files runs");
    assert!(listed.status.success(), "git ls-files failed");
    for rel in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = std::str::from_utf8(rel).expect("UTF-8 path");
        let from = root.join(rel);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
        std::fs::copy(&from, &target).expect("copies");
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("writes");
}

/// Gives the copy's crates a version of their own (a patch release far ahead, which the
/// workspace's own version requirements still accept): cargo names a workspace crate's artifacts by its name, version and path inside the
/// workspace, so without it the copy's builds would overwrite the workspace's in the shared
/// target folder. The dependencies keep their names, and are built once.
fn set_apart(ws: &Path) {
    let manifest = ws.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    let mut done = false;
    let text: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("version = \"") {
            Some(rest) if !done => {
                done = true;
                let version = rest.trim_end_matches('"');
                let (minor, patch) = version.rsplit_once('.').expect("major.minor.patch");
                let patch: u64 = patch.parse().expect("a numeric patch");
                format!("version = \"{minor}.{}\"", patch + 1000)
            }
            _ => line.to_owned(),
        })
        .collect();
    assert!(done, "no workspace version in Cargo.toml");
    std::fs::write(&manifest, text.join("\n") + "\n").expect("writes");
}

/// The made-up provider, as schemas, fixtures, a catalog entry and a descriptor: data only.
fn add_provider(ws: &Path) {
    let schemas = ws.join("schemas");
    write(
        &schemas.join("acme/provider.toml"),
        r#"name = "acme"
display_name = "Acme Lettings"
summary = "widgets"
listed = 5
documents = ["README.md"]

[envelope]
type_member = "kind"
id_member = "id"
evidence = { document = "README.md", quote = "Acme" }

[delivery]
method = "POST"
content_type = "application/json"
verification = "`Acme-Signature`: base64 HMAC-SHA512 of `{Acme-Timestamp}:{raw body}`."
verification_source = "https://acme.example/webhooks"
retries = "Acme states no retry behaviour."
retries_source = "https://acme.example/webhooks"

[signature]
scheme = "hmac"
algorithm = "sha512"
encoding = "base64"
header = "Acme-Signature"
secret = "literal"
content = "{timestamp}:{body}"
timestamp = { header = "Acme-Timestamp" }
test_secret = "acme_signing_secret_7"
evidence = { document = "README.md", quote = "Acme" }

[replay]
tolerance = 300

[[header]]
name = "Acme-Signature"
carries = "signature"
description = "Base64 HMAC-SHA512 of `{timestamp}:{body}`."
source = "https://acme.example/webhooks"

[[header]]
name = "Acme-Timestamp"
carries = "timestamp"
description = "Unix seconds."
pattern = "^[0-9]+$"
source = "https://acme.example/webhooks"
"#,
    );
    for (event, extra, sample) in [
        (
            "widget.created",
            // Member names no Rust identifier spells as they are.
            r#""unit-code": { "description": "The unit's code.", "type": "string" },
    "1st_floor": { "description": "On the first floor.", "type": "boolean" },
    "größe": { "description": "Square metres.", "type": "integer" },
    "geo.lat": { "description": "Latitude.", "type": "number" }"#,
            r#"{"kind":"widget.created","id":"w_1","unit-code":"A-1","1st_floor":true,"größe":42,"geo.lat":52.5}"#,
        ),
        (
            "widget.deleted",
            // Enum values no Rust variant spells as they are.
            r#""reason": { "description": "Why.", "enum": ["sold", "self", "1x", ""] }"#,
            r#"{"kind":"widget.deleted","id":"w_2","reason":"self"}"#,
        ),
    ] {
        write(
            &schemas.join(format!("acme/events/{event}.json")),
            &format!(
                r#"{{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://schemas.proptech-events.dev/acme/events/{event}.json",
  "title": "Acme {event}",
  "description": "Acme {event} event.",
  "x-provider": "acme",
  "x-event-type": "{event}",
  "x-category": "widgets",
  "x-documentation-status": "complete",
  "x-source": ["https://acme.example/webhooks#{event}"],
  "type": "object",
  "required": ["kind", "id"],
  "properties": {{
    "kind": {{ "description": "The event type.", "const": "{event}" }},
    "id": {{ "description": "The delivery id.", "type": "string" }},
    {extra}
  }},
  "examples": [{sample}]
}}
"#
            ),
        );
        write(&schemas.join(format!("acme/fixtures/{event}.json")), sample);
    }
    write(
        &schemas.join("acme/fixtures/SOURCES.toml"),
        r#"[[fixture]]
file = "widget.created.json"
schema = "events/widget.created.json"
document = "https://acme.example/webhooks"
section = "Sample"
copy = "README.md"

[[fixture]]
file = "widget.deleted.json"
schema = "events/widget.deleted.json"
document = "https://acme.example/webhooks"
section = "Sample"
copy = "README.md"
"#,
    );
    let catalog = schemas.join("catalog.toml");
    let mut text = std::fs::read_to_string(&catalog).expect("catalog.toml");
    text.push_str(
        "\n[acme]\ndocument = \"https://acme.example/webhooks\"\n\n[acme.categories]\n\"widgets\" = [\"widget.created\", \"widget.deleted\"]\n",
    );
    std::fs::write(&catalog, text).expect("writes");
}

fn run(ws: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(ws)
        // The workspace's target folder: the dependencies are compiled once (the copy's own
        // crates, at another path, get artifacts of their own).
        .env("CARGO_TARGET_DIR", target())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"))
}

fn ok(ws: &Path, program: &str, args: &[&str]) -> String {
    let output = run(ws, program, args);
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The workspace's target folder, where the copy is written and built.
fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The Python signature of `body`: `base64(HMAC-SHA512(secret, "{timestamp}:{body}"))`.
fn python_signature(body: &str) -> String {
    let script = format!(
        "import base64, hashlib, hmac, sys\n\
         body = sys.stdin.buffer.read()\n\
         mac = hmac.new(b'{SECRET}', b'{TIMESTAMP}:' + body, hashlib.sha512).digest()\n\
         print(base64.b64encode(mac).decode())\n"
    );
    let mut child = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("writes");
    let output = child.wait_with_output().expect("python3 ends");
    assert!(output.status.success(), "python3 failed");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// Every hand-written `.rs` file of the copy (not under a `generated/` folder) that differs from
/// the workspace's.
fn changed_rust(ws: &Path) -> Vec<String> {
    let mut changed = Vec::new();
    let mut dirs = vec![ws.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("reads") {
            let path = entry.expect("entry").path();
            let rel = path.strip_prefix(ws).expect("inside").to_path_buf();
            let name = rel.to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                if !name.contains("node_modules") && !name.ends_with("target") {
                    dirs.push(path);
                }
                continue;
            }
            if !name.ends_with(".rs") || name.contains("/generated/") {
                continue;
            }
            let original = std::fs::read(root().join(&rel)).unwrap_or_default();
            if std::fs::read(&path).expect("reads") != original {
                changed.push(name);
            }
        }
    }
    changed.sort();
    changed
}

/// The binaries the copy's builds put in the shared target folder under the workspace's own
/// names, removed when the test ends however it ends: the workspace's next build puts its own
/// back (cargo links them again from its artifacts).
struct SharedBinaries;

impl Drop for SharedBinaries {
    fn drop(&mut self) {
        for name in ["xtask", "proptech-events"] {
            let _ = std::fs::remove_file(target().join("debug").join(name));
        }
    }
}

#[test]
#[ignore = "builds a copy of the workspace: run by .ci/run (cargo test -p xtask --test new_provider -- --ignored)"]
fn a_provider_the_project_has_never_seen_is_data_not_code() {
    let _restore = SharedBinaries;
    let ws = target().join("new-provider/workspace");
    let _ = std::fs::remove_dir_all(&ws);
    copy_workspace(&ws);
    set_apart(&ws);
    add_provider(&ws);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    // The generator writes the provider's Rust; nothing hand-written changes.
    ok(&ws, &cargo, &["run", "-q", "-p", "xtask", "--", "gen"]);
    assert_eq!(
        changed_rust(&ws),
        Vec::<String>::new(),
        "hand-written Rust changed"
    );
    let manifest =
        std::fs::read_to_string(ws.join("crates/proptech-events/Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains("acme = []"),
        "no acme feature:\n{manifest}"
    );

    // The crate builds with the new provider's feature alone.
    ok(
        &ws,
        &cargo,
        &[
            "build",
            "-q",
            "-p",
            "proptech-events",
            "--no-default-features",
            "--features",
            "acme,axum",
        ],
    );

    // The CLI, built with every provider, knows it.
    ok(&ws, &cargo, &["build", "-q", "-p", "proptech-events-cli"]);
    let cli = target().join("debug/proptech-events");
    let cli = cli.to_str().expect("UTF-8 path");
    let events = ok(&ws, cli, &["events", "--provider", "acme"]);
    assert!(
        events.contains("widget.created") && events.contains("widget.deleted"),
        "{events}"
    );

    // Both events parse, through the typed parse.
    let created = r#"{"kind":"widget.created","id":"w_1","unit-code":"A-1","1st_floor":true,"größe":42,"geo.lat":52.5}"#;
    let deleted = r#"{"kind":"widget.deleted","id":"w_2","reason":"self"}"#;
    for (name, body) in [("created.json", created), ("deleted.json", deleted)] {
        std::fs::write(ws.join(name), body).expect("writes");
    }
    ok(
        &ws,
        cli,
        &[
            "validate",
            "--provider",
            "acme",
            "created.json",
            "deleted.json",
        ],
    );

    // `sign` makes the signature Python's hmac makes; `verify` accepts Python's.
    let python = python_signature(created);
    let signed = ok(
        &ws,
        cli,
        &[
            "sign",
            "--provider",
            "acme",
            "--secret",
            SECRET,
            "--timestamp",
            &TIMESTAMP.to_string(),
            "created.json",
        ],
    );
    assert!(
        signed.contains(&format!("Acme-Signature: {python}")),
        "sign differs from Python's hmac ({python}):\n{signed}"
    );
    let verified = ok(
        &ws,
        cli,
        &[
            "verify",
            "--provider",
            "acme",
            "--secret",
            SECRET,
            "--header",
            &format!("Acme-Signature: {python}"),
            "--header",
            &format!("Acme-Timestamp: {TIMESTAMP}"),
            "--now",
            &TIMESTAMP.to_string(),
            "created.json",
        ],
    );
    assert!(verified.contains("verified"), "{verified}");

    // `listen` serves it; `send` posts a fresh sample and Python posts one it signed itself.
    let mut listen = Command::new(cli)
        .args([
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--provider",
            "acme",
            "--secret",
            &format!("acme={SECRET}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("listen starts");
    let mut lines = BufReader::new(listen.stdout.take().expect("stdout")).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("listen prints its address")
            .expect("a line");
        if let Some(at) = line.find("http://") {
            let addr: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            break addr.trim_end_matches('/').to_owned();
        }
    };
    let endpoint = format!("{url}/webhooks/acme");
    let sent = run(
        &ws,
        cli,
        &[
            "send",
            "--provider",
            "acme",
            "--url",
            &endpoint,
            "--secret",
            SECRET,
            "--event",
            "widget.deleted",
        ],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let post = format!(
        "import base64, hashlib, hmac, urllib.request\n\
         body = b'{{\"kind\":\"widget.created\",\"id\":\"w_py\",\"unit-code\":\"B-2\",\"1st_floor\":false}}'\n\
         mac = hmac.new(b'{SECRET}', b'{now}:' + body, hashlib.sha512).digest()\n\
         req = urllib.request.Request('{endpoint}', data=body, method='POST', headers={{\n\
             'Content-Type': 'application/json', 'Acme-Timestamp': '{now}',\n\
             'Acme-Signature': base64.b64encode(mac).decode()}})\n\
         print(urllib.request.urlopen(req).status)\n"
    );
    let posted = run(&ws, "python3", &["-c", &post]);
    let _ = listen.kill();
    let _ = listen.wait();
    let mut rest = String::new();
    for line in lines.map_while(Result::ok) {
        rest.push_str(&line);
        rest.push('\n');
    }
    let mut errors = String::new();
    if let Some(mut e) = listen.stderr.take() {
        let _ = e.read_to_string(&mut errors);
    }
    assert!(
        sent.status.success(),
        "send failed:\n{}\n{}\nlisten printed:\n{rest}{errors}",
        String::from_utf8_lossy(&sent.stdout),
        String::from_utf8_lossy(&sent.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&posted.stdout).trim(),
        "200",
        "Python's delivery: {}\nlisten printed:\n{rest}{errors}",
        String::from_utf8_lossy(&posted.stderr)
    );
    assert!(
        rest.contains("widget.created") && rest.contains("w_py"),
        "listen did not print Python's delivery:\n{rest}"
    );

    // The bundle publishes, and its AsyncAPI document passes the official parser.
    let dist = ws.join("dist");
    ok(
        &ws,
        &cargo,
        &["run", "-q", "-p", "xtask", "--", "publish", "--out", "dist"],
    );
    assert!(
        dist.join("asyncapi/acme.json").is_file(),
        "no acme AsyncAPI"
    );
    let parser = root().join("tests/partner/asyncapi.mjs");
    assert!(
        root()
            .join("tests/partner/node_modules/@asyncapi/parser")
            .is_dir(),
        "the partner tools are not installed: npm ci --prefix tests/partner"
    );
    let checked = run(
        &ws,
        "node",
        &[
            parser.to_str().expect("UTF-8"),
            dist.to_str().expect("UTF-8"),
        ],
    );
    assert!(
        checked.status.success(),
        "the AsyncAPI parser refuses the bundle:\n{}\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}
