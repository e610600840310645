//! `cargo xtask build-times [--runs N]`: the release build time of `proptech-events` itself with
//! each feature set.

use anyhow::Result;

use crate::workspace_root;

/// Times `cargo build --release -p proptech-events` with each feature set, after touching the crate
/// so only it rebuilds; prints the median of `runs` builds and its ratio to the all-providers build,
/// by the clock and in CPU time (the compiler's user + system time, which another process on the
/// machine disturbs far less than the clock).
pub fn run(runs: usize) -> Result<()> {
    use std::process::Command;
    use std::time::Instant;
    let root = workspace_root();
    let lib = root.join("crates/proptech-events/src/lib.rs");
    let set = proptech_catalog::SchemaSet::load(root.join("schemas"))?;
    let mut sets: Vec<(String, Vec<String>)> = vec![
        ("all providers (default)".to_owned(), Vec::new()),
        // What every feature set builds: the runtime (formats, errors, parse helpers), no provider.
        (
            "no provider (runtime only)".to_owned(),
            vec!["--no-default-features".to_owned()],
        ),
    ];
    for provider in set.provider_names() {
        sets.push((
            format!("{provider} only"),
            ["--no-default-features", "--features", provider]
                .map(str::to_owned)
                .to_vec(),
        ));
    }
    let build = |args: &[String]| -> Result<()> {
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
    for (name, args) in &sets {
        build(args)?; // dependencies and this feature set's dependency graph, not timed
        let (mut times, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..runs.max(1) {
            let text = std::fs::read_to_string(&lib)?;
            std::fs::write(&lib, text)?; // touch
            let (start, cpu_start) = (Instant::now(), children_cpu_seconds());
            build(args)?;
            times.push(start.elapsed().as_secs_f64());
            cpu.push(
                children_cpu_seconds()
                    .zip(cpu_start)
                    .map(|(end, start)| end - start),
            );
        }
        eprintln!("{name}: {times:.1?} (CPU {cpu:.1?})");
        let cpu: Option<Vec<f64>> = cpu.into_iter().collect();
        rows.push((name, median(times), cpu.map(median)));
    }
    let (all, all_cpu) = (rows[0].1, rows[0].2);
    println!(
        "| features | build (median of {runs}) | share of all providers | CPU time | share of all (CPU) |"
    );
    println!("|---|---|---|---|---|");
    for (name, t, cpu) in rows {
        let (cpu_text, cpu_share) = match (cpu, all_cpu) {
            (Some(c), Some(a)) => (format!("{c:.1} s"), format!("{:.0} %", 100.0 * c / a)),
            _ => ("n/a".to_owned(), "n/a".to_owned()),
        };
        println!(
            "| {name} | {t:.1} s | {:.0} % | {cpu_text} | {cpu_share} |",
            100.0 * t / all
        );
    }
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The user + system CPU time of this process's finished children (Linux: `/proc/self/stat`,
/// fields `cutime` and `cstime`, in clock ticks of 1/100 s); `None` elsewhere.
fn children_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): cutime is field 16, cstime field 17.
    let ticks = |field: usize| fields.get(field - 3)?.parse::<f64>().ok();
    Some((ticks(16)? + ticks(17)?) / 100.0)
}
