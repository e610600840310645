//! Typed webhook events of four property-tech platforms: Valara, Repull, Lavanda and EverReal.
//!
//! Every event type the providers document has a Rust type generated from its JSON Schema, and each
//! provider has an `Event` enum dispatched on its event type field. The enums are open: an event type
//! the crate does not know yet parses as `Unknown` with its raw JSON, an enum value it does not know
//! is kept in the enum's opaque catch-all (read it with `as_str()`), and a member a type does not
//! list is kept in its `unknown_members()`, so a provider's addition never crashes a receiver or
//! loses data. Everything else the schema rejects, the typed parse rejects too.
//!
//! ```
//! use proptech_events::{AnyEvent, Provider, repull};
//!
//! let body = br#"{"type": "repull.ping", "deliveryId": "evt_01HX5XPQ2K",
//!     "createdAt": "2026-05-01T12:34:56.000Z", "data": {"message": "Ping from Repull."}}"#;
//! match proptech_events::parse(Provider::Repull, body)? {
//!     AnyEvent::Repull(repull::Event::RepullPing(ping)) => {
//!         assert_eq!(ping.data.message, "Ping from Repull.");
//!         assert_eq!(ping.delivery_id, "evt_01HX5XPQ2K");
//!     }
//!     AnyEvent::Repull(repull::Event::Unknown(other)) => println!("new type {}", other.event_type),
//!     other => println!("{}", other.event_type()),
//! }
//! # Ok::<(), proptech_events::ParseError>(())
//! ```
//!
//! One module per provider, each behind a Cargo feature of the same name (all on by default):
//! [`valara`], [`repull`], [`lavanda`], [`everreal`]. With the `schemars` feature every type also
//! derives `schemars::JsonSchema`.
//!
//! The types live in `src/generated/`, written by `cargo xtask gen` from the workspace's `schemas/`;
//! never edit them by hand.

#![deny(missing_docs)]

extern crate self as proptech_events;

#[macro_use]
#[allow(unused_macros)] // used by the provider modules, which are features
mod macros;

#[doc(hidden)]
pub mod __private;
mod error;
#[cfg(any(
    feature = "valara",
    feature = "repull",
    feature = "lavanda",
    feature = "everreal"
))]
pub mod receive;
mod types;

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub use error::{ParseError, ParseErrorKind, PatternError};
pub use proptech_events_derive::WebhookEvent;
pub use types::{Date, DateTime, Email, EventType, FormatError, Integer, Uri, Uuid};

#[rustfmt::skip]
#[path = "generated/patterns.rs"]
mod patterns;
pub use patterns::*;

#[cfg(feature = "valara")]
#[rustfmt::skip]
#[path = "generated/valara.rs"]
pub mod valara;

#[cfg(feature = "repull")]
#[rustfmt::skip]
#[path = "generated/repull.rs"]
pub mod repull;

#[cfg(feature = "lavanda")]
#[rustfmt::skip]
#[path = "generated/lavanda.rs"]
pub mod lavanda;

#[cfg(feature = "everreal")]
#[rustfmt::skip]
#[allow(
    clippy::exhaustive_structs,
    reason = "the payload newtypes of undocumented events (`ListingCreated(pub Value)`) are \
              generated exhaustive; the generator should mark them itself"
)]
#[path = "generated/everreal.rs"]
pub mod everreal;

/// A provider whose webhooks this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(
    clippy::exhaustive_enums,
    reason = "code that dispatches on the provider (the CLI's tables) must learn a new one"
)]
pub enum Provider {
    /// Valara (listing, appointment, billing, media and user events).
    Valara,
    /// Repull (reservations, listings, calendar, connections, AI, payments).
    Repull,
    /// Lavanda, delivered through Svix (Standard Webhooks).
    Lavanda,
    /// EverReal (listing, candidate, scheduling, contracting, owner, property and unit events).
    Everreal,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 4] = [
        Provider::Valara,
        Provider::Repull,
        Provider::Lavanda,
        Provider::Everreal,
    ];

    /// The provider's name as the schemas spell it (`valara`, `repull`, `lavanda`, `everreal`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Valara => "valara",
            Provider::Repull => "repull",
            Provider::Lavanda => "lavanda",
            Provider::Everreal => "everreal",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProvider { name: s.to_owned() })
    }
}

