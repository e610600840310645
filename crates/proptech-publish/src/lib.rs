//! The partner bundle and the breaking-change gate.
//!
//! [`publish`] turns the schema set into the files of the `dist/` bundle that partners receive:
//!
//! - `schemas/…`: every event schema, envelope and request body, self-contained (every `$ref`
//!   bundled under `$defs`), at the same path as in `schemas/` so that its `$id` locates it, with a
//!   title on every node a code generator makes a type of ([`titles`]);
//! - `draft-07/…`: the draft-07 twin of each of those, for code generators ([`draft07`]);
//! - `vocabulary.json`: the annotation keywords (`x-…`) those schemas carry, for validators that
//!   refuse unknown keywords ([`vocabulary`]);
//! - `catalog/<provider>.json`: the provider's event catalog ([`catalog`]);
//! - `asyncapi/<provider>.json`: an AsyncAPI 3.0 description of the provider's deliveries
//!   ([`asyncapi`]);
//! - `openapi/<provider>.json`: an OpenAPI 3.1 document with a `webhooks` entry per event
//!   ([`openapi`]);
//! - `reference/…`: a reference page per event, as Markdown and as static HTML ([`reference`](mod@reference));
//! - `README.md`: what is where, and the commands that generate types from `draft-07/` in Rust
//!   (typify), TypeScript (json-schema-to-typescript) and Python (datamodel-code-generator);
//! - `source/…`: the schema set as written, which the Rust crate is generated from (`compat` reads
//!   it to generate a bundle's Rust API);
//! - `CHANGELOG.md`, and `bundle.json`: the manifest with the bundle's version and a SHA-256 of
//!   every other file.
//!
//! The output is deterministic: the same schema set and version give the same bytes.
//!
//! [`compat`] compares two versions of the schema set, judges every change on the wire (both
//! directions) and on the generated Rust API, and decides whether the version bump allows it.

#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "never published (`publish = false`): every user is in this workspace and changes with it"
)]

pub mod asyncapi;
pub mod catalog;
pub mod compat;
pub mod delivery;
pub mod draft07;
pub mod events;
pub mod openapi;
pub mod reference;
pub mod samples;
pub mod titles;
pub mod vocabulary;

use std::collections::BTreeMap;
use std::path::Path;

use proptech_catalog::SchemaSet;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use delivery::Delivery;
pub use events::{Event, Events};

