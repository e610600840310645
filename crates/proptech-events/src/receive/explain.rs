//! Working out why a signature does or does not verify: what exactly was signed and whether the
//! configured secrets sign it, apart from the timestamp window and the body's parse. For tools that
//! explain a rejected delivery; a receiver needs none of this.

/// What a delivery's signature covers, and whether a configured secret produces it.
///
/// Made by `check_signature` of the signing receivers ([`ValaraReceiver`](super::ValaraReceiver),
/// [`RepullReceiver`](super::RepullReceiver), [`LavandaReceiver`](super::LavandaReceiver)). It
/// reads the headers the signature needs and computes the HMAC, and nothing else: the timestamp
/// window, the event id header and the body's JSON are left to `receive`. The secrets are never
/// part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureCheck {
    /// The header that carries the signature (as the delivery spells it for Lavanda's `svix-`
    /// twins).
    pub header: &'static str,
    /// What the HMAC covers before the body: `"{timestamp}."` for Valara, `"{id}.{timestamp}."`
    /// for Lavanda, empty for Repull, which signs the body alone.
    pub signed_prefix: String,
    /// The signed timestamp (Unix seconds), where the contract has one.
    pub timestamp: Option<i64>,
    /// Whether some configured secret signs [`signed_prefix`](Self::signed_prefix) followed by
    /// the body, as the delivery's signature header says.
    pub matches: bool,
}

impl SignatureCheck {
    /// The exact bytes the HMAC covers for `body`: the signed prefix, then the body.
    pub fn signed_content(&self, body: &[u8]) -> Vec<u8> {
        let mut content = Vec::with_capacity(self.signed_prefix.len() + body.len());
        content.extend_from_slice(self.signed_prefix.as_bytes());
        content.extend_from_slice(body);
        content
    }
}
