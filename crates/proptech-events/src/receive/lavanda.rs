//! Lavanda, through Svix: Standard Webhooks. `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (or their `svix-` twins); the signature header is a space-separated list of
//! `v1,<base64>` entries over `"{id}.{timestamp}.{body}"`, keyed with the base64 part of
//! `whsec_<base64>`.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use serde::Deserialize;

use super::{Core, HmacSha256, ReceiveError, SecretError, Verified, header, timestamp_header};
use crate::receive::Headers;

/// Verifies Lavanda deliveries and parses them into [`crate::lavanda::Event`].
#[derive(Debug, Clone)]
pub struct LavandaReceiver {
    core: Core,
}

receiver_builders!(LavandaReceiver, lavanda);

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Cow<'a, str>,
}

/// The key of a Standard Webhooks secret: the base64 after an optional `whsec_` prefix.
fn key(secret: &str) -> Result<Vec<u8>, SecretError> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    if b64.is_empty() {
        return Err(SecretError::Empty);
    }
    STANDARD
        .decode(b64)
        .map_err(|e| SecretError::NotBase64(e.to_string()))
}

impl LavandaReceiver {
    /// The header names, in the Standard Webhooks spelling; the `svix-` spelling is read when
    /// these are absent.
    pub const HEADERS: [&'static str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    const SVIX: [&'static str; 3] = ["svix-id", "svix-timestamp", "svix-signature"];

    /// A receiver for the given `whsec_<base64>` secrets (the prefix is optional; several during
    /// a rotation).
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, SecretError> {
        let keys = secrets
            .into_iter()
            .map(|s| key(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            core: Core::new(keys)?,
        })
    }

    /// Verifies and parses a delivery as if the clock read `now` (Unix seconds).
    pub fn receive_at<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<Verified<crate::lavanda::Event>, ReceiveError> {
        self.core.check_size(body)?;
        let names = if headers.get_header(Self::HEADERS[0]).is_none()
            && headers.get_header(Self::SVIX[0]).is_some()
        {
            Self::SVIX
        } else {
            Self::HEADERS
        };
        let id = header(headers, names[0])?;
        let timestamp_text = header(headers, names[1])?;
        let signatures = header(headers, names[2])?;
        let timestamp = timestamp_header(timestamp_text, names[1])?;
        let tags: Vec<Vec<u8>> = signatures
            .split(' ')
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .filter(|tag| !tag.is_empty())
            .collect();
        if tags.is_empty() {
            return Err(ReceiveError::InvalidHeader {
                name: names[2],
                reason: format!("no v1,<base64> signature in {signatures:?}"),
            });
        }
        let signed: [&[u8]; 5] = [id.as_bytes(), b".", timestamp_text.as_bytes(), b".", body];
        if !tags.iter().any(|tag| self.core.any_key_signs(&signed, tag)) {
            return Err(ReceiveError::BadSignature { header: names[2] });
        }
        self.core.check_window(timestamp, now)?;
        let head: Head<'_> = super::read_head(crate::Provider::Lavanda, body)?;
        let event = typed!(
            self.core,
            lavanda,
            Lavanda,
            head.event_type.into_owned(),
            body
        )?;
        let window = self
            .core
            .options
            .dedupe_window
            .max(2 * self.core.options.tolerance);
        self.core
            .first_sighting(format!("lavanda {id}"), now, window)?;
        Ok(Verified {
            event,
            id: id.to_owned(),
            timestamp: Some(timestamp),
        })
    }
}

/// The `webhook-signature` value for `body`: one `v1,<base64>` entry per secret.
pub fn sign_lavanda<S: AsRef<str>>(
    secrets: &[S],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SecretError> {
    let mut entries = Vec::new();
    for secret in secrets {
        let mut mac =
            HmacSha256::new_from_slice(&key(secret.as_ref())?).expect("HMAC takes any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        entries.push(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ));
    }
    Ok(entries.join(" "))
}
