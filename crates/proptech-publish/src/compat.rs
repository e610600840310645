//! The breaking-change gate: compares two versions of the bundled schema set, classifies every
//! change as breaking or compatible, and decides whether the version bump allows the breaking ones.
//!
//! # What counts as breaking
//!
//! A change is **breaking** when a payload the old schema accepted may be rejected by the new
//! one, or when something a partner's code reads disappears or changes meaning: a removed event,
//! schema or property, a property that becomes required (or is added as required), a narrowed
//! `type`, a removed `enum` value, a new or changed `const`, a new or changed `pattern`, a new or
//! stricter bound (`minimum`, `maxLength`, `minItems`, …), `additionalProperties` closed to
//! `false`, a changed `format`, a changed `x-event-type` / `x-provider`, and any change to a
//! keyword this module does not classify (`not`, `if`, `patternProperties`, …: review by hand).
//!
//! A change is **compatible** otherwise: a new event or schema, a new optional property, a new
//! `enum` value (every generated enum has a catch-all variant), a widened `type`, a property that
//! is no longer required, a removed `pattern` or `const` or `enum`, a looser or removed bound,
//! `additionalProperties` opened, an `x-api-version` change, and documentation (`description`,
//! `title`, `examples`, `default`, `$comment`, `$id`, `x-source` and the other `x-*`
//! annotations).
//!
//! # How schemas are walked
//!
//! Schemas are matched by path under `schemas/`; a path with an `events` directory is an event.
//! The two versions of a schema are walked in parallel from the root, by *instance* location:
//!
//! - a property is at `<parent>/<name>` (JSON-pointer escaped: `~0`, `~1`), e.g. `/data/status`;
//! - an array element (`items`) and an additional property (`additionalProperties` schema) are
//!   both at `<parent>/*`, e.g. `/data/listings/*/id`;
//! - the root of the payload is the empty pointer `""`.
//!
//! A schema object is seen as the conjunction of its own keywords, its `$ref` target and its
//! `allOf` parts (2020-12 semantics: a `$ref` with sibling keywords applies both). The merged
//! view unions `properties` (a property named in several parts gets all their subschemas),
//! `required` and `pattern`s, intersects `type` and `enum`, keeps the strictest bound and closes
//! `additionalProperties` if any part does; for `const`, `format`, `multipleOf` and annotations
//! the own keyword wins over the `$ref` target, which wins over `allOf` parts. `$ref`s are local
//! JSON pointers (`#/$defs/envelope`, percent- and `~`-escaped), resolved against the root of the
//! same version; one that does not resolve is compared as an unclassified keyword. A subschema
//! referenced from several places is reported at each instance location that uses it; recursion
//! through a cycle of `$ref`s stops the second time it meets the same pair of locations.
//!
//! `anyOf` / `oneOf` branches are paired first by identical source, then in order; a branch only
//! in the new version widens the type (compatible), a branch only in the old one narrows it
//! (breaking). Keywords under `$defs` only matter through the `$ref`s that reach them.
//!
//! # Versions
//!
//! [`allows_breaking`] applies cargo's semver rule: from `1.0.0` on, breaking changes need a new
//! major version; below it, a bump of the leftmost non-zero part (`0.1.4` → `0.2.0`,
//! `0.0.1` → `0.0.2`). [`Report::gate`] fails when there are breaking changes and the bump does
//! not allow them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

/// One version of the schema set, as [`compare`] sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// The release version, `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// Every bundled (self-contained) schema, by its path under `schemas/`, e.g.
    /// `repull/events/listing.created.json`.
    pub schemas: BTreeMap<String, Value>,
}

impl Snapshot {
    /// The schema set `schemas` released as `version`.
    pub fn new(version: impl Into<String>, schemas: BTreeMap<String, Value>) -> Self {
        Self {
            version: version.into(),
            schemas,
        }
    }
}

/// Whether a change may break a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Needs a major version bump.
    Breaking,
    /// Allowed in a minor or patch release.
    Compatible,
}

impl Severity {
    /// `"breaking"` or `"compatible"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Compatible => "compatible",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a change goes in the changelog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Breaking,
    Added,
    Changed,
    Documentation,
}

macro_rules! change_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $severity:ident, $section:ident, $label:literal;)*) => {
        /// What kind of change a [`Change`] is. Each kind has a fixed [`Severity`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum ChangeKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ChangeKind {
            /// Every kind, in report order.
            pub const ALL: &'static [ChangeKind] = &[$(ChangeKind::$variant),*];

            /// Whether this kind of change is breaking.
            pub fn severity(self) -> Severity {
                match self {
                    $(ChangeKind::$variant => Severity::$severity,)*
                }
            }

            /// The variant's name, e.g. `"RemovedProperty"` (also its serialized form).
            pub fn name(self) -> &'static str {
                match self {
                    $(ChangeKind::$variant => stringify!($variant),)*
                }
            }

            /// A short human label, e.g. `"removed property"`.
            pub fn label(self) -> &'static str {
                match self {
                    $(ChangeKind::$variant => $label,)*
                }
            }

            fn section(self) -> Section {
                match self {
                    $(ChangeKind::$variant => Section::$section,)*
                }
            }
        }
    };
}

