//! `cargo xtask fuzz [TARGET] [--seconds N] [--jobs N]`: writes the seed corpora, builds the fuzz
//! targets of `fuzz/` with `cargo fuzz` (libFuzzer) and runs each for N seconds (default: every
//! target, 60 s, two at a time), printing its executions and coverage; on a crash, prints the
//! reproducer and fails.
//!
//! `cargo fuzz` needs nightly flags: the `nightly` toolchain when rustup has one, else the stable
//! one with `RUSTC_BOOTSTRAP=1`. The crates themselves stay on stable.
//!
//! Seeds are regenerated on every run into `fuzz/target/seeds/<target>/` from the documented
//! samples (`schemas/*/fixtures`, as printed and after errata), the schemas' examples,
//! `tests/valid` and the negative corpus `tests/negative` (and, for `compat`, every bundled
//! schema); libFuzzer's working corpus is `fuzz/corpus/<target>/`, its crashes go to
//! `fuzz/artifacts/<target>/` (both ignored by git).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use proptech_conformance::seeds::{Seed, negative_seeds, providers, valid_seeds};

use crate::workspace_root;

/// The fuzz targets, in the order they run.
pub const TARGETS: [&str; 6] = [
    "receive",
    "receive_signed",
    "parse",
    "differential",
    "constructs",
    "compat",
];

/// Where the construct corpus lives: one `<set>.json` per construct set the `constructs` target
/// compiles. Its sets, sorted by name, are the target's set bytes (`SETS` in
/// `fuzz/fuzz_targets/constructs.rs`, checked by a test).
const CONSTRUCTS: &str = "crates/proptech-codegen/tests/constructs";

/// The construct sets of the corpus, sorted by name.
fn construct_sets(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(CONSTRUCTS);
    let mut sets = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(set) = name.strip_suffix(".json") {
            sets.push(set.to_owned());
        }
    }
    sets.sort();
    Ok(sets)
}

/// The receivers' clock in the fuzz targets (`proptech_events_fuzz::NOW`): seeds carry it as their
/// timestamp header, so they start inside the window.
const NOW: &str = "1800000000";

/// How many parameter bytes precede the body in a `receive_signed` input
/// (`proptech_events_fuzz::SIGNED_PARAMS`); all zero: signed as sent, with the current secret.
const SIGNED_PARAMS: usize = 6;

/// libFuzzer's limits: memory per process, largest single allocation, seconds per input.
const LIMITS: [&str; 3] = ["-rss_limit_mb=2048", "-malloc_limit_mb=512", "-timeout=10"];

/// Parses the arguments and runs.
pub fn main(args: &[&str]) -> Result<()> {
    let mut target = None;
    let mut seconds = 60u64;
    let mut jobs = 2usize;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--seconds" => {
                let n = rest
                    .next()
                    .ok_or_else(|| anyhow!("--seconds takes a number"))?;
                seconds = n
                    .parse()
                    .map_err(|_| anyhow!("--seconds takes a number, not {n:?}"))?;
            }
            "--jobs" => {
                let n = rest
                    .next()
                    .ok_or_else(|| anyhow!("--jobs takes a number"))?;
                jobs = n
                    .parse()
                    .ok()
                    .filter(|j| *j > 0)
                    .ok_or_else(|| anyhow!("--jobs takes a positive number, not {n:?}"))?;
            }
            name if TARGETS.contains(&name) && target.is_none() => target = Some(name),
            other => bail!(
                "unknown fuzz argument {other:?}; targets: {}",
                TARGETS.join(", ")
            ),
        }
    }
    let targets: Vec<&str> = match target {
        Some(t) => vec![t],
        None => TARGETS.to_vec(),
    };
    run(&targets, seconds, jobs)
}

/// How to call `cargo fuzz`: `cargo +nightly fuzz` when rustup has a nightly toolchain, else
/// `cargo fuzz` with `RUSTC_BOOTSTRAP=1`.
fn cargo_fuzz(root: &Path) -> Command {
    let nightly = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with("nightly"))
        });
    let mut cmd = Command::new("cargo");
    if nightly {
        cmd.arg("+nightly");
    } else {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    // The stable toolchain `cargo xtask` runs under must not leak into the nightly build.
    cmd.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO");
    cmd.current_dir(root).arg("fuzz");
    cmd
}

/// The flags every build, run and `fmt` shares (other flags would rebuild): optimised, with debug
/// assertions and overflow checks; 16 codegen units build the generated event modules several
/// times faster than one, for slightly slower runs. No sanitizer: the workspace forbids
/// `unsafe_code`, so AddressSanitizer (cargo fuzz's default) would only instrument the
/// dependencies' unsafe code, at the price of instrumenting every crate in the build; the targets
/// look for panics, wrong verdicts and broken invariants, which need none.
const BUILD_FLAGS: [&str; 7] = [
    "--debug-assertions",
    "--codegen-units",
    "16",
    "--sanitizer",
    "none",
    "--fuzz-dir",
    "fuzz",
];

