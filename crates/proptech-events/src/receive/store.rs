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

use std::future::Future;
use std::pin::Pin;

use sha2::{Digest, Sha256};

/// The future a store returns: boxed, so `Arc<dyn IdempotencyStore>` works.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store could not be reached or answered something it should not have. A receiver answers
/// `503` for it, never `2xx`, so the provider retries.
#[derive(Debug, thiserror::Error)]
#[error("idempotency store unavailable: {0}")]
pub struct StoreError(pub String);

/// Whose entries a key belongs to. Unverified deliveries (EverReal, which documents no signature)
/// are kept in their own bounded partition, so a flood of them can never evict the entries of a
/// signed provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// Deliveries whose signature was verified.
    Signed,
    /// Deliveries nobody could authenticate.
    Unverified,
}

/// A delivery's key in a store: SHA-256 of the provider, the kind of key and the id, so every key
/// costs the same whatever the id's length.
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
    /// `window` seconds once done.
    pub fn new(provider: &str, kind: &str, id: &str, partition: Partition, window: u64) -> Self {
        let mut h = Sha256::new();
        for part in [provider, kind, id] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        Self {
            digest: h.finalize().into(),
            partition,
            window,
            label: format!("{provider} {kind} {}", super::truncate(id)),
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

/// The random token of one claim; only its holder can complete or release the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimToken(u128);

impl ClaimToken {
    /// A fresh random token.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().as_u128())
    }

    /// The token as text (32 hex digits), as stored by stores that keep text.
    pub fn to_text(self) -> String {
        format!("{:032x}", self.0)
    }
}

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key was new (or released, or its lease expired): the caller now holds it.
    Claimed,
    /// The delivery was processed already: acknowledge it, do not process it again.
    Done,
    /// Another claimer is processing it now: answer a status the provider retries on.
    InFlight,
}

/// Records which deliveries are in flight and which are done. Implementations must make `claim`
/// atomic: of concurrent claims of one key, exactly one gets [`Claim::Claimed`].
///
/// Times are Unix seconds from the receiver's clock; a store with its own clock (Redis) may use
/// that instead.
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `lease` seconds with `token`.
    fn claim<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> StoreFuture<'a, Claim>;

    /// Marks `key`, claimed with `token`, as done for its window. Returns `false` when the claim
    /// was no longer held (its lease expired and someone else claimed it).
    fn complete<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        now: i64,
    ) -> StoreFuture<'a, bool>;

    /// Releases `key`, claimed with `token`, so a retry can claim it. Returns `false` when the
    /// claim was no longer held.
    fn release<'a>(&'a self, key: &'a StoreKey, token: ClaimToken) -> StoreFuture<'a, bool>;
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
    fn tokens_differ() {
        assert_ne!(ClaimToken::random(), ClaimToken::random());
        assert_eq!(ClaimToken::random().to_text().len(), 32);
    }
}
