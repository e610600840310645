//! The sample corpus every partner code generator is checked with: per event, each documented
//! sample kept as a fixture (as `errata.toml` corrects it), each `examples` entry of its schema,
//! and, for an event the docs print no sample for, the hand-made valid instance of the conformance
//! suite. A printed sample that breaks its schema in a way no erratum can correct is kept too, as
//! a sample that types must reject.
//!
//! `cargo xtask samples` writes it as one JSON file per provider, so that the TypeScript and Python
//! checks read exactly the corpus the Rust checks use.

use std::path::Path;

use proptech_catalog::SchemaSet;
use serde_json::{Value, json};

use crate::Error;

/// One sample payload of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The provider.
    pub provider: String,
    /// The event type.
    pub event_type: String,
    /// Where it comes from: `fixture <provider>/<file>`, `examples[i]` or `valid instance`.
    pub what: String,
    /// The payload.
    pub value: Value,
    /// Whether the payload is valid: false only for a printed sample that its errata say breaks
    /// the schema and that no fix corrects.
    pub valid: bool,
}

/// Every sample of every event of `set`, in catalog order. `valid_dir` holds the hand-made valid
/// instances (`<provider>/<event schema file name>`), needed for events without an example.
pub fn samples(set: &SchemaSet, valid_dir: &Path) -> Result<Vec<Sample>, Error> {
    let catalogs = set.catalogs()?;
    let fixtures = set.fixtures()?;
    let errata = set.errata()?;
    let mut out = Vec::new();
    for provider in set.provider_names() {
        let Some(catalog) = catalogs.get(provider) else {
            continue;
        };
        for (_, event_type) in catalog.events() {
            let schema = set
                .event(provider, event_type)
                .ok_or_else(|| Error::Schema {
                    path: format!("{provider}/events/{event_type}.json"),
                    message: "the catalog names this event but it has no schema".to_owned(),
                })?;
            let path = &schema.doc.path;
            let sample = |what: String, value: Value, valid: bool| Sample {
                provider: provider.to_owned(),
                event_type: event_type.to_owned(),
                what,
                value,
                valid,
            };
            for fixture in fixtures.iter().filter(|f| &f.schema == path) {
                let key = fixture.key();
                let printed = proptech_catalog::read_json(&fixture.path)?;
                let corrected =
                    errata
                        .corrected(&key, Some(event_type), &printed)
                        .map_err(|message| Error::Schema {
                            path: format!("errata.toml ({key})"),
                            message,
                        })?;
                out.push(match corrected {
                    Some(fixed) => sample(
                        format!("fixture {key}, as its errata correct it"),
                        fixed,
                        true,
                    ),
                    None => {
                        let valid = errata.expected_errors(&key).is_empty();
                        sample(format!("fixture {key}"), printed, valid)
                    }
                });
            }
            let examples = schema
                .doc
                .value
                .get("examples")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if examples.is_empty() {
                let file = path.rsplit('/').next().unwrap_or(path);
                let value = proptech_catalog::read_json(&valid_dir.join(provider).join(file))?;
                out.push(sample("valid instance".to_owned(), value, true));
            }
            for (i, example) in examples.into_iter().enumerate() {
                out.push(sample(format!("examples[{i}]"), example, true));
            }
        }
    }
    Ok(out)
}

/// The corpus of one provider as `cargo xtask samples` writes it: a list of
/// `{"event_type", "what", "valid", "payload"}`.
pub fn to_json(samples: &[Sample], provider: &str) -> Value {
    Value::Array(
        samples
            .iter()
            .filter(|s| s.provider == provider)
            .map(|s| {
                json!({
                    "event_type": s.event_type,
                    "what": s.what,
                    "valid": s.valid,
                    "payload": s.value,
                })
            })
            .collect(),
    )
}

/// Where `cargo xtask gen` writes [`cli_table`], from the workspace root.
pub const CLI_TABLE_PATH: &str = "crates/proptech-events-cli/src/generated/samples.rs";

/// The Rust source of the command-line tool's sample table: for each event, in catalog order, its
/// first valid sample as `(provider, event type, where it comes from, pretty JSON)`. The tool
/// embeds it, so it needs no copy of `schemas/` at run time.
pub fn cli_table(samples: &[Sample]) -> String {
    let mut out = String::from(
        "// @generated by `cargo xtask gen`; do not edit by hand.\n\
         //! The first valid sample of every event, in catalog order: `(provider, event type, \
         where it comes from, payload as pretty JSON)`.\n\n\
         /// Every event's sample.\n\
         pub const SAMPLES: &[(&str, &str, &str, &str)] = &[\n",
    );
    let mut seen = std::collections::BTreeSet::new();
    for sample in samples.iter().filter(|s| s.valid) {
        if !seen.insert((sample.provider.as_str(), sample.event_type.as_str())) {
            continue;
        }
        let json = serde_json::to_string_pretty(&sample.value).unwrap_or_default();
        out.push_str(&format!(
            "    ({:?}, {:?}, {:?}, {:?}),\n",
            sample.provider, sample.event_type, sample.what, json
        ));
    }
    out.push_str("];\n");
    out
}
