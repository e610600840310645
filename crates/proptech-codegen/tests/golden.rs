//! Golden tests of the generator: each small schema set under `tests/schemas/<name>/` renders to
//! the committed `tests/golden/<name>.rs`. `UPDATE_GOLDEN=1` rewrites the golden files; review the
//! diff before committing. `golden_compile.rs` compiles every golden file.

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

/// A line diff of `want` and `got`, for the failure message.
fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<_>, Vec<_>) = (want.lines().collect(), got.lines().collect());
    let mut out = String::new();
    for i in 0..w.len().max(g.len()) {
        match (w.get(i), g.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                out.push_str(&format!(
                    "line {}:\n- {}\n+ {}\n",
                    i + 1,
                    a.unwrap_or(&""),
                    b.unwrap_or(&"")
                ));
            }
        }
    }
    out
}

#[test]
fn every_schema_set_renders_to_its_golden_file() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut sets: Vec<_> = std::fs::read_dir(here().join("schemas"))
        .expect("tests/schemas")
        .map(|e| e.expect("entry").path())
        .collect();
    sets.sort();
    assert!(!sets.is_empty(), "no schema sets under tests/schemas");
    let mut failures = Vec::new();
    for dir in &sets {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let got = render(dir);
        assert!(
            got.starts_with(proptech_codegen::PREAMBLE),
            "{name}: no @generated line"
        );
        let golden = here().join("golden").join(format!("{name}.rs"));
        if update {
            std::fs::write(&golden, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{name}:\n{}", diff(&want, &got))),
            Err(_) => failures.push(format!("{name}: no golden file {name}.rs")),
        }
    }
    assert!(
        failures.is_empty(),
        "generated code differs from the golden files (run with UPDATE_GOLDEN=1 and review):\n{}",
        failures.join("\n")
    );
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
