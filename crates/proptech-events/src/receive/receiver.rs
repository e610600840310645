//! The one `Receiver` trait every provider's receiver implements, and the processing every
//! receiver shares. The receiver types themselves are generated from the providers' descriptors.

use std::sync::Arc;

use super::contract::{Contract, Received};
use super::{Core, Headers, IdempotencyStore, Options, ReceiveError, SecretError, StoreKey};

pub(crate) mod sealed {
    /// Only this crate's generated receivers implement [`super::Receiver`].
    pub trait Sealed {}
}

/// What a receiver hands out: a [`Verified`](super::Verified) delivery of a provider that signs,
/// an [`Unverified`](super::Unverified) one of a provider that does not.
pub trait Delivery: sealed::Sealed + Sized {
    /// The provider's event enum.
    type Event;

    /// The typed event.
    fn event(&self) -> &Self::Event;

    /// The delivery's id: the one a retry of it carries again.
    fn id(&self) -> &str;

    /// The event type, exactly as the provider sent it.
    fn event_type(&self) -> &str;

    /// The signed timestamp, where the contract signs one.
    fn timestamp(&self) -> Option<i64>;

    /// The keys `process` claims for this delivery.
    fn dedupe_keys(&self) -> Vec<StoreKey>;

    /// The delivery as a CloudEvent 1.0 (feature `cloudevents`; see
    /// [`receive::cloudevents`](super::cloudevents)).
    #[cfg(feature = "cloudevents")]
    fn to_cloud_event(&self) -> Result<::cloudevents::Event, super::cloudevents::CloudEventError>;

    #[doc(hidden)]
    fn __wrap(received: Received<Self::Event>) -> Self;
}

