//! `cargo xtask publish [--out DIR]`: write the partner bundle for the workspace's version;
//! `cargo xtask samples [--out DIR]`: write the sample corpus the partner generators are checked with.

use std::path::Path;

use anyhow::{Context, Result};
use proptech_catalog::SchemaSet;

use crate::{workspace_root, workspace_version};

/// Writes the partner bundle into `out`, removing files a previous run left that the bundle no
/// longer has.
pub fn run(out: &Path) -> Result<()> {
    let root = workspace_root();
    let version = workspace_version(&root)?;
    let set = SchemaSet::load(root.join("schemas"))?;
    let files = proptech_publish::publish(&set, &version)?;
    if out.exists() {
        for path in proptech_catalog::walk(out)? {
            let rel = path
                .strip_prefix(out)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&path).with_context(|| path.display().to_string())?;
            }
        }
    }
    for file in &files {
        let path = out.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        }
        std::fs::write(&path, &file.contents).with_context(|| path.display().to_string())?;
    }
    eprintln!(
        "wrote the {version} bundle: {} files in {}",
        files.len(),
        out.display()
    );
    Ok(())
}

/// Writes the partner sample corpus ([`proptech_publish::samples`]) into `out`, one file per
/// provider.
pub fn samples(out: &Path) -> Result<()> {
    let root = workspace_root();
    let set = SchemaSet::load(root.join("schemas"))?;
    let samples = proptech_publish::samples::samples(&set, &root.join("tests/valid"))?;
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    for provider in set.provider_names() {
        let path = out.join(format!("{provider}.json"));
        let json = proptech_publish::samples::to_json(&samples, provider);
        let text = serde_json::to_string_pretty(&json)?;
        std::fs::write(&path, text + "\n").with_context(|| path.display().to_string())?;
    }
    // The negative corpus, for the partner validators (Ajv) to judge as the Rust suite does.
    let negative_dir = out.join("negative");
    std::fs::create_dir_all(&negative_dir).with_context(|| negative_dir.display().to_string())?;
    let mut negatives = 0;
    for provider in set.provider_names() {
        let cases = proptech_conformance::NegativeCorpus::of(provider).case;
        let json = cases
            .iter()
            .map(|case| {
                let payload = case
                    .payload(provider)
                    .map_err(|e| anyhow::anyhow!("{provider}: {}: {e}", case.what))?;
                Ok(serde_json::json!({
                    "schema": format!("{provider}/{}", case.schema),
                    "what": case.what,
                    "expect": { "path": case.expect.path, "keyword": case.expect.keyword },
                    "payload": payload,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        negatives += json.len();
        let path = negative_dir.join(format!("{provider}.json"));
        let text = serde_json::to_string_pretty(&json)?;
        std::fs::write(&path, text + "\n").with_context(|| path.display().to_string())?;
    }
    eprintln!(
        "wrote {} samples and {negatives} negative cases in {}",
        samples.len(),
        out.display()
    );
    Ok(())
}
