//! The project's Markdown, as a reader follows it: every relative link of every tracked Markdown
//! file names a file that exists, and every `#anchor` a heading of the file it points into
//! (GitHub's rule: lower case, punctuation dropped, spaces as hyphens).

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
