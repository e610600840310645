//! Drift end to end: deliveries carrying what the docs do not say (a new member in `data`, a new
//! member of the closed Valara envelope, a number where an integer was seen, an enum value outside
//! the schema, an event type nobody documents) go through the command-line tool's `drift --json`,
//! then `cargo xtask drift apply` on a copy of `schemas/`; the generator then types the new
//! members and values, `compat` calls the change compatible, the evidence lint accepts the
//! observations, and the reference pages show them apart from documented fields.
//!
//! `cargo xtask` runs as CI has already built it (`cargo xtask gen --check` comes first).

use std::path::{Path, PathBuf};
use std::process::Command;

use proptech_catalog::SchemaSet;
use serde_json::Value;

fn root() -> PathBuf {
    crate::workspace()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for path in proptech_catalog::walk(from).expect("walks") {
        let rel = path.strip_prefix(from).expect("inside");
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
        std::fs::copy(&path, &target).expect("copies");
    }
}

/// A valid delivery of `event_type` (its sample), changed by `edit`.
fn delivery(set: &SchemaSet, event_type: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let samples =
        proptech_publish::samples::samples(set, &root().join("tests/valid")).expect("samples");
    let mut value = samples
        .into_iter()
        .find(|s| s.provider == "valara" && s.event_type == event_type && s.valid)
        .expect("a sample")
        .value;
    edit(&mut value);
    value
}

#[test]
fn deliveries_with_new_members_and_values_become_typed_members_compat_calls_compatible() {
    let dir = temp_dir("drift");
    let set = SchemaSet::load(root().join("schemas")).expect("the schema set loads");
    let deliveries = [
        delivery(&set, "appointment.orphan.detected", |v| {
            v["data"]["issue_type"] = "event_duplicated".into();
            v["data"]["severity"] = 3.into();
            v["region"] = "eu".into();
        }),
        delivery(&set, "appointment.orphan.detected", |v| {
            v["data"]["severity"] = 2.5.into();
        }),
        delivery(&set, "appointment.orphan.detected", |v| {
            v["event_type"] = "appointment.orphan.resolved".into();
        }),
    ];
    let mut files = Vec::new();
    for (i, d) in deliveries.iter().enumerate() {
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, serde_json::to_vec(d).expect("JSON")).expect("writes");
        files.push(path.to_str().expect("UTF-8 path").to_owned());
    }

    // The report, from the command-line tool as an operator runs it.
    let mut args = vec!["drift", "--provider", "valara", "--json"];
    args.extend(files.iter().map(String::as_str));
    let (code, stdout, stderr) = crate::run(&args);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    let valara = &report["providers"]["valara"];
    assert_eq!(valara["deliveries"], 3);
    assert_eq!(
        valara["unknown_event_types"][0]["event_type"],
        "appointment.orphan.resolved"
    );
    let event = &valara["events"]["appointment.orphan.detected"];
    let members: Vec<(&str, &Value, &Value)> = event["unknown_members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["path"].as_str().expect("a path"),
                &m["types"],
                &m["count"],
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            (
                "/data/severity",
                &serde_json::json!(["integer", "number"]),
                &Value::from(2)
            ),
            ("/region", &serde_json::json!(["string"]), &Value::from(1)),
        ]
    );
    assert_eq!(event["unknown_enum_values"][0]["value"], "event_duplicated");
    assert_eq!(event["unknown_enum_values"][0]["path"], "/data/issue_type");
    let report_path = dir.join("report.json");
    std::fs::write(&report_path, &stdout).expect("writes");

    // Applied to a copy of the schemas.
    let schemas = dir.join("schemas");
    copy_dir(&root().join("schemas"), &schemas);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let applied = Command::new(cargo)
        .current_dir(root())
        .args(["xtask", "drift", "apply"])
        .arg(&report_path)
        .arg("--schemas")
        .arg(&schemas)
        .output()
        .expect("xtask runs");
    assert!(applied.status.success(), "{applied:?}");
    let said = String::from_utf8_lossy(&applied.stdout);
    assert!(
        said.contains("left for the docs: valara: event type \"appointment.orphan.resolved\""),
        "{said}"
    );
    let head = SchemaSet::load(&schemas).expect("the changed set loads");

    // The generator types them: a number member, an envelope member, an enum variant.
    let generated = proptech_codegen::generate(&head).expect("the generator accepts the change");
    let valara_rs = &generated
        .iter()
        .find(|f| f.path.ends_with("generated/valara.rs"))
        .expect("valara's module")
        .contents;
    let before = proptech_codegen::generate(&set).expect("generates");
    let before_rs = &before
        .iter()
        .find(|f| f.path.ends_with("generated/valara.rs"))
        .expect("valara's module")
        .contents;
    for (what, name, needle) in [
        (
            "the new data member",
            "severity",
            "pub severity: Option<::serde_json::Number>",
        ),
        (
            "the new envelope member",
            "region",
            "pub region: Option<String>",
        ),
        (
            "the new enum value",
            "event_duplicated",
            "\"event_duplicated\"",
        ),
    ] {
        let lines: Vec<&str> = valara_rs.lines().filter(|l| l.contains(name)).collect();
        assert!(
            valara_rs.contains(needle),
            "{what}: no {needle:?} in {lines:#?}"
        );
        assert!(
            !before_rs.contains(needle),
            "{what}: {needle:?} was there before"
        );
    }

    // compat calls it compatible.
    let base = proptech_publish::snapshot_of_set(&set, "0.2.0").expect("base");
    let changed = proptech_publish::snapshot_of_set(&head, "0.2.0").expect("head");
    let compat = proptech_publish::compat::compare(&base, &changed);
    assert!(!compat.changes.is_empty(), "no change seen");
    assert!(!compat.is_breaking(), "{}", compat.render());

    // The evidence lint takes the observation as evidence: nothing new lacks a quote.
    let table = head.evidence().expect("evidence.toml");
    let index = table.index().expect("globs");
    let audit = index.audit(head.docs().map(|d| (d.path.as_str(), &d.value)));
    assert!(audit.unannotated.is_empty(), "{:?}", audit.unannotated);

    // The reference page shows the observed fields apart.
    let bundle = proptech_publish::publish(&head, "0.2.0").expect("publishes");
    let page = bundle
        .iter()
        .find(|f| f.path == "reference/valara/appointment.orphan.detected.md")
        .expect("the page");
    let observed: String = page
        .contents
        .split("Observed in live deliveries, not documented")
        .skip(1)
        .collect();
    for field in ["`severity`", "`region`", "event\\_duplicated"] {
        assert!(
            observed.contains(field),
            "{field} is not shown apart:\n{}",
            page.contents
        );
    }
    let vocabulary = bundle
        .iter()
        .find(|f| f.path == "vocabulary.json")
        .expect("the vocabulary");
    assert!(vocabulary.contents.contains("\"x-observed\""));
}
