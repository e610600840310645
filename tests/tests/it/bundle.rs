//! The partner bundle (`cargo xtask publish`): deterministic, self-contained, and saying the same
//! thing as the schema set in every form it takes (bundled schemas, AsyncAPI payloads, catalogs,
//! reference pages).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use proptech_conformance::{NegativeCorpus, schema_set, valid_instance, violations};
use proptech_publish::OutputFile;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn bundle() -> &'static BTreeMap<String, OutputFile> {
    static B: OnceLock<BTreeMap<String, OutputFile>> = OnceLock::new();
    B.get_or_init(|| {
        proptech_publish::publish(schema_set(), VERSION)
            .expect("the bundle publishes")
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect()
    })
}

fn json_file(path: &str) -> Value {
    let file = bundle()
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not in the bundle"));
    serde_json::from_str(&file.contents).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every instance the suite knows for the schema at `path`: the valid one, the documented samples
/// as printed, and every negative case.
///
/// An envelope has no instance of its own: every instance of its provider's events is one.
fn instances(path: &str) -> Vec<(String, Value)> {
    let set = schema_set();
    if let Some(provider) = path.strip_suffix("/envelope.json") {
        return set
            .events()
            .filter(|e| e.provider == provider)
            .flat_map(|e| instances(&e.doc.path))
            .collect();
    }
    let mut out = vec![("valid instance".to_owned(), valid_instance(path))];
    for fixture in set.fixtures().expect("fixtures load") {
        if fixture.schema == path {
            let value = proptech_catalog::read_json(&fixture.path).expect("fixture reads");
            out.push((format!("fixture {}", fixture.key()), value));
        }
    }
    let (provider, rest) = path.split_once('/').expect("provider/path");
    for case in NegativeCorpus::of(provider)
        .case
        .iter()
        .filter(|c| c.schema == rest)
    {
        out.push((
            format!("negative case {:?}", case.what),
            case.payload(provider).expect("negative case applies"),
        ));
    }
    out
}

#[test]
fn publishing_twice_gives_the_same_bytes() {
    let again: BTreeMap<String, OutputFile> = proptech_publish::publish(schema_set(), VERSION)
        .expect("publishes")
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect();
    assert_eq!(bundle(), &again);
}

#[test]
fn the_manifest_carries_the_version_and_a_checksum_of_every_file() {
    let manifest = json_file("bundle.json");
    assert_eq!(manifest["version"], VERSION);
    let sums = manifest["sha256"].as_object().expect("sha256 map");
    let files: BTreeSet<&str> = bundle()
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "bundle.json")
        .collect();
    let listed: BTreeSet<&str> = sums.keys().map(String::as_str).collect();
    assert_eq!(
        files, listed,
        "the manifest lists exactly the bundle's files"
    );
    for (path, sum) in sums {
        let digest = hex::encode(Sha256::digest(bundle()[path].contents.as_bytes()));
        assert_eq!(sum.as_str(), Some(digest.as_str()), "checksum of {path}");
    }
    assert_eq!(
        manifest["providers"]["valara"]["api_versions"],
        json!(["2026-04-17"])
    );
    assert!(
        manifest["providers"]["repull"]
            .get("api_versions")
            .is_none()
    );
}

#[test]
fn bundled_schemas_are_self_contained_and_judge_like_the_schema_set() {
    let set = schema_set();
    let mut checked = 0;
    for doc in proptech_publish::published_schemas(set) {
        let bundled = json_file(&format!("schemas/{}", doc.path));
        assert_eq!(
            bundled["$id"], doc.value["$id"],
            "{} keeps its $id",
            doc.path
        );
        let text = bundled.to_string();
        assert!(
            !text.contains("\"$ref\":\"../") && !text.contains("\"$ref\":\"https:"),
            "{} still references another file",
            doc.path
        );
        // Compiled alone: no retriever, so a reference outside the document fails to compile.
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&bundled)
            .unwrap_or_else(|e| panic!("{} does not compile alone: {e}", doc.path));
        for (what, instance) in instances(&doc.path) {
            let expected: BTreeSet<String> = violations(&doc.path, &instance)
                .into_iter()
                .map(|v| format!("{} {}", v.instance_path, v.keyword))
                .collect();
            let actual: BTreeSet<String> = validator
                .iter_errors(&instance)
                .map(|e| format!("{} {}", e.instance_path(), e.kind().keyword()))
                .collect();
            assert_eq!(expected, actual, "{}: {what}", doc.path);
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} instances were checked");
}

