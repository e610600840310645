//! Reads the schema set under `schemas/`: the schemas, the providers' catalogs, the sample fixtures
//! and the errata, and compiles validators that resolve every `$ref` inside the set.
//!
//! This crate is the one place that knows the layout of `schemas/` (see `schemas/README.md`); the
//! xtask generators, the partner bundle and the conformance suite are thin callers of it, and
//! [`bundle`] is the one place that resolves `$ref`s across files.

#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "never published (`publish = false`): every user is in this workspace and changes with it"
)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

pub mod bundle;
mod descriptor;
mod errata;
mod evidence;
mod fixtures;
pub mod names;
pub mod personal;
pub mod redaction;

pub use descriptor::{
    CloudEvents, Delivery, Descriptor, Envelope, Header, Hmac, Horizon, Nonce, Origin, Part, Quote,
    Replay, Signature, StandardWebhooks, Unsigned, content_parts,
};
pub use errata::{Errata, Erratum, ExpectedError, Fix, path_matches};
pub use evidence::{
    Audit, CONSTRAINT_KEYWORDS, Constraint, Evidence, EvidenceIndex, EvidenceTable,
    OBSERVED_KEYWORD, constraints, quoted_in,
};
pub use fixtures::{Fixture, SignatureVector};
pub use personal::{
    Category, Mark, NotPersonal, PERSONAL_DATA_KEYWORD, PersonalAudit, Survey, Suspect, survey,
};

/// The prefix of every schema's `$id`; the rest is the file's path under `schemas/`.
pub const ID_BASE: &str = "https://schemas.proptech-events.dev/";

/// The values `x-documentation-status` may take.
pub const DOCUMENTATION_STATUSES: [&str; 3] = ["complete", "partial", "undocumented"];

/// Anything that stops the schema set from loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("{path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// A TOML file does not have the expected shape.
    #[error("{path} is not valid: {source}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: toml::de::Error,
    },
    /// A schema failed to compile (for example a `$ref` that does not resolve).
    #[error("schema {id} does not compile: {message}")]
    Compile {
        /// The schema's `$id`.
        id: String,
        /// What the validator reported.
        message: String,
    },
    /// A schema or file the caller asked for is not in the set.
    #[error("no schema {0} in the schema set")]
    Missing(String),
    /// The evidence table is malformed (a bad glob, an unknown keyword, an empty quote, a
    /// not-personal decision without a reason).
    #[error("evidence.toml: {0}")]
    Evidence(String),
    /// A schema's `x-personal-data` mark is malformed: its value names no category, or it does not
    /// stand in a property's own subschema.
    #[error("{schema}#{pointer}: {reason}")]
    PersonalData {
        /// The schema's path under `schemas/`.
        schema: String,
        /// JSON pointer of the mark.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
    /// A schema cannot be bundled (a `$ref` that does not resolve, a schema that is not an
    /// object).
    #[error("{0}")]
    Bundle(String),
    /// A provider's descriptor (`<provider>/provider.toml`) says something it cannot.
    #[error("{provider}/provider.toml: {reason}")]
    Descriptor {
        /// The provider (its folder).
        provider: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why [`merge_local_ref`] or [`dereference`] could not follow a schema's `$ref`s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefError {
    /// A `$ref` names no schema inside the document.
    #[error("$ref {reference} does not resolve")]
    Unresolved {
        /// The reference, as written.
        reference: String,
    },
    /// A chain of references does not end (a cycle of `$ref`s pointing at `$ref`s).
    #[error("$ref {reference}: more than {MAX_REF_CHAIN} references in a chain")]
    EndlessChain {
        /// The reference at which the chain was given up.
        reference: String,
    },
    /// Inlining went deeper than any finite schema of the set: a recursive `$ref`.
    #[error("more than {MAX_INLINE_DEPTH} levels of nested schemas: a recursive $ref?")]
    Recursive,
}

/// One schema file of the set.
#[derive(Debug, Clone)]
pub struct SchemaDoc {
    /// Its path under `schemas/`, with `/` separators, e.g. `repull/events/listing.created.json`.
    pub path: String,
    /// The parsed schema.
    pub value: Value,
}

impl SchemaDoc {
    /// The `$id` this file must carry: [`ID_BASE`] followed by its path.
    pub fn expected_id(&self) -> String {
        format!("{ID_BASE}{}", self.path)
    }

    /// The provider directory the file lives in.
    pub fn provider(&self) -> &str {
        self.path.split('/').next().unwrap_or_default()
    }

    /// A string annotation or keyword at the schema's top level.
    pub fn str(&self, keyword: &str) -> Option<&str> {
        self.value.get(keyword).and_then(Value::as_str)
    }

    /// The event this schema describes, if it is an event schema.
    pub fn event(&self) -> Option<EventSchema<'_>> {
        let rest = self.path.split_once("/events/")?.1;
        let file_type = rest.strip_suffix(".json")?;
        Some(EventSchema {
            doc: self,
            provider: self.provider(),
            event_type: self.str("x-event-type").unwrap_or(file_type),
        })
    }
}

