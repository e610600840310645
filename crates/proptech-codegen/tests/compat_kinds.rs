//! The schema sets of the compatibility test differ by what their names say, as `cargo xtask
//! compat` classifies it: `compat_v1` → `compat_v2` only by changes compatible for the Rust API
//! (one of each kind the client in `golden_compile.rs` relies on surviving; the loosened bound
//! still breaks receivers on the old schema, which may now get a value they reject),
//! `compat_v1` → `compat_breaking` by a breaking one. `compat_clients.rs` covers every kind.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proptech_catalog::SchemaSet;
use proptech_publish::compat::{self, ChangeKind, RustVerdict, Severity};

fn snapshot(name: &str) -> compat::Snapshot {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    let set = SchemaSet::load(dir).expect("schema set loads");
    proptech_publish::snapshot_of_set(&set, "1.0.0").expect("snapshot")
}

fn kinds(report: &compat::Report) -> BTreeSet<&'static str> {
    report.changes.iter().map(|c| c.kind.name()).collect()
}

#[test]
fn version_2_differs_from_version_1_only_by_compatible_changes() {
    let report = compat::compare(&snapshot("compat_v1"), &snapshot("compat_v2"));
    for change in &report.changes {
        assert!(
            matches!(&change.rust, RustVerdict::Compared(_))
                && change.rust.severity() == Severity::Compatible,
            "{change}: {}\n{}",
            change.rust.describe(),
            report.render()
        );
        // On the wire, only the loosened bound breaks anyone: receivers on the old schema.
        let wire_breaking = change.wire.severity() == Severity::Breaking;
        assert_eq!(
            wire_breaking,
            change.kind == ChangeKind::LoosenedBound,
            "{change}\n{}",
            report.render()
        );
        if wire_breaking {
            assert_eq!(change.wire.new_receivers, Severity::Compatible);
        }
    }
    assert!(report.rust_only.is_empty(), "{}", report.render());
    let want: BTreeSet<_> = [
        ChangeKind::AddedEvent,
        ChangeKind::AddedOptionalProperty,
        ChangeKind::AddedEnumValue,
        ChangeKind::LoosenedBound,
    ]
    .into_iter()
    .map(ChangeKind::name)
    .collect();
    assert_eq!(kinds(&report), want, "{}", report.render());
}

#[test]
fn the_breaking_set_adds_a_required_member() {
    let report = compat::compare(&snapshot("compat_v1"), &snapshot("compat_breaking"));
    assert!(
        report
            .changes
            .iter()
            .any(|c| c.kind == ChangeKind::AddedRequiredProperty
                && c.wire.new_receivers == Severity::Breaking
                && c.rust.severity() == Severity::Breaking),
        "{}",
        report.render()
    );
}