/// What one run printed at its end.
#[derive(Debug, Default)]
struct Stats {
    executions: Option<u64>,
    per_second: Option<u64>,
    coverage: Option<u64>,
    features: Option<u64>,
    corpus: Option<String>,
    peak_rss_mb: Option<u64>,
    slowest_unit_s: Option<u64>,
}

impl Stats {
    /// libFuzzer's final statistics (`-print_final_stats=1`) and its last status line.
    fn read(log: &str) -> Self {
        let stat = |name: &str| {
            log.lines()
                .rev()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        };
        let mut stats = Stats {
            executions: stat("stat::number_of_executed_units:"),
            per_second: stat("stat::average_exec_per_sec:"),
            peak_rss_mb: stat("stat::peak_rss_mb:"),
            slowest_unit_s: stat("stat::slowest_unit_time_sec:"),
            ..Stats::default()
        };
        if let Some(status) = log.lines().rev().find(|l| l.contains(" cov: ")) {
            let field = |name: &str| {
                let mut words = status.split_whitespace();
                words.find(|w| *w == name)?;
                words.next().map(str::to_owned)
            };
            stats.coverage = field("cov:").and_then(|c| c.parse().ok());
            stats.features = field("ft:").and_then(|c| c.parse().ok());
            stats.corpus = field("corp:");
        }
        stats
    }

    fn line(&self) -> String {
        let n = |v: Option<u64>| v.map_or("?".to_owned(), |v| v.to_string());
        format!(
            "{} executions ({}/s), cov {}, ft {}, corpus {}, peak RSS {} MiB, slowest input {} s",
            n(self.executions),
            n(self.per_second),
            n(self.coverage),
            n(self.features),
            self.corpus.as_deref().unwrap_or("?"),
            n(self.peak_rss_mb),
            n(self.slowest_unit_s)
        )
    }
}

