//! Shared harness of the conformance suite: the schema set loaded once, the valid instance of each
//! schema, the negative corpus, the text rendering of validation outcomes for snapshots, and the
//! seeds and judge the differential test shares with the fuzz targets (`fuzz/`).

#![allow(
    clippy::exhaustive_structs,
    clippy::exhaustive_enums,
    reason = "never published (`publish = false`): every user is in this workspace and changes with it"
)]

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod judge;
pub mod mutate;
pub mod personal;
pub mod seeds;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use proptech_catalog::{SchemaSet, Validators, Violation};
use serde::Deserialize;
use serde_json::Value;

/// The workspace's schema set, loaded once per test binary.
pub fn schema_set() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| SchemaSet::load_workspace().expect("the schema set loads"))
}

/// The validators of the schema set: each schema is compiled once per test binary.
pub fn validators() -> &'static Mutex<Validators> {
    static V: OnceLock<Mutex<Validators>> = OnceLock::new();
    V.get_or_init(|| Mutex::new(schema_set().validators()))
}

/// Every violation of `instance` against the schema at `path` (relative to `schemas/`).
pub fn violations(path: &str, instance: &Value) -> Vec<Violation> {
    let id = format!("{}{path}", proptech_catalog::ID_BASE);
    validators()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .errors(&id, instance)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The `tests/` directory of the workspace.
pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A valid instance of the schema at `path` (relative to `schemas/`): its first documented example,
/// or else the hand-made one in `tests/valid/<provider>/<file name>`.
pub fn valid_instance(path: &str) -> Value {
    let doc = schema_set()
        .get(path)
        .unwrap_or_else(|| panic!("no schema {path}"));
    if let Some(first) = doc
        .value
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    let hand_made = tests_dir().join("valid").join(doc.provider()).join(file);
    proptech_catalog::read_json(&hand_made).unwrap_or_else(|e| {
        panic!("{path} has no example, and its hand-made instance is unusable: {e}")
    })
}

/// One provider's negative corpus (`tests/negative/<provider>.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeCorpus {
    /// The cases, in file order.
    pub case: Vec<NegativeCase>,
}

impl NegativeCorpus {
    /// Reads a corpus file; a file that does not parse fails the test, naming it.
    pub fn read(path: &Path) -> Self {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `provider`'s corpus, `tests/negative/<provider>.toml`.
    pub fn of(provider: &str) -> Self {
        Self::read(
            &tests_dir()
                .join("negative")
                .join(format!("{provider}.toml")),
        )
    }
}

/// A hand-made invalid payload: a valid instance with one change, and where it must be rejected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeCase {
    /// The schema, relative to the provider's directory.
    pub schema: String,
    /// What is wrong, in words.
    pub what: String,
    /// Remove the member at this pointer.
    #[serde(default)]
    pub remove: Option<String>,
    /// Set the value at a pointer.
    #[serde(default)]
    pub set: Option<SetOp>,
    /// The error the schema must report.
    pub expect: proptech_catalog::ExpectedError,
}

/// Replace the value at `pointer` with `value`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetOp {
    /// JSON pointer of the value.
    pub pointer: String,
    /// The new value.
    pub value: Value,
}

impl NegativeCase {
    /// The invalid payload: the valid instance with this case's change applied.
    pub fn payload(&self, provider: &str) -> Result<Value, String> {
        let mut v = valid_instance(&format!("{provider}/{}", self.schema));
        match (&self.remove, &self.set) {
            (Some(pointer), None) => {
                let (parent, key) = pointer
                    .rsplit_once('/')
                    .ok_or_else(|| format!("bad pointer {pointer}"))?;
                let removed = v
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .and_then(|o| o.remove(key));
                removed.ok_or_else(|| format!("nothing to remove at {pointer}"))?;
            }
            (None, Some(set)) => {
                *v.pointer_mut(&set.pointer)
                    .ok_or_else(|| format!("nothing to set at {}", set.pointer))? =
                    set.value.clone();
            }
            _ => return Err("a case needs exactly one of `remove` and `set`".into()),
        }
        Ok(v)
    }
}

/// Renders violations one per line, for snapshots.
pub fn render(violations: &[Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(out, "  - {v}");
    }
    out
}
