//! Conformance: every documented sample, every hand-made valid instance and every negative case,
//! validated against its schema, with the outcome in a reviewed snapshot.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use proptech_catalog::ExpectedError;
use proptech_conformance::seeds::providers;
use proptech_conformance::{NegativeCorpus, render, schema_set, valid_instance, violations};
use serde_json::Value;

/// The name a fixture has in errata: `<provider>/<file>`.
fn fixture_key(path: &Path) -> String {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    let provider = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    format!("{provider}/{file}")
}

/// Validates one fixture and renders the outcome; returns the report and whether it is as expected.
fn check_fixture(path: &Path) -> (String, Vec<String>) {
    let set = schema_set();
    let key = fixture_key(path);
    let mut problems = Vec::new();
    let mut out = String::new();
    let fixtures = set.fixtures().expect("SOURCES.toml files load");
    let Some(fixture) = fixtures.iter().find(|f| f.key() == key) else {
        return (
            format!("fixture: {key}\nNOT LISTED in SOURCES.toml\n"),
            vec![format!("{key} is not listed in its SOURCES.toml")],
        );
    };
    let errata = set.errata().expect("errata.toml loads");
    let _ = writeln!(out, "fixture: {key}");
    let _ = writeln!(
        out,
        "schema: {}{}",
        proptech_catalog::ID_BASE,
        fixture.schema
    );
    let _ = writeln!(out, "source: {} ({})", fixture.document, fixture.section);

    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{key}: {e}"));
    let sample: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(out, "not JSON: {e}");
            return (out, vec![format!("{key} is not JSON: {e}")]);
        }
    };
    let found = violations(&fixture.schema, &sample);
    let expected = errata.expected_errors(&key);
    let ids: Vec<&str> = errata.for_fixture(&key).map(|e| e.id.as_str()).collect();
    if found.is_empty() {
        let _ = writeln!(out, "as printed: valid");
    } else {
        let _ = writeln!(out, "as printed: invalid\n{}", render(&found));
    }
    if !ids.is_empty() {
        let _ = writeln!(out, "errata: {}", ids.join(", "));
    }
    let mut actual: Vec<ExpectedError> = found
        .iter()
        .map(|v| ExpectedError {
            path: v.instance_path.clone(),
            keyword: v.keyword.clone(),
        })
        .collect();
    actual.sort();
    if actual != expected {
        let _ = writeln!(out, "MISMATCH: errata expect {expected:?}");
        problems.push(format!(
            "{key}: errors {actual:?} differ from what its errata expect, {expected:?}"
        ));
    }

    let event_type = set
        .get(&fixture.schema)
        .and_then(|d| d.event())
        .map(|e| e.event_type);
    match errata.corrected(&key, event_type, &sample) {
        Ok(None) => {}
        Ok(Some(fixed)) => {
            let after = violations(&fixture.schema, &fixed);
            if after.is_empty() {
                let _ = writeln!(out, "after errata fixes: valid");
            } else {
                let _ = writeln!(out, "after errata fixes: invalid\n{}", render(&after));
                problems.push(format!("{key} is still invalid after its errata fixes"));
            }
        }
        Err(e) => {
            let _ = writeln!(out, "errata fix does not apply: {e}");
            problems.push(format!("{key}: {e}"));
        }
    }
    (out, problems)
}

