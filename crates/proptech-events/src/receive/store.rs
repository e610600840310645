//! Idempotency stores: where a receiver records which deliveries are in flight and which were
//! processed, so a duplicate is never processed twice and a failed delivery is processed on retry.
//!
//! A delivery's key goes through three states:
//!
//! ```text
//! new ──claim──▶ claimed (in flight, for a lease) ──complete──▶ done (kept for the dedupe window)
//!                     │
//!                     └──release (handler failed, panicked, timed out), or the lease expired──▶ new
//! ```
//!
//! Only the claimer can complete or release a claim: each claim carries a random [`ClaimToken`],
//! and a claim whose lease expired (and was taken by another claimer) is neither completed nor
//! released by the first one.
//!
//! A delivery's keys (Valara's nonce and event id) are claimed, completed and released **as one
//! unit**: one cannot be evicted, expire or be completed without the other.
//!
//! A store is bounded, and a bound never breaks the promise: a claim in flight and a done entry
//! inside its window are never evicted. When there is no room for a new claim, the store answers
//! [`Claim::Full`] and the receiver refuses the delivery with a retryable answer (`503` with
//! `Retry-After`); the provider's retry comes back when expired entries have made room.

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

/// The future a store returns: boxed, so `Arc<dyn IdempotencyStore>` works.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or answered something it should not have. A receiver answers
/// `503` for it, never `2xx`, so the provider retries, and never tells the provider why: the
/// text is for the receiver's logs.
///
/// Its `Display` says what failed; the error underneath, when there is one (the Redis client's),
/// is its [`source`](std::error::Error::source), as error reporters expect.
///
/// ```
/// use std::error::Error as _;
/// use proptech_events::receive::StoreError;
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let e = StoreError::with_source("cannot connect", refused);
/// assert_eq!(e.to_string(), "idempotency store unavailable: cannot connect");
/// assert_eq!(e.message(), "cannot connect");
/// assert!(e.source().is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("idempotency store unavailable: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    /// An error that `message` describes entirely (a wrong setting, an answer that makes no
    /// sense).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error caused by `source` (the store client's error), with `message` saying what the
    /// store was doing.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// What failed, without the `idempotency store unavailable` prefix or the source.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Whose entries a key belongs to. Unverified deliveries (EverReal, which documents no signature)
/// are kept in their own bounded partition, so a flood of them can never evict the entries of a
/// signed provider.
///
/// A later release may add partitions: a store that budgets partitions should give one it does
/// not know the budget of [`Partition::Unverified`], the tightest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Partition {
    /// Deliveries whose signature was verified.
    Signed,
    /// Deliveries nobody could authenticate.
    Unverified,
}

/// A delivery's key in a store: SHA-256 of the namespace, the provider, the kind of key and the
/// id, so every key costs the same whatever the id's length, and two receivers with different
/// namespaces (two tenants of one provider sharing a store) never see each other's ids.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    digest: [u8; 32],
    partition: Partition,
    /// How long the key is kept once done, in seconds.
    window: u64,
    /// The id as received, truncated, for messages.
    label: String,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreKey({} {})", self.label, self.hex())
    }
}

impl StoreKey {
    /// The key of `id` of the given `kind` (`"event"`, `"nonce"`, …) of `provider`, kept for
    /// `window` seconds once done, in the default (empty) namespace.
    pub fn new(provider: &str, kind: &str, id: &str, partition: Partition, window: u64) -> Self {
        Self::scoped("", provider, kind, id, partition, window)
    }

    /// The key of `id` as [`new`](Self::new) makes it, inside `namespace`: keys of different
    /// namespaces never collide, whatever their ids.
    pub fn scoped(
        namespace: &str,
        provider: &str,
        kind: &str,
        id: &str,
        partition: Partition,
        window: u64,
    ) -> Self {
        let mut h = Sha256::new();
        for part in [namespace, provider, kind, id] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        // The label in one allocation: keys are made for every delivery `process` handles.
        let mut label = String::with_capacity(
            namespace.len().min(super::TRUNCATED)
                + provider.len()
                + kind.len()
                + id.len().min(super::TRUNCATED)
                + 3,
        );
        if !namespace.is_empty() {
            super::push_truncated(&mut label, namespace);
            label.push(' ');
        }
        label.push_str(provider);
        label.push(' ');
        label.push_str(kind);
        label.push(' ');
        super::push_truncated(&mut label, id);
        Self {
            digest: h.finalize().into(),
            partition,
            window,
            label,
        }
    }

    /// The SHA-256 digest.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The digest in lowercase hex (64 characters).
    pub fn hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// The partition the key belongs to.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// How long the key is kept once done, in seconds.
    pub fn window(&self) -> u64 {
        self.window
    }

