//! Lavanda, through Svix: Standard Webhooks. `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (or their `svix-` twins); the signature header is a space-separated list of
//! `v1,<base64>` entries over `"{id}.{timestamp}.{body}"`, keyed with the base64 part of
//! `whsec_<base64>`.
//!
//! # Work per request, whatever the input
//!
//! The order of the checks bounds what an unauthenticated request can cost:
//!
//! 1. the body size (at most `max_body`, 1 MiB by default), then the three headers;
//! 2. the timestamp window, **before any HMAC**: a stale or future-dated request costs no hashing;
//! 3. the signature header: at most [`LavandaReceiver::MAX_SIGNATURES`] entries (more is rejected
//!    before any is decoded); each `v1,` entry is base64-decoded once;
//! 4. **one HMAC per configured secret** over `"{id}.{timestamp}.{body}"`, however many entries
//!    there are, compared in constant time with each decoded 32-byte tag (other lengths never
//!    match and are not compared).
//!
//! Worst case for one request: `secrets` HMAC-SHA256 passes over at most `max_body + id + 20`
//! bytes, plus `secrets × 32` comparisons of 32 bytes, plus one linear scan of the signature
//! header. Nothing grows with the number of entries beyond the cap; the unit tests count the
//! MACs computed for 10,000 entries (none) and for 32 (one per secret).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac;
use serde::Deserialize;

use super::{
    Core, Dedupe, HmacSha256, ReceiveError, SecretError, Verified, header, timestamp_header,
};
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
    STANDARD.decode(b64).map_err(|_| SecretError::NotBase64)
}

impl LavandaReceiver {
    /// The header names, in the Standard Webhooks spelling; the `svix-` spelling is read when
    /// these are absent.
    pub const HEADERS: [&'static str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    const SVIX: [&'static str; 3] = ["svix-id", "svix-timestamp", "svix-signature"];
    /// The most entries a signature header may carry (Svix sends one per active secret; a
    /// rotation has two or three).
    pub const MAX_SIGNATURES: usize = 32;

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

    /// The header names the delivery uses: `webhook-*`, or `svix-*` when only those are there.
    fn names<H: Headers + ?Sized>(headers: &H) -> [&'static str; 3] {
        if headers.get_header(Self::HEADERS[0]).is_none()
            && headers.get_header(Self::SVIX[0]).is_some()
        {
            Self::SVIX
        } else {
            Self::HEADERS
        }
    }

