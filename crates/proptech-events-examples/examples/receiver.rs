//! A webhook receiver for all four providers: it verifies each delivery, processes it at least
//! once and never twice, and hands it off.
//!
//! ```text
//! PROPTECH_TEST_SECRETS=1 cargo run -p proptech-events-examples --example receiver
//! ```
//!
//! It listens on `PROPTECH_ADDR` (default `127.0.0.1:3000`) and reads the secrets from
//! `VALARA_SECRET`, `REPULL_SECRET` and `LAVANDA_SECRET` (comma-separated during a rotation). It
//! refuses to start when one is unset, unless `PROPTECH_TEST_SECRETS=1` asks for the test secrets
//! printed in the providers' docs (anyone can sign with those: never in production).
//!
//! Limits, all optional (see [`Config::from_env`]):
//!
//! | variable | default | what |
//! |---|---|---|
//! | `PROPTECH_MAX_BODY` | 1 MiB | largest signed delivery, bytes |
//! | `PROPTECH_UNVERIFIED_MAX_BODY` | 64 KiB | largest unverified (EverReal) delivery, bytes |
//! | `PROPTECH_STORE_BYTES` | 64 MiB | the in-memory store's signed partition, bytes (a quarter of it again for unverified deliveries) |
//! | `PROPTECH_DEDUPE_WINDOW` | 172800 | how long a delivery id is remembered, seconds (never less than a provider's own replay horizon) |
//! | `PROPTECH_TOLERANCE` | 300 | how far a signed timestamp may be from the clock, seconds |
//! | `PROPTECH_HEADER_TIMEOUT`, `PROPTECH_BODY_TIMEOUT` | 10, 30 | seconds a client has for its headers, for its whole body |
//! | `PROPTECH_MAX_CONNECTIONS` | 1024 | connections served at once |
//! | `PROPTECH_UNVERIFIED_STREAM_MAX` | 1000 | entries the unverified stream holds before it refuses more |
//!
//! Without `REDIS_URL`, deliveries are deduplicated in memory and logged. With `REDIS_URL`, the
//! idempotency store is Redis (shared by every receiver process) and each processed delivery is
//! appended to a Redis Stream by `RedisStreamSink` before the 2xx: `proptech:events` for signed
//! deliveries, `proptech:events:unverified` (at most `PROPTECH_UNVERIFIED_STREAM_MAX` entries,
//! and nothing while Redis uses more than half its `maxmemory`) for EverReal's. Acknowledge fast,
//! process from the stream (see the `consumer` example). At start-up the receiver checks that
//! Redis keeps what it acknowledged: `maxmemory-policy noeviction`, `appendonly yes`,
//! `appendfsync always`. It refuses to start otherwise, unless `PROPTECH_REDIS_ACCEPT_LOSS=1`
//! accepts losing acknowledged deliveries when Redis crashes. If an append fails or is refused,
//! the handler fails with `RetryLater`: the delivery is released and answered 503 with
//! `Retry-After`, for the provider's retry.
//!
//! Logs go to stderr; every value taken from a delivery is escaped first, so a delivery cannot
//! write a line of its own.
//!
//! Routes: `POST /webhooks/{valara,repull,lavanda,everreal}`; `GET /stats` with the number of
//! deliveries processed by this process; `GET /metrics`, what the receivers counted
//! (`proptech_events::receive::telemetry`), as Prometheus text (`metrics-exporter-prometheus`,
//! installed by `run` as the process's recorder).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use proptech_events::Provider;
use proptech_events::receive::server::Limits;
use proptech_events::receive::stream::RedisStreamSink;
use proptech_events::receive::{
    Durability, Escaped, EverrealReceiver, IdempotencyStore, InMemoryStore, LavandaReceiver,
    Options, RedisStore, RepullReceiver, RetryLater, ValaraReceiver,
};