/// An event schema, with the annotations the generators rely on.
#[derive(Debug, Clone, Copy)]
pub struct EventSchema<'a> {
    /// The schema file.
    pub doc: &'a SchemaDoc,
    /// Its provider.
    pub provider: &'a str,
    /// The event type exactly as the provider sends it.
    pub event_type: &'a str,
}

impl<'a> EventSchema<'a> {
    /// The catalog category (`x-category`).
    pub fn category(&self) -> Option<&'a str> {
        self.doc.str("x-category")
    }

    /// How completely the docs describe the payload (`x-documentation-status`).
    pub fn documentation_status(&self) -> Option<&'a str> {
        self.doc.str("x-documentation-status")
    }
}

/// The providers' catalogs as their docs name them (`schemas/catalog.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderCatalog {
    /// The catalog page.
    pub document: String,
    /// Event types by category, in the docs' order.
    pub categories: BTreeMap<String, Vec<String>>,
}

impl ProviderCatalog {
    /// Every `(category, event type)` of the catalog.
    pub fn events(&self) -> impl Iterator<Item = (&str, &str)> {
        self.categories
            .iter()
            .flat_map(|(c, names)| names.iter().map(move |n| (c.as_str(), n.as_str())))
    }
}

/// The whole schema set, loaded from a `schemas/` directory.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    root: PathBuf,
    docs: BTreeMap<String, SchemaDoc>,
    providers: Vec<Descriptor>,
}

