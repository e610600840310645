//! The errata file (`schemas/errata.toml`): contradictions and gaps in the docs, the validation
//! errors each explains, and how a sample is corrected.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Violation};

/// Every erratum of `errata.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errata {
    /// The errata, in file order.
    #[serde(rename = "erratum")]
    pub errata: Vec<Erratum>,
}

/// One place where the docs contradict themselves or leave a gap.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    /// A stable, unique id.
    pub id: String,
    /// The provider whose docs it concerns.
    pub provider: String,
    /// `contradiction`, `gap` or `inconsistency`.
    pub kind: String,
    /// The page it is on.
    pub document: String,
    /// The section of that page.
    pub section: String,
    /// What the prose says.
    pub prose: String,
    /// What the sample says.
    pub sample: String,
    /// How the schemas resolve it.
    pub resolution: String,
    /// Fixtures (`<provider>/<file>`) it applies to.
    #[serde(default)]
    pub fixtures: Vec<String>,
    /// The validation errors it explains in each of those fixtures.
    #[serde(default)]
    pub expect: Vec<ExpectedError>,
    /// How to correct those fixtures.
    #[serde(default)]
    pub fix: Vec<Fix>,
    /// Schemas (paths under `schemas/`, `*` matching inside one segment) whose contract rests on
    /// this reading of the docs: their reference pages name it as an assumption.
    #[serde(default)]
    pub schemas: Vec<String>,
}

/// A validation error an erratum explains.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// JSON pointer to the offending value (`""` for the root).
    pub path: String,
    /// The failing keyword.
    pub keyword: String,
}

impl ExpectedError {
    /// Whether `violation` is this error.
    pub fn matches(&self, violation: &Violation) -> bool {
        self.path == violation.instance_path && self.keyword == violation.keyword
    }
}

/// One correction: replace the value at `pointer`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// JSON pointer of the value to replace.
    pub pointer: String,
    /// The new value; the string `"$event_type"` stands for the fixture's event type.
    pub value: Value,
}

/// The placeholder in a [`Fix`] value that stands for the fixture's event type.
pub const EVENT_TYPE_PLACEHOLDER: &str = "$event_type";

impl Errata {
    /// Loads `errata.toml`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        crate::read_toml(path)
    }

    /// The errata that list `fixture` (`<provider>/<file>`).
    pub fn for_fixture<'a>(&'a self, fixture: &'a str) -> impl Iterator<Item = &'a Erratum> {
        self.errata
            .iter()
            .filter(move |e| e.fixtures.iter().any(|f| f == fixture))
    }

    /// The errata whose `schemas` name the schema at `path` (relative to `schemas/`).
    pub fn for_schema<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Erratum> {
        self.errata
            .iter()
            .filter(move |e| e.schemas.iter().any(|p| path_matches(p, path)))
    }

    /// The errors the errata expect of `fixture`, sorted.
    pub fn expected_errors(&self, fixture: &str) -> Vec<ExpectedError> {
        let mut all: Vec<ExpectedError> = self
            .for_fixture(fixture)
            .flat_map(|e| e.expect.iter().cloned())
            .collect();
        all.sort();
        all
    }

    /// `sample` corrected by every fix of the errata that list `fixture`; `None` if none has a fix.
    ///
    /// Fails with a message naming the pointer when a fix does not apply.
    pub fn corrected(
        &self,
        fixture: &str,
        event_type: Option<&str>,
        sample: &Value,
    ) -> Result<Option<Value>, String> {
        let fixes: Vec<&Fix> = self.for_fixture(fixture).flat_map(|e| &e.fix).collect();
        if fixes.is_empty() {
            return Ok(None);
        }
        let mut out = sample.clone();
        for fix in fixes {
            let value = match (&fix.value, event_type) {
                (Value::String(s), Some(t)) if s == EVENT_TYPE_PLACEHOLDER => {
                    Value::String(t.to_owned())
                }
                (Value::String(s), None) if s == EVENT_TYPE_PLACEHOLDER => {
                    return Err(format!(
                        "fix at {} needs an event type, but {fixture} is not an event sample",
                        fix.pointer
                    ));
                }
                (v, _) => v.clone(),
            };
            let slot = out
                .pointer_mut(&fix.pointer)
                .ok_or_else(|| format!("fix pointer {} is not in {fixture}", fix.pointer))?;
            *slot = value;
        }
        Ok(Some(out))
    }
}

/// `pattern` matches `path`, with `*` matching inside one `/`-separated segment. A pattern that is
/// not a valid glob matches nothing (the lint suite checks every pattern matches a schema).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .is_ok_and(|g| g.compile_matcher().is_match(path))
}
