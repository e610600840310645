//! The fixtures of each provider (`schemas/<provider>/fixtures/`) and their sources
//! (`SOURCES.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sources {
    fixture: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    schema: String,
    document: String,
    section: String,
    copy: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    vector: Option<SignatureVector>,
}

/// A sample payload printed in the docs, copied exactly.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Its provider.
    pub provider: String,
    /// Its file name in `schemas/<provider>/fixtures/`.
    pub file: String,
    /// The full path of the file.
    pub path: PathBuf,
    /// The schema it is an instance of, relative to `schemas/`.
    pub schema: String,
    /// The page it was printed on.
    pub document: String,
    /// The section of that page.
    pub section: String,
    /// The stored copy of the document it was taken from.
    pub copy: String,
    /// How the bytes relate to the printed text, where that needs saying.
    pub note: Option<String>,
    /// The signature the docs print for this exact body, if any.
    pub vector: Option<SignatureVector>,
}

impl Fixture {
    /// `<provider>/<file>`, the name errata use.
    pub fn key(&self) -> String {
        format!("{}/{}", self.provider, self.file)
    }
}

/// A documented signature test vector for a fixture's exact bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureVector {
    /// The documented test secret.
    pub secret: String,
    /// The delivery timestamp (Unix seconds).
    pub timestamp: i64,
    /// The event id header value.
    pub event_id: String,
    /// The signature header value.
    pub signature: String,
}

/// Loads `schemas/<provider>/fixtures/SOURCES.toml`.
pub(crate) fn load(root: &Path, provider: &str) -> Result<Vec<Fixture>, Error> {
    let dir = root.join(provider).join("fixtures");
    let sources: Sources = crate::read_toml(&dir.join("SOURCES.toml"))?;
    Ok(sources
        .fixture
        .into_iter()
        .map(|e| Fixture {
            provider: provider.to_owned(),
            path: dir.join(&e.file),
            schema: format!("{provider}/{}", e.schema),
            file: e.file,
            document: e.document,
            section: e.section,
            copy: e.copy,
            note: e.note,
            vector: e.vector,
        })
        .collect())
}
