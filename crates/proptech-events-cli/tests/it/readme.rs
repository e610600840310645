//! The READMEs' console sessions, run as written: every ```` ```console ```` block of
//! `crates/proptech-events-cli/README.md` and of the workspace's `README.md` is parsed into commands (`$ ` lines, ` \` continuing
//! onto the next line) and their expected stdout (the lines up to the next command), and each
//! command runs through `sh -c` in one fresh scratch directory, the built binary first on `PATH`.
//!
//! The README's port, `127.0.0.1:3000`, becomes a free one in commands and expected lines alike; a
//! command ending in `&` runs in the background until the test ends, and the next command waits
//! until that port accepts connections. Ids (`evt_<id>`), times (`<time>`) and latencies
//! (`<n> ms`) are normalised on both sides; an expected `...` line stands for any number of lines.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{BIN, workspace};

/// The address the README uses, replaced by a free port.
const README_ADDR: &str = "127.0.0.1:3000";

/// One command of a console block and the stdout it shows.
struct Step {
    /// The command as typed (continuation lines included, `\` and newline kept for `sh`).
    command: String,
    /// The lines shown after it, trailing blank lines dropped.
    expected: Vec<String>,
}

/// Parses the README's ```` ```console ```` blocks: how many there are, and their steps in order.
fn console_steps(readme: &str) -> (usize, Vec<Step>) {
    let (mut blocks, mut steps) = (0, Vec::<Step>::new());
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```console" {
            continue;
        }
        blocks += 1;
        let first = steps.len();
        for line in lines.by_ref().take_while(|line| line.trim_end() != "```") {
            if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    command: command.to_owned(),
                    expected: Vec::new(),
                });
            } else {
                assert!(
                    steps.len() > first,
                    "console block {blocks} shows output before any `$ ` command: {line:?}"
                );
                let step = steps.last_mut().expect("a step of this block");
                if step.expected.is_empty() && step.command.ends_with(" \\") {
                    step.command = format!("{}\n{line}", step.command);
                } else {
                    step.expected.push(line.to_owned());
                }
            }
        }
        for step in &mut steps[first..] {
            while step.expected.last().is_some_and(|l| l.trim().is_empty()) {
                step.expected.pop();
            }
        }
    }
    (blocks, steps)
}

/// The command without its trailing shell comment: a `#` outside quotes after two spaces.
fn without_comment(command: &str) -> &str {
    let bytes = command.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'#') if i >= 2 && &bytes[i - 2..i] == b"  " => return &command[..i],
            _ => {}
        }
    }
    command
}

/// The command to spawn when `command` ends in `&` (before any comment), without the `&`.
fn background(command: &str) -> Option<&str> {
    let code = without_comment(command).trim_end();
    (code.ends_with('&') && !code.ends_with("&&")).then(|| code[..code.len() - 1].trim_end())
}

/// Whether `bytes` at `i` match `pattern`, where `d` is any ASCII digit.
fn shaped(bytes: &[u8], i: usize, pattern: &[u8]) -> bool {
    bytes.get(i..i + pattern.len()).is_some_and(|window| {
        window.iter().zip(pattern).all(|(&b, &p)| {
            if p == b'd' {
                b.is_ascii_digit()
            } else {
                b == p
            }
        })
    })
}

/// The number of leading ASCII digits of `bytes` from `i`.
fn digits(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count()
}

/// The length of a volatile token at a byte offset of a line, if one starts there.
type Matcher = fn(&[u8], usize) -> Option<usize>;

/// Length of an event id `evt_[0-9A-Z]{26}` at `i`.
fn id_at(b: &[u8], i: usize) -> Option<usize> {
    let ulid = |c: &u8| c.is_ascii_digit() || c.is_ascii_uppercase();
    (b[i..].starts_with(b"evt_") && b.get(i + 4..i + 30).is_some_and(|u| u.iter().all(ulid)))
        .then_some(30)
}

/// Length of an RFC 3339 date-time at `i`: `dddd-dd-ddTdd:dd:dd(.d+)?(Z|[+-]dd:dd)`.
fn time_at(b: &[u8], i: usize) -> Option<usize> {
    if !shaped(b, i, b"dddd-dd-ddTdd:dd:dd") {
        return None;
    }
    let mut end = i + 19;
    if b.get(end) == Some(&b'.') && digits(b, end + 1) > 0 {
        end += 1 + digits(b, end + 1);
    }
    match b.get(end) {
        Some(b'Z') => Some(end + 1 - i),
        Some(b'+' | b'-') if shaped(b, end + 1, b"dd:dd") => Some(end + 6 - i),
        _ => None,
    }
}

