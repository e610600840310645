//! Serving routes with the limits a public endpoint needs (feature `axum`): a deadline for a
//! request's headers, a deadline for its whole body, and a cap on open connections.
//!
//! `axum::serve` keeps a connection open as long as the client trickles bytes: a client that
//! sends half its headers, or 500 KB of a declared 1 MB body, holds a connection and up to
//! `max_body` of memory for as long as it likes. [`serve`] is `axum::serve` with three bounds:
//!
//! | bound | default | what a slow or idle client gets |
//! |---|---|---|
//! | [`Limits::header_timeout`] | 10 s | the connection is closed (hyper's `header_read_timeout`, which also bounds an idle kept-alive connection) |
//! | [`Limits::body_timeout`] | 30 s, for the whole body | `408` `{"error": "body_not_received"}`, the connection closed |
//! | [`Limits::max_connections`] | 1,024 | connections beyond it wait in the kernel's accept queue, costing the process nothing |
//!
//! ```no_run
//! # async fn run(app: axum::Router) -> std::io::Result<()> {
//! use proptech_events::receive::server::{Limits, serve};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! let limits = Limits::default().with_max_connections(256);
//! serve(listener, app, limits, std::future::pending()).await
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::time::{Instant, Sleep};
use tower_service::Service as _;

/// The bounds [`serve`] puts on every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// How long a client has to send a request's headers, from the moment the server waits for
    /// them (a new connection, or a kept-alive one after its last answer).
    pub header_timeout: Duration,
    /// How long a client has to send a request's whole body, from the end of its headers.
    pub body_timeout: Duration,
    /// The most connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// Headers within 10 s, the body within 30 s (a 1 MiB body at 35 KB/s), 1,024 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

impl Limits {
    /// Replaces the header deadline.
    pub fn with_header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Replaces the body deadline.
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Replaces the connection cap (at least 1).
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }
}

/// The error a body past its deadline yields; the routes answer it with `408`.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
#[non_exhaustive]
pub struct BodyDeadline(pub Duration);

/// A request body that fails once its deadline has passed.
struct DeadlineBody {
    inner: Incoming,
    sleep: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl http_body::Body for DeadlineBody {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(axum::Error::new)));
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyDeadline(self.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting and lets the connections in progress finish their current request.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or a connection reset before it was accepted: wait a
                // moment instead of spinning, and go on serving.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let body_timeout = limits.body_timeout;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut router = router.clone();
            let request = request.map(|inner| {
                Body::new(DeadlineBody {
                    inner,
                    sleep: Box::pin(tokio::time::sleep_until(Instant::now() + body_timeout)),
                    timeout: body_timeout,
                })
            });
            async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {})) }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection error (a reset, a header timeout) concerns that client alone.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
