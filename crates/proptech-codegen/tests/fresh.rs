//! The committed generated code is what `cargo xtask gen` writes now, and a hand edit is caught.

use std::path::{Path, PathBuf};

use proptech_catalog::SchemaSet;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_code_is_fresh() {
    let set = SchemaSet::load(workspace().join("schemas")).expect("schema set loads");
    let files = proptech_codegen::generate(&set).expect("generation succeeds");
    let stale = proptech_codegen::stale_files(&workspace(), &files).expect("readable");
    assert!(
        stale.is_empty(),
        "{}",
        proptech_codegen::stale_message(&stale)
    );
}

#[test]
fn generation_is_deterministic_and_marked() {
    let set = SchemaSet::load(workspace().join("schemas")).expect("schema set loads");
    let first = proptech_codegen::generate(&set).expect("generation succeeds");
    let second = proptech_codegen::generate(&set).expect("generation succeeds");
    assert_eq!(first, second);
    for file in &first {
        assert!(
            file.contents.starts_with(proptech_codegen::PREAMBLE),
            "{} lacks the @generated line",
            file.path
        );
        let here = workspace().canonicalize().expect("workspace path");
        let here = here.to_string_lossy();
        assert!(
            !file.contents.contains(&*here),
            "{} holds a machine path",
            file.path
        );
    }
}

#[test]
fn a_hand_edited_generated_file_is_reported() {
    let set = SchemaSet::load(workspace().join("schemas")).expect("schema set loads");
    let files = proptech_codegen::generate(&set).expect("generation succeeds");
    let tmp = std::env::temp_dir().join(format!("proptech-fresh-{}", std::process::id()));
    for f in &files {
        let path = tmp.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &f.contents).expect("write");
    }
    assert!(
        proptech_codegen::stale_files(&tmp, &files)
            .expect("readable")
            .is_empty()
    );

    let edited = tmp.join("crates/proptech-events/src/generated/repull.rs");
    let text = std::fs::read_to_string(&edited).expect("read");
    std::fs::write(&edited, text.replacen("pub struct", "pub(crate) struct", 1)).expect("edit");
    std::fs::write(
        tmp.join("crates/proptech-events/src/generated/extra.rs"),
        "// stray",
    )
    .expect("add");
    let stale = proptech_codegen::stale_files(&tmp, &files).expect("readable");
    let message = proptech_codegen::stale_message(&stale);
    std::fs::remove_dir_all(&tmp).ok();
    assert_eq!(stale.len(), 2, "{message}");
    assert!(message.contains("repull.rs: out of date"), "{message}");
    assert!(
        message.contains("extra.rs: not generated any more"),
        "{message}"
    );
    assert!(message.contains("run `cargo xtask gen`"), "{message}");
}
