//! The report of a comparison: the text rendering, the changelog entry and the release gate.

use serde::Serialize;
use thiserror::Error;

use super::*;
/// Every change between two versions of the schema set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The older version.
    pub base_version: String,
    /// The newer version.
    pub head_version: String,
    /// The changes, ordered by schema path, then pointer, then kind, then detail.
    pub changes: Vec<Change>,
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

    /// Whether any change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.breaking().next().is_some()
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
            changes: self.breaking().map(Change::to_string).collect(),
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
            }
        }
        let (breaking, compatible) = (groups[0].1.len(), groups[1].1.len());
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
        if self.changes.is_empty() {
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
                .filter(|c| c.kind.section() == section)
                .map(|c| {
                    let at = if c.pointer.is_empty() {
                        String::new()
                    } else {
                        format!(" `{}`", c.pointer)
                    };
                    format!("- {}{at}: {}\n", subject(&c.schema), c.what())
                })
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
