//! Project automation, run as `cargo xtask <command>`.
//!
//! - `gen [--check]`: regenerate the typed crates from `schemas/`; with `--check`, change nothing
//!   and fail if any generated file is stale.
//! - `bench`: run the receive benchmarks and print the README's table of events per second and
//!   ratios to the baseline measured in the same run.
//! - `build-times [--runs N]`: measure the release build of `proptech-events` itself (dependencies
//!   already built) with all providers and with each one alone, and print a Markdown table.
//! - `publish [--out DIR]`: write the partner bundle (default `dist/`) for the workspace's version.
//! - `samples [--out DIR]`: write the sample corpus the partner code generators are checked with,
//!   one `<provider>.json` per provider (default `target/partner-samples/`).
//! - `compat --base <git ref | bundle dir> [--changelog FILE]`: compare the schemas of `base` with
//!   the working tree's, print every change classified as breaking or compatible, and fail on a
//!   breaking change unless the version's major part was bumped; with `--changelog`, also write the
//!   change log entry for the new version into FILE.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use proptech_catalog::SchemaSet;

const USAGE: &str = "usage: cargo xtask gen [--check] | cargo xtask bench | \
cargo xtask build-times [--runs N] | cargo xtask publish [--out DIR] | \
cargo xtask samples [--out DIR] | \
cargo xtask compat --base <git ref | bundle dir> [--changelog FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => generate(false),
        ["gen", "--check"] => generate(true),
        ["bench"] => bench(),
        ["build-times"] => build_times(3),
        ["build-times", "--runs", n] => n
            .parse()
            .map_err(|_| format!("--runs takes a number, not {n:?}"))
            .and_then(build_times),
        ["publish"] => publish(&workspace_root().join("dist")),
        ["publish", "--out", dir] => publish(Path::new(dir)),
        ["samples"] => samples(&workspace_root().join("target/partner-samples")),
        ["samples", "--out", dir] => samples(Path::new(dir)),
        ["compat", "--base", base] => compat(base, None),
        ["compat", "--base", base, "--changelog", file] => compat(base, Some(Path::new(file))),
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

/// Times `cargo build --release -p proptech-events` with each feature set, after touching the crate
/// so only it rebuilds; prints the median of `runs` builds and its ratio to the all-providers build.
fn build_times(runs: usize) -> Result<(), String> {
    use std::process::Command;
    use std::time::Instant;
    let root = workspace_root();
    let lib = root.join("crates/proptech-events/src/lib.rs");
    let sets: [(&str, &[&str]); 5] = [
        ("all providers (default)", &[]),
        (
            "valara only",
            &["--no-default-features", "--features", "valara"],
        ),
        (
            "repull only",
            &["--no-default-features", "--features", "repull"],
        ),
        (
            "lavanda only",
            &["--no-default-features", "--features", "lavanda"],
        ),
        (
            "everreal only",
            &["--no-default-features", "--features", "everreal"],
        ),
    ];
    let build = |args: &[&str]| -> Result<(), String> {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args(["build", "--release", "--quiet", "-p", "proptech-events"])
            .args(args)
            .status()
            .map_err(|e| e.to_string())?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("build failed: {args:?}"))
    };
    let mut rows = Vec::new();
    for (name, args) in sets {
        build(args)?; // dependencies and this feature set's dependency graph, not timed
        let mut times = Vec::new();
        for _ in 0..runs.max(1) {
            let text = std::fs::read_to_string(&lib).map_err(|e| e.to_string())?;
            std::fs::write(&lib, text).map_err(|e| e.to_string())?; // touch
            let start = Instant::now();
            build(args)?;
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        rows.push((name, times[times.len() / 2]));
        eprintln!("{name}: {times:.1?}");
    }
    let all = rows[0].1;
    println!("| features | build (median of {runs}) | share of all providers |");
    println!("|---|---|---|");
    for (name, t) in rows {
        println!("| {name} | {t:.1} s | {:.0} % |", 100.0 * t / all);
    }
    Ok(())
}