    /// Provider, kind and the (truncated) id, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// The token of one claim; only its holder can complete or release the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(u128);

impl ClaimToken {
    /// A fresh token: unique in this process, and across processes sharing a store with
    /// overwhelming probability, at no system call per token. The low 64 bits are a random start
    /// drawn once per process plus a counter, so no two tokens of one process are equal; the high
    /// 64 bits are random bits drawn once mixed with the clock's nanoseconds (read through the
    /// vDSO), so processes forked after the first token, which share the seed and the counter,
    /// still make different tokens.
    pub fn random() -> Self {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEED: OnceLock<(u64, u64)> = OnceLock::new();
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let &(high, low) = SEED.get_or_init(|| {
            let seed = uuid::Uuid::new_v4().as_u64_pair();
            (seed.0, seed.1)
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        Self(u128::from(high ^ nanos) << 64 | u128::from(low.wrapping_add(n)))
    }

    /// The token as two 64-bit halves, high first.
    pub(crate) fn halves(self) -> [u64; 2] {
        [(self.0 >> 64) as u64, self.0 as u64]
    }

    /// The token as text (32 hex digits), as stored by stores that keep text.
    pub fn to_text(self) -> String {
        format!("{:032x}", self.0)
    }
}

/// What a claim of a delivery's keys found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Every key was new (or released, or its lease expired): the caller now holds them all.
    Claimed,
    /// The delivery was processed already (the key at index `key` is done): acknowledge it, do
    /// not process it again. Nothing was claimed.
    Done {
        /// The index, in the keys claimed, of the key found done.
        key: usize,
    },
    /// Another claimer is processing it now (the key at index `key` is in flight): answer a
    /// status the provider retries on. Nothing was claimed.
    InFlight {
        /// The index, in the keys claimed, of the key found in flight.
        key: usize,
    },
    /// The store has no room for the keys without forgetting live work: nothing was claimed.
    /// Answer a status the provider retries on (`503` with `Retry-After`); expired entries make
    /// room by then.
    Full,
}

/// Records which deliveries are in flight and which are done. A delivery's keys are one unit:
/// implementations must make `claim` atomic over all of them (of concurrent claims sharing a key,
/// exactly one gets [`Claim::Claimed`], and a claim takes every key or none), and must never
/// evict a key in flight or a done key inside its window to make room: they answer
/// [`Claim::Full`] instead.
///
/// Times are Unix seconds from the receiver's clock; a store with its own clock (Redis) may use
/// that instead.
pub trait IdempotencyStore: Send + Sync {
    /// Claims every one of `keys` for `lease` seconds with `token`, or none of them.
    fn claim<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> StoreFuture<'a, Claim>;

    /// Marks `keys`, claimed with `token`, as done, each for its window. Returns `false` (and
    /// changes nothing) when any of them was no longer held (its lease expired and someone else
    /// claimed it).
    fn complete<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// Releases those of `keys` still claimed with `token`, so a retry can claim them. Returns
    /// `false` when none was held.
    fn release<'a>(&'a self, keys: &'a [StoreKey], token: ClaimToken) -> StoreFuture<'a, bool>;

    /// [`claim`](Self::claim) for a store that answers without waiting (one in the process's
    /// memory): `Some` with the answer `claim` would give, and the receiver does not call
    /// `claim`; `None` (the default) to be asked through `claim`. It saves a boxed future per
    /// delivery.
    fn claim_at_once(
        &self,
        keys: &[StoreKey],
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> Option<Result<Claim, StoreError>> {
        let _ = (keys, token, lease, now);
        None
    }

    /// [`complete`](Self::complete) for a store that answers without waiting, as
    /// [`claim_at_once`](Self::claim_at_once) is for `claim`.
    fn complete_at_once(
        &self,
        keys: &[StoreKey],
        token: ClaimToken,
        now: i64,
    ) -> Option<Result<bool, StoreError>> {
        let _ = (keys, token, now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fixed_size_and_do_not_collide_across_fields() {
        let a = StoreKey::new("repull", "event", "ab", Partition::Signed, 1);
        let b = StoreKey::new("repull", "eventa", "b", Partition::Signed, 1);
        assert_ne!(a.digest(), b.digest(), "lengths are part of the hash");
        let long = "x".repeat(1 << 20);
        let c = StoreKey::new("everreal", "event", &long, Partition::Unverified, 1);
        assert_eq!(c.hex().len(), 64);
        assert!(c.label().len() < 200, "the label is truncated");
    }

    #[test]
    fn namespaces_keep_keys_apart() {
        let a = StoreKey::scoped("tenant-a", "repull", "event", "evt_1", Partition::Signed, 1);
        let b = StoreKey::scoped("tenant-b", "repull", "event", "evt_1", Partition::Signed, 1);
        let plain = StoreKey::new("repull", "event", "evt_1", Partition::Signed, 1);
        assert_ne!(a.digest(), b.digest());
        assert_ne!(a.digest(), plain.digest());
        assert_eq!(
            plain.digest(),
            StoreKey::scoped("", "repull", "event", "evt_1", Partition::Signed, 1).digest()
        );
        assert!(a.label().starts_with("tenant-a repull"), "{}", a.label());
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(ClaimToken::random(), ClaimToken::random());
        assert_eq!(ClaimToken::random().to_text().len(), 32);
    }
}
