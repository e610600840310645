//! The in-memory [`IdempotencyStore`]: one process, bounded in bytes, keys hashed, only expired
//! entries forgotten, unverified deliveries in their own partition.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::store::{
    Claim, ClaimToken, IdempotencyStore, Partition, StoreError, StoreFuture, StoreKey,
};

/// What one entry may cost at worst: its hash-map slot (digest and its hash, expiry, state and
/// control byte: 73 bytes) times the table's slack right after it doubled (up to 2.3 slots per
/// entry), plus its place in an expiry index: an element of its window's queue for a done entry,
/// or of its lease's queue for a claim in flight (48 bytes, at most four times over: a queue's
/// buffer is given back once it is a quarter full, and a claim queue holds at most one and a half
/// elements per claim in flight), or an element of the ordered index with its share of the tree's
/// nodes (up to about 170 bytes) beyond the first eight windows or leases. The tests
/// `memory_bound` fill a partition sized for that worst case and measure it with dhat.
pub const ENTRY_BYTES: usize = 384;

// The slot and queue element sizes `ENTRY_BYTES` counts.
const _: () = assert!(std::mem::size_of::<(Tagged, Entry)>() == 72);
const _: () = assert!(std::mem::size_of::<(i64, Tagged)>() == 48);
const _: () = assert!(std::mem::size_of::<(Tagged, u32)>() == 48);

/// The default in-memory [`IdempotencyStore`] of every receiver.
///
/// - **Bounded in bytes**: each partition holds at most `bytes / ENTRY_BYTES` entries, whatever
///   the ids' length, because a key is the SHA-256 of namespace, provider, kind and id.
/// - **Never forgets live work**: a claim in flight and a done entry inside its window are never
///   evicted. Expired entries are dropped on every claim; when a partition still has no room, the
///   claim answers [`Claim::Full`] (the receiver answers `503` with `Retry-After`, and the
///   provider's retry comes back when entries have expired). [`refused`](Self::refused) counts
///   those answers.
/// - **Partitioned**: unverified deliveries (EverReal) fill their own partition, so a flood of
///   them can neither evict nor crowd out the entries of a signed provider.
///
/// **Sizing.** A partition must hold every delivery of the longest dedupe window: the default
/// signed partition (64 MiB, 174,762 entries) covers a steady **one delivery per second** over
/// the 48-hour window (Valara's deliveries take two entries, nonce and event id, for the
/// nonce's 10 minutes). Above that rate the store refuses deliveries (retryably) until entries
/// expire: size it with [`InMemoryStore::new`] at `ENTRY_BYTES × rate × window` bytes.
#[derive(Debug)]
pub struct InMemoryStore {
    signed: Mutex<Part>,
    unverified: Mutex<Part>,
    refused_signed: AtomicU64,
    refused_unverified: AtomicU64,
}

/// How many distinct windows, and how many distinct leases, get a queue of their own in a
/// partition. A store serves a few receivers, each with a few windows (a dedupe window, a nonce
/// window) and one lease; entries of any further window or lease are indexed in the ordered set
/// instead.
const QUEUES: usize = 8;

/// The done entries of one window, in the order they were completed: expiry and key.
type Queue = VecDeque<(i64, Tagged)>;

/// The claims in flight of one lease, in the order they were made: key and the claim's number
/// ([`State::InFlight`]'s `claim`), which tells the claim apart from a later claim of the same key.
type Claims = VecDeque<(Tagged, u32)>;

/// A key's digest with the partition's keyed hash of it, computed once per store call: the
/// table, the expiry indexes and a resize all reuse it instead of hashing the digest again.
///
/// The hash is SipHash keyed at random per partition, as `HashMap`'s default is: ids are chosen
/// by senders (anonymous ones, in the unverified partition), and although a digest is SHA-256,
/// grinding ids for digests whose unkeyed low bits collide costs a sender little.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Tagged {
    hash: u64,
    digest: [u8; 32],
}