/// A provider name that is none of [`Provider::ALL`] (from [`Provider`]'s `FromStr`).
///
/// ```
/// use proptech_events::Provider;
///
/// assert_eq!("lavanda".parse::<Provider>(), Ok(Provider::Lavanda));
/// let err = "Lavanda".parse::<Provider>().unwrap_err();
/// assert_eq!(err.name, "Lavanda");
/// assert_eq!(
///     err.to_string(),
///     r#"unknown provider "Lavanda": expected valara, repull, lavanda or everreal"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {name:?}: expected valara, repull, lavanda or everreal")]
#[non_exhaustive]
pub struct UnknownProvider {
    /// The name as given.
    pub name: String,
}

/// How completely a provider's docs describe an event's payload (the catalogs'
/// `documentation_status`).
///
/// ```
/// use proptech_events::{DocumentationStatus, WebhookEvent, everreal};
///
/// let status = <everreal::ListingActivated as WebhookEvent>::DOCUMENTATION_STATUS;
/// assert_eq!(status, DocumentationStatus::Undocumented);
/// assert_eq!(status.to_string(), "undocumented");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DocumentationStatus {
    /// Every member of the payload is documented.
    Complete,
    /// The docs describe part of the payload; the rest is kept as sent.
    Partial,
    /// The docs name the event but not its payload, which is kept as free JSON.
    Undocumented,
}

impl DocumentationStatus {
    /// The catalogs' word for it: `complete`, `partial` or `undocumented`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Partial => "partial",
            Self::Undocumented => "undocumented",
        }
    }
}

impl fmt::Display for DocumentationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A type that is one provider's event (or the payload of one), tied to that event's JSON Schema.
///
/// Implement it with `#[derive(WebhookEvent)]` and `#[webhook(provider = "...", event = "...")]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not tied to a provider's event schema",
    label = "this type is not checked against the schema",
    note = "a nested struct must #[derive(WebhookEvent)] with #[webhook(provider = ..., event = ..., path = \"<its JSON pointer>\")], or the field must be #[webhook(unchecked)]"
)]
pub trait WebhookEvent {
    /// The provider that sends the event.
    const PROVIDER: Provider;
    /// The event type, exactly as the provider sends it.
    const EVENT_TYPE: &'static str;
    /// The category the provider's catalog files the event under.
    const CATEGORY: &'static str;
    /// How completely the docs describe the payload.
    const DOCUMENTATION_STATUS: DocumentationStatus;
    /// The event's JSON Schema (draft 2020-12), self-contained, embedded at compile time.
    const JSON_SCHEMA: &'static str;
    /// Which part of the delivery the type describes, as a JSON pointer (`#[webhook(path = ...)]`):
    /// `""` for the whole delivery, `"/data"` for an envelope's payload.
    const SCHEMA_PATH: &'static str = "";

    /// [`Self::JSON_SCHEMA`], parsed.
    fn json_schema() -> serde_json::Value {
        serde_json::from_str(Self::JSON_SCHEMA).expect("the embedded schema is JSON")
    }
}

/// An entry of a provider's event catalog (each provider module's `EVENTS`). Only the crate makes
/// them; a later release may add members.
///
/// ```
/// # #[cfg(feature = "repull")] {
/// let ping = proptech_events::repull::EVENTS
///     .iter()
///     .find(|e| e.event_type == "repull.ping")
///     .expect("listed");
/// assert!(ping.json_schema.starts_with('{'));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventInfo {
    /// The event type, exactly as the provider sends it.
    pub event_type: &'static str,
    /// The category the provider's catalog files it under.
    pub category: &'static str,
    /// How completely the docs describe the payload.
    pub documentation_status: DocumentationStatus,
    /// The event's JSON Schema, self-contained (see [`WebhookEvent::JSON_SCHEMA`]).
    pub json_schema: &'static str,
}

/// A delivery of an event type this crate does not know, kept whole. The parsers make it; a test
/// of a handler can make one with [`UnknownEvent::new`].
///
/// ```
/// use proptech_events::UnknownEvent;
///
/// let raw = serde_json::value::RawValue::from_string(r#"{"type":"repull.new"}"#.to_owned())?;
/// let event = UnknownEvent::new("repull.new", raw);
/// assert_eq!(event.event_type, "repull.new");
/// assert_eq!(event.raw.get(), r#"{"type":"repull.new"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UnknownEvent {
    /// The event type the delivery names.
    pub event_type: String,
    /// The delivery body, byte for byte.
    pub raw: Box<RawValue>,
}