    /// The decoded tags of a signature header's `v1,<base64>` entries.
    fn tags(name: &'static str, signatures: &str) -> Result<Vec<Vec<u8>>, ReceiveError> {
        let entries = signatures.split(' ').filter(|e| !e.is_empty());
        let count = entries.clone().take(Self::MAX_SIGNATURES + 1).count();
        if count > Self::MAX_SIGNATURES {
            return Err(ReceiveError::InvalidHeader {
                name,
                reason: format!(
                    "more than {} signature entries ({} bytes)",
                    Self::MAX_SIGNATURES,
                    signatures.len()
                ),
            });
        }
        let tags: Vec<Vec<u8>> = entries
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| STANDARD.decode(b64).ok())
            .filter(|tag| !tag.is_empty())
            .collect();
        if tags.is_empty() {
            return Err(ReceiveError::InvalidHeader {
                name,
                reason: format!(
                    "no v1,<base64> signature in {:?}",
                    super::truncate(signatures)
                ),
            });
        }
        Ok(tags)
    }

    /// What the delivery's signature covers and whether a configured secret signs it, without
    /// checking the timestamp window or the body: for explaining a rejection. Fails like
    /// [`receive`](Self::receive) on a missing or malformed id, timestamp or signature header.
    pub fn check_signature<H: Headers + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<super::SignatureCheck, ReceiveError> {
        let names = Self::names(headers);
        let id = header(headers, names[0])?;
        let timestamp_text = header(headers, names[1])?;
        let signatures = header(headers, names[2])?;
        let timestamp = timestamp_header(timestamp_text, names[1])?;
        let tags = Self::tags(names[2], signatures)?;
        let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
        let signed: [&[u8]; 5] = [id.as_bytes(), b".", timestamp_text.as_bytes(), b".", body];
        Ok(super::SignatureCheck {
            header: names[2],
            signed_prefix: format!("{id}.{timestamp_text}."),
            timestamp: Some(timestamp),
            matches: self.core.any_key_signs(&signed, &tags),
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
        let names = Self::names(headers);
        let id = header(headers, names[0])?;
        let timestamp_text = header(headers, names[1])?;
        let signatures = header(headers, names[2])?;
        let timestamp = timestamp_header(timestamp_text, names[1])?;
        self.core.check_window(timestamp, now)?;
        let tags = Self::tags(names[2], signatures)?;
        let signed: [&[u8]; 5] = [id.as_bytes(), b".", timestamp_text.as_bytes(), b".", body];
        let tags: Vec<&[u8]> = tags.iter().map(Vec::as_slice).collect();
        if !self.core.any_key_signs(&signed, &tags) {
            return Err(ReceiveError::BadSignature { header: names[2] });
        }
        let head: Head<'_> = super::read_head(crate::Provider::Lavanda, body)?;
        let event = typed!(
            self.core,
            lavanda,
            Lavanda,
            head.event_type.into_owned(),
            body
        )?;
        // A message id must be remembered at least as long as its timestamp is accepted.
        let window = self
            .core
            .options
            .dedupe_window
            .max(self.core.options.tolerance.saturating_mul(2));
        Ok(Verified {
            event,
            id: id.to_owned(),
            timestamp: Some(timestamp),
            dedupe: Dedupe::signed(&self.core, "lavanda", window),
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const NOW: i64 = 1_800_000_000;

    fn macs() -> usize {
        super::super::MACS.with(std::cell::Cell::get)
    }

    fn headers(signature: String, ts: i64) -> [(&'static str, String); 3] {
        [
            ("webhook-id", "msg_flood".to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signature),
        ]
    }

    /// A 1 MiB body (a valid delivery, so nothing but the signature can reject it).
    fn big_body() -> Vec<u8> {
        let filler = "x".repeat((1 << 20) - 200);
        format!(r#"{{"type":"v1.crm.lead.created","data":{{"note":"{filler}"}}}}"#).into_bytes()
    }

    #[test]
    fn ten_thousand_entries_and_a_mebibyte_cost_no_hash() {
        let receiver = LavandaReceiver::new([SECRET])
            .expect("secret")
            .with_options(crate::receive::Options::default().with_max_body(2 << 20));
        let body = big_body();
        let flood = vec!["v1,AA=="; 10_000].join(" ");
        let before = macs();
        let err = receiver
            .receive_at(&headers(flood, NOW), &body, NOW)
            .expect_err("rejected");
        assert_eq!(err.code(), "invalid_header", "{err}");
        assert_eq!(macs() - before, 0, "no HMAC for an over-long header");
        assert!(
            err.to_string().len() < 200,
            "the value is not echoed: {err}"
        );

        // At the cap, with 32-byte decoys: one MAC per secret, not one per entry.
        let decoy = format!("v1,{}", STANDARD.encode([7u8; 32]));
        let capped = vec![decoy.as_str(); LavandaReceiver::MAX_SIGNATURES].join(" ");
        let before = macs();
        let err = receiver
            .receive_at(&headers(capped.clone(), NOW), &body, NOW)
            .expect_err("rejected");
        assert_eq!(err.code(), "bad_signature");
        assert_eq!(macs() - before, 1, "one secret, one MAC");

        let two = LavandaReceiver::new([SECRET, SECRET])
            .expect("secrets")
            .with_options(crate::receive::Options::default().with_max_body(2 << 20));
        let before = macs();
        let _ = two.receive_at(&headers(capped.clone(), NOW), &body, NOW);
        assert_eq!(macs() - before, 2, "two secrets, two MACs");

        // A stale timestamp is rejected before any HMAC.
        let before = macs();
        let err = receiver
            .receive_at(&headers(capped, NOW - 10_000), &body, NOW)
            .expect_err("stale");
        assert_eq!(err.code(), "timestamp_out_of_window");
        assert_eq!(macs() - before, 0, "the window is checked first");
    }

    #[test]
    fn a_valid_signature_among_capped_entries_verifies() {
        let receiver = LavandaReceiver::new([SECRET]).expect("secret");
        let body = br#"{"type":"v1.crm.lead.created","data":{}}"#;
        let good = sign_lavanda(&[SECRET], "msg_flood", NOW, body).expect("sign");
        let decoy = format!("v1,{}", STANDARD.encode([7u8; 32]));
        let mut entries = vec![decoy; LavandaReceiver::MAX_SIGNATURES - 1];
        entries.push(good);
        let got = receiver.receive_at(&headers(entries.join(" "), NOW), body, NOW);
        assert!(
            !matches!(got, Err(ReceiveError::BadSignature { .. })),
            "{got:?}"
        );
    }
}
