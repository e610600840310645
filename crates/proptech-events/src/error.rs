//! Errors of parsing a delivery into a typed event.

use std::fmt;

use crate::Provider;

/// Why a delivery body did not parse into a typed event.
#[derive(Debug, thiserror::Error)]
#[error("{provider} delivery{}: {message}{}", event_type_note(.event_type), path_note(.path))]
#[non_exhaustive]
pub struct ParseError {
    /// The provider the body was parsed for.
    pub provider: Provider,
    /// The event type the body names, once it is known.
    pub event_type: Option<String>,
    /// JSON pointer to the value that failed (`""` for the whole body).
    pub path: String,
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The parser's message.
    pub message: String,
}

fn event_type_note(t: &Option<String>) -> String {
    t.as_deref()
        .map(|t| format!(" of type {t:?}"))
        .unwrap_or_default()
}

fn path_note(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (at {path})")
    }
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The body is not JSON, or not a JSON object.
    Syntax,
    /// The body has no event type field, or it is not a string.
    MissingEventType,
    /// The body is JSON but does not fit the event's type: a missing field, a wrong type, a value
    /// outside its pattern or format.
    Data,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "syntax",
            Self::MissingEventType => "missing event type",
            Self::Data => "data",
        })
    }
}

/// A string that does not match the pattern its type requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {type_name}: it does not match {pattern}")]
#[non_exhaustive]
pub struct PatternError {
    /// The rejected value.
    pub value: String,
    /// The type that rejected it.
    pub type_name: &'static str,
    /// The pattern it had to match.
    pub pattern: &'static str,
}
