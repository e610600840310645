//! The breaking-change gate: compares two versions of the bundled schema set, judges every change
//! on the wire (in both directions) and on the generated Rust API, and decides whether the version
//! bump allows the breaking ones.
//!
//! # Two layers, and two directions on the wire
//!
//! Every [`Change`] carries two verdicts, as buf separates wire from source compatibility
//! (`WIRE_JSON` vs `FILE`) and Confluent's checker reports per mode:
//!
//! - **the wire format** ([`Wire`], fixed per [`ChangeKind`] by the JSON Schema semantics of the
//!   change), in both directions: receivers built on the *old* schema reading the provider's new
//!   deliveries (Confluent's FORWARD), and receivers built on the *new* schema reading old
//!   deliveries still in flight or replayed (Repull replays the last 7 days; Confluent's
//!   BACKWARD). A receiver here validates with the schema of its version and follows the
//!   bundle's two rules: members it does not know are ignored (the schemas are open unless
//!   closed), an `enum` value it does not know is read as "other". A member a schema does not list
//!   is taken to be absent from deliveries, not arbitrary (Confluent's open content model is
//!   stricter: it makes any added or removed property incompatible one way);
//! - **the public Rust API** of the generated crate ([`RustVerdict`]): the differences between the
//!   APIs the generator emits for the two versions ([`proptech_codegen::api`]), each placed at the
//!   member it is read from, so a change carries `/data/reason: String → Option<String>`. Removing
//!   or changing anything breaks; an addition breaks only where the API lets other crates depend
//!   on the exact set (`#[non_exhaustive]` and private fields say where it does not). API
//!   differences no schema change explains (a renamed type) are reported on their own
//!   ([`Report::rust_only`]).
//!
//! A change is **breaking** when it breaks either layer in any direction. The kinds, their wire
//! verdicts (old receivers / new receivers) and their counterparts elsewhere:
//!
//! | kind | old receivers (FORWARD) | new receivers (BACKWARD) | Confluent JSON Schema / buf |
//! |---|---|---|---|
//! | `AddedEvent`, `AddedSchema` | ok (kept as `Unknown`) | ok | buf: new message (no rule) |
//! | `RemovedEvent`, `RemovedSchema` | ok | ok (kept as `Unknown`) | buf `MESSAGE_NO_DELETE` (FILE, not WIRE) |
//! | `ChangedEventIdentity` | breaks | breaks | buf `FIELD_SAME_TYPE`-like: another message |
//! | `AddedRequiredProperty` | ok | breaks | Confluent `REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL` |
//! | `AddedOptionalProperty` | ok | ok | Confluent `PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` (stricter there) |
//! | `RemovedRequiredProperty` | breaks | ok | Confluent `PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL`; buf `FIELD_NO_DELETE` |
//! | `RemovedOptionalProperty` | ok | ok | same; buf `FIELD_NO_DELETE` (FILE) |
//! | `NewlyRequired` | ok | breaks | Confluent `REQUIRED_ATTRIBUTE_ADDED` |
//! | `NoLongerRequired` | breaks | ok | Confluent `REQUIRED_ATTRIBUTE_REMOVED` |
//! | `NarrowedType` | ok | breaks | Confluent `TYPE_NARROWED`, `COMBINED_TYPE_SUBSCHEMAS_CHANGED` |
//! | `WidenedType` | breaks | ok | Confluent `TYPE_EXTENDED`; buf `FIELD_SAME_TYPE` |
//! | `AddedConst` / `ChangedConst` / `RemovedConst` | ok / breaks / breaks | breaks / breaks / ok | Confluent `ENUM_ARRAY_NARROWED` / `CHANGED` / `EXTENDED` on one value |
//! | `AddedEnum`, `RemovedEnum`, `AddedEnumValue`, `RemovedEnumValue` | ok ("other") | ok ("other") | Confluent `ENUM_ARRAY_*` (stricter there); buf `ENUM_VALUE_NO_DELETE` (FILE) |
//! | `ChangedFormat`, `TightenedPattern` | breaks | breaks | Confluent `PATTERN_CHANGED` (no format rule) |
//! | `RemovedPattern` | breaks | ok | Confluent `PATTERN_REMOVED` |
//! | `TightenedBound` | ok | breaks | Confluent `MAX_*_DECREASED`, `MIN_*_INCREASED`, `*_ADDED` |
//! | `LoosenedBound` | breaks | ok | Confluent `MAX_*_INCREASED`, `MIN_*_DECREASED`, `*_REMOVED` |
//! | `ClosedAdditionalProperties` | ok | breaks | Confluent `ADDITIONAL_PROPERTIES_REMOVED` |
//! | `OpenedAdditionalProperties` | breaks | ok | Confluent `ADDITIONAL_PROPERTIES_ADDED` |
//! | `Unclassified` | breaks | breaks | review by hand |
//! | `ApiVersion`, `Documentation` | ok | ok | buf: comments (no rule) |
//!
//! The Rust verdict of each kind is not in the table: it comes from the generated code, and
//! `proptech-codegen/tests/compat_clients.rs` proves it per kind (a client written against the
//! old crate compiles against the new one exactly when compat calls the change compatible for
//! Rust). Without Rust APIs ([`Snapshot::new`] alone) only the wire is compared; a version whose
//! API cannot be generated makes its changes count as breaking ([`RustLayer`]).
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
//! [`allows_breaking`] applies cargo's semver rule (through the `semver` crate): from `1.0.0`
//! on, breaking changes need a new major version; below it, a bump of the leftmost non-zero part
//! (`0.1.4` → `0.2.0`, `0.0.1` → `0.0.2`). [`Report::gate`] fails when there are breaking changes
//! (on either layer) and the bump does not allow them.
//!
//! # Parts
//!
//! `taxonomy` (what kind of change, its wire verdicts and changelog section), `rust` (the
//! differences of the two generated APIs, located), `view` (the resolver and merged view of a
//! schema object), `walker` (the parallel walk by instance location), `report` (rendering,
//! changelog entry, gate) and `version` (release versions).