/// The receivers, the stream connection and the count of deliveries processed.
#[derive(Clone, FromRef)]
pub struct AppState {
    valara: Arc<ValaraReceiver>,
    repull: Arc<RepullReceiver>,
    lavanda: Arc<LavandaReceiver>,
    everreal: Arc<EverrealReceiver>,
    stream: Option<RedisStreamSink>,
    processed: Arc<AtomicU64>,
}

/// The secrets of each provider (several during a rotation), the body limit and the Redis URL.
#[allow(
    clippy::exhaustive_structs,
    reason = "an example's settings, not library API"
)]
pub struct Config {
    /// Valara's endpoint secrets.
    pub valara: Vec<String>,
    /// Repull's `whsec_...` signing secrets.
    pub repull: Vec<String>,
    /// Lavanda's Svix `whsec_...` secrets.
    pub lavanda: Vec<String>,
    /// The largest body accepted, in bytes.
    pub max_body: usize,
    /// Redis for the idempotency store and the stream; `None` keeps both in memory (no stream).
    pub redis_url: Option<String>,
    /// Run on a Redis whose settings lose acknowledged deliveries in a crash
    /// (`PROPTECH_REDIS_ACCEPT_LOSS=1`; see `Durability::AcceptLoss`).
    pub redis_accept_loss: bool,
    /// The largest unverified (EverReal) body accepted, in bytes.
    pub unverified_max_body: usize,
    /// The in-memory store's signed partition, in bytes (the unverified one gets a quarter).
    pub store_bytes: usize,
    /// How long a delivery id is remembered, in seconds.
    pub dedupe_window: u64,
    /// How far a signed timestamp may be from the clock, in seconds.
    pub tolerance: u64,
    /// The most entries the unverified stream holds.
    pub unverified_stream_max: u64,
    /// Header and body deadlines and the connection cap.
    pub limits: Limits,
}

impl Config {
    /// The test secrets and every default: what `PROPTECH_TEST_SECRETS=1` with nothing else set
    /// gives.
    pub fn with_test_secrets() -> Self {
        Config {
            valara: vec![TEST_SECRETS[0].1.to_owned()],
            repull: vec![TEST_SECRETS[1].1.to_owned()],
            lavanda: vec![TEST_SECRETS[2].1.to_owned()],
            max_body: Options::default().max_body,
            redis_url: None,
            redis_accept_loss: false,
            unverified_max_body: 64 << 10,
            store_bytes: 64 << 20,
            dedupe_window: Options::default().dedupe_window,
            tolerance: Options::default().tolerance,
            unverified_stream_max: 1_000,
            limits: Limits::default(),
        }
    }
}

/// A number from the environment: its default when unset, an error naming it when unreadable.
fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value
            .parse()
            .map_err(|_| format!("{name}={value:?} is not a non-negative whole number")),
        _ => Ok(default),
    }
}

