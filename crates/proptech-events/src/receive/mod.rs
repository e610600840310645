//! Receiving deliveries: verify the signature over the raw bytes, reject replays and stale
//! timestamps, and only then parse the typed event.
//!
//! One receiver per provider, each implementing that provider's documented contract:
//!
//! | provider | signature | replay protection |
//! |---|---|---|
//! | Valara | `X-Webhook-Signature: sha256=<hex>`, HMAC-SHA256 of `"{X-Webhook-Timestamp}.{body}"` | timestamp within ±5 min; nonce unseen for 10 min; event id deduplicated |
//! | Repull | `X-Repull-Signature: <hex>`, HMAC-SHA256 of the body keyed with the literal `whsec_...` string | `deliveryId` deduplicated |
//! | Lavanda | Standard Webhooks: `webhook-signature` (or `svix-signature`), `v1,<base64>` entries, HMAC-SHA256 of `"{id}.{timestamp}.{body}"` keyed with the base64 part of `whsec_...` | timestamp within ±5 min; message id deduplicated |
//! | EverReal | none documented: [`EverrealReceiver::unverified`] must be chosen by name and yields [`Unverified`] | `uuid` deduplicated |
//!
//! Every receiver takes several secrets (key rotation), checks the body size before anything else,
//! and compares signatures in constant time (`hmac`'s `verify_slice`).

#[cfg(feature = "axum")]
pub mod axum;
mod error;
mod headers;
mod replay;

use std::sync::Arc;

#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
use hmac::{Hmac, Mac};
#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
use sha2::Sha256;

pub use error::{ReceiveError, SecretError};
pub use headers::Headers;
pub use replay::{InMemoryReplayGuard, ReplayGuard};

#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
type HmacSha256 = Hmac<Sha256>;

/// Limits and windows of a receiver.
#[derive(Debug, Clone)]
pub struct Options {
    /// The largest body accepted, in bytes (default 1 MiB).
    pub max_body: usize,
    /// How far a delivery's timestamp may be from the receiver's clock, either way, in seconds
    /// (default 300, the providers' documented 5 minutes).
    pub tolerance: u64,
    /// How long a delivery id is remembered to reject duplicates, in seconds. It must cover the
    /// provider's retries; the default is 48 hours, which covers Repull's 26.5-hour schedule.
    pub dedupe_window: u64,
    /// Validate each delivery against its event's JSON Schema before the typed parse (off by
    /// default). An event type the crate does not know has no schema and is not validated.
    #[cfg(feature = "validate")]
    pub validate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_body: 1 << 20,
            tolerance: 300,
            dedupe_window: 48 * 3600,
            #[cfg(feature = "validate")]
            validate: false,
        }
    }
}

/// A delivery whose signature was verified, parsed into its typed event.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<E> {
    /// The typed event (`Unknown` for an event type this version does not know).
    pub event: E,
    /// The id the delivery was deduplicated on.
    pub id: String,
    /// The signed timestamp, where the contract has one.
    pub timestamp: Option<i64>,
}

/// A delivery that carries no signature to verify (EverReal documents none). It is not a
/// [`Verified`], and cannot be mistaken for one.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified<E> {
    /// The typed event; its authenticity is not established.
    pub event: E,
    /// The id the delivery was deduplicated on.
    pub id: String,
}

/// What every receiver shares: secrets, options, the replay guard and the clock.
#[derive(Clone)]
struct Core {
    keys: Vec<Vec<u8>>,
    options: Options,
    guard: Arc<dyn ReplayGuard>,
    clock: fn() -> i64,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("keys", &format_args!("{} secret(s)", self.keys.len()))
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Core {
    #[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
    fn new(keys: Vec<Vec<u8>>) -> Result<Self, SecretError> {
        if keys.is_empty() {
            return Err(SecretError::NoSecrets);
        }
        if keys.iter().any(Vec::is_empty) {
            return Err(SecretError::Empty);
        }
        Ok(Self {
            keys,
            options: Options::default(),
            guard: Arc::new(InMemoryReplayGuard::default()),
            clock: system_now,
        })
    }

    /// A core keyed with each secret's bytes exactly as given (Valara, Repull).
    #[cfg(any(feature = "valara", feature = "repull"))]
    fn with_literal_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, SecretError> {
        Self::new(
            secrets
                .into_iter()
                .map(|s| s.as_ref().as_bytes().to_vec())
                .collect(),
        )
    }

    fn check_size(&self, body: &[u8]) -> Result<(), ReceiveError> {
        if body.len() > self.options.max_body {
            return Err(ReceiveError::BodyTooLarge {
                size: body.len() as u64,
                limit: self.options.max_body as u64,
            });
        }
        Ok(())
    }

    #[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
    /// Whether any key's HMAC-SHA256 of `parts` equals `tag`, compared in constant time.
    fn any_key_signs(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.keys.iter().any(|key| {
            let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
                return false;
            };
            for p in parts {
                mac.update(p);
            }
            mac.verify_slice(tag).is_ok()
        })
    }

