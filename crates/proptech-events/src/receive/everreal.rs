//! EverReal documents no signature: its deliveries can only be received as [`Unverified`].

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;

use super::{Core, Dedupe, InMemoryStore, Options, Partition, ReceiveError, Unverified};
use crate::receive::Headers;

/// Parses EverReal deliveries, which carry no signature, into [`Unverified`] events.
#[derive(Debug, Clone)]
pub struct EverrealReceiver {
    core: Core,
}

receiver_builders!(EverrealReceiver);

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    operation: Cow<'a, str>,
    #[serde(borrow)]
    uuid: Cow<'a, str>,
}

impl EverrealReceiver {
    /// A receiver that accepts deliveries without verifying where they come from, because EverReal
    /// documents no way to. Protect the endpoint another way (a secret URL, an IP allow list).
    pub fn unverified() -> Self {
        Self {
            core: Core {
                keys: Vec::new(),
                namespace: Arc::from(""),
                options: Options::default(),
                store: Arc::new(InMemoryStore::default()),
                clock: super::system_now,
            },
        }
    }

    /// Parses a delivery; its `uuid` is the dedupe key (in the [`Partition::Unverified`]
    /// partition). It does **not** deduplicate: use `process_unverified`. Headers are
    /// not used; they are taken so the call looks like every other receiver's.
    pub fn receive_unverified<H: Headers + ?Sized>(
        &self,
        _headers: &H,
        body: &[u8],
    ) -> Result<Unverified<crate::everreal::Event>, ReceiveError> {
        self.core.check_size(body)?;
        let head: Head<'_> = super::read_head(crate::Provider::Everreal, body)?;
        let event = typed!(
            self.core,
            everreal,
            Everreal,
            head.operation.into_owned(),
            body
        )?;
        let id = head.uuid.into_owned();
        let dedupe = Dedupe {
            namespace: Arc::clone(&self.core.namespace),
            provider: "everreal",
            partition: Partition::Unverified,
            window: self.core.options.dedupe_window,
            nonce: None,
        };
        Ok(Unverified { event, id, dedupe })
    }

    /// Parses a delivery and processes it at least once and at most once, like the signed
    /// receivers' `process`; its key lives in the [`Partition::Unverified`] partition.
    #[cfg(feature = "process")]
    pub async fn process_unverified<H, F, Fut, T, E>(
        &self,
        headers: &H,
        body: &[u8],
        handler: F,
    ) -> Result<super::Processed<T>, super::ProcessError<E>>
    where
        H: Headers + ?Sized,
        F: FnOnce(Unverified<crate::everreal::Event>) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let delivery = self
            .receive_unverified(headers, body)
            .map_err(super::ProcessError::Rejected)?;
        let keys = delivery.dedupe_keys();
        self.core.process(delivery, keys, handler).await
    }
}
