//! Reads the deliveries the receiver example appended to the Redis Streams `proptech:events`
//! (signed) and `proptech:events:unverified` (EverReal), as one consumer of a consumer group,
//! and acknowledges each one after handling it. An unverified entry is also deleted once
//! acknowledged: that stream is bounded, and the receiver refuses new unverified deliveries
//! while it is full.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p proptech-events --features redis --example consumer
//! ```
//!
//! An entry is acknowledged (`XACK`) only after it was handled; one read but not acknowledged
//! (the consumer crashed) stays pending and can be claimed again (`XAUTOCLAIM`).

use redis::aio::ConnectionManager;
use redis::streams::{StreamReadOptions, StreamReadReply};

/// The stream the receiver appends signed deliveries to.
pub const STREAM: &str = "proptech:events";
/// The bounded stream the receiver appends unverified deliveries to.
pub const UNVERIFIED_STREAM: &str = "proptech:events:unverified";
/// The consumer group.
pub const GROUP: &str = "proptech-consumers";

/// One delivery read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "an example's record, not library API"
)]
pub struct Entry {
    /// The stream entry's id.
    pub stream_id: String,
    /// `valara`, `repull`, `lavanda` or `everreal`.
    pub provider: String,
    /// The delivery id.
    pub id: String,
    /// The event type.
    pub event_type: String,
    /// The raw delivery, as received.
    pub body: Vec<u8>,
}

/// Creates the consumer group (and the stream) if it does not exist yet.
pub async fn ensure_group(conn: &mut ConnectionManager) -> redis::RedisResult<()> {
    for stream in [STREAM, UNVERIFIED_STREAM] {
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(conn)
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            other => other?,
        }
    }
    Ok(())
}

/// Reads up to `count` new entries for `consumer`, waiting at most `block_ms`, hands each to
/// `handle`, and acknowledges the ones it handled. Returns the entries handled.
pub async fn consume(
    conn: &mut ConnectionManager,
    consumer: &str,
    count: usize,
    block_ms: usize,
    mut handle: impl FnMut(&Entry),
) -> redis::RedisResult<Vec<Entry>> {
    let options = StreamReadOptions::default()
        .group(GROUP, consumer)
        .count(count)
        .block(block_ms);
    let reply: StreamReadReply = redis::AsyncCommands::xread_options(
        conn,
        &[STREAM, UNVERIFIED_STREAM],
        &[">", ">"],
        &options,
    )
    .await?;
    let mut handled = Vec::new();
    for key in reply.keys {
        let stream = key.key.clone();
        for entry in key.ids {
            let text = |field: &str| -> String { entry.get::<String>(field).unwrap_or_default() };
            let item = Entry {
                stream_id: entry.id.clone(),
                provider: text("provider"),
                id: text("id"),
                event_type: text("event_type"),
                body: entry.get::<Vec<u8>>("body").unwrap_or_default(),
            };
            handle(&item);
            let _: i64 =
                redis::AsyncCommands::xack(conn, &stream, GROUP, &[&item.stream_id]).await?;
            if stream == UNVERIFIED_STREAM {
                let _: i64 = redis::AsyncCommands::xdel(conn, &stream, &[&item.stream_id]).await?;
            }
            handled.push(item);
        }
    }
    Ok(handled)
}

#[allow(dead_code)] // the integration tests include this file for `consume` only
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut conn = ConnectionManager::new(redis::Client::open(url)?).await?;
    ensure_group(&mut conn).await?;
    eprintln!("consuming {STREAM} as group {GROUP}");
    loop {
        consume(&mut conn, "consumer-1", 100, 5_000, |e| {
            println!(
                "{} {} {} ({} bytes)",
                e.provider,
                e.event_type,
                e.id,
                e.body.len()
            );
        })
        .await?;
    }
}
