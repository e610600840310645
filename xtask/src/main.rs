//! Project automation, run as `cargo xtask <command>`.
//!
//! - `gen [--check]`: regenerate the typed crates from `schemas/`; with `--check`, change nothing
//!   and fail if any generated file is stale.
//! - `bench`: run the receive benchmarks and print `docs/performance.md`'s table of events per second and
//!   ratios to the baseline measured in the same run.
//! - `build-times [--runs N]`: measure the release build of `proptech-events` itself (dependencies
//!   already built) with all providers and with each one alone, and print a Markdown table.
//! - `publish [--out DIR]`: write the partner bundle (default `dist/`) for the workspace's version.
//! - `samples [--out DIR]`: write the sample corpus the partner code generators are checked with,
//!   one `<provider>.json` per provider (default `target/partner-samples/`), and the negative
//!   corpus as `negative/<provider>.json`.
//! - `compat --base <git ref | bundle dir> [--changelog FILE]`: compare the schemas of `base` with
//!   the working tree's, print every change classified as breaking or compatible, and fail on a
//!   breaking change unless the version's major part was bumped; with `--changelog`, also write the
//!   change log entry for the new version into FILE.
//! - `fuzz [TARGET] [--seconds N] [--jobs N]`: write the seed corpora, build the fuzz targets of
//!   `fuzz/` and run each for N seconds (default: all of them, 60 s, two at a time); fail on a
//!   crash, printing the reproducer.
//! - `drift apply REPORT [--schemas DIR]`: turn a drift report (`proptech-events drift --json`)
//!   into schema changes marked `x-observed`: new optional members with their observed types,
//!   new enum values.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};

mod bench;
mod build_times;
mod compat;
mod drift;
mod fuzz;
mod generate;
mod publish;

const USAGE: &str = "usage: cargo xtask gen [--check] | cargo xtask bench | \
cargo xtask build-times [--runs N] | cargo xtask publish [--out DIR] | \
cargo xtask samples [--out DIR] | \
cargo xtask compat --base <git ref | bundle dir> [--changelog FILE] | \
cargo xtask fuzz [TARGET] [--seconds N] [--jobs N] | \
cargo xtask drift apply REPORT [--schemas DIR]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => generate::run(false),
        ["gen", "--check"] => generate::run(true),
        ["bench"] => bench::run(),
        ["build-times"] => build_times::run(3),
        ["build-times", "--runs", n] => n
            .parse()
            .map_err(|_| anyhow!("--runs takes a number, not {n:?}"))
            .and_then(build_times::run),
        ["publish"] => publish::run(&workspace_root().join("dist")),
        ["publish", "--out", dir] => publish::run(Path::new(dir)),
        ["samples"] => publish::samples(&workspace_root().join("target/partner-samples")),
        ["samples", "--out", dir] => publish::samples(Path::new(dir)),
        ["drift", "apply", report] => drift::apply(Path::new(report), None),
        ["drift", "apply", report, "--schemas", dir] => {
            drift::apply(Path::new(report), Some(Path::new(dir)))
        }
        ["compat", "--base", base] => compat::run(base, None),
        ["compat", "--base", base, "--changelog", file] => compat::run(base, Some(Path::new(file))),
        ["fuzz", rest @ ..] => fuzz::main(rest),
        _ => Err(anyhow!(USAGE)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The version of the workspace (`[workspace.package] version` in `Cargo.toml`), which is also
/// the version of the schema bundle.
pub(crate) fn workspace_version(root: &Path) -> Result<String> {
    let manifest = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).with_context(|| manifest.display().to_string())?;
    proptech_publish::workspace_version(&text).with_context(|| manifest.display().to_string())
}
