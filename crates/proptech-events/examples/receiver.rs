//! A webhook receiver for all four providers: it verifies each delivery, drops duplicates, and logs
//! the typed event.
//!
//! ```text
//! cargo run -p proptech-events --features axum --example receiver
//! ```
//!
//! It listens on `PROPTECH_ADDR` (default `127.0.0.1:3000`) and reads the secrets from
//! `VALARA_SECRET`, `REPULL_SECRET` and `LAVANDA_SECRET` (comma-separated during a rotation; the
//! defaults are the test secrets of the docs and the Standard Webhooks specification), and the body
//! limit from `PROPTECH_MAX_BODY` (bytes, default 1 MiB). Routes:
//! `POST /webhooks/{valara,repull,lavanda,everreal}`, and `GET /stats` with the number of events
//! processed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use proptech_events::receive::axum::{
    LavandaDelivery, RepullDelivery, UnverifiedEverrealDelivery, ValaraDelivery,
};
use proptech_events::receive::{
    EverrealReceiver, LavandaReceiver, Options, RepullReceiver, SecretError, ValaraReceiver,
};

/// The receivers and the count of events processed.
#[derive(Clone, FromRef)]
pub struct AppState {
    valara: Arc<ValaraReceiver>,
    repull: Arc<RepullReceiver>,
    lavanda: Arc<LavandaReceiver>,
    everreal: Arc<EverrealReceiver>,
    processed: Arc<AtomicU64>,
}

/// The secrets of each provider (several during a rotation) and the body limit.
pub struct Config {
    /// Valara's endpoint secrets.
    pub valara: Vec<String>,
    /// Repull's `whsec_...` signing secrets.
    pub repull: Vec<String>,
    /// Lavanda's Svix `whsec_...` secrets.
    pub lavanda: Vec<String>,
    /// The largest body accepted, in bytes.
    pub max_body: usize,
}

impl Config {
    /// From `VALARA_SECRET`, `REPULL_SECRET`, `LAVANDA_SECRET` and `PROPTECH_MAX_BODY`, or the
    /// documented test secrets and 1 MiB.
    pub fn from_env() -> Self {
        let read = |name: &str, default: &str| -> Vec<String> {
            std::env::var(name)
                .unwrap_or_else(|_| default.to_owned())
                .split(',')
                .map(str::to_owned)
                .collect()
        };
        Config {
            valara: read("VALARA_SECRET", "test_secret_001"),
            repull: read("REPULL_SECRET", "whsec_k7d9f2example"),
            lavanda: read("LAVANDA_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            max_body: std::env::var("PROPTECH_MAX_BODY")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(Options::default().max_body),
        }
    }
}

/// Logs a processed event and counts it.
fn processed(
    state: &AppState,
    provider: &str,
    id: &str,
    event_type: &str,
) -> Json<serde_json::Value> {
    let n = state.processed.fetch_add(1, Ordering::SeqCst) + 1;
    eprintln!("processed #{n}: {provider} {event_type} ({id})");
    Json(serde_json::json!({ "processed": id, "event_type": event_type }))
}

async fn valara(
    State(s): State<AppState>,
    ValaraDelivery(d): ValaraDelivery,
) -> Json<serde_json::Value> {
    processed(&s, "valara", &d.id, d.event.event_type())
}

async fn repull(
    State(s): State<AppState>,
    RepullDelivery(d): RepullDelivery,
) -> Json<serde_json::Value> {
    processed(&s, "repull", &d.id, d.event.event_type())
}

async fn lavanda(
    State(s): State<AppState>,
    LavandaDelivery(d): LavandaDelivery,
) -> Json<serde_json::Value> {
    processed(&s, "lavanda", &d.id, d.event.event_type())
}

async fn everreal(
    State(s): State<AppState>,
    UnverifiedEverrealDelivery(d): UnverifiedEverrealDelivery,
) -> Json<serde_json::Value> {
    processed(&s, "everreal (unverified)", &d.id, d.event.event_type())
}

async fn stats(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "processed": s.processed.load(Ordering::SeqCst) }))
}

/// The receiver's routes.
pub fn app(config: Config) -> Result<Router, SecretError> {
    let options = Options {
        max_body: config.max_body,
        ..Options::default()
    };
    let state = AppState {
        valara: Arc::new(ValaraReceiver::new(&config.valara)?.with_options(options.clone())),
        repull: Arc::new(RepullReceiver::new(&config.repull)?.with_options(options.clone())),
        lavanda: Arc::new(LavandaReceiver::new(&config.lavanda)?.with_options(options.clone())),
        everreal: Arc::new(EverrealReceiver::unverified().with_options(options)),
        processed: Arc::new(AtomicU64::new(0)),
    };
    Ok(Router::new()
        .route("/webhooks/valara", post(valara))
        .route("/webhooks/repull", post(repull))
        .route("/webhooks/lavanda", post(lavanda))
        .route("/webhooks/everreal", post(everreal))
        .route("/stats", get(stats))
        .with_state(state))
}

#[allow(dead_code)] // the integration test includes this file for `app` only
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("PROPTECH_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("receiving webhooks on http://{}", listener.local_addr()?);
    axum::serve(listener, app(Config::from_env())?)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
