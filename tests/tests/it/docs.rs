//! The project's Markdown, as a reader follows it: every relative link of every tracked Markdown
//! file names a file that exists, and every `#anchor` a heading of the file it points into
//! (GitHub's rule: lower case, punctuation dropped, spaces as hyphens); and every shell command of
//! them is run by CI or by a test.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    proptech_conformance::tests_dir().join("..")
}

/// The Markdown files git tracks, relative to the root.
fn markdown_files() -> Vec<PathBuf> {
    let out = std::process::Command::new("git")
        .current_dir(root())
        .args(["ls-files", "*.md", "**/*.md"])
        .output()
        .expect("git runs");
    assert!(out.status.success(), "{out:?}");
    let mut files: Vec<PathBuf> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(PathBuf::from)
        .collect();
    files.sort();
    files.dedup();
    files
}

/// The link targets of `text`: `[text](target)` outside code spans and fenced blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans hold examples, not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor of a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            !fenced && line.starts_with('#')
        })
        .map(|line| slug(line.trim_start_matches('#').replace('`', "").as_str()))
        .collect()
}

#[test]
fn every_relative_link_and_anchor_of_the_markdown_resolves() {
    let root = root();
    let files = markdown_files();
    assert!(
        files.len() >= 5,
        "only {} Markdown files: {files:?}",
        files.len()
    );
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        // The bundle's README is written into `dist/`: its links are relative to the bundle, and
        // the bundle tests read it there.
        if file.ends_with("partner-readme.md") {
            continue;
        }
        let text = std::fs::read_to_string(root.join(file)).expect("reads");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") || link.starts_with('<') {
                continue;
            }
            // The crate guide's links to Rust items (`crate::receive::Receiver`) are rustdoc's
            // to resolve: `cargo doc` with warnings denied checks them.
            if link.contains("::") && file.starts_with("crates/proptech-events/guide") {
                continue;
            }
            checked += 1;
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target: PathBuf = if path.is_empty() {
                root.join(file)
            } else {
                root.join(file.parent().unwrap_or(Path::new(""))).join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", file.display()));
                continue;
            }
            if !anchor.is_empty() {
                let target_text = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&target_text).iter().any(|a| a == anchor) {
                    broken.push(format!("{}: {link}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(checked >= 8, "only {checked} links checked");
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_link_reader_finds_links_and_anchors_as_github_does() {
    let text = "See [a](b.md#c-d) and `[not](x.md)`.\n```\n[nor](y.md)\n```\n## C, `d`!\n";
    assert_eq!(links(text), ["b.md#c-d"]);
    assert_eq!(anchors(text), ["c-d"]);
}

/// The Markdown files whose ```` ```console ```` sessions the CLI's `tests/it/readme.rs` runs as
/// written, output compared.
const CONSOLE_SESSIONS_RUN: &[&str] = &["README.md", "crates/proptech-events-cli/README.md"];

/// Shell commands of the docs that CI does not run as written, and why. Each must still be in
/// the docs: a stale entry fails.
const NOT_RUN_BY_CI: &[(&str, &str)] = &[(
    "cargo xtask fuzz receive_signed --seconds 600",
    "a ten-minute run of one target; CI runs every target for 60 s with the same command",
)];

/// The shell commands of `text`'s ```` ```sh ```` blocks: comments dropped, `\` continuations
/// joined, `&&` chains split, whitespace collapsed.
fn shell_commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && matches!(trimmed, "```sh" | "```bash" | "```shell");
            continue;
        }
        if !in_sh {
            continue;
        }
        // A comment starts at a `#` at the line's start or after whitespace.
        let code = match line.find(" #") {
            _ if trimmed.starts_with('#') => "",
            Some(at) => &line[..at],
            None => line,
        };
        pending.push_str(code.trim_end().trim_end_matches('\\'));
        pending.push(' ');
        if code.trim_end().ends_with('\\') {
            continue;
        }
        for part in pending.split("&&") {
            let part = collapse(part);
            if !part.is_empty() {
                commands.push(part);
            }
        }
        pending.clear();
    }
    commands
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the Markdown has a fenced block of `language`.
fn has_block(text: &str, language: &str) -> bool {
    text.lines()
        .any(|line| line.trim_start() == format!("```{language}"))
}

/// The commands of a shell script, each as its words: comments dropped, quotes removed (so that
/// the body of `bash -c '...'` is commands too), split at `&&`, `||`, `;`, `|` and parentheses.
fn ci_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in script.lines() {
        let code = match line.find(" #") {
            _ if line.trim_start().starts_with('#') => continue,
            Some(at) => &line[..at],
            None => line,
        };
        let code: String = code.chars().filter(|c| !matches!(c, '\'' | '"')).collect();
        for part in code.split(['&', '|', ';', '(', ')']) {
            let words: Vec<String> = part.split_whitespace().map(str::to_owned).collect();
            if !words.is_empty() {
                commands.push(words);
            }
        }
    }
    commands
}