mod report;
mod rust;
mod taxonomy;
mod version;
mod view;
mod walker;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use report::{GateError, Report, RustLayer};
pub use rust::{RustApi, RustChange, diff as rust_diff};
pub use taxonomy::{Change, ChangeKind, RustVerdict, Severity, Wire};
pub use version::{VersionError, allows_breaking, check_version};

use proptech_codegen::api::PublicApi;
use taxonomy::{Section, change};
use version::Version;
use view::{BOUNDS, Bound, Composition, Loc, View, accepts, code, code_list, short};
use walker::Walker;

/// One version of the schema set, as [`compare`] sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// The release version, `MAJOR.MINOR.PATCH`.
    pub version: String,
    /// Every bundled (self-contained) schema, by its path under `schemas/`, e.g.
    /// `repull/events/listing.created.json`.
    pub schemas: BTreeMap<String, Value>,
    /// The public API the generator emits for this version, for the Rust layer of the verdicts.
    pub rust: RustApi,
}

impl Snapshot {
    /// The schema set `schemas` released as `version`, compared on the wire format only.
    pub fn new(version: impl Into<String>, schemas: BTreeMap<String, Value>) -> Self {
        Self {
            version: version.into(),
            schemas,
            rust: RustApi::NotRequested,
        }
    }

