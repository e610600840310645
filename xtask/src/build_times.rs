//! `cargo xtask build-times [--runs N]`: the release build time of `proptech-events` itself with
//! each feature set.

use anyhow::Result;

use crate::workspace_root;

/// Times `cargo build --release -p proptech-events` with each feature set, after touching the crate
/// so only it rebuilds; prints the median of `runs` builds and its ratio to the all-providers build.
pub fn run(runs: usize) -> Result<()> {
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
    let build = |args: &[&str]| -> Result<()> {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(&root)
            .args(["build", "--release", "--quiet", "-p", "proptech-events"])
            .args(args)
            .status()?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| anyhow::anyhow!("build failed: {args:?}"))
    };
    let mut rows = Vec::new();
    for (name, args) in sets {
        build(args)?; // dependencies and this feature set's dependency graph, not timed
        let mut times = Vec::new();
        for _ in 0..runs.max(1) {
            let text = std::fs::read_to_string(&lib)?;
            std::fs::write(&lib, text)?; // touch
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
