//! `cargo xtask gen [--check]`: regenerate the typed crates from `schemas/`; with `--check`,
//! change nothing and fail if any generated file is stale.

use anyhow::{Context, Result, bail};
use proptech_catalog::SchemaSet;

use crate::workspace_root;

/// Runs every generator. In check mode nothing is written, and every stale file is reported.
pub fn run(check: bool) -> Result<()> {
    let root = workspace_root();
    let set = SchemaSet::load(root.join("schemas"))?;
    let mut files = proptech_codegen::generate(&set)?;
    // The command-line tool embeds every event's sample (`send --event`, `events show`).
    let samples = proptech_publish::samples::samples(&set, &root.join("tests/valid"))?;
    files.push(proptech_codegen::GeneratedFile {
        path: proptech_publish::samples::CLI_TABLE_PATH.to_owned(),
        contents: proptech_publish::samples::cli_table(&samples),
    });
    let stale = proptech_codegen::stale_files(&root, &files)?;
    if stale.is_empty() {
        eprintln!("{} generated files are up to date", files.len());
        return Ok(());
    }
    if check {
        bail!(proptech_codegen::stale_message(&stale));
    }
    for file in &files {
        let path = root.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        }
        std::fs::write(&path, &file.contents).with_context(|| file.path.clone())?;
        eprintln!("wrote {}", file.path);
    }
    for dir in proptech_codegen::GENERATED_DIRS {
        for path in proptech_catalog::walk(&root.join(dir))? {
            let rel = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&path).with_context(|| rel.clone())?;
                eprintln!("removed {rel}");
            }
        }
    }
    Ok(())
}
