//! Issue #29's scenario, as a maintainer runs it: against a bundle of the current release
//! (`--base DIR`), `schemas/repull/events/reservation.cancelled.json` gets two small edits, its
//! `data.id` widened from `integer` to `number` and `reason` dropped from `data.required`. The
//! report must give each change its verdict per direction on the wire and on the Rust API (with
//! the member's old and new Rust types), and the gate must fail without a version bump.

use std::path::{Path, PathBuf};

use proptech_catalog::SchemaSet;
use proptech_publish::compat::{self, ChangeKind, RustLayer, RustVerdict, Severity};
use serde_json::{Value, json};

const SCHEMA: &str = "repull/events/reservation.cancelled.json";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compat-layers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A copy of the workspace's `schemas/` under `to`.
fn copy_schemas(to: &Path) {
    let from = SchemaSet::workspace_root();
    for path in proptech_catalog::walk(&from).expect("schemas/ walks") {
        let rel = path.strip_prefix(&from).expect("under schemas/");
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
        std::fs::copy(&path, &target).expect("copies");
    }
}

/// The bundle of the workspace's schema set at `version`, written under `dir`.
fn write_bundle(dir: &Path, version: &str) {
    let set = SchemaSet::load_workspace().expect("schema set loads");
    for file in proptech_publish::publish(&set, version).expect("publishes") {
        let path = dir.join(&file.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, &file.contents).expect("writes");
    }
}

#[test]
fn the_two_edits_of_issue_29_break_old_receivers_and_the_rust_api() {
    let dir = temp_dir("issue-29");
    let bundle = dir.join("dist");
    write_bundle(&bundle, "0.2.0");
    let tree = dir.join("schemas");
    copy_schemas(&tree);
    let file = tree.join(SCHEMA);
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("reads")).expect("JSON");
    schema["properties"]["data"]["properties"]["id"]["type"] = json!("number");
    let required = schema["properties"]["data"]["required"]
        .as_array_mut()
        .expect("required");
    required.retain(|name| name != "reason");
    std::fs::write(&file, serde_json::to_string_pretty(&schema).expect("JSON")).expect("writes");

    let base = proptech_publish::snapshot_of_bundle(&bundle).expect("bundle reads");
    let head_set = SchemaSet::load(&tree).expect("edited set loads");
    let head = proptech_publish::snapshot_of_set(&head_set, "0.2.0").expect("snapshot");
    let report = compat::compare(&base, &head);
    let text = report.render();
    println!("{text}");
    assert_eq!(
        report.rust,
        RustLayer::Compared {
            unavailable: Default::default()
        },
        "{text}"
    );
    assert!(report.rust_only.is_empty(), "{text}");
    assert_eq!(report.changes.len(), 2, "{text}");

    let widened = &report.changes[0];
    assert_eq!(
        (
            widened.kind,
            widened.pointer.as_str(),
            widened.schema.as_str()
        ),
        (ChangeKind::WidenedType, "/data/id", SCHEMA),
        "{text}"
    );
    assert_eq!(widened.wire.old_receivers, Severity::Breaking, "{text}");
    assert_eq!(widened.wire.new_receivers, Severity::Compatible, "{text}");
    let RustVerdict::Compared(diffs) = &widened.rust else {
        panic!("no Rust verdict: {text}")
    };
    assert!(
        diffs.iter().any(|d| d.breaking
            && d.path == "repull::ReservationCancelled.id"
            && d.old.as_deref() == Some("crate::Integer")
            && d.new.as_deref() == Some("::serde_json::Number")),
        "{text}"
    );

    let optional = &report.changes[1];
    assert_eq!(
        (optional.kind, optional.pointer.as_str()),
        (ChangeKind::NoLongerRequired, "/data/reason"),
        "{text}"
    );
    // New deliveries may omit `reason`: a receiver on the old schema requires it (Confluent's
    // FORWARD check says the same: the reverse change adds a required member).
    assert_eq!(optional.wire.old_receivers, Severity::Breaking, "{text}");
    assert_eq!(optional.wire.new_receivers, Severity::Compatible, "{text}");
    let RustVerdict::Compared(diffs) = &optional.rust else {
        panic!("no Rust verdict: {text}")
    };
    assert!(
        diffs.iter().any(|d| d.breaking
            && d.path == "repull::ReservationCancelled.reason"
            && d.old.as_deref() == Some("String")
            && d.new.as_deref() == Some("Option<String>")),
        "{text}"
    );
    assert!(
        diffs
            .iter()
            .any(|d| d.breaking && d.path == "repull::ReservationCancelled::new(reason)"),
        "`new` loses its `reason` parameter: {text}"
    );
    assert!(
        text.contains(
            "`repull::ReservationCancelled.reason` field type changed: `String` → `Option<String>`"
        ),
        "{text}"
    );

    // Same version: the gate fails and says which layers break.
    let error = report
        .gate()
        .expect_err("the gate fails without a bump")
        .to_string();
    assert!(error.contains("release 0.3.0"), "{error}");
    assert!(error.contains("the Rust API"), "{error}");
    let entry = report.changelog_entry();
    assert!(entry.contains("### Breaking changes"), "{entry}");
    assert!(
        entry.contains("`/data/id`") && entry.contains("`crate::Integer` → `::serde_json::Number`"),
        "{entry}"
    );

    // A breaking bump lets it through.
    let bumped = compat::compare(
        &base,
        &proptech_publish::snapshot_of_set(&head_set, "0.3.0").expect("snapshot"),
    );
    assert!(bumped.gate().is_ok(), "{}", bumped.render());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bundle_without_the_source_schemas_says_the_rust_api_was_not_compared() {
    let dir = temp_dir("no-source");
    write_bundle(&dir, "0.2.0");
    std::fs::remove_dir_all(dir.join(proptech_publish::SOURCE_DIR)).expect("removes source/");
    let base = proptech_publish::snapshot_of_bundle(&dir).expect("bundle reads");
    let set = SchemaSet::load_workspace().expect("schema set loads");
    let head = proptech_publish::snapshot_of_set(&set, "0.2.0").expect("snapshot");
    let report = compat::compare(&base, &head);
    assert!(
        matches!(&report.rust, RustLayer::Unavailable(why) if why.contains("source/")),
        "{}",
        report.render()
    );
    assert!(report.render().contains("Rust API: NOT COMPARED"));
    // Nothing changed, so the unknown Rust layer has no change to count against.
    assert!(report.gate().is_ok(), "{}", report.render());
    let _ = std::fs::remove_dir_all(&dir);
}
