//! A webhook receiver for all four providers: it verifies each delivery, processes it at least
//! once and never twice, and hands it off.
//!
//! ```text
//! PROPTECH_TEST_SECRETS=1 cargo run -p proptech-events --features axum,redis --example receiver
//! ```
//!
//! It listens on `PROPTECH_ADDR` (default `127.0.0.1:3000`) and reads the secrets from
//! `VALARA_SECRET`, `REPULL_SECRET` and `LAVANDA_SECRET` (comma-separated during a rotation). It
//! refuses to start when one is unset, unless `PROPTECH_TEST_SECRETS=1` asks for the test secrets
//! printed in the providers' docs (anyone can sign with those: never in production). The body
//! limit is `PROPTECH_MAX_BODY` (bytes, default 1 MiB).
//!
//! Without `REDIS_URL`, deliveries are deduplicated in memory and logged. With `REDIS_URL`, the
//! idempotency store is Redis (shared by every receiver process) and each processed delivery is
//! appended to the Redis Stream `proptech:events` (fields `provider`, `id`, `event_type`, `body`):
//! acknowledge fast, process from a durable queue (see the `consumer` example). If the append
//! fails, the handler fails and the delivery is released for the provider's retry.
//!
//! Routes: `POST /webhooks/{valara,repull,lavanda,everreal}`, and `GET /stats` with the number
//! of deliveries processed by this process.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use proptech_events::receive::axum as routes;
use proptech_events::receive::{
    EverrealReceiver, IdempotencyStore, InMemoryStore, LavandaReceiver, Options, RedisStore,
    RepullReceiver, ValaraReceiver,
};

/// The stream processed deliveries are appended to.
pub const STREAM: &str = "proptech:events";

/// The receivers, the stream connection and the count of deliveries processed.
#[derive(Clone, FromRef)]
pub struct AppState {
    valara: Arc<ValaraReceiver>,
    repull: Arc<RepullReceiver>,
    lavanda: Arc<LavandaReceiver>,
    everreal: Arc<EverrealReceiver>,
    stream: Option<redis::aio::ConnectionManager>,
    processed: Arc<AtomicU64>,
}

/// The secrets of each provider (several during a rotation), the body limit and the Redis URL.
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
        Ok(Config {
            valara: read(TEST_SECRETS[0])?,
            repull: read(TEST_SECRETS[1])?,
            lavanda: read(TEST_SECRETS[2])?,
            max_body: std::env::var("PROPTECH_MAX_BODY")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(Options::default().max_body),
            redis_url: std::env::var("REDIS_URL").ok().filter(|v| !v.is_empty()),
        })
    }
}

/// Hands a processed delivery off: appends it to the stream (when there is one), counts it and
/// logs it. An append that fails fails the handler, which releases the delivery.
async fn hand_off(
    state: &AppState,
    provider: &str,
    id: &str,
    event_type: &str,
    body: &[u8],
) -> Result<Json<serde_json::Value>, String> {
    if let Some(conn) = &state.stream {
        let mut conn = conn.clone();
        let _: String = redis::cmd("XADD")
            .arg(STREAM)
            .arg("*")
            .arg("provider")
            .arg(provider)
            .arg("id")
            .arg(id)
            .arg("event_type")
            .arg(event_type)
            .arg("body")
            .arg(body)
            .query_async(&mut conn)
            .await
            .map_err(|e| format!("appending to {STREAM}: {e}"))?;
    }
    let n = state.processed.fetch_add(1, Ordering::SeqCst) + 1;
    eprintln!("processed #{n}: {provider} {event_type} ({id})");
    Ok(Json(
        serde_json::json!({ "processed": id, "event_type": event_type }),
    ))
}

async fn stats(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "processed": s.processed.load(Ordering::SeqCst) }))
}

/// The receiver's routes; with a Redis URL, connects to it first.
pub async fn app(config: Config) -> Result<Router, Box<dyn std::error::Error>> {
    let options = Options {
        max_body: config.max_body,
        ..Options::default()
    };
    let (store, stream): (Arc<dyn IdempotencyStore>, _) = match &config.redis_url {
        Some(url) => {
            let redis = RedisStore::connect(url).await?;
            let conn = redis.connection();
            (Arc::new(redis), Some(conn))
        }
        None => (Arc::new(InMemoryStore::default()), None),
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
                .with_options(options)
                .with_store(store),
        ),
        stream,
        processed: Arc::new(AtomicU64::new(0)),
    };
    Ok(Router::new()
        .route(
            "/webhooks/valara",
            routes::valara(|s: AppState, d, body: Bytes| async move {
                hand_off(&s, "valara", d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/repull",
            routes::repull(|s: AppState, d, body: Bytes| async move {
                hand_off(&s, "repull", d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/lavanda",
            routes::lavanda(|s: AppState, d, body: Bytes| async move {
                hand_off(&s, "lavanda", d.id(), d.event().event_type(), &body).await
            }),
        )
        .route(
            "/webhooks/everreal",
            routes::everreal_unverified(|s: AppState, d, body: Bytes| async move {
                hand_off(&s, "everreal", d.id(), d.event().event_type(), &body).await
            }),
        )
        .route("/stats", get(stats))
        .with_state(state))
}

#[allow(dead_code)] // the integration tests include this file for `app` only
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(why) => {
            eprintln!("refusing to start: {why}");
            std::process::exit(2);
        }
    };
    let addr = std::env::var("PROPTECH_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let store = if config.redis_url.is_some() {
        "Redis (stream proptech:events)"
    } else {
        "memory"
    };
    let router = app(config).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "receiving webhooks on http://{} (store: {store})",
        listener.local_addr()?
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