/// The test secrets printed in the providers' docs and the Standard Webhooks specification.
const TEST_SECRETS: [(&str, &str); 3] = [
    ("VALARA_SECRET", "test_secret_001"),
    ("REPULL_SECRET", "whsec_k7d9f2example"),
    ("LAVANDA_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
];

impl Config {
    /// From the environment (see the module docs). Without a secret, an error naming it, unless
    /// `PROPTECH_TEST_SECRETS=1`.
    pub fn from_env() -> Result<Self, String> {
        let test_secrets = std::env::var("PROPTECH_TEST_SECRETS").is_ok_and(|v| v == "1");
        let read = |(name, test): (&str, &str)| -> Result<Vec<String>, String> {
            match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(value.split(',').map(str::to_owned).collect()),
                _ if test_secrets => Ok(vec![test.to_owned()]),
                _ => Err(format!(
                    "{name} is not set: set it to the provider's signing secret, or set \
                     PROPTECH_TEST_SECRETS=1 to use the documented test secrets (anyone can sign \
                     with those)"
                )),
            }
        };
        let defaults = Config::with_test_secrets();
        let seconds = |name: &str, default: std::time::Duration| {
            number(name, default.as_secs()).map(std::time::Duration::from_secs)
        };
        let limits = defaults
            .limits
            .clone()
            .with_header_timeout(seconds(
                "PROPTECH_HEADER_TIMEOUT",
                defaults.limits.header_timeout,
            )?)
            .with_body_timeout(seconds(
                "PROPTECH_BODY_TIMEOUT",
                defaults.limits.body_timeout,
            )?)
            .with_max_connections(number(
                "PROPTECH_MAX_CONNECTIONS",
                defaults.limits.max_connections,
            )?);
        Ok(Config {
            valara: read(TEST_SECRETS[0])?,
            repull: read(TEST_SECRETS[1])?,
            lavanda: read(TEST_SECRETS[2])?,
            max_body: number("PROPTECH_MAX_BODY", defaults.max_body)?,
            redis_url: std::env::var("REDIS_URL").ok().filter(|v| !v.is_empty()),
            redis_accept_loss: std::env::var("PROPTECH_REDIS_ACCEPT_LOSS").is_ok_and(|v| v == "1"),
            unverified_max_body: number(
                "PROPTECH_UNVERIFIED_MAX_BODY",
                defaults.unverified_max_body,
            )?,
            store_bytes: number("PROPTECH_STORE_BYTES", defaults.store_bytes)?,
            dedupe_window: number("PROPTECH_DEDUPE_WINDOW", defaults.dedupe_window)?,
            tolerance: number("PROPTECH_TOLERANCE", defaults.tolerance)?,
            unverified_stream_max: number(
                "PROPTECH_UNVERIFIED_STREAM_MAX",
                defaults.unverified_stream_max,
            )?,
            limits,
        })
    }
}

/// Hands a processed delivery off: appends it to its stream (when there is one), counts it and
/// logs it. An append that fails (Redis full or down, the unverified stream at its bound) fails
/// the handler with [`RetryLater`]: the delivery is released and answered 503, and the error is
/// logged by the route, never answered.
async fn hand_off(
    state: &AppState,
    provider: Provider,
    id: &str,
    event_type: &str,
    body: &[u8],
) -> Result<Json<serde_json::Value>, RetryLater> {
    if let Some(sink) = &state.stream {
        sink.append(provider, id, event_type, body).await?;
    }
    let n = state.processed.fetch_add(1, Ordering::SeqCst) + 1;
    eprintln!(
        "processed #{n}: {provider} {} ({})",
        Escaped(event_type),
        Escaped(id),
        provider = provider.as_str(),
    );
    Ok(Json(
        serde_json::json!({ "processed": id, "event_type": event_type }),
    ))
}

/// The process's Prometheus recorder, installed once by [`run`]; `None` in a process that did not
/// (the tests call [`app`] many times in one process).
static METRICS: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
    std::sync::OnceLock::new();

/// `GET /metrics`: the counters and histograms, as Prometheus text.
async fn metrics() -> (axum::http::StatusCode, String) {
    match METRICS.get() {
        Some(handle) => (axum::http::StatusCode::OK, handle.render()),
        None => (
            axum::http::StatusCode::NOT_FOUND,
            "no metrics recorder in this process\n".to_owned(),
        ),
    }
}

async fn stats(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "processed": s.processed.load(Ordering::SeqCst) }))
}

