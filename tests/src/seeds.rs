//! Every event instance the project ships, valid and invalid, with its provider and schema: the
//! seeds the differential test mutates and the fuzz targets start from.

use serde_json::Value;

use crate::{NegativeCorpus, schema_set, tests_dir};

/// An event instance: where it comes from, its provider and its event schema.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Where it comes from (a fixture key, a schema's example, a file of `tests/`).
    pub origin: String,
    /// Its provider (`valara`, `repull`, `lavanda`, `everreal`).
    pub provider: String,
    /// Its event schema, relative to `schemas/`.
    pub schema: String,
    /// The instance.
    pub value: Value,
}

/// Every valid event instance the project ships: the documented samples after errata (a sample
/// its errata call uncorrectable is not valid, so not a seed), each event schema's `examples`, and
/// the hand-made instances of `tests/valid/`.
pub fn valid_seeds() -> Vec<Seed> {
    let set = schema_set();
    let errata = set.errata().expect("errata load");
    let mut out = Vec::new();
    let fixtures = set.fixtures().expect("fixtures load");
    for fixture in &fixtures {
        let Some(event) = set.get(&fixture.schema).and_then(|d| d.event()) else {
            continue; // a request or resource body, not an event
        };
        let key = fixture.key();
        let sample = proptech_catalog::read_json(&fixture.path).expect("fixture is JSON");
        let corrected = errata
            .corrected(&key, Some(event.event_type), &sample)
            .expect("errata fixes apply");
        if corrected.is_none() && !errata.expected_errors(&key).is_empty() {
            continue;
        }
        out.push(Seed {
            origin: format!("fixture {key}"),
            provider: fixture.provider.clone(),
            schema: fixture.schema.clone(),
            value: corrected.unwrap_or(sample),
        });
    }
    for event in set.events() {
        let path = &event.doc.path;
        for (i, example) in event
            .doc
            .value
            .get("examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push(Seed {
                origin: format!("{path} examples[{i}]"),
                provider: event.provider.to_owned(),
                schema: path.clone(),
                value: example.clone(),
            });
        }
        let file = path.rsplit('/').next().unwrap_or(path);
        let hand_made = tests_dir().join("valid").join(event.provider).join(file);
        if hand_made.exists() {
            out.push(Seed {
                origin: format!("tests/valid/{}/{file}", event.provider),
                provider: event.provider.to_owned(),
                schema: path.clone(),
                value: proptech_catalog::read_json(&hand_made).expect("hand-made instance"),
            });
        }
    }
    out
}

/// The providers, in the order the fuzz targets number them (`Provider::ALL`'s order): their
/// descriptors' `listed`.
pub fn providers() -> Vec<String> {
    crate::schema_set()
        .provider_names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// Every case of the negative corpus (`tests/negative/<provider>.toml`) as the invalid instance it
/// describes.
pub fn negative_seeds() -> Vec<Seed> {
    let mut out = Vec::new();
    for provider in providers() {
        let provider = provider.as_str();
        for (i, case) in NegativeCorpus::of(provider).case.iter().enumerate() {
            let value = case
                .payload(provider)
                .unwrap_or_else(|e| panic!("tests/negative/{provider}.toml case {i}: {e}"));
            out.push(Seed {
                origin: format!("tests/negative/{provider}.toml case {i} ({})", case.what),
                provider: provider.to_owned(),
                schema: format!("{provider}/{}", case.schema),
                value,
            });
        }
    }
    out
}