impl Hash for Tagged {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The hasher of the table: it passes on the hash a [`Tagged`] carries.
#[derive(Default)]
struct Carried(u64);

impl Hasher for Carried {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `Tagged` is hashed here, through `write_u64`; any other input still hashes.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One partition. Every entry is in `entries` and in an expiry index:
///
/// - a done entry in the queue of its window, in the order it was completed. A done entry never
///   changes until it expires, and entries of one window complete in the clock's order, so each
///   queue is in expiry order and its front is the next to expire: completing costs a push, not
///   an insertion into a tree that holds every delivery of the window. Should the clock step
///   back, an entry behind a later one is forgotten late, never early.
/// - a claim in flight in the queue of its lease, in the order it was claimed, for the same
///   reason. A claim leaves its element behind when it completes or is released: an element
///   whose entry is no longer its claim (each claim has a number, which its element carries) is
///   dropped when it comes to the front, and the queues are compacted once they hold more than
///   one and a half times the claims in flight plus [`SLACK`], so that what is left behind stays
///   bounded by what is live.
/// - an entry of a window or lease beyond the first [`QUEUES`], in `by_expiry`, an ordered set.
#[derive(Debug)]
struct Part {
    max_entries: usize,
    /// The key of [`Tagged::hash`].
    keyed: RandomState,
    entries: HashMap<Tagged, Entry, BuildHasherDefault<Carried>>,
    by_expiry: BTreeSet<(i64, Tagged)>,
    done: Vec<(u64, Queue)>,
    /// Claims in flight by lease, with the elements their completion or release left behind.
    claims: Vec<(u64, Claims)>,
    /// How many entries are claims in flight.
    in_flight: usize,
    /// The number of the latest claim (wrapping).
    claimed: u32,
}

/// How many elements left behind the claim queues may hold beyond the claims in flight before
/// they are compacted.
const SLACK: usize = 64;

/// After a burst, gives back what `queue` no longer needs: at most four times its length stays
/// allocated.
fn shrink<T>(queue: &mut VecDeque<T>) {
    if queue.capacity() > 64 && queue.len() < queue.capacity() / 4 {
        queue.shrink_to(queue.len() * 2);
    }
}

/// The index of the queue of `seconds` in `queues`, made if there is room for one more.
fn queue_of<T>(queues: &mut Vec<(u64, VecDeque<T>)>, seconds: u64) -> Option<usize> {
    match queues.iter().position(|(s, _)| *s == seconds) {
        Some(i) => Some(i),
        None if queues.len() < QUEUES => {
            queues.push((seconds, VecDeque::new()));
            Some(queues.len() - 1)
        }
        None => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    expiry: i64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight {
        /// The claim's token, as two halves: a `u128` would align the entry to 16 bytes and make
        /// it a third larger.
        token: [u64; 2],
        /// The claim's number in its partition, which its element in a claim queue carries.
        claim: u32,
    },
    Done,
}

impl State {
    fn holds(self, token: ClaimToken) -> bool {
        matches!(self, Self::InFlight { token: t, .. } if t == token.halves())
    }

    /// Whether this is the claim numbered `number`.
    fn is_claim(self, number: u32) -> bool {
        matches!(self, Self::InFlight { claim, .. } if claim == number)
    }
}

fn at(now: i64, seconds: u64) -> i64 {
    now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

impl Part {
    fn new(bytes: usize) -> Self {
        Self {
            max_entries: (bytes / ENTRY_BYTES).max(1),
            keyed: RandomState::new(),
            entries: HashMap::default(),
            by_expiry: BTreeSet::new(),
            done: Vec::new(),
            claims: Vec::new(),
            in_flight: 0,
            claimed: 0,
        }
    }

    /// `digest` with its hash in this partition.
    fn tag(&self, digest: &[u8; 32]) -> Tagged {
        Tagged {
            hash: self.keyed.hash_one(digest),
            digest: *digest,
        }
    }

    /// Inserts `entry` for `digest`, taking whatever entry it replaces out of the indexes.
    fn put(&mut self, digest: Tagged, entry: Entry) {
        if let Some(old) = self.entries.insert(digest, entry) {
            self.unindex(digest, old);
        }
    }

    /// Takes `old`, an entry of `digest` that is gone or replaced, out of the expiry indexes: out
    /// of the ordered set if it is there, out of the count of claims in flight if it was one (its
    /// element in a queue is passed over when it comes to the front).
    fn unindex(&mut self, digest: Tagged, old: Entry) {
        if matches!(old.state, State::InFlight { .. }) {
            self.in_flight -= 1;
        }
        if !self.by_expiry.is_empty() {
            self.by_expiry.remove(&(old.expiry, digest));
        }
    }

    /// Records a claim in flight on a key that has no entry, kept for `lease` seconds, until
    /// `expiry`.
    fn claim(&mut self, digest: Tagged, expiry: i64, lease: u64, token: ClaimToken) {
        self.claimed = self.claimed.wrapping_add(1);
        let state = State::InFlight {
            token: token.halves(),
            claim: self.claimed,
        };
        self.put(digest, Entry { expiry, state });
        self.in_flight += 1;
        match queue_of(&mut self.claims, lease) {
            Some(i) => self.claims[i].1.push_back((digest, self.claimed)),
            None => {
                self.by_expiry.insert((expiry, digest));
            }
        }
        let behind: usize = self.claims.iter().map(|(_, q)| q.len()).sum();
        if behind > self.in_flight + self.in_flight / 2 + SLACK {
            self.compact_claims();
        }
    }

    /// Drops the elements of the claim queues whose claim is no longer in flight.
    fn compact_claims(&mut self) {
        let entries = &self.entries;
        for (_, queue) in &mut self.claims {
            queue.retain(|(digest, claim)| {
                entries
                    .get(digest)
                    .is_some_and(|e| e.state.is_claim(*claim))
            });
            shrink(queue);
        }
    }

    /// Turns a claim in flight into a done entry kept for `window` seconds, until `expiry`.
    fn complete(&mut self, digest: Tagged, expiry: i64, window: u64) {
        self.put(
            digest,
            Entry {
                expiry,
                state: State::Done,
            },
        );
        match queue_of(&mut self.done, window) {
            Some(i) => self.done[i].1.push_back((expiry, digest)),
            None => {
                self.by_expiry.insert((expiry, digest));
            }
        }
    }

    /// Removes a claim in flight.
    fn release(&mut self, digest: &Tagged) {
        if let Some(entry) = self.entries.remove(digest) {
            self.unindex(*digest, entry);
        }
    }

    fn forget_expired(&mut self, now: i64) {
        while let Some(&(expiry, digest)) = self.by_expiry.first() {
            if expiry > now {
                break;
            }
            self.by_expiry.pop_first();
            // Only the entry this element was indexed for (a queue may index an earlier claim of
            // the same key).
            if self
                .entries
                .get(&digest)
                .is_some_and(|e| e.expiry == expiry)
                && let Some(old) = self.entries.remove(&digest)
                && matches!(old.state, State::InFlight { .. })
            {
                self.in_flight -= 1;
            }
        }
        for (_, queue) in &mut self.claims {
            // An element whose claim has ended (completed, released, or replaced by a later claim
            // of its key) goes as soon as it is at the front; a claim goes when its lease is over.
            while let Some(&(digest, claim)) = queue.front() {
                match self.entries.get(&digest) {
                    Some(e) if e.state.is_claim(claim) => {
                        if e.expiry > now {
                            break;
                        }
                        self.entries.remove(&digest);
                        self.in_flight -= 1;
                    }
                    _ => {}
                }
                queue.pop_front();
            }
            shrink(queue);
        }
        for (_, queue) in &mut self.done {
            while let Some(&(expiry, digest)) = queue.front() {
                if expiry > now {
                    break;
                }
                queue.pop_front();
                // The entry this element was queued for: done, and expired (only its own element
                // removes it).
                if self
                    .entries
                    .get(&digest)
                    .is_some_and(|e| e.state == State::Done && e.expiry <= now)
                {
                    self.entries.remove(&digest);
                }
            }
            shrink(queue);
        }
    }

    fn held(&self, digest: &Tagged, token: ClaimToken) -> bool {
        self.entries
            .get(digest)
            .is_some_and(|e| e.state.holds(token))
    }
}

/// The partitions a set of keys touches, locked in a fixed order (signed, then unverified), so
/// that a claim over both is atomic and two claims never wait on each other in a cycle.
struct Locked<'a> {
    signed: Option<std::sync::MutexGuard<'a, Part>>,
    unverified: Option<std::sync::MutexGuard<'a, Part>>,
}

impl Locked<'_> {
    fn part(&mut self, partition: Partition) -> &mut Part {
        let guard = match partition {
            Partition::Signed => self.signed.as_mut(),
            Partition::Unverified => self.unverified.as_mut(),
        };
        guard.expect("every partition of the keys is locked")
    }

    /// Each key's digest with its hash in its partition, computed once for the whole call.
    fn tags(&mut self, keys: &[StoreKey]) -> Tags {
        let mut tag = |k: &StoreKey| self.part(k.partition()).tag(k.digest());
        match keys {
            [] => Tags::Few([Tagged::default(); 2], 0),
            [a] => Tags::Few([tag(a), Tagged::default()], 1),
            [a, b] => Tags::Few([tag(a), tag(b)], 2),
            _ => Tags::Many(keys.iter().map(tag).collect()),
        }
    }
}

/// The [`Tagged`] keys of one call: on the stack for the one or two keys of a delivery.
enum Tags {
    Few([Tagged; 2], usize),
    Many(Vec<Tagged>),
}

impl Tags {
    /// Whether `keys[i]` came before in `keys` (these tags'): a key twice in one call is claimed
    /// and completed once, so that it has one element in a queue.
    fn repeats(&self, keys: &[StoreKey], i: usize) -> bool {
        let tags = self.as_slice();
        (0..i).any(|j| tags[j] == tags[i] && keys[j].partition() == keys[i].partition())
    }

