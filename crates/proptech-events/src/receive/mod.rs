//! Receiving deliveries: verify the signature over the raw bytes, reject stale timestamps, parse
//! the typed event, and process each delivery at least once and never twice.
//!
//! One receiver per provider, each implementing that provider's documented contract:
//!
//! | provider | signature | replay protection |
//! |---|---|---|
//! | Valara | `X-Webhook-Signature: sha256=<hex>`, HMAC-SHA256 of `"{X-Webhook-Timestamp}.{body}"` | timestamp within ±5 min; nonce unseen for 10 min (twice the tolerance, when longer); event id deduplicated; nonce and event id claimed as one unit |
//! | Repull | `X-Repull-Signature: <hex>`, HMAC-SHA256 of the body keyed with the literal `whsec_...` string | signed `createdAt` within the 7-day replay horizon (+ tolerance); `deliveryId` deduplicated for at least that long |
//! | Lavanda | Standard Webhooks: `webhook-signature` (or `svix-signature`), `v1,<base64>` entries, HMAC-SHA256 of `"{id}.{timestamp}.{body}"` keyed with the base64 part of `whsec_...` | timestamp within ±5 min; message id deduplicated |
//! | EverReal | none documented: [`EverrealReceiver::unverified`] must be chosen by name and yields [`Unverified`] | `uuid` deduplicated |
//!
//! Every receiver takes several secrets (key rotation), checks the body size before anything else,
//! and compares signatures in constant time.
//!
//! Two ways to receive:
//!
//! - `receive` / `receive_at` (EverReal: `receive_unverified`) **verify and parse only**. They do
//!   not deduplicate: use them when the application records the delivery's
//!   [`Verified::dedupe_keys`] in its own database transaction, together with its effects.
//! - `process` (feature `process`, implied by `axum` and `redis`) verifies, claims the delivery's
//!   keys in an [`IdempotencyStore`], runs the handler, and records the delivery as done only when
//!   the handler succeeded; a failure, a panic or a timeout releases the claim so the provider's
//!   retry is processed. See `ProcessError::status` for the answers.

#[cfg(feature = "axum")]
pub mod axum;
mod error;
#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
mod explain;
mod headers;
mod memory;
#[cfg(feature = "process")]
pub(crate) mod process;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "axum")]
pub mod server;
mod store;

use std::sync::Arc;

#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
use hmac::{Hmac, Mac};
#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
use sha2::Sha256;

pub use error::{ReceiveError, SecretError};
#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
pub use explain::SignatureCheck;
pub use headers::Headers;
pub use memory::{ENTRY_BYTES, InMemoryStore};
#[cfg(feature = "process")]
pub use process::{ProcessError, Processed, RetryLater};
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use store::{
    Claim, ClaimToken, IdempotencyStore, Partition, StoreError, StoreFuture, StoreKey,
};

#[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
type HmacSha256 = Hmac<Sha256>;

/// Limits and windows of a receiver.
///
/// Start from [`Options::default`] and change what you need with the `with_*` setters, which
/// take and return the options by value; the fields can be read. The struct is
/// `#[non_exhaustive]`, so a new setting, or a Cargo feature that adds one, is not a breaking
/// change: build it with the setters, never with a struct literal.
///
/// ```
/// use proptech_events::receive::{Options, RepullReceiver};
///
/// let options = Options::default()
///     .with_max_body(256 * 1024)
///     .with_tolerance(60)
///     .with_handler_timeout(10);
/// assert_eq!(options.max_body, 256 * 1024);
/// assert_eq!(options.dedupe_window, Options::default().dedupe_window);
///
/// let receiver = RepullReceiver::new(["whsec_test"])?.with_options(options);
/// assert_eq!(receiver.options().tolerance, 60);
/// # Ok::<(), proptech_events::receive::SecretError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The largest body accepted, in bytes (default 1 MiB).
    pub max_body: usize,
    /// How far a delivery's timestamp may be from the receiver's clock, either way, in seconds
    /// (default 300, the providers' documented 5 minutes).
    pub tolerance: u64,
    /// How long a delivery id is remembered to reject duplicates, in seconds. It must cover the
    /// provider's retries; the default is 48 hours, which covers Repull's 26.5-hour schedule.
    pub dedupe_window: u64,
    /// How long `process` lets a handler run before it is abandoned and the claim released, in
    /// seconds (default 20: the providers wait 5 s to 15 s for an answer, so a handler still
    /// running after that has already been retried or given up on).
    pub handler_timeout: u64,
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
            handler_timeout: 20,
            #[cfg(feature = "validate")]
            validate: false,
        }
    }
}

impl Options {
    /// Sets [`max_body`](Self::max_body), in bytes.
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets [`tolerance`](Self::tolerance), in seconds.
    #[must_use]
    pub fn with_tolerance(mut self, seconds: u64) -> Self {
        self.tolerance = seconds;
        self
    }

