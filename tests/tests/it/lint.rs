//! Schema lint: every schema is valid 2020-12, resolves, carries its annotations, and the schema set
//! matches the providers' catalogs exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use proptech_catalog::{DOCUMENTATION_STATUSES, ID_BASE};
use proptech_conformance::{schema_set, validators};
use serde_json::Value;

#[test]
fn every_schema_is_valid_against_the_2020_12_metaschema() {
    for doc in schema_set().docs() {
        assert_eq!(
            doc.str("$schema"),
            Some("https://json-schema.org/draft/2020-12/schema"),
            "{}",
            doc.path
        );
        if let Err(e) = jsonschema::meta::validate(&doc.value) {
            panic!("{} is not a valid 2020-12 schema: {e}", doc.path);
        }
    }
}

#[test]
fn every_schema_compiles() {
    let mut v = validators().lock().unwrap_or_else(|e| e.into_inner());
    for doc in schema_set().docs() {
        v.get(&doc.expected_id()).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Every `$ref` below `v`, with the JSON pointer where it stands.
fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref" {
                    if let Some(r) = child.as_str() {
                        out.push((at.clone(), r));
                    }
                } else if k != "examples" && k != "const" && k != "enum" {
                    refs(child, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refs(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_ref_resolves_inside_the_set() {
    let set = schema_set();
    let mut count = 0;
    for doc in set.docs() {
        let mut found = Vec::new();
        refs(&doc.value, String::new(), &mut found);
        for (at, reference) in found {
            assert!(
                !reference.contains("://"),
                "{} {at}: $ref {reference} must be relative so the set resolves offline",
                doc.path
            );
            if let Err(e) = set.follow(&doc.path, reference) {
                panic!("{} {at}: {e}", doc.path);
            }
            count += 1;
        }
    }
    assert!(count > 100, "only {count} $refs seen: the walk is broken");
}

#[test]
fn every_schema_carries_its_identity_and_annotations() {
    for doc in schema_set().docs() {
        let p = &doc.path;
        assert_eq!(doc.str("$id"), Some(doc.expected_id().as_str()), "{p}: $id");
        assert!(
            doc.str("title").is_some_and(|t| !t.is_empty()),
            "{p}: title"
        );
        assert!(
            doc.str("description").is_some_and(|t| t.len() > 10),
            "{p}: description"
        );
        assert_eq!(
            doc.str("x-provider"),
            Some(doc.provider()),
            "{p}: x-provider"
        );
        let sources = doc.value.get("x-source").and_then(Value::as_array);
        assert!(
            sources.is_some_and(|s| !s.is_empty()
                && s.iter()
                    .all(|u| u.as_str().is_some_and(|u| u.starts_with("https://")))),
            "{p}: x-source must list the documentation URLs"
        );
        if let Some(event) = doc.event() {
            let file_type = p.rsplit('/').next().and_then(|f| f.strip_suffix(".json"));
            assert_eq!(
                Some(event.event_type),
                file_type,
                "{p}: x-event-type names the file"
            );
            assert!(event.category().is_some(), "{p}: x-category");
            assert!(
                event
                    .documentation_status()
                    .is_some_and(|s| DOCUMENTATION_STATUSES.contains(&s)),
                "{p}: x-documentation-status"
            );
            if doc.provider() == "valara" {
                assert!(doc.str("x-api-version").is_some(), "{p}: x-api-version");
            }
        }
    }
}

/// Every schema under a `properties` map, with its pointer.
fn properties<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "examples" {
                    continue;
                }
                if k == "properties"
                    && let Some(props) = child.as_object()
                {
                    for (name, schema) in props {
                        out.push((format!("{at}/properties/{name}"), schema));
                    }
                }
                properties(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                properties(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_property_has_a_description() {
    let mut missing = Vec::new();
    let mut count = 0;
    for doc in schema_set().docs() {
        let mut found = Vec::new();
        properties(&doc.value, String::new(), &mut found);
        for (at, schema) in found {
            count += 1;
            let described = schema
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.trim().is_empty());
            if !described {
                missing.push(format!("{}#{at}", doc.path));
            }
        }
    }
    assert!(
        count > 500,
        "only {count} properties seen: the walk is broken"
    );
    assert!(
        missing.is_empty(),
        "properties without a description: {missing:#?}"
    );
}

#[test]
fn the_schema_set_matches_the_providers_catalogs() {
    let set = schema_set();
    let catalogs = set.catalogs().expect("catalog.toml loads");
    assert_eq!(
        catalogs.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut p = set.provider_names();
            p.sort_unstable();
            p
        },
        "catalog.toml has one table per provider"
    );
    let expected_counts = BTreeMap::from([
        ("valara", 17),
        ("repull", 15),
        ("lavanda", 30),
        ("everreal", 28),
    ]);
    for (provider, catalog) in &catalogs {
        let named: BTreeMap<&str, &str> = catalog.events().map(|(c, n)| (n, c)).collect();
        let schemas: BTreeMap<&str, Option<&str>> = set
            .events()
            .filter(|e| e.provider == provider)
            .map(|e| (e.event_type, e.category()))
            .collect();
        let missing: Vec<_> = named.keys().filter(|n| !schemas.contains_key(*n)).collect();
        let extra: Vec<_> = schemas.keys().filter(|n| !named.contains_key(*n)).collect();
        assert!(
            missing.is_empty(),
            "{provider}: catalog types with no schema: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "{provider}: schemas not in the catalog: {extra:?}"
        );
        assert_eq!(
            named.len(),
            expected_counts[provider.as_str()],
            "{provider}: catalog size"
        );
        for (name, category) in &named {
            assert_eq!(
                schemas[name],
                Some(*category),
                "{provider}/{name}: x-category differs from the catalog"
            );
        }
    }
    assert_eq!(set.events().count(), 90);
}

/// The provider docs, where this checkout has them beside it (CI does): `PROVIDER_DOCS`, or
/// `../shared/provider-docs` next to the workspace.
fn provider_docs() -> Option<PathBuf> {
    let dir = std::env::var_os("PROVIDER_DOCS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/provider-docs")
        });
    dir.is_dir().then_some(dir)
}

/// `catalog.toml` is a transcription; this checks it against the docs' own text, so a name typed
/// wrong, or left out, fails. CI runs it with `REQUIRE_PROVIDER_DOCS=1`, which makes missing docs an
/// error rather than a skipped check.
#[test]
fn the_catalogs_transcribe_the_provider_docs() {
    let Some(dir) = provider_docs() else {
        assert!(
            std::env::var_os("REQUIRE_PROVIDER_DOCS").is_none(),
            "REQUIRE_PROVIDER_DOCS is set but the provider docs are not found (set PROVIDER_DOCS)"
        );
        eprintln!("provider docs not found: catalog transcription not re-checked");
        return;
    };
    let read =
        |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let valara = read("000_365793be9e159890.txt");
    let repull = read("002_ea16d0cd40556098.txt");
    let lavanda = read("003_ae7dfff3b100018c.txt");
    let everreal = read("004_5c6601964e6b7837.txt");

    // Names as each document spells them: Valara's catalog rows start with the type; Repull's
    // event sections are headed by the bare type; Lavanda names each type in its sample's "type"; EverReal
    // separates types with '|'.
    let mut in_docs: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let valara_names = valara
        .lines()
        .filter_map(|l| {
            l.split_once(|c: char| c.is_ascii_uppercase())
                .map(|(n, _)| n)
        })
        .filter(|n| n.contains('.') && !n.contains(' '))
        .map(str::to_owned);
    in_docs.insert("valara", valara_names.collect());
    let repull_names = repull
        .lines()
        .filter(|l| {
            l.contains('.')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || "._".contains(c))
        })
        .map(str::to_owned);
    in_docs.insert("repull", repull_names.collect());
    let lavanda_names = lavanda.lines().filter_map(|l| {
        let rest = l
            .strip_prefix("\"type\": \"")
            .filter(|r| r.starts_with("v1."))?;
        rest.trim_end_matches(',')
            .strip_suffix('"')
            .map(str::to_owned)
    });
    in_docs.insert("lavanda", lavanda_names.collect());
    let everreal_part = everreal.split("Event Types").nth(1).unwrap_or_default();
    let everreal_names = everreal_part
        .lines()
        .filter(|l| {
            l.contains('_')
                && l.chars()
                    .all(|c| c.is_ascii_uppercase() || "_| ".contains(c))
        })
        .flat_map(|l| l.split('|').map(|n| n.trim().to_owned()));
    in_docs.insert("everreal", everreal_names.collect());

    let catalogs = schema_set().catalogs().expect("catalog.toml loads");
    for (provider, names) in in_docs {
        let transcribed: BTreeSet<String> = catalogs[provider]
            .events()
            .map(|(_, n)| n.to_owned())
            .collect();
        assert_eq!(
            transcribed, names,
            "{provider}: catalog.toml differs from the docs"
        );
    }
    assert!(ID_BASE.ends_with('/'));
}

/// Whether the provider docs must be present: in CI, or when `REQUIRE_PROVIDER_DOCS` is set.
fn docs_required() -> bool {
    std::env::var_os("REQUIRE_PROVIDER_DOCS").is_some() || std::env::var_os("CI").is_some()
}

/// Every `enum`, `pattern`, `format`, `const` and `required` in the schemas, and every
/// `x-personal-data` mark, is covered by a row of `schemas/evidence.toml`, and every row covers
/// something.
#[test]
fn every_constraint_carries_its_evidence() {
    let set = schema_set();
    let table = set.evidence().expect("evidence.toml loads");
    let index = table.index().expect("evidence.toml globs compile");
    let audit = index.audit(set.docs().map(|d| (d.path.as_str(), &d.value)));
    assert!(
        audit.seen > 250,
        "only {} constraints seen: the walk is broken",
        audit.seen
    );
    let unannotated: Vec<String> = audit.unannotated.iter().map(ToString::to_string).collect();
    assert!(
        unannotated.is_empty(),
        "constraints without evidence (add a row to schemas/evidence.toml quoting the document, \
         or drop the constraint): {unannotated:#?}"
    );
    let unused: Vec<String> = audit
        .unused
        .iter()
        .map(|&i| {
            let e = &table.evidence[i];
            format!("{} {:?} {:?}", e.keyword, e.schemas, e.at)
        })
        .collect();
    assert!(
        unused.is_empty(),
        "evidence rows that cover no constraint: {unused:#?}"
    );
    let errata = set.errata().expect("errata.toml loads");
    for e in &table.evidence {
        if let Some(id) = &e.erratum {
            assert!(
                errata.errata.iter().any(|x| &x.id == id),
                "evidence for {:?} names erratum {id}, which does not exist",
                e.at
            );
        }
    }
}

/// Every quote of `schemas/evidence.toml` stands in the document it names.
#[test]
fn every_evidence_quote_is_in_its_document() {
    let Some(dir) = provider_docs() else {
        assert!(
            !docs_required(),
            "the provider docs are required here but not found (set PROVIDER_DOCS)"
        );
        eprintln!("provider docs not found: evidence quotes not checked");
        return;
    };
    let table = schema_set().evidence().expect("evidence.toml loads");
    let mut wrong = Vec::new();
    for e in &table.evidence {
        let path = dir.join(&e.document);
        match std::fs::read_to_string(&path) {
            Ok(text) if proptech_catalog::quoted_in(&text, &e.quote) => {}
            Ok(_) => wrong.push(format!(
                "{}: not in the document: {:?}",
                e.document, e.quote
            )),
            Err(err) => wrong.push(format!("{}: {err}", e.document)),
        }
    }
    assert!(
        table.evidence.len() > 100,
        "only {} rows",
        table.evidence.len()
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Each erratum's `schemas` names at least one schema of the set (a typo would hide the
/// assumption from the reference pages).
#[test]
fn every_erratum_schema_pattern_names_a_schema() {
    let set = schema_set();
    let errata = set.errata().expect("errata.toml loads");
    for e in &errata.errata {
        for pattern in &e.schemas {
            let hits = set
                .docs()
                .filter(|d| proptech_catalog::path_matches(pattern, &d.path))
                .count();
            assert!(
                hits > 0,
                "{}: schemas pattern {pattern} matches nothing",
                e.id
            );
        }
    }
}

/// The fixtures are the printed samples: each file's text, whitespace aside, stands in the document
/// copy its `SOURCES.toml` row names.
#[test]
fn every_fixture_is_the_printed_text_of_its_document() {
    let Some(dir) = provider_docs() else {
        assert!(
            !docs_required(),
            "the provider docs are required here but not found (set PROVIDER_DOCS)"
        );
        eprintln!("provider docs not found: fixtures not compared with the docs");
        return;
    };
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let fixtures = schema_set().fixtures().expect("SOURCES.toml files load");
    let mut wrong = Vec::new();
    for f in &fixtures {
        let text = std::fs::read_to_string(&f.path).unwrap_or_else(|e| panic!("{}: {e}", f.key()));
        let doc = std::fs::read_to_string(dir.join(&f.copy))
            .unwrap_or_else(|e| panic!("{}: copy {}: {e}", f.key(), f.copy));
        if !squash(&doc).contains(&squash(&text)) {
            wrong.push(format!("{} is not the text printed in {}", f.key(), f.copy));
        }
    }
    assert!(fixtures.len() >= 50, "only {} fixtures", fixtures.len());
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Every fact a provider descriptor (`schemas/<provider>/provider.toml`) states quotes words that
/// stand in the document it names, and every document it lists exists.
#[test]
fn every_descriptor_quote_is_in_its_document() {
    let Some(dir) = provider_docs() else {
        assert!(
            !docs_required(),
            "the provider docs are required here but not found (set PROVIDER_DOCS)"
        );
        eprintln!("provider docs not found: descriptor quotes not checked");
        return;
    };
    let set = schema_set();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for provider in set.providers() {
        for document in &provider.documents {
            if !dir.join(document).is_file() {
                wrong.push(format!(
                    "{}: lists {document}, which is not stored",
                    provider.name
                ));
            }
        }
        for (fact, q) in provider.quotes() {
            checked += 1;
            match std::fs::read_to_string(dir.join(&q.document)) {
                Ok(text) if proptech_catalog::quoted_in(&text, &q.quote) => {}
                Ok(_) => wrong.push(format!(
                    "{} {fact}: not in {}: {:?}",
                    provider.name, q.document, q.quote
                )),
                Err(err) => wrong.push(format!("{} {fact}: {}: {err}", provider.name, q.document)),
            }
        }
    }
    assert!(checked >= 4 * 2, "only {checked} quotes");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A descriptor's ordering rules name event types the provider has, and members each of those
/// events' schemas require (inline objects, no `$ref` on the way), so the consumer's guard finds
/// the entity in every valid delivery; the envelope requires the time member.
#[test]
fn every_ordering_rule_names_required_members_of_real_events() {
    let set = schema_set();
    let mut checked = 0;
    for provider in set.providers() {
        let Some(ordering) = &provider.ordering else {
            continue;
        };
        let schemas: std::collections::HashMap<String, &serde_json::Value> = set
            .docs()
            .filter(|d| d.path.starts_with(&format!("{}/events/", provider.name)))
            .filter_map(|d| {
                let event = d.value.pointer("/properties/type/const")?.as_str()?;
                Some((event.to_owned(), &d.value))
            })
            .collect();
        let envelope = provider.envelope.schema.as_ref().and_then(|file| {
            set.docs()
                .find(|d| d.path == format!("{}/{file}", provider.name))
                .map(|d| &d.value)
        });
        let required = envelope
            .and_then(|e| e["required"].as_array())
            .is_some_and(|r| r.iter().any(|m| *m == ordering.time_member.as_str()));
        assert!(
            required,
            "{}: the envelope does not require the ordering time member {}",
            provider.name, ordering.time_member
        );
        for rule in &ordering.entities {
            for event in &rule.events {
                let schema = schemas.get(event).unwrap_or_else(|| {
                    panic!(
                        "{}: ordering names {event}, which has no schema",
                        provider.name
                    )
                });
                {
                    let member = rule.member.as_str();
                    let mut at: &serde_json::Value = schema;
                    for segment in member.trim_start_matches('/').split('/') {
                        let requires = |schema: &serde_json::Value| {
                            schema["required"]
                                .as_array()
                                .is_some_and(|r| r.iter().any(|m| m == segment))
                        };
                        // At the top, the envelope the event refers to may require it.
                        let required = requires(at)
                            || (std::ptr::eq(at, *schema) && envelope.is_some_and(requires));
                        assert!(
                            required,
                            "{} {event}: ordering member {member} is not required at {segment}",
                            provider.name
                        );
                        at = &at["properties"][segment];
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 6, "only {checked} ordering members checked");
}

/// A descriptor's `[cloudevents]` names members its envelope requires: the source's `{member}`
/// and the time member are in every valid delivery; a provider without a time member signs a
/// timestamp.
#[test]
fn cloudevents_tables_name_required_envelope_members() {
    let set = schema_set();
    let mut checked = 0;
    for provider in set.providers() {
        let c = provider
            .cloudevents
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no [cloudevents] table", provider.name));
        let envelope = provider.envelope.schema.as_ref().and_then(|file| {
            set.docs()
                .find(|d| d.path == format!("{}/{file}", provider.name))
                .map(|d| &d.value)
        });
        let required = |member: &str| {
            envelope
                .and_then(|e| e["required"].as_array())
                .is_some_and(|r| r.iter().any(|m| m == member))
        };
        for member in c
            .source_member()
            .into_iter()
            .chain(c.time_member.as_deref())
        {
            assert!(
                required(member),
                "{}: [cloudevents] names {member}, which the envelope does not require",
                provider.name
            );
            checked += 1;
        }
        if c.time_member.is_none() {
            let signs_time = matches!(
                &provider.signature,
                proptech_catalog::Signature::StandardWebhooks(_)
            ) || provider.hmac().is_some_and(|h| h.timestamp.is_some());
            assert!(
                signs_time,
                "{}: [cloudevents] has no time_member and no timestamp is signed",
                provider.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} checked");
}

/// Every member whose name looks personal (email, phone, name, address, message, …) or whose
/// `format` is `email` carries an `x-personal-data` mark, or a `[[not-personal]]` decision in
/// `schemas/evidence.toml` says why it is not a person's data.
#[test]
fn every_personal_looking_member_is_marked_or_decided() {
    let set = schema_set();
    let table = set.evidence().expect("evidence.toml loads");
    let audit = table
        .personal_audit(set.docs().map(|d| (d.path.as_str(), &d.value)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        audit.explained.len() + audit.marks.len() > 40,
        "only {} suspects and marks seen: the walk is broken",
        audit.explained.len() + audit.marks.len()
    );
    let unexplained: Vec<String> = audit.unexplained.iter().map(ToString::to_string).collect();
    assert!(
        unexplained.is_empty(),
        "members that look personal but carry no x-personal-data mark (mark them, with a row of \
         evidence, or record a [[not-personal]] decision in schemas/evidence.toml): \
         {unexplained:#?}"
    );
}

/// Every `[[not-personal]]` decision covers at least one unmarked member that looks personal, each
/// of its globs taking part, and none covers a marked member.
#[test]
fn every_not_personal_decision_covers_a_suspect() {
    let set = schema_set();
    let table = set.evidence().expect("evidence.toml loads");
    let audit = table
        .personal_audit(set.docs().map(|d| (d.path.as_str(), &d.value)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!table.not_personal.is_empty(), "no decisions read");
    let describe = |i: usize| {
        let d = &table.not_personal[i];
        format!("{:?} {:?} ({})", d.schemas, d.at, d.reason)
    };
    let mut stale: Vec<String> = audit
        .unused
        .iter()
        .map(|&i| format!("{}: covers no suspect", describe(i)))
        .collect();
    stale.extend(
        audit
            .unused_patterns
            .iter()
            .map(|(i, p)| format!("{}: {p} covers no suspect", describe(*i))),
    );
    stale.extend(
        audit
            .contradicted
            .iter()
            .map(|(i, mark)| format!("{}: covers {mark}, which is marked", describe(*i))),
    );
    assert!(
        stale.is_empty(),
        "not-personal decisions that are stale or contradict a mark: {stale:#?}"
    );
}

/// Every `x-personal-data` mark names one of the five categories and stands in a property's own
/// subschema (`…/properties/<member>/x-personal-data`), where the code generator looks for it.
#[test]
fn every_personal_data_mark_names_a_category() {
    let mut wrong = Vec::new();
    let mut marks = 0;
    for doc in schema_set().docs() {
        match proptech_catalog::survey(&doc.path, &doc.value) {
            Ok(found) => marks += found.marks.len(),
            Err(e) => wrong.push(e.to_string()),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let keywords = schema_set()
        .docs()
        .flat_map(|d| proptech_catalog::constraints(&d.path, &d.value))
        .filter(|c| c.keyword == proptech_catalog::PERSONAL_DATA_KEYWORD)
        .count();
    assert_eq!(marks, keywords, "every mark is a member's");
}

/// The marks, counted per provider and per category. The floor stands just below the count of the
/// marks made when the lint was added, so a mark lost by accident fails.
#[test]
fn personal_data_marks_are_counted() {
    use proptech_catalog::Category;
    let set = schema_set();
    let mut per_provider: BTreeMap<&str, BTreeMap<Category, usize>> = BTreeMap::new();
    let mut per_category: BTreeMap<Category, usize> = BTreeMap::new();
    let mut total = 0;
    for doc in set.docs() {
        let found =
            proptech_catalog::survey(&doc.path, &doc.value).unwrap_or_else(|e| panic!("{e}"));
        for mark in found.marks {
            *per_provider
                .entry(doc.provider())
                .or_default()
                .entry(mark.category)
                .or_default() += 1;
            *per_category.entry(mark.category).or_default() += 1;
            total += 1;
        }
    }
    for (provider, counts) in &per_provider {
        let line: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let sum: usize = counts.values().sum();
        eprintln!(
            "personal data: {provider}: {sum} marks ({})",
            line.join(", ")
        );
    }
    let line: Vec<String> = per_category
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    eprintln!("personal data: {total} marks ({})", line.join(", "));
    for provider in set.provider_names() {
        assert!(
            per_provider.contains_key(provider),
            "{provider}: no personal data marked"
        );
    }
    assert!(total > 38, "only {total} personal-data marks");
}