#[test]
fn documented_samples() {
    let mut problems = Vec::new();
    insta::glob!("../../../schemas", "*/fixtures/*.json", |path| {
        let (report, mut p) = check_fixture(path);
        insta::assert_snapshot!(report);
        problems.append(&mut p);
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_listed_fixture_exists_and_every_schema_path_is_known() {
    let set = schema_set();
    let fixtures = set.fixtures().expect("SOURCES.toml files load");
    assert!(
        fixtures.len() >= 50,
        "only {} fixtures listed",
        fixtures.len()
    );
    for f in &fixtures {
        assert!(f.path.is_file(), "{} is listed but missing", f.key());
        assert!(
            set.get(&f.schema).is_some(),
            "{} names schema {}, which does not exist",
            f.key(),
            f.schema
        );
    }
}

#[test]
fn every_erratum_names_real_fixtures_and_the_failing_ones_say_what_fails() {
    let set = schema_set();
    let errata = set.errata().expect("errata.toml loads");
    let keys: BTreeSet<String> = set
        .fixtures()
        .expect("fixtures load")
        .iter()
        .map(|f| f.key())
        .collect();
    let mut ids = BTreeSet::new();
    for e in &errata.errata {
        assert!(ids.insert(&e.id), "erratum id {} is used twice", e.id);
        assert!(
            providers().contains(&e.provider),
            "{}: unknown provider",
            e.id
        );
        assert!(
            ["contradiction", "gap", "inconsistency"].contains(&e.kind.as_str()),
            "{}: unknown kind {}",
            e.id,
            e.kind
        );
        for f in &e.fixtures {
            assert!(
                keys.contains(f),
                "{} names fixture {f}, which is not listed",
                e.id
            );
            assert!(
                f.starts_with(&format!("{}/", e.provider)),
                "{} is about {} but names {f}",
                e.id,
                e.provider
            );
        }
        assert!(
            e.fixtures.is_empty() || !e.expect.is_empty() || e.fix.is_empty(),
            "{}: a fix without an expected error corrects nothing",
            e.id
        );
    }
}

#[test]
fn hand_made_valid_instances() {
    let mut problems = Vec::new();
    insta::glob!("../..", "valid/*/*.json", |path| {
        let provider = path
            .parent()
            .and_then(Path::file_name)
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let set = schema_set();
        let schema = [
            format!("{provider}/events/{file}"),
            format!("{provider}/{file}"),
        ]
        .into_iter()
        .find(|p| set.get(p).is_some());
        let Some(schema) = schema else {
            problems.push(format!("{provider}/{file} matches no schema"));
            return;
        };
        let instance = proptech_catalog::read_json(path).unwrap_or_else(|e| panic!("{e}"));
        let found = violations(&schema, &instance);
        if !found.is_empty() {
            problems.push(format!("{provider}/{file}:\n{}", render(&found)));
        }
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_schema_has_a_valid_instance() {
    for doc in schema_set().docs() {
        if doc.path.ends_with("/defs.json") || doc.path.ends_with("/envelope.json") {
            continue;
        }
        let instance = valid_instance(&doc.path);
        let found = violations(&doc.path, &instance);
        assert!(found.is_empty(), "{}:\n{}", doc.path, render(&found));
    }
}

#[test]
fn negative_corpus() {
    let mut problems = Vec::new();
    insta::glob!("../..", "negative/*.toml", |path| {
        let provider = path
            .file_stem()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_owned();
        let corpus = NegativeCorpus::read(path);
        let mut report = String::new();
        for case in &corpus.case {
            let _ = writeln!(report, "{} — {}", case.schema, case.what);
            let payload = match case.payload(&provider) {
                Ok(p) => p,
                Err(e) => {
                    let _ = writeln!(report, "  CASE DOES NOT APPLY: {e}");
                    problems.push(format!("{provider}/{}: {e}", case.schema));
                    continue;
                }
            };
            let found = violations(&format!("{provider}/{}", case.schema), &payload);
            report.push_str(&render(&found));
            if !found.iter().any(|v| case.expect.matches(v)) {
                let _ = writeln!(report, "  NOT REJECTED AT {:?}", case.expect);
                problems.push(format!(
                    "{provider}/{} ({}): expected {:?}, got {found:?}",
                    case.schema, case.what, case.expect
                ));
            }
        }
        insta::assert_snapshot!(report);
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_schema_has_a_negative_case() {
    let mut covered = BTreeSet::new();
    for provider in providers() {
        let provider = provider.as_str();
        let corpus = NegativeCorpus::of(provider);
        covered.extend(
            corpus
                .case
                .iter()
                .map(|c| format!("{provider}/{}", c.schema)),
        );
    }
    let missing: Vec<&str> = schema_set()
        .events()
        .map(|e| e.doc.path.as_str())
        .filter(|p| !covered.contains(*p))
        .collect();
    assert!(
        missing.is_empty(),
        "event schemas with no negative case: {missing:?}"
    );
}

/// Objects that are maps with typed values (Repull's `changes`: field name to a from/to pair), where
/// a new member is a new key of the map, not a new property.
const MAPS: [&str; 1] = ["/data/changes"];

/// Adds `"x_added_by_provider": true` to every object inside `v` that is not a map, and returns the
/// pointers of the objects it changed.
fn add_unknown_members(v: &mut Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                add_unknown_members(child, format!("{at}/{k}"), out);
            }
            if !MAPS.contains(&at.as_str()) {
                map.insert("x_added_by_provider".into(), Value::Bool(true));
                out.push(at);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                add_unknown_members(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The open-world policy of schemas/README.md: a provider may add members anywhere, except in the
/// two shapes the docs promise closed.
#[test]
fn open_world_policy() {
    let closed = BTreeSet::from([
        ("valara".to_owned(), String::new()),
        ("valara".to_owned(), "/data/side_effects".to_owned()),
    ]);
    let mut report = String::new();
    for event in schema_set().events() {
        let mut instance = valid_instance(&event.doc.path);
        let mut objects = Vec::new();
        add_unknown_members(&mut instance, String::new(), &mut objects);
        let found = violations(&event.doc.path, &instance);
        let rejected: BTreeSet<&str> = found
            .iter()
            .filter(|v| v.keyword == "additionalProperties")
            .map(|v| v.instance_path.as_str())
            .collect();
        let others: Vec<_> = found
            .iter()
            .filter(|v| v.keyword != "additionalProperties")
            .collect();
        assert!(others.is_empty(), "{}: {others:?}", event.doc.path);
        for at in &objects {
            let is_closed = closed.contains(&(event.provider.to_owned(), at.clone()));
            assert_eq!(
                rejected.contains(at.as_str()),
                is_closed,
                "{}: an added member at {at:?} should be {}",
                event.doc.path,
                if is_closed { "rejected" } else { "accepted" }
            );
            if is_closed {
                let _ = writeln!(report, "{} rejects a new member at {at:?}", event.doc.path);
            }
        }
    }
    insta::assert_snapshot!(report);
}

/// Lavanda's rate span bounds reject an arbitrary string even where `format` is only an annotation
/// (the Draft 2020-12 default): the date-time branch carries the samples' RFC 3339 shape as a
/// `pattern`, so partners' default validators agree with ours.
#[test]
fn rate_span_rejects_arbitrary_strings_without_format_assertion() {
    let set = schema_set();
    let defs = set.get("lavanda/defs.json").expect("lavanda/defs.json");
    let span = defs
        .value
        .pointer("/$defs/rate_span")
        .expect("rate_span is defined");
    // The default options of a 2020-12 validator: `format` is not asserted.
    let annotating = jsonschema::validator_for(span).expect("rate_span compiles alone");
    let asserting = jsonschema::options()
        .should_validate_formats(true)
        .build(span)
        .expect("rate_span compiles alone");
    let cases = [
        (r#"{"from": "-Infinity", "to": "+Infinity"}"#, true),
        (
            r#"{"from": "2025-08-06T00:00:00Z", "to": "2025-08-06T23:59:59Z"}"#,
            true,
        ),
        (
            r#"{"from": "2025-08-06T00:00:00.5+02:00", "to": "+Infinity"}"#,
            true,
        ),
        (r#"{"from": "soon", "to": "+Infinity"}"#, false),
        (r#"{"from": "-Infinity", "to": "2025-08-06"}"#, false),
        (r#"{"from": "+Infinity", "to": "+Infinity"}"#, false),
    ];
    for (text, valid) in cases {
        let instance: Value = serde_json::from_str(text).expect("case is JSON");
        assert_eq!(
            annotating.is_valid(&instance),
            valid,
            "format as annotation: {text}"
        );
        assert_eq!(
            asserting.is_valid(&instance),
            valid,
            "format asserted: {text}"
        );
    }
}