impl SchemaSet {
    /// The `schemas/` directory of this workspace.
    pub fn workspace_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
    }

    /// Loads the schema set of this workspace.
    pub fn load_workspace() -> Result<Self, Error> {
        Self::load(Self::workspace_root())
    }

    /// Loads every `*.json` schema under `root` except the fixtures.
    pub fn load(root: impl Into<PathBuf>) -> Result<Self, Error> {
        let root = root.into();
        let mut docs = BTreeMap::new();
        for path in walk(&root)? {
            let rel = relative(&root, &path);
            if !rel.ends_with(".json") || rel.contains("/fixtures/") {
                continue;
            }
            let value = read_json(&path)?;
            docs.insert(rel.clone(), SchemaDoc { path: rel, value });
        }
        let mut providers = Vec::new();
        for entry in std::fs::read_dir(&root).map_err(|source| Error::Io {
            path: root.clone(),
            source,
        })? {
            let dir = entry
                .map_err(|source| Error::Io {
                    path: root.clone(),
                    source,
                })?
                .path();
            if dir.join("provider.toml").is_file() {
                let descriptor = Descriptor::load(&dir)?;
                let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if descriptor.name != folder {
                    return Err(Error::Descriptor {
                        provider: folder.to_owned(),
                        reason: format!("name {:?} is not its folder's name", descriptor.name),
                    });
                }
                providers.push(descriptor);
            }
        }
        providers.sort_by(|a, b| a.listed.cmp(&b.listed).then(a.name.cmp(&b.name)));
        if let Some(pair) = providers.windows(2).find(|w| w[0].listed == w[1].listed) {
            return Err(Error::Descriptor {
                provider: pair[1].name.clone(),
                reason: format!(
                    "listed = {} is also {}'s place",
                    pair[1].listed, pair[0].name
                ),
            });
        }
        Ok(Self {
            root,
            docs,
            providers,
        })
    }

    /// The providers, in the order the project lists them (their descriptors' `listed`).
    pub fn providers(&self) -> &[Descriptor] {
        &self.providers
    }

    /// The providers' names, in the order the project lists them.
    pub fn provider_names(&self) -> Vec<&str> {
        self.providers.iter().map(|p| p.name.as_str()).collect()
    }

    /// Gives each provider folder of this set that has no descriptor (a set written before
    /// providers had descriptors) the descriptor `from` has for it, so its Rust layer renders as
    /// it did.
    pub fn lend_descriptors(&mut self, from: &SchemaSet) {
        for d in from.providers() {
            let has_files = self
                .docs
                .keys()
                .any(|p| p.starts_with(&format!("{}/", d.name)));
            if has_files && self.descriptor(&d.name).is_none() {
                self.providers.push(d.clone());
            }
        }
        self.providers
            .sort_by(|a, b| a.listed.cmp(&b.listed).then(a.name.cmp(&b.name)));
    }

    /// The descriptor of `provider`.
    pub fn descriptor(&self, provider: &str) -> Option<&Descriptor> {
        self.providers.iter().find(|p| p.name == provider)
    }

    /// The directory the set was loaded from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The text of the set's change log, `CHANGELOG.md`; `None` where the set has none.
    pub fn changelog(&self) -> Result<Option<String>, Error> {
        let path = self.root.join("CHANGELOG.md");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Every schema file, in path order.
    pub fn docs(&self) -> impl Iterator<Item = &SchemaDoc> {
        self.docs.values()
    }

    /// The schema at `path` (relative to `schemas/`).
    pub fn get(&self, path: &str) -> Option<&SchemaDoc> {
        self.docs.get(path)
    }

    /// Follows `reference`, a `$ref` written in the file `origin`, to its target: the file it names
    /// (relative to `origin`, or `origin` itself), the decoded JSON pointer, and the subschema.
    /// Fails, naming the reference, when either does not exist.
    pub fn follow(&self, origin: &str, reference: &str) -> Result<Target<'_>, Error> {
        let (file, fragment) = bundle::resolve_ref(origin, reference);
        let missing = || Error::Bundle(format!("{origin}: $ref {reference} does not resolve"));
        let doc = self.get(&file).ok_or_else(missing)?;
        let (pointer, value) =
            local_ref(&doc.value, &format!("#{fragment}")).ok_or_else(missing)?;
        Ok(Target {
            file,
            pointer,
            value,
        })
    }

    /// The schema whose `$id` is `id`.
    pub fn by_id(&self, id: &str) -> Option<&SchemaDoc> {
        self.docs.get(id.strip_prefix(ID_BASE)?)
    }

    /// Every event schema, by provider then event type file name.
    pub fn events(&self) -> impl Iterator<Item = EventSchema<'_>> {
        self.docs.values().filter_map(SchemaDoc::event)
    }

    /// The event schema of `provider` for `event_type`.
    pub fn event(&self, provider: &str, event_type: &str) -> Option<EventSchema<'_>> {
        self.get(&format!("{provider}/events/{event_type}.json"))
            .and_then(SchemaDoc::event)
    }

    /// The providers' catalogs (`catalog.toml`).
    pub fn catalogs(&self) -> Result<BTreeMap<String, ProviderCatalog>, Error> {
        read_toml(&self.root.join("catalog.toml"))
    }

    /// The errata (`errata.toml`).
    pub fn errata(&self) -> Result<Errata, Error> {
        Errata::load(&self.root.join("errata.toml"))
    }

    /// The evidence table (`evidence.toml`).
    pub fn evidence(&self) -> Result<EvidenceTable, Error> {
        EvidenceTable::load(&self.root.join("evidence.toml"))
    }

    /// Every fixture of every provider, as listed in its `fixtures/SOURCES.toml`.
    pub fn fixtures(&self) -> Result<Vec<Fixture>, Error> {
        let mut all = Vec::new();
        for provider in self.provider_names() {
            all.extend(fixtures::load(&self.root, provider)?);
        }
        Ok(all)
    }

    /// A [`Validators`] cache over this set, with `format` assertions on.
    pub fn validators(&self) -> Validators {
        let store: HashMap<String, Value> = self
            .docs
            .values()
            .map(|d| (d.expected_id(), d.value.clone()))
            .collect();
        Validators {
            store: Arc::new(store),
            compiled: BTreeMap::new(),
        }
    }
}

