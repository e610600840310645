//! `cargo xtask bench`: the receive benchmarks, printed as the README's table.

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// Runs the receive benchmarks and prints a Markdown table from criterion's estimates.
pub fn run() -> Result<()> {
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
            .status()?;
        if !status.success() {
            bail!("cargo bench --bench {bench} failed");
        }
    }
    let dir = root.join("target/criterion");
    let read = |provider: &str, name: &str| -> Result<(f64, f64)> {
        let base = dir.join(provider).join(name);
        let estimates = proptech_catalog::read_json(&base.join("new/estimates.json"))?;
        let bench = proptech_catalog::read_json(&base.join("new/benchmark.json"))?;
        let ns = estimates["mean"]["point_estimate"]
            .as_f64()
            .context("no mean estimate")?;
        let n = bench["throughput"]["Elements"]
            .as_f64()
            .context("no throughput")?;
        Ok((ns, n))
    };
    println!(
        "| provider | bare typed parse | HMAC + bare parse (baseline) | verify + parse | verify + parse + validate | HMAC + naive validate route |"
    );
    println!("|---|---|---|---|---|---|");
    let set = proptech_catalog::SchemaSet::load(workspace_root().join("schemas"))?;
    // The providers that sign: a provider without a signature has no receive path to time.
    let signed = set
        .providers()
        .iter()
        .filter(|d| d.hmac().is_some())
        .map(|d| d.name.as_str());
    for provider in signed {
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
    let (plain, _) = read("process", "verify_and_parse")?;
    println!("\n| route (one new delivery) | per delivery | ratio to verify + parse |");
    println!("|---|---|---|");
    println!(
        "| verify + parse (no dedupe) | {:.2} us | 1.00x |",
        plain / 1000.0
    );
    let (memory, _) = read("process", "process_in_memory")?;
    println!(
        "| process, in-memory store | {:.2} us | {:.2}x |",
        memory / 1000.0,
        memory / plain
    );
    match read("process", "process_redis") {
        Ok((redis, _)) => println!(
            "| process, Redis store (loopback) | {:.2} us | {:.2}x |",
            redis / 1000.0,
            redis / plain
        ),
        Err(_) => println!("| process, Redis store | not measured (no redis-server) | |"),
    }
    for validate in [false, true] {
        let file = dir.join(format!("peak-memory-validate-{validate}.txt"));
        let ratio = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        println!("\nPeak heap receiving a 10 MiB body (validate = {validate}): {ratio}x its size.");
    }
    Ok(())
}