    /// Sets [`dedupe_window`](Self::dedupe_window), in seconds.
    #[must_use]
    pub fn with_dedupe_window(mut self, seconds: u64) -> Self {
        self.dedupe_window = seconds;
        self
    }

    /// Sets [`handler_timeout`](Self::handler_timeout), in seconds.
    #[must_use]
    pub fn with_handler_timeout(mut self, seconds: u64) -> Self {
        self.handler_timeout = seconds;
        self
    }

    /// Sets [`validate`](Self::validate): whether each delivery is validated against its event's
    /// JSON Schema before the typed parse.
    #[cfg(feature = "validate")]
    #[must_use]
    pub fn with_validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// How long a claim is held: the handler timeout plus 10 s, so a handler that is still
    /// within its timeout never loses its claim to a retry.
    pub fn lease(&self) -> u64 {
        self.handler_timeout.saturating_add(10)
    }
}

/// A delivery whose signature was verified, parsed into its typed event. Only a receiver makes
/// one: its fields are private, so code outside the crate cannot build one.
///
/// ```compile_fail,E0451
/// use proptech_events::receive::Verified;
/// let forged = Verified { event: (), id: String::from("evt_1"), timestamp: None };
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<E> {
    event: E,
    id: String,
    timestamp: Option<i64>,
    dedupe: Dedupe,
}

/// What a delivery's store keys are made of; the keys (SHA-256 digests) are only computed when
/// asked for, so verify-and-parse does not pay for them.
#[derive(Debug, Clone, PartialEq)]
struct Dedupe {
    /// The receiver's key scope ([`ValaraReceiver::with_namespace`] and the like).
    namespace: Arc<str>,
    provider: &'static str,
    partition: Partition,
    window: u64,
    /// Valara's nonce and how long it is kept.
    nonce: Option<(String, u64)>,
}

impl Dedupe {
    #[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
    fn signed(core: &Core, provider: &'static str, window: u64) -> Self {
        Self {
            namespace: Arc::clone(&core.namespace),
            provider,
            partition: Partition::Signed,
            window,
            nonce: None,
        }
    }

    fn keys(&self, id: &str) -> Vec<StoreKey> {
        let mut keys = Vec::with_capacity(2);
        if let Some((nonce, window)) = &self.nonce {
            keys.push(StoreKey::scoped(
                &self.namespace,
                self.provider,
                "nonce",
                nonce,
                self.partition,
                *window,
            ));
        }
        keys.push(StoreKey::scoped(
            &self.namespace,
            self.provider,
            "event",
            id,
            self.partition,
            self.window,
        ));
        keys
    }
}

impl<E> Verified<E> {
    /// The typed event (`Unknown` for an event type this version does not know).
    pub fn event(&self) -> &E {
        &self.event
    }

    /// The typed event, taken out.
    pub fn into_event(self) -> E {
        self.event
    }

    /// The delivery's id: the one a retry of it carries again.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The signed timestamp, where the contract has one.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The keys `process` claims for this delivery (Valara's nonce first, then the event id),
    /// for an application that deduplicates in its own store.
    pub fn dedupe_keys(&self) -> Vec<StoreKey> {
        self.dedupe.keys(&self.id)
    }
}

/// A delivery that carries no signature to verify (EverReal documents none). It is not a
/// [`Verified`], and cannot be mistaken for one.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified<E> {
    event: E,
    id: String,
    dedupe: Dedupe,
}

impl<E> Unverified<E> {
    /// The typed event; its authenticity is not established.
    pub fn event(&self) -> &E {
        &self.event
    }

    /// The typed event, taken out.
    pub fn into_event(self) -> E {
        self.event
    }

    /// The id the delivery is deduplicated on.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The keys `process` claims for this delivery, in the [`Partition::Unverified`] partition.
    pub fn dedupe_keys(&self) -> Vec<StoreKey> {
        self.dedupe.keys(&self.id)
    }
}

/// Text taken from a delivery (or any other untrusted source), written for a log line or a
/// terminal: every control character, quote and backslash is escaped as Rust's
/// [`str::escape_debug`] does, so no input can start a new log line or send a terminal escape
/// sequence. The receiver's own logs write every value from a delivery through it.
///
/// ```
/// use proptech_events::receive::Escaped;
/// let forged = "evt_1\nprocessed #999: repull reservation.created (forged)\u{1b}[2J";
/// assert_eq!(
///     Escaped(forged).to_string(),
///     r"evt_1\nprocessed #999: repull reservation.created (forged)\u{1b}[2J"
/// );
/// ```
#[derive(Debug, Clone, Copy)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a newtype that only changes how its text is displayed; `Escaped(text)` is its use"
)]
pub struct Escaped<'a>(pub &'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.0.chars() {
            for e in c.escape_debug() {
                f.write_char(e)?;
            }
        }
        Ok(())
    }
}