/// Runs the receive benchmarks and prints a Markdown table from criterion's estimates.
fn bench() -> Result<(), String> {
    use std::process::Command;
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (bench, features, extra) in [
        ("peak_memory", "validate", &[][..]),
        (
            "receive",
            "validate,redis",
            &["--", "--warm-up-time", "1", "--measurement-time", "3"][..],
        ),
    ] {
        let status = Command::new(&cargo)
            .current_dir(&root)
            .args([
                "bench",
                "-p",
                "proptech-events",
                "--features",
                features,
                "--bench",
                bench,
            ])
            .args(extra)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo bench --bench {bench} failed"));
        }
    }
    let dir = root.join("target/criterion");
    let read = |provider: &str, name: &str| -> Result<(f64, f64), String> {
        let base = dir.join(provider).join(name);
        let estimates = proptech_catalog::read_json(&base.join("new/estimates.json"))
            .map_err(|e| e.to_string())?;
        let bench = proptech_catalog::read_json(&base.join("new/benchmark.json"))
            .map_err(|e| e.to_string())?;
        let ns = estimates["mean"]["point_estimate"]
            .as_f64()
            .ok_or("no mean estimate")?;
        let n = bench["throughput"]["Elements"]
            .as_f64()
            .ok_or("no throughput")?;
        Ok((ns, n))
    };
    println!(
        "| provider | bare typed parse | HMAC + bare parse (baseline) | verify + parse | verify + parse + validate | HMAC + naive validate route |"
    );
    println!("|---|---|---|---|---|---|");
    for provider in ["valara", "repull", "lavanda"] {
        let (bare, n) = read(provider, "bare_parse")?;
        let (base, _) = read(provider, "hmac_plus_bare_parse")?;
        let (verify, _) = read(provider, "verify_and_parse")?;
        let (validated, _) = read(provider, "verify_parse_and_validate")?;
        let (naive, _) = read(provider, "hmac_plus_naive_validate")?;
        let eps = |ns: f64| format!("{:.0}k/s", n / (ns * 1e-9) / 1000.0);
        println!(
            "| {provider} | {} | {} (1.00x) | {} ({:.2}x) | {} ({:.2}x) | {} ({:.2}x) |",
            eps(bare),
            eps(base),
            eps(verify),
            verify / base,
            eps(validated),
            validated / base,
            eps(naive),
            naive / base,
        );
    }
    // One new delivery through `process`: the store's cost on top of verify + parse.
    let (plain, _) = read("repull_process", "verify_and_parse")?;
    println!("\n| route (one new Repull delivery) | per delivery | ratio to verify + parse |");
    println!("|---|---|---|");
    println!(
        "| verify + parse (no dedupe) | {:.2} us | 1.00x |",
        plain / 1000.0
    );
    let (memory, _) = read("repull_process", "process_in_memory")?;
    println!(
        "| process, in-memory store | {:.2} us | {:.2}x |",
        memory / 1000.0,
        memory / plain
    );
    match read("repull_process", "process_redis") {
        Ok((redis, _)) => println!(
            "| process, Redis store (loopback) | {:.2} us | {:.2}x |",
            redis / 1000.0,
            redis / plain
        ),
        Err(_) => println!("| process, Redis store | not measured (no redis-server) | |"),
    }
    for validate in [false, true] {
        let file = dir.join(format!("peak-memory-validate-{validate}.txt"));
        let ratio =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        println!("\nPeak heap receiving a 10 MiB body (validate = {validate}): {ratio}x its size.");
    }
    Ok(())
}

/// The version of the workspace (`[workspace.package] version` in `Cargo.toml`), which is also
/// the version of the schema bundle.
fn workspace_version(root: &Path) -> Result<String, String> {
    let manifest = root.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    proptech_publish::workspace_version(&text).map_err(|e| format!("{}: {e}", manifest.display()))
}

/// Writes the partner bundle into `out`, removing files a previous run left that the bundle no
/// longer has.
fn publish(out: &Path) -> Result<(), String> {
    let root = workspace_root();
    let version = workspace_version(&root)?;
    let set = SchemaSet::load(root.join("schemas")).map_err(|e| e.to_string())?;
    let files = proptech_publish::publish(&set, &version).map_err(|e| e.to_string())?;
    if out.exists() {
        for path in proptech_catalog::walk(out).map_err(|e| e.to_string())? {
            let rel = path
                .strip_prefix(out)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    for file in &files {
        let path = out.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &file.contents).map_err(|e| format!("{}: {e}", path.display()))?;
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
fn samples(out: &Path) -> Result<(), String> {
    let root = workspace_root();
    let set = SchemaSet::load(root.join("schemas")).map_err(|e| e.to_string())?;
    let samples = proptech_publish::samples::samples(&set, &root.join("tests/valid"))
        .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for provider in proptech_catalog::PROVIDERS {
        let path = out.join(format!("{provider}.json"));
        let json = proptech_publish::samples::to_json(&samples, provider);
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!("wrote {} samples in {}", samples.len(), out.display());
    Ok(())
}

/// Compares `base` (a bundle directory, or a git ref of this repository) with the working tree.
fn compat(base: &str, changelog: Option<&Path>) -> Result<(), String> {
    let root = workspace_root();
    let head_set = SchemaSet::load(root.join("schemas")).map_err(|e| e.to_string())?;
    let head = proptech_publish::snapshot_of_set(&head_set, &workspace_version(&root)?)
        .map_err(|e| e.to_string())?;
    let base_dir = Path::new(base);
    let base = if base_dir.join("bundle.json").is_file() {
        proptech_publish::snapshot_of_bundle(base_dir).map_err(|e| e.to_string())?
    } else {
        snapshot_of_git_ref(&root, base)?
    };
    let report = proptech_publish::compat::compare(&base, &head);
    print!("{}", report.render());
    if let Some(file) = changelog {
        let existing = std::fs::read_to_string(file).unwrap_or_default();
        let updated = proptech_publish::insert_changelog_entry(&existing, &report);
        std::fs::write(file, updated).map_err(|e| format!("{}: {e}", file.display()))?;
        eprintln!(
            "wrote the {} entry into {}",
            report.head_version,
            file.display()
        );
    }
    report.gate().map_err(|e| e.to_string())
}

/// The schemas and version of this repository at the git ref `reference`, extracted with
/// `git archive` into a temporary directory.
fn snapshot_of_git_ref(
    root: &Path,
    reference: &str,
) -> Result<proptech_publish::compat::Snapshot, String> {
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("proptech-compat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
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
        .map_err(|e| format!("git archive: {e}"))?;
    let untar = Command::new("tar")
        .current_dir(&dir)
        .arg("-x")
        .stdin(archive.stdout.take().ok_or("git archive: no output")?)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    let archived = archive.wait().map_err(|e| format!("git archive: {e}"))?;
    if !archived.success() || !untar.success() {
        return Err(format!(
            "{reference:?} is neither a bundle directory (with bundle.json) nor a git ref with \
             schemas/ and Cargo.toml"
        ));
    }
    let result = (|| {
        let version = workspace_version(&dir)?;
        let set = SchemaSet::load(dir.join("schemas")).map_err(|e| e.to_string())?;
        proptech_publish::snapshot_of_set(&set, &version).map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