/// A provider's receiver: it verifies a delivery's signature as the provider's contract says
/// (where the provider signs), checks its windows, and parses its typed event.
///
/// Implemented by the receiver of each provider (`ValaraReceiver`, `RepullReceiver`, …), which
/// `cargo xtask gen` writes from the provider's descriptor; it cannot be implemented elsewhere.
/// Code that works with any provider (routes, tools, benchmarks) is generic over it.
pub trait Receiver: sealed::Sealed + Sized + Send + Sync + 'static {
    /// The provider's event enum.
    type Event: crate::__private::ProviderEvent + Into<crate::AnyEvent> + Send + 'static;
    /// What a delivery becomes.
    type Delivery: Delivery<Event = Self::Event> + Send + 'static;
    /// The provider's contract, as its descriptor states it.
    const CONTRACT: &'static Contract;

    /// A receiver keyed with `secrets` (several during a rotation), for a provider that signs;
    /// [`SecretError::Unsigned`] for one that does not (make that one with
    /// [`unverified`](Self::unverified), by name).
    fn with_secrets<S: AsRef<str>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, SecretError>;

    /// A receiver that accepts deliveries without verifying where they come from, for a provider
    /// that documents no signature; `None` for one that signs.
    fn unverified() -> Option<Self>;

    #[doc(hidden)]
    fn __core(&self) -> &Core;
    #[doc(hidden)]
    fn __core_mut(&mut self) -> &mut Core;

    /// Verifies and parses a delivery as if the clock read `now` (Unix seconds). It does **not**
    /// deduplicate: use `process` (feature `process`), or record the delivery's `dedupe_keys` in
    /// your own transaction.
    fn receive_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<Self::Delivery, ReceiveError> {
        Self::CONTRACT
            .receive(self.__core(), headers, body, now)
            .map(Self::Delivery::__wrap)
    }

    /// Verifies and parses a delivery, with the receiver's clock. It does **not** deduplicate.
    fn receive<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Self::Delivery, ReceiveError> {
        self.receive_at(headers, body, (self.__core().clock)())
    }

    /// What the delivery's signature covers and whether a configured secret signs it, without
    /// checking the timestamp window, the id or the body: for explaining a rejection. Fails like
    /// `receive` on a missing or malformed signature header, and with
    /// [`ReceiveError::Unsigned`] for a provider that signs nothing.
    fn check_signature<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<super::SignatureCheck, ReceiveError> {
        Self::CONTRACT.check_signature(self.__core(), headers, body)
    }

    /// The headers a delivery of `body` needs, signed as the provider signs with each of
    /// `secrets` (several entries where the header takes them), with `id` and `timestamp` in
    /// the headers that carry them: what a test or a replay tool sends. Empty for a provider
    /// that signs nothing.
    fn sign<S: AsRef<str>>(
        secrets: &[S],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, SecretError> {
        Self::CONTRACT.sign(secrets, id, timestamp, body)
    }

    /// The value of the signature header alone (see [`sign`](Self::sign)); empty for a provider
    /// that signs nothing.
    fn signature<S: AsRef<str>>(
        secrets: &[S],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<String, SecretError> {
        let headers = Self::sign(secrets, id, timestamp, body)?;
        Ok(headers
            .into_iter()
            .last()
            .map(|(_, v)| v)
            .unwrap_or_default())
    }

    /// Replaces the limits and windows.
    fn with_options(mut self, options: Options) -> Self {
        self.__core_mut().options = options;
        self
    }

    /// Uses `store` to record deliveries in flight and done: share one store across receivers,
    /// or a Redis-backed one (feature `redis`) to share it across processes.
    fn with_store(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.__core_mut().store = store;
        self
    }

    /// Scopes this receiver's store keys to `namespace`: two receivers of one provider sharing a
    /// store (two tenants, two endpoints) with different namespaces never take each other's
    /// delivery ids for duplicates. The default is the empty namespace, shared.
    fn with_namespace(mut self, namespace: impl AsRef<str>) -> Self {
        self.__core_mut().namespace = Arc::from(namespace.as_ref());
        self
    }

    /// Replaces the clock (Unix seconds), for tests and for replaying old deliveries.
    fn with_clock(mut self, clock: fn() -> i64) -> Self {
        self.__core_mut().clock = clock;
        self
    }

    /// The options in force.
    fn options(&self) -> &Options {
        &self.__core().options
    }

    /// How long a delivery id is kept once done: the dedupe window, at least twice the tolerance
    /// where the provider signs a timestamp (a delivery is accepted for that long), and at least
    /// the replay horizon plus twice the tolerance where the provider dates its deliveries (one
    /// dated the tolerance ahead is accepted until the horizon and the tolerance have passed).
    fn dedupe_window(&self) -> u64 {
        Self::CONTRACT.id_window(self.options())
    }

    /// How long a nonce is remembered, where the provider's deliveries carry one: its documented
    /// window, or twice the tolerance when that is longer.
    fn nonce_window(&self) -> Option<u64> {
        Self::CONTRACT.nonce_window(self.options())
    }

    /// How old a dated delivery may be, in seconds (the replay horizon plus the tolerance), where
    /// the provider dates its deliveries.
    fn horizon(&self) -> Option<u64> {
        Self::CONTRACT
            .horizon
            .as_ref()
            .map(|h| h.seconds.saturating_add(self.options().tolerance))
    }
}

/// A core keyed with `secrets` as `contract` makes keys of them. Not public API: for the
/// generated receivers.
#[doc(hidden)]
pub fn core_for<S: AsRef<str>>(
    contract: &Contract,
    secrets: impl IntoIterator<Item = S>,
) -> Result<Core, SecretError> {
    Core::new(contract.keys(secrets)?)
}

/// Verifies and parses a delivery, then processes it at most once and at least once: claims its
/// keys in the receiver's store, runs `handler`, and records the delivery as done only if the
/// handler returned `Ok`. An `Err`, a panic, or running past
/// [`Options::handler_timeout`] releases the claim, so the provider's retry is processed.
#[cfg(feature = "process")]
pub async fn process<R, H, F, Fut, T, E>(
    receiver: &R,
    headers: &H,
    body: &[u8],
    handler: F,
) -> Result<super::Processed<T>, super::ProcessError<E>>
where
    R: Receiver,
    H: Headers + ?Sized,
    F: FnOnce(R::Delivery) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    use super::telemetry;
    use super::{Escaped, ProcessError, Processed};
    use crate::__private::ProviderEvent as _;
    use tracing::Instrument as _;
    use tracing::field::{Empty, display};

    let provider = R::CONTRACT.provider.as_str();
    let span = tracing::info_span!(
        "receive",
        provider,
        event_type = Empty,
        delivery = Empty,
        outcome = Empty,
        duration_ms = Empty
    );
    // The span's duration, read only when a subscriber records the span.
    let started = (!span.is_disabled()).then(std::time::Instant::now);
    telemetry::received(provider);
    let result = async {
        let delivery = receiver
            .receive(headers, body)
            .map_err(ProcessError::Rejected)?;
        let current = tracing::Span::current();
        current.record(
            "event_type",
            display(Escaped(delivery.event().event_type())),
        );
        current.record("delivery", display(Escaped(delivery.id())));
        let keys = delivery.dedupe_keys();
        let processing = tracing::info_span!("process", keys = keys.len());
        receiver
            .__core()
            .process(provider, delivery, keys, handler)
            .instrument(processing)
            .await
    }
    .instrument(span.clone())
    .await;
    let outcome = match &result {
        Ok(Processed::Handled(_)) => {
            telemetry::processed(provider);
            "processed"
        }
        Ok(Processed::Duplicate { .. }) => {
            telemetry::duplicate(provider);
            "duplicate"
        }
        Err(ProcessError::Rejected(e)) => {
            telemetry::rejected(provider, e.code());
            e.code()
        }
        Err(e) => {
            telemetry::failed(provider, e.code());
            e.code()
        }
    };
    if let Some(started) = started {
        span.record("outcome", outcome);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
    }
    result
}

/// Something to do with a provider's receiver type, whichever the provider:
/// [`dispatch`](crate::receive::dispatch) calls [`visit`](Self::visit) with the receiver type of a
/// provider known at run time. Tools that serve or check any provider (the CLI, the benchmarks)
/// are written once, as a `Visit`.
pub trait Visit {
    /// What the visit gives.
    type Output;

    /// Called with the receiver type `R` of the provider.
    fn visit<R: Receiver>(self) -> Self::Output;

    /// Called for a provider whose Cargo feature is off in this build.
    fn disabled(self, provider: crate::Provider) -> Self::Output;
}
