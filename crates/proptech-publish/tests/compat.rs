//! Data-driven tests of the breaking-change gate (`proptech_publish::compat`).
//!
//! Every `tests/compat/*.json` file is one case, written as small fragments: schemas are JSON
//! Merge Patches (RFC 7386) over one template event schema, `tests/compat.template.json`, so a
//! case shows only the keywords it is about:
//!
//! ```json
//! {
//!   "description": "what the case shows",
//!   "base_version": "1.0.0",
//!   "head_version": "1.1.0",
//!   "gate": "pass" | "fail",
//!   "expect": [{"kind": "RemovedRequiredProperty", "breaks": "old receivers", "pointer": "/data/x"}],
//!   "path": "valara/events/listing.status_changed.json",
//!   "base": { ...patch of the template (often `{}`)... },
//!   "head": { ...patch of the base: the change under test... }
//! }
//! ```
//!
//! `path` is optional (that default). A case about several schemas uses `base_schemas` and
//! `head_schemas` (objects from path to a patch of the template) instead of `base`, `head` and
//! `path`, and then every `expect` entry also names its `schema`. `expect` must equal the
//! report's changes exactly and in report order (schema, pointer, kind). `breaks` is what the
//! change does to receivers of the wire format: `"none"`, `"old receivers"` (built on the old
//! schema, reading new deliveries: Confluent's FORWARD), `"new receivers"` (built on the new
//! schema, reading old deliveries in flight or replayed: BACKWARD) or `"both"`. These cases judge
//! the wire layer alone (their snapshots carry no generated API); the Rust layer is tested with
//! real generated crates in `proptech-codegen/tests/compat_clients.rs` and `compat_layers.rs`.
//! The rendered report, the changelog entry and the gate's verdict are snapshotted.

use std::collections::BTreeMap;

use proptech_publish::compat::{Snapshot, compare};
use serde::Deserialize;
use serde_json::Value;

const DEFAULT_PATH: &str = "valara/events/listing.status_changed.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    base_version: String,
    head_version: String,
    gate: Gate,
    expect: Vec<Expected>,
    path: Option<String>,
    base: Option<Value>,
    head: Option<Value>,
    base_schemas: Option<BTreeMap<String, Value>>,
    head_schemas: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Gate {
    Pass,
    Fail,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    #[serde(default)]
    schema: Option<String>,
    kind: String,
    breaks: String,
    pointer: String,
}

/// What `wire` breaks, as a case writes it.
fn breaks(wire: proptech_publish::compat::Wire) -> &'static str {
    use proptech_publish::compat::Severity::Breaking;
    match (
        wire.old_receivers == Breaking,
        wire.new_receivers == Breaking,
    ) {
        (true, true) => "both",
        (true, false) => "old receivers",
        (false, true) => "new receivers",
        (false, false) => "none",
    }
}

/// `patch` applied to `target`.
fn patched(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

impl Case {
    /// The two snapshots, and whether the case is about a single schema.
    fn snapshots(self, template: &Value) -> (Snapshot, Snapshot, bool) {
        let from_template = |patches: BTreeMap<String, Value>| {
            patches
                .into_iter()
                .map(|(path, patch)| (path, patched(template, &patch)))
                .collect::<BTreeMap<_, _>>()
        };
        match (self.base, self.head, self.base_schemas, self.head_schemas) {
            (Some(base), Some(head), None, None) => {
                let base = patched(template, &base);
                let head = patched(&base, &head);
                let path = self.path.unwrap_or_else(|| DEFAULT_PATH.to_owned());
                (
                    Snapshot::new(self.base_version, BTreeMap::from([(path.clone(), base)])),
                    Snapshot::new(self.head_version, BTreeMap::from([(path, head)])),
                    true,
                )
            }
            (None, None, Some(base), Some(head)) => {
                assert!(self.path.is_none(), "`path` goes with `base` and `head`");
                (
                    Snapshot::new(self.base_version, from_template(base)),
                    Snapshot::new(self.head_version, from_template(head)),
                    false,
                )
            }
            _ => {
                panic!("a case has either `base` and `head`, or `base_schemas` and `head_schemas`")
            }
        }
    }
}

#[test]
fn compat_cases() {
    let template: Value =
        serde_json::from_str(include_str!("compat.template.json")).expect("the template is JSON");
    insta::glob!("compat/*.json", |path| {
        let text = std::fs::read_to_string(path).expect("case file is readable");
        let mut case: Case = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a valid case: {e}", path.display()));
        let description = case.description.clone();
        let gate = case.gate;
        let expected = std::mem::take(&mut case.expect);
        let (base, head, single) = case.snapshots(&template);
        if !single {
            assert!(
                expected.iter().all(|e| e.schema.is_some()),
                "{}: with `base_schemas`, every expectation names its `schema`",
                path.display()
            );
        }

        let report = compare(&base, &head);
        let actual: Vec<Expected> = report
            .changes
            .iter()
            .map(|c| Expected {
                schema: (!single).then(|| c.schema.clone()),
                kind: c.kind.name().to_owned(),
                breaks: breaks(c.wire).to_owned(),
                pointer: c.pointer.clone(),
            })
            .collect();
        assert_eq!(
            actual,
            expected,
            "{}: unexpected changes; the report:\n{}",
            path.display(),
            report.render()
        );
        for change in &report.changes {
            assert_eq!(change.severity, change.kind.severity());
        }

        let verdict = report.gate();
        assert_eq!(
            verdict.is_ok(),
            gate == Gate::Pass,
            "{}: gate verdict: {verdict:?}",
            path.display()
        );
        // Comparing is deterministic.
        assert_eq!(compare(&base, &head), report);

        let verdict = match verdict {
            Ok(()) => "pass".to_owned(),
            Err(error) => format!("fail: {error}"),
        };
        let snapshot = format!(
            "{}\n--- changelog ---\n{}\n--- gate ---\n{verdict}\n",
            report.render(),
            report.changelog_entry()
        );
        insta::with_settings!({ description => description, omit_expression => true }, {
            insta::assert_snapshot!(snapshot);
        });
    });
}