change_kinds! {
    /// An event schema is gone.
    RemovedEvent => Breaking, Breaking, "removed event";
    /// A new event schema.
    AddedEvent => Compatible, Added, "added event";
    /// A schema that is not an event (envelope, request body) is gone.
    RemovedSchema => Breaking, Breaking, "removed schema";
    /// A new schema that is not an event.
    AddedSchema => Compatible, Added, "added schema";
    /// `x-event-type` or `x-provider` changed: the schema now identifies another event.
    ChangedEventIdentity => Breaking, Breaking, "changed event identity";
    /// A property is gone.
    RemovedProperty => Breaking, Breaking, "removed property";
    /// A new property that is required.
    AddedRequiredProperty => Breaking, Breaking, "added required property";
    /// A new optional property.
    AddedOptionalProperty => Compatible, Added, "added optional property";
    /// An existing property became required.
    NewlyRequired => Breaking, Breaking, "newly required";
    /// A required property became optional.
    NoLongerRequired => Compatible, Changed, "no longer required";
    /// Fewer types are accepted: a type removed from a list, `number` to `integer`, a `type`
    /// where there was none, an `anyOf` / `oneOf` branch removed, a `false` schema.
    NarrowedType => Breaking, Breaking, "narrowed type";
    /// More types are accepted: the converse of [`ChangeKind::NarrowedType`].
    WidenedType => Compatible, Changed, "widened type";
    /// A `const` was added or changed.
    ChangedConst => Breaking, Breaking, "changed const";
    /// A `const` was removed.
    RemovedConst => Compatible, Changed, "removed const";
    /// An `enum` now restricts a value that was unrestricted.
    AddedEnum => Breaking, Breaking, "added enum";
    /// An `enum` was removed: any value is allowed.
    RemovedEnum => Compatible, Changed, "removed enum";
    /// Values were removed from an `enum`.
    RemovedEnumValue => Breaking, Breaking, "removed enum value";
    /// Values were added to an `enum`.
    AddedEnumValue => Compatible, Added, "added enum value";
    /// A `format` was added, changed or removed (formats drive the generated types).
    ChangedFormat => Breaking, Breaking, "changed format";
    /// A `pattern` was added or changed.
    TightenedPattern => Breaking, Breaking, "tightened pattern";
    /// A `pattern` was removed.
    RemovedPattern => Compatible, Changed, "removed pattern";
    /// A bound (`minimum`, `maxLength`, `minItems`, `multipleOf`, `uniqueItems`, …) was added
    /// or made stricter.
    TightenedBound => Breaking, Breaking, "tightened bound";
    /// A bound was removed or made looser.
    LoosenedBound => Compatible, Changed, "loosened bound";
    /// `additionalProperties` became `false`.
    ClosedAdditionalProperties => Breaking, Breaking, "closed additional properties";
    /// `additionalProperties` is no longer `false`.
    OpenedAdditionalProperties => Compatible, Changed, "opened additional properties";
    /// A keyword this module does not classify changed (`not`, `if`, `patternProperties`, an
    /// unresolvable `$ref`, …): breaking until reviewed by hand.
    Unclassified => Breaking, Breaking, "unclassified change";
    /// `x-api-version` changed.
    ApiVersion => Compatible, Changed, "API version";
    /// An annotation changed: `description`, `title`, `examples`, `x-source`, `x-category`, ….
    Documentation => Compatible, Documentation, "documentation";
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One difference between the two versions of a schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// Whether it is breaking (always `kind.severity()`).
    pub severity: Severity,
    /// The schema's path under `schemas/`.
    pub schema: String,
    /// Where in the *payload* (JSON pointer, `*` for any array element or additional property;
    /// `""` for the root).
    pub pointer: String,
    /// What it was and what it is, in words.
    pub detail: String,
}

impl Change {
    fn location(&self) -> &str {
        if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        }
    }

    fn what(&self) -> String {
        if self.detail.is_empty() {
            self.kind.label().to_owned()
        } else {
            format!("{}: {}", self.kind.label(), self.detail)
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}: {}", self.schema, self.location(), self.what())
    }
}

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
fn which_part(required: &str) -> &'static str {
    if required.starts_with("0.0.") {
        ", which for 0.0.z is the patch part"
    } else if required.starts_with("0.") {
        ", which for 0.y.z is the minor part"
    } else {
        ""
    }
}

fn bullet_list(lines: &[String]) -> String {
    lines.iter().map(|l| format!("\n  - {l}")).collect()
}