/// Judges every instance the suite knows for the schema at `path` with `validator` (the schema as
/// another document carries it, `form`) and asserts the same places are wrong as the schema set
/// says; returns how many instances were judged.
fn judge_like_the_set(validator: &jsonschema::Validator, path: &str, form: &str) -> usize {
    let mut checked = 0;
    for (what, instance) in instances(path) {
        let expected: BTreeSet<String> = violations(path, &instance)
            .into_iter()
            .map(|v| v.instance_path)
            .collect();
        let actual: BTreeSet<String> = validator
            .iter_errors(&instance)
            .map(|e| e.instance_path().to_string())
            .collect();
        assert_eq!(
            expected, actual,
            "{path}: {what}: 2020-12 says {expected:?}, {form} says {actual:?}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn asyncapi_payloads_judge_like_the_schema_set() {
    let set = schema_set();
    let mut checked = 0;
    for event in set.events() {
        let document = json_file(&format!("asyncapi/{}.json", event.provider));
        assert_eq!(document["asyncapi"], "3.0.0");
        assert_eq!(document["info"]["version"], VERSION);
        let message = &document["components"]["messages"][event.event_type];
        assert_eq!(message["name"], event.event_type);
        assert_eq!(
            message["payload"]["schemaFormat"],
            proptech_publish::asyncapi::SCHEMA_FORMAT
        );
        // The payload, resolved against the whole document as AsyncAPI tools resolve it.
        let reference = message["payload"]["schema"]["$ref"]
            .as_str()
            .expect("payload references components.schemas");
        let mut root = document.clone();
        root["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        root["$ref"] = json!(reference);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{}: payload does not compile: {e}", event.event_type));
        checked += judge_like_the_set(&validator, &event.doc.path, "the AsyncAPI payload");
    }
    assert!(checked > 300, "only {checked} instances were checked");
}

#[test]
fn openapi_request_bodies_judge_like_the_schema_set() {
    let set = schema_set();
    let mut checked = 0;
    for event in set.events() {
        let document = json_file(&format!("openapi/{}.json", event.provider));
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["version"], VERSION);
        let webhook = &document["webhooks"][event.event_type];
        let operation = webhook
            .as_object()
            .and_then(|o| o.values().next())
            .unwrap_or_else(|| panic!("{}: no webhook", event.event_type));
        let media = operation["requestBody"]["content"]
            .as_object()
            .and_then(|o| o.values().next())
            .expect("a request body");
        // The body, resolved against the whole document as OpenAPI tools resolve it.
        let mut root = document.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        root["$ref"] = media["schema"]["$ref"].clone();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{}: body does not compile: {e}", event.event_type));
        checked += judge_like_the_set(&validator, &event.doc.path, "the OpenAPI body");
    }
    assert!(checked > 300, "only {checked} instances were checked");
}

/// The statuses of the processing table in the crate guide's processing chapter (`| outcome |
/// status | the provider then |`), `2XX` for the handler's own answer.
fn readme_statuses() -> BTreeSet<String> {
    let guide =
        proptech_conformance::tests_dir().join("../crates/proptech-events/guide/processing.md");
    let readme = std::fs::read_to_string(guide).expect("guide/processing.md reads");
    let table = readme
        .split("| outcome | status | the provider then |")
        .nth(1)
        .expect("the processing guide has its processing table");
    let mut statuses = BTreeSet::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let status = row.split('|').nth(2).expect("a status column");
        if status.contains("2xx") {
            statuses.insert("2XX".to_owned());
        }
        let digits: Vec<char> = status.chars().collect();
        for w in digits.windows(3) {
            if w.iter().all(char::is_ascii_digit) {
                statuses.insert(w.iter().collect());
            }
        }
    }
    statuses
}