/// Whether the CI command `run` runs the doc's `command`: its words appear in `run` whole and in a
/// row, after a prefix such as `setsid bash -c` if any (the doc may leave out options CI adds
/// after them, never change a word).
fn runs(run: &[String], command: &str) -> bool {
    let words: Vec<&str> = command.split_whitespace().collect();
    !words.is_empty()
        && run
            .windows(words.len())
            .any(|w| w.iter().zip(&words).all(|(a, b)| a == b))
}

#[test]
fn the_ci_reader_matches_whole_words() {
    let ci = ci_commands(
        "npm ci --prefix tests/partner/openapi --x\nsetsid bash -c 'cargo xtask gen && cargo run -p a' # why\n[ -x v ] || python3 -m venv v\n",
    );
    assert!(ci.iter().any(|r| runs(r, "cargo xtask gen")));
    assert!(ci.iter().any(|r| runs(r, "cargo run -p a")));
    assert!(ci.iter().any(|r| runs(r, "python3 -m venv v")));
    assert!(
        ci.iter()
            .any(|r| runs(r, "npm ci --prefix tests/partner/openapi"))
    );
    assert!(!ci.iter().any(|r| runs(r, "npm ci --prefix tests/partner")));
    assert!(!ci.iter().any(|r| runs(r, "why")));
}

#[test]
fn every_shell_command_of_the_docs_is_run_by_ci_or_a_test() {
    let root = root();
    let ci = ci_commands(&std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run reads"));
    let mut not_run = Vec::new();
    let mut exempt_seen = vec![false; NOT_RUN_BY_CI.len()];
    let mut checked = 0;
    for file in markdown_files() {
        // The generator's test schema sets quote provider docs, not commands of this project.
        if file.starts_with("crates/proptech-codegen/tests") {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&file)).expect("reads");
        let name = file.to_string_lossy().replace('\\', "/");
        if has_block(&text, "console") && !CONSOLE_SESSIONS_RUN.contains(&name.as_str()) {
            not_run.push(format!(
                "{name}: a ```console session no test runs (CONSOLE_SESSIONS_RUN)"
            ));
        }
        for command in shell_commands(&text) {
            checked += 1;
            if let Some(i) = NOT_RUN_BY_CI.iter().position(|(c, _)| *c == command) {
                exempt_seen[i] = true;
            } else if !ci.iter().any(|run| runs(run, &command)) {
                not_run.push(format!("{name}: `{command}` is not run by .ci/run"));
            }
        }
    }
    for (seen, (command, _)) in exempt_seen.iter().zip(NOT_RUN_BY_CI) {
        if !seen {
            not_run.push(format!("NOT_RUN_BY_CI lists `{command}`, which no doc has"));
        }
    }
    assert!(checked >= 15, "only {checked} shell commands found");
    assert!(not_run.is_empty(), "{not_run:#?}");
}

#[test]
fn the_shell_reader_splits_chains_and_drops_comments() {
    let text =
        "```sh\n# a comment\na && b --x   # why\nc \\\n  --d\n```\n```text\nnot shell\n```\n";
    assert_eq!(shell_commands(text), ["a", "b --x", "c --d"]);
}