/// Why a version string is not `MAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VersionError {
    /// The string is empty.
    #[error("the version is empty; expected MAJOR.MINOR.PATCH, e.g. 1.4.2")]
    Empty,
    /// Not three dot-separated parts.
    #[error(
        "version `{version}` has {parts} dot-separated part(s); expected MAJOR.MINOR.PATCH, e.g. 1.4.2"
    )]
    Shape {
        /// The version string.
        version: String,
        /// How many parts it has.
        parts: usize,
    },
    /// A part is not a decimal number.
    #[error(
        "version `{version}`: `{part}` is not a decimal number (no `v` prefix, pre-release or \
         build suffix is accepted)"
    )]
    NotANumber {
        /// The version string.
        version: String,
        /// The offending part.
        part: String,
    },
    /// A part has a leading zero.
    #[error("version `{version}`: `{part}` has a leading zero")]
    LeadingZero {
        /// The version string.
        version: String,
        /// The offending part.
        part: String,
    },
    /// A part does not fit in 64 bits.
    #[error("version `{version}`: `{part}` is too large")]
    TooLarge {
        /// The version string.
        version: String,
        /// The offending part.
        part: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version(u64, u64, u64);

impl Version {
    fn parse(text: &str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(VersionError::Shape {
                version: text.to_owned(),
                parts: parts.len(),
            });
        }
        let mut numbers = [0u64; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            let (version, part) = (text.to_owned(), (*part).to_owned());
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotANumber { version, part });
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(VersionError::LeadingZero { version, part });
            }
            *slot = match part.parse() {
                Ok(n) => n,
                Err(_) => return Err(VersionError::TooLarge { version, part }),
            };
        }
        Ok(Version(numbers[0], numbers[1], numbers[2]))
    }

    /// Whether `other` is in this version's caret range (`^self`): cargo's "compatible" rule.
    fn is_compatible_with(self, other: Version) -> bool {
        match self {
            Version(0, 0, patch) => other == Version(0, 0, patch),
            Version(0, minor, _) => other.0 == 0 && other.1 == minor,
            Version(major, _, _) => other.0 == major,
        }
    }

    /// The smallest version after this one that may carry breaking changes.
    fn next_breaking(self) -> Version {
        match self {
            Version(0, 0, patch) => Version(0, 0, patch.saturating_add(1)),
            Version(0, minor, _) => Version(0, minor.saturating_add(1), 0),
            Version(major, _, _) => Version(major.saturating_add(1), 0, 0),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Checks that `version` is `MAJOR.MINOR.PATCH` as [`allows_breaking`] reads versions.
pub fn check_version(version: &str) -> Result<(), VersionError> {
    Version::parse(version).map(|_| ())
}

/// Whether going from `base` to `head` is a bump that may carry breaking changes, by cargo's
/// semver rule: `head` is later than `base` and outside its caret range (from `1.0.0` on, a new
/// major version; below it, a bump of the leftmost non-zero part: `0.1.3` → `0.2.0`,
/// `0.0.1` → `0.0.2`).
pub fn allows_breaking(base: &str, head: &str) -> Result<bool, VersionError> {
    let base = Version::parse(base)?;
    let head = Version::parse(head)?;
    Ok(head > base && !base.is_compatible_with(head))
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

/// Whether the schema at `path` is an event: it sits under an `events` directory.
fn is_event(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .split_last()
        .is_some_and(|(_, dirs)| dirs.contains(&"events"))
}

/// How the changelog names a schema: `repull \`listing.created\``, `valara \`envelope\``.
fn subject(path: &str) -> String {
    let stem = path.strip_suffix(".json").unwrap_or(path);
    match stem.split_once('/') {
        Some((provider, rest)) => {
            let name = if is_event(path) {
                rest.rsplit('/').next().unwrap_or(rest)
            } else {
                rest
            };
            format!("{provider} `{name}`")
        }
        None => format!("`{stem}`"),
    }
}

/// Compares two versions of the schema set.
pub fn compare(base: &Snapshot, head: &Snapshot) -> Report {
    let mut changes = Vec::new();
    let paths: BTreeSet<&String> = base.schemas.keys().chain(head.schemas.keys()).collect();
    for path in paths {
        let event = is_event(path);
        match (base.schemas.get(path), head.schemas.get(path)) {
            (Some(old), None) => changes.push(change(
                if event {
                    ChangeKind::RemovedEvent
                } else {
                    ChangeKind::RemovedSchema
                },
                path,
                "",
                title(old),
            )),
            (None, Some(new)) => changes.push(change(
                if event {
                    ChangeKind::AddedEvent
                } else {
                    ChangeKind::AddedSchema
                },
                path,
                "",
                title(new),
            )),
            (Some(old), Some(new)) => {
                let mut walker = Walker {
                    base_root: old,
                    head_root: new,
                    schema: path,
                    changes: Vec::new(),
                    active: BTreeSet::new(),
                };
                walker.node(&[Loc::root(old)], &[Loc::root(new)], "", "");
                changes.append(&mut walker.changes);
            }
            (None, None) => {}
        }
    }
    changes.sort_by(|a, b| {
        (&a.schema, &a.pointer, a.kind, &a.detail).cmp(&(&b.schema, &b.pointer, b.kind, &b.detail))
    });
    changes.dedup();
    Report {
        base_version: base.version.clone(),
        head_version: head.version.clone(),
        changes,
    }
}

fn change(kind: ChangeKind, schema: &str, pointer: &str, detail: String) -> Change {
    Change {
        kind,
        severity: kind.severity(),
        schema: schema.to_owned(),
        pointer: pointer.to_owned(),
        detail,
    }
}

/// A schema's `title`, for added and removed schemas.
fn title(schema: &Value) -> String {
    schema
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Escapes one JSON pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Decodes `%XX` escapes of a URI fragment; `None` if one is malformed.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A subschema inside one root document, with its JSON pointer from that root.
#[derive(Debug, Clone)]
struct Loc<'a> {
    value: &'a Value,
    ptr: String,
}

impl<'a> Loc<'a> {
    fn root(value: &'a Value) -> Self {
        Loc {
            value,
            ptr: String::new(),
        }
    }

    fn child(&self, value: &'a Value, path: &str) -> Self {
        Loc {
            value,
            ptr: format!("{}/{path}", self.ptr),
        }
    }
}

/// Resolves a local `$ref` (`#`, `#/$defs/...`) against `root`.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<Loc<'a>> {
    let pointer = percent_decode(reference.strip_prefix('#')?)?;
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return None;
    }
    root.pointer(&pointer).map(|value| Loc {
        value,
        ptr: pointer,
    })
}

/// Which way a bound is stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// A lower bound: larger is stricter.
    Lower,
    /// An upper bound: smaller is stricter.
    Upper,
}

const BOUNDS: [(&str, Bound); 12] = [
    ("minimum", Bound::Lower),
    ("exclusiveMinimum", Bound::Lower),
    ("maximum", Bound::Upper),
    ("exclusiveMaximum", Bound::Upper),
    ("minLength", Bound::Lower),
    ("maxLength", Bound::Upper),
    ("minItems", Bound::Lower),
    ("maxItems", Bound::Upper),
    ("minProperties", Bound::Lower),
    ("maxProperties", Bound::Upper),
    ("minContains", Bound::Lower),
    ("maxContains", Bound::Upper),
];

