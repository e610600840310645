//! The report of a comparison: the text rendering, the changelog entry and the release gate.

use serde::Serialize;
use thiserror::Error;

use super::{
    Change, RustChange, RustVerdict, Section, Severity, Version, VersionError, allows_breaking,
    subject,
};
/// Every change between two versions of the schema set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The older version.
    pub base_version: String,
    /// The newer version.
    pub head_version: String,
    /// The changes, ordered by schema path, then pointer, then kind, then detail.
    pub changes: Vec<Change>,
    /// Whether the Rust layer was compared.
    pub rust: RustLayer,
    /// Differences of the generated public APIs that no schema change explains (a type renamed
    /// by a `title`, a generator change).
    pub rust_only: Vec<RustChange>,
}

/// Whether the public Rust APIs of the two versions were compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RustLayer {
    /// Asked for the wire format only.
    NotCompared,
    /// The API of a version could not be had at all: why. Every change counts as breaking.
    Unavailable(String),
    /// Compared; the providers whose module one version could not generate, and why (their
    /// changes count as breaking).
    Compared {
        /// Per provider, why its module could not be generated.
        unavailable: std::collections::BTreeMap<String, String>,
    },
}

impl std::fmt::Display for RustLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RustLayer::NotCompared => f.write_str("not compared (wire format only)"),
            RustLayer::Unavailable(why) => write!(
                f,
                "NOT COMPARED: {why}; every change counts as breaking for Rust"
            ),
            RustLayer::Compared { unavailable } if unavailable.is_empty() => {
                f.write_str("compared: the public API this tree's generator emits for each version")
            }
            RustLayer::Compared { unavailable } => {
                f.write_str("compared, except ")?;
                for (i, (provider, why)) in unavailable.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "; " };
                    write!(f, "{sep}{provider} ({why})")?;
                }
                f.write_str(": changes there count as breaking for Rust")
            }
        }
    }
}

/// Why [`Report::gate`] refuses a release.
#[derive(Debug, Error)]
pub enum GateError {
    /// One of the two versions is not `MAJOR.MINOR.PATCH`.
    #[error("cannot check the version bump: {0}")]
    Version(#[from] VersionError),
    /// There are breaking changes and the bump is not a major one.
    #[error(
        "{count} breaking {noun} from {base} to {head}, which does not allow breaking changes: \
         bump the major version{which} (release {required} instead of {head}){list}",
        count = .changes.len(),
        noun = if .changes.len() == 1 { "change" } else { "changes" },
        which = which_part(.required),
        list = bullet_list(.changes),
    )]
    NeedsMajorBump {
        /// The older version.
        base: String,
        /// The newer version.
        head: String,
        /// The smallest version that allows the breaking changes.
        required: String,
        /// Each breaking change, as one line.
        changes: Vec<String>,
    },
}

/// What "the major version" is below 1.0.0, going by the version to release.
pub(super) fn which_part(required: &str) -> &'static str {
    if required.starts_with("0.0.") {
        ", which for 0.0.z is the patch part"
    } else if required.starts_with("0.") {
        ", which for 0.y.z is the minor part"
    } else {
        ""
    }
}

pub(super) fn bullet_list(lines: &[String]) -> String {
    lines.iter().map(|l| format!("\n  - {l}")).collect()
}