/// What stops the bundle from being written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The schema set did not load.
    #[error(transparent)]
    Catalog(#[from] proptech_catalog::Error),
    /// A schema could not be bundled.
    #[error(transparent)]
    Bundle(proptech_catalog::Error),
    /// A provider's delivery contract (its descriptor) cannot be rendered.
    #[error("delivery contract: {0}")]
    Delivery(String),
    /// The schema set does not have the shape publishing relies on.
    #[error("{path}: {message}")]
    Schema {
        /// The schema file, relative to `schemas/`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The version is not `MAJOR.MINOR.PATCH`.
    #[error(transparent)]
    Version(#[from] compat::VersionError),
    /// A manifest (`Cargo.toml`, `bundle.json`) does not say which version it is.
    #[error("{0}")]
    Manifest(String),
}

/// A file of the bundle: its path under `dist/`, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path under `dist/`, with `/` separators.
    pub path: String,
    /// The full contents.
    pub contents: String,
}

impl OutputFile {
    fn json(path: impl Into<String>, value: &Value) -> Self {
        let mut contents = serde_json::to_string_pretty(value).unwrap_or_default();
        contents.push('\n');
        Self {
            path: path.into(),
            contents,
        }
    }
}

/// Where the bundle carries the schema set as written (one file per schema, `$ref`s between
/// files), which the generator reads: `cargo xtask compat --base <bundle>` generates the base's
/// Rust API from it.
pub const SOURCE_DIR: &str = "source";

/// The schema files of the set that the bundle carries: everything but the shared definition
/// files (`defs.json`), whose definitions are bundled into each schema that uses them.
pub fn published_schemas(set: &SchemaSet) -> impl Iterator<Item = &proptech_catalog::SchemaDoc> {
    set.docs().filter(|d| !d.path.ends_with("/defs.json"))
}

/// Every schema the bundle carries, self-contained and titled for code generators
/// ([`titles::add_titles`]), keyed by its path under `schemas/`.
pub fn bundled_schemas(set: &SchemaSet) -> Result<BTreeMap<String, Value>, Error> {
    published_schemas(set)
        .map(|doc| {
            let mut schema =
                proptech_catalog::bundle::bundle(set, &doc.path).map_err(Error::Bundle)?;
            titles::add_titles(&mut schema, &doc.path);
            Ok((doc.path.clone(), schema))
        })
        .collect()
}

/// The draft-07 twin of every bundled schema ([`draft07::twin`]), keyed by its path under
/// `schemas/` (the twin's own path is under `draft-07/`).
pub fn draft07_twins(bundled: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    bundled
        .iter()
        .map(|(path, schema)| {
            let id = format!("{}{}/{path}", proptech_catalog::ID_BASE, draft07::DIR);
            (path.clone(), draft07::twin(schema, &id))
        })
        .collect()
}

/// Adds the bundled definition `key` of the event schema at `path` to a document's shared
/// definitions (AsyncAPI's and OpenAPI's `components.schemas`): every event bundles its own copy,
/// and the copies must agree.
pub(crate) fn share_definition(
    shared: &mut BTreeMap<String, Value>,
    path: &str,
    key: &str,
    definition: Value,
) -> Result<(), Error> {
    match shared.get(key) {
        Some(existing) if *existing != definition => Err(Error::Schema {
            path: path.to_owned(),
            message: format!("bundled definition {key} differs from the one of another event"),
        }),
        Some(_) => Ok(()),
        None => {
            shared.insert(key.to_owned(), definition);
            Ok(())
        }
    }
}

/// The bundle's `README.md`: what is where, and how partners generate types in Rust, TypeScript
/// and Python.
const PARTNER_README: &str = include_str!("partner-readme.md");

/// Every file of the bundle for `version`, sorted by path, `bundle.json` last.
pub fn publish(set: &SchemaSet, version: &str) -> Result<Vec<OutputFile>, Error> {
    compat::check_version(version)?;
    let deliveries = delivery::load(set)?;
    let bundled = bundled_schemas(set)?;
    let events = Events::from_bundled(set, &bundled)?;

    let mut files: Vec<OutputFile> = Vec::new();
    for (path, schema) in &bundled {
        files.push(OutputFile::json(format!("schemas/{path}"), schema));
    }
    let twins = draft07_twins(&bundled);
    for (path, twin) in &twins {
        files.push(OutputFile::json(format!("{}/{path}", draft07::DIR), twin));
    }
    let schemas = bundled.iter().chain(&twins).map(|(p, s)| (p.as_str(), s));
    files.push(OutputFile::json(
        vocabulary::PATH,
        &vocabulary::vocabulary(schemas)?,
    ));
    for provider in set.provider_names() {
        let delivery = deliveries.get(provider).ok_or_else(|| {
            Error::Delivery(format!("no [{provider}] table: every provider needs one"))
        })?;
        let provider_events = events.provider(provider);
        files.push(OutputFile::json(
            format!("catalog/{provider}.json"),
            &catalog::catalog(provider, version, &provider_events),
        ));
        files.push(OutputFile::json(
            format!("asyncapi/{provider}.json"),
            &asyncapi::document(
                provider,
                version,
                delivery,
                &provider_events,
                &bundled,
                &events.vectors(provider).collect::<Vec<_>>(),
            )?,
        ));
        files.push(OutputFile::json(
            format!("openapi/{provider}.json"),
            &openapi::document(
                provider,
                version,
                delivery,
                &provider_events,
                &bundled,
                &events.vectors(provider).collect::<Vec<_>>(),
            )?,
        ));
    }
    files.extend(reference::pages(
        version,
        &set.provider_names(),
        &deliveries,
        &events,
    )?);
    for doc in set.docs() {
        files.push(OutputFile::json(
            format!("{SOURCE_DIR}/{}", doc.path),
            &doc.value,
        ));
    }
    for provider in set.provider_names() {
        let path = set.root().join(provider).join("provider.toml");
        let contents = std::fs::read_to_string(&path)
            .map_err(|e| Error::Delivery(format!("{}: {e}", path.display())))?;
        files.push(OutputFile {
            path: format!("{SOURCE_DIR}/{provider}/provider.toml"),
            contents,
        });
    }
    files.push(OutputFile {
        path: "README.md".to_owned(),
        contents: PARTNER_README.replace("{version}", version),
    });
    if let Some(text) = set.changelog()? {
        files.push(OutputFile {
            path: "CHANGELOG.md".to_owned(),
            contents: text,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = manifest(version, &set.provider_names(), &events, &files);
    files.push(OutputFile::json("bundle.json", &manifest));
    Ok(files)
}

/// The version in a workspace manifest's `[workspace.package]` table: the version of the crates
/// and of the schema bundle alike.
pub fn workspace_version(cargo_toml: &str) -> Result<String, Error> {
    let manifest: toml::Table =
        toml::from_str(cargo_toml).map_err(|e| Error::Manifest(e.to_string()))?;
    manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Error::Manifest("no [workspace.package] version".to_owned()))
}

/// The schema set at `version`, as [`compat`] compares it.
pub fn snapshot_of_set(set: &SchemaSet, version: &str) -> Result<compat::Snapshot, Error> {
    Ok(compat::Snapshot::new(version, bundled_schemas(set)?)
        .with_rust(compat::RustApi::of_set(set)))
}

/// A published bundle (a directory written by [`publish`]), as [`compat`] compares it.
pub fn snapshot_of_bundle(dir: &Path) -> Result<compat::Snapshot, Error> {
    let manifest = proptech_catalog::read_json(&dir.join("bundle.json"))?;
    let version = manifest
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::Manifest(format!("{}: no version", dir.join("bundle.json").display()))
        })?
        .to_owned();
    let schemas_dir = dir.join("schemas");
    let mut schemas = BTreeMap::new();
    for path in proptech_catalog::walk(&schemas_dir)? {
        let Ok(rel) = path.strip_prefix(&schemas_dir) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel.ends_with(".json") {
            schemas.insert(rel, proptech_catalog::read_json(&path)?);
        }
    }
    // The generator reads the schema set as it is written (its `$ref`s between files name its
    // types), not the self-contained copies: the bundle carries it under `source/`.
    let source = dir.join(SOURCE_DIR);
    let rust = if source.is_dir() {
        match SchemaSet::load(&source) {
            Ok(mut set) => {
                // A bundle from before descriptors is read with this version's.
                if let Ok(current) = SchemaSet::load_workspace() {
                    set.lend_descriptors(&current);
                }
                compat::RustApi::of_set(&set)
            }
            Err(e) => compat::RustApi::Unavailable(format!("{}: {e}", source.display())),
        }
    } else {
        compat::RustApi::Unavailable(format!(
            "the bundle {} has no {SOURCE_DIR}/ (the schema set the Rust API is generated from; \
             bundles carry it from 0.2.0 on): compare with a git ref instead",
            dir.display()
        ))
    };
    Ok(compat::Snapshot::new(version, schemas).with_rust(rust))
}

/// `changelog` with the entry of `report`'s version placed first, below the title, replacing an
/// earlier entry for the same version.
pub fn insert_changelog_entry(changelog: &str, report: &compat::Report) -> String {
    let entry = report.changelog_entry();
    let heading = format!("## {}", report.head_version);
    let (title, mut rest) = match changelog.find("\n## ") {
        Some(at) => (&changelog[..=at], &changelog[at + 1..]),
        None if changelog.trim().is_empty() => ("# Changelog\n\n", ""),
        None => (changelog, ""),
    };
    if rest.starts_with(&format!("{heading}\n")) {
        rest = rest[heading.len()..]
            .find("\n## ")
            .map_or("", |at| &rest[heading.len() + at + 1..]);
    }
    let mut out = title.to_owned();
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(entry.trim_end());
    out.push_str("\n\n");
    out.push_str(rest);
    out
}

/// `bundle.json`: the bundle's version, what it holds per provider, and the SHA-256 of every file.
fn manifest(version: &str, providers: &[&str], events: &Events, files: &[OutputFile]) -> Value {
    let providers: serde_json::Map<String, Value> = providers
        .iter()
        .map(|p| {
            let provider_events = events.provider(p);
            let mut entry = json!({
                "events": provider_events.len(),
                "catalog": format!("catalog/{p}.json"),
                "asyncapi": format!("asyncapi/{p}.json"),
                "openapi": format!("openapi/{p}.json"),
                "reference": format!("reference/{p}/index.html"),
            });
            let api_versions: std::collections::BTreeSet<&str> = provider_events
                .iter()
                .filter_map(|e| e.api_version.as_deref())
                .collect();
            if !api_versions.is_empty() {
                entry["api_versions"] = json!(api_versions);
            }
            ((*p).to_owned(), entry)
        })
        .collect();
    let checksums: serde_json::Map<String, Value> = files
        .iter()
        .map(|f| {
            let digest = Sha256::digest(f.contents.as_bytes());
            (f.path.clone(), Value::String(hex::encode(digest)))
        })
        .collect();
    json!({
        "name": "proptech-events schemas",
        "version": version,
        "schema_base": proptech_catalog::ID_BASE,
        "json_schema": "https://json-schema.org/draft/2020-12/schema",
        "draft_07": { "dir": draft07::DIR, "json_schema": draft07::DIALECT },
        "vocabulary": vocabulary::PATH,
        "providers": providers,
        "sha256": checksums,
    })
}