/// Keywords that only document: their changes are [`ChangeKind::Documentation`], except the
/// three `x-*` annotations with a kind of their own.
fn is_annotation(keyword: &str) -> bool {
    keyword.starts_with("x-")
        || matches!(
            keyword,
            "description"
                | "title"
                | "examples"
                | "default"
                | "deprecated"
                | "readOnly"
                | "writeOnly"
                | "$comment"
                | "$schema"
                | "$id"
                | "$anchor"
                | "$dynamicAnchor"
        )
}

/// An `anyOf` or `oneOf` of one part of a view.
#[derive(Debug)]
struct Composition<'a> {
    keyword: &'static str,
    branches: Vec<Loc<'a>>,
}

/// What a set of subschemas that all apply to the same instance says, merged.
#[derive(Debug, Default)]
struct View<'a> {
    /// A `false` schema is among them: nothing is accepted.
    never: bool,
    /// The accepted JSON types; `None` for any.
    types: Option<BTreeSet<&'a str>>,
    constant: Option<&'a Value>,
    allowed: Option<Vec<&'a Value>>,
    format: Option<&'a str>,
    patterns: BTreeSet<&'a str>,
    bounds: BTreeMap<&'static str, (f64, &'a Value)>,
    multiple_of: Option<(f64, &'a Value)>,
    unique_items: bool,
    required: BTreeSet<&'a str>,
    properties: BTreeMap<&'a str, Vec<Loc<'a>>>,
    closed: bool,
    additional: Vec<Loc<'a>>,
    items: Vec<Loc<'a>>,
    compositions: Vec<Composition<'a>>,
    annotations: BTreeMap<&'a str, &'a Value>,
    /// Keywords this module does not classify, and unresolvable `$ref`s.
    other: BTreeMap<&'a str, Vec<&'a Value>>,
}

/// Whether a `type` set accepts instances of type `ty`.
fn accepts(types: &BTreeSet<&str>, ty: &str) -> bool {
    types.contains(ty) || (ty == "integer" && types.contains("number"))
}

impl<'a> View<'a> {
    fn collect(root: &'a Value, locs: &[Loc<'a>]) -> Self {
        let mut view = View::default();
        let mut seen = BTreeSet::new();
        for loc in locs {
            view.absorb(root, loc, &mut seen);
        }
        view
    }

    fn other(&mut self, keyword: &'a str, value: &'a Value) {
        self.other.entry(keyword).or_default().push(value);
    }

    fn absorb(&mut self, root: &'a Value, loc: &Loc<'a>, seen: &mut BTreeSet<String>) {
        // A location met twice adds nothing (a conjunction is idempotent); this also ends
        // `$ref` cycles.
        if !seen.insert(loc.ptr.clone()) {
            return;
        }
        let map = match loc.value {
            Value::Object(map) => map,
            Value::Bool(true) => return,
            Value::Bool(false) => {
                self.never = true;
                return;
            }
            other => {
                self.other("(not a schema)", other);
                return;
            }
        };
        for (keyword, value) in map {
            let keyword = keyword.as_str();
            match keyword {
                "$ref" | "allOf" | "$defs" | "definitions" => {}
                "type" => match type_set(value) {
                    Some(set) => {
                        self.types = Some(match self.types.take() {
                            None => set,
                            Some(current) => intersect(&current, &set),
                        });
                    }
                    None => self.other(keyword, value),
                },
                "const" => {
                    self.constant.get_or_insert(value);
                }
                "enum" => match value.as_array() {
                    Some(values) => {
                        self.allowed = Some(match self.allowed.take() {
                            None => values.iter().collect(),
                            Some(current) => {
                                current.into_iter().filter(|v| values.contains(v)).collect()
                            }
                        });
                    }
                    None => self.other(keyword, value),
                },
                "format" => match value.as_str() {
                    Some(format) => {
                        self.format.get_or_insert(format);
                    }
                    None => self.other(keyword, value),
                },
                "pattern" => match value.as_str() {
                    Some(pattern) => {
                        self.patterns.insert(pattern);
                    }
                    None => self.other(keyword, value),
                },
                "multipleOf" => match value.as_f64() {
                    Some(n) => {
                        self.multiple_of.get_or_insert((n, value));
                    }
                    None => self.other(keyword, value),
                },
                "uniqueItems" => match value.as_bool() {
                    Some(unique) => self.unique_items |= unique,
                    None => self.other(keyword, value),
                },
                "required" => match string_list(value) {
                    Some(names) => self.required.extend(names),
                    None => self.other(keyword, value),
                },
                "properties" => match value.as_object() {
                    Some(properties) => {
                        for (name, schema) in properties {
                            let at = loc.child(schema, &format!("properties/{}", escape(name)));
                            self.properties.entry(name.as_str()).or_default().push(at);
                        }
                    }
                    None => self.other(keyword, value),
                },
                "additionalProperties" => match value {
                    Value::Bool(false) => self.closed = true,
                    Value::Bool(true) => {}
                    Value::Object(_) => self.additional.push(loc.child(value, keyword)),
                    _ => self.other(keyword, value),
                },
                "items" => match value {
                    Value::Object(_) | Value::Bool(_) => self.items.push(loc.child(value, keyword)),
                    _ => self.other(keyword, value),
                },
                "anyOf" | "oneOf" => match value.as_array() {
                    Some(branches) => self.compositions.push(Composition {
                        keyword: if keyword == "anyOf" { "anyOf" } else { "oneOf" },
                        branches: branches
                            .iter()
                            .enumerate()
                            .map(|(i, b)| loc.child(b, &format!("{keyword}/{i}")))
                            .collect(),
                    }),
                    None => self.other(keyword, value),
                },
                _ if is_annotation(keyword) => {
                    self.annotations.entry(keyword).or_insert(value);
                }
                _ => match (BOUNDS.iter().find(|(name, _)| *name == keyword), value) {
                    (Some(&(name, direction)), Value::Number(n)) => {
                        let n = n.as_f64().unwrap_or(f64::NAN);
                        let entry = self.bounds.entry(name).or_insert((n, value));
                        let stricter = match direction {
                            Bound::Lower => n > entry.0,
                            Bound::Upper => n < entry.0,
                        };
                        if stricter {
                            *entry = (n, value);
                        }
                    }
                    _ => self.other(keyword, value),
                },
            }
        }
        if let Some(reference) = map.get("$ref") {
            match reference.as_str().and_then(|r| resolve(root, r)) {
                Some(target) => self.absorb(root, &target, seen),
                None => self.other("$ref", reference),
            }
        }
        match map.get("allOf") {
            Some(Value::Array(parts)) => {
                for (i, part) in parts.iter().enumerate() {
                    self.absorb(root, &loc.child(part, &format!("allOf/{i}")), seen);
                }
            }
            Some(other) => self.other("allOf", other),
            None => {}
        }
    }

    /// The accepted types, in words: `string | null`, `any`.
    fn type_text(&self) -> String {
        if self.never {
            return "nothing".to_owned();
        }
        match &self.types {
            None => "any".to_owned(),
            Some(set) if set.is_empty() => "nothing".to_owned(),
            Some(set) => set.iter().copied().collect::<Vec<_>>().join(" | "),
        }
    }
}