#[test]
fn openapi_responses_are_the_readme_processing_table() {
    let statuses = readme_statuses();
    assert!(statuses.len() > 5, "{statuses:?}");
    for provider in schema_set().provider_names() {
        let document = json_file(&format!("openapi/{provider}.json"));
        let responses: BTreeSet<String> = document["components"]["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .cloned()
            .collect();
        assert_eq!(responses, statuses, "{provider}");
        for (event, webhook) in document["webhooks"].as_object().expect("webhooks") {
            let operation = webhook.as_object().and_then(|o| o.values().next());
            let used: BTreeSet<String> = operation
                .and_then(|o| o["responses"].as_object())
                .expect("responses")
                .keys()
                .cloned()
                .collect();
            assert_eq!(used, statuses, "{provider} {event}");
        }
    }
}

#[test]
fn draft07_twins_are_self_contained_and_judge_like_the_schema_set() {
    let set = schema_set();
    let mut checked = 0;
    for doc in proptech_publish::published_schemas(set) {
        let twin = json_file(&format!("draft-07/{}", doc.path));
        assert_eq!(twin["$schema"], proptech_publish::draft07::DIALECT);
        assert_eq!(
            twin["$id"],
            format!("{}draft-07/{}", proptech_catalog::ID_BASE, doc.path)
        );
        let text = twin.to_string();
        assert!(
            !text.contains("$defs") && !text.contains("\"$ref\":\"../"),
            "{} is not plain draft-07 standing alone",
            doc.path
        );
        // Compiled alone, as a partner's generator reads it.
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&twin)
            .unwrap_or_else(|e| panic!("{} does not compile alone: {e}", doc.path));
        for (what, instance) in instances(&doc.path) {
            let expected: BTreeSet<String> = violations(&doc.path, &instance)
                .into_iter()
                .map(|v| v.instance_path)
                .collect();
            let actual: BTreeSet<String> = validator
                .iter_errors(&instance)
                .map(|e| e.instance_path().to_string())
                .collect();
            assert_eq!(expected, actual, "{}: {what}", doc.path);
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} instances were checked");
}

/// Every title of `schema` with the subschema it names (without its title), by walking every
/// keyword that holds subschemas.
fn titles<'a>(schema: &'a Value, out: &mut Vec<(&'a str, Value)>) {
    match schema {
        Value::Object(map) => {
            if let Some(title) = map.get("title").and_then(Value::as_str) {
                let mut named = schema.clone();
                if let Some(m) = named.as_object_mut() {
                    m.remove("title");
                    m.remove("description");
                }
                out.push((title, named));
            }
            for (key, child) in map {
                match key.as_str() {
                    "properties" | "patternProperties" | "definitions" => {
                        for sub in child.as_object().into_iter().flat_map(|m| m.values()) {
                            titles(sub, out);
                        }
                    }
                    "examples" | "const" | "enum" | "default" | "required" => {}
                    _ => titles(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| titles(i, out)),
        _ => {}
    }
}

#[test]
fn generator_names_are_stable_and_never_name_two_different_types_of_a_provider() {
    let twin = json_file("draft-07/repull/events/listing.updated.json");
    assert_eq!(twin["properties"]["data"]["title"], "ListingUpdatedData");
    assert_eq!(twin["definitions"]["defs.change"]["title"], "Change");
    for provider in proptech_conformance::seeds::providers() {
        let provider = provider.as_str();
        let mut named: BTreeMap<&str, Value> = BTreeMap::new();
        let twins: Vec<Value> = bundle()
            .keys()
            .filter(|p| p.starts_with(&format!("draft-07/{provider}/events/")))
            .map(|p| json_file(p))
            .collect();
        for twin in &twins {
            let mut found = Vec::new();
            titles(twin, &mut found);
            for (title, schema) in found {
                if let Some(other) = named.get(title) {
                    assert_eq!(
                        other, &schema,
                        "{provider}: the title {title} names two different schemas"
                    );
                } else {
                    named.insert(title, schema);
                }
            }
        }
        assert!(named.len() > 30, "{provider}: only {} names", named.len());
    }
}

#[test]
fn asyncapi_documents_carry_the_delivery_contract() {
    let valara = json_file("asyncapi/valara.json");
    let headers = &valara["components"]["messageTraits"]["delivery"]["headers"];
    assert_eq!(
        headers["required"],
        json!([
            "X-Webhook-Signature",
            "X-Webhook-Timestamp",
            "X-Webhook-Event-Id"
        ])
    );
    // The test vector rides along as an example of the event it was printed for.
    let examples = valara["components"]["messages"]["listing.updated"]["examples"]
        .as_array()
        .expect("examples");
    let vector = examples
        .iter()
        .find(|e| e["name"] == "signature-test-vector")
        .expect("the test vector example");
    assert_eq!(
        vector["headers"]["X-Webhook-Signature"],
        "sha256=4f35d1f6e790fd669a03753a27e8e3bb0a1cb152254e76c307721a12d080dd48"
    );
    assert_eq!(vector["headers"]["X-Webhook-Timestamp"], "1745339401");
    assert_eq!(
        valara["components"]["messages"]["listing.updated"]["x-api-version"],
        "2026-04-17"
    );
    let everreal = json_file("asyncapi/everreal.json");
    assert!(
        everreal["components"].get("messageTraits").is_none(),
        "EverReal documents no headers, so its messages carry none"
    );
    for provider in proptech_conformance::seeds::providers() {
        let provider = provider.as_str();
        let document = json_file(&format!("asyncapi/{provider}.json"));
        let messages = document["components"]["messages"]
            .as_object()
            .expect("messages");
        let channel = document["channels"]["deliveries"]["messages"]
            .as_object()
            .expect("channel messages");
        let operation = document["operations"]["receiveDelivery"]["messages"]
            .as_array()
            .expect("operation messages");
        assert_eq!(messages.len(), set_count(provider), "{provider}");
        assert_eq!(channel.len(), messages.len(), "{provider}");
        assert_eq!(operation.len(), messages.len(), "{provider}");
    }
}

fn set_count(provider: &str) -> usize {
    schema_set()
        .events()
        .filter(|e| e.provider == provider)
        .count()
}

#[test]
fn catalogs_list_every_event_with_its_schema_page_and_sample() {
    let set = schema_set();
    let catalogs = set.catalogs().expect("catalog.toml");
    for (provider, catalog) in &catalogs {
        let published = json_file(&format!("catalog/{provider}.json"));
        assert_eq!(published["bundle_version"], VERSION);
        let entries = published["events"].as_array().expect("events");
        let listed: Vec<&str> = entries
            .iter()
            .filter_map(|e| e["event_type"].as_str())
            .collect();
        let documented: Vec<&str> = catalog.events().map(|(_, t)| t).collect();
        assert_eq!(
            listed, documented,
            "{provider}: the catalog's events, in its order"
        );
        for entry in entries {
            let event_type = entry["event_type"].as_str().expect("event_type");
            let schema = set.event(provider, event_type).expect("schema");
            assert_eq!(entry["category"], schema.doc.value["x-category"]);
            assert_eq!(entry["description"], schema.doc.value["description"]);
            assert_eq!(
                entry["documentation_status"],
                schema.doc.value["x-documentation-status"]
            );
            assert_eq!(entry["schema"], schema.doc.value["$id"]);
            for key in ["schema_path", "page"] {
                let path = entry[key].as_str().expect("a path");
                assert!(bundle().contains_key(path), "{event_type}: {key} {path}");
            }
            let sample = schema.doc.value.get("examples").and_then(|e| e.get(0));
            assert_eq!(entry["sample"], sample.cloned().unwrap_or(Value::Null));
        }
    }
}

#[test]
fn every_event_has_a_markdown_and_an_html_page_showing_its_fields() {
    let events = proptech_publish::Events::load(schema_set()).expect("events load");
    assert_eq!(events.all().len(), 90);
    for event in events.all() {
        let stem = format!("reference/{}/{}", event.provider, event.event_type);
        let md = &bundle()[&format!("{stem}.md")].contents;
        let html = &bundle()[&format!("{stem}.html")].contents;
        for field in event.envelope_fields.iter().chain(&event.data_fields) {
            let cell = format!("| `{}` |", field.path);
            assert!(
                md.contains(&cell),
                "{stem}.md has no row for {}",
                field.path
            );
            let code = format!("<code>{}</code>", field.path);
            assert!(
                html.contains(&code),
                "{stem}.html has no row for {}",
                field.path
            );
        }
        for section in [
            "## Envelope",
            "## Data schema",
            "## Sample payload",
            "## Retry behaviour",
            "## Verification",
            "## Validating",
        ] {
            assert!(md.contains(section), "{stem}.md has no {section}");
        }
        assert!(
            md.contains("format assertion on"),
            "{stem}.md does not say that the results need format assertion"
        );
        for (id, _) in &event.assumptions {
            let line = format!("- Erratum `{id}`:");
            assert!(
                md.contains(&line),
                "{stem}.md does not show assumption {id}"
            );
            assert!(
                html.contains(id.as_str()),
                "{stem}.html does not show assumption {id}"
            );
        }
        assert!(!html.contains(".md\""), "{stem}.html links a Markdown page");
    }
}

/// The assumptions the errata record reach the pages of the events they affect.
#[test]
fn reference_pages_show_the_assumptions_of_their_event() {
    let events = proptech_publish::Events::load(schema_set()).expect("events load");
    let page = |provider: &str, event_type: &str| {
        let event = events
            .all()
            .iter()
            .find(|e| e.provider == provider && e.event_type == event_type)
            .expect("event exists");
        let ids: Vec<&str> = event
            .assumptions
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        (
            ids,
            &bundle()[&format!("reference/{provider}/{event_type}.md")].contents,
        )
    };
    for event_type in ["LISTING_CREATED", "CANDIDATE_PARSED", "UNIT_DELETED"] {
        let (ids, md) = page("everreal", event_type);
        assert!(
            ids.contains(&"everreal-operation-is-event-type"),
            "{event_type}: {ids:?}"
        );
        assert!(
            md.contains("`operation` is read as the event type"),
            "{event_type}"
        );
    }
    let (ids, _) = page("everreal", "LISTING_CONTRACT_FLOW_SIGNED");
    assert!(ids.contains(&"everreal-undefined-types"), "{ids:?}");
    let (ids, md) = page("repull", "listing.created");
    assert!(ids.contains(&"repull-bathrooms-integer"), "{ids:?}");
    assert!(md.contains("a half bathroom (1.5) would fail validation"));
    let (ids, _) = page("repull", "listing.updated");
    assert!(!ids.contains(&"repull-bathrooms-integer"), "{ids:?}");
    let (ids, md) = page("lavanda", "v1.booking.created");
    assert!(ids.is_empty(), "{ids:?}");
    assert!(!md.contains("## Assumptions"));
    assert!(
        bundle()["reference/index.md"]
            .contents
            .contains("format assertion on")
    );
}

#[test]
fn reference_pages() {
    insta::assert_snapshot!(
        "valara_listing_updated",
        bundle()["reference/valara/listing.updated.md"].contents
    );
    insta::assert_snapshot!(
        "lavanda_booking_created",
        bundle()["reference/lavanda/v1.booking.created.md"].contents
    );
    insta::assert_snapshot!(
        "repull_reservation_created",
        bundle()["reference/repull/reservation.created.md"].contents
    );
    insta::assert_snapshot!(
        "everreal_index",
        bundle()["reference/everreal/index.md"].contents
    );
}

/// What a partner sees of personal data: every member an event's schema marks is in the bundled
/// schema, its draft-07 twin and its AsyncAPI payload (the same number of marks), in the
/// catalog's `personal_data` of the event, and in its reference page's "Personal data" table.
#[test]
fn partners_see_every_personal_data_mark() {
    let marks = |v: &Value| v.to_string().matches("\"x-personal-data\"").count();
    let mut listed = 0;
    for provider in ["valara", "repull", "lavanda", "everreal"] {
        let catalog = json_file(&format!("catalog/{provider}.json"));
        let asyncapi = json_file(&format!("asyncapi/{provider}.json"));
        for entry in catalog["events"].as_array().expect("events") {
            let event_type = entry["event_type"].as_str().expect("a type");
            let schema_path = entry["schema_path"].as_str().expect("a path");
            let bundled = json_file(schema_path);
            let twin = json_file(&schema_path.replacen("schemas/", "draft-07/", 1));
            assert_eq!(
                marks(&twin),
                marks(&bundled),
                "{schema_path}: draft-07 twin"
            );
            let inlined = proptech_catalog::dereference(&bundled).expect("inlines");
            let paths = proptech_catalog::redaction::personal_paths(&inlined);
            let in_catalog: Vec<(String, String)> = entry["personal_data"]
                .as_array()
                .expect("personal_data in every entry")
                .iter()
                .map(|m| {
                    (
                        m["path"].as_str().expect("path").to_owned(),
                        m["category"].as_str().expect("category").to_owned(),
                    )
                })
                .collect();
            let expected: Vec<(String, String)> = paths
                .iter()
                .map(|p| (p.dotted(), p.category.clone()))
                .collect();
            assert_eq!(in_catalog, expected, "{provider} {event_type}: catalog");
            let page = &bundle()[&format!("reference/{provider}/{event_type}.md")].contents;
            let section = page
                .split("## Personal data")
                .nth(1)
                .expect("a Personal data section");
            for (path, category) in &expected {
                assert!(
                    section.contains(&format!("| `{path}` | {category} |")),
                    "{provider} {event_type}: {path} not on its page"
                );
            }
            listed += expected.len();
        }
        // Each payload of the AsyncAPI document carries the marks of its event's schema.
        let text = asyncapi.to_string();
        let bundled_marks: usize = catalog["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| marks(&json_file(e["schema_path"].as_str().expect("path"))))
            .sum();
        // (Shared definitions are written once there, so the count may be lower, never zero.)
        assert_eq!(
            text.matches("\"x-personal-data\"").count() > 0,
            bundled_marks > 0,
            "{provider}: the AsyncAPI document's marks ({bundled_marks} in the schemas)"
        );
    }
    assert!(listed >= 40, "only {listed} personal members listed");
}
