//! A flood of unique, unverified EverReal deliveries with long ids keeps the in-memory store
//! within its byte budget (measured with dhat's heap profiler): the partition fills to its
//! capacity, then refuses (`StoreFull`, retryable) without forgetting a live entry, and a signed
//! provider's entry survives it.

use std::sync::Arc;

use proptech_events::receive::{
    EverrealReceiver, IdempotencyStore, InMemoryStore, Partition, ProcessError, Processed,
    RepullReceiver,
};

/// The `X-Repull-Signature` value Repull sends for `body`.
fn sign_repull(secret: &str, body: &[u8]) -> String {
    <proptech_events::receive::RepullReceiver as proptech_events::receive::Receiver>::signature(
        &[secret],
        "",
        0,
        body,
    )
    .expect("any secret signs")
}

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// 3,585 entries: just past 7/8 of 4,096, where the hash table has just doubled to 8,192 slots,
/// the worst ratio of memory to entries.
const BUDGET: usize = 3_585 * proptech_events::receive::ENTRY_BYTES;

#[test]
fn a_flood_of_long_unverified_ids_stays_in_budget_and_evicts_no_signed_entry() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let store = Arc::new(InMemoryStore::new(1 << 20, BUDGET));
    let shared: Arc<dyn IdempotencyStore> = store.clone();
    let repull = RepullReceiver::new(["whsec_k7d9f2example"])
        .expect("secret")
        .with_store(Arc::clone(&shared));
    let everreal = EverrealReceiver::unverified().with_store(shared);
    let body = br#"{"type":"repull.ping","deliveryId":"signed-1","createdAt":"2026-05-01T12:34:56Z","data":{"message":"Ping from Repull."}}"#;
    // 2026-05-02: the body's createdAt is inside Repull's replay horizon.
    let repull = repull.with_clock(|| 1_777_680_000);
    let headers = [(
        "X-Repull-Signature",
        sign_repull("whsec_k7d9f2example", body),
    )];
    let first = runtime.block_on(repull.process(&headers, body, |_| async { Ok::<_, String>(()) }));
    assert!(matches!(first, Ok(Processed::Handled(()))), "{first:?}");

    let profiler = dhat::Profiler::builder().testing().build();
    let baseline = dhat::HeapStats::get().curr_bytes;
    let flood = 12_000usize;
    let id_len = 8 * 1024;
    for i in 0..flood {
        let uuid = format!("{i:0>id_len$}");
        let body = format!(
            r#"{{"uuid":"{uuid}","operation":"UNIT_CREATED","subdomain":"x","language":"de","createdAt":"2026-05-01T12:00:00Z","data":{{}}}}"#
        );
        let got = runtime.block_on(everreal.process_unverified(
            &[("x", "y")],
            body.as_bytes(),
            |_| async { Ok::<_, String>(()) },
        ));
        let capacity = store.capacity(Partition::Unverified);
        if i < capacity {
            assert!(matches!(got, Ok(Processed::Handled(()))), "{i}: {got:?}");
        } else {
            assert!(matches!(got, Err(ProcessError::StoreFull)), "{i}: {got:?}");
        }
    }
    let stats = dhat::HeapStats::get();
    let grown = stats.curr_bytes.saturating_sub(baseline);
    println!(
        "flood of {flood} unverified ids of {id_len} bytes ({} MiB of ids): the store grew by \
         {grown} bytes (budget {BUDGET}); {} entries kept; peak {} bytes",
        (flood * id_len) >> 20,
        store.len(Partition::Unverified),
        stats.max_bytes
    );
    drop(profiler);
    assert!(grown <= BUDGET, "grew {grown} bytes, budget {BUDGET}");
    assert_eq!(
        store.len(Partition::Unverified),
        store.capacity(Partition::Unverified)
    );
    assert_eq!(
        store.refused(Partition::Unverified),
        (flood - store.capacity(Partition::Unverified)) as u64
    );
    assert_eq!(store.len(Partition::Signed), 1);
    let again = runtime.block_on(repull.process(&headers, body, |_| async { Ok::<_, String>(()) }));
    assert!(
        matches!(again, Ok(Processed::Duplicate { .. })),
        "the signed entry survived the flood: {again:?}"
    );
}
