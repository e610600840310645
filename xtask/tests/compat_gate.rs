//! `cargo xtask publish` and `cargo xtask compat` end to end: a bundle is written, a past release is
//! forged from it, and the gate must block a breaking change unless the version allows it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("JSON");
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).expect("JSON")).expect("writes");
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn compat_blocks_a_breaking_change_unless_the_major_version_moves() {
    let dir = temp_dir("compat");
    let bundle = dir.join("dist");
    let publish = xtask(&["publish", "--out", bundle.to_str().expect("UTF-8 path")]);
    assert!(publish.status.success(), "{publish:?}");
    let version = {
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(bundle.join("bundle.json")).expect("bundle.json"),
        )
        .expect("JSON");
        manifest["version"].as_str().expect("version").to_owned()
    };
    let base = bundle.to_str().expect("UTF-8 path");

    // The bundle just written is the working tree: nothing changed, the gate passes.
    let same = xtask(&["compat", "--base", base]);
    assert!(same.status.success(), "{same:?}");
    assert!(stdout(&same).contains("no changes"), "{}", stdout(&same));

    // Forge a past release at the same version that had one more data field: today's schemas
    // removed it, which is breaking, and the version did not move.
    // The bundle's self-contained copy and the source the crate was generated from alike.
    for copy in ["schemas", "source"] {
        edit_json(
            &bundle.join(format!("{copy}/valara/events/listing.updated.json")),
            |schema| {
                schema["properties"]["data"]["properties"]["legacy_note"] =
                    json!({ "type": "string", "description": "A field a past release had." });
            },
        );
    }
    let blocked = xtask(&["compat", "--base", base]);
    assert!(
        !blocked.status.success(),
        "the gate lets a breaking change through"
    );
    let report = stdout(&blocked);
    assert!(
        report.contains("valara/events/listing.updated.json")
            && report.contains("/data/legacy_note"),
        "the report names the schema and the instance path: {report}"
    );
    // An optional member removed: nothing breaks on the wire, the generated field goes.
    assert!(
        report.contains("removed optional property") && report.contains("the Rust API"),
        "the report says which layer breaks: {report}"
    );
    assert!(
        report.contains("`valara::ListingUpdated.legacy_note` field removed"),
        "the report names the Rust member: {report}"
    );
    let error = String::from_utf8_lossy(&blocked.stderr);
    assert!(
        error.contains("bump"),
        "the error says how to fix it: {error}"
    );

    // The same change after a release whose version the current one is a breaking bump from.
    edit_json(&bundle.join("bundle.json"), |manifest| {
        manifest["version"] = json!("0.0.0");
    });
    let changelog = dir.join("CHANGELOG.md");
    std::fs::write(&changelog, "# Changelog\n\n## 0.0.1\n\nOlder entry.\n").expect("writes");
    let allowed = xtask(&[
        "compat",
        "--base",
        base,
        "--changelog",
        changelog.to_str().expect("UTF-8 path"),
    ]);
    assert!(allowed.status.success(), "{allowed:?}");
    let entry = std::fs::read_to_string(&changelog).expect("changelog");
    assert!(
        entry.starts_with(&format!("# Changelog\n\n## {version}\n")),
        "the new entry comes first: {entry}"
    );
    assert!(entry.contains("legacy_note"), "{entry}");
    assert!(entry.contains("## 0.0.1\n\nOlder entry."), "{entry}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compat_names_a_base_that_is_neither_a_bundle_nor_a_ref() {
    let output = xtask(&["compat", "--base", "no-such-ref-or-dir"]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("no-such-ref-or-dir"), "{error}");
}
