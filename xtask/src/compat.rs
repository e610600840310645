//! `cargo xtask compat --base <git ref | bundle dir> [--changelog FILE]`: the breaking-change gate
//! between `base` and the working tree, on the wire (both directions) and on the generated Rust
//! API. This tree's generator renders both versions' APIs: from the ref's `schemas/`, or from a
//! bundle's `source/` (a bundle without it is reported as not compared for Rust).

use std::path::Path;

use anyhow::{Context, Result, bail};
use proptech_catalog::SchemaSet;

use crate::{workspace_root, workspace_version};

/// Compares `base` (a bundle directory, or a git ref of this repository) with the working tree.
pub fn run(base: &str, changelog: Option<&Path>) -> Result<()> {
    let root = workspace_root();
    let head_set = SchemaSet::load(root.join("schemas"))?;
    let head = proptech_publish::snapshot_of_set(&head_set, &workspace_version(&root)?)?;
    let base_dir = Path::new(base);
    let base = if base_dir.join("bundle.json").is_file() {
        proptech_publish::snapshot_of_bundle(base_dir)?
    } else {
        snapshot_of_git_ref(&root, base)?
    };
    let report = proptech_publish::compat::compare(&base, &head);
    print!("{}", report.render());
    if let Some(file) = changelog {
        let existing = std::fs::read_to_string(file).unwrap_or_default();
        let updated = proptech_publish::insert_changelog_entry(&existing, &report);
        std::fs::write(file, updated).with_context(|| file.display().to_string())?;
        eprintln!(
            "wrote the {} entry into {}",
            report.head_version,
            file.display()
        );
    }
    Ok(report.gate()?)
}

/// The schemas and version of this repository at the git ref `reference`, extracted with
/// `git archive` into a temporary directory.
fn snapshot_of_git_ref(root: &Path, reference: &str) -> Result<proptech_publish::compat::Snapshot> {
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("proptech-compat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let mut archive = Command::new("git")
        .current_dir(root)
        .args([
            "archive",
            "--format=tar",
            reference,
            "--",
            "schemas",
            "Cargo.toml",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("git archive")?;
    let untar = Command::new("tar")
        .current_dir(&dir)
        .arg("-x")
        .stdin(archive.stdout.take().context("git archive: no output")?)
        .status()
        .context("tar")?;
    let archived = archive.wait().context("git archive")?;
    if !archived.success() || !untar.success() {
        bail!(
            "{reference:?} is neither a bundle directory (with bundle.json) nor a git ref with \
             schemas/ and Cargo.toml"
        );
    }
    let result = (|| -> Result<_> {
        let version = workspace_version(&dir)?;
        let mut set = SchemaSet::load(dir.join("schemas"))?;
        // A ref from before descriptors is read with this workspace's.
        set.lend_descriptors(&SchemaSet::load(workspace_root().join("schemas"))?);
        Ok(proptech_publish::snapshot_of_set(&set, &version)?)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