    /// The same, with the public API of its generated crate.
    pub fn with_rust(mut self, rust: RustApi) -> Self {
        self.rust = rust;
        self
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
    let (rust, rust_only) = judge_rust(&base.rust, &head.rust, &mut changes);
    Report {
        base_version: base.version.clone(),
        head_version: head.version.clone(),
        changes,
        rust,
        rust_only,
    }
}

/// Gives every change its Rust verdict: the differences of the two generated APIs located at its
/// schema and instance location (the nearest enclosing change's location, a documentation-only
/// change last). Returns the state of the Rust layer and the differences no schema change
/// explains.
fn judge_rust(
    base: &RustApi,
    head: &RustApi,
    changes: &mut [Change],
) -> (RustLayer, Vec<RustChange>) {
    let (b, h) = match (base, head) {
        (RustApi::NotRequested, _) | (_, RustApi::NotRequested) => {
            return (RustLayer::NotCompared, Vec::new());
        }
        (RustApi::Unavailable(why), _) | (_, RustApi::Unavailable(why)) => {
            for change in changes.iter_mut() {
                change.judge_rust(RustVerdict::Unknown(why.clone()));
            }
            return (RustLayer::Unavailable(why.clone()), Vec::new());
        }
        (RustApi::Generated(b), RustApi::Generated(h)) => (b, h),
    };
    let empty = Ok(PublicApi::default());
    let mut unavailable = BTreeMap::new();
    let mut differences = Vec::new();
    let providers: BTreeSet<&String> = b.keys().chain(h.keys()).collect();
    for provider in providers {
        match (
            b.get(provider).unwrap_or(&empty),
            h.get(provider).unwrap_or(&empty),
        ) {
            (Ok(old), Ok(new)) => differences.extend(rust::diff(old, new)),
            (Err(why), _) => {
                unavailable.insert(provider.clone(), format!("base: {why}"));
            }
            (_, Err(why)) => {
                unavailable.insert(provider.clone(), format!("head: {why}"));
            }
        }
    }
    let mut attached: Vec<Vec<RustChange>> = vec![Vec::new(); changes.len()];
    let mut unexplained = Vec::new();
    for difference in differences {
        let mut targets = BTreeSet::new();
        for at in &difference.locations {
            let enclosing = |c: &Change| {
                c.schema == at.schema
                    && (c.pointer.is_empty()
                        || at.pointer == c.pointer
                        || at.pointer.starts_with(&format!("{}/", c.pointer)))
            };
            let Some(depth) = changes
                .iter()
                .filter(|c| enclosing(c))
                .map(|c| c.pointer.len())
                .max()
            else {
                continue;
            };
            let nearest: Vec<usize> = (0..changes.len())
                .filter(|&i| enclosing(&changes[i]) && changes[i].pointer.len() == depth)
                .collect();
            let substantive: Vec<usize> = nearest
                .iter()
                .copied()
                .filter(|&i| {
                    !matches!(
                        changes[i].kind,
                        ChangeKind::Documentation | ChangeKind::ApiVersion
                    )
                })
                .collect();
            targets.extend(if substantive.is_empty() {
                nearest
            } else {
                substantive
            });
        }
        if targets.is_empty() {
            unexplained.push(difference);
        } else {
            for i in targets {
                attached[i].push(difference.clone());
            }
        }
    }
    for (change, found) in changes.iter_mut().zip(attached) {
        let provider = change.schema.split('/').next().unwrap_or_default();
        let verdict = match unavailable.get(provider) {
            Some(why) => RustVerdict::Unknown(format!("{provider}: {why}")),
            None => RustVerdict::Compared(found),
        };
        change.judge_rust(verdict);
    }
    (RustLayer::Compared { unavailable }, unexplained)
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

#[cfg(test)]
mod tests {
    use super::view::resolve;
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
    fn gate_rejects_invalid_versions_even_without_changes() {
        let report = Report {
            base_version: "1.0".into(),
            head_version: "1.0.1".into(),
            changes: Vec::new(),
            rust: RustLayer::NotCompared,
            rust_only: Vec::new(),
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

    /// A one-struct API of provider `p`, its field `a` of type `ty` read at `/a` of `p/events/x.json`.
    fn api(ty: &str) -> RustApi {
        use proptech_codegen::api::{ApiField, ApiItem, Location, Shape};
        let item = ApiItem {
            shape: Shape::Struct {
                generics: String::new(),
                non_exhaustive: true,
                private_fields: true,
                fields: BTreeMap::from([(
                    "a".to_owned(),
                    ApiField {
                        json: "a".to_owned(),
                        ty: ty.to_owned(),
                    },
                )]),
                methods: BTreeMap::new(),
            },
            locations: BTreeSet::from([Location {
                schema: "p/events/x.json".to_owned(),
                pointer: String::new(),
            }]),
        };
        RustApi::Generated(BTreeMap::from([(
            "p".to_owned(),
            Ok(PublicApi {
                items: BTreeMap::from([("p::X".to_owned(), item)]),
            }),
        )]))
    }

    #[test]
    fn rust_differences_attach_to_the_change_at_their_member_or_stand_alone() {
        let schema = |ty: &str| {
            BTreeMap::from([(
                "p/events/x.json".to_owned(),
                serde_json::json!({"properties": {"a": {"type": ty}}}),
            )])
        };
        // The schema changes at `/a`, and so does the field reading it.
        let base = Snapshot::new("1.0.0", schema("integer")).with_rust(api("u64"));
        let head = Snapshot::new("1.1.0", schema("number")).with_rust(api("f64"));
        let report = compare(&base, &head);
        assert_eq!(report.changes.len(), 1, "{}", report.render());
        let RustVerdict::Compared(diffs) = &report.changes[0].rust else {
            panic!("{}", report.render())
        };
        assert_eq!(
            (
                diffs[0].path.as_str(),
                diffs[0].old.as_deref(),
                diffs[0].new.as_deref()
            ),
            ("p::X.a", Some("u64"), Some("f64"))
        );
        assert!(report.rust_only.is_empty());
        // The same schema, a different API (a generator change): reported on its own, and breaking.
        let head = Snapshot::new("1.1.0", schema("integer")).with_rust(api("f64"));
        let report = compare(&base, &head);
        assert!(report.changes.is_empty());
        assert_eq!(report.rust_only.len(), 1, "{}", report.render());
        assert!(matches!(
            report.gate(),
            Err(GateError::NeedsMajorBump { .. })
        ));
        assert!(report.render().contains("no schema change explains"));
        // An unavailable API makes every change count as breaking.
        let head = Snapshot::new("1.1.0", schema("number"))
            .with_rust(RustApi::Unavailable("no source".to_owned()));
        let report = compare(&base, &head);
        assert_eq!(report.changes[0].rust.severity(), Severity::Breaking);
        assert!(report.gate().is_err());
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
