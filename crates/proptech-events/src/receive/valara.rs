//! Valara: `X-Webhook-Signature: sha256=<hex>` over `"{X-Webhook-Timestamp}.{body}"`.

use std::borrow::Cow;

use hmac::Mac;
use serde::Deserialize;

use super::{
    Core, Dedupe, HmacSha256, ReceiveError, SecretError, Verified, header, timestamp_header,
    truncate,
};
use crate::receive::Headers;

/// Verifies Valara deliveries and parses them into [`crate::valara::Event`].
#[derive(Debug, Clone)]
pub struct ValaraReceiver {
    core: Core,
}

receiver_builders!(ValaraReceiver, valara);

/// The envelope members the contract checks, read with the event type in one pass.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(borrow)]
    event_id: Cow<'a, str>,
    timestamp: i64,
    #[serde(borrow)]
    nonce: Cow<'a, str>,
}

impl ValaraReceiver {
    /// The signature header.
    pub const SIGNATURE: &'static str = "X-Webhook-Signature";
    /// The timestamp header (Unix seconds), mirrored in the body's `timestamp`.
    pub const TIMESTAMP: &'static str = "X-Webhook-Timestamp";
    /// The event id header, mirrored in the body's `event_id`.
    pub const EVENT_ID: &'static str = "X-Webhook-Event-Id";
    /// How long a nonce is remembered at least: the contract rejects one seen in the last 10
    /// minutes. With a tolerance above 300 s the window grows to twice the tolerance
    /// ([`nonce_window`](Self::nonce_window)): a delivery is accepted for that long, so its
    /// nonce must be remembered for as long.
    pub const NONCE_WINDOW: u64 = 600;

    /// How long this receiver remembers a nonce: [`Self::NONCE_WINDOW`], or twice the tolerance
    /// when that is longer (a signed timestamp is accepted from `tolerance` before the receiver's
    /// clock to `tolerance` after it).
    pub fn nonce_window(&self) -> u64 {
        Self::NONCE_WINDOW.max(self.core.options.tolerance.saturating_mul(2))
    }

    /// A receiver for the given secrets (several during a rotation); each is used as given.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, SecretError> {
        Ok(Self {
            core: Core::with_literal_secrets(secrets)?,
        })
    }

    /// What the delivery's signature covers and whether a configured secret signs it, without
    /// checking the timestamp window, the event id header or the body: for explaining a
    /// rejection. Fails like [`receive`](Self::receive) on a missing or malformed
    /// `X-Webhook-Signature` or `X-Webhook-Timestamp`.
    pub fn check_signature<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<super::SignatureCheck, ReceiveError> {
        let signature = header(headers, Self::SIGNATURE)?;
        let timestamp_text = header(headers, Self::TIMESTAMP)?;
        let tag = signature_tag(signature)?;
        let timestamp = timestamp_header(timestamp_text, Self::TIMESTAMP)?;
        let matches = self
            .core
            .any_key_signs(&[timestamp_text.as_bytes(), b".", body], &[&tag]);
        Ok(super::SignatureCheck {
            header: Self::SIGNATURE,
            signed_prefix: format!("{timestamp_text}."),
            timestamp: Some(timestamp),
            matches,
        })
    }

    /// Verifies and parses a delivery as if the clock read `now` (Unix seconds).
    pub fn receive_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<Verified<crate::valara::Event>, ReceiveError> {
        self.core.check_size(body)?;
        let signature = header(headers, Self::SIGNATURE)?;
        let timestamp_text = header(headers, Self::TIMESTAMP)?;
        let event_id = header(headers, Self::EVENT_ID)?;
        let tag = signature_tag(signature)?;
        let timestamp = timestamp_header(timestamp_text, Self::TIMESTAMP)?;
        if !self
            .core
            .any_key_signs(&[timestamp_text.as_bytes(), b".", body], &[&tag])
        {
            return Err(ReceiveError::BadSignature {
                header: Self::SIGNATURE,
            });
        }
        self.core.check_window(timestamp, now)?;

        let head: Head<'_> = super::read_head(crate::Provider::Valara, body)?;
        if head.event_id != event_id {
            return Err(ReceiveError::HeaderBodyMismatch {
                header: Self::EVENT_ID,
                header_value: truncate(event_id),
                field: "event_id",
                body_value: truncate(&head.event_id),
            });
        }
        if head.timestamp != timestamp {
            return Err(ReceiveError::HeaderBodyMismatch {
                header: Self::TIMESTAMP,
                header_value: truncate(timestamp_text),
                field: "timestamp",
                body_value: head.timestamp.to_string(),
            });
        }
        let event = typed!(
            self.core,
            valara,
            Valara,
            head.event_type.into_owned(),
            body
        )?;
        // The nonce is consumed for its window, the event id for the dedupe window; both are
        // claimed, completed and released together, as one unit.
        let dedupe = Dedupe {
            nonce: Some((head.nonce.into_owned(), self.nonce_window())),
            ..Dedupe::signed(&self.core, "valara", self.core.options.dedupe_window)
        };
        Ok(Verified {
            event,
            id: event_id.to_owned(),
            timestamp: Some(timestamp),
            dedupe,
        })
    }
}

/// The 32-byte tag of a `sha256=<64 hex digits>` header.
fn signature_tag(value: &str) -> Result<Vec<u8>, ReceiveError> {
    let invalid = |reason: String| ReceiveError::InvalidHeader {
        name: ValaraReceiver::SIGNATURE,
        reason,
    };
    let hex_digits = value
        .strip_prefix("sha256=")
        .ok_or_else(|| invalid("expected sha256=<hex>".into()))?;
    let tag = hex::decode(hex_digits).map_err(|e| invalid(format!("not hex: {e}")))?;
    if tag.len() != 32 {
        return Err(invalid(format!(
            "expected 64 hex digits, found {}",
            hex_digits.len()
        )));
    }
    Ok(tag)
}

/// The `X-Webhook-Signature` value Valara sends for `body` at `timestamp`.
pub fn sign_valara(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