/// Length of a latency at `i`: a number, optionally with decimals, then ` ms`.
fn ms_at(b: &[u8], i: usize) -> Option<usize> {
    let mut end = i + digits(b, i);
    if end == i {
        return None;
    }
    if b.get(end) == Some(&b'.') && digits(b, end + 1) > 0 {
        end += 1 + digits(b, end + 1);
    }
    let word_ends = b.get(end + 3).is_none_or(|c| !c.is_ascii_alphanumeric());
    (b[end..].starts_with(b" ms") && word_ends).then_some(end + 3 - i)
}

/// `line` with its trailing whitespace dropped and its ids, times and latencies normalised.
fn normalise(line: &str) -> String {
    let patterns: [(Matcher, &str); 3] =
        [(id_at, "evt_<id>"), (time_at, "<time>"), (ms_at, "<n> ms")];
    let bytes = line.trim_end().as_bytes();
    let (mut out, mut i) = (Vec::with_capacity(bytes.len()), 0);
    'scan: while i < bytes.len() {
        for (at, replacement) in patterns {
            if let Some(len) = at(bytes, i) {
                out.extend_from_slice(replacement.as_bytes());
                i += len;
                continue 'scan;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    // Only ASCII runs were replaced, so the bytes are still the line's UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks `actual` against `expected` (both normalised); `...` matches any number of lines, up
/// to the first one matching the next expected line. The error names the first difference.
fn matches(expected: &[String], actual: &[String]) -> Result<(), String> {
    let mut j = 0;
    for (i, want) in expected.iter().enumerate() {
        if want == "..." {
            let Some(next) = expected.get(i + 1) else {
                return Ok(());
            };
            while actual.get(j).is_some_and(|line| line != next) {
                j += 1;
            }
            continue;
        }
        match actual.get(j) {
            Some(got) if got == want => j += 1,
            got => {
                let got = got.map_or_else(|| "(end of output)".to_owned(), |l| format!("{l:?}"));
                return Err(format!(
                    "expected line {}: {want:?}\n  actual line {}: {got}",
                    i + 1,
                    j + 1
                ));
            }
        }
    }
    match actual.get(j) {
        None => Ok(()),
        Some(extra) => Err(format!(
            "unexpected line {} after the expected ones: {extra:?}",
            j + 1
        )),
    }
}

/// The background processes of the session, each the leader of its own process group; all of
/// them are killed when the session ends, a failed assertion included.
struct Background(Vec<Child>);

impl Drop for Background {
    fn drop(&mut self) {
        for child in &mut self.0 {
            kill_group(child);
        }
    }
}

/// Kills the process group `child` leads (`sh` and whatever it started) with the shell's own
/// `kill` builtin, so no `kill` program is needed, then reaps `child`.
fn kill_group(child: &mut Child) {
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -s KILL -- -{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// How long a foreground command of a session may take before it is killed and the test fails
/// (a README edit that drops a `&` must not hang the suite).
const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

/// Runs `command` in `dir` in a process group of its own, to its end or to [`COMMAND_DEADLINE`]:
/// its exit status, stdout and stderr.
fn run_to_end(command: &str, dir: &Path) -> (std::process::ExitStatus, String, String) {
    use std::io::Read;
    let mut child = shell(command, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("sh starts");
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped")));
    let stderr = read(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + COMMAND_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if Instant::now() > deadline {
            kill_group(&mut child);
            panic!("`{command}` still runs after {COMMAND_DEADLINE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().expect("stdout read");
    let stderr = stderr.join().expect("stderr read");
    (status, stdout, stderr)
}

/// `sh -c command` in `dir`, with the binary's directory first on `PATH`, no colours and no
/// provider secrets from the environment.
fn shell(command: &str, dir: &Path) -> Command {
    let bin_dir = Path::new(BIN).parent().expect("the binary's directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let mut cmd = Command::new("sh");
    cmd.args(["-c", command])
        .current_dir(dir)
        .env("PATH", std::env::join_paths(dirs).expect("a joinable PATH"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for name in crate::secret_variables() {
        cmd.env_remove(name);
    }
    cmd
}

/// Waits (at most 30 s) until `port` accepts connections, failing if `child` exits first.
fn wait_until_listening(child: &mut Child, port: u16, command: &str, stderr: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = child.try_wait().expect("the background command's status");
        let log = || std::fs::read_to_string(stderr).unwrap_or_default();
        if let Some(status) = exited {
            panic!(
                "`{command}` exited ({status}) before 127.0.0.1:{port} listened; stderr:\n{}",
                log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "nothing listens on 127.0.0.1:{port} 30 s after `{command}`; stderr:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `command` with the free address `addr` in place of the README's. `listen` serves the README's
/// address by default, so a `proptech-events listen` without `--addr` is given it explicitly
/// first: the only change to a command beyond the port.
fn as_run(command: &str, addr: &str) -> String {
    let listen = "proptech-events listen";
    let command = if command.contains(listen) && !command.contains("--addr") {
        command.replacen(listen, &format!("{listen} --addr {README_ADDR}"), 1)
    } else {
        command.to_owned()
    };
    command.replace(README_ADDR, addr)
}

/// Every command of the CLI README's console blocks, in order, in one scratch directory, each
/// printing what the README shows (`cargo test -- --nocapture` prints the session as run).
#[test]
fn the_readme_two_minutes_session_runs_as_written() {
    run_session("crates/proptech-events-cli/README.md", "cli-readme", 5);
}

/// The same for the workspace README's shorter session.
#[test]
fn the_workspace_readme_session_runs_as_written() {
    run_session("README.md", "workspace-readme", 3);
}

/// Runs the console blocks of `readme` (relative to the workspace) in the scratch directory
/// `scratch`, asserting that they hold at least `min_steps` commands.
fn run_session(readme: &str, scratch: &str, min_steps: usize) {
    let readme_path = workspace().join(readme);
    let readme = std::fs::read_to_string(&readme_path).expect("the README");
    let (blocks, steps) = console_steps(&readme);
    assert!(
        blocks >= 1,
        "no ```console block in {}",
        readme_path.display()
    );
    assert!(
        steps.len() >= min_steps,
        "only {} commands in the console blocks of {}",
        steps.len(),
        readme_path.display()
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join(scratch);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory");
    let mut background_children = Background(Vec::new());

    for (n, step) in steps.iter().enumerate() {
        let command = as_run(&step.command, &addr);
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|l| normalise(&l.replace(README_ADDR, &addr)))
            .collect();
        if let Some(spawned) = background(&command) {
            assert!(
                expected.is_empty(),
                "background command `{command}` shows output: {expected:?}"
            );
            let stderr = tmp.join(format!("{scratch}-background-{n}.stderr"));
            let log = std::fs::File::create(&stderr).expect("the background stderr file");
            let child = shell(spawned, &dir)
                .stderr(log)
                .stdout(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("sh starts");
            // Held before waiting, so a failure below still kills it.
            background_children.0.push(child);
            let child = background_children.0.last_mut().expect("just pushed");
            wait_until_listening(child, port, spawned, &stderr);
            println!("$ {command}\n[background, listening on {addr}]");
            continue;
        }
        let (status, stdout, stderr) = run_to_end(&command, &dir);
        println!("$ {command}\n[{status}]\n{stdout}{stderr}");
        // A command succeeds, unless the README shows it refusing (`verify` explaining a
        // rejection exits 1).
        let refuses = step
            .expected
            .first()
            .is_some_and(|l| l.starts_with("rejected:"));
        assert!(
            status.success() || refuses,
            "README command {} failed: `{command}` ({status})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            n + 1
        );
        let actual: Vec<String> = stdout.lines().map(normalise).collect();
        if let Err(difference) = matches(&expected, &actual) {
            panic!(
                "README command {} differs: `{command}` ({})\n{difference}\n--- expected (normalised)\n{}\n--- actual stdout (normalised)\n{}\n--- stderr\n{stderr}",
                n + 1,
                status,
                expected.join("\n"),
                actual.join("\n"),
            );
        }
    }
}

#[test]
fn the_matcher_normalises_volatile_tokens_and_skips_lines_at_an_ellipsis() {
    assert_eq!(
        normalise("200 evt_3JAMQ8G5AN8MQ8VNS0PXTTNX7D 1.4 ms at 2026-11-29T06:14:55.735Z  "),
        "200 evt_<id> <n> ms at <time>"
    );
    let lines = |s: &[&str]| s.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
    let actual = lines(&["a", "b", "c", "d"]);
    assert!(matches(&lines(&["a", "...", "d"]), &actual).is_ok());
    assert!(matches(&lines(&["a", "..."]), &actual).is_ok());
    assert!(
        matches(&lines(&["a", "b"]), &actual).is_err(),
        "unexpected lines after"
    );
    assert!(
        matches(&lines(&["a", "...", "e"]), &actual).is_err(),
        "e never comes"
    );
    assert!(matches(&lines(&["a", "c"]), &actual).is_err());
}
