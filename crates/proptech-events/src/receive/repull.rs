//! Repull: `X-Repull-Signature: <hex>`, HMAC-SHA256 of the raw body keyed with the literal
//! `whsec_...` secret string.

use std::borrow::Cow;

use hmac::Mac;
use serde::Deserialize;

use super::{Core, Dedupe, HmacSha256, ReceiveError, SecretError, Verified, header};
use crate::receive::Headers;

/// Verifies Repull deliveries and parses them into [`crate::repull::Event`].
///
/// Repull signs no timestamp header; its signature covers the body, whose `createdAt` says when
/// the delivery was made, and a replay (automatic or by hand) sends "the exact same payload as
/// the original". So a replay is bounded twice:
///
/// - a delivery whose `createdAt` is older than [`Self::REPLAY_HORIZON`] (the 7 days Repull
///   replays) plus the tolerance is rejected as [`ReceiveError::Stale`], even after its id has
///   left the store (a restart of the in-memory store, a full window); one dated more than the
///   tolerance ahead of the clock, which would never grow stale, as
///   [`ReceiveError::TimestampOutOfWindow`];
/// - its `deliveryId` is deduplicated for the dedupe window, and never for less than that
///   horizon: the keys of a Repull delivery are kept for `max(dedupe_window, REPLAY_HORIZON +
///   tolerance)`, so every delivery young enough to be accepted is still remembered once done.
#[derive(Debug, Clone)]
pub struct RepullReceiver {
    core: Core,
}

receiver_builders!(RepullReceiver, repull);

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Cow<'a, str>,
    #[serde(borrow, rename = "deliveryId")]
    delivery_id: Cow<'a, str>,
    /// Checked against the replay horizon; its format is the typed parse's to check.
    #[serde(borrow, rename = "createdAt", default)]
    created_at: Option<Cow<'a, str>>,
}

impl RepullReceiver {
    /// The signature header.
    pub const SIGNATURE: &'static str = "X-Repull-Signature";
    /// How old a delivery Repull may still send, in seconds: "You can also manually replay any
    /// delivery from the last 7 days", and a replay "uses the exact same payload as the
    /// original" (`createdAt` included).
    pub const REPLAY_HORIZON: u64 = 7 * 86_400;

    /// How old a delivery's `createdAt` may be: the replay horizon plus the tolerance.
    pub fn horizon(&self) -> u64 {
        Self::REPLAY_HORIZON.saturating_add(self.core.options.tolerance)
    }

    /// How long a delivery id is kept once done: the dedupe window, and at least the horizon.
    pub fn dedupe_window(&self) -> u64 {
        self.core.options.dedupe_window.max(self.horizon())
    }

    /// A receiver for the given signing secrets (several during a rotation). The key is the
    /// secret exactly as Repull returned it, `whsec_` prefix included.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, SecretError> {
        Ok(Self {
            core: Core::with_literal_secrets(secrets)?,
        })
    }

    /// The 32-byte tag of the `X-Repull-Signature` header.
    fn tag<H: Headers + ?Sized>(headers: &H) -> Result<Vec<u8>, ReceiveError> {
        let signature = header(headers, Self::SIGNATURE)?;
        let invalid = |reason: String| ReceiveError::InvalidHeader {
            name: Self::SIGNATURE,
            reason,
        };
        let tag = hex::decode(signature).map_err(|e| invalid(format!("not hex: {e}")))?;
        if tag.len() != 32 {
            return Err(invalid(format!(
                "expected 64 hex digits, found {}",
                signature.len()
            )));
        }
        Ok(tag)
    }

    /// Whether a configured secret signs `body` as the `X-Repull-Signature` header says, without
    /// reading the body: for explaining a rejection. Fails like [`receive`](Self::receive) on a
    /// missing or malformed header.
    pub fn check_signature<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<super::SignatureCheck, ReceiveError> {
        let tag = Self::tag(headers)?;
        Ok(super::SignatureCheck {
            header: Self::SIGNATURE,
            signed_prefix: String::new(),
            timestamp: None,
            matches: self.core.any_key_signs(&[body], &[&tag]),
        })
    }

    /// Verifies and parses a delivery as if the clock read `now` (Unix seconds).
    pub fn receive_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<Verified<crate::repull::Event>, ReceiveError> {
        self.core.check_size(body)?;
        let tag = Self::tag(headers)?;
        if !self.core.any_key_signs(&[body], &[&tag]) {
            return Err(ReceiveError::BadSignature {
                header: Self::SIGNATURE,
            });
        }
        let head: Head<'_> = super::read_head(crate::Provider::Repull, body)?;
        if let Some(created_at) = head.created_at.as_deref() {
            self.check_horizon(created_at, now)?;
        }
        let event = typed!(
            self.core,
            repull,
            Repull,
            head.event_type.into_owned(),
            body
        )?;
        let id = head.delivery_id.into_owned();
        Ok(Verified {
            event,
            id,
            timestamp: None,
            dedupe: Dedupe::signed(&self.core, "repull", self.dedupe_window()),
        })
    }

    /// Rejects a `createdAt` older than the horizon, or further ahead of the clock than the
    /// tolerance. A value that is not an RFC 3339 date-time is left to the typed parse, which
    /// names it.
    fn check_horizon(&self, created_at: &str, now: i64) -> Result<(), ReceiveError> {
        let Ok(created) = chrono::DateTime::parse_from_rfc3339(created_at) else {
            return Ok(());
        };
        let tolerance = self.core.options.tolerance;
        let created = created.timestamp();
        // A delivery from the future would never grow stale: as for signed timestamps, at most
        // the tolerance ahead of the clock.
        if created.saturating_sub(now) > i64::try_from(tolerance).unwrap_or(i64::MAX) {
            return Err(ReceiveError::TimestampOutOfWindow {
                timestamp: created,
                now,
                skew: created.abs_diff(now),
                tolerance,
            });
        }
        let horizon = self.horizon();
        let oldest = now.saturating_sub(i64::try_from(horizon).unwrap_or(i64::MAX));
        if created < oldest {
            return Err(ReceiveError::Stale {
                created_at: super::truncate(created_at),
                now,
                horizon,
            });
        }
        Ok(())
    }
}

/// The `X-Repull-Signature` value Repull sends for `body`.
pub fn sign_repull(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