    fn as_slice(&self) -> &[Tagged] {
        match self {
            Self::Few(tags, n) => &tags[..*n],
            Self::Many(tags) => tags,
        }
    }
}

fn lock(part: &Mutex<Part>) -> std::sync::MutexGuard<'_, Part> {
    part.lock().unwrap_or_else(|e| e.into_inner())
}

impl InMemoryStore {
    /// A store whose signed partition holds at most `signed_bytes` and whose unverified partition
    /// holds at most `unverified_bytes` (each at least one entry).
    pub fn new(signed_bytes: usize, unverified_bytes: usize) -> Self {
        Self {
            signed: Mutex::new(Part::new(signed_bytes)),
            unverified: Mutex::new(Part::new(unverified_bytes)),
            refused_signed: AtomicU64::new(0),
            refused_unverified: AtomicU64::new(0),
        }
    }

    fn part(&self, partition: Partition) -> std::sync::MutexGuard<'_, Part> {
        match partition {
            Partition::Signed => lock(&self.signed),
            Partition::Unverified => lock(&self.unverified),
        }
    }

    fn lock_for(&self, keys: &[StoreKey]) -> Locked<'_> {
        let uses = |p| keys.iter().any(|k| k.partition() == p);
        Locked {
            signed: uses(Partition::Signed).then(|| lock(&self.signed)),
            unverified: uses(Partition::Unverified).then(|| lock(&self.unverified)),
        }
    }

    /// How many entries a partition holds now (expired ones included until the next claim).
    pub fn len(&self, partition: Partition) -> usize {
        self.part(partition).entries.len()
    }

    /// The most entries a partition holds.
    pub fn capacity(&self, partition: Partition) -> usize {
        self.part(partition).max_entries
    }

    /// How many claims on a partition were refused with [`Claim::Full`] since the store was made.
    pub fn refused(&self, partition: Partition) -> u64 {
        match partition {
            Partition::Signed => self.refused_signed.load(Ordering::Relaxed),
            Partition::Unverified => self.refused_unverified.load(Ordering::Relaxed),
        }
    }

    /// Claims synchronously (the store never waits); what [`IdempotencyStore::claim`] does.
    pub fn claim_now(&self, keys: &[StoreKey], token: ClaimToken, lease: u64, now: i64) -> Claim {
        let mut locked = self.lock_for(keys);
        let tags = locked.tags(keys);
        for partition in [Partition::Signed, Partition::Unverified] {
            if let Some(part) = match partition {
                Partition::Signed => locked.signed.as_mut(),
                Partition::Unverified => locked.unverified.as_mut(),
            } {
                part.forget_expired(now);
            }
        }
        // What is there decides first: a duplicate is acknowledged even when the store is full.
        for (i, (key, tag)) in keys.iter().zip(tags.as_slice()).enumerate() {
            if let Some(entry) = locked.part(key.partition()).entries.get(tag) {
                return match entry.state {
                    State::Done => Claim::Done { key: i },
                    State::InFlight { .. } => Claim::InFlight { key: i },
                };
            }
        }
        for partition in [Partition::Signed, Partition::Unverified] {
            let wanted = keys.iter().filter(|k| k.partition() == partition).count();
            if wanted == 0 {
                continue;
            }
            let part = locked.part(partition);
            if part.entries.len() + wanted > part.max_entries {
                match partition {
                    Partition::Signed => &self.refused_signed,
                    Partition::Unverified => &self.refused_unverified,
                }
                .fetch_add(1, Ordering::Relaxed);
                return Claim::Full;
            }
        }
        let expiry = at(now, lease);
        for (i, (key, tag)) in keys.iter().zip(tags.as_slice()).enumerate() {
            if !tags.repeats(keys, i) {
                locked
                    .part(key.partition())
                    .claim(*tag, expiry, lease, token);
            }
        }
        Claim::Claimed
    }

    /// Completes synchronously; what [`IdempotencyStore::complete`] does.
    pub fn complete_now(&self, keys: &[StoreKey], token: ClaimToken, now: i64) -> bool {
        let mut locked = self.lock_for(keys);
        let tags = locked.tags(keys);
        let pairs = || keys.iter().zip(tags.as_slice());
        if tags.as_slice().is_empty()
            || !pairs().all(|(k, tag)| locked.part(k.partition()).held(tag, token))
        {
            return false;
        }
        for (i, (key, tag)) in pairs().enumerate() {
            if !tags.repeats(keys, i) {
                locked
                    .part(key.partition())
                    .complete(*tag, at(now, key.window()), key.window());
            }
        }
        true
    }

    /// Releases synchronously; what [`IdempotencyStore::release`] does.
    pub fn release_now(&self, keys: &[StoreKey], token: ClaimToken) -> bool {
        let mut locked = self.lock_for(keys);
        let tags = locked.tags(keys);
        let mut released = false;
        for (key, tag) in keys.iter().zip(tags.as_slice()) {
            let part = locked.part(key.partition());
            if part.held(tag, token) {
                part.release(tag);
                released = true;
            }
        }
        released
    }
}

