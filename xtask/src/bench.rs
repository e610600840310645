//! `cargo xtask bench`: the receive benchmarks, printed as the tables of `docs/performance.md`.

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// Runs the receive benchmarks and prints a Markdown table from criterion's estimates.
pub fn run() -> Result<()> {
    use std::process::Command;
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (bench, features, extra) in [
        // One feature set for both, so they share one build of the crate and its dependencies.
        ("peak_memory", "validate,redis", &[][..]),
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
    let set = proptech_catalog::SchemaSet::load(workspace_root().join("schemas"))?;
    // The providers that sign: a provider without a signature has no receive path to time.
    let signed: Vec<&str> = set
        .providers()
        .iter()
        .filter(|d| d.hmac().is_some())
        .map(|d| d.name.as_str())
        .collect();
    let per = |ns: f64, n: f64| format!("{:.2} us", ns / n / 1000.0);
    println!("Per delivery over each provider's documented samples, and the ratio to the floor");
    println!("(HMAC + bare typed parse), all measured in this run.\n");
    println!(
        "| provider | Value parse | bare typed parse (to Value) | floor: HMAC + bare parse | naive validated route | receive | receive + validate | standardwebhooks verify + parse |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for provider in &signed {
        let (value, n) = read(provider, "value_parse")?;
        let (bare, _) = read(provider, "bare_parse")?;
        let (floor, _) = read(provider, "hmac_plus_bare_parse")?;
        let (naive, _) = read(provider, "hmac_plus_naive_validate")?;
        let (receive, _) = read(provider, "receive")?;
        let (validated, _) = read(provider, "receive_validate")?;
        let to_floor = |ns: f64| format!("{} ({:.2}x)", per(ns, n), ns / floor);
        let standard = read(provider, "standardwebhooks_plus_bare_parse")
            .map_or_else(|_| "n/a".to_owned(), |(ns, _)| to_floor(ns));
        println!(
            "| {provider} | {} | {} ({:.2}x) | {} (1.00x) | {} | {} | {} | {standard} |",
            per(value, n),
            per(bare, n),
            bare / value,
            per(floor, n),
            to_floor(naive),
            to_floor(receive),
            to_floor(validated),
        );
    }
    println!(
        "\nThe same, timed in turns (each routine over the samples, one after the other, 3,000"
    );
    println!("times), so that the machine's state moves every column alike:\n");
    println!(
        "| provider | Value parse | bare typed parse (to Value) | floor | receive | receive + validate |"
    );
    println!("|---|---|---|---|---|---|");
    for provider in &signed {
        let file = dir.join(provider).join("receive_interleaved/ratio.json");
        let r = proptech_catalog::read_json(&file)?;
        let ns = |k: &str| r[k].as_f64().context("a time in receive_interleaved");
        let floor = ns("floor_ns")?;
        let cell = |v: f64| format!("{:.2} us ({:.2}x)", v / 1000.0, v / floor);
        let (value, bare) = (ns("value_ns")?, ns("bare_ns")?);
        println!(
            "| {provider} | {:.2} us | {:.2} us ({:.2}x) | {} | {} | {} |",
            value / 1000.0,
            bare / 1000.0,
            bare / value,
            cell(floor),
            cell(ns("receive_ns")?),
            cell(ns("receive_validate_ns")?)
        );
    }
    println!("\n`process` over fresh deliveries (new ids, dated and signed in the setup), handler");
    println!("returning at once, on a store kept at about 120,000 entries, against `receive` over");
    println!("the same deliveries.\n");
    println!(
        "| provider | receive | process, in memory | process, Redis (one at a time) | process, Redis, 64 in flight: per second, p50, p99 |"
    );
    println!("|---|---|---|---|---|");
    for provider in &signed {
        let (receive, n) = read(provider, "receive_fresh")?;
        let (memory, _) = read(provider, "process_in_memory")?;
        let redis = read(provider, "process_redis").map_or_else(
            |_| "not measured (no redis-server)".to_owned(),
            |(ns, _)| format!("{} ({:.2}x)", per(ns, n), ns / receive),
        );
        let file = dir.join(provider).join("process_redis_64/latency.json");
        let flight = proptech_catalog::read_json(&file).map_or_else(
            |_| "not measured".to_owned(),
            |r| {
                format!(
                    "{:.0}/s, {:.0} us, {:.0} us",
                    r["per_second"].as_f64().unwrap_or(0.0),
                    r["p50_us"].as_f64().unwrap_or(0.0),
                    r["p99_us"].as_f64().unwrap_or(0.0)
                )
            },
        );
        println!(
            "| {provider} | {} (1.00x) | {} ({:.2}x) | {redis} | {flight} |",
            per(receive, n),
            per(memory, n),
            memory / receive,
        );
    }
    println!("\nThe same deliveries timed batch by batch, taking turns at going first: `receive`;");
    println!("the work `process` cannot do without (`receive`, the keys' digests, their claim and");
    println!(
        "completion in a store of the same size, called directly); and `process` in memory.\n"
    );
    println!(
        "| provider | receive | receive + keys + claim + complete | process, in memory | process / (receive + keys + claim + complete) |"
    );
    println!("|---|---|---|---|---|");
    for provider in &signed {
        let file = dir.join(provider).join("process_interleaved/ratio.json");
        let r = proptech_catalog::read_json(&file)?;
        let ns = |k: &str| r[k].as_f64().context("a time in process_interleaved");
        let (receive, floor, process) = (
            ns("receive_ns")?,
            ns("process_floor_ns")?,
            ns("process_ns")?,
        );
        println!(
            "| {provider} | {:.2} us (1.00x) | {:.2} us ({:.2}x) | {:.2} us ({:.2}x) | {:.2}x |",
            receive / 1000.0,
            floor / 1000.0,
            floor / receive,
            process / 1000.0,
            process / receive,
            process / floor,
        );
    }
    for validate in [false, true] {
        let file = dir.join(format!("peak-memory-validate-{validate}.txt"));
        let ratio = std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
        println!("\nPeak heap receiving a 10 MiB body (validate = {validate}): {ratio}x its size.");
    }
    Ok(())
}
