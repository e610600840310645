//! A stream consumer: one member of the consumer group that handles the deliveries the receiver
//! example appended to Redis, built on `proptech_events::receive::stream::Consumer`.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run -p proptech-events-examples --example consumer
//! ```
//!
//! Run as many as you like, each with its own `CONSUMER_NAME` (default: `consumer-{pid}`): they
//! share the entries. An entry is acknowledged only after the handler returned `Ok`; one whose
//! handler failed, or whose consumer died, is claimed again by another consumer once idle for
//! `CONSUMER_LEASE_MS` (default 60000), and after `CONSUMER_MAX_ATTEMPTS` (default 5) attempts it
//! moves to the dead-letter stream (`proptech-events queue dead`, `queue replay`). The ordering
//! guard is on: an event older than one already handled for the same reservation is handed over
//! as `Order::Stale`, and this handler logs it and does nothing else.

use std::time::Duration;

use proptech_events::receive::stream::{Consumed, Consumer, Order};
use proptech_events::receive::{Durability, Escaped};

/// Reads a number of milliseconds or attempts from the environment.
fn number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What this example does with an event: logs it. The delivery id and event type are escaped (a
/// delivery chooses them); the whole event, personal data redacted by `Debug`, only at debug
/// level.
async fn handle(consumed: Consumed) -> Result<(), std::convert::Infallible> {
    let delivery = Escaped(&consumed.delivery_id);
    let event_type = Escaped(&consumed.event_type);
    match consumed.order {
        Order::Stale { newest, time } => tracing::info!(
            %delivery, %event_type, newest, time,
            "older than an event already handled for the same entity: skipped"
        ),
        _ => {
            tracing::info!(%delivery, %event_type, attempt = consumed.attempt, "handled");
            tracing::debug!(event = ?consumed.event, "handled");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("consumer stopped: {why}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let name = std::env::var("CONSUMER_NAME")
        .unwrap_or_else(|_| format!("consumer-{}", std::process::id()));
    let durability = if std::env::var("PROPTECH_REDIS_ACCEPT_LOSS").is_ok_and(|v| v == "1") {
        Durability::AcceptLoss
    } else {
        Durability::Fsync
    };
    let consumer = Consumer::connect(&url, name, durability)
        .await
        .map_err(|e| match e.to_string() {
            text if text.contains("AcceptLoss") => {
                format!("{text}; here: PROPTECH_REDIS_ACCEPT_LOSS=1")
            }
            text => text,
        })?
        .with_lease(Duration::from_millis(number("CONSUMER_LEASE_MS", 60_000)))
        .with_max_attempts(number("CONSUMER_MAX_ATTEMPTS", 5))
        .with_ordering(Duration::from_secs(7 * 86_400));
    eprintln!("consuming as {}", consumer.name());
    consumer
        .run(handle, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
