//! The in-memory [`IdempotencyStore`]: one process, bounded in bytes, keys hashed, entries evicted
//! in expiry order, unverified deliveries in their own partition.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::store::{Claim, ClaimToken, IdempotencyStore, Partition, StoreFuture, StoreKey};

/// What one entry may cost at worst: its hash-map slot (digest, expiry, state and control byte:
/// 81 bytes) times the table's slack right after it doubled (up to 2.3 slots per entry), plus its
/// element of the expiry index with its share of the tree's nodes (up to about 170 bytes). The
/// test `memory_bound` fills a partition sized for that worst case and measures it with dhat.
pub const ENTRY_BYTES: usize = 384;

/// The default in-memory [`IdempotencyStore`] of every receiver.
///
/// - **Bounded in bytes**: each partition holds at most `bytes / ENTRY_BYTES` entries, whatever
///   the ids' length, because a key is the SHA-256 of provider, kind and id.
/// - **Evicted in expiry order**: when a partition is full, the entry closest to its expiry goes
///   first (expired entries are dropped on every claim), so a short-window entry (a Valara nonce)
///   never lingers behind long-window ones.
/// - **Partitioned**: unverified deliveries (EverReal) fill their own partition and can never
///   evict the entries of a signed provider.
///
/// Size the signed partition above the number of deliveries expected within the longest dedupe
/// window (48 h by default); an evicted `done` entry lets a replay of that delivery through.
#[derive(Debug)]
pub struct InMemoryStore {
    signed: Mutex<Part>,
    unverified: Mutex<Part>,
}

#[derive(Debug)]
struct Part {
    max_entries: usize,
    entries: HashMap<[u8; 32], Entry>,
    by_expiry: BTreeSet<(i64, [u8; 32])>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    expiry: i64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight(ClaimToken),
    Done,
}

