//! Claims in flight keep the in-memory store within its byte budget too (measured with dhat's
//! heap profiler): a partition holding claims whose handlers are still running, while many more
//! claims are made and end (released or completed) inside their lease, then filled with claims to
//! its capacity, grows by no more than its budget.

use proptech_events::receive::{Claim, ClaimToken, InMemoryStore, Partition, StoreKey};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// 3,585 entries: just past 7/8 of 4,096, where the hash table has just doubled to 8,192 slots,
/// the worst ratio of memory to entries.
const BUDGET: usize = 3_585 * proptech_events::receive::ENTRY_BYTES;

fn key(id: &str) -> [StoreKey; 1] {
    [StoreKey::new(
        "anonymous",
        "event",
        id,
        Partition::Unverified,
        172_800,
    )]
}

#[test]
fn claims_in_flight_and_claims_that_ended_stay_in_budget() {
    let store = InMemoryStore::new(1 << 20, BUDGET);
    let capacity = store.capacity(Partition::Unverified);
    let profiler = dhat::Profiler::builder().testing().build();
    let baseline = dhat::HeapStats::get().curr_bytes;
    let now = 1_800_000_000;
    // A third of the partition in flight (handlers running), then 50,000 claims that end inside
    // their lease, every other one released, the rest completed: each leaves its element in a
    // claim queue behind.
    for i in 0..capacity / 3 {
        let t = ClaimToken::random();
        assert_eq!(
            store.claim_now(&key(&format!("running-{i}")), t, 300, now),
            Claim::Claimed
        );
    }
    let mut completed = 0;
    for i in 0..50_000 {
        let k = key(&format!("ended-{i}"));
        let t = ClaimToken::random();
        match store.claim_now(&k, t, 300, now) {
            Claim::Claimed => {}
            Claim::Full => break,
            other => panic!("{i}: {other:?}"),
        }
        if i % 2 == 0 || completed + capacity / 3 + 1 >= capacity {
            assert!(store.release_now(&k, t));
        } else {
            assert!(store.complete_now(&k, t, now));
            completed += 1;
        }
    }
    // Then claims in flight to the partition's capacity.
    let mut i = 0;
    while store.claim_now(&key(&format!("more-{i}")), ClaimToken::random(), 300, now)
        == Claim::Claimed
    {
        i += 1;
    }
    let stats = dhat::HeapStats::get();
    let grown = stats.curr_bytes.saturating_sub(baseline);
    println!(
        "{} entries ({completed} done, the rest in flight) after 50,000 claims ended: the store \
         grew by {grown} bytes (budget {BUDGET}); peak {} bytes",
        store.len(Partition::Unverified),
        stats.max_bytes
    );
    drop(profiler);
    assert_eq!(store.len(Partition::Unverified), capacity);
    assert!(grown <= BUDGET, "grew {grown} bytes, budget {BUDGET}");
}
