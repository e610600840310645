//! Project automation, run as `cargo xtask <command>`.
//!
//! - `gen [--check]`: regenerate the typed crates from `schemas/`; with `--check`, change nothing
//!   and fail if any generated file is stale.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use proptech_catalog::SchemaSet;

const USAGE: &str = "usage: cargo xtask gen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => generate(false),
        ["gen", "--check"] => generate(true),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs every generator. In check mode nothing is written, and every stale file is reported.
fn generate(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let set = SchemaSet::load(root.join("schemas")).map_err(|e| e.to_string())?;
    let files = proptech_codegen::generate(&set).map_err(|e| e.to_string())?;
    let stale = proptech_codegen::stale_files(&root, &files).map_err(|e| e.to_string())?;
    if stale.is_empty() {
        eprintln!("{} generated files are up to date", files.len());
        return Ok(());
    }
    if check {
        return Err(proptech_codegen::stale_message(&stale));
    }
    for file in &files {
        let path = root.join(&file.path);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| format!("{}: {e}", file.path))?;
        eprintln!("wrote {}", file.path);
    }
    for dir in proptech_codegen::GENERATED_DIRS {
        for path in proptech_catalog::walk(&root.join(dir)).map_err(|e| e.to_string())? {
            let rel = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&path).map_err(|e| format!("{rel}: {e}"))?;
                eprintln!("removed {rel}");
            }
        }
    }
    Ok(())
}