fn run(targets: &[&str], seconds: u64, jobs: usize) -> Result<()> {
    let root = workspace_root();
    let fuzz = root.join("fuzz");
    let logs = fuzz.join("target/logs");
    fs::create_dir_all(&logs)?;
    eprintln!("writing seed corpora");
    write_seeds(&root, targets)?;

    eprintln!("building the fuzz targets");
    let status = cargo_fuzz(&root)
        .arg("build")
        .args(BUILD_FLAGS)
        .status()
        .context("running `cargo fuzz`; install it with `cargo install cargo-fuzz --locked`")?;
    if !status.success() {
        bail!("`cargo fuzz build` failed");
    }

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(targets.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(target) = targets.get(i) else { break };
                    if let Err(e) = run_one(&root, target, seconds, &logs) {
                        eprintln!("fuzz {target}: FAILED\n{e:#}");
                        failures
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(*target);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("fuzz targets failed: {}", failures.join(", "))
    }
}

/// Runs one target for `seconds`, its output in `logs/<target>.log`; prints its statistics, and on
/// a crash the artifact, its contents and how to reproduce it.
fn run_one(root: &Path, target: &str, seconds: u64, logs: &Path) -> Result<()> {
    let fuzz = root.join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let seeds = fuzz.join("target/seeds").join(target);
    fs::create_dir_all(&corpus)?;
    let log_path = logs.join(format!("{target}.log"));
    let log = fs::File::create(&log_path)?;
    let mut cmd = cargo_fuzz(root);
    cmd.arg("run")
        .args(BUILD_FLAGS)
        .arg(target)
        .arg(&corpus)
        .arg(&seeds);
    // A small minimised corpus kept in the repository, if there is one.
    let kept = fuzz.join("seeds").join(target);
    if kept.is_dir() {
        cmd.arg(&kept);
    }
    let status = cmd
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(LIMITS)
        .arg("-print_final_stats=1")
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let stats = Stats::read(&text);
    if status.success() {
        println!("fuzz {target}: {seconds} s, {}, no crash", stats.line());
        return Ok(());
    }
    println!("fuzz {target}: CRASH after {}", stats.line());
    let tail: Vec<&str> = text.lines().rev().take(60).collect();
    let mut report = format!(
        "last lines of {}:\n{}\n",
        log_path.display(),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let artifact = text.lines().find_map(|l| {
        let (_, path) = l.split_once("Test unit written to ")?;
        Some(PathBuf::from(path.trim()))
    });
    if let Some(artifact) = artifact {
        let artifact = if artifact.is_absolute() {
            artifact
        } else {
            root.join(artifact)
        };
        let shown = cargo_fuzz(root)
            .arg("fmt")
            .args(BUILD_FLAGS)
            .arg(target)
            .arg(&artifact)
            .stderr(Stdio::piped())
            .output();
        let shown = match shown {
            Ok(o) => format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => format!("(cargo fuzz fmt failed: {e})"),
        };
        report.push_str(&format!(
            "reproducer: {}\ncontents (cargo fuzz fmt):\n{}\nreproduce with: cargo +nightly fuzz run {} {target} {}\n",
            artifact.display(),
            shown.trim_end(),
            BUILD_FLAGS.join(" "),
            artifact.display()
        ));
    }
    Err(anyhow!(report))
}

/// Removes and rewrites `fuzz/target/seeds/<target>/` for each target.
fn write_seeds(root: &Path, targets: &[&str]) -> Result<()> {
    let bodies = bodies()?;
    let dir = root.join("fuzz/target/seeds");
    for target in targets {
        let out = dir.join(target);
        if out.exists() {
            fs::remove_dir_all(&out)?;
        }
        fs::create_dir_all(&out)?;
        let inputs: Vec<Vec<u8>> = match *target {
            "compat" => compat_seeds()?,
            "constructs" => construct_seeds(root)?,
            _ => bodies
                .iter()
                .map(|(provider, body)| seed_for(target, *provider, body))
                .collect(),
        };
        for (i, input) in inputs.iter().enumerate() {
            fs::write(out.join(format!("seed-{i:04}")), input)?;
        }
        eprintln!("  {target}: {} seeds", inputs.len());
    }
    Ok(())
}

/// Every body the project ships, with its provider's number: the fixtures as printed, then the
/// valid instances (samples after errata, examples, `tests/valid`) and the negative corpus.
fn bodies() -> Result<Vec<(usize, Vec<u8>)>> {
    let providers = providers();
    let number = |provider: &str| providers.iter().position(|p| p == provider);
    let mut out = Vec::new();
    let set = proptech_conformance::schema_set();
    for fixture in set.fixtures()? {
        if let Some(n) = number(&fixture.provider) {
            let bytes =
                fs::read(&fixture.path).with_context(|| fixture.path.display().to_string())?;
            out.push((n, bytes));
        }
    }
    let seeds: Vec<Seed> = valid_seeds().into_iter().chain(negative_seeds()).collect();
    for seed in seeds {
        let n = number(&seed.provider).ok_or_else(|| anyhow!("provider {}", seed.provider))?;
        out.push((n, serde_json::to_vec_pretty(&seed.value)?));
    }
    Ok(out)
}

/// The headers of a delivery of provider `d`, well formed (names, prefix, encoding, length) but
/// signed by no one; `member` reads a body member. A provider that signs nothing gets only a
/// content type.
fn junk_headers(d: &proptech_catalog::Descriptor, member: &dyn Fn(&str) -> String) -> String {
    let Some(h) = d.hmac() else {
        return "Content-Type: application/json\n".to_owned();
    };
    let len = match h.algorithm.as_str() {
        "sha1" => 20,
        "sha512" => 64,
        _ => 32,
    };
    let mac = match h.encoding.as_str() {
        "hex" => "0f".repeat(len),
        _ => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(vec![0x2b; len])
        }
    };
    let mut value = format!("{}{mac}", h.prefix);
    if let Some(separator) = &h.separator {
        value.push_str(&format!("{separator}{}AAAA", h.prefix));
    }
    let mut out = format!("{}: {value}\n", h.header);
    if let Some(ts) = h.timestamp.as_ref().and_then(|o| o.header.as_deref()) {
        out.push_str(&format!("{ts}: {NOW}\n"));
    }
    if let Some(id) = h.id.as_ref().and_then(|o| o.header.as_deref()) {
        let value =
            h.id.as_ref()
                .and_then(|o| o.member.as_deref())
                .map_or_else(|| "msg_2Vq5cGfuzz".to_owned(), member);
        out.push_str(&format!("{id}: {value}\n"));
    }
    out
}

/// The input of `target` for a body of provider number `provider`.
fn seed_for(target: &str, provider: usize, body: &[u8]) -> Vec<u8> {
    let selector = b'0' + provider as u8;
    let mut out = vec![selector];
    match target {
        "receive" => {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let member = |name: &str| {
                value
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("evt_01HX5XPQ2K")
                    .to_owned()
            };
            // Well-formed headers whose signatures do not match (the fuzzer cannot forge one),
            // spelled as the provider's descriptor says.
            let set = proptech_conformance::schema_set();
            let headers = set
                .providers()
                .get(provider)
                .map(|d| junk_headers(d, &member))
                .unwrap_or_default();
            out.extend_from_slice(headers.as_bytes());
            out.push(b'\n');
        }
        "receive_signed" => out.extend_from_slice(&[0; SIGNED_PARAMS - 1]),
        _ => {}
    }
    out.extend_from_slice(body);
    out
}

/// Every bundled schema, as `path\nschema`.
/// Every instance of the construct corpus (`crates/proptech-codegen/tests/constructs/<set>.json`),
/// after its set's number as an ASCII digit (the target reads it modulo the number of sets).
fn construct_seeds(root: &Path) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for (i, set) in construct_sets(root)?.iter().enumerate() {
        let path = root.join(CONSTRUCTS).join(format!("{set}.json"));
        let text = fs::read_to_string(&path).with_context(|| path.display().to_string())?;
        let instances: Vec<serde_json::Value> =
            serde_json::from_str(&text).with_context(|| path.display().to_string())?;
        for instance in instances {
            let digit = u8::try_from(i)
                .ok()
                .filter(|i| *i < 10)
                .context("at most ten sets")?;
            let mut seed = vec![b'0' + digit];
            seed.extend(serde_json::to_vec(&instance)?);
            out.push(seed);
        }
    }
    Ok(out)
}

