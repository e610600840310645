//! Processing a delivery inside its claim: at least once, never twice.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::store::{Claim, ClaimToken, IdempotencyStore, StoreError, StoreKey};
use super::{Core, ReceiveError};

/// What `process` did with a delivery that was not rejected. A later release may tell more
/// outcomes apart: match it with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The store has no room for the delivery's keys without forgetting live work: nothing was
    /// claimed or processed; the provider's retry is processed once entries have expired.
    #[error("the idempotency store is full")]
    StoreFull,
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
    /// - [`Self::StoreFull`] is **503** (with `Retry-After`): the store refuses new work rather
    ///   than forget a claim in flight or a delivery done inside its window.
    /// - [`Self::Handler`], [`Self::Panicked`] and [`Self::LeaseLost`] are **500**.
    /// - [`Self::TimedOut`] is **504**.
    pub fn status(&self) -> u16 {
        match self {
            ProcessError::Rejected(e) => e.status(),
            ProcessError::InFlight { .. } => 409,
            ProcessError::Store(_) | ProcessError::StoreFull => 503,
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
            ProcessError::StoreFull => "store_full",
            ProcessError::Handler(_) => "handler_failed",
            ProcessError::Panicked(_) => "handler_panicked",
            ProcessError::TimedOut(_) => "handler_timed_out",
            ProcessError::LeaseLost { .. } => "lease_lost",
        }
    }
}

impl<E> ProcessError<E> {
    /// A message for the sender of the delivery: fixed text per [`code`](Self::code), never the
    /// handler's error, a panic message or the store's error (log those with `Display`, which
    /// has them, on the server's side). A rejection's message says what is wrong with the
    /// delivery itself.
    pub fn public_message(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(match self {
            ProcessError::Rejected(e) => return std::borrow::Cow::Owned(e.to_string()),
            ProcessError::InFlight { .. } => {
                "this delivery is being processed by another attempt; retry later"
            }
            ProcessError::Store(_) => "the receiver cannot record deliveries now; retry later",
            ProcessError::StoreFull => {
                "the receiver has no room for new deliveries now; retry later"
            }
            ProcessError::Handler(_)
            | ProcessError::Panicked(_)
            | ProcessError::LeaseLost { .. } => "the delivery could not be processed; retry later",
            ProcessError::TimedOut(_) => "processing the delivery took too long; retry later",
        })
    }

    /// How long the sender should wait before retrying, in seconds, for the answers that say
    /// "retry later" with a `Retry-After` header: a delivery in flight, a full store, an
    /// unreachable store.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ProcessError::InFlight { .. } => Some(5),
            ProcessError::StoreFull => Some(60),
            ProcessError::Store(_) => Some(10),
            _ => None,
        }
    }
}

/// A handler's error that asks the provider to come back later, because something the handler
/// hands the delivery to is full or down (a queue at its bound, an unreachable database). The
/// axum routes answer it `503` with `Retry-After` instead of `500`; like any handler error it
/// releases the claim, so the retry is processed.
///
/// ```
/// use proptech_events::receive::RetryLater;
/// let e = RetryLater::new("the queue holds 1,000 entries, its bound").after(30);
/// assert_eq!(e.retry_after(), 30);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryLater {
    detail: String,
    retry_after: u64,
}

impl RetryLater {
    /// A "retry later" with what went wrong (for the log, never the answer), after 60 s.
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            retry_after: 60,
        }
    }

    /// Replaces the `Retry-After` seconds.
    pub fn after(mut self, seconds: u64) -> Self {
        self.retry_after = seconds;
        self
    }

    /// The `Retry-After` seconds.
    pub fn retry_after(&self) -> u64 {
        self.retry_after
    }
}

impl std::fmt::Display for RetryLater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "retry later: {}", self.detail)
    }
}

impl std::error::Error for RetryLater {}

/// A count of like events, logged at most once per [`Throttled::INTERVAL`]: a store that stays
/// full, or a queue that stays at its bound, writes one line a minute, not one per delivery (an
/// anonymous flood cannot grow the log without bound).
pub(crate) struct Throttled {
    count: std::sync::atomic::AtomicU64,
    logged_at: std::sync::atomic::AtomicI64,
}

impl Throttled {
    /// How often a throttled event is logged, at most, in seconds.
    const INTERVAL: i64 = 60;

