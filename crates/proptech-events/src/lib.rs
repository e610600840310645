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
//! The [`guide`] has a chapter per task, each with examples that run: [the types and what they
//! promise](guide::types), [receiving](guide::receiving), [processing at least once and never
//! twice](guide::processing), [Redis and the streams](guide::streams), [personal
//! data](guide::personal_data), [the derive](guide::derive) and [CloudEvents](guide::cloudevents).
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `valara`, `repull`, `lavanda`, `everreal` | on | the provider's module: its types, `Event` enum and (with `receive`) receiver |
//! | `receive` | on | [`receive`]: signature verification, the receivers, the in-memory idempotency store. Without it the crate is the types alone: `default-features = false, features = ["repull"]` compiles no crypto and no HTTP types |
//! | `process` | | processing each delivery at least once and never twice (tokio's timer, `tracing`, `metrics`) |
//! | `axum` | | routes and extractors for axum, and a server with the bounds a public endpoint needs (implies `process`) |
//! | `redis` | | a Redis idempotency store shared by every process, and the Redis streams and consumers (implies `process`) |
//! | `validate` | | validation of deliveries against the JSON Schemas, and the list of a delivery's violations |
//! | `cloudevents` | | deliveries as CloudEvents 1.0, with the CNCF's SDK |
//! | `schemars` | | `schemars::JsonSchema` on every type |
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
pub mod personal;
#[cfg(feature = "receive")]
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

// The provider modules (one per descriptor, each behind its Cargo feature), `Provider`, `AnyEvent`
// and `parse`, written by `cargo xtask gen` from `schemas/<provider>/provider.toml`.
include!("generated/providers.rs");

// After the generated module: the guide's chapters are wrapped in its `with_every_provider!`.
pub mod guide;

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
#[error("unknown provider {name:?}: expected {EXPECTED}")]
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

    /// The members of the delivery the schema marks as personal data (`x-personal-data`), with
    /// paths from the delivery's root.
    const PERSONAL_DATA: &'static [personal::PersonalMember] = &[];

    /// [`Self::JSON_SCHEMA`], parsed.
    fn json_schema() -> serde_json::Value {
        serde_json::from_str(Self::JSON_SCHEMA).expect("the embedded schema is JSON")
    }

    /// This value as JSON of the same shape, with every member the schema marks as personal data
    /// replaced by its [`personal::placeholder`] (`"[redacted: contact, 17 chars]"`) and every
    /// member the schema does not describe by [`personal::UNDESCRIBED`]: for logs and support
    /// tickets.
    fn redacted(&self) -> serde_json::Value
    where
        Self: Serialize,
    {
        __private::redacted_json(
            self,
            Self::PERSONAL_DATA,
            Self::JSON_SCHEMA,
            Self::SCHEMA_PATH,
        )
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
    /// The members its schema marks as personal data (see [`WebhookEvent::PERSONAL_DATA`]).
    pub personal_data: &'static [personal::PersonalMember],
}

impl Provider {
    /// The catalog entry of `event_type`, if this version knows it (and the provider's feature
    /// is on).
    ///
    /// ```
    /// # #[cfg(feature = "repull")] {
    /// use proptech_events::Provider;
    ///
    /// assert!(Provider::Repull.event("repull.ping").is_some());
    /// assert!(Provider::Repull.event("repull.sent.next.year").is_none());
    /// # }
    /// ```
    pub fn event(self, event_type: &str) -> Option<&'static EventInfo> {
        self.events().iter().find(|e| e.event_type == event_type)
    }
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
///
/// Its `Debug` shows the event type and the body's size, not the body: no schema says what in it
/// is personal data.
#[derive(Clone)]
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

impl fmt::Debug for UnknownEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Size(usize);
        impl fmt::Debug for Size {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "[not shown: {} bytes]", self.0)
            }
        }
        f.debug_struct("UnknownEvent")
            .field("event_type", &self.event_type)
            .field("raw", &Size(self.raw.get().len()))
            .finish()
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