    #[cfg(any(feature = "valara", feature = "lavanda"))]
    fn check_window(&self, timestamp: i64, now: i64) -> Result<(), ReceiveError> {
        let skew = now.abs_diff(timestamp);
        if skew > self.options.tolerance {
            return Err(ReceiveError::TimestampOutOfWindow {
                timestamp,
                now,
                skew,
                tolerance: self.options.tolerance,
            });
        }
        Ok(())
    }

    fn first_sighting(&self, key: String, now: i64, window: u64) -> Result<String, ReceiveError> {
        if self.guard.first_sighting(&key, now, window) {
            Ok(key)
        } else {
            Err(ReceiveError::Replay { key })
        }
    }
}

/// Reads the envelope members a receiver checks (and the event type) in one pass. A delivery is a
/// JSON object; anything else is malformed, said as such.
fn read_head<'a, T: serde::Deserialize<'a>>(
    provider: crate::Provider,
    body: &'a [u8],
) -> Result<T, ReceiveError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ReceiveError::MalformedJson(crate::ParseError {
            provider,
            event_type: None,
            path: String::new(),
            kind: crate::ParseErrorKind::Syntax,
            message: "a delivery must be a JSON object".into(),
        }));
    }
    crate::__private::parse_as(provider, "", body).map_err(ReceiveError::from_parse)
}

/// The typed event of `body`, whose event type is known: parsed straight from the bytes, or, with
/// `Options::validate`, parsed once into a JSON value that is validated against the event's schema
/// and then moved into the typed event without parsing the bytes again or copying its strings.
macro_rules! typed {
    ($core:expr, $module:ident, $provider:ident, $event_type:expr, $body:expr) => {{
        let event_type: String = $event_type;
        #[cfg(feature = "validate")]
        let result = if $core.options.validate {
            $core
                .validate(crate::Provider::$provider, &event_type, $body)
                .and_then(|value| {
                    crate::$module::parse_value_typed(event_type, value, $body)
                        .map_err(ReceiveError::from_parse)
                })
        } else {
            crate::$module::parse_typed(event_type, $body).map_err(ReceiveError::from_parse)
        };
        #[cfg(not(feature = "validate"))]
        let result =
            crate::$module::parse_typed(event_type, $body).map_err(ReceiveError::from_parse);
        result
    }};
}

#[cfg(feature = "validate")]
mod validate;

#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
/// A required header as text.
fn header<'h, H: Headers + ?Sized>(
    headers: &'h H,
    name: &'static str,
) -> Result<&'h str, ReceiveError> {
    let raw = headers
        .get_header(name)
        .ok_or(ReceiveError::MissingHeader { name })?;
    std::str::from_utf8(raw).map_err(|_| ReceiveError::InvalidHeader {
        name,
        reason: "not UTF-8".into(),
    })
}

#[cfg(any(feature = "valara", feature = "lavanda"))]
/// A Unix timestamp header: ASCII digits only (no sign, spaces or `+`), fitting an `i64`.
fn timestamp_header(value: &str, name: &'static str) -> Result<i64, ReceiveError> {
    let invalid = |reason: &str| ReceiveError::InvalidHeader {
        name,
        reason: format!("{reason}: {value:?}"),
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("expected Unix seconds as digits"));
    }
    value.parse::<i64>().map_err(|_| invalid("out of range"))
}

macro_rules! receiver_builders {
    ($ty:ident, $module:ident) => {
        receiver_builders!($ty);

        impl $ty {
            /// Verifies and parses a delivery, with the receiver's clock.
            pub fn receive<H: Headers + ?Sized>(
                &self,
                headers: &H,
                body: &[u8],
            ) -> Result<Verified<crate::$module::Event>, ReceiveError> {
                self.receive_at(headers, body, (self.core.clock)())
            }
        }
    };
    ($ty:ident) => {
        impl $ty {
            /// Replaces the limits and windows.
            pub fn with_options(mut self, options: $crate::receive::Options) -> Self {
                self.core.options = options;
                self
            }

            /// Shares a replay guard (for example one guard across several receivers, or one
            /// backed by a database).
            pub fn with_replay_guard(
                mut self,
                guard: ::std::sync::Arc<dyn $crate::receive::ReplayGuard>,
            ) -> Self {
                self.core.guard = guard;
                self
            }

            /// Replaces the clock (Unix seconds), for tests and for replaying old deliveries.
            pub fn with_clock(mut self, clock: fn() -> i64) -> Self {
                self.core.clock = clock;
                self
            }

            /// The options in force.
            pub fn options(&self) -> &$crate::receive::Options {
                &self.core.options
            }
        }
    };
}

#[cfg(feature = "valara")]
mod valara;
#[cfg(feature = "valara")]
pub use valara::{ValaraReceiver, sign_valara};

#[cfg(feature = "repull")]
mod repull;
#[cfg(feature = "repull")]
pub use repull::{RepullReceiver, sign_repull};

#[cfg(feature = "lavanda")]
mod lavanda;
#[cfg(feature = "lavanda")]
pub use lavanda::{LavandaReceiver, sign_lavanda};

#[cfg(feature = "everreal")]
mod everreal;
#[cfg(feature = "everreal")]
pub use everreal::EverrealReceiver;