/// Compiled validators, each compiled once, whose `$ref`s resolve inside the schema set.
pub struct Validators {
    store: Arc<HashMap<String, Value>>,
    compiled: BTreeMap<String, jsonschema::Validator>,
}

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validators")
            .field("compiled", &self.compiled.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Resolves `$ref`s against the schema set only: the set must be self-contained.
struct SetRetriever(Arc<HashMap<String, Value>>);

impl jsonschema::Retrieve for SetRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("{uri} is not in the schema set").into())
    }
}

impl Validators {
    /// The validator of the schema with `$id` `id`, compiled on first use.
    pub fn get(&mut self, id: &str) -> Result<&jsonschema::Validator, Error> {
        if !self.compiled.contains_key(id) {
            let schema = self
                .store
                .get(id)
                .ok_or_else(|| Error::Missing(id.to_owned()))?;
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .with_retriever(SetRetriever(Arc::clone(&self.store)))
                .build(schema)
                .map_err(|e| Error::Compile {
                    id: id.to_owned(),
                    message: e.to_string(),
                })?;
            self.compiled.insert(id.to_owned(), validator);
        }
        Ok(&self.compiled[id])
    }

    /// Every validation error of `instance` against the schema `id`, in a stable order.
    pub fn errors(&mut self, id: &str, instance: &Value) -> Result<Vec<Violation>, Error> {
        let validator = self.get(id)?;
        let mut errors: Vec<Violation> = validator
            .iter_errors(instance)
            .map(|e| Violation {
                instance_path: e.instance_path().to_string(),
                keyword: e.kind().keyword().to_owned(),
                message: e.to_string(),
            })
            .collect();
        errors.sort();
        Ok(errors)
    }
}

/// One way an instance violates a schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// JSON pointer to the offending value (`""` for the root).
    pub instance_path: String,
    /// The schema keyword that failed (`required`, `type`, `pattern`, …).
    pub keyword: String,
    /// The validator's message.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        };
        write!(f, "{path} [{}] {}", self.keyword, self.message)
    }
}

/// The target of a local `$ref` (`#`, `#/$defs/a~1b`, percent-encoded or not) inside `doc`, with
/// its decoded JSON pointer; `None` for a reference to another resource, an anchor, or a pointer
/// that does not resolve. The one place a `$ref` string is turned into a subschema of a document.
pub fn local_ref<'a>(doc: &'a Value, reference: &str) -> Option<(String, &'a Value)> {
    let pointer = percent_decode(reference.strip_prefix('#')?)?;
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return None;
    }
    let target = doc.pointer(&pointer)?;
    Some((pointer, target))
}

/// A URI fragment with its `%XX` escapes decoded; `None` when one is malformed or the bytes are not
/// UTF-8.
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

/// Where a `$ref` leads: see [`SchemaSet::follow`].
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The file, relative to `schemas/`.
    pub file: String,
    /// The JSON pointer inside it (decoded).
    pub pointer: String,
    /// The subschema.
    pub value: &'a Value,
}

/// How many `$ref`s [`merge_local_ref`] follows in a chain before it gives up (a cycle).
const MAX_REF_CHAIN: usize = 32;