fn type_set(value: &Value) -> Option<BTreeSet<&str>> {
    match value {
        Value::String(ty) => Some(BTreeSet::from([ty.as_str()])),
        Value::Array(_) => string_list(value).map(|names| names.into_iter().collect()),
        _ => None,
    }
}

fn string_list(value: &Value) -> Option<Vec<&str>> {
    value.as_array()?.iter().map(Value::as_str).collect()
}

/// The types both sets accept (`integer` is a subset of `number`).
fn intersect<'a>(a: &BTreeSet<&'a str>, b: &BTreeSet<&'a str>) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for &ty in a {
        if b.contains(ty) {
            out.insert(ty);
        } else if (ty == "integer" && b.contains("number"))
            || (ty == "number" && b.contains("integer"))
        {
            out.insert("integer");
        }
    }
    out
}

/// A value in a detail: compact JSON in backticks.
fn code(value: &Value) -> String {
    format!("`{value}`")
}

fn code_list(values: &[&Value]) -> String {
    values
        .iter()
        .map(|v| code(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short scalar annotation as text, `None` if it is long or structured.
fn short(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.chars().count() <= 60 && !s.contains('\n') => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) | Value::Null => Some(value.to_string()),
        _ => None,
    }
}

/// Walks the two versions of one schema in parallel and records the changes.
struct Walker<'a> {
    base_root: &'a Value,
    head_root: &'a Value,
    schema: &'a str,
    changes: Vec<Change>,
    /// The (base, head) location lists being compared on the current path: a cycle guard.
    active: BTreeSet<(Vec<String>, Vec<String>)>,
}

impl<'a> Walker<'a> {
    fn push(&mut self, kind: ChangeKind, pointer: &str, via: &str, detail: String) {
        let detail = if via.is_empty() {
            detail
        } else {
            format!("{detail} (via {via})")
        };
        self.changes
            .push(change(kind, self.schema, pointer, detail));
    }

    /// Compares the instance at `pointer` as described by `base` and by `head` (each a list of
    /// subschemas that all apply; an empty list accepts anything).
    fn node(&mut self, base: &[Loc<'a>], head: &[Loc<'a>], pointer: &str, via: &str) {
        let key = (
            base.iter().map(|l| l.ptr.clone()).collect::<Vec<_>>(),
            head.iter().map(|l| l.ptr.clone()).collect::<Vec<_>>(),
        );
        if self.active.contains(&key) {
            return;
        }
        self.active.insert(key.clone());
        let b = View::collect(self.base_root, base);
        let h = View::collect(self.head_root, head);
        self.compare(&b, &h, pointer, via);
        self.active.remove(&key);
    }

    fn compare(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        match (b.never, h.never) {
            (true, true) => return,
            (false, true) => {
                self.push(
                    ChangeKind::NarrowedType,
                    pointer,
                    via,
                    format!("was {}, now nothing (false schema)", b.type_text()),
                );
                return;
            }
            (true, false) => {
                self.push(
                    ChangeKind::WidenedType,
                    pointer,
                    via,
                    format!("was nothing (false schema), now {}", h.type_text()),
                );
                return;
            }
            (false, false) => {}
        }
        self.annotations(b, h, pointer, via);
        self.types(b, h, pointer, via);
        self.values(b, h, pointer, via);
        self.strings(b, h, pointer, via);
        self.bounds(b, h, pointer, via);
        self.objects(b, h, pointer, via);
        if !b.items.is_empty() || !h.items.is_empty() {
            self.node(&b.items, &h.items, &format!("{pointer}/*"), via);
        }
        self.compositions(b, h, pointer, via);
        let keywords: BTreeSet<&str> = b.other.keys().chain(h.other.keys()).copied().collect();
        for keyword in keywords {
            if b.other.get(keyword) != h.other.get(keyword) {
                self.push(
                    ChangeKind::Unclassified,
                    pointer,
                    via,
                    format!("`{keyword}` changed; review it by hand"),
                );
            }
        }
    }

