//! The embedded sample table is what `cargo xtask gen` writes from `schemas/` now.

use proptech_catalog::SchemaSet;

#[test]
fn the_embedded_samples_are_fresh() {
    let root = crate::workspace();
    let set = SchemaSet::load(root.join("schemas")).expect("schema set");
    let samples =
        proptech_publish::samples::samples(&set, &root.join("tests/valid")).expect("samples");
    let expected = proptech_publish::samples::cli_table(&samples);
    let committed = std::fs::read_to_string(root.join(proptech_publish::samples::CLI_TABLE_PATH))
        .expect("the committed table");
    assert!(
        committed == expected,
        "{} is stale; run `cargo xtask gen` and commit",
        proptech_publish::samples::CLI_TABLE_PATH
    );
    // One sample per event of the catalog.
    assert_eq!(committed.matches("\n    (\"").count(), 90);
}
