//! Processing a delivery inside its claim: at least once, never twice.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::store::{Claim, ClaimToken, IdempotencyStore, StoreError, StoreKey};
use super::{Core, ReceiveError};

/// What `process` did with a delivery that was not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed<T> {
    /// The handler ran and succeeded; the delivery is recorded as done.
    Handled(T),
    /// The delivery was processed before (a retry or a replay): the handler did not run.
    /// Acknowledge it with a 2xx so the provider stops retrying.
    Duplicate {
        /// The key found done (provider, kind and truncated id).
        key: String,
    },
}

/// Why `process` did not record a delivery as done. Every variant but [`Self::Rejected`] leaves
/// the delivery claimable, so the provider's retry is processed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError<E> {
    /// The delivery failed verification or parsing; retrying it will not help.
    #[error(transparent)]
    Rejected(ReceiveError),
    /// Another attempt of the same delivery is being processed right now.
    #[error("{key} is being processed by another attempt")]
    InFlight {
        /// The key found in flight.
        key: String,
    },
    /// The store could not be reached: nothing was processed, or the success could not be
    /// recorded (the handler ran; the retry runs it again).
    #[error(transparent)]
    Store(StoreError),
    /// The handler returned an error.
    #[error("the handler failed: {0}")]
    Handler(E),
    /// The handler panicked.
    #[error("the handler panicked: {0}")]
    Panicked(String),
    /// The handler ran past the timeout and was abandoned.
    #[error("the handler did not finish within {0:?}")]
    TimedOut(Duration),
    /// The handler succeeded after its claim's lease had expired and another attempt had claimed
    /// the delivery (only possible when a handler blocks the runtime past its timeout).
    #[error("the claim on {key} expired before the handler finished")]
    LeaseLost {
        /// The key whose claim was lost.
        key: String,
    },
}

impl<E> ProcessError<E> {
    /// The HTTP status to answer. All three signed providers retry on any non-2xx answer:
    ///
    /// - [`Self::Rejected`] has the error's own status (401, 400, 413): the delivery is bad.
    /// - [`Self::InFlight`] is **409 Conflict**. The attempt in flight may still fail, so this one
    ///   must not be acknowledged; 409 says "the resource is busy" without claiming the service
    ///   is down (503) or that the sender is too fast (429), and every provider retries on it.
    /// - [`Self::Store`] is **503**: the store is down; never 2xx, nothing was recorded.
    /// - [`Self::Handler`], [`Self::Panicked`] and [`Self::LeaseLost`] are **500**.
    /// - [`Self::TimedOut`] is **504**.
    pub fn status(&self) -> u16 {
        match self {
            ProcessError::Rejected(e) => e.status(),
            ProcessError::InFlight { .. } => 409,
            ProcessError::Store(_) => 503,
            ProcessError::Handler(_)
            | ProcessError::Panicked(_)
            | ProcessError::LeaseLost { .. } => 500,
            ProcessError::TimedOut(_) => 504,
        }
    }

    /// A stable, machine-readable name of the error (`"in_flight"`, `"store_unavailable"`, …;
    /// a rejection has its [`ReceiveError::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            ProcessError::Rejected(e) => e.code(),
            ProcessError::InFlight { .. } => "in_flight",
            ProcessError::Store(_) => "store_unavailable",
            ProcessError::Handler(_) => "handler_failed",
            ProcessError::Panicked(_) => "handler_panicked",
            ProcessError::TimedOut(_) => "handler_timed_out",
            ProcessError::LeaseLost { .. } => "lease_lost",
        }
    }
}

/// Polls a future, turning a panic into an error instead of unwinding through the caller.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Releases the claims still held when `process` is dropped before it finished (the client hung
/// up and the server cancelled the request), so the retry does not wait for the lease to expire.
struct Held {
    store: Arc<dyn IdempotencyStore>,
    keys: Vec<StoreKey>,
    token: ClaimToken,
}

impl Held {
    async fn release(mut self) {
        for key in std::mem::take(&mut self.keys) {
            // Best effort: a claim that cannot be released expires with its lease.
            let _ = self.store.release(&key, self.token).await;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let keys = std::mem::take(&mut self.keys);
        let (store, token) = (Arc::clone(&self.store), self.token);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for key in keys {
                    let _ = store.release(&key, token).await;
                }
            });
        }
    }
}

impl Core {
    /// Claims `keys` (in order), runs `handler` on `delivery`, completes on success and releases
    /// otherwise.
    pub(super) async fn process<D, F, Fut, T, E>(
        &self,
        delivery: D,
        keys: Vec<StoreKey>,
        handler: F,
    ) -> Result<Processed<T>, ProcessError<E>>
    where
        F: FnOnce(D) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let token = ClaimToken::random();
        let lease = self.options.lease();
        let mut held = Held {
            store: Arc::clone(&self.store),
            keys: Vec::with_capacity(keys.len()),
            token,
        };
        for key in keys {
            let now = (self.clock)();
            match self.store.claim(&key, token, lease, now).await {
                Ok(Claim::Claimed) => held.keys.push(key),
                Ok(Claim::Done) => {
                    // Consumed: whatever else this attempt claimed (a fresh nonce) stays done.
                    let now = (self.clock)();
                    for k in std::mem::take(&mut held.keys) {
                        let _ = self.store.complete(&k, token, now).await;
                    }
                    return Ok(Processed::Duplicate {
                        key: key.label().to_owned(),
                    });
                }
                Ok(Claim::InFlight) => {
                    held.release().await;
                    return Err(ProcessError::InFlight {
                        key: key.label().to_owned(),
                    });
                }
                Err(e) => {
                    held.release().await;
                    return Err(ProcessError::Store(e));
                }
            }
        }

        let timeout = Duration::from_secs(self.options.handler_timeout);
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| handler(delivery)))
            .map(|fut| CatchUnwind(Box::pin(fut)));
        let outcome = match run {
            Err(panic) => Ok(Err(panic)),
            Ok(fut) => tokio::time::timeout(timeout, fut).await,
        };
        let failure = match outcome {
            Ok(Ok(Ok(value))) => {
                let now = (self.clock)();
                let keys = std::mem::take(&mut held.keys);
                for (i, key) in keys.iter().enumerate() {
                    let failure = match self.store.complete(key, token, now).await {
                        Ok(true) => continue,
                        Ok(false) => {
                            held.keys = keys[i + 1..].to_vec();
                            ProcessError::LeaseLost {
                                key: key.label().to_owned(),
                            }
                        }
                        // The success could not be recorded: release what is left so the retry
                        // is processed (again: at least once).
                        Err(e) => {
                            held.keys = keys[i..].to_vec();
                            ProcessError::Store(e)
                        }
                    };
                    held.release().await;
                    return Err(failure);
                }
                return Ok(Processed::Handled(value));
            }
            Ok(Ok(Err(e))) => ProcessError::Handler(e),
            Ok(Err(panic)) => ProcessError::Panicked(panic_message(panic.as_ref())),
            Err(_elapsed) => ProcessError::TimedOut(timeout),
        };
        held.release().await;
        Err(failure)
    }
}
