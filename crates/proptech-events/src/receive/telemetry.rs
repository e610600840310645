//! What the receiver and the stream consumer report (feature `process`): `tracing` spans and
//! `metrics` counters and histograms, through the ecosystem's facades. Nothing is recorded until
//! the application installs a subscriber or a recorder (`metrics-exporter-prometheus`, say).
//!
//! Spans (fields: `provider`, `event_type`, `delivery`, `outcome`, `duration_ms`; every value from
//! a delivery escaped):
//!
//! - `receive`: one per delivery `process` (and the axum routes) handle, from verification to the
//!   answer; inside it, once the delivery verified, `process` (field `keys`): the claim, the
//!   handler and the completion;
//! - `consume`: one per stream entry a [`Consumer`](super::stream::Consumer) hands over.
//!
//! Metrics (label `provider` on all, `code` where named):
//!
//! | name | kind | what |
//! |---|---|---|
//! | `proptech_deliveries_received_total` | counter | deliveries that reached a receiver |
//! | `proptech_deliveries_rejected_total` | counter | rejected (bad signature, too old, …), by `code` ([`ReceiveError::code`](super::ReceiveError::code)) |
//! | `proptech_deliveries_duplicate_total` | counter | acknowledged without running the handler: done before |
//! | `proptech_deliveries_processed_total` | counter | handled and recorded as done |
//! | `proptech_deliveries_failed_total` | counter | not done, retryable (handler failed, in flight, store down or full), by `code` ([`ProcessError::code`](super::ProcessError::code)) |
//! | `proptech_handler_duration_seconds` | histogram | the receiver's handler, each run |
//! | `proptech_stream_handled_total` | counter | stream entries handled and acknowledged |
//! | `proptech_stream_failed_total` | counter | stream handler failures (the entry is retried) |
//! | `proptech_stream_dead_lettered_total` | counter | entries moved to the dead-letter stream |
//! | `proptech_stream_stale_total` | counter | entries handed over as `Order::Stale` |
//! | `proptech_stream_handler_duration_seconds` | histogram | the consumer's handler, each run |

/// A delivery reached a receiver.
pub(crate) fn received(provider: &'static str) {
    metrics::counter!("proptech_deliveries_received_total", "provider" => provider).increment(1);
}

/// A delivery was rejected with `code`.
pub(crate) fn rejected(provider: &'static str, code: &'static str) {
    metrics::counter!("proptech_deliveries_rejected_total", "provider" => provider, "code" => code)
        .increment(1);
}

/// A delivery was a duplicate.
pub(crate) fn duplicate(provider: &'static str) {
    metrics::counter!("proptech_deliveries_duplicate_total", "provider" => provider).increment(1);
}

/// A delivery was processed.
pub(crate) fn processed(provider: &'static str) {
    metrics::counter!("proptech_deliveries_processed_total", "provider" => provider).increment(1);
}

/// A delivery was not processed, retryably, with `code`.
pub(crate) fn failed(provider: &'static str, code: &'static str) {
    metrics::counter!("proptech_deliveries_failed_total", "provider" => provider, "code" => code)
        .increment(1);
}

/// The receiver's handler ran for `seconds`.
pub(crate) fn handler_duration(provider: &'static str, seconds: f64) {
    metrics::histogram!("proptech_handler_duration_seconds", "provider" => provider)
        .record(seconds);
}

/// A stream entry's handler ran for `seconds` and ended as `outcome`.
#[cfg(feature = "redis")]
pub(crate) fn consumed(provider: &'static str, outcome: &'static str, seconds: Option<f64>) {
    let name = match outcome {
        "handled" => "proptech_stream_handled_total",
        "dead_lettered" => "proptech_stream_dead_lettered_total",
        "stale" => "proptech_stream_stale_total",
        _ => "proptech_stream_failed_total",
    };
    metrics::counter!(name, "provider" => provider).increment(1);
    if let Some(seconds) = seconds {
        metrics::histogram!("proptech_stream_handler_duration_seconds", "provider" => provider)
            .record(seconds);
    }
}