    pub(crate) const fn new() -> Self {
        Self {
            count: std::sync::atomic::AtomicU64::new(0),
            logged_at: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Counts one event at `now` (Unix seconds); the count since the last line when one is due.
    pub(crate) fn note(&self, now: i64) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        self.count.fetch_add(1, Relaxed);
        let last = self.logged_at.load(Relaxed);
        (now.saturating_sub(last) >= Self::INTERVAL
            && self
                .logged_at
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok())
        .then(|| self.count.swap(0, Relaxed))
    }
}

static FULL: Throttled = Throttled::new();

fn note_full(now: i64) {
    if let Some(refused) = FULL.note(now) {
        tracing::warn!(
            refused,
            "the idempotency store is full: {refused} deliveries answered 503 (retryable) since \
             the last report; size the store for the delivery rate over the dedupe window"
        );
    }
}

/// How a guarded handler ended.
pub(crate) enum Guarded<T> {
    /// It returned `T`.
    Done(T),
    /// It panicked, when called or when polled.
    Panicked(Box<dyn Any + Send>),
    /// It ran past its timeout and was dropped.
    TimedOut,
}

/// Runs `handler(input)` to its end, or until `timeout` has passed since the call: a panic in the
/// call or in any poll becomes [`Guarded::Panicked`] instead of unwinding through the caller.
/// Gives how it ended and how long it ran.
///
/// The timer is armed only when the handler first waits: a handler that finishes in its first
/// poll (most do: it hands the event on) costs no timer, no allocation and one clock reading at
/// each end. The deadline counts from the call either way, and is checked against the clock
/// each time the handler returns `Pending`, so a handler busy on I/O that is always ready is
/// timed out too.
pub(crate) async fn guarded<I, F, Fut>(
    handler: F,
    input: I,
    timeout: Duration,
) -> (Guarded<Fut::Output>, Duration)
where
    F: FnOnce(I) -> Fut,
    Fut: Future,
{
    let started = tokio::time::Instant::now();
    // A timeout too long to be a date is no timeout.
    let deadline = started.checked_add(timeout);
    let mut call = Some((handler, input));
    let mut running = std::pin::pin!(None::<Fut>);
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let ended = std::future::poll_fn(|cx| {
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if let Some((handler, input)) = call.take() {
                running.set(Some(handler(input)));
            }
            match running.as_mut().as_pin_mut() {
                Some(fut) => fut.poll(cx),
                // Not reached: the future is set above, and this is not polled after it ended.
                None => Poll::Pending,
            }
        }));
        match polled {
            Ok(Poll::Ready(value)) => Poll::Ready(Guarded::Done(value)),
            Err(panic) => Poll::Ready(Guarded::Panicked(panic)),
            Ok(Poll::Pending) => {
                let Some(deadline) = deadline else {
                    return Poll::Pending;
                };
                // The clock, not only the timer: a handler that spends tokio's budget for a
                // task's poll (I/O that is always ready) returns `Pending` with the budget
                // spent, and the timer then answers `Pending` whatever the time.
                if tokio::time::Instant::now() >= deadline {
                    return Poll::Ready(Guarded::TimedOut);
                }
                // The timer wakes the task when the handler waits past the deadline.
                let timer =
                    timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                timer.as_mut().poll(cx).map(|()| Guarded::TimedOut)
            }
        }
    })
    .await;
    (ended, started.elapsed())
}

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// The label of `keys[i]` (the last key when `i` is out of range), for messages.
fn label(keys: &[StoreKey], i: usize) -> String {
    keys.get(i)
        .or(keys.last())
        .map(|k| k.label().to_owned())
        .unwrap_or_default()
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
        let keys = std::mem::take(&mut self.keys);
        if !keys.is_empty() {
            // Best effort: a claim that cannot be released expires with its lease.
            let _ = self.store.release(&keys, self.token).await;
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
                let _ = store.release(&keys, token).await;
            });
        }
    }
}

