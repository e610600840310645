//! EverReal documents no signature: its deliveries can only be received as [`Unverified`].

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;

use super::{Core, InMemoryReplayGuard, Options, ReceiveError, Unverified};
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
                options: Options::default(),
                guard: Arc::new(InMemoryReplayGuard::default()),
                clock: super::system_now,
            },
        }
    }

    /// Parses a delivery, deduplicated on its `uuid`. Headers are not used; they are taken so the
    /// call looks like every other receiver's.
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
        let now = (self.core.clock)();
        let window = self.core.options.dedupe_window;
        self.core
            .first_sighting(format!("everreal {id}"), now, window)?;
        Ok(Unverified { event, id })
    }
}