/// `schema` with its local `$ref` (a `#/…` pointer into `doc`, as in a bundled schema) followed
/// and merged with its sibling keywords.
///
/// In 2020-12 a `$ref` beside other keywords means both apply. For the shapes the schema set uses
/// that is: the target's `properties` and the siblings' are merged, their `required` lists joined,
/// and a sibling wins on any other keyword. Fails, naming the reference, when a `$ref` does not
/// resolve inside `doc` or a chain of them does not end.
pub fn merge_local_ref(doc: &Value, schema: &Value) -> Result<Value, RefError> {
    merge_ref_chain(doc, schema, 0)
}

fn merge_ref_chain(doc: &Value, schema: &Value, depth: usize) -> Result<Value, RefError> {
    let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
        return Ok(schema.clone());
    };
    if depth >= MAX_REF_CHAIN {
        return Err(RefError::EndlessChain {
            reference: reference.to_owned(),
        });
    }
    let (_, target) = local_ref(doc, reference).ok_or_else(|| RefError::Unresolved {
        reference: reference.to_owned(),
    })?;
    let mut merged = merge_ref_chain(doc, target, depth + 1)?;
    let (Some(out), Some(siblings)) = (merged.as_object_mut(), schema.as_object()) else {
        return Ok(merged);
    };
    for (key, value) in siblings {
        match (key.as_str(), out.get_mut(key)) {
            ("$ref", _) => {}
            ("properties", Some(Value::Object(base))) => {
                for (name, prop) in value.as_object().into_iter().flatten() {
                    base.insert(name.clone(), prop.clone());
                }
            }
            ("required", Some(Value::Array(base))) => {
                for name in value.as_array().into_iter().flatten() {
                    if !base.contains(name) {
                        base.push(name.clone());
                    }
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(merged)
}

/// How deep [`dereference`] inlines before it calls the schema recursive.
const MAX_INLINE_DEPTH: usize = 64;

/// A bundled schema with every local `$ref` inlined (merged with its siblings as
/// [`merge_local_ref`] does) and `$defs` dropped: a tree a reader can walk without a resolver, as
/// the derive macro does at compile time. Fails on a `$ref` that does not resolve, and on a
/// recursive schema, which has no finite inlined form.
pub fn dereference(doc: &Value) -> Result<Value, RefError> {
    inline(doc, doc, 0)
}

fn inline(doc: &Value, schema: &Value, depth: usize) -> Result<Value, RefError> {
    if depth > MAX_INLINE_DEPTH {
        return Err(RefError::Recursive);
    }
    let Value::Object(map) = merge_local_ref(doc, schema)? else {
        return Ok(schema.clone());
    };
    let each = |values: &Map<String, Value>| -> Result<Value, RefError> {
        values
            .iter()
            .map(|(name, s)| Ok((name.clone(), inline(doc, s, depth + 1)?)))
            .collect::<Result<_, RefError>>()
            .map(Value::Object)
    };
    let mut out = Map::new();
    for (key, value) in map {
        let value = match (key.as_str(), &value) {
            ("$defs", _) => continue,
            ("properties" | "patternProperties" | "dependentSchemas", Value::Object(values)) => {
                each(values)?
            }
            ("allOf" | "anyOf" | "oneOf" | "prefixItems", Value::Array(items)) => items
                .iter()
                .map(|item| inline(doc, item, depth + 1))
                .collect::<Result<_, RefError>>()
                .map(Value::Array)?,
            (
                "items"
                | "additionalProperties"
                | "unevaluatedProperties"
                | "unevaluatedItems"
                | "contains"
                | "propertyNames"
                | "not"
                | "if"
                | "then"
                | "else",
                _,
            ) => inline(doc, &value, depth + 1)?,
            // Instance values (`const`, `enum`, `examples`) and plain keywords: kept as written.
            _ => value,
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// The member names a schema object's `required` lists (empty when it has none).
pub fn required_of(schema: &Value) -> std::collections::BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Every file below `dir`, sorted, so that everything built from the set is deterministic.
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| Error::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: d.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a file to a string.
pub(crate) fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a JSON file.
pub fn read_json(path: &Path) -> Result<Value, Error> {
    serde_json::from_str(&read(path)?).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a TOML file.
pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    toml::from_str(&read(path)?).map_err(|source| Error::Toml {
        path: path.to_path_buf(),
        source,
    })
}