fn compat_seeds() -> Result<Vec<Vec<u8>>> {
    let set = proptech_conformance::schema_set();
    let snapshot = proptech_publish::snapshot_of_set(set, "0.0.0")?;
    snapshot
        .schemas
        .iter()
        .map(|(path, schema)| {
            let mut out = format!("{path}\n").into_bytes();
            out.extend(serde_json::to_vec_pretty(schema)?);
            Ok(out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzer_final_statistics() {
        let log = "#1024\tpulse  cov: 100 ft: 200 corp: 10/1Kb exec/s: 512 rss: 90Mb\n\
                   #61387\tDONE   cov: 41615 ft: 60673 corp: 1682/591Kb lim: 1292 exec/s: 1980 rss: 453Mb\n\
                   Done 61387 runs in 31 second(s)\n\
                   stat::number_of_executed_units: 61387\n\
                   stat::average_exec_per_sec:     1980\n\
                   stat::new_units_added:          1707\n\
                   stat::slowest_unit_time_sec:    0\n\
                   stat::peak_rss_mb:              453\n";
        let stats = Stats::read(log);
        assert_eq!(stats.executions, Some(61387));
        assert_eq!(stats.per_second, Some(1980));
        assert_eq!(stats.coverage, Some(41615));
        assert_eq!(stats.features, Some(60673));
        assert_eq!(stats.corpus.as_deref(), Some("1682/591Kb"));
        assert_eq!(stats.peak_rss_mb, Some(453));
        assert_eq!(stats.slowest_unit_s, Some(0));
        assert!(Stats::read("").line().starts_with("? executions"));
    }

    #[test]
    fn construct_seeds_name_their_set_and_parse() {
        let root = workspace_root();
        let sets = construct_sets(&root).expect("the corpus lists");
        // The target compiles a module per set and reads the set byte in the same order.
        let target =
            fs::read_to_string(root.join("fuzz/fuzz_targets/constructs.rs")).expect("the target");
        let declared = target
            .split_once("const SETS")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(list, _)| list)
            .expect("a SETS list");
        let named: Vec<String> = declared
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        assert_eq!(
            named, sets,
            "fuzz_targets/constructs.rs SETS and {CONSTRUCTS}"
        );
        let seeds = construct_seeds(&root).expect("the corpus reads");
        assert!(seeds.len() >= sets.len(), "{}", seeds.len());
        for seed in &seeds {
            let (set, json) = seed.split_first().expect("a set byte");
            assert!(usize::from(set - b'0') < sets.len());
            serde_json::from_slice::<serde_json::Value>(json).expect("JSON");
        }
    }

    #[test]
    fn seeds_follow_the_targets_layouts() {
        let body = br#"{"event_id":"evt_1"}"#;
        assert_eq!(seed_for("parse", 2, body), [b"2".as_slice(), body].concat());
        let signed = seed_for("receive_signed", 1, body);
        assert_eq!(signed.len(), SIGNED_PARAMS + body.len());
        assert_eq!(&signed[..SIGNED_PARAMS], b"1\0\0\0\0\0");
        let raw = seed_for("receive", 0, body);
        let text = String::from_utf8(raw).expect("text");
        assert!(
            text.starts_with("0X-Webhook-Signature: sha256=")
                && text.contains(&format!("X-Webhook-Timestamp: {NOW}\n"))
                && text.contains("X-Webhook-Event-Id: evt_1\n\n{"),
            "{text}"
        );
    }
}