impl Default for InMemoryStore {
    /// 64 MiB for signed deliveries (174,762 entries: one delivery a second over 48 hours),
    /// 16 MiB for unverified ones (43,690).
    fn default() -> Self {
        Self::new(64 << 20, 16 << 20)
    }
}

impl IdempotencyStore for InMemoryStore {
    fn claim<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> StoreFuture<'a, Claim> {
        let claim = self.claim_now(keys, token, lease, now);
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete<'a>(
        &'a self,
        keys: &'a [StoreKey],
        token: ClaimToken,
        now: i64,
    ) -> StoreFuture<'a, bool> {
        let done = self.complete_now(keys, token, now);
        Box::pin(std::future::ready(Ok(done)))
    }

    fn release<'a>(&'a self, keys: &'a [StoreKey], token: ClaimToken) -> StoreFuture<'a, bool> {
        let released = self.release_now(keys, token);
        Box::pin(std::future::ready(Ok(released)))
    }

    fn claim_at_once(
        &self,
        keys: &[StoreKey],
        token: ClaimToken,
        lease: u64,
        now: i64,
    ) -> Option<Result<Claim, StoreError>> {
        Some(Ok(self.claim_now(keys, token, lease, now)))
    }

    fn complete_at_once(
        &self,
        keys: &[StoreKey],
        token: ClaimToken,
        now: i64,
    ) -> Option<Result<bool, StoreError>> {
        Some(Ok(self.complete_now(keys, token, now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, partition: Partition, window: u64) -> StoreKey {
        StoreKey::new("p", "event", id, partition, window)
    }

    fn one(k: &StoreKey) -> &[StoreKey] {
        std::slice::from_ref(k)
    }

    #[test]
    fn claim_complete_release_and_lease_expiry() {
        let s = InMemoryStore::default();
        let k = key("a", Partition::Signed, 100);
        let k = one(&k);
        let (t1, t2) = (ClaimToken::random(), ClaimToken::random());
        assert_eq!(s.claim_now(k, t1, 10, 0), Claim::Claimed);
        assert_eq!(s.claim_now(k, t2, 10, 5), Claim::InFlight { key: 0 });
        assert!(!s.release_now(k, t2), "only the claimer releases");
        assert!(s.release_now(k, t1));
        assert_eq!(s.claim_now(k, t2, 10, 6), Claim::Claimed, "released");
        assert_eq!(
            s.claim_now(k, t1, 10, 16),
            Claim::Claimed,
            "the lease expired"
        );
        assert!(!s.complete_now(k, t2, 17), "the lost claim cannot complete");
        assert!(s.complete_now(k, t1, 17));
        assert_eq!(
            s.claim_now(k, t2, 10, 116),
            Claim::Done { key: 0 },
            "inside the window"
        );
        assert_eq!(s.claim_now(k, t2, 10, 117), Claim::Claimed, "window over");
    }

    #[test]
    fn claims_that_end_leave_no_more_behind_than_the_claims_in_flight() {
        let s = InMemoryStore::default();
        let live: Vec<_> = (0..100)
            .map(|i| key(&format!("live-{i}"), Partition::Signed, 100))
            .collect();
        let t = ClaimToken::random();
        for k in &live {
            assert_eq!(s.claim_now(one(k), t, 10, 0), Claim::Claimed);
        }
        // 20,000 claims end inside the lease, released or completed: each leaves its element in
        // the claim queue behind.
        let mut most = 0;
        for i in 0..20_000 {
            let k = key(&format!("churn-{i}"), Partition::Signed, 100);
            let t = ClaimToken::random();
            assert_eq!(s.claim_now(one(&k), t, 10, 5), Claim::Claimed);
            if i % 2 == 0 {
                assert!(s.release_now(one(&k), t));
            } else {
                assert!(s.complete_now(one(&k), t, 5));
            }
            let part = lock(&s.signed);
            let behind: usize = part.claims.iter().map(|(_, q)| q.len()).sum();
            assert_eq!(part.in_flight, 100);
            most = most.max(behind);
        }
        assert!(
            most <= 100 + 50 + SLACK + 1,
            "{most} elements behind 100 claims"
        );
        // The claims still in flight expire with their lease, and not before.
        assert_eq!(
            s.claim_now(one(&live[0]), t, 10, 9),
            Claim::InFlight { key: 0 }
        );
        assert_eq!(s.claim_now(one(&live[0]), t, 10, 10), Claim::Claimed);
        assert_eq!(lock(&s.signed).in_flight, 1);
        // The completed ones are done for their window, the released ones free.
        let done = key("churn-1", Partition::Signed, 100);
        let free = key("churn-0", Partition::Signed, 100);
        assert_eq!(s.claim_now(one(&done), t, 10, 10), Claim::Done { key: 0 });
        assert_eq!(s.claim_now(one(&free), t, 10, 10), Claim::Claimed);
    }

    /// What the claim queues hold and have allocated, in elements.
    fn claim_queues(s: &InMemoryStore) -> (usize, usize) {
        let part = lock(&s.signed);
        part.claims
            .iter()
            .fold((0, 0), |(n, c), (_, q)| (n + q.len(), c + q.capacity()))
    }

    #[test]
    fn one_key_claimed_and_released_over_and_over_leaves_nothing_behind() {
        let s = InMemoryStore::new(ENTRY_BYTES, ENTRY_BYTES);
        let k = key("again", Partition::Signed, 100);
        for _ in 0..10_000 {
            let t = ClaimToken::random();
            // The same second and lease each time: every claim has the same expiry.
            assert_eq!(s.claim_now(one(&k), t, 300, 7), Claim::Claimed);
            assert!(s.release_now(one(&k), t));
        }
        let (held, _) = claim_queues(&s);
        assert!(held <= 1 + SLACK, "{held} elements behind one key");
    }

    #[test]
    fn a_key_repeated_in_one_claim_leaves_nothing_behind() {
        let s = InMemoryStore::new(1 << 20, ENTRY_BYTES);
        for i in 0..1_000 {
            let k = key(&format!("twice-{i}"), Partition::Signed, 100);
            let keys = [k.clone(), k.clone(), k];
            let t = ClaimToken::random();
            assert_eq!(s.claim_now(&keys, t, 300, 0), Claim::Claimed);
            assert!(s.complete_now(&keys, t, 0));
        }
        let (held, _) = claim_queues(&s);
        assert!(
            held <= SLACK + 1,
            "{held} elements behind no claim in flight"
        );
        let part = lock(&s.signed);
        assert_eq!(part.in_flight, 0);
        let done: usize = part.done.iter().map(|(_, q)| q.len()).sum();
        assert_eq!(done, 1_000, "one element per done entry");
    }

    #[test]
    fn claim_queues_give_their_memory_back_when_their_claims_expire() {
        let s = InMemoryStore::new(1 << 24, ENTRY_BYTES);
        for lease in (10..=80).step_by(10) {
            for i in 0..2_000 {
                let k = key(&format!("{lease}-{i}"), Partition::Signed, 100);
                assert_eq!(
                    s.claim_now(one(&k), ClaimToken::random(), lease, 0),
                    Claim::Claimed
                );
            }
        }
        assert_eq!(claim_queues(&s).0, 16_000);
        // Every lease is over: the next claim forgets them all.
        let k = key("later", Partition::Signed, 100);
        assert_eq!(
            s.claim_now(one(&k), ClaimToken::random(), 10, 1_000),
            Claim::Claimed
        );
        let (held, allocated) = claim_queues(&s);
        assert_eq!(held, 1);
        assert!(allocated <= 8 * 64, "{allocated} elements still allocated");
        assert_eq!(s.len(Partition::Signed), 1);
    }

    #[test]
    fn a_full_partition_refuses_and_forgets_nothing_live() {
        let s = InMemoryStore::new(3 * ENTRY_BYTES, ENTRY_BYTES);
        let t = ClaimToken::random();
        let done = key("done", Partition::Signed, 10_000);
        let in_flight = key("in-flight", Partition::Signed, 10_000);
        let nonce = key("nonce", Partition::Signed, 600);
        assert_eq!(s.claim_now(one(&done), t, 10, 0), Claim::Claimed);
        assert!(s.complete_now(one(&done), t, 0));
        assert_eq!(s.claim_now(one(&nonce), t, 10, 0), Claim::Claimed);
        assert!(s.complete_now(one(&nonce), t, 0));
        assert_eq!(s.claim_now(one(&in_flight), t, 1_000, 0), Claim::Claimed);
        // Full: a new key is refused; the live entries all stay.
        let new = key("new", Partition::Signed, 10_000);
        assert_eq!(s.claim_now(one(&new), t, 10, 100), Claim::Full);
        assert_eq!(s.refused(Partition::Signed), 1);
        assert_eq!(s.len(Partition::Signed), 3);
        assert_eq!(s.claim_now(one(&done), t, 10, 100), Claim::Done { key: 0 });
        assert_eq!(
            s.claim_now(one(&in_flight), ClaimToken::random(), 10, 100),
            Claim::InFlight { key: 0 }
        );
        assert!(
            s.complete_now(one(&in_flight), t, 100),
            "the claim survived"
        );
        // Once the nonce has expired, its room is reused; the 10,000 s entries stay.
        assert_eq!(s.claim_now(one(&new), t, 10, 601), Claim::Claimed);
        assert_eq!(s.claim_now(one(&done), t, 10, 601), Claim::Done { key: 0 });
        assert_eq!(
            s.claim_now(one(&in_flight), t, 10, 601),
            Claim::Done { key: 0 }
        );
    }

    #[test]
    fn a_deliverys_keys_are_one_unit() {
        let s = InMemoryStore::new(3 * ENTRY_BYTES, ENTRY_BYTES);
        let t = ClaimToken::random();
        let filler = key("filler", Partition::Signed, 10_000);
        assert_eq!(s.claim_now(one(&filler), t, 10, 0), Claim::Claimed);
        assert!(s.complete_now(one(&filler), t, 0));
        let pair = [
            key("nonce-1", Partition::Signed, 600),
            key("event-1", Partition::Signed, 10_000),
        ];
        assert_eq!(s.claim_now(&pair, t, 10, 0), Claim::Claimed);
        // No room for two more: neither key of the next delivery is taken.
        let next = [
            key("nonce-2", Partition::Signed, 600),
            key("event-2", Partition::Signed, 10_000),
        ];
        assert_eq!(s.claim_now(&next, t, 10, 1), Claim::Full);
        assert_eq!(s.len(Partition::Signed), 3);
        assert!(s.complete_now(&pair, t, 1), "both keys are still held");
        // A replay with a fresh nonce finds the event id done, and claims nothing.
        let replay = [
            key("nonce-3", Partition::Signed, 600),
            key("event-1", Partition::Signed, 10_000),
        ];
        assert_eq!(s.claim_now(&replay, t, 10, 2), Claim::Done { key: 1 });
        assert_eq!(s.len(Partition::Signed), 3);
        // Completing fails whole when one key was lost.
        let other = ClaimToken::random();
        let mixed = [
            key("x", Partition::Signed, 10),
            key("y", Partition::Signed, 10),
        ];
        let s = InMemoryStore::default();
        assert_eq!(s.claim_now(&mixed[..1], t, 10, 0), Claim::Claimed);
        assert_eq!(s.claim_now(&mixed[1..], other, 10, 0), Claim::Claimed);
        assert!(!s.complete_now(&mixed, t, 1));
        assert_eq!(
            s.claim_now(&mixed[..1], other, 10, 2),
            Claim::InFlight { key: 0 },
            "x stayed in flight"
        );
    }

    #[test]
    fn unverified_entries_never_evict_nor_crowd_out_signed_ones() {
        let s = InMemoryStore::new(4 * ENTRY_BYTES, 4 * ENTRY_BYTES);
        let t = ClaimToken::random();
        let signed = key("signed", Partition::Signed, 100);
        assert_eq!(s.claim_now(one(&signed), t, 10, 0), Claim::Claimed);
        assert!(s.complete_now(one(&signed), t, 0));
        let mut full = 0;
        for i in 0..1_000 {
            let k = key(&format!("flood-{i}"), Partition::Unverified, 1_000_000);
            match s.claim_now(one(&k), t, 10, 1) {
                Claim::Claimed => {}
                Claim::Full => full += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((s.len(Partition::Unverified), full), (4, 996));
        assert_eq!(s.claim_now(one(&signed), t, 10, 2), Claim::Done { key: 0 });
        let k = key("signed-2", Partition::Signed, 100);
        assert_eq!(s.claim_now(one(&k), t, 10, 2), Claim::Claimed);
    }

    #[test]
    fn done_entries_of_any_window_expire_with_it_and_never_before() {
        let s = InMemoryStore::default();
        let t = ClaimToken::random();
        // More windows than a partition has queues: the rest are indexed in the ordered set.
        let windows: Vec<u64> = (1..=2 * QUEUES as u64).map(|w| w * 10).collect();
        let keys: Vec<StoreKey> = windows
            .iter()
            .map(|w| key(&format!("w{w}"), Partition::Signed, *w))
            .collect();
        for k in &keys {
            assert_eq!(s.claim_now(one(k), t, 5, 0), Claim::Claimed);
            assert!(s.complete_now(one(k), t, 0));
        }
        for (k, w) in keys.iter().zip(&windows) {
            let w = i64::try_from(*w).expect("small");
            assert_eq!(s.claim_now(one(k), t, 5, w - 1), Claim::Done { key: 0 });
            assert_eq!(
                s.claim_now(one(k), t, 5, w),
                Claim::Claimed,
                "window {w} over"
            );
        }
    }

    #[test]
    fn a_clock_stepping_back_makes_entries_expire_late_never_early() {
        let s = InMemoryStore::default();
        let t = ClaimToken::random();
        let (a, b) = (
            key("a", Partition::Signed, 100),
            key("b", Partition::Signed, 100),
        );
        assert_eq!(s.claim_now(one(&a), t, 5, 1_000), Claim::Claimed);
        assert!(s.complete_now(one(&a), t, 1_000));
        // The clock steps back 500 s: `b` expires first but is queued behind `a`.
        assert_eq!(s.claim_now(one(&b), t, 5, 500), Claim::Claimed);
        assert!(s.complete_now(one(&b), t, 500));
        assert_eq!(s.claim_now(one(&b), t, 5, 599), Claim::Done { key: 0 });
        assert_eq!(s.claim_now(one(&a), t, 5, 1_099), Claim::Done { key: 0 });
        assert_eq!(
            s.claim_now(one(&b), t, 5, 700),
            Claim::Done { key: 0 },
            "forgotten late: behind `a`"
        );
        assert_eq!(s.claim_now(one(&a), t, 5, 1_100), Claim::Claimed);
        assert_eq!(s.claim_now(one(&b), t, 5, 1_100), Claim::Claimed);
    }

    #[test]
    fn extreme_windows_and_clocks_do_not_overflow() {
        let s = InMemoryStore::default();
        let t = ClaimToken::random();
        let k = key("a", Partition::Signed, u64::MAX);
        let k = one(&k);
        assert_eq!(s.claim_now(k, t, u64::MAX, i64::MAX - 10), Claim::Claimed);
        assert!(s.complete_now(k, t, i64::MAX - 1));
        assert_eq!(s.claim_now(k, t, 1, i64::MAX - 1), Claim::Done { key: 0 });
        let k = key("b", Partition::Signed, 0);
        assert_eq!(s.claim_now(one(&k), t, 0, i64::MIN), Claim::Claimed);
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
                                s.claim_now(one(&k), ClaimToken::random(), 60, 0) == Claim::Claimed
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
