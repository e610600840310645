//! Repull: `X-Repull-Signature: <hex>`, HMAC-SHA256 of the raw body keyed with the literal
//! `whsec_...` secret string.

use std::borrow::Cow;

use hmac::Mac;
use serde::Deserialize;

use super::{Core, Dedupe, HmacSha256, ReceiveError, SecretError, Verified, header};
use crate::receive::Headers;

/// Verifies Repull deliveries and parses them into [`crate::repull::Event`]. Repull signs no
/// timestamp, so a replayed delivery is caught by the `deliveryId` deduplication window alone.
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
}

impl RepullReceiver {
    /// The signature header.
    pub const SIGNATURE: &'static str = "X-Repull-Signature";

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
        let event = typed!(
            self.core,
            repull,
            Repull,
            head.event_type.into_owned(),
            body
        )?;
        let _ = now; // Repull signs no timestamp: nothing to check against the clock.
        let id = head.delivery_id.into_owned();
        Ok(Verified {
            event,
            id,
            timestamp: None,
            dedupe: Dedupe::signed("repull", self.core.options.dedupe_window),
        })
    }
}

/// The `X-Repull-Signature` value Repull sends for `body`.
pub fn sign_repull(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