/// The receiver's routes; with a Redis URL, connects to it first.
pub async fn app(config: Config) -> Result<Router, Box<dyn std::error::Error>> {
    let options = Options::default()
        .with_max_body(config.max_body)
        .with_dedupe_window(config.dedupe_window)
        .with_tolerance(config.tolerance);
    let unverified_options = options.clone().with_max_body(config.unverified_max_body);
    let (store, stream): (Arc<dyn IdempotencyStore>, _) = match &config.redis_url {
        Some(url) => {
            let durability = if config.redis_accept_loss {
                Durability::AcceptLoss
            } else {
                Durability::Fsync
            };
            let redis = RedisStore::connect_with(url, durability)
                .await
                .map_err(|e| match e.to_string() {
                    text if text.contains("AcceptLoss") => {
                        format!("{text}; here: PROPTECH_REDIS_ACCEPT_LOSS=1")
                    }
                    text => text,
                })?;
            let sink = RedisStreamSink::with_connection(redis.connection())
                .with_durability(durability)
                .with_unverified_max(config.unverified_stream_max);
            (Arc::new(redis), Some(sink))
        }
        None => (
            Arc::new(InMemoryStore::new(
                config.store_bytes,
                config.store_bytes / 4,
            )),
            None,
        ),
    };
    let state = AppState {
        valara: Arc::new(
            ValaraReceiver::new(&config.valara)?
                .with_options(options.clone())
                .with_store(Arc::clone(&store)),
        ),
        repull: Arc::new(
            RepullReceiver::new(&config.repull)?
                .with_options(options.clone())
                .with_store(Arc::clone(&store)),
        ),
        lavanda: Arc::new(
            LavandaReceiver::new(&config.lavanda)?
                .with_options(options.clone())
                .with_store(Arc::clone(&store)),
        ),
        everreal: Arc::new(
            EverrealReceiver::unverified()
                .with_options(unverified_options)
                .with_store(store),
        ),
        stream,
        processed: Arc::new(AtomicU64::new(0)),
    };
    Ok(Router::new()
        .route(
            "/webhooks/valara",
            ValaraReceiver::route(|s: AppState, d, body: Bytes| async move {
                // `Debug` of an event prints personal data redacted: safe to log.
                tracing::debug!(event = ?d.event(), "received");
                hand_off(&s, Provider::Valara, d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/repull",
            RepullReceiver::route(|s: AppState, d, body: Bytes| async move {
                // `Debug` of an event prints personal data redacted: safe to log.
                tracing::debug!(event = ?d.event(), "received");
                hand_off(&s, Provider::Repull, d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/lavanda",
            LavandaReceiver::route(|s: AppState, d, body: Bytes| async move {
                // `Debug` of an event prints personal data redacted: safe to log.
                tracing::debug!(event = ?d.event(), "received");
                hand_off(&s, Provider::Lavanda, d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/everreal",
            EverrealReceiver::route(|s: AppState, d, body: Bytes| async move {
                // `Debug` of an event prints personal data redacted: safe to log.
                tracing::debug!(event = ?d.event(), "received");
                hand_off(
                    &s,
                    Provider::Everreal,
                    d.id(),
                    d.event().event_type(),
                    &body,
                )
                .await
            }),
        )
        .route("/stats", get(stats))
        .route("/metrics", get(metrics))
        .with_state(state))
}

/// What the example's `main` does, until `shutdown`: logs to stderr, reads the configuration from
/// the environment (exiting with status 2 and the reason when it is unusable), serves. The tests
/// run it in a child process, as a user runs the example.
pub async fn run(
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), Box<dyn std::error::Error>> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(why) => {
            eprintln!("refusing to start: {why}");
            std::process::exit(2);
        }
    };
    if let Ok(handle) = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
        let _ = METRICS.set(handle);
    }
    let addr = std::env::var("PROPTECH_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let store = if config.redis_url.is_some() {
        "Redis (stream proptech:events)"
    } else {
        "memory"
    };
    let limits = config.limits.clone();
    let router = match app(config).await {
        Ok(router) => router,
        Err(why) => {
            eprintln!("refusing to start: {why}");
            std::process::exit(2);
        }
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "receiving webhooks on http://{} (store: {store})",
        listener.local_addr()?
    );
    proptech_events::receive::server::serve(listener, router, limits, shutdown).await?;
    Ok(())
}

#[allow(dead_code)] // the integration tests include this file, and call `run` and `app`
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