impl Report {
    /// The breaking changes.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.severity == Severity::Breaking)
    }

    /// The compatible changes.
    pub fn compatible(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| c.severity == Severity::Compatible)
    }

    /// The API differences no schema change explains that break code.
    pub fn breaking_rust_only(&self) -> impl Iterator<Item = &RustChange> {
        self.rust_only.iter().filter(|c| c.breaking)
    }

    /// Whether any change is breaking, on either layer.
    pub fn is_breaking(&self) -> bool {
        self.breaking().next().is_some() || self.breaking_rust_only().next().is_some()
    }

    /// Every breaking change, one line each: the schema change with the layers and directions it
    /// breaks and the Rust differences, then the unexplained Rust differences.
    fn breaking_lines(&self) -> Vec<String> {
        self.breaking()
            .map(|c| {
                let mut line = c.to_string();
                if let RustVerdict::Compared(diffs) = &c.rust {
                    for d in diffs.iter().filter(|d| d.breaking) {
                        line.push_str(&format!("; Rust {d}"));
                    }
                }
                line
            })
            .chain(
                self.breaking_rust_only()
                    .map(|d| format!("Rust API, no schema change explains it: {d}")),
            )
            .collect()
    }

    /// `Ok` when both versions are valid and there is no breaking change or the bump allows one;
    /// otherwise an error naming each breaking change and the version to release instead.
    pub fn gate(&self) -> Result<(), GateError> {
        let base = Version::parse(&self.base_version)?;
        Version::parse(&self.head_version)?;
        if !self.is_breaking() || allows_breaking(&self.base_version, &self.head_version)? {
            return Ok(());
        }
        Err(GateError::NeedsMajorBump {
            base: self.base_version.clone(),
            head: self.head_version.clone(),
            required: base.next_breaking().to_string(),
            changes: self.breaking_lines(),
        })
    }

    /// A plain-text report for the terminal: one line per change, breaking ones first, then a
    /// summary line with the gate's verdict.
    pub fn render(&self) -> String {
        let mut out = format!(
            "Schema changes from {} to {}\n",
            self.base_version, self.head_version
        );
        let groups: [(&str, Vec<&Change>); 2] = [
            ("Breaking", self.breaking().collect()),
            ("Compatible", self.compatible().collect()),
        ];
        for (title, changes) in &groups {
            if changes.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{title} ({}):\n", changes.len()));
            for change in changes {
                out.push_str(&format!("  - {change}\n"));
                out.push_str(&format!("      wire: {}\n", change.wire.describe()));
                if change.rust != RustVerdict::NotCompared {
                    out.push_str(&format!("      Rust: {}\n", change.rust.describe()));
                }
            }
        }
        if !self.rust_only.is_empty() {
            out.push_str(&format!(
                "\nRust API differences no schema change explains ({}):\n",
                self.rust_only.len()
            ));
            for d in &self.rust_only {
                out.push_str(&format!("  - {d}\n"));
            }
        }
        out.push_str(&format!("\nRust API: {}\n", self.rust));
        let (breaking, compatible) = (
            groups[0].1.len() + self.breaking_rust_only().count(),
            groups[1].1.len(),
        );
        let count = |n: usize, what: &str| {
            format!("{n} {what} {}", if n == 1 { "change" } else { "changes" })
        };
        let counts = if breaking + compatible == 0 {
            "no changes".to_owned()
        } else {
            format!(
                "{}, {}",
                count(breaking, "breaking"),
                count(compatible, "compatible")
            )
        };
        let verdict = match self.gate() {
            Ok(()) if breaking == 0 => "the gate passes".to_owned(),
            Ok(()) => format!(
                "the gate passes: {} -> {} allows breaking changes",
                self.base_version, self.head_version
            ),
            Err(GateError::NeedsMajorBump { required, .. }) => format!(
                "the gate FAILS: {} -> {} does not allow breaking changes; release {required} instead",
                self.base_version, self.head_version
            ),
            Err(error @ GateError::Version(_)) => format!("the gate FAILS: {error}"),
        };
        out.push_str(&format!("\nSummary: {counts}; {verdict}.\n"));
        out
    }

    /// A Markdown changelog entry: `## <head_version>`, then the non-empty sections among
    /// "Breaking changes", "Added", "Changed" and "Documentation", one bullet per change.
    pub fn changelog_entry(&self) -> String {
        let mut out = format!("## {}\n", self.head_version);
        if self.changes.is_empty() && !self.is_breaking() {
            out.push_str("\nNo schema changes.\n");
            return out;
        }
        let sections = [
            (Section::Breaking, "Breaking changes"),
            (Section::Added, "Added"),
            (Section::Changed, "Changed"),
            (Section::Documentation, "Documentation"),
        ];
        for (section, title) in sections {
            let bullets: Vec<String> = self
                .changes
                .iter()
                .filter(|c| c.section() == section)
                .map(|c| {
                    let at = if c.pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" `{}`", c.pointer)
                    };
                    let mut bullet = format!("- {}{at}: {}", subject(&c.schema), c.what());
                    if c.severity == Severity::Breaking {
                        bullet.push_str(&format!(" (breaks {})", c.breaks()));
                        if let RustVerdict::Compared(diffs) = &c.rust {
                            for d in diffs.iter().filter(|d| d.breaking) {
                                bullet.push_str(&format!("; Rust {d}"));
                            }
                        }
                    }
                    bullet.push('\n');
                    bullet
                })
                .chain(
                    (section == Section::Breaking)
                        .then(|| {
                            self.breaking_rust_only()
                                .map(|d| format!("- Rust API: {d}\n"))
                        })
                        .into_iter()
                        .flatten(),
                )
                .collect();
            if bullets.is_empty() {
                continue;
            }
            out.push_str(&format!("\n### {title}\n\n"));
            for bullet in bullets {
                out.push_str(&bullet);
            }
        }
        out
    }
}