/// An error and its sources, `: `-separated, for a log line (a [`StoreError`] says what failed, its
/// source why).
#[cfg(feature = "axum")]
pub(crate) fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// At most 64 characters of `text`, for echoing input in messages: an attacker's megabyte-long
/// header is not copied into every error.
pub(crate) fn truncate(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// What every receiver shares: secrets, options, the idempotency store and the clock.
#[derive(Clone)]
struct Core {
    keys: Vec<Vec<u8>>,
    /// Scopes the store keys: receivers with different namespaces never share a delivery id.
    namespace: Arc<str>,
    options: Options,
    store: Arc<dyn IdempotencyStore>,
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
            namespace: Arc::from(""),
            options: Options::default(),
            store: Arc::new(InMemoryStore::default()),
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
    /// Each key's HMAC-SHA256 of `parts`: one MAC per key, however many tags are compared.
    fn macs(&self, parts: &[&[u8]]) -> Vec<[u8; 32]> {
        self.keys
            .iter()
            .map(|key| {
                #[cfg(test)]
                MACS.with(|n| n.set(n.get() + 1));
                let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
                for p in parts {
                    mac.update(p);
                }
                mac.finalize().into_bytes().into()
            })
            .collect()
    }

    #[cfg(any(feature = "valara", feature = "repull", feature = "lavanda"))]
    /// Whether any key's HMAC-SHA256 of `parts` equals any of `tags`, compared in constant time
    /// (`subtle`). Each key's MAC is computed once; tags that are not 32 bytes never match.
    fn any_key_signs(&self, parts: &[&[u8]], tags: &[&[u8]]) -> bool {
        use subtle::ConstantTimeEq as _;
        let macs = self.macs(parts);
        let mut found = subtle::Choice::from(0);
        for tag in tags.iter().filter(|t| t.len() == 32) {
            for mac in &macs {
                found |= mac.as_slice().ct_eq(tag);
            }
        }
        found.into()
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
}

#[cfg(test)]
thread_local! {
    /// How many MACs this thread computed: tests bound the work per request by counting.
    pub(crate) static MACS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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
    crate::__private::parse_tracked(provider, body).map_err(ReceiveError::from_parse)
}

/// The typed event of `body`, whose event type is known: parsed straight from the bytes, or, with
/// `Options::with_validate`, parsed once into a JSON value that is validated against the event's
/// schema and then moved into the typed event without parsing the bytes again or copying its
/// strings.
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
#[cfg(feature = "validate")]
pub use validate::{SchemaViolation, schema_violations};

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
        reason: format!("{reason}: {:?}", truncate(value)),
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
            /// Verifies and parses a delivery, with the receiver's clock. It does **not**
            /// deduplicate: use `process`, or record [`Verified::dedupe_keys`] in your
            /// own transaction.
            pub fn receive<H: Headers + ?Sized>(
                &self,
                headers: &H,
                body: &[u8],
            ) -> Result<Verified<crate::$module::Event>, ReceiveError> {
                self.receive_at(headers, body, (self.core.clock)())
            }

            /// Verifies and parses a delivery, then processes it at most once and at least once:
            /// claims its keys in the store, runs `handler`, and records the delivery as done
            /// only if the handler returned `Ok`. An `Err`, a panic, or running past
            /// [`Options::handler_timeout`](crate::receive::Options::handler_timeout) releases
            /// the claim, so the provider's retry is processed.
            #[cfg(feature = "process")]
            pub async fn process<H, F, Fut, T, E>(
                &self,
                headers: &H,
                body: &[u8],
                handler: F,
            ) -> Result<$crate::receive::Processed<T>, $crate::receive::ProcessError<E>>
            where
                H: Headers + ?Sized,
                F: FnOnce(Verified<crate::$module::Event>) -> Fut,
                Fut: ::std::future::Future<Output = Result<T, E>>,
            {
                let delivery = self
                    .receive(headers, body)
                    .map_err($crate::receive::ProcessError::Rejected)?;
                let keys = delivery.dedupe_keys();
                self.core.process(delivery, keys, handler).await
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

            /// Uses `store` to record deliveries in flight and done: share one store across
            /// receivers, or a Redis-backed one (feature `redis`) to share it across
            /// processes.
            pub fn with_store(
                mut self,
                store: ::std::sync::Arc<dyn $crate::receive::IdempotencyStore>,
            ) -> Self {
                self.core.store = store;
                self
            }

            /// Scopes this receiver's store keys to `namespace`: two receivers of one provider
            /// sharing a store (two tenants, two endpoints) with different namespaces never
            /// take each other's delivery ids for duplicates. The default is the empty
            /// namespace, shared.
            pub fn with_namespace(mut self, namespace: impl AsRef<str>) -> Self {
                self.core.namespace = ::std::sync::Arc::from(namespace.as_ref());
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
