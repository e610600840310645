//! axum extractors that verify and parse a delivery: take one as a handler argument and the handler
//! only runs for a verified, deduplicated, typed event.
//!
//! The extractor finds its receiver in the router state through `FromRef`, reads the body up to
//! the receiver's `max_body` (a larger body is refused before it is read whole), and answers a
//! rejected delivery itself: `401` for a signature or timestamp problem, `400` for a body that
//! does not parse, `413` for a body too large, and `200` for a duplicate, which was already
//! processed and must not be retried.
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, routing::post, extract::FromRef};
//! use proptech_events::receive::{RepullReceiver, axum::RepullDelivery};
//!
//! #[derive(Clone, FromRef)]
//! struct State { repull: Arc<RepullReceiver> }
//!
//! async fn handle(RepullDelivery(delivery): RepullDelivery) -> &'static str {
//!     println!("{} {}", delivery.id, delivery.event.event_type());
//!     "ok"
//! }
//!
//! let repull = Arc::new(RepullReceiver::new(["whsec_..."]).unwrap());
//! let app: Router = Router::new().route("/webhooks/repull", post(handle)).with_state(State { repull });
//! ```

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ReceiveError;

/// A rejected delivery, answered with its status and `{"error": code, "message": text}`.
#[derive(Debug)]
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
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit as u64 + 1))?;
    Ok((parts, bytes.to_vec()))
}

macro_rules! extractor {
    ($(#[$doc:meta])* $name:ident, $receiver:ty, $out:ty, $call:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub $out);

        impl<S> FromRequest<S> for $name
        where
            Arc<$receiver>: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = Rejected;

            async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
                let receiver = Arc::<$receiver>::from_ref(state);
                let (parts, bytes) = body(req, receiver.options().max_body).await?;
                receiver.$call(&parts.headers, &bytes).map(Self).map_err(Rejected)
            }
        }
    };
}

#[cfg(feature = "valara")]
extractor!(
    /// A verified Valara delivery; the state must provide an `Arc<ValaraReceiver>`.
    ValaraDelivery, super::ValaraReceiver, super::Verified<crate::valara::Event>, receive
);
#[cfg(feature = "repull")]
extractor!(
    /// A verified Repull delivery; the state must provide an `Arc<RepullReceiver>`.
    RepullDelivery, super::RepullReceiver, super::Verified<crate::repull::Event>, receive
);
#[cfg(feature = "lavanda")]
extractor!(
    /// A verified Lavanda delivery; the state must provide an `Arc<LavandaReceiver>`.
    LavandaDelivery, super::LavandaReceiver, super::Verified<crate::lavanda::Event>, receive
);
#[cfg(feature = "everreal")]
extractor!(
    /// An EverReal delivery, which carries no signature: [`super::Unverified`]. The state must provide an
    /// `Arc<EverrealReceiver>`, built with `EverrealReceiver::unverified()`.
    UnverifiedEverrealDelivery, super::EverrealReceiver, super::Unverified<crate::everreal::Event>, receive_unverified
);
