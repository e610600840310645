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
#[cfg(feature = "cloudevents")]
pub mod cloudevents;
pub mod contract;
mod error;
mod explain;
mod headers;
mod memory;
#[cfg(feature = "process")]
pub(crate) mod process;
#[doc(hidden)]
pub mod receiver;
#[cfg(feature = "redis")]
mod redis;
#[rustfmt::skip]
#[path = "../generated/receivers.rs"]
mod receivers;
#[cfg(feature = "axum")]
pub mod server;
mod store;
#[cfg(feature = "redis")]
pub mod stream;
#[cfg(feature = "process")]
pub mod telemetry;

use std::sync::Arc;

pub use error::{ReceiveError, SecretError};
pub use explain::SignatureCheck;
pub use headers::Headers;
pub use memory::{ENTRY_BYTES, InMemoryStore};
#[cfg(feature = "process")]
pub use process::{ProcessError, Processed, RetryLater};
#[cfg(feature = "process")]
pub use receiver::process;
pub use receiver::{Delivery, Receiver, Visit};
#[allow(unused_imports)] // with every provider feature off, there is none
pub use receivers::*;
#[cfg(feature = "redis")]
pub use redis::{Durability, RedisStore, check_settings};
pub use store::{
    Claim, ClaimToken, IdempotencyStore, Partition, StoreError, StoreFuture, StoreKey,
};

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
    /// running after that has already been retried or given up on). It counts from the call; a
    /// handler that blocks its thread instead of awaiting is abandoned at its next `.await`.
    pub handler_timeout: u64,
    /// Accept only deliveries their event's JSON Schema accepts (off by default). The typed parse
    /// is the check: it accepts exactly what the schemas accept, apart from a value outside an
    /// `enum` (kept in a catch-all) and an event type the schemas do not know (kept as
    /// `Unknown`), and with `validate` both of those are rejected as a
    /// [`ReceiveError::SchemaViolation`] too. A compiled JSON Schema validator runs only to name
    /// the violation. Leave it off to keep new event types and enum values as they arrive.
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
pub(crate) struct Dedupe {
    /// The receiver's key scope ([`ValaraReceiver::with_namespace`] and the like).
    namespace: Arc<str>,
    provider: &'static str,
    partition: Partition,
    window: u64,
    /// Valara's nonce and how long it is kept.
    nonce: Option<(String, u64)>,
}

impl Dedupe {
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

impl<E> receiver::sealed::Sealed for Verified<E> {}

impl<E: crate::__private::ProviderEvent> Delivery for Verified<E> {
    type Event = E;
    fn event(&self) -> &E {
        &self.event
    }
    fn event_type(&self) -> &str {
        self.event.event_type()
    }
    fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn dedupe_keys(&self) -> Vec<StoreKey> {
        self.dedupe.keys(&self.id)
    }
    #[cfg(feature = "cloudevents")]
    fn to_cloud_event(&self) -> Result<::cloudevents::Event, cloudevents::CloudEventError> {
        Self::to_cloud_event(self)
    }
    fn __wrap(r: contract::Received<E>) -> Self {
        Self {
            event: r.event,
            id: r.id,
            timestamp: r.timestamp,
            dedupe: r.dedupe,
        }
    }
}

impl<E> receiver::sealed::Sealed for Unverified<E> {}

impl<E: crate::__private::ProviderEvent> Delivery for Unverified<E> {
    type Event = E;
    fn event(&self) -> &E {
        &self.event
    }
    fn event_type(&self) -> &str {
        self.event.event_type()
    }
    fn timestamp(&self) -> Option<i64> {
        None
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn dedupe_keys(&self) -> Vec<StoreKey> {
        self.dedupe.keys(&self.id)
    }
    #[cfg(feature = "cloudevents")]
    fn to_cloud_event(&self) -> Result<::cloudevents::Event, cloudevents::CloudEventError> {
        Self::to_cloud_event(self)
    }
    fn __wrap(r: contract::Received<E>) -> Self {
        Self {
            event: r.event,
            id: r.id,
            dedupe: r.dedupe,
        }
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
    let mut out = String::with_capacity(text.len().min(TRUNCATED));
    push_truncated(&mut out, text);
    out
}

/// How many bytes of a value [`truncate`] keeps.
pub(crate) const TRUNCATED: usize = 64;

/// Appends `text` to `out` as [`truncate`] gives it.
pub(crate) fn push_truncated(out: &mut String, text: &str) {
    if text.len() <= TRUNCATED {
        out.push_str(text);
        return;
    }
    let mut end = TRUNCATED;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    use std::fmt::Write as _;
    out.push_str(&text[..end]);
    let _ = write!(out, "… ({} bytes)", text.len());
}

/// What every receiver shares: secrets, options, the idempotency store and the clock. Not public
/// API: only the generated receivers hold one.
#[doc(hidden)]
#[derive(Clone)]
pub struct Core {
    keys: Vec<Vec<u8>>,
    /// The keys as HMACs of the contract's hash, keyed once on first use.
    keyed: std::sync::OnceLock<Vec<contract::Keyed>>,
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
    #[doc(hidden)]
    /// A core keyed with `keys`; at least one, none empty.
    pub fn new(keys: Vec<Vec<u8>>) -> Result<Self, SecretError> {
        if keys.is_empty() {
            return Err(SecretError::NoSecrets);
        }
        if keys.iter().any(Vec::is_empty) {
            return Err(SecretError::Empty);
        }
        Ok(Self {
            keys,
            ..Self::unsigned()
        })
    }

    #[doc(hidden)]
    /// A core without keys, for a provider that signs nothing.
    pub fn unsigned() -> Self {
        Self {
            keys: Vec::new(),
            keyed: std::sync::OnceLock::new(),
            namespace: Arc::from(""),
            options: Options::default(),
            store: Arc::new(InMemoryStore::default()),
            clock: system_now,
        }
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

    /// Whether any key's MAC of `parts` equals any of `tags`, compared in constant time
    /// (`subtle`). Each key's MAC is computed once, however many tags are compared, from an HMAC
    /// keyed once per receiver; tags of another length never match.
    fn any_key_signs(
        &self,
        algorithm: contract::Algorithm,
        parts: &[&[u8]],
        tags: &[&[u8]],
    ) -> bool {
        use subtle::ConstantTimeEq as _;
        let keyed = self
            .keyed
            .get_or_init(|| self.keys.iter().map(|k| algorithm.keyed(k)).collect());
        let mut found = subtle::Choice::from(0);
        let mut mac = [0u8; 64];
        for (raw, key) in self.keys.iter().zip(keyed) {
            #[cfg(test)]
            MACS.with(|n| n.set(n.get() + 1));
            // A receiver serves one contract, so one hash; another is keyed afresh.
            let len = if key.algorithm() == algorithm {
                key.mac(parts, &mut mac)
            } else {
                algorithm.keyed(raw).mac(parts, &mut mac)
            };
            for tag in tags.iter().filter(|t| t.len() == algorithm.mac_len()) {
                found |= mac[..len].ct_eq(tag);
            }
        }
        found.into()
    }

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

#[cfg(feature = "validate")]
mod validate;
#[cfg(feature = "validate")]
pub use validate::{SchemaViolation, parse_validated, schema_violations};

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
