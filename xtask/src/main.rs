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
    let mut stale = Vec::new();
    for file in &files {
        if let Some(problem) = ensure_file_contents(&root.join(&file.path), &file.contents, check)?
        {
            stale.push(format!("{}: {problem}", file.path));
        }
    }
    for dir in proptech_codegen::GENERATED_DIRS {
        for path in proptech_catalog::walk(&root.join(dir)).map_err(|e| e.to_string())? {
            let rel = path
                .strip_prefix(&root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if files.iter().any(|f| f.path == rel) {
                continue;
            }
            if check {
                stale.push(format!("{rel}: not generated any more"));
            } else {
                std::fs::remove_file(&path).map_err(|e| format!("{rel}: {e}"))?;
                eprintln!("removed {rel}");
            }
        }
    }
    if stale.is_empty() {
        if !check {
            eprintln!("{} generated files are up to date", files.len());
        }
        Ok(())
    } else {
        Err(format!(
            "generated code is stale; run `cargo xtask gen` and commit:\n  {}",
            stale.join("\n  ")
        ))
    }
}

/// Makes `path` hold `contents`. In check mode it writes nothing and returns what is wrong.
fn ensure_file_contents(
    path: &Path,
    contents: &str,
    check: bool,
) -> Result<Option<&'static str>, String> {
    let current = std::fs::read_to_string(path).ok();
    if current.as_deref() == Some(contents) {
        return Ok(None);
    }
    let problem = if current.is_some() {
        "out of date"
    } else {
        "missing"
    };
    if check {
        return Ok(Some(problem));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(None)
}
