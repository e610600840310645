//! axum integration: routes that process each delivery inside a claim, and extractors that only
//! verify and parse.
//!
//! **Routes** ([`route`], or each receiver's own `route`, e.g. `RepullReceiver::route`) verify the delivery,
//! claim it in the receiver's [`IdempotencyStore`](super::IdempotencyStore), run your handler, and
//! record the delivery as done only when the handler returned `Ok`. The handler receives the
//! router state, the verified delivery and the raw body (to hand it to a queue unchanged). An `Err`, a panic or a
//! timeout releases the claim, so the provider's retry is processed. The answers:
//!
//! | outcome | status | body |
//! |---|---|---|
//! | handler `Ok(response)` | the response's (2xx expected) | yours |
//! | duplicate of a processed delivery | 200 | `{"duplicate": key}` |
//! | duplicate of one in flight | 409, `Retry-After: 5` | `{"error": "in_flight", …}` |
//! | store full (no room without forgetting live work) | 503, `Retry-After: 60` | `{"error": "store_full", …}` |
//! | store unreachable | 503, `Retry-After: 10` | `{"error": "store_unavailable", …}` |
//! | handler `Err(RetryLater)` | 503, its `Retry-After` | `{"error": "retry_later", …}` |
//! | handler `Err`, panic | 500 | `{"error": "handler_failed" / "handler_panicked", …}` |
//! | handler timeout | 504 | `{"error": "handler_timed_out", …}` |
//! | bad signature, stale timestamp, bad header | 401 | `{"error": code, "message": text}` |
//! | malformed body | 400 | idem |
//! | body too large | 413 | idem (refused before it is read whole) |
//! | body not received in time ([`server::Limits`](super::server::Limits)) | 408 | idem |
//!
//! The `message` of an answer other than a rejection is fixed text per code
//! ([`ProcessError::public_message`]): a handler's error, a panic message or the store's error
//! never reaches the caller. They are logged instead, with `tracing` (target
//! `proptech_events::receive`), every value taken from the delivery escaped
//! ([`Escaped`](super::Escaped)).
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, body::Bytes, extract::FromRef};
//! use proptech_events::receive::{RepullReceiver, Verified};
//! use proptech_events::repull::Event;
//!
//! #[derive(Clone, FromRef)]
//! struct State { repull: Arc<RepullReceiver> }
//!
//! async fn handle(_: State, delivery: Verified<Event>, _raw: Bytes) -> Result<&'static str, String> {
//!     println!("{} {}", delivery.id(), delivery.event().event_type());
//!     Ok("ok") // an Err releases the delivery: the provider's retry is processed
//! }
//!
//! let receiver = Arc::new(RepullReceiver::new(["whsec_..."]).unwrap());
//! let app: Router = Router::new()
//!     .route("/webhooks/repull", RepullReceiver::route(handle))
//!     .with_state(State { repull: receiver });
//! ```
//!
//! **The extractor** [`Verify<R>`](Verify) verifies and parses before a handler runs, and answers a
//! rejected delivery itself. It does **not** deduplicate: use it when the handler records
//! [`Verified::dedupe_keys`](super::Verified::dedupe_keys) in its own database transaction.

use std::sync::Arc;

use std::fmt::Display;
use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::{ProcessError, Processed, ReceiveError, Receiver};

/// A rejected delivery, answered with its status and `{"error": code, "message": text}`.
#[derive(Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a newtype that makes a ReceiveError an axum response; a handler builds one"
)]
pub struct Rejected(pub ReceiveError);

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = serde_json::json!({ "error": self.0.code(), "message": self.0.to_string() });
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Reads a request body of at most `limit` bytes, refusing a larger one before it is read whole.
async fn body(
    req: Request,
    limit: usize,
) -> Result<(axum::http::request::Parts, Vec<u8>), Rejected> {
    let (parts, body): (_, Body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = |size: u64| {
        Rejected(ReceiveError::BodyTooLarge {
            size,
            limit: limit as u64,
        })
    };
    if let Some(size) = declared.filter(|s| *s > limit as u64) {
        return Err(too_large(size));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(error) = source {
            if error.is::<super::server::BodyDeadline>() {
                return Rejected(ReceiveError::BodyNotReceived);
            }
            if error.is::<http_body_util::LengthLimitError>() {
                return too_large(limit as u64 + 1);
            }
            source = error.source();
        }
        // The client hung up or sent a broken chunked body.
        Rejected(ReceiveError::BodyNotReceived)
    })?;
    Ok((parts, bytes.to_vec()))
}

