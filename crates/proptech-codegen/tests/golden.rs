//! Golden tests of the generator: each small schema set under `tests/schemas/<name>/` renders to
//! its insta snapshot `tests/golden/generated@<name>.snap.rs`, plain Rust that `golden_compile.rs`
//! compiles. A change is reviewed with `cargo insta review` (or `cargo insta test --accept` after
//! reading the diff); CI runs with `INSTA_UPDATE=no` and never writes a snapshot.

use std::path::{Path, PathBuf};

use proptech_catalog::SchemaSet;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// The rendered module of one schema set (its only provider directory names the provider).
pub fn render(dir: &Path) -> String {
    let set = SchemaSet::load(dir).expect("schema set loads");
    let providers: Vec<_> = std::fs::read_dir(dir)
        .expect("schema set directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        providers.len(),
        1,
        "{}: one provider directory",
        dir.display()
    );
    proptech_codegen::render_provider(&set, &providers[0])
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .contents
}

/// One snapshot per schema set, named after it; every set reports, not only the first failure.
#[test]
fn generated() {
    insta::with_settings!({ snapshot_path => "golden", prepend_module_to_snapshot => false }, {
        insta::glob!("schemas/*", |dir| {
            let got = render(dir);
            assert!(
                got.starts_with(proptech_codegen::PREAMBLE),
                "{}: no @generated line",
                dir.display()
            );
            insta::assert_binary_snapshot!(".rs", got.into_bytes());
        });
    });
}

/// `cargo xtask compat` reads the public Rust API back from the generator's output: it must read
/// every construct's output (tuple structs, tagged enums, pattern-keyed maps, boxes).
#[test]
fn every_schema_set_has_a_readable_public_api() {
    let mut sets: Vec<_> = std::fs::read_dir(here().join("schemas"))
        .expect("tests/schemas")
        .map(|e| e.expect("entry").path())
        .collect();
    sets.sort();
    for dir in &sets {
        let set = SchemaSet::load(dir).expect("schema set loads");
        if set.descriptor("lavanda").is_none() {
            continue; // a set of another provider's envelope
        }
        let api = proptech_codegen::api::provider_api(&set, "lavanda")
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if dir.ends_with("prefix_items") {
            // A tuple's positions are its fields, so compat sees a position retyped.
            let point = api
                .items
                .get("lavanda::SpacesBuildingCreatedPoint")
                .unwrap_or_else(|| panic!("{:?}", api.items.keys()));
            let proptech_codegen::api::Shape::Struct { fields, .. } = &point.shape else {
                panic!("{point:?}");
            };
            let positions: Vec<_> = fields.keys().map(String::as_str).collect();
            assert_eq!(positions, ["0", "1", "2"], "{point:?}");
            assert_eq!(fields["2"].ty, "Option<String>");
        }
    }
}