impl UnknownEvent {
    /// The delivery `raw` of the event type `event_type`, kept as it is.
    pub fn new(event_type: impl Into<String>, raw: Box<RawValue>) -> Self {
        Self {
            event_type: event_type.into(),
            raw,
        }
    }
}

impl PartialEq for UnknownEvent {
    fn eq(&self, other: &Self) -> bool {
        self.event_type == other.event_type && self.raw.get() == other.raw.get()
    }
}

impl Serialize for UnknownEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// An event of any provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
// Parsed once and handed over; see the provider `Event` enums.
#[allow(clippy::large_enum_variant)]
pub enum AnyEvent {
    /// A Valara event.
    #[cfg(feature = "valara")]
    Valara(valara::Event),
    /// A Repull event.
    #[cfg(feature = "repull")]
    Repull(repull::Event),
    /// A Lavanda event.
    #[cfg(feature = "lavanda")]
    Lavanda(lavanda::Event),
    /// An EverReal event.
    #[cfg(feature = "everreal")]
    Everreal(everreal::Event),
}

/// Calls `$method()` on the provider event `$event` holds (an `&AnyEvent`).
macro_rules! on_each_provider {
    ($event:expr, $method:ident) => {
        match $event {
            #[cfg(feature = "valara")]
            AnyEvent::Valara(e) => e.$method(),
            #[cfg(feature = "repull")]
            AnyEvent::Repull(e) => e.$method(),
            #[cfg(feature = "lavanda")]
            AnyEvent::Lavanda(e) => e.$method(),
            #[cfg(feature = "everreal")]
            AnyEvent::Everreal(e) => e.$method(),
            #[cfg(not(any(
                feature = "valara",
                feature = "repull",
                feature = "lavanda",
                feature = "everreal"
            )))]
            _ => match *$event {},
        }
    };
}

impl AnyEvent {
    /// The provider that sent it.
    pub fn provider(&self) -> Provider {
        match self {
            #[cfg(feature = "valara")]
            AnyEvent::Valara(_) => Provider::Valara,
            #[cfg(feature = "repull")]
            AnyEvent::Repull(_) => Provider::Repull,
            #[cfg(feature = "lavanda")]
            AnyEvent::Lavanda(_) => Provider::Lavanda,
            #[cfg(feature = "everreal")]
            AnyEvent::Everreal(_) => Provider::Everreal,
            #[cfg(not(any(
                feature = "valara",
                feature = "repull",
                feature = "lavanda",
                feature = "everreal"
            )))]
            _ => match *self {},
        }
    }

    /// The event type, exactly as the provider sent it.
    pub fn event_type(&self) -> &str {
        on_each_provider!(self, event_type)
    }

    /// The delivery kept whole because this version does not know its event type (the
    /// provider's `Unknown` variant), if it is one.
    pub fn unknown(&self) -> Option<&UnknownEvent> {
        on_each_provider!(self, unknown)
    }
}

/// Parses a delivery body of `provider` into its typed event.
///
/// An event type the crate does not know parses as that provider's `Unknown` variant. A provider
/// whose Cargo feature is off is an error of kind [`ParseErrorKind::Syntax`] naming the feature.
pub fn parse(provider: Provider, body: &[u8]) -> Result<AnyEvent, ParseError> {
    let _ = body; // unused when every provider feature is off
    match provider {
        #[cfg(feature = "valara")]
        Provider::Valara => valara::parse(body).map(AnyEvent::Valara),
        #[cfg(feature = "repull")]
        Provider::Repull => repull::parse(body).map(AnyEvent::Repull),
        #[cfg(feature = "lavanda")]
        Provider::Lavanda => lavanda::parse(body).map(AnyEvent::Lavanda),
        #[cfg(feature = "everreal")]
        Provider::Everreal => everreal::parse(body).map(AnyEvent::Everreal),
        #[allow(unreachable_patterns)]
        disabled => Err(ParseError {
            provider: disabled,
            event_type: None,
            path: String::new(),
            kind: ParseErrorKind::Syntax,
            message: format!("the `{disabled}` feature of proptech-events is off"),
        }),
    }
}