/// A delivery verified and parsed by the receiver `R` before the handler runs (`Verified` or
/// `Unverified`, as `R`'s provider signs or not); a rejected delivery is answered with its status.
/// The router state must provide an `Arc<R>`. It does not deduplicate.
#[derive(Debug)]
#[allow(
    clippy::exhaustive_structs,
    reason = "an extractor newtype, destructured in a handler's arguments"
)]
pub struct Verify<R: Receiver>(pub R::Delivery);

impl<R, S> FromRequest<S> for Verify<R>
where
    R: Receiver,
    Arc<R>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = Arc::<R>::from_ref(state);
        let (parts, bytes) = body(req, receiver.options().max_body).await?;
        receiver
            .receive(&parts.headers, &bytes)
            .map(Self)
            .map_err(Rejected)
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The answer to a processed (or not) delivery; what went wrong on this side is logged, not
/// answered.
fn answer<T: IntoResponse, E: Display + 'static>(
    provider: &'static str,
    result: Result<Processed<T>, ProcessError<E>>,
) -> Response {
    match result {
        Ok(Processed::Handled(response)) => response.into_response(),
        Ok(Processed::Duplicate { key }) => {
            tracing::debug!(provider, key = %super::Escaped(&key), "duplicate acknowledged");
            json(StatusCode::OK, serde_json::json!({ "duplicate": key }))
        }
        Err(ProcessError::Rejected(e)) => {
            tracing::debug!(provider, code = e.code(), detail = %super::Escaped(&e.to_string()), "delivery rejected");
            Rejected(e).into_response()
        }
        Err(ProcessError::Handler(ref e))
            if let Some(later) = (e as &dyn std::any::Any).downcast_ref::<super::RetryLater>() =>
        {
            static DEFERRED: super::process::Throttled = super::process::Throttled::new();
            if let Some(deferred) = DEFERRED.note(super::system_now()) {
                tracing::warn!(
                    provider,
                    deferred,
                    detail = %super::Escaped(&later.to_string()),
                    "{deferred} deliveries deferred by their handler since the last report (503, retryable); the latest"
                );
            }
            let mut response = json(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({
                    "error": "retry_later",
                    "message": "the delivery cannot be handed on now; retry later",
                }),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(later.retry_after()),
            );
            response
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            static UNAVAILABLE: super::process::Throttled = super::process::Throttled::new();
            match e {
                ProcessError::InFlight { .. } | ProcessError::StoreFull => {
                    tracing::debug!(provider, code = e.code(), "delivery deferred")
                }
                // One line a minute while the store is down, whatever the traffic.
                ProcessError::Store(ref store) => {
                    if let Some(refused) = UNAVAILABLE.note(super::system_now()) {
                        tracing::warn!(
                            provider,
                            refused,
                            detail = %super::Escaped(&super::with_sources(store)),
                            "the idempotency store is unavailable: {refused} deliveries answered 503 since the last report; the latest"
                        );
                    }
                }
                _ => tracing::warn!(
                    provider,
                    code = e.code(),
                    detail = %super::Escaped(&e.to_string()),
                    "delivery not processed; the provider will retry it"
                ),
            }
            let mut response = json(
                status,
                serde_json::json!({ "error": e.code(), "message": e.public_message() }),
            );
            if let Some(seconds) = e.retry_after() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            response
        }
    }
}

/// A `POST` route processing the deliveries of `R`'s provider with
/// `handler(state, delivery, raw_body)`; the router state must provide an `Arc<R>`. Each
/// receiver has it as `route` (`RepullReceiver::route(handler)`).
pub fn route<R, S, F, Fut, T, E>(handler: F) -> MethodRouter<S>
where
    R: Receiver,
    S: Clone + Send + Sync + 'static,
    Arc<R>: FromRef<S>,
    F: Fn(S, R::Delivery, Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: IntoResponse + Send + 'static,
    E: Display + Send + 'static,
{
    axum::routing::post(move |State(state): State<S>, req: Request| async move {
        let receiver = Arc::<R>::from_ref(&state);
        let (parts, bytes) = match body(req, receiver.options().max_body).await {
            Ok(read) => read,
            Err(rejected) => {
                let provider = R::CONTRACT.provider.as_str();
                super::telemetry::received(provider);
                super::telemetry::rejected(provider, rejected.0.code());
                return rejected.into_response();
            }
        };
        let raw = Bytes::from(bytes);
        let result = super::process(&*receiver, &parts.headers, &raw.clone(), move |delivery| {
            handler(state, delivery, raw)
        })
        .await;
        answer(R::CONTRACT.provider.as_str(), result)
    })
}