impl Core {
    /// Claims `keys` (in order), runs `handler` on `delivery`, completes on success and releases
    /// otherwise. The handler's run time is recorded under `provider`.
    pub(super) async fn process<D, F, Fut, T, E>(
        &self,
        provider: &'static str,
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
        let now = (self.clock)();
        // Every key of the delivery is claimed as one unit: all or none.
        let claim = match self.store.claim_at_once(&keys, token, lease, now) {
            Some(claim) => claim,
            None => self.store.claim(&keys, token, lease, now).await,
        };
        match claim {
            Ok(Claim::Claimed) => {}
            Ok(Claim::Done { key }) => {
                return Ok(Processed::Duplicate {
                    key: label(&keys, key),
                });
            }
            Ok(Claim::InFlight { key }) => {
                return Err(ProcessError::InFlight {
                    key: label(&keys, key),
                });
            }
            Ok(Claim::Full) => {
                note_full(now);
                return Err(ProcessError::StoreFull);
            }
            Err(e) => return Err(ProcessError::Store(e)),
        }
        let held = Held {
            store: Arc::clone(&self.store),
            keys,
            token,
        };

        let timeout = Duration::from_secs(self.options.handler_timeout);
        let (outcome, ran) = guarded(handler, delivery, timeout).await;
        if let Guarded::Done(_) = outcome {
            super::telemetry::handler_duration(provider, ran.as_secs_f64());
        }
        let failure = match outcome {
            Guarded::Done(Ok(value)) => {
                let mut held = held;
                let now = (self.clock)();
                let done = match self.store.complete_at_once(&held.keys, token, now) {
                    Some(done) => done,
                    None => self.store.complete(&held.keys, token, now).await,
                };
                return match done {
                    Ok(true) => {
                        held.keys.clear();
                        Ok(Processed::Handled(value))
                    }
                    Ok(false) => {
                        let key = label(&held.keys, held.keys.len().saturating_sub(1));
                        held.release().await;
                        Err(ProcessError::LeaseLost { key })
                    }
                    // The success could not be recorded: release the claim so the retry is
                    // processed (again: at least once).
                    Err(e) => {
                        held.release().await;
                        Err(ProcessError::Store(e))
                    }
                };
            }
            Guarded::Done(Err(e)) => ProcessError::Handler(e),
            Guarded::Panicked(panic) => ProcessError::Panicked(panic_message(panic.as_ref())),
            Guarded::TimedOut => ProcessError::TimedOut(timeout),
        };
        held.release().await;
        Err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_handler_ready_at_once_is_done() {
        let (ended, ran) = block_on(guarded(|n: u32| async move { n + 1 }, 1, SECOND));
        assert!(matches!(ended, Guarded::Done(2)));
        assert!(ran < SECOND);
    }

    #[test]
    fn a_panic_in_the_call_or_in_a_poll_is_caught() {
        #[allow(unreachable_code)]
        let call = |()| -> std::future::Ready<()> { panic!("in the call") };
        let (ended, _) = block_on(guarded(call, (), SECOND));
        let Guarded::Panicked(panic) = ended else {
            panic!("not caught");
        };
        assert_eq!(panic_message(panic.as_ref()), "in the call");

        let poll = |()| async {
            tokio::task::yield_now().await;
            panic!("in a poll")
        };
        let (ended, _) = block_on(guarded(poll, (), SECOND));
        let Guarded::Panicked(panic) = ended else {
            panic!("not caught");
        };
        assert_eq!(panic_message(panic.as_ref()), "in a poll");
    }

    #[test]
    fn a_handler_that_waits_past_the_timeout_is_timed_out() {
        let wait = |()| tokio::time::sleep(Duration::from_secs(60));
        let (ended, ran) = block_on(guarded(wait, (), Duration::from_millis(50)));
        assert!(matches!(ended, Guarded::TimedOut));
        assert!(ran >= Duration::from_millis(50) && ran < SECOND, "{ran:?}");
    }

    #[test]
    fn a_handler_that_waits_and_finishes_in_time_is_done() {
        let wait = |()| async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        };
        let (ended, ran) = block_on(guarded(wait, (), SECOND));
        assert!(matches!(ended, Guarded::Done(7)));
        assert!(ran >= Duration::from_millis(20), "{ran:?}");
    }

    #[test]
    fn a_handler_busy_on_ready_io_past_the_timeout_is_timed_out() {
        // Each `consume_budget` is ready until the task's budget is spent, as I/O that is
        // always ready is: the handler returns `Pending` with no budget left for the timer.
        let busy = |()| async {
            let until = std::time::Instant::now() + Duration::from_secs(5);
            while std::time::Instant::now() < until {
                tokio::task::consume_budget().await;
            }
        };
        let (ended, ran) = block_on(guarded(busy, (), Duration::from_millis(100)));
        assert!(matches!(ended, Guarded::TimedOut));
        assert!(ran < SECOND, "{ran:?}");
    }

    #[test]
    fn a_timeout_too_long_for_a_date_is_no_timeout() {
        let wait = |()| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            3
        };
        let (ended, _) = block_on(guarded(wait, (), Duration::from_secs(u64::MAX)));
        assert!(matches!(ended, Guarded::Done(3)));
    }

    #[test]
    fn the_deadline_counts_from_the_call_not_from_the_first_wait() {
        // The first poll blocks 400 ms, past the 300 ms timeout, then the handler waits: the
        // deadline has passed, so the handler is timed out at its first wait (about 400 ms in),
        // not 300 ms after it (700 ms in).
        let blocks_then_waits = |()| async {
            std::thread::sleep(Duration::from_millis(400));
            tokio::time::sleep(Duration::from_secs(60)).await;
        };
        let (ended, ran) = block_on(guarded(blocks_then_waits, (), Duration::from_millis(300)));
        assert!(matches!(ended, Guarded::TimedOut));
        assert!(ran < Duration::from_millis(650), "{ran:?}");
    }
}