fn at(now: i64, seconds: u64) -> i64 {
    now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

impl Part {
    fn new(bytes: usize) -> Self {
        Self {
            max_entries: (bytes / ENTRY_BYTES).max(1),
            entries: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    fn remove(&mut self, digest: &[u8; 32]) -> Option<Entry> {
        let entry = self.entries.remove(digest)?;
        self.by_expiry.remove(&(entry.expiry, *digest));
        Some(entry)
    }

    fn set(&mut self, digest: [u8; 32], entry: Entry) {
        if let Some(old) = self.entries.insert(digest, entry) {
            self.by_expiry.remove(&(old.expiry, digest));
        }
        self.by_expiry.insert((entry.expiry, digest));
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some(&(expiry, digest)) = self.by_expiry.first() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop_first();
            self.entries.remove(&digest);
        }
    }

    fn claim(&mut self, digest: [u8; 32], token: ClaimToken, lease: u64, now: i64) -> Claim {
        self.forget_expired(now);
        if let Some(entry) = self.entries.get(&digest) {
            return match entry.state {
                State::Done => Claim::Done,
                State::InFlight(_) => Claim::InFlight,
            };
        }
        while self.entries.len() >= self.max_entries {
            match self.by_expiry.pop_first() {
                Some((_, evicted)) => {
                    self.entries.remove(&evicted);
                }
                None => break,
            }
        }
        self.set(
            digest,
            Entry {
                expiry: at(now, lease),
                state: State::InFlight(token),
            },
        );
        Claim::Claimed
    }

    fn held(&self, digest: &[u8; 32], token: ClaimToken) -> bool {
        self.entries
            .get(digest)
            .is_some_and(|e| e.state == State::InFlight(token))
    }
}

impl InMemoryStore {
    /// A store whose signed partition holds at most `signed_bytes` and whose unverified partition
    /// holds at most `unverified_bytes` (each at least one entry).
    pub fn new(signed_bytes: usize, unverified_bytes: usize) -> Self {
        Self {
            signed: Mutex::new(Part::new(signed_bytes)),
            unverified: Mutex::new(Part::new(unverified_bytes)),
        }
    }

    fn part(&self, partition: Partition) -> std::sync::MutexGuard<'_, Part> {
        let part = match partition {
            Partition::Signed => &self.signed,
            Partition::Unverified => &self.unverified,
        };
        part.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many entries a partition holds now (expired ones included until the next claim).
    pub fn len(&self, partition: Partition) -> usize {
        self.part(partition).entries.len()
    }

    /// The most entries a partition holds.
    pub fn capacity(&self, partition: Partition) -> usize {
        self.part(partition).max_entries
    }

    /// Claims synchronously (the store never waits); what [`IdempotencyStore::claim`] does.
    pub fn claim_now(&self, key: &StoreKey, token: ClaimToken, lease: u64, now: i64) -> Claim {
        self.part(key.partition())
            .claim(*key.digest(), token, lease, now)
    }

    /// Completes synchronously; what [`IdempotencyStore::complete`] does.
    pub fn complete_now(&self, key: &StoreKey, token: ClaimToken, now: i64) -> bool {
        let mut part = self.part(key.partition());
        if !part.held(key.digest(), token) {
            return false;
        }
        part.set(
            *key.digest(),
            Entry {
                expiry: at(now, key.window()),
                state: State::Done,
            },
        );
        true
    }

    /// Releases synchronously; what [`IdempotencyStore::release`] does.
    pub fn release_now(&self, key: &StoreKey, token: ClaimToken) -> bool {
        let mut part = self.part(key.partition());
        if !part.held(key.digest(), token) {
            return false;
        }
        part.remove(key.digest());
        true
    }
}

impl Default for InMemoryStore {
    /// 64 MiB for signed deliveries (174,762 entries), 16 MiB for unverified ones (43,690).
    fn default() -> Self {
        Self::new(64 << 20, 16 << 20)
    }
}

impl IdempotencyStore for InMemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> StoreFuture<'a, Claim> {
        let claim = self.claim_now(key, token, lease, now);
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete<'a>(
        &'a self,
        key: &'a StoreKey,
        token: ClaimToken,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        let done = self.complete_now(key, token, now);
        Box::pin(std::future::ready(Ok(done)))
    }

    fn release<'a>(&'a self, key: &'a StoreKey, token: ClaimToken) -> StoreFuture<'a, bool> {
        let released = self.release_now(key, token);
        Box::pin(std::future::ready(Ok(released)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, partition: Partition, window: u64) -> StoreKey {
        StoreKey::new("p", "event", id, partition, window)
    }

    #[test]
    fn claim_complete_release_and_lease_expiry() {
        let s = InMemoryStore::default();
        let k = key("a", Partition::Signed, 100);
        let (t1, t2) = (ClaimToken::random(), ClaimToken::random());
        assert_eq!(s.claim_now(&k, t1, 10, 0), Claim::Claimed);
        assert_eq!(s.claim_now(&k, t2, 10, 5), Claim::InFlight);
        assert!(!s.release_now(&k, t2), "only the claimer releases");
        assert!(s.release_now(&k, t1));
        assert_eq!(s.claim_now(&k, t2, 10, 6), Claim::Claimed, "released");
        assert_eq!(
            s.claim_now(&k, t1, 10, 16),
            Claim::Claimed,
            "the lease expired"
        );
        assert!(
            !s.complete_now(&k, t2, 17),
            "the lost claim cannot complete"
        );
        assert!(s.complete_now(&k, t1, 17));
        assert_eq!(
            s.claim_now(&k, t2, 10, 116),
            Claim::Done,
            "inside the window"
        );
        assert_eq!(s.claim_now(&k, t2, 10, 117), Claim::Claimed, "window over");
    }

    #[test]
    fn eviction_follows_expiry_not_insertion() {
        let s = InMemoryStore::new(3 * ENTRY_BYTES, ENTRY_BYTES);
        let t = ClaimToken::random();
        let long = key("long", Partition::Signed, 10_000);
        let nonce = key("nonce", Partition::Signed, 600);
        for k in [&long, &nonce] {
            assert_eq!(s.claim_now(k, t, 10, 0), Claim::Claimed);
            assert!(s.complete_now(k, t, 0));
        }
        // The nonce expired: it is gone on the next claim, without evicting the long entry.
        for (i, id) in ["b", "c"].into_iter().enumerate() {
            let k = key(id, Partition::Signed, 10_000);
            assert_eq!(s.claim_now(&k, t, 10, 601 + i as i64), Claim::Claimed);
            assert!(s.complete_now(&k, t, 601 + i as i64));
        }
        assert_eq!(s.len(Partition::Signed), 3);
        assert_eq!(s.claim_now(&long, t, 10, 700), Claim::Done, "kept");
        // Full: the next one evicts the soonest expiry, which is "long" (expiry 10,000).
        let d = key("d", Partition::Signed, 20_000);
        assert_eq!(s.claim_now(&d, t, 10, 700), Claim::Claimed);
        assert_eq!(s.len(Partition::Signed), 3);
    }

    #[test]
    fn unverified_entries_never_evict_signed_ones() {
        let s = InMemoryStore::new(4 * ENTRY_BYTES, 4 * ENTRY_BYTES);
        let t = ClaimToken::random();
        let signed = key("signed", Partition::Signed, 100);
        assert_eq!(s.claim_now(&signed, t, 10, 0), Claim::Claimed);
        assert!(s.complete_now(&signed, t, 0));
        for i in 0..1_000 {
            let k = key(&format!("flood-{i}"), Partition::Unverified, 1_000_000);
            assert_eq!(s.claim_now(&k, t, 10, 1), Claim::Claimed);
        }
        assert_eq!(s.len(Partition::Unverified), 4);
        assert_eq!(s.claim_now(&signed, t, 10, 2), Claim::Done);
    }

    #[test]
    fn extreme_windows_and_clocks_do_not_overflow() {
        let s = InMemoryStore::default();
        let t = ClaimToken::random();
        let k = key("a", Partition::Signed, u64::MAX);
        assert_eq!(s.claim_now(&k, t, u64::MAX, i64::MAX - 10), Claim::Claimed);
        assert!(s.complete_now(&k, t, i64::MAX - 1));
        assert_eq!(s.claim_now(&k, t, 1, i64::MAX - 1), Claim::Done);
        let k = key("b", Partition::Signed, 0);
        assert_eq!(s.claim_now(&k, t, 0, i64::MIN), Claim::Claimed);
    }

    #[test]
    fn concurrent_claims_of_one_key_pass_exactly_once() {
        let s = std::sync::Arc::new(InMemoryStore::default());
        let passed: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let s = std::sync::Arc::clone(&s);
                    scope.spawn(move || {
                        (0..100)
                            .filter(|i| {
                                let k = key(&format!("id-{i}"), Partition::Signed, 60);
                                s.claim_now(&k, ClaimToken::random(), 60, 0) == Claim::Claimed
                            })
                            .count()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .sum()
        });
        assert_eq!(
            passed, 100,
            "each of the 100 ids is claimed once across 8 threads"
        );
    }
}