    fn annotations(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let keywords: BTreeSet<&str> = b
            .annotations
            .keys()
            .chain(h.annotations.keys())
            .copied()
            .collect();
        for keyword in keywords {
            let (old, new) = (b.annotations.get(keyword), h.annotations.get(keyword));
            if old == new {
                continue;
            }
            let kind = match keyword {
                "x-api-version" => ChangeKind::ApiVersion,
                "x-event-type" | "x-provider" => ChangeKind::ChangedEventIdentity,
                _ => ChangeKind::Documentation,
            };
            let text = |v: Option<&&Value>| v.and_then(|v| short(v));
            let detail = match (old, new) {
                (None, Some(_)) => match text(new) {
                    Some(new) => format!("`{keyword}` was absent, now `{new}`"),
                    None => format!("`{keyword}` added"),
                },
                (Some(_), None) => match text(old) {
                    Some(old) => format!("`{keyword}` was `{old}`, now absent"),
                    None => format!("`{keyword}` removed"),
                },
                _ => match (text(old), text(new)) {
                    (Some(old), Some(new)) => format!("`{keyword}` was `{old}`, now `{new}`"),
                    _ => format!("`{keyword}` changed"),
                },
            };
            self.push(kind, pointer, via, detail);
        }
    }

    fn types(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let narrowed = match (&b.types, &h.types) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old), Some(new)) => old.iter().any(|t| !accepts(new, t)),
        };
        let widened = match (&b.types, &h.types) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(old), Some(new)) => new.iter().any(|t| !accepts(old, t)),
        };
        let detail = || format!("type was `{}`, now `{}`", b.type_text(), h.type_text());
        if narrowed {
            self.push(ChangeKind::NarrowedType, pointer, via, detail());
        } else if widened {
            self.push(ChangeKind::WidenedType, pointer, via, detail());
        }
    }

    fn values(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        match (b.constant, h.constant) {
            (None, Some(new)) => self.push(
                ChangeKind::ChangedConst,
                pointer,
                via,
                format!("was unconstrained, now const {}", code(new)),
            ),
            (Some(old), Some(new)) if old != new => self.push(
                ChangeKind::ChangedConst,
                pointer,
                via,
                format!("const was {}, now {}", code(old), code(new)),
            ),
            (Some(old), None) => self.push(
                ChangeKind::RemovedConst,
                pointer,
                via,
                format!("was const {}, now unconstrained", code(old)),
            ),
            _ => {}
        }
        match (&b.allowed, &h.allowed) {
            (None, Some(new)) => self.push(
                ChangeKind::AddedEnum,
                pointer,
                via,
                format!("was unconstrained, now one of {}", code_list(new)),
            ),
            (Some(old), None) => self.push(
                ChangeKind::RemovedEnum,
                pointer,
                via,
                format!("was one of {}, now unconstrained", code_list(old)),
            ),
            (Some(old), Some(new)) => {
                let removed: Vec<&Value> =
                    old.iter().filter(|v| !new.contains(v)).copied().collect();
                let added: Vec<&Value> = new.iter().filter(|v| !old.contains(v)).copied().collect();
                if !removed.is_empty() {
                    self.push(
                        ChangeKind::RemovedEnumValue,
                        pointer,
                        via,
                        code_list(&removed),
                    );
                }
                if !added.is_empty() {
                    self.push(ChangeKind::AddedEnumValue, pointer, via, code_list(&added));
                }
            }
            (None, None) => {}
        }
    }

    fn strings(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        if b.format != h.format {
            let show = |f: Option<&str>| f.map_or("absent".to_owned(), |f| format!("`{f}`"));
            self.push(
                ChangeKind::ChangedFormat,
                pointer,
                via,
                format!("format was {}, now {}", show(b.format), show(h.format)),
            );
        }
        let show = |patterns: Vec<&&str>| {
            patterns
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let removed: Vec<&&str> = b.patterns.difference(&h.patterns).collect();
        let added: Vec<&&str> = h.patterns.difference(&b.patterns).collect();
        if !added.is_empty() {
            let old = if removed.is_empty() {
                "absent".to_owned()
            } else {
                show(removed)
            };
            self.push(
                ChangeKind::TightenedPattern,
                pointer,
                via,
                format!("pattern was {old}, now {}", show(added)),
            );
        } else if !removed.is_empty() {
            self.push(
                ChangeKind::RemovedPattern,
                pointer,
                via,
                format!("pattern was {}, now absent", show(removed)),
            );
        }
    }

    fn bounds(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        for (name, direction) in BOUNDS {
            let (old, new) = (b.bounds.get(name), h.bounds.get(name));
            let tightened = match (old, new) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some((o, _)), Some((n, _))) if o != n => match direction {
                    Bound::Lower => n > o,
                    Bound::Upper => n < o,
                },
                _ => continue,
            };
            self.bound(
                name,
                tightened,
                old.map(|b| b.1),
                new.map(|b| b.1),
                pointer,
                via,
            );
        }
        match (b.multiple_of, h.multiple_of) {
            (None, None) => {}
            (Some((o, _)), Some((n, _))) if o == n => {}
            (old, new) => {
                // Loosened when every old multiple is still a multiple: the new step divides
                // the old one.
                let tightened = match (old, new) {
                    (Some((o, _)), Some((n, _))) => n == 0.0 || (o / n).fract() != 0.0,
                    (_, new) => new.is_some(),
                };
                self.bound(
                    "multipleOf",
                    tightened,
                    old.map(|m| m.1),
                    new.map(|m| m.1),
                    pointer,
                    via,
                );
            }
        }
        if b.unique_items != h.unique_items {
            let (old, new) = (Value::Bool(b.unique_items), Value::Bool(h.unique_items));
            self.bound(
                "uniqueItems",
                h.unique_items,
                Some(&old),
                Some(&new),
                pointer,
                via,
            );
        }
    }

    fn bound(
        &mut self,
        name: &str,
        tightened: bool,
        old: Option<&Value>,
        new: Option<&Value>,
        pointer: &str,
        via: &str,
    ) {
        let show = |v: Option<&Value>| v.map_or("absent".to_owned(), |v| v.to_string());
        self.push(
            if tightened {
                ChangeKind::TightenedBound
            } else {
                ChangeKind::LoosenedBound
            },
            pointer,
            via,
            format!("`{name}` was {}, now {}", show(old), show(new)),
        );
    }

    fn objects(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        let state = |view: &View<'a>| {
            if view.closed {
                "rejected"
            } else if view.additional.is_empty() {
                "allowed"
            } else {
                "allowed if they match a schema"
            }
        };
        if b.closed != h.closed {
            let kind = if h.closed {
                ChangeKind::ClosedAdditionalProperties
            } else {
                ChangeKind::OpenedAdditionalProperties
            };
            let detail = format!("additional properties were {}, now {}", state(b), state(h));
            self.push(kind, pointer, via, detail);
        } else if !b.closed && (!b.additional.is_empty() || !h.additional.is_empty()) {
            self.node(&b.additional, &h.additional, &format!("{pointer}/*"), via);
        }

        let names: BTreeSet<&str> = b
            .properties
            .keys()
            .chain(h.properties.keys())
            .chain(b.required.iter())
            .chain(h.required.iter())
            .copied()
            .collect();
        for name in names {
            let at = format!("{pointer}/{}", escape(name));
            let known = |v: &View<'a>| v.properties.contains_key(name) || v.required.contains(name);
            let (old_required, new_required) =
                (b.required.contains(name), h.required.contains(name));
            let none = Vec::new();
            let old = b.properties.get(name).unwrap_or(&none);
            let new = h.properties.get(name).unwrap_or(&none);
            match (known(b), known(h)) {
                (true, false) => {
                    let ty = View::collect(self.base_root, old).type_text();
                    let was = if old_required { "required" } else { "optional" };
                    self.push(
                        ChangeKind::RemovedProperty,
                        &at,
                        via,
                        format!("was {was} (type {ty}), now absent"),
                    );
                }
                (false, true) => {
                    let ty = View::collect(self.head_root, new).type_text();
                    let kind = if new_required {
                        ChangeKind::AddedRequiredProperty
                    } else {
                        ChangeKind::AddedOptionalProperty
                    };
                    self.push(kind, &at, via, format!("type {ty}"));
                }
                (true, true) => {
                    if !old_required && new_required {
                        self.push(
                            ChangeKind::NewlyRequired,
                            &at,
                            via,
                            "was optional, now required".to_owned(),
                        );
                    } else if old_required && !new_required {
                        self.push(
                            ChangeKind::NoLongerRequired,
                            &at,
                            via,
                            "was required, now optional".to_owned(),
                        );
                    }
                    self.node(old, new, &at, via);
                }
                (false, false) => {}
            }
        }
    }

    fn compositions(&mut self, b: &View<'a>, h: &View<'a>, pointer: &str, via: &str) {
        for keyword in ["anyOf", "oneOf"] {
            let old: Vec<&Composition<'a>> = b
                .compositions
                .iter()
                .filter(|c| c.keyword == keyword)
                .collect();
            let new: Vec<&Composition<'a>> = h
                .compositions
                .iter()
                .filter(|c| c.keyword == keyword)
                .collect();
            for i in 0..old.len().max(new.len()) {
                match (old.get(i), new.get(i)) {
                    (Some(old), Some(new)) => self.branches(keyword, old, new, pointer, via),
                    (None, Some(new)) => self.push(
                        ChangeKind::NarrowedType,
                        pointer,
                        via,
                        format!("`{keyword}` with {} branches added", new.branches.len()),
                    ),
                    (Some(old), None) => self.push(
                        ChangeKind::WidenedType,
                        pointer,
                        via,
                        format!("`{keyword}` with {} branches removed", old.branches.len()),
                    ),
                    (None, None) => {}
                }
            }
        }
    }

    fn branches(
        &mut self,
        keyword: &str,
        old: &Composition<'a>,
        new: &Composition<'a>,
        pointer: &str,
        via: &str,
    ) {
        let mut used = vec![false; new.branches.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut unmatched: Vec<usize> = Vec::new();
        for (i, branch) in old.branches.iter().enumerate() {
            let same = (0..new.branches.len())
                .find(|&j| !used[j] && new.branches[j].value == branch.value);
            match same {
                Some(j) => {
                    used[j] = true;
                    pairs.push((i, j));
                }
                None => unmatched.push(i),
            }
        }
        let mut fresh = (0..new.branches.len()).filter(|&j| !used[j]);
        let mut lost = Vec::new();
        for i in unmatched {
            match fresh.next() {
                Some(j) => pairs.push((i, j)),
                None => lost.push(i),
            }
        }
        let gained: Vec<usize> = fresh.collect();
        pairs.sort_unstable();
        for (i, j) in pairs {
            let step = format!("{keyword}[{j}]");
            let via = if via.is_empty() {
                step
            } else {
                format!("{via} > {step}")
            };
            self.node(
                std::slice::from_ref(&old.branches[i]),
                std::slice::from_ref(&new.branches[j]),
                pointer,
                &via,
            );
        }
        for i in lost {
            let ty =
                View::collect(self.base_root, std::slice::from_ref(&old.branches[i])).type_text();
            self.push(
                ChangeKind::NarrowedType,
                pointer,
                via,
                format!("`{keyword}` branch {i} (type {ty}) removed"),
            );
        }
        for j in gained {
            let ty =
                View::collect(self.head_root, std::slice::from_ref(&new.branches[j])).type_text();
            self.push(
                ChangeKind::WidenedType,
                pointer,
                via,
                format!("`{keyword}` branch {j} (type {ty}) added"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_bump_allows_breaking_from_one_on() {
        assert_eq!(allows_breaking("1.4.2", "2.0.0"), Ok(true));
        assert_eq!(allows_breaking("1.4.2", "3.1.0"), Ok(true));
        assert_eq!(allows_breaking("1.4.2", "1.5.0"), Ok(false));
        assert_eq!(allows_breaking("1.4.2", "1.4.3"), Ok(false));
        assert_eq!(allows_breaking("1.4.2", "1.4.2"), Ok(false));
        assert_eq!(allows_breaking("2.0.0", "1.9.9"), Ok(false));
    }

    #[test]
    fn zero_versions_bump_the_leftmost_non_zero_part() {
        assert_eq!(allows_breaking("0.1.0", "0.2.0"), Ok(true));
        assert_eq!(allows_breaking("0.1.7", "1.0.0"), Ok(true));
        assert_eq!(allows_breaking("0.1.0", "0.1.1"), Ok(false));
        assert_eq!(allows_breaking("0.0.1", "0.0.2"), Ok(true));
        assert_eq!(allows_breaking("0.0.1", "0.1.0"), Ok(true));
        assert_eq!(allows_breaking("0.2.0", "0.1.0"), Ok(false));
        assert_eq!(allows_breaking("0.0.0", "0.0.0"), Ok(false));
    }

    #[test]
    fn invalid_versions_are_errors() {
        assert_eq!(allows_breaking("", "1.0.0"), Err(VersionError::Empty));
        assert_eq!(
            allows_breaking("1.0", "2.0.0"),
            Err(VersionError::Shape {
                version: "1.0".into(),
                parts: 2
            })
        );
        assert_eq!(
            allows_breaking("1.0.0", "v2.0.0"),
            Err(VersionError::NotANumber {
                version: "v2.0.0".into(),
                part: "v2".into()
            })
        );
        assert_eq!(
            allows_breaking("1.0.0", "2.0.0-rc.1"),
            Err(VersionError::Shape {
                version: "2.0.0-rc.1".into(),
                parts: 4
            })
        );
        assert_eq!(
            allows_breaking("1.0.0-rc1", "2.0.0"),
            Err(VersionError::NotANumber {
                version: "1.0.0-rc1".into(),
                part: "0-rc1".into()
            })
        );
        assert_eq!(
            allows_breaking("1..0", "2.0.0"),
            Err(VersionError::NotANumber {
                version: "1..0".into(),
                part: "".into()
            })
        );
        assert_eq!(
            allows_breaking("1.02.0", "2.0.0"),
            Err(VersionError::LeadingZero {
                version: "1.02.0".into(),
                part: "02".into()
            })
        );
        assert!(matches!(
            allows_breaking("1.0.99999999999999999999", "2.0.0"),
            Err(VersionError::TooLarge { .. })
        ));
        let message = allows_breaking("v1.0.0", "2.0.0").unwrap_err().to_string();
        assert!(
            message.contains("`v1.0.0`") && message.contains("`v1`"),
            "{message}"
        );
    }

    #[test]
    fn next_breaking_version() {
        assert_eq!(Version(1, 4, 2).next_breaking(), Version(2, 0, 0));
        assert_eq!(Version(0, 3, 2).next_breaking(), Version(0, 4, 0));
        assert_eq!(Version(0, 0, 2).next_breaking(), Version(0, 0, 3));
    }

    #[test]
    fn gate_rejects_invalid_versions_even_without_changes() {
        let report = Report {
            base_version: "1.0".into(),
            head_version: "1.0.1".into(),
            changes: Vec::new(),
        };
        assert!(matches!(report.gate(), Err(GateError::Version(_))));
    }

    #[test]
    fn event_paths() {
        assert!(is_event("repull/events/listing.created.json"));
        assert!(!is_event("repull/envelope.json"));
        assert!(!is_event("events"));
        assert_eq!(
            subject("repull/events/listing.created.json"),
            "repull `listing.created`"
        );
        assert_eq!(subject("valara/envelope.json"), "valara `envelope`");
    }

    #[test]
    fn refs_resolve_with_escapes() {
        let root = serde_json::json!({"$defs": {"a/b": {"type": "string"}, "c d": true}});
        assert!(resolve(&root, "#/$defs/a~1b").is_some());
        assert!(resolve(&root, "#/$defs/c%20d").is_some());
        assert!(resolve(&root, "#").is_some());
        assert!(resolve(&root, "#/$defs/missing").is_none());
        assert!(resolve(&root, "other.json#/$defs/a~1b").is_none());
        assert!(resolve(&root, "#anchor").is_none());
        assert!(resolve(&root, "#/$defs/%zz").is_none());
    }

    #[test]
    fn ref_cycles_terminate() {
        let schema = serde_json::json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a", "type": "object"}}});
        let mut changed = schema.clone();
        changed["$defs"]["b"]["type"] = serde_json::json!("string");
        let snapshot = |s: &Value| {
            Snapshot::new(
                "1.0.0",
                BTreeMap::from([("p/x.json".to_owned(), s.clone())]),
            )
        };
        let report = compare(&snapshot(&schema), &snapshot(&changed));
        assert_eq!(report.changes.len(), 1);
        assert_eq!(report.changes[0].kind, ChangeKind::NarrowedType);
    }
}
